"""Does a retrieved passage hold a gold evidence quote? Exactly the rule of ``gold/FORMAT.md``.

PDF text extraction differs between libraries (pypdfium2, pypdf, the indexer's cleaned text), so a
quote copied from one extraction rarely appears byte for byte in another. The rule: compare after
lower-casing, joining hyphenated line breaks and folding whitespace; a passage holds a quote when it
contains it after that normalisation, or when at least 80% of the quote's word tokens occur in the
quote's order within a span of at most 1.5 times the quote's token length (so a word the extraction
dropped or split may be skipped).

Typographic quotes and dashes are folded too (’ → ', – → -): they are the same characters to a
reader, and extraction libraries disagree about them more than about anything else.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

MIN_TOKEN_SHARE = 0.8
MAX_SPAN_FACTOR = 1.5

_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u00ad": "",  # soft hyphen: invisible in the PDF, sometimes present in the text layer
        "\u00a0": " ",
        "\ufffe": "-\n",  # pdfium marks a word hyphenated at a line break with U+FFFE
        "\u0002": "-\n",  # ...and some PDFs with STX
    }
)
_HYPHEN_BREAK = re.compile(r"(\w)-[ \t]*\r?\n\s*(\w)")
_SPACE = re.compile(r"\s+")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def normalise(text: str, *, keep_hyphen: bool = False) -> str:
    """Lower-case, fold typographic characters, join hyphenated line breaks, fold whitespace.

    A hyphen at a line break is either a soft one ("safe-/guarding") or a real one ("multi-/agency");
    ``keep_hyphen`` keeps it, so callers can try both readings.
    """
    text = unicodedata.normalize("NFKC", text).translate(_FOLD).lower()
    text = _HYPHEN_BREAK.sub(r"\1-\2" if keep_hyphen else r"\1\2", text)
    return _SPACE.sub(" ", text).strip()


def tokens(text: str) -> list[str]:
    """Word tokens of normalised text (punctuation dropped)."""
    return _TOKEN.findall(normalise(text))


@dataclass(frozen=True)
class Match:
    """How a passage holds a quote: ``exact`` containment or an in-order ``tokens`` match."""

    how: str  # "exact" | "tokens"
    share: float  # share of the quote's tokens found in order (1.0 for exact)


def _lcs_length(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence (tokens in order) of two short token lists."""
    previous = [0] * (len(b) + 1)
    for token in a:
        current = [0]
        for j, other in enumerate(b):
            current.append(previous[j] + 1 if token == other else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def match_tokens(quote_tokens: list[str], passage_tokens: list[str]) -> float:
    """The best share of the quote's tokens found in order within an allowed span of the passage."""
    m = len(quote_tokens)
    if m == 0 or not passage_tokens:
        return 0.0
    wanted = Counter(quote_tokens)
    # Quick reject: the passage as a whole must hold enough of the quote's tokens.
    have = Counter(t for t in passage_tokens if t in wanted)
    if sum(min(count, have[t]) for t, count in wanted.items()) < MIN_TOKEN_SHARE * m:
        return 0.0
    span = max(int(MAX_SPAN_FACTOR * m), m)
    needed = MIN_TOKEN_SHARE * m
    best = 0
    n = len(passage_tokens)
    in_quote = [t in wanted for t in passage_tokens]
    # Sliding count of quote-vocabulary tokens per window: only promising windows get the LCS.
    prefix = [0]
    for flag in in_quote:
        prefix.append(prefix[-1] + flag)
    for start in range(n):
        if not in_quote[start]:
            continue
        end = min(n, start + span)
        if prefix[end] - prefix[start] < needed or prefix[end] - prefix[start] <= best:
            continue
        best = max(best, _lcs_length(quote_tokens, passage_tokens[start:end]))
        if best == m:
            break
    return best / m


def find_quote(quote: str, passage: str) -> Match | None:
    """A ``Match`` when ``passage`` holds ``quote`` by the FORMAT.md rule, else None."""
    nq = normalise(quote)
    if not nq:
        return None
    np_ = normalise(passage)
    if nq in np_ or nq in normalise(passage, keep_hyphen=True):
        return Match("exact", 1.0)
    share = match_tokens(_TOKEN.findall(nq), _TOKEN.findall(np_))
    if share >= MIN_TOKEN_SHARE:
        return Match("tokens", round(share, 4))
    return None


def holds(quote: str, passage: str) -> bool:
    return find_quote(quote, passage) is not None
