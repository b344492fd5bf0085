"""The realistic question sets of ``evals/data`` (USERS_SETS.md): they load with the gold loader,
keep the fixed split by council, cite only real reports, and quote those reports verbatim.
The blind set (``users-blind.jsonl``) is held out too, and on councils no other question set cites;
the second blind set (``users-blind2.jsonl``) is held out, on reports no other users file cites.
``users-tune-body.jsonl`` is more tuning questions, on tune-side councils, whose quotes come mostly
from the body of the report (page 3 or later) rather than its two-page summary.
``users-tune2.jsonl`` mirrors the second blind set's kinds of question on tune-side councils and on
reports no other users file cites, so that failures of that kind can be read without the blind set.

The quotes are checked against the real PDFs' pypdfium2 page text, the text ``check_users.py``
validates against; the full validation (with its boilerplate and novelty checks over every report)
is the command in USERS_SETS.md.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter

import pytest
from conftest import CORPUS, REPO, SHARED

from evals.gold import GoldQuestion, load_gold
from evals.users_text import checker_view, page_texts

DATA = REPO / "evals" / "data"
USERS = {"tune": DATA / "users-tune.jsonl", "heldout": DATA / "users-heldout.jsonl"}
SURVEYS = {"tune": DATA / "surveys-tune.jsonl", "heldout": DATA / "surveys-heldout.jsonl"}
BLIND = DATA / "users-blind.jsonl"
BLIND2 = DATA / "users-blind2.jsonl"
BODY = DATA / "users-tune-body.jsonl"
TUNE2 = DATA / "users-tune2.jsonl"
UNANS = DATA / "users-unans-tune.jsonl"
UNANS2 = DATA / "users-unans-tune2.jsonl"
STYLES = {"casual", "followup", "temporal", "formal", "unanswerable"}


def split_of(council_slug: str) -> str:
    """USERS_SETS.md's rule: heldout when sha1(slug) starts with a hex digit 0-5."""
    return "heldout" if hashlib.sha1(council_slug.encode()).hexdigest()[0] in "012345" else "tune"


def slug(report_id: str) -> str:
    return re.sub(r"-\d{4}-\d{2}-\d{2}$", "", report_id)


def cited(question: GoldQuestion) -> set[str]:
    return (
        set(question.report_ids)
        | set(question.complete_report_ids)
        | {e.report_id for e in question.evidence}
    )


