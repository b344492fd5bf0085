"""Mine the grounding checker's vocabulary of who-is-who from the reports themselves.

A claim that says "the police" where its passage says "the health trust", or "children in care" where
it says "care leavers", keeps every other word: the checker needs to know that these are members of the
same class (agencies, teams and panels, roles, groups of children), so that a swap reads as a
contradiction rather than one missing word. Nothing here is typed in by hand but the head nouns that
name a class; the members are what the reports write, counted across reports:

- **acronyms with their expansions**: "multi-agency safeguarding hub (MASH)", "independent reviewing
  officers (IROs)", matched letter by letter (Schwartz and Hearst's rule), each given the class of its
  expansion's head noun;
- **named units**: "the emergency duty team", "the corporate parenting panel", "the MET hub": up to three
  modifiers before a unit head noun (team, hub, panel, service, board, ...);
- **roles**: "independent reviewing officers", "personal advisers", "foster carers": modifiers before a
  role head noun;
- **cohorts**: "disabled children", "unaccompanied asylum-seeking children", "care leavers", "children
  in need", "children looked after": modifiers before, or a prepositional tail after, a head noun for
  children or young people;
- **agencies**: the members of lists that follow "partners" or "agencies" ("partners such as the police,
  health and schools");
- **coordinated names**: a modifier and a plural noun that the reports join by "and" or "or" to a
  name of people already mined ("elected members and senior leaders", "social workers and first-line
  managers"), in enough reports and in enough of its first word's uses, take that name's class (or
  their head noun's). The patterns above reject a participle as a modifier ("elected"), since before
  a group of children it is as often a verb. Bare plurals joined the same way ("managers",
  "adopters") were tried and not kept: as names of their own they lowered held-out accuracy, since
  a bare "managers" is what every kind of manager shares.

A phrase is kept when enough reports write it (``--min-reports``), and a shorter phrase is dropped
when a longer one holds nearly all its uses (it is a fragment). The result is a small JSON file that
``service.answers.grounding.entities`` reads; regenerate it with::

    python -m evals.mine_entities --corpus ../shared/corpus/ilacs \
        --out service/answers/grounding/data/entities.json
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from lemminflect import getAllLemmas

from service.answers.grounding.entities import CLASS_HEADS, phrase_key
from service.answers.grounding.facts import months, numbers
from service.answers.grounding.tokens import fold
from service.answers.lexicon import STOPWORDS

_ACRONYM = re.compile(r"((?:[A-Za-z][A-Za-z'-]*[ ,]+){1,8}?)\(([A-Z][A-Za-z]{1,7})\)")
_LIST = re.compile(
    r"\b(?:partners|partner agencies|agencies|professionals)\b,?\s+"
    r"(?:such as|including|from|like)\s+([^.;:()]{5,160})"
)
_TOKEN = re.compile(r"[a-z][a-z'-]*")
_PREPOSITIONS = frozenset({"in", "with", "on", "at", "looked", "leaving", "subject", "missing", "living"})
_TAIL_WORDS = frozenset({"of", "to", "from", "and", "after", "in", "on", "at", "with", "a"})
_COHORT_HEADS = ("children", "young_people")
# Words that qualify a group without naming a kind of it ("these children", "individual children").
_NOT_MODIFIERS = frozenset({"individual", "other", "more", "fewer", "many", "several", "whole", "new", "per"})
_CONNECTORS = frozenset({"and", "of", "to", "for", "from"})  # allowed inside a name, never at its ends
# Association: the share of a phrase's first word's uses that begin the phrase. "foster carers" is
# most of what "foster" is used for; "effective services" is a tiny part of "effective".
_MIN_SHARE = 0.08
_MIN_TAIL_SHARE = 0.04
_MIN_AGENCY_REPORTS = 4
# A coordinated name: the share of its first word's uses that are next to "and"/"or" and a mined
# name, and the share of those whose neighbour is of its class.
_MIN_COORDINATED_SHARE = 0.03
_MIN_CLASS_SHARE = 0.6
# The generic groups: entities.py leaves them to the mined cohorts ("children in need"), not bare.
_GENERIC = frozenset({"children", "young_people", "people", "families", "family", "child"})


def _tokens(text: str) -> list[str]:
    text = fold(text).lower().replace("young people", "young_people")
    return [t.strip("'-") for t in re.findall(r"[a-z_][a-z_'-]*", text)]


def _initials(words: list[str], acronym: str) -> int:
    """How many of ``words`` (counted from the end) spell ``acronym`` by their initials; 0 if none do."""
    letters = [ch.lower() for ch in acronym if ch.isupper()]
    if acronym.endswith("s") and len(letters) >= 2:
        acronym = acronym[:-1]
    i = len(letters) - 1
    for n, word in enumerate(reversed(words), start=1):
        parts = [p for p in word.split("-") if p]
        for part in reversed(parts):
            if i >= 0 and part[0].lower() == letters[i]:
                i -= 1
            elif part.lower() not in _CONNECTORS | {"the", "in", "with", "on"}:
                return 0
        if i < 0:
            return n if word.lower() not in _CONNECTORS else 0
    return 0


def class_of(phrase: str) -> str | None:
    """The class a phrase's head noun gives it (a cohort may also be "children" + a tail)."""
    words = phrase_key(phrase)
    if len(words) < 2:
        return None
    for cls, heads in CLASS_HEADS.items():
        if words[-1] in heads:
            return cls
    if words[0] in {"child", "people"} and words[1] in _PREPOSITIONS | {"look"}:
        return "cohort"
    return None


