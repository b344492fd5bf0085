"""Does a claim say the opposite of its passage? Negations and opposite words, clause by clause.

"Leaders have not yet addressed the shortfall" and "leaders have addressed the shortfall" share
every content word, so coverage and embeddings both call the second supported. These checks find
what one side negates and the other states plainly, or a word the claim swaps for its opposite
("effective" for "ineffective", "improved" for "declined"), in the passage sentences the claim is
about (the ones it covers best), not anywhere in the passage.
"""

from __future__ import annotations

import re
from functools import lru_cache

from service.answers.grounding.coverage import coverage
from service.answers.grounding.lemmas import lemma
from service.answers.grounding.tokens import (
    CLAIM_STOPWORDS,
    content_stems,
    fold,
    split_sentences,
    stem,
    unsuffixed,
    words,
)
from service.answers.grounding.vocabulary import NEGATED_CONTRACTION, NEGATIONS, OPPOSITE

_QUANTIFIERS = frozenset({"always", "all", "every", "everyone", "consistently"})
# Words to pass over when looking for what a negation negates ("not yet been fully assessed").
_HEAD_SKIP = CLAIM_STOPWORDS | {"yet", "longer", "been", "always", "enough", "any", "sufficiently", "fully"}
_NEGATING_PREFIXES = ("in", "un", "im", "ir", "non-", "dis")
# "Is yet to be embedded" says "is not yet embedded" with no negation word.
_YET_TO = re.compile(r"\b(?:yet|still) to (?:be )?\w+")
_REACH = 6  # words after a negation cue that it negates (``_negated_spans`` reads as far)


def negation_count(text: str) -> int:
    lowered = fold(text).lower()
    cues = sum(1 for w in words(lowered) if w in NEGATIONS) + len(NEGATED_CONTRACTION.findall(lowered))
    return cues + len(_YET_TO.findall(lowered))


def _negated_spans(text: str) -> list[list[str]]:
    """For each negation cue of ``text``, the words it negates: crudely the first three content
    words within six words after it. "not always X" negates the quantifier itself."""
    spans = []
    for sentence in split_sentences(text) or [text]:
        tokens = words(sentence)
        for i, token in enumerate(tokens):
            yet_to = token == "yet" and tokens[i + 1 : i + 2] == ["to"]
            if token not in NEGATIONS and not token.endswith("n't") and not yet_to:
                continue
            following = tokens[i + 1 : i + 7]
            if following[:1] == ["only"]:  # "not only X but also Y" states both
                continue
            if following and following[0] in _QUANTIFIERS:
                spans.append([following[0]])
                continue
            content = [w for w in following if w not in _HEAD_SKIP and w not in NEGATIONS]
            if content:
                spans.append(content[:3])
    return spans


def _key(word: str) -> str:
    return word if word in _QUANTIFIERS else stem(lemma(word))


def form(word: str) -> str:
    """What opposites are met as: the lemma less its suffix ("improvements", "improved" →
    "improve"), not cut to six letters, so "effect" does not meet "effective"."""
    return word if word in _QUANTIFIERS else unsuffixed(lemma(word))


def opposites(word: str) -> frozenset[str]:
    """The forms (``form``) of the opposites of ``word``, whichever form of it is given."""
    return _opposite_forms().get(form(word), frozenset())


@lru_cache(maxsize=1)
def _opposite_forms() -> dict[str, frozenset[str]]:
    """``vocabulary.OPPOSITE`` as forms: each word's form with the forms of all its opposites."""
    out: dict[str, set[str]] = {}
    for word, opposites in OPPOSITE.items():
        out.setdefault(form(word), set()).update(form(o) for o in opposites)
    return {k: frozenset(v - {k}) for k, v in out.items()}


def _cues(tokens: list[str]) -> list[int]:
    """Where ``tokens`` hold a negation cue ("not", "no", "n't", "yet to", "still to"), or a word
    that says less than the plain statement ("less effective" is no claim that it is effective)."""
    return [
        i
        for i, t in enumerate(tokens)
        if t in NEGATIONS
        or t.endswith("n't")
        or t == "less"
        or (t in {"yet", "still"} and tokens[i + 1 : i + 2] == ["to"])
    ]