@pytest.fixture(scope="module")
def manifest() -> dict[str, dict[str, str]]:
    with (CORPUS / "manifest.csv").open(encoding="utf-8", newline="") as handle:
        return {row["report_id"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def users() -> dict[str, list[GoldQuestion]]:
    return {side: load_gold(path) for side, path in USERS.items()}


@pytest.fixture(scope="module")
def blind() -> list[GoldQuestion]:
    return load_gold(BLIND)


@pytest.fixture(scope="module")
def blind2() -> list[GoldQuestion]:
    return load_gold(BLIND2)


@pytest.fixture(scope="module")
def body() -> list[GoldQuestion]:
    return load_gold(BODY)


@pytest.fixture(scope="module")
def tune2() -> list[GoldQuestion]:
    return load_gold(TUNE2)


@pytest.fixture(scope="module")
def unans() -> list[GoldQuestion]:
    return load_gold(UNANS)


@pytest.fixture(scope="module")
def unans2() -> list[GoldQuestion]:
    return load_gold(UNANS2)


@pytest.fixture(scope="module")
def shared_gold() -> list[GoldQuestion]:
    """``dev.jsonl`` and ``users-dev.jsonl``, where the checkout has them."""
    paths = [SHARED / "gold" / name for name in ("dev.jsonl", "users-dev.jsonl")]
    return [q for path in paths if path.is_file() for q in load_gold(path)]


@pytest.fixture(scope="module")
def surveys() -> dict[str, list[GoldQuestion]]:
    return {side: load_gold(path) for side, path in SURVEYS.items()}


def check_councils(questions: list[GoldQuestion], side: str, most: int) -> Counter[str]:
    """What every hand-written set keeps: unanswerable exactly when its style says so, a follow-up's
    history ending with the assistant's turn, every cited council on ``side`` of the split with at
    most ``most`` questions; returns the questions per council."""
    assert all((q.style == "unanswerable") == (not q.answerable) for q in questions)
    assert all(q.history and q.history[-1][0] == "assistant" for q in questions if q.style == "followup")
    per_council = Counter(s for q in questions for s in {slug(r) for r in cited(q)})
    assert per_council and {split_of(s) for s in per_council} == {side}
    assert max(per_council.values()) <= most, per_council.most_common(3)
    return per_council


def test_sizes_and_every_style_on_both_sides(users, surveys):
    assert sum(len(q) for q in users.values()) >= 160
    assert sum(len(q) for q in surveys.values()) >= 34
    for side, questions in users.items():
        styles = Counter(q.style for q in questions)
        assert set(styles) == STYLES, (side, styles)
        assert all((q.style == "unanswerable") == (not q.answerable) for q in questions)
        assert all(q.history and q.history[-1][0] == "assistant" for q in questions if q.style == "followup")
    for questions in surveys.values():
        assert questions and all(q.type == "survey" and q.style == "survey" and q.scope for q in questions)


def test_users_split_is_by_council_and_no_council_is_on_both_sides(users):
    councils = {side: {slug(r) for q in questions for r in cited(q)} for side, questions in users.items()}
    assert not councils["tune"] & councils["heldout"]
    for side, slugs in councils.items():
        assert {split_of(s) for s in slugs} == {side}, side
    assert len(councils["tune"] | councils["heldout"]) >= 50


def test_blind_set_is_heldout_on_councils_no_other_question_set_cites(blind, users):
    styles = Counter(q.style for q in blind)
    assert len(blind) >= 40
    assert {"followup", "temporal", "casual", "unanswerable"} <= set(styles), styles
    per_council = check_councils(blind, "heldout", 2)
    others = [q for questions in users.values() for q in questions]
    for gold in ("dev.jsonl", "users-dev.jsonl"):
        if (SHARED / "gold" / gold).is_file():
            others += load_gold(SHARED / "gold" / gold)
    assert not set(per_council) & {slug(r) for q in others for r in cited(q)}


def test_second_blind_set_is_heldout_on_reports_no_other_users_file_cites(blind2, blind, users, shared_gold):
    styles = Counter(q.style for q in blind2)
    assert len(blind2) >= 40
    assert {"followup", "temporal", "casual", "unanswerable"} <= set(styles), styles
    assert min(styles[s] for s in ("followup", "temporal")) >= 12, styles
    assert all(re.fullmatch(r"ub2-\d{2}", q.id) for q in blind2)
    check_councils(blind2, "heldout", 2)
    others = [q for questions in users.values() for q in questions] + blind + shared_gold
    reports = {r for q in blind2 for r in cited(q)}
    assert not reports & {r for q in others for r in cited(q)}
    years = {r[-10:-6] for r in reports}
    assert len(years) >= 8, sorted(years)


def test_body_set_is_tune_side_and_quotes_the_body(body, users, shared_gold):
    styles = Counter(q.style for q in body)
    assert len(body) >= 25
    assert set(styles) == STYLES, styles
    assert all(re.fullmatch(r"ut-b\d{2}", q.id) for q in body)
    assert all(not q.history for q in body if q.style != "followup")
    check_councils(body, "tune", 3)
    pages = [e.page for q in body for e in q.evidence]
    assert sum(page >= 3 for page in pages) >= 0.6 * len(pages), Counter(pages)
    # no quote repeats one of another users set or of dev.jsonl / users-dev.jsonl
    others = [q for questions in users.values() for q in questions] + shared_gold
    known = {_norm(e.quote) for q in others for e in q.evidence}
    assert not {_norm(e.quote) for q in body for e in q.evidence} & known


def test_tune2_set_mirrors_blind2_on_tune_side_reports_no_other_users_file_cites(
    tune2, blind2, blind, body, users, shared_gold
):
    styles = Counter(q.style for q in tune2)
    assert len(tune2) >= 30
    assert {"followup", "temporal", "casual", "unanswerable"} <= set(styles), styles
    assert min(styles[s] for s in ("followup", "temporal")) >= 12, styles
    assert all(re.fullmatch(r"ut2-\d{2}", q.id) for q in tune2)
    assert all(not q.history for q in tune2 if q.style != "followup")
    check_councils(tune2, "tune", 2)
    others = [q for questions in users.values() for q in questions] + blind + blind2 + body + shared_gold
    reports = {r for q in tune2 for r in cited(q)}
    assert not reports & {r for q in others for r in cited(q)}
    known = {_norm(e.quote) for q in others for e in q.evidence}
    assert not {_norm(e.quote) for q in tune2 for e in q.evidence} & known


def test_unanswerable_probe_is_tune_side_and_mostly_unanswerable(unans, users, blind, blind2, body, tune2):
    # USERS_SETS.md: about 40 unanswerable questions of many kinds, a few answerable controls of
    # the same shapes; every place named and every report cited on the tune side.
    assert sum(not q.answerable for q in unans) >= 40
    assert 10 <= sum(q.answerable for q in unans) <= 20
    assert all(re.fullmatch(r"uu-\d{2}", q.id) for q in unans)
    assert any(q.history for q in unans if not q.answerable)  # follow-ups that move off the reports
    check_councils(unans, "tune", 3)
    heldout = {slug(r) for q in users["heldout"] + blind + blind2 for r in cited(q)}
    assert not {slug(r) for q in unans for r in cited(q)} & heldout


def test_second_unanswerable_probe_is_tune_side_with_controls(unans2, users, blind, blind2, manifest):
    # USERS_SETS.md: kinds the first probe lacks, with answerable controls of the same shapes; every
    # cited council, and every place an unanswerable question names, on the tune side.
    from service.answers.aliases import Gazetteer, normalise_name

    assert sum(not q.answerable for q in unans2) >= 40
    assert sum(q.answerable for q in unans2) >= 12
    assert all(re.fullmatch(r"un2-\d{2}", q.id) for q in unans2)
    assert any(q.history for q in unans2 if not q.answerable)
    check_councils(unans2, "tune", 3)
    heldout = {slug(r) for q in users["heldout"] + blind + blind2 for r in cited(q)}
    assert not {slug(r) for q in unans2 for r in cited(q)} & heldout
    slugs = {normalise_name(row["local_authority"]): slug(rid) for rid, row in manifest.items()}
    gazetteer = Gazetteer(row["local_authority"] for row in manifest.values())
    for question in (q for q in unans2 if not q.answerable):
        text = " ".join([*(said for role, said in question.history if role == "user"), question.question])
        for place in gazetteer.find(text):
            typed = re.sub(r"[^a-z0-9]+", "-", text[place.start : place.end].lower()).strip("-")
            report_slug = slugs.get(place.key, typed) if place.known else typed
            assert "tune" in {split_of(typed), split_of(report_slug)}, (question.id, typed)


def test_ids_unique_across_all_files(users, surveys, blind, blind2, body, tune2, unans, unans2, shared_gold):
    sets = (
        users,
        surveys,
        {
            "blind": blind,
            "blind2": blind2,
            "body": body,
            "tune2": tune2,
            "unans": unans,
            "unans2": unans2,
            "shared": shared_gold,
        },
    )
    ids = [q.id for group in sets for questions in group.values() for q in questions]
    assert len(ids) == len(set(ids))


def test_every_cited_report_is_in_the_manifest(
    users, surveys, blind, blind2, body, tune2, unans, unans2, manifest
):
    for sets in (
        users,
        surveys,
        {"blind": blind, "blind2": blind2, "body": body, "tune2": tune2, "unans": unans, "unans2": unans2},
    ):
        for questions in sets.values():
            for question in questions:
                missing = cited(question) - set(manifest)
                assert not missing, (question.id, missing)


def test_survey_answer_sets(surveys):
    for questions in surveys.values():
        for question in questions:
            assert 2 <= len(question.report_ids) <= 8, question.id
            assert set(question.report_ids) <= set(question.answer_set)
            assert len(question.answer_set) == len(set(question.answer_set))
            # one quote per listed report, in the same order as report_ids
            assert [e.report_id for e in question.evidence] == list(question.report_ids), question.id
            if question.complete_report_ids:
                assert len(question.complete_report_ids) > 8, question.id


def test_checker_view_drops_only_complete_report_ids(tmp_path, surveys):
    out = tmp_path / "surveys.jsonl"
    assert checker_view(SURVEYS["heldout"], out) == len(surveys["heldout"])
    viewed = load_gold(out)
    assert [q.report_ids for q in viewed] == [q.report_ids for q in surveys["heldout"]]
    assert not any(q.complete_report_ids for q in viewed)
    assert any(q.complete_report_ids for q in surveys["heldout"])


def _norm(text: str) -> str:
    text = re.sub(r"-[ \t]*\r?\n[ \t]*", "-", text.lower())
    return re.sub(r"\s+", " ", text).strip()


def test_quotes_are_verbatim_on_their_page_and_key_facts_inside_them(
    users, surveys, blind, blind2, body, tune2, unans, unans2, manifest
):
    groups = (
        users,
        surveys,
        {"blind": blind, "blind2": blind2, "body": body, "tune2": tune2, "unans": unans, "unans2": unans2},
    )
    questions = [q for sets in groups for qs in sets.values() for q in qs]
    wanted: dict[str, set[int]] = {}
    for question in questions:
        for evidence in question.evidence:
            wanted.setdefault(evidence.report_id, set()).update((evidence.page, evidence.page + 1))
    pages = {
        rid: [_norm(t) for t in page_texts(CORPUS / manifest[rid]["file"], numbers)]
        for rid, numbers in wanted.items()
    }
    for question in questions:
        quotes = []
        for evidence in question.evidence:
            quote = _norm(evidence.quote)
            text = pages[evidence.report_id]
            here = text[evidence.page - 1]
            # a quote may run on into the next page, as FORMAT.md allows
            following = text[evidence.page] if evidence.page < len(text) else ""
            position = (here + " " + following).find(quote)
            assert 0 <= position < len(here), (question.id, evidence.report_id, evidence.page)
            assert 10 <= len(quote.split()) <= 40, question.id
            quotes.append(quote)
        for fact in question.key_facts:
            assert any(_norm(fact) in quote for quote in quotes), (question.id, fact)
