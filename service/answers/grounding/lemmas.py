"""Lemmas of words, so that "visited", "visits" and "visiting" or "carers" and "carer" meet.

``lemminflect`` (a dictionary of English word forms and their lemmas, with rules for unknown
words) gives the lemma; a noun lemma is preferred, then a verb's, an adjective's and an adverb's,
which is what word matching between a claim and its passage needs (not a tagger's choice in
context). Looked up once per word form.
"""

from __future__ import annotations

from functools import lru_cache

from lemminflect import getAllLemmas, getAllLemmasOOV

_ORDER = ("NOUN", "VERB", "ADJ", "ADV", "AUX", "PROPN")


@lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """The lemma of a lower-case word ("children" → "child", "carers" → "carer")."""
    if not word.isalpha():
        return word
    found = getAllLemmas(word)
    for pos in _ORDER:
        if pos in found:
            return str(found[pos][0])
    oov = getAllLemmasOOV(word, "NOUN").get("NOUN")
    return str(oov[0]) if oov else word


@lru_cache(maxsize=65536)
def noun_only(word: str) -> bool:
    """The word can only be a noun ("disability", "housing", "police"), not also a verb or an
    adjective ("support", "effective"), as far as the dictionary knows it."""
    if not word.isalpha():
        return False
    found = getAllLemmas(word)
    return bool(found) and set(found) <= {"NOUN", "PROPN"}