def negation_conflict(source: str, target: str) -> str | None:
    """A phrase that ``source`` negates and ``target`` states plainly, out of any negation's reach.

    E.g. source "training is not yet available", target "training is now available" → "available".
    The target must hold the negated span's first word and, for longer spans, one more of its words
    close by; a span the target does not mention says nothing either way (coverage judges it).
    A negation reaches the few words after it (``_REACH``), as the spans it negates are read, not its
    whole sentence: "networks are explored routinely but are not always used" states "explored".
    Where the target negates the span too, they agree, whatever another sentence says of it.
    """
    sentences = []
    for sentence in split_sentences(target) or [target]:
        tokens = words(sentence)
        sentences.append(([_key(t) for t in tokens], _cues(tokens)))
    for span in _negated_spans(source):
        keys = [_key(w) for w in span]
        hits = [(tokens, i, cues) for tokens, cues in sentences for i, t in enumerate(tokens) if t == keys[0]]
        if any(0 < i - c <= _REACH for _, i, cues in hits for c in cues):
            continue
        for tokens, i, _ in hits:
            nearby = set(tokens[max(0, i - 3) : i + 9])
            if len(keys) == 1 or any(k in nearby for k in keys[1:]):
                return " ".join(span)
    return None


def _negated_at(tokens: list[str], index: int) -> bool:
    window = tokens[max(0, index - 4) : index]
    return any(t in NEGATIONS or t.endswith("n't") for t in window)


def polarity_conflict(claim: str, sentences: list[str]) -> str | None:
    """A negation or an opposite word that the claim and the passage sentences it aligns with
    disagree on (see ``negation_conflict``); ``None`` when they agree."""
    claim_stems = content_stems(claim)
    if not claim_stems:
        return None
    ranked = sorted(sentences, key=lambda s: coverage(claim_stems, set(content_stems(s))), reverse=True)
    aligned = " ".join(ranked[:2])
    # What the passage negates is read in the one sentence the claim rests on most: a second
    # sentence's "do not attend regularly" is not what a claim copying the first one states.
    conflict = negation_conflict(claim, aligned) or negation_conflict(ranked[0], claim)
    if conflict:
        return f"negation differs from passage ('{conflict}')"
    claim_words = set(words(claim))
    aligned_words = set(words(aligned))
    passage_words = {w for s in sentences for w in words(s)}
    aligned_tokens = words(aligned)
    negated_words = {t for i, t in enumerate(aligned_tokens) if _negated_at(aligned_tokens, i)}
    # A word the aligned sentences lack, whose opposite they hold: "more changes" where they say
    # "fewer changes" even when "more" is used elsewhere in the passage.
    # Opposites are met as forms, so that every form of a word meets every form of its opposite
    # ("deteriorated" for "improvements", "slow" for "quickly").
    aligned_forms = {form(w) for w in aligned_words - negated_words}
    held = {form(w) for w in aligned_words}
    # A claim word in a negation's reach says its opposite already ("not working effectively").
    claim_tokens = words(claim)
    plain = claim_words - {t for i, t in enumerate(claim_tokens) if _negated_at(claim_tokens, i)}
    for word in sorted(plain - aligned_words):
        if form(word) not in held and opposites(word) & aligned_forms:
            return f"'{word}' contradicts passage"
    for word in sorted(claim_words - passage_words):
        for prefix in _NEGATING_PREFIXES:
            # "unrecorded" for "recorded" turns it over; for "not recorded" it says the same.
            base = word[len(prefix) :]
            if word.startswith(prefix) and len(base) >= 4 and base in aligned_words - negated_words:
                return f"'{word}' contradicts passage"
            if prefix + word in aligned_words:
                return f"'{word}' contradicts passage"
    return None
