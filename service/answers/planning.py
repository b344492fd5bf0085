"""From what a question says to which reports to search: the catalogue and the retrieval plan.

The index holds several inspections of most councils (2014, 2018, 2022, ...). "Hull's inspection
in November 2022" means the report *published* in January 2023; "its 2019 inspection" may mean a
report published in early 2020. ``Catalogue`` knows every report's council, publication date and
inspection dates and matches a ``YearMention`` against both. ``plan`` turns a ``QueryIntent`` plus
explicit ``Filters`` into ``Target`` groups (one per council and year for comparisons), or into a
plain reason to abstain when the question names a place or a year the index has no report for.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from inspectqa.errors import UnknownFilter
from service.answers.aliases import ABOLISHED, Gazetteer
from service.answers.query import QueryIntent
from service.answers.records import Filters
from service.answers.when import YearMention, pick_relative


@dataclass(frozen=True)
class ReportInfo:
    """What planning needs of a report (a subset of the index's ``ReportMeta``)."""

    report_id: str
    local_authority: str
    key: str  # normalised council name
    published: date | None
    inspection_start: date | None
    inspection_end: date | None
    source_url: str | None = None

    @property
    def inspection_year(self) -> int | None:
        if self.inspection_end:
            return self.inspection_end.year
        if self.inspection_start:
            return self.inspection_start.year
        return None

    @property
    def label_year(self) -> int | None:
        """The year people call this inspection by: when inspectors visited, else publication."""
        return self.inspection_year or (self.published.year if self.published else None)


@dataclass(frozen=True)
class Target:
    """One group of reports to search and answer for, e.g. "Barnet, 2017 inspection"."""

    report_ids: tuple[str, ...] | None  # None: the whole index
    council: str | None = None  # display name
    year: int | None = None


@dataclass(frozen=True)
class Plan:
    targets: tuple[Target, ...]
    abstain_reason: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def report_ids(self) -> tuple[str, ...] | None:
        if any(t.report_ids is None for t in self.targets):
            return None
        return tuple(dict.fromkeys(r for t in self.targets for r in t.report_ids or ()))


# Words that make a judgement question one across councils ("were any judged outstanding",
# "is anywhere outstanding for care leavers", "most london boroughs"): quantifiers and the plural
# nouns for councils, not the name of one.
_ACROSS_COUNCILS = re.compile(
    r"\b(?:any|anywhere|all|every|each|most|many|some|councils|authorities|boroughs|counties|"
    r"areas|las|nationally|england|country|countrywide)\b",
    re.I,
)


def _one_councils_grade(intent: QueryIntent) -> bool:
    """Whether a judgement question asks one council's grade, not a survey across councils
    ("which councils were outstanding", "how many were inadequate", "were any ...")."""
    text = intent.question
    for region in intent.regions:  # "the Black Country" is one area, not the whole "country"
        text = re.sub(re.escape(region), " ", text, flags=re.I)
    return (
        intent.ask is None
        and not (intent.asks_which_council or intent.asks_which_councils or intent.is_comparison)
        and not _ACROSS_COUNCILS.search(text)
    )


def _iso(value: object) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


class Catalogue:
    """The index's reports by council, oldest first, with the names a question may use."""

    def __init__(self, reports: Iterable[object]) -> None:
        infos: list[ReportInfo] = []
        for meta in reports:
            name = str(getattr(meta, "local_authority", "") or "")
            infos.append(
                ReportInfo(
                    report_id=str(getattr(meta, "report_id")),  # noqa: B009 - duck-typed ReportMeta
                    local_authority=name,
                    key="",
                    published=_iso(getattr(meta, "publication_date", None)),
                    inspection_start=_iso(getattr(meta, "inspection_start", None)),
                    inspection_end=_iso(getattr(meta, "inspection_end", None)),
                    source_url=getattr(meta, "source_url", None),
                )
            )
        self.gazetteer = Gazetteer(info.local_authority for info in infos if info.local_authority)
        self.by_id: dict[str, ReportInfo] = {}
        self.by_key: dict[str, list[ReportInfo]] = defaultdict(list)
        for info in infos:
            keys = self.gazetteer.resolve(info.local_authority) if info.local_authority else ()
            key = keys[0] if keys else info.local_authority.lower()
            full = ReportInfo(
                report_id=info.report_id,
                local_authority=self.gazetteer.display(key) if keys else info.local_authority,
                key=key,
                published=info.published,
                inspection_start=info.inspection_start,
                inspection_end=info.inspection_end,
                source_url=info.source_url,
            )
            self.by_id[full.report_id] = full
            self.by_key[key].append(full)
        for reports_of in self.by_key.values():
            reports_of.sort(key=lambda r: (r.published or date.min, r.report_id))

    def __len__(self) -> int:
        return len(self.by_id)

    def council_reports(self, key: str) -> list[ReportInfo]:
        return list(self.by_key.get(key, ()))

    def all_reports(self) -> list[ReportInfo]:
        return sorted(self.by_id.values(), key=lambda r: (r.key, r.published or date.min))

    def resolve_council(self, name: str) -> tuple[str, ...]:
        """Keys for a council filter value, or ``UnknownFilter`` naming the nearest valid councils."""
        keys = self.gazetteer.resolve(name)
        if not keys:
            raise UnknownFilter(
                f"no local authority called {name!r} in the index",
                suggestions=self.gazetteer.suggestions(name),
            )
        return keys

    def check_report_id(self, report_id: str) -> str:
        if report_id in self.by_id:
            return report_id
        import difflib

        close = difflib.get_close_matches(report_id, list(self.by_id), n=3, cutoff=0.5)
        raise UnknownFilter(f"no report with id {report_id!r} in the index", suggestions=close)


def year_score(report: ReportInfo, mention: YearMention) -> int:
    """How well a report fits a year (and month) named in a question: 0 = not at all."""
    published = report.published
    year, month = mention.year, mention.month
    if month is not None:
        if mention.kind == "publication":
            return 3 if published and (published.year, published.month) == (year, month) else 0
        if report.inspection_start and report.inspection_end:
            first = (report.inspection_start.year, report.inspection_start.month)
            last = (report.inspection_end.year, report.inspection_end.month)
            if first <= (year, month) <= last:
                return 3
        if published:
            gap = (published.year - year) * 12 + published.month - month
            if 0 <= gap <= 3:
                return 2
            if published.year == year:
                return 1
        return 0
    if mention.kind == "publication":
        return 3 if published and published.year == year else 0
    if report.inspection_year == year:
        return 3
    if published and published.year == year:
        return 2
    if published and report.inspection_year is None and published.year == year + 1 and published.month <= 3:
        return 1
    return 0


def in_range(report: ReportInfo, year_from: int | None, year_to: int | None, basis: str = "either") -> bool:
    """Whether a report falls in a range of years: by its publication date, its inspection date,
    or (``"either"``, for explicit filters) whichever of the two does."""
    published = report.published.year if report.published else None
    if basis == "publication":
        candidates: tuple[int | None, ...] = (published,)
    elif basis == "inspection":
        candidates = (report.inspection_year or published,)
    else:
        candidates = (report.inspection_year, published)
    years = {y for y in candidates if y}
    if not years:
        return year_from is None and year_to is None
    return any((year_from is None or y >= year_from) and (year_to is None or y <= year_to) for y in years)


def pick_year(reports: Sequence[ReportInfo], mention: YearMention) -> list[ReportInfo]:
    scored = [(year_score(r, mention), r) for r in reports]
    best = max((s for s, _ in scored), default=0)
    return [r for s, r in scored if s == best and s > 0]


def relative_reports(
    reports: Sequence[ReportInfo], relative: str | None, anchor: YearMention | None = None
) -> list[ReportInfo]:
    """The report at a place among a council's reports (``service.answers.when.pick_relative``),
    stepping from the report of the ``anchor`` year when one is named."""
    anchored = None
    if anchor is not None:
        found = pick_year(reports, anchor)
        anchored = reports.index(found[0]) if found else None
    return pick_relative(reports, relative, anchored, anchor.year if anchor else None)


def _discussed(reports: Sequence[ReportInfo], intent: QueryIntent) -> list[ReportInfo]:
    """The report a conversation was about: of the year it named, at the place it named ("its
    previous inspection"), else the latest."""
    if intent.anchor is not None:
        return pick_year(reports, intent.anchor)[:1]
    if intent.discussed is not None:
        return pick_relative(reports, intent.discussed)
    return list(reports[-1:])


def _years_text(reports: Sequence[ReportInfo]) -> str:
    labels = []
    for report in reports:
        if report.published:
            labels.append(f"{report.published:%B %Y}")
    if not labels:
        return "none"
    return ", ".join(labels[:-1]) + (" and " if len(labels) > 1 else "") + labels[-1]


def plan(intent: QueryIntent, catalogue: Catalogue, filters: Filters | None = None) -> Plan:
    """Which reports to search for a question, grouped for answering, or why to abstain."""
    filters = filters or Filters()
    notes: list[str] = []
    allowed: set[str] | None = None
    if filters.report_id:
        allowed = {catalogue.check_report_id(r) for r in filters.report_id}
    filter_keys: list[str] = []
    for name in filters.local_authority:
        filter_keys.extend(k for k in catalogue.resolve_council(name) if k not in filter_keys)

    def permitted(report: ReportInfo) -> bool:
        if allowed is not None and report.report_id not in allowed:
            return False
        if filter_keys and report.key not in filter_keys:
            return False
        return in_range(report, filters.year_from, filters.year_to)

    keys = list(intent.council_keys)
    if filter_keys:
        chosen = [k for k in keys if k in filter_keys]
        keys = chosen or list(filter_keys)

    # "were any london boroughs judged outstanding": asked across councils, an area only narrows a
    # survey, which is planned over every report (the reports do not say which region a council is in).
    survey_of_area = set(intent.outside_places) <= set(intent.regions) and not _one_councils_grade(intent)
    if not keys and intent.outside_places and allowed is None and not survey_of_area:
        places = " and ".join(intent.outside_places)
        if set(intent.outside_places) <= set(intent.regions):
            # "South Yorkshire", "the North East": Ofsted inspects each council of such an area.
            reason = (
                f"{places} is an area of England, not a council: Ofsted inspects each council's "
                "children's services, and the reports are of councils."
            )
        else:
            reason = (
                f"{places} is not among the {len(catalogue.by_key)} English councils whose Ofsted "
                "children's services reports are indexed."
            )
        return Plan((), abstain_reason=reason)
    if intent.outside_places:
        notes.append(f"not in the index: {', '.join(intent.outside_places)}")
    if intent.abolished and not intent.is_judgement and allowed is None and not filter_keys:
        named = {p.key for p in intent.places}
        if len(intent.abolished) == 1 and named == set(catalogue.gazetteer.resolve(intent.abolished[0])):
            # "what were the main weaknesses in Cumbria's children's services": its successors'
            # reports describe the successors' services, not the abolished council's.
            council = intent.abolished[0]
            successors = " and ".join(catalogue.gazetteer.display(k) for k in sorted(named))
            return Plan(
                (),
                abstain_reason=(
                    f"{council.title()} County Council was abolished in {ABOLISHED[council]}; the "
                    f"indexed reports are of its successors, {successors}, and describe their services."
                ),
            )
    if intent.own_case:
        return Plan(
            (),
            abstain_reason=(
                "The reports are anonymised: they describe a council's services, never one child's "
                "or family's case."
            ),
        )
    if intent.other_inspection and allowed is None:
        # "what grade did St Mary's primary school get": a council's report never gives it.
        return Plan(
            (),
            abstain_reason=(
                "The indexed reports are Ofsted's inspections of councils' children's services; "
                f"they do not give the outcome of another inspection: {intent.other_inspection}."
            ),
        )

    if not keys and intent.is_judgement and _one_councils_grade(intent) and allowed is None:
        # "perth childrens services ofsted rating": a grade is one council's, and the question names
        # none the index holds (a town, a misspelt or made-up place); any council's grade would do.
        return Plan((), abstain_reason="The question names no council whose reports are indexed.")
    if not keys:
        reports = [
            r
            for r in catalogue.all_reports()
            if permitted(r) and in_range(r, intent.year_from, intent.year_to, intent.date_basis)
        ]
        if intent.years:
            reports = [r for r in reports if any(year_score(r, y) > 0 for y in intent.years)]
        everything = (
            allowed is None
            and not filter_keys
            and filters.year_from is None
            and filters.year_to is None
            and not intent.years
            and intent.year_from is None
            and intent.year_to is None
        )
        if not reports:
            return Plan((), abstain_reason="No indexed report matches the question's dates and filters.")
        ids = None if everything else tuple(r.report_id for r in reports)
        return Plan((Target(ids),), notes=tuple(notes))

    pairs = _pair_councils_and_years(intent, keys)
    targets: list[Target] = []
    missing: list[str] = []
    for key, mention in pairs:
        display = catalogue.gazetteer.display(key)
        reports = [
            r
            for r in catalogue.council_reports(key)
            if permitted(r) and in_range(r, intent.year_from, intent.year_to, intent.date_basis)
        ]
        if mention is not None:
            matching = pick_year(reports, mention)
            if not matching:
                missing.append(
                    f"The index holds no {display} report from {mention.year}"
                    f" (its reports were published {_years_text(catalogue.council_reports(key))})."
                )
                continue
            if intent.beside_discussed:
                # "How does that compare with 2022?": that year's report beside the one discussed.
                discussed = _discussed(reports, intent)
                matching = [r for r in reports if r in matching or r in discussed]
            reports = matching
        elif intent.relative:
            picked = relative_reports(reports, intent.relative, intent.anchor)
            if picked and intent.beside_discussed:
                # "How does that compare to the one before?": that one and the report discussed.
                base = _discussed(reports, intent)
                picked = [r for r in reports if r in picked or r in base]
            reports = picked
        elif (
            (intent.is_judgement or intent.asks_list)
            and len(reports) > 1
            and not intent.is_comparison
            and intent.year_from is None
            and intent.year_to is None
        ):
            # "What was X's judgement?", "What needs to improve in X?": as things stand, the latest.
            reports = reports[-1:]
            notes.append(f"no year given: using the latest {display} report")
        if not reports:
            missing.append(f"The index holds no {display} report that matches the question.")
            continue
        side_by_side = mention is None or intent.beside_discussed
        if side_by_side and intent.is_comparison and len(reports) > 1 and len(keys) == 1:
            targets.extend(Target((r.report_id,), display, r.label_year) for r in reports)
        else:
            year = mention.year if mention else (reports[0].label_year if len(reports) == 1 else None)
            targets.append(Target(tuple(r.report_id for r in reports), display, year))
    if not targets:
        return Plan((), abstain_reason=" ".join(missing) or "No indexed report matches the question.")
    notes.extend(missing)
    return Plan(tuple(_dedupe(targets)), notes=tuple(notes))


def _pair_councils_and_years(intent: QueryIntent, keys: list[str]) -> list[tuple[str, YearMention | None]]:
    years = list(dict.fromkeys((y.year, y.month, y.kind) for y in intent.years))
    mentions = [YearMention(year, month, kind) for year, month, kind in years]
    if not mentions:
        return [(key, None) for key in keys]
    if len(keys) > 1 and len(keys) == len(mentions):
        return list(zip(keys, mentions, strict=True))
    return [(key, mention) for key in keys for mention in mentions]


def _dedupe(targets: list[Target]) -> list[Target]:
    seen: set[tuple[str, ...] | None] = set()
    out = []
    for target in targets:
        if target.report_ids in seen:
            continue
        seen.add(target.report_ids)
        out.append(target)
    return out
