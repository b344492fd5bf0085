"""Grade questions generated from the judgements table, asked through ``QAService`` and scored.

The hand-written sets hold a dozen or so grade questions; this builds hundreds, from structured
truth: each council's inspections in publication order with their grades (``QAService.
council_timeline``). A small grammar writes each question in one **family** (how the inspection is
picked: ``latest``, ``previous``, ``earliest``, ``second``, ``in_year``, ``since_year``,
``before_year``, and two-turn follow-ups ``fu_before``, ``fu_area``, ``fu_year``, ``fu_improved``,
``fu_compare``), about one **area** (overall effectiveness, children in care, care leavers, help and
protection, leaders), in one **form** (``formal``; ``casual``: lower case, no apostrophes, no
question mark; ``short``: casual with a county or borough short form ``service.answers.aliases``
knows; ``typo``: casual with two letters of the council's name swapped). A follow-up's first turn
and its answer are written from the truth, in the ``history`` format ``/ask`` and ``evals.gold`` use.

An answer **cites** when it cites every expected report (for a comparing follow-up, the inspection
it compares with; citing the one discussed as well is allowed); it is **only** right when it cites
no other report of that council; it states the **grade** when, for every expected report, a sentence citing
that report names the area and, as the first grade after it, the expected grade. Councils fall
into ``tune`` and ``heldout`` by ``evals/data/USERS_SETS.md``'s rule (sha1 of the council's slug).
Sampling is seeded: ``per_council`` questions per council, families cycled so each gets its share.
"""

from __future__ import annotations

import hashlib
import random
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from service.answers.aliases import ALIASES
from service.answers.judgements import grade_family
from service.answers.records import Turn

SINGLE = ("latest", "previous", "earliest", "second", "in_year", "since_year", "before_year")
FOLLOWUPS = ("fu_before", "fu_area", "fu_year", "fu_improved", "fu_compare")
FAMILIES = SINGLE + FOLLOWUPS
FORMS = ("formal", "casual", "short", "typo")
AREAS = (
    "overall_effectiveness",
    "children_in_care",
    "care_leavers",
    "help_and_protection",
    "impact_of_leaders",
)
# The rows that answer for an area when a report has no row of its own (2018-2023 reports grade
# children in care and care leavers together: ``service.answers.judgements.STANDS_IN``).
STAND_INS = {
    "children_in_care": ("children_in_care", "children_in_care_and_care_leavers"),
    "care_leavers": ("care_leavers", "children_in_care_and_care_leavers"),
}
# How people name each area (the sector's own words and abbreviations).
AREA_WORDS = {
    "overall_effectiveness": ("overall effectiveness", "overall", "overall ofsted"),
    "children_in_care": ("children in care", "CiC", "LAC", "looked after children"),
    "care_leavers": ("care leavers", "care leaver"),
    "help_and_protection": ("help and protection", "children who need help and protection"),
    "impact_of_leaders": ("leadership", "leaders", "impact of leaders"),
}
# How answers name each area, to find the sentence that states its grade.
AREA_IN_ANSWER = {
    # The single inspection framework states it as "Children's services in X are good".
    "overall_effectiveness": r"overall|children[’']s services\b|services for children\b",
    "children_in_care": r"children in care|looked after|children looked after",
    "care_leavers": r"care leavers",
    "help_and_protection": r"help and protection",
    "impact_of_leaders": r"leaders|leadership",
}
_GRADE = re.compile(r"\b(outstanding|good|requires? improvement|inadequate|adequate)\b", re.I)