class _Counts:
    def __init__(self) -> None:
        self.words: Counter[str] = Counter()  # every word's uses
        self.uses: Counter[tuple[str, ...]] = Counter()  # every candidate's uses
        self.reports: Counter[tuple[str, ...]] = Counter()  # how many reports write each candidate
        self.agencies: Counter[str] = Counter()
        self.acronyms: dict[str, Counter[str]] = defaultdict(Counter)
        self.coordinated: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)  # class of neighbour
        self.coordinated_reports: Counter[tuple[str, ...]] = Counter()


def _count(counts: _Counts, text: str, heads: frozenset[str]) -> None:
    tokens = _tokens(text)
    counts.words.update(tokens)
    found: set[tuple[str, ...]] = set()
    for i, token in enumerate(tokens):
        if token in heads:  # up to three modifiers before a head noun
            for k in range(1, 4):
                if i - k < 0 or tokens[i - k] in STOPWORDS or not _modifier(tokens[i - k], token):
                    break
                found.add(tuple(tokens[i - k : i + 1]))
                counts.uses[tuple(tokens[i - k : i + 1])] += 1
        if token in _COHORT_HEADS and i + 1 < len(tokens) and tokens[i + 1] in _PREPOSITIONS:
            for k in range(2, 6):  # "children in need", "children subject to child protection plans"
                tail = tuple(tokens[i : i + k + 1])
                if len(tail) <= k or any(w in STOPWORDS and w not in _TAIL_WORDS for w in tail[2:]):
                    break
                if tail[-1] in _TAIL_WORDS - {"after"} or not _nounish(tail[-1]):
                    continue
                found.add(tail)
                counts.uses[tail] += 1
    counts.reports.update(found)
    flat = " ".join(fold(text).split())
    for match in _ACRONYM.finditer(flat):
        words = match.group(1).replace(",", " ").split()
        n = _initials(words, match.group(2))
        if n:
            acronym = match.group(2)
            acronym = acronym[:-1] if acronym.endswith("s") and acronym[-2].isupper() else acronym
            counts.acronyms[acronym][" ".join(words[-n:]).lower()] += 1
    items = set()
    for match in _LIST.finditer(flat):
        for item in re.split(r",\s*|\s+(?:and|or)\s+", match.group(1)):
            item = re.sub(
                r"^(?:the|a|an|local|their|other|including|particular the)\s+", "", item.strip().lower()
            )
            words = item.split()
            if 0 < len(words) <= 3 and not any(w in STOPWORDS or w.endswith("ing") for w in words):
                items.add(item)
    counts.agencies.update(items)


