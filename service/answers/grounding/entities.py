"""Who a sentence is about: the teams, agencies, roles and groups of children it names.

The members come from the reports (``data/entities.json``, mined by ``evals/mine_entities.py``);
this module holds only the head nouns that name each class and the few names that the reports use
for the same group of children in different years. A claim that names a member its passage does not,
while the passage names another member of the same class that the claim does not, has swapped who
did or received something ("the police" for "the health trust", "the MASH" for "the MET hub",
"children in care" for "care leavers"): ``swaps`` finds those.

Names are compared as sets of lemmas, so "children looked after" and "looked after children", or
"care leaver" and "care leavers", are one name; an acronym the reports expand ("MASH") is its
expansion.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lemminflect import getAllLemmas

from service.answers.grounding.lemmas import lemma
from service.answers.grounding.tokens import fold

# The head nouns (as lemmas) that make a phrase a member of a class.
CLASS_HEADS: dict[str, frozenset[str]] = {
    "unit": frozenset(
        {"team", "hub", "panel", "service", "board", "unit", "partnership", "forum", "committee", "trust"}
    ),
    "role": frozenset(
        {"worker", "officer", "adviser", "advisor", "manager", "leader", "practitioner", "carer", "head"}
        | {"director", "member", "nurse", "visitor", "chair", "coordinator", "champion", "advocate"}
    ),
    "cohort": frozenset({"child", "people", "leaver", "family", "parent", "baby", "adolescent", "sibling"}),
    "agency": frozenset(),  # members only from lists of partners in the reports
}
# The same group under the names the frameworks used in different years (2014 "children looked
# after", 2018 "children in care"; "care leavers" and "care-experienced young people").
_SAME = (
    ("children in care", "children looked after", "looked after children", "cared for children"),
    (
        "care leavers",
        "care-experienced young people",
        "young people leaving care",
        "care experienced young people",
    ),
    ("children in need of help and protection", "children who need help and protection"),
)
_DATA = Path(__file__).with_name("data") / "entities.json"
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'-]*")
_DROP = frozenset({"the", "a", "an", "its", "their", "s"})
# Spellings the reports use for one word ("advisor" and "adviser" both occur).
_SPELLING = {"advisor": "adviser", "advisors": "advisers"}


def _word(token: str) -> str:
    """A token as a lemma, the possessive dropped, spelling variants met."""
    word = token.lower().split("'")[0]
    return lemma(_SPELLING.get(word, word))


def phrase_key(phrase: str) -> list[str]:
    """A phrase's words as lemmas, articles dropped: "the Care Leavers" → ["care", "leaver"]."""
    return [_word(t) for t in _TOKEN.findall(fold(phrase)) if _word(t) and _word(t) not in _DROP]


@dataclass(frozen=True)
class Entity:
    name: str  # as the reports most often write it
    cls: str  # unit, role, cohort or agency
    words: frozenset[str]  # lemmas: the identity of the name, order aside


@dataclass(frozen=True, eq=False)
class Vocabulary:
    by_first: dict[
        str, list[tuple[tuple[str, ...], Entity]]
    ]  # first lemma -> (lemmas, entity), longest first
    acronyms: dict[str, Entity]

    def mentions(self, text: str) -> list[Entity]:
        """The entities ``text`` names, longest match first, each once."""
        return list(_mentions(self, text))

    def find(self, text: str) -> tuple[Entity, ...]:
        tokens = _TOKEN.findall(fold(text))  # curly apostrophes as straight ones
        keys = [_word(t) for t in tokens]
        found: dict[str, Entity] = {}
        i = 0
        while i < len(keys):
            raw = tokens[i].rstrip("s") if tokens[i][:-1].isupper() and tokens[i].endswith("s") else tokens[i]
            if raw in self.acronyms:
                entity = self.acronyms[raw]
                found.setdefault(entity.name, entity)
                i += 1
                continue
            for words, entity in self.by_first.get(keys[i], ()):
                if tuple(keys[i : i + len(words)]) == words:
                    found.setdefault(entity.name, entity)
                    i += len(words) - 1
                    break
            i += 1
        return tuple(found.values())


