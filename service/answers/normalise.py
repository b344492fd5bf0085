"""Questions as people type them, rewritten into the form query understanding reads.

"whats kents care leaver offer like", "how many CiC went mising in medway", "middlesborough
MASH": ``Normaliser.normalise`` turns such a question into "what is Kent's care leaver offer
like", "... went missing in medway", "Middlesbrough MASH" before ``service.answers.query.parse`` reads
it, once, and records every change as a ``Correction`` (the original question is kept for
display). In order:

1. **Contractions typed without their apostrophe** ("whats", "didnt"): a short list below.
2. **Council names in any case and possessives without an apostrophe**: "kents" becomes "Kent's"
   when "kents" is not itself a word of the reports; a council name that is also an ordinary word
   ("bury", "reading") is taken in lower case only when the reports themselves nearly always
   write it with a capital (``Vocabulary.capitalised``: "Bury" yes, "reading" no).
3. **Misspelt council names** ("Middlesborough", "Peterbrough"), matched with rapidfuzz's
   optimal-string-alignment distance against every name the gazetteer knows. Each name has its
   own bound: under half its distance to the nearest *other* name (and at most 1-3 edits by
   length), so no real council name, nor anything within the bound of one, can land on another;
   beyond its bound, a typing at least two edits nearer to one name than to any other's still
   finds it.
   Only words the reports never use are tried, so "busy" never becomes Bury.
4. **Misspelt words** ("registerd", "mising"), corrected towards the index's own vocabulary
   (words in at least ``MIN_CANDIDATE_PASSAGES`` passages), nearest first, then most frequent.
   Known abbreviations, numbers, quoted names and capitalised names inside a sentence are left
   alone. A word with no close match is kept as typed.
5. **Everyday words** for what the reports call otherwise ("kids" → "children", ``CASUAL_WORDS``)
   and British spellings the reports use ("practise" → "practice", "organize" → "organise").
6. **Sector vocabulary**: each abbreviation in the question ("PLO", "CiC", "RAA") and each long
   form ("regional adoption agency") is listed with its other form in ``expansions``; query
   understanding searches both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from rapidfuzz import process
from rapidfuzz.distance import OSA

from service.answers import lexicon
from service.answers.aliases import COMMON_WORDS, Gazetteer
from service.answers.vocabulary import Vocabulary

# Contractions typed without the apostrophe; only forms that are not words themselves ("its",
# "were", "well", "shed" and "hell" are words, so they are not here).
CONTRACTIONS = {
    "whats": "what is",
    "hows": "how is",
    "wheres": "where is",
    "whos": "who is",
    "thats": "that is",
    "theres": "there is",
    "theyre": "they are",
    "dont": "do not",
    "doesnt": "does not",
    "didnt": "did not",
    "isnt": "is not",
    "wasnt": "was not",
    "werent": "were not",
    "arent": "are not",
    "cant": "cannot",
    "wont": "will not",
    "hasnt": "has not",
    "havent": "have not",
    "hadnt": "had not",
    "couldnt": "could not",
    "shouldnt": "should not",
    "wouldnt": "would not",
    "im": "I am",
    "ive": "I have",
}
# Everyday words for what the reports name otherwise ("kids" for "children"): the words of the
# casual style in ``gold/FORMAT.md`` and of people writing about social care, mapped to the reports'.
CASUAL_WORDS = {
    "kids": "children",
    "kid": "child",
    "kiddies": "children",
    "teens": "teenagers",
    "youngsters": "young people",
    "uni": "university",
    "mums": "mothers",
    "dads": "fathers",
    "foster parents": "foster carers",
    "social services": "children's services",
    "childrens services": "children's services",
    "hit": "affect",
    "jobs": "employment",
}
# British spellings the reports use, for the American or verb forms people type ("organize",
# "practise", "behavior"): tried only when the reports' form is far more common.
_SPELLING_VARIANTS = (
    ("ize", "ise"), ("yze", "yse"), ("izing", "ising"), ("ization", "isation"), ("ise", "ice"),
    ("or", "our"), ("er", "re"), ("ense", "ence"), ("og", "ogue"),
)  # fmt: skip
VARIANT_RATIO = 20  # the reports' spelling must be this many times as common
MIN_CANDIDATE_PASSAGES = 3  # a correction must be a word of at least this many passages
# A lower-case ordinary-word council name is the council when the reports capitalise it this often.
PROPER_SHARE = 0.9

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’]*[A-Za-z]|[A-Za-z]")
_QUOTED = re.compile(r"[‘“\"][^’”\"]{2,80}[’”\"]")


@dataclass(frozen=True)
class Correction:
    """One change made to a question: ``before`` (as typed) became ``after``."""

    before: str
    after: str
    kind: str  # "contraction", "council", "casual", "spelling"


@dataclass(frozen=True)
class Normalised:
    """A question as typed (``original``) and as understood (``text``), with what was changed."""

    original: str
    text: str
    corrections: tuple[Correction, ...] = ()
    expansions: tuple[tuple[str, str], ...] = ()  # (as written, other form): ("plo", "public law outline")


def _edit_cap(length: int) -> int:
    """Edits allowed for a misspelt council name of this many letters."""
    if length < 5:
        return 0
    if length < 8:
        return 1
    if length < 12:
        return 2
    return 3


class Normaliser:
    """Rewrites questions for one index: its councils (``Gazetteer``) and its words (``Vocabulary``)."""

    def __init__(self, gazetteer: Gazetteer, vocabulary: Vocabulary) -> None:
        self.gazetteer = gazetteer
        self.vocabulary = vocabulary
        names = gazetteer.names
        self._targets: dict[str, tuple[str, ...]] = dict(names)
        for place in gazetteer.outside:
            self._targets.setdefault(place, (place,))
        self._possessive = re.compile(
            r"\b(" + "|".join(re.escape(n) for n in sorted(self._targets, key=len, reverse=True)) + r")s\b",
            re.I,
        )
        words = sorted(set(COMMON_WORDS) & set(self._targets))
        self._common = re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b") if words else None
        self._contraction = re.compile(r"\b(" + "|".join(CONTRACTIONS) + r")\b", re.I)
        self._casual = re.compile(
            r"\b(" + "|".join(sorted(CASUAL_WORDS, key=len, reverse=True)) + r")\b", re.I
        )

    # --- council names -------------------------------------------------------------------------
    @cached_property
    def bounds(self) -> dict[str, int]:
        """Edits a misspelling may be from each name: under half the distance to any other council
        (names of the same council are not rivals), and within the cap for its length."""
        names = sorted(self._targets)
        matrix = process.cdist(names, names, scorer=OSA.distance, workers=1)
        bounds = {}
        for i, name in enumerate(names):
            rivals = [
                int(matrix[i][j])
                for j, other in enumerate(names)
                if j != i and set(self._targets[other]) != set(self._targets[name])
            ]
            nearest = min(rivals, default=99)
            bounds[name] = max(0, min(_edit_cap(len(name.replace(" ", ""))), (nearest - 1) // 2))
        return bounds

    def match_council(self, text: str) -> str | None:
        """The gazetteer name a (possibly misspelt) council name stands for, or None."""
        key = " ".join(text.lower().replace("&", " and ").replace("-", " ").split())
        if key in self._targets:
            return key
        found = process.extract(key, list(self.bounds), scorer=OSA.distance, score_cutoff=3, limit=8)
        for name, distance, _ in found:  # nearest first: the first within its own bound
            if 0 < distance <= self.bounds[name]:
                return name
        if not found:
            return None
        # A name whose bound is small because another place's name is near it ("north yorkshire"
        # and "south yorkshire" are two edits apart): the nearest still stands when the typing is
        # at least two edits nearer to it than to any other place's name ("north yorkshre").
        name, distance, _ = found[0]
        others = [d for other, d, _ in found[1:] if set(self._targets[other]) != set(self._targets[name])]
        within_cap = 0 < distance <= _edit_cap(len(name.replace(" ", "")))
        return name if within_cap and all(d >= distance + 2 for d in others) else None

    def display(self, name: str) -> str:
        keys = self._targets.get(name, (name,))
        return self.gazetteer.display(keys[0]) if len(keys) == 1 else name.title()

    # --- the whole question --------------------------------------------------------------------
    def normalise(self, question: str) -> Normalised:
        corrections: list[Correction] = []
        text = self._contraction.sub(lambda m: self._note(corrections, m.group(0), "contraction"), question)
        text = self._councils(text, corrections)
        text = self._casual.sub(
            lambda m: self._note(corrections, m.group(0), "casual", CASUAL_WORDS[m.group(0).lower()]), text
        )
        text = self._spelling(text, corrections)
        return Normalised(question, text, tuple(corrections), self._expansions(text))

    @staticmethod
    def _note(corrections: list[Correction], before: str, kind: str, after: str | None = None) -> str:
        if after is None:
            after = CONTRACTIONS[before.lower()]
            if before[:1].isupper():
                after = after[:1].upper() + after[1:]
        corrections.append(Correction(before, after, kind))
        return after

    def _councils(self, text: str, corrections: list[Correction]) -> str:
        named = [(m.start, m.end) for m in self.gazetteer.find(text)]

        def inside(
            match: re.Match[str],
        ) -> bool:  # part of a longer name: "north yorks", "kingston upon hull"
            return any(a <= match.start() < b and (a, b) != (match.start(), match.end()) for a, b in named)

        def possessive(match: re.Match[str]) -> str:
            whole = match.group(0)
            if inside(match):
                return whole
            if whole.lower() in self._targets or self.vocabulary.known(whole):
                return whole  # "hants", "readings": a name or a word in its own right
            name = " ".join(match.group(1).lower().split())
            if name in COMMON_WORDS and not self._proper(name) and not match.group(1)[:1].isupper():
                return whole
            return self._note(corrections, whole, "council", f"{self.display(name)}'s")

        text = self._possessive.sub(possessive, text)
        if self._common is not None:

            def capital(match: re.Match[str]) -> str:
                word = match.group(1)
                if not self._proper(word) or inside(match):
                    return word
                return self._note(corrections, word, "council", word[:1].upper() + word[1:])

            text = self._common.sub(capital, text)
        return self._fuzzy_councils(text, corrections)

    def _proper(self, word: str) -> bool:
        return self.vocabulary.capitalised.get(word.lower(), 0.0) >= PROPER_SHARE

    def _fuzzy_councils(self, text: str, corrections: list[Correction]) -> str:
        taken = [(m.start, m.end) for m in self.gazetteer.find(text)]
        tokens = [m for m in _TOKEN.finditer(text) if not any(a <= m.start() < b for a, b in taken)]
        replacements: list[tuple[int, int, str]] = []
        i = 0
        while i < len(tokens):
            done = False
            for width in (3, 2, 1):
                window = tokens[i : i + width]
                if len(window) < width or not any(self._unknown(t.group(0)) for t in window):
                    continue
                if text[window[0].start() : window[-1].end()].count("\n"):
                    continue
                typed = text[window[0].start() : window[-1].end()]
                after = self._council_display(typed)
                if after is None:
                    continue
                replacements.append((window[0].start(), window[-1].end(), after))
                corrections.append(Correction(typed, after, "council"))
                i += width
                done = True
                break
            if not done:
                i += 1
        for start, end, after in reversed(replacements):
            text = text[:start] + after + text[end:]
        return text

    def _council_display(self, typed: str) -> str | None:
        """ "Middlesborough" → "Middlesbrough", "hartlepols" → "Hartlepool's"; None for no council."""
        name = self.match_council(typed)
        if name is not None:
            return self.display(name)
        bare = re.sub(r"(?:['’]s|['’]|s)$", "", typed)
        name = self.match_council(bare) if bare != typed else None
        return f"{self.display(name)}'s" if name is not None else None

    def _unknown(self, word: str) -> bool:
        lowered = word.lower().replace("’", "'")
        if lowered.endswith("'s"):
            lowered = lowered[:-2]
        return (
            len(lowered) >= 4
            and lowered not in lexicon.STOPWORDS
            and not self.vocabulary.known(lowered)
            and self.vocabulary.expansion(lowered, word) is None
        )

    # --- words ---------------------------------------------------------------------------------
    @cached_property
    def _by_length(self) -> dict[int, list[str]]:
        table: dict[int, list[str]] = {}
        for word, count in self.vocabulary.frequencies.items():
            if count >= MIN_CANDIDATE_PASSAGES and word.isalpha():
                table.setdefault(len(word), []).append(word)
        return table

    def correct(self, word: str) -> str | None:
        """The reports' word a misspelt ``word`` (lower case) stands for, or None."""
        limit = 1 if len(word) < 8 else 2
        candidates = [
            w for n in range(len(word) - limit, len(word) + limit + 1) for w in self._by_length.get(n, ())
        ]
        if not candidates:
            return None
        found = process.extract(word, candidates, scorer=OSA.distance, score_cutoff=limit, limit=20)
        if not found:
            return None
        nearest = min(distance for _, distance, _ in found)
        best = max(
            (w for w, distance, _ in found if distance == nearest),
            key=lambda w: (self.vocabulary.frequencies[w], w),
        )
        return best

    def variant(self, word: str) -> str | None:
        """The reports' spelling of a word typed another way ("practise" → "practice",
        "organize" → "organise"), when theirs is ``VARIANT_RATIO`` times as common."""
        if len(word) < 5:
            return None
        own = self.vocabulary.frequencies.get(word, 0)
        for typed, theirs in _SPELLING_VARIANTS:
            if typed in word[2:]:
                at = word.rindex(typed)
                candidate = word[:at] + theirs + word[at + len(typed) :]
                if (
                    self.vocabulary.frequencies.get(candidate, 0)
                    >= VARIANT_RATIO * max(own, 1) + MIN_CANDIDATE_PASSAGES
                ):
                    return candidate
        return None

    def _spelling(self, text: str, corrections: list[Correction]) -> str:
        protected = [(m.start, m.end) for m in self.gazetteer.find(text)]
        protected += [(m.start(), m.end()) for m in _QUOTED.finditer(text)]
        casual = text == text.lower()
        out: list[str] = []
        last = 0
        for match in _TOKEN.finditer(text):
            word = match.group(0)
            if any(a <= match.start() < b for a, b in protected):
                continue
            if not self._unknown(word):
                variant = self.variant(word.lower())
                if variant is not None and (casual or not word[:1].isupper()):
                    corrections.append(Correction(word, variant, "spelling"))
                    out.append(text[last : match.start()] + variant)
                    last = match.end()
                continue
            inside = match.start() > 0 and not re.search(r"(?:^|[.?!]\s+)$", text[: match.start()])
            if not casual and word[:1].isupper() and inside:
                continue  # a name ("Yuva", "Mockingbird"): not ours to correct
            possessive = word.lower().endswith(("'s", "’s"))
            core = word[:-2] if possessive else word
            fixed = self.correct(core.lower())
            if fixed is None:
                continue
            if core[:1].isupper():
                fixed = fixed[:1].upper() + fixed[1:]
            after = fixed + (word[-2:] if possessive else "")
            corrections.append(Correction(word, after, "spelling"))
            out.append(text[last : match.start()] + after)
            last = match.end()
        out.append(text[last:])
        return "".join(out)

    # --- sector vocabulary ---------------------------------------------------------------------
    @cached_property
    def _long_forms(self) -> re.Pattern[str] | None:
        forms = self.vocabulary.abbreviations_of()
        if not forms:
            return None
        alternatives = sorted(forms, key=len, reverse=True)
        flexible = [r"[\s-]+".join(re.escape(w) for w in f.split()) for f in alternatives]
        return re.compile(r"\b(" + "|".join(flexible) + r")\b", re.I)

    def _expansions(self, text: str) -> tuple[tuple[str, str], ...]:
        found: list[tuple[str, str]] = []
        for match in _TOKEN.finditer(text):
            word = match.group(0).replace("’", "'")
            bare = word[:-2] if word.lower().endswith("'s") else word
            long_form = self.vocabulary.expansion(bare, bare)
            if long_form:
                found.append((bare.lower(), long_form))
        if self._long_forms is not None:
            table = self.vocabulary.abbreviations_of()
            for match in self._long_forms.finditer(text):
                written = " ".join(re.split(r"[\s-]+", match.group(1).lower()))
                abbr = table.get(written)
                if abbr:
                    found.append((written, abbr))
        return tuple(dict.fromkeys(found))