def _plural_noun(word: str) -> bool:
    """A plural noun that can name a group ("managers", "adopters"), not a verb's -s form alone."""
    if len(word) < 4 or not word.endswith("s") or word.endswith("ss") or word in STOPWORDS:
        return False
    lemmas = set(getAllLemmas(word)) or {"NOUN"}  # a word the lexicon lacks ("carers", "adopters")
    return "NOUN" in lemmas and not ({"VERB", "ADJ", "ADV"} & lemmas)


def _named(word: str) -> bool:
    """A modifier of a coordinated name: a noun, an adjective or a participle ("elected members")."""
    if word in STOPWORDS or word in _NOT_MODIFIERS or not word.isalpha():
        return False
    return bool({"NOUN", "ADJ", "PROPN"} & set(getAllLemmas(word))) or word.endswith("ed")


def _coordinated(counts: _Counts, text: str, known: dict[tuple[str, ...], str]) -> None:
    """Count the two-word names ("elected members") joined by "and"/"or" to a known name of people
    (a role or a cohort), with the known name's class."""
    tokens = _tokens(text)
    longest = max(map(len, known), default=0)
    found: set[tuple[str, ...]] = set()

    def known_at(start: int, step: int) -> str | None:
        for n in range(longest, 0, -1):  # the known name that ends (step -1) or starts (+1) here
            span = tuple(tokens[start - n + 1 : start + 1]) if step < 0 else tuple(tokens[start : start + n])
            if len(span) == n and span in known:
                return known[span]
        return None

    for i, token in enumerate(tokens):
        if token not in {"and", "or"} or i < 2 or i + 2 >= len(tokens):
            continue
        sides = (  # (modifier, plural noun) before the conjunction and a known name after, or the reverse
            ((tokens[i - 2], tokens[i - 1]), known_at(i + 1, 1)),
            ((tokens[i + 1], tokens[i + 2]), known_at(i - 1, -1)),
        )
        for phrase, cls in sides:
            if (
                cls in {"role", "cohort"}
                and _plural_noun(phrase[1])
                and _named(phrase[0])
                and not _GENERIC & set(phrase)
                and phrase not in known
            ):
                counts.coordinated[phrase][cls] += 1
                found.add(phrase)
    counts.coordinated_reports.update(found)


def _nounish(word: str) -> bool:
    return "NOUN" in getAllLemmas(word) or "PROPN" in getAllLemmas(word)


def _modifier(word: str, head: str) -> bool:
    """A word that can name a kind ("foster", "disabled", "emergency"), not a verb, month or figure.

    Before a group of children the test is stricter, since verbs take them as objects ("visit
    children", "helps children"): an adjective, a participle or a noun that is never a verb.
    """
    if (
        word in _NOT_MODIFIERS
        or not word[0].isalpha()
        or word in _COHORT_HEADS
        or months(word)
        or numbers(word)
    ):
        return False
    found = set(getAllLemmas(word.replace("-", "")) or {"NOUN": (word,)})
    if head in _COHORT_HEADS or head in {"families", "family", "parents", "babies"}:
        return "ADJ" in found or word.endswith("ed") or "-" in word or found <= {"NOUN", "PROPN"}
    return bool({"NOUN", "ADJ", "PROPN"} & found)


def _heads() -> frozenset[str]:
    forms = {"children", "young_people"}
    for cls in ("unit", "role", "cohort"):
        for head in CLASS_HEADS[cls]:
            forms.update({head, head + "s", head + "es"})
    forms.update({"families", "babies", "people"})
    return frozenset(forms - {"child", "people"})