@lru_cache(maxsize=4096)
def _mentions(vocab: Vocabulary, text: str) -> tuple[Entity, ...]:
    return vocab.find(text)


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    data = json.loads(_DATA.read_text(encoding="utf-8"))["entities"]
    canonical: dict[frozenset[str], Entity] = {}
    by_first: dict[str, list[tuple[tuple[str, ...], Entity]]] = {}
    acronyms: dict[str, Entity] = {}
    same = {frozenset(phrase_key(n)): group[0] for group in _SAME for n in group}

    def add(surface: str, entity: Entity) -> None:
        words = tuple(phrase_key(surface))
        if words:
            by_first.setdefault(words[0], []).append((words, entity))

    for name, entry in data.items():
        words = frozenset(phrase_key(name))
        head = same.get(words, name)
        key = frozenset(phrase_key(head))
        entity = canonical.setdefault(key, Entity(head, str(entry["class"]), key))
        add(name, entity)
        for alias in entry.get("acronyms", []):
            if len(alias) >= 2:
                acronyms[alias] = entity
    for group in _SAME:
        key = frozenset(phrase_key(group[0]))
        entity = canonical.setdefault(key, Entity(group[0], "cohort", key))
        for name in group:
            add(name, entity)
    for entries in by_first.values():
        entries.sort(key=lambda item: len(item[0]), reverse=True)
    return Vocabulary(by_first, acronyms)


def _related(a: Entity, b: Entity) -> bool:
    """One name is the other with words added ("safeguarding hub", "multi-agency safeguarding hub")."""
    return a.words <= b.words or b.words <= a.words


def swaps(claim: str, passage: str) -> list[tuple[Entity, Entity]]:
    """(named by the claim, named instead by the passage) pairs of one class; empty when none."""
    vocab = vocabulary()
    return _swapped(vocab.mentions(claim), vocab.mentions(passage))


def _swapped(in_claim: Sequence[Entity], in_passage: Sequence[Entity]) -> list[tuple[Entity, Entity]]:
    """For each entity the claim names that the passage does not, the passage's first entity of its
    class that the claim does not name either."""
    out = []
    for said in in_claim:
        if any(_related(said, p) for p in in_passage):
            continue
        for other in in_passage:
            if other.cls == said.cls and not any(_related(other, c) for c in in_claim):
                out.append((said, other))
                break
    return out


def unmatched(claim: str, passage: str) -> list[Entity]:
    """Entities the claim names and the passage does not (nor a longer or shorter form of them)."""
    vocab = vocabulary()
    in_passage = vocab.mentions(passage)
    return [e for e in vocab.mentions(claim) if not any(_related(e, p) for p in in_passage)]


# Heads that name who on their own, without a mined name ("managers", "elected members"); the
# generic groups ("children", "young people", "families") are left to the mined cohorts.
_BARE_HEADS = CLASS_HEADS["unit"] | CLASS_HEADS["role"] | {"leaver", "parent", "sibling", "adolescent"}
_HEAD_CLASS = {head: cls for cls, heads in CLASS_HEADS.items() for head in heads}


@lru_cache(maxsize=4096)
def named(text: str) -> tuple[Entity, ...]:
    """Who ``text`` names: the mined vocabulary's entities, and any phrase of up to two words before
    a class head noun ("throughcare teams", "elected members", "police managers", "managers"), since a
    passage often names a team or role too rare across reports to be mined."""
    from service.answers.lexicon import STOPWORDS

    found = {e.words: e for e in vocabulary().mentions(text)}
    tokens = _TOKEN.findall(fold(text))
    for i, token in enumerate(tokens):
        head = _word(token)
        if head not in _BARE_HEADS:
            continue
        start = i
        while start > max(0, i - 2) and _modifier(tokens[start - 1], STOPWORDS):
            start -= 1
        words = frozenset(_word(t) for t in tokens[start : i + 1])
        found.setdefault(words, Entity(" ".join(tokens[start : i + 1]).lower(), _HEAD_CLASS[head], words))
    return tuple(found.values())


def _modifier(token: str, stopwords: frozenset[str]) -> bool:
    """A word that can name a kind of team or role: a noun ("throughcare", "police"), or an
    adjective or participle that the mined names use ("senior", "elected"); not a verb, an adverb, a
    function word or a describing word that no name of the reports holds ("get", "recently",
    "introduced service", "experienced managers": the same service or managers, described)."""
    word = token.lower().split("'")[0]
    if word in stopwords or _word(word) in _DROP or not word.isalpha():
        return False
    tags = set(getAllLemmas(word)) or {"NOUN"}  # a word the lexicon lacks: a name ("throughcare")
    if "NOUN" in tags or "PROPN" in tags:
        return not word.endswith("ed") or _word(word) in _name_words()
    return _word(word) in _name_words()


@lru_cache(maxsize=1)
def _name_words() -> frozenset[str]:
    """Every word (as a lemma) of a mined name: the modifiers the reports do name teams,
    roles and groups by."""
    return frozenset(w for entries in vocabulary().by_first.values() for words, _ in entries for w in words)


def local_swaps(clause: str, unit: str) -> list[tuple[Entity, Entity]]:
    """``swaps`` between a clause and the one passage unit it copies, with every name ``named``
    finds: a claim that puts the passage's own "assessment teams" where this sentence says
    "throughcare teams" names someone the passage has, but not here."""
    return _swapped(named(clause), named(unit))