# The grammar. {c}: the council as a subject, {cs}: its possessive, {area}: the area's words,
# {year}: a year. Follow-up turns: {area} is the second turn's area, {year} the second turn's year.
TEMPLATES = {
    "latest": (
        "What was {cs} latest {area} grade?",
        "What grade did {c} get for {area} at its most recent inspection?",
        "{cs} current Ofsted rating for {area}",
        "How was {area} judged at {cs} last inspection?",
        "{cs} {area} rating at its last Ofsted",
        "{c} latest Ofsted {area}",
    ),
    "previous": (
        "What was {cs} {area} grade at the inspection before its most recent one?",
        "What did {c} get for {area} at its previous inspection?",
        "{cs} {area} grade at the one before the latest inspection",
        "{cs} {area} grade at its last but one inspection",
        "How was {area} rated at {cs} penultimate inspection?",
    ),
    "earliest": (
        "What was {cs} {area} grade at its earliest inspection?",
        "How was {area} judged at {cs} first inspection?",
        "{cs} first ever Ofsted grade for {area}",
        "{cs} oldest inspection report: how was {area} rated?",
    ),
    "second": (
        "What was {cs} {area} grade at its second inspection?",
        "How was {area} judged at {cs} second inspection?",
        "{cs} {area} grade at the inspection after its first one",
    ),
    "in_year": (
        "What was {cs} {area} grade in {year}?",
        "How did Ofsted judge {area} in {c} in {year}?",
        "{c} {year} inspection: {area} grade",
        "How was {c} rated for {area} in the {year} Ofsted report?",
    ),
    "since_year": (
        "What grades has {c} had for {area} since {year}?",
        "How has {area} in {c} been judged since {year}?",
        "{c} {area} grades since {year}",
    ),
    "before_year": (
        "What was {cs} {area} grade at its last inspection before {year}?",
        "How was {area} judged at {cs} most recent inspection before {year}?",
    ),
}
FIRST_TURN = (
    "What was {cs} {area} grade at its {which} inspection?",
    "How was {area} judged at {cs} {which} inspection?",
)
FOLLOWUP_TURN = {
    "fu_before": (
        "and the one before?",
        "what about the inspection before that?",
        "and the previous one?",
        "and before that?",
        "what did they get the time before?",
    ),
    "fu_area": ("what about {area}?", "and for {area}?", "what did they get for {area}", "same for {area}?"),
    "fu_year": ("and in {year}?", "what about {year}?", "and the {year} one?", "what was it in {year}?"),
    "fu_improved": (
        "has it improved since?",
        "has it got better since then?",
        "did it improve at the next one?",
    ),
    "fu_compare": (
        "how does that compare to the previous one?",
        "is that better than the inspection before?",
        "any different from the previous inspection?",
    ),
}


@dataclass(frozen=True)
class Fact:
    """One report's grade for one area: what a right answer states and cites."""

    report_id: str
    area: str
    grade: str  # its family: "requires improvement", not "requires improvement to be good"


@dataclass(frozen=True)
class Inspection:
    report_id: str
    published: date
    year: int  # the year people call it by (inspection, else publication)
    grades: dict[str, str]  # area -> grade family

    def grade(self, area: str) -> str | None:
        return next((self.grades[a] for a in STAND_INS.get(area, (area,)) if a in self.grades), None)


@dataclass(frozen=True)
class GradeQuestion:
    id: str
    council: str  # the council's display name
    slug: str  # the report ids' council part: the split's key
    split: str  # "tune" or "heldout"
    family: str
    form: str
    area: str
    question: str
    history: tuple[Turn, ...]
    expected: tuple[Fact, ...]
    # Reports an answer may cite besides the expected ones: the inspection a comparing follow-up
    # measures against (the user has its grade already, so stating it again is not required).
    allowed: tuple[str, ...] = ()


def split_of(slug: str) -> str:
    """``evals/data/USERS_SETS.md``: heldout when sha1(slug) starts with 0-5, else tune."""
    return "heldout" if hashlib.sha1(slug.encode()).hexdigest()[0] in "012345" else "tune"


def slug_of(report_id: str) -> str:
    return re.sub(r"-\d{4}-\d{2}-\d{2}$", "", report_id)


def inspections(timeline: dict[str, Any]) -> list[Inspection]:
    """A ``council_timeline`` as graded inspections in publication order."""
    found = []
    for item in timeline["inspections"]:
        if not item["publication_date"] or not item["judgements"]:
            continue
        grades = {j["area"]: grade_family(j["grade"]) for j in item["judgements"]}
        published = date.fromisoformat(item["publication_date"])
        found.append(Inspection(item["report_id"], published, item["year"] or published.year, grades))
    return sorted(found, key=lambda i: (i.published, i.report_id))