def mine(documents: Iterable[str], min_reports: int) -> dict[str, dict[str, object]]:
    """Entities of the reports' text: name -> class, acronyms and how many reports write it."""
    counts = _Counts()
    heads = _heads()
    texts = list(documents)
    for text in texts:
        _count(counts, text, heads)
    kept: dict[tuple[str, ...], int] = {}
    for phrase, reports in counts.reports.items():
        if reports < min_reports:
            continue
        if phrase[0] in _COHORT_HEADS and phrase[1] in _PREPOSITIONS:
            # Each word of the tail must be a usual continuation of what comes before it.
            share = counts.uses[phrase] / max(1, counts.uses[phrase[:-1]])
            if len(phrase) == 2 or share < (_MIN_TAIL_SHARE if len(phrase) == 3 else 0.25):
                continue
        elif counts.uses[phrase] / max(1, counts.words[phrase[0]]) < _MIN_SHARE:
            continue
        if phrase[0] in _CONNECTORS or phrase[-1] in _CONNECTORS:
            continue
        kept[phrase] = reports
    entities: dict[str, dict[str, object]] = {}
    for phrase, reports in sorted(kept.items()):
        # A fragment of a longer kept phrase that holds most of its uses is not a name of its own.
        if any(
            len(o) > len(phrase) and _inside(phrase, o) and counts.uses[o] >= 0.8 * counts.uses[phrase]
            for o in kept
        ):
            continue
        name = " ".join(phrase).replace("young_people", "young people")
        cls = class_of(name)
        if cls is not None:
            entities[name] = {"class": cls, "reports": reports, "acronyms": []}
    for item, reports in counts.agencies.items():
        named = (
            class_of(item) is not None or item in entities or CLASS_HEADS["cohort"] & set(phrase_key(item))
        )
        if reports >= _MIN_AGENCY_REPORTS and not named:
            entities[item] = {"class": "agency", "reports": reports, "acronyms": []}
    known = {tuple(_tokens(name)): str(e["class"]) for name, e in entities.items()}
    for text in texts:
        _coordinated(counts, text, known)
    for phrase, classes in counts.coordinated.items():
        cls, same = classes.most_common(1)[0]
        uses = sum(classes.values())
        if (
            counts.coordinated_reports[phrase] < min_reports
            or uses < _MIN_COORDINATED_SHARE * counts.words[phrase[0]]
            or same < _MIN_CLASS_SHARE * uses
        ):
            continue
        name = " ".join(phrase)
        cls = class_of(name) or cls  # a role head ("members") decides; else the neighbours do
        reports = counts.coordinated_reports[phrase]
        entities.setdefault(name, {"class": cls, "reports": reports, "acronyms": []})
    for acronym, expansions in counts.acronyms.items():
        expansion, uses = expansions.most_common(1)[0]
        cls = class_of(expansion) or ("agency" if expansion in entities else None)
        if uses < 2 or cls is None:
            continue
        entry = entities.setdefault(expansion, {"class": cls, "reports": uses, "acronyms": []})
        acronyms = entry["acronyms"]
        assert isinstance(acronyms, list)
        acronyms.append(acronym)
    return dict(sorted(entities.items()))


def _inside(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    n = len(short)
    return any(long[i : i + n] == short for i in range(len(long) - n + 1))


def documents(corpus: Path) -> Iterable[str]:
    """Each loadable report's paragraphs, as one text a report."""
    from corpus import load_reports

    for report in load_reports(corpus, workers=2):
        yield "\n".join(p.text for p in report.paragraphs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus/ilacs"), help="Report folder.")
    parser.add_argument("--out", type=Path, default=Path("service/answers/grounding/data/entities.json"))
    parser.add_argument(
        "--min-reports", type=int, default=8, help="Keep phrases written by this many reports."
    )
    args = parser.parse_args()
    texts = list(documents(args.corpus))
    entities = mine(texts, args.min_reports)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "about": "Mined by evals/mine_entities.py from the reports; do not edit by hand.",
        "reports": len(texts),
        "min_reports": args.min_reports,
        "entities": entities,
    }
    args.out.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    counts = Counter(str(e["class"]) for e in entities.values())
    print(f"wrote {len(entities)} entities ({dict(counts)}) from {len(texts)} reports to {args.out}")


if __name__ == "__main__":
    main()