class Grammar:
    """Writes one council's questions; every choice comes from ``rng``."""

    def __init__(self, name: str, key: str, rng: random.Random) -> None:
        self.name, self.key, self.rng = name, key, rng
        # Short forms that name this council alone ("hants", "rbkc"), not longer official names.
        self.shorts = sorted(a for a, t in ALIASES.items() if t == key and len(a) < len(key))

    def council(self, form: str) -> tuple[str, str] | None:
        """(subject, possessive) for ``form``, or None when the form does not apply."""
        name = self.name
        if form == "short":
            if not self.shorts:
                return None
            name = self.rng.choice(self.shorts)
        elif form == "typo":
            words = name.split()
            longest = max(range(len(words)), key=lambda i: len(words[i]))
            word = words[longest]
            if len(word) < 7:
                return None
            spots = [
                i for i in range(1, len(word) - 2) if word[i : i + 2].isalpha() and word[i] != word[i + 1]
            ]
            at = self.rng.choice(spots)
            words[longest] = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
            name = " ".join(words)
        if form == "formal":
            return name, name + ("'" if name.endswith("s") else "'s")
        name = name.lower()
        # "derbys" is Derbyshire's short form, not Derby's: such a possessive keeps its apostrophe.
        owner = name if name.endswith("s") else name + "s"
        return name, owner if owner not in ALIASES else name + "'s"

    def area_words(self, area: str) -> str:
        return self.rng.choice(AREA_WORDS[area])

    def write(
        self, template: str, form: str, area: str, year: int | None = None, which: str = ""
    ) -> str | None:
        names = self.council(form)
        if names is None:
            return None
        if form != "formal":
            template = casual(template)  # before the names go in: "derby's" keeps its apostrophe
        text = template.format(c=names[0], cs=names[1], area=self.area_words(area), year=year, which=which)
        return text[0].upper() + text[1:] if form == "formal" else text


def casual(text: str) -> str:
    """As people type: lower case (abbreviations kept), no apostrophes, no question mark."""
    words = [w if w in ("CiC", "LAC") else w.lower() for w in text.split()]
    return " ".join(words).replace("'", "").rstrip("?").strip()


def said(council: str, inspection: Inspection, area: str) -> str:
    """The assistant turn of a follow-up's history: the first answer, written from the truth."""
    words = {"overall_effectiveness": "overall effectiveness", "impact_of_leaders": "the impact of leaders"}
    grade = inspection.grade(area)
    when = inspection.published.strftime("%d %B %Y").lstrip("0")
    return (
        f"At its {inspection.year} inspection of {council} (report published {when}), Ofsted judged "
        f"{words.get(area, area.replace('_', ' '))} {grade}."
    )


def _pick(rng: random.Random, graded: Iterable[str]) -> str | None:
    areas = [a for a in AREAS if a in set(graded)]
    # Overall effectiveness is what most people ask: weighted as much as the rest together.
    if not areas:
        return None
    if "overall_effectiveness" in areas and rng.random() < 0.5:
        return "overall_effectiveness"
    return rng.choice(areas)


def _areas(*targets: Inspection) -> list[str]:
    return [a for a in AREAS if all(t.grade(a) for t in targets)]


def _unique_years(graded: Sequence[Inspection]) -> dict[int, Inspection]:
    """Years that name one inspection unambiguously: inspected and published that year, alone."""
    count: dict[int, int] = defaultdict(int)
    for i in graded:
        count[i.published.year] += 1
        if i.year != i.published.year:
            count[i.year] += 1
    return {i.year: i for i in graded if i.year == i.published.year and count[i.year] == 1}


def _single(
    family: str, graded: Sequence[Inspection], rng: random.Random
) -> tuple[list[Inspection], int | None]:
    n = len(graded)
    if family == "latest":
        return [graded[-1]], None
    if family == "previous" and n >= 2:
        return [graded[-2]], None
    if family == "earliest" and n >= 2:
        return [graded[0]], None
    if family == "second" and n >= 3:
        return [graded[1]], None
    if family == "in_year":
        years = _unique_years(graded)
        if years:
            year = rng.choice(sorted(years))
            return [years[year]], year
    if family == "since_year" and n >= 3:
        start = rng.randrange(1, n - 1)
        year = graded[start].published.year
        if graded[start - 1].published.year < year:
            return list(graded[start:]), year
    if family == "before_year" and n >= 2:
        end = rng.randrange(1, n)
        year = graded[end].published.year
        if graded[end - 1].published.year < year and graded[end - 1].year < year:
            return [graded[end - 1]], year
    return [], None


def generate_for(
    name: str, key: str, graded: Sequence[Inspection], per_council: int, seed: int
) -> list[GradeQuestion]:
    """Up to ``per_council`` questions about one council, families in a seeded order."""
    rng = random.Random(f"{seed}:{key}")
    grammar = Grammar(name, key, rng)
    slug = slug_of(graded[-1].report_id) if graded else key
    families = list(FAMILIES)
    rng.shuffle(families)
    made: list[GradeQuestion] = []
    for family in families:
        if len(made) >= per_council:
            break
        form = rng.choice(FORMS)
        if grammar.council(form) is None:
            form = "casual"
        built = (
            _followup(family, grammar, graded, form)
            if family in FOLLOWUPS
            else _one(family, grammar, graded, form)
        )
        if built is None:
            continue
        question, history, area, expected, allowed = built
        qid = f"g-{slug}-{len(made) + 1}"
        made.append(
            GradeQuestion(
                qid, name, slug, split_of(slug), family, form, area, question, history, expected, allowed
            )
        )
    return made


Built = tuple[str, tuple[Turn, ...], str, tuple[Fact, ...], tuple[str, ...]]


def _facts(targets: Sequence[Inspection], area: str) -> tuple[Fact, ...]:
    return tuple(Fact(t.report_id, area, t.grade(area) or "") for t in targets)


def _one(family: str, grammar: Grammar, graded: Sequence[Inspection], form: str) -> Built | None:
    targets, year = _single(family, graded, grammar.rng)
    area = _pick(grammar.rng, _areas(*targets)) if targets else None
    if area is None:
        return None
    question = grammar.write(grammar.rng.choice(TEMPLATES[family]), form, area, year)
    return (question, (), area, _facts(targets, area), ()) if question else None


def _followup(family: str, grammar: Grammar, graded: Sequence[Inspection], form: str) -> Built | None:
    rng, n = grammar.rng, len(graded)
    latest = n - 1
    first_at, second_year = latest, None
    if family == "fu_before" and n >= 2:
        first_at = rng.choice([latest, latest - 1]) if n >= 3 else latest
        targets = [graded[first_at - 1]]
    elif family == "fu_area":
        targets = [graded[latest]]
    elif family == "fu_year" and n >= 2:
        years = {y: i for y, i in _unique_years(graded).items() if i is not graded[latest]}
        if not years:
            return None
        second_year = rng.choice(sorted(years))
        targets = [years[second_year]]
    elif family == "fu_improved" and n >= 2:
        # "Since": measured at the next inspection (``service.answers.query._carry_dates``).
        first_at = rng.randrange(0, latest)
        targets = [graded[first_at + 1]]
    elif family == "fu_compare" and n >= 2:
        targets = [graded[latest - 1]]
    else:
        return None
    first = graded[first_at]
    first_area = _pick(rng, _areas(first, *targets))
    if first_area is None:
        return None
    area = first_area
    if family == "fu_area":
        others = [a for a in _areas(first) if a != first_area and not _same_row(first, a, first_area)]
        if not others:
            return None
        area = rng.choice(others)
    which = "latest" if first_at == latest else f"{first.year}"
    opening = grammar.write(rng.choice(FIRST_TURN), form, first_area, which=which)
    if opening is None:
        return None
    history = (Turn("user", opening), Turn("assistant", said(grammar.name, first, first_area)))
    turn = rng.choice(FOLLOWUP_TURN[family]).format(area=grammar.area_words(area), year=second_year)
    if form == "formal":
        turn = turn[0].upper() + turn[1:]
    return turn, history, area, _facts(targets, area), (first.report_id,)


def _same_row(inspection: Inspection, a: str, b: str) -> bool:
    """Whether two areas read the same row (children in care and care leavers graded together)."""
    rows = [next((r for r in STAND_INS.get(x, (x,)) if r in inspection.grades), None) for x in (a, b)]
    return rows[0] == rows[1]


def generate(
    service: Any, per_council: int = 4, seed: int = 12, councils: int | None = None
) -> list[GradeQuestion]:
    """Questions about every council of the index (or the first ``councils``), ``per_council`` each."""
    keys = sorted({info.key for info in service.reports()})[:councils]
    questions: list[GradeQuestion] = []
    for key in keys:
        timeline = service.council_timeline(key)
        graded = inspections(timeline)
        if graded:
            questions += generate_for(timeline["local_authority"], key, graded, per_council, seed)
    return questions


# --- asking and scoring -------------------------------------------------------------------------
@dataclass(frozen=True)
class GradeResult:
    question: GradeQuestion
    answer: str
    abstained: bool
    cited: tuple[str, ...]
    cites: bool  # every expected report cited
    only: bool  # no other report of the council cited
    grade: bool  # every expected grade stated, in a sentence citing its report
    seconds: float

    @property
    def right(self) -> bool:
        return self.cites and self.grade

    def record(self) -> dict[str, Any]:
        q = self.question
        return {
            **{k: v for k, v in asdict(q).items() if k not in ("history", "expected")},
            "history": [{"role": t.role, "content": t.content} for t in q.history],
            "expected": [asdict(f) for f in q.expected],
            "answer": self.answer,
            "abstained": self.abstained,
            "cited": list(self.cited),
            "cites": self.cites,
            "only": self.only,
            "grade": self.grade,
            "seconds": round(self.seconds, 3),
        }


def states(sentences: Sequence[tuple[str, set[str]]], fact: Fact) -> bool:
    """Whether a sentence citing ``fact``'s report names its area and then, first, its grade."""
    area = re.compile(AREA_IN_ANSWER[fact.area], re.I)
    for text, reports in sentences:
        if fact.report_id not in reports:
            continue
        for match in area.finditer(text):
            after = _GRADE.search(text, match.end())
            if after and grade_family(_family(after.group(1))) == fact.grade:
                return True
    return False


def _family(word: str) -> str:
    word = word.lower()
    return "requires improvement" if word.startswith("requir") else word


def score(question: GradeQuestion, answer: Any, seconds: float) -> GradeResult:
    by_n = {c.n: c.report_id for c in answer.citations}
    sentences = [(s.text, {by_n[n] for n in s.citations if n in by_n}) for s in answer.sentences]
    cited = tuple(dict.fromkeys(c.report_id for c in answer.citations))
    expected = {f.report_id for f in question.expected}
    own = {r for r in cited if slug_of(r) == question.slug}
    return GradeResult(
        question,
        answer.answer,
        bool(answer.abstained),
        cited,
        cites=expected <= set(cited),
        only=own <= expected | set(question.allowed),
        grade=not answer.abstained and all(states(sentences, f) for f in question.expected),
        seconds=seconds,
    )


def ask_all(service: Any, questions: Iterable[GradeQuestion]) -> list[GradeResult]:
    results = []
    for question in questions:
        started = time.perf_counter()
        answer = service.ask(question.question, history=list(question.history) or None)
        results.append(score(question, answer, time.perf_counter() - started))
    return results


def summarise(results: Sequence[GradeResult], by: str = "family") -> dict[str, dict[str, dict[str, float]]]:
    """{split: {group: {n, cites, only, grade, right, abstained}}}, with an "all" group and split."""
    table: dict[str, dict[str, list[GradeResult]]] = defaultdict(lambda: defaultdict(list))
    for result in results:
        group = str(getattr(result.question, by))
        for split in (result.question.split, "all"):
            table[split][group].append(result)
            table[split]["all"].append(result)
    return {
        split: {group: _figures(rows) for group, rows in sorted(groups.items())}
        for split, groups in sorted(table.items())
    }


def _figures(rows: Sequence[GradeResult]) -> dict[str, float]:
    n = len(rows)
    return {
        "n": n,
        "cites": round(sum(r.cites for r in rows) / n, 3),
        "only": round(sum(r.only for r in rows) / n, 3),
        "grade": round(sum(r.grade for r in rows) / n, 3),
        "right": round(sum(r.right for r in rows) / n, 3),
        "abstained": round(sum(r.abstained for r in rows) / n, 3),
    }


def render(summary: dict[str, dict[str, dict[str, float]]], by: str = "family") -> str:
    """A markdown table: one row per group, tune and heldout side by side."""
    groups = sorted({g for split in summary.values() for g in split}, key=lambda g: (g == "all", g))
    head = f"| {by} | tune n | tune cites | tune grade | heldout n | heldout cites | heldout grade |"
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|"]
    for group in groups:
        cells = []
        for split in ("tune", "heldout"):
            row = summary.get(split, {}).get(group)
            cells += [str(row["n"]), f"{row['cites']:.2f}", f"{row['grade']:.2f}"] if row else ["0", "", ""]
        lines.append(f"| {group} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run(
    service: Any, per_council: int = 6, seed: int = 12, councils: int | None = None, split: str = "all"
) -> tuple[list[GradeResult], dict[str, Any]]:
    """Generate, ask and score; the figures by family, form and area (``metrics.json``)."""
    questions = [q for q in generate(service, per_council, seed, councils) if split in ("all", q.split)]
    started = time.perf_counter()
    results = ask_all(service, questions)
    metrics: dict[str, Any] = {
        "primary": "right",
        "per_council": per_council,
        "seed": seed,
        "seconds": round(time.perf_counter() - started, 1),
    }
    for by in ("family", "form", "area"):
        metrics[f"by_{by}"] = summarise(results, by)
    return results, metrics
