"""Loading real reports: structure, offsets, cleaning, metadata and judgements checked against
what the PDFs say (read by hand), and every kind of bad file skipped with its reason."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

import pytest
from conftest import CORPUS

import corpus
from corpus.records import PAGE_SEPARATOR, Report, SourceFile
from inspectqa.errors import CorruptReport


def _source(report_id: str) -> SourceFile:
    sources = [source for source in corpus.scan_corpus(CORPUS) if source.report_id == report_id]
    assert len(sources) == 1, report_id
    return sources[0]


@functools.cache
def _report(report_id: str) -> Report:
    """A report of the shared corpus, loaded once for the module (records are frozen)."""
    return corpus.load_report(_source(report_id))


@pytest.fixture(scope="module")
def southend_2019() -> Report:
    return _report("southend-on-sea-2019-08-27")


@pytest.fixture(scope="module")
def southend_2016() -> Report:
    return _report("southend-on-sea-2016-07-07")


def _paragraph(report: Report, number: str) -> corpus.Paragraph:
    matches = [paragraph for paragraph in report.paragraphs if paragraph.number == number]
    assert matches, f"no paragraph {number}"
    return matches[0]


def test_offsets_are_exact(southend_2019: Report, southend_2016: Report) -> None:
    for report in (southend_2019, southend_2016):
        text = report.text
        assert text == PAGE_SEPARATOR.join(page.text for page in report.pages)
        for page in report.pages:
            assert text[page.offset : page.offset + len(page.text)] == page.text
        for paragraph in report.paragraphs:
            assert text[paragraph.start : paragraph.end] == paragraph.text
        for section in report.sections:
            assert 0 <= section.start <= section.end <= len(text)
        starts = [section.start for section in report.sections]
        assert starts == sorted(starts)


def test_numbered_paragraphs_and_sections_of_an_ilacs_report(southend_2019: Report) -> None:
    numbers = [p.number for p in southend_2019.paragraphs if p.number is not None]
    assert numbers == [str(n) for n in range(1, 47)]
    nineteen = _paragraph(southend_2019, "19")
    assert nineteen.text.startswith("19. Most children live in placements that meet their needs")
    assert nineteen.section == "The experiences and progress of children in care and care leavers"
    assert southend_2019.pages_between(nineteen.start, nineteen.end) == (5,)
    one = _paragraph(southend_2019, "1")
    assert one.section == "The experiences and progress of children who need help and protection"
    titles = {section.title: section.grade for section in southend_2019.sections}
    assert titles["The experiences and progress of children in care and care leavers"] == (
        "requires improvement to be good"
    )
    assert "What needs to improve" in titles
    bullets = [p for p in southend_2019.paragraphs if p.section == "What needs to improve"]
    assert [p.text[0] for p in bullets] == ["◼"] * 4
    assert bullets[3].text.endswith("public law outline (PLO) arrangements.")


def test_paragraph_running_over_a_page_break(southend_2019: Report) -> None:
    eight = _paragraph(southend_2019, "8")
    assert southend_2019.pages_between(eight.start, eight.end) == (3, 4)
    assert PAGE_SEPARATOR in eight.text
    assert southend_2019.locate(eight.start)[0] == 3
    assert eight.text.rstrip().endswith(
        "child protection planning where child in need work is not reducing risks quickly enough."
    )


def test_headers_page_numbers_and_hyphenation_cleaned(southend_2019: Report) -> None:
    text = southend_2019.text
    assert "\ufffe" not in text and "\r" not in text
    assert "too many children with longer-term plans are not made safe" in text
    assert "parental ill-health and/or substance misuse" in text
    for page in southend_2019.pages:
        assert not page.text.split("\n")[0].strip().isdigit(), page.number
    hull = _report("kingston-upon-hull-2023-01-13")
    for page in hull.pages[1:]:
        assert "Inspection of Hull local authority children’s services" not in page.text
        assert "14 to 25 November 2022" not in page.text


def test_single_inspection_framework_structure(southend_2016: Report) -> None:
    titles = {section.title: section.grade for section in southend_2016.sections}
    assert (
        titles["The experiences and progress of children who need help and protection"]
        == "requires improvement"
    )
    assert titles["Leadership, management and governance"] == "requires improvement"
    assert "Contents" in titles and "Recommendations 7" not in titles
    thirteen = _paragraph(southend_2016, "13")
    assert thirteen.text.startswith("13. The local authority recently remodelled its early help services.")
    assert thirteen.section == "The experiences and progress of children who need help and protection"
    assert southend_2016.locate(thirteen.start)[0] == 10
    # A wrapped sub-bullet with a superscript footnote marker between its halves.
    assert "― Two live in a residential special school, both of whom live outside the authority area" in (
        southend_2016.pages[5].text
    )


def test_metadata_of_a_manifest_report(southend_2019: Report) -> None:
    assert southend_2019.local_authority == "Southend-on-Sea"
    assert str(southend_2019.publication_date) == "2019-08-27"
    assert str(southend_2019.inspection_start) == "2019-07-15"
    assert str(southend_2019.inspection_end) == "2019-07-26"


def _grades(report_id: str) -> dict[str, str]:
    return {judgement.area: judgement.grade for judgement in _report(report_id).judgements}


@pytest.mark.parametrize(
    ("report_id", "expected"),
    [
        (
            "essex-2014-03-21",
            {
                "overall_effectiveness": "good",
                "impact_of_leaders": "good",
                "help_and_protection": "good",
                "children_in_care": "good",
                "care_leavers": "good",
                "adoption": "good",
                "lscb": "requires improvement",
            },
        ),
        (
            "durham-2019-10-21",
            {
                "overall_effectiveness": "requires improvement",
                "impact_of_leaders": "requires improvement",
                "help_and_protection": "requires improvement",
                "children_in_care_and_care_leavers": "good",
            },
        ),
        (
            "warrington-2015-05-12",
            {
                "overall_effectiveness": "requires improvement",
                "impact_of_leaders": "requires improvement",
                "help_and_protection": "requires improvement",
                "children_in_care": "good",
                "care_leavers": "good",
                "adoption": "good",
                "lscb": "requires improvement",
            },
        ),
        (
            "barnet-2024-07-23",
            {
                "overall_effectiveness": "good",
                "impact_of_leaders": "good",
                "help_and_protection": "good",
                "children_in_care": "outstanding",
                "care_leavers": "good",
            },
        ),
        ("kent-2013-08-23", {"overall_effectiveness": "adequate", "impact_of_leaders": "adequate"}),
        (
            "blackpool-2026-07-28",
            {
                "impact_of_leaders": "outstanding",
                "help_and_protection": "good",
                "children_in_care": "outstanding",
                "care_leavers": "outstanding",
            },
        ),
    ],
)
def test_every_judgement_of_each_era(report_id: str, expected: dict[str, str]) -> None:
    assert _grades(report_id) == expected


@pytest.mark.parametrize(
    ("report_id", "expected"),
    [
        (
            "bristol-2014-12-05",
            {"overall_effectiveness": "requires improvement", "care_leavers": "inadequate"},
        ),
        ("southend-on-sea-2016-07-07", {"overall_effectiveness": "requires improvement to be good"}),
        ("isles-of-scilly-2016-06-27", {"children_in_care": "not judged"}),
    ],
)
def test_single_judgements(report_id: str, expected: dict[str, str]) -> None:
    grades = _grades(report_id)
    assert {area: grades[area] for area in expected} == expected


def test_judgement_sentences_and_pages() -> None:
    hull = _report("kingston-upon-hull-2023-01-13")
    overall = next(j for j in hull.judgements if j.area == "overall_effectiveness")
    assert overall.grade == "requires improvement to be good" and overall.page == 1
    assert overall.text == "Overall effectiveness Requires improvement to be good"
    warrington = _report("warrington-2015-05-12")
    headline = next(j for j in warrington.judgements if j.area == "overall_effectiveness")
    assert headline.text == "The overall judgement is that children’s services require improvement"
    lscb = next(j for j in warrington.judgements if j.area == "lscb")
    assert lscb.page == 44 and lscb.text == "The Local Safeguarding Children Board requires improvement"


def _bad_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "bad"
    folder.mkdir()
    reports = CORPUS / "reports"
    good = (reports / "bexley-2018-08-20.pdf").read_bytes()
    shutil.copy(reports / "birmingham-2012-10-19.pdf", folder / "birmingham-2012-10-19.pdf")
    (folder / "bexley-2018-08-20.pdf").write_bytes(good)
    (folder / "zero.pdf").write_bytes(b"")
    (folder / "truncated.pdf").write_bytes(good[: len(good) // 3])
    (folder / "garbage.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    (folder / "notes.pdf").write_bytes(b"just some notes, not a pdf at all\n" * 20)
    (folder / "shopping.txt").write_text("Eggs, milk, bread and butter. " * 20)
    return folder


def test_bad_files_are_skipped_with_reasons(tmp_path: Path) -> None:
    folder = _bad_corpus(tmp_path)
    failures: list[corpus.LoadFailure] = []
    reports = list(corpus.load_reports(folder, failures))
    assert [report.report_id for report in reports] == ["bexley-2018-08-20"]
    reasons = {Path(failure.file).name: failure.error for failure in failures}
    assert reasons == {
        "birmingham-2012-10-19.pdf": "an HTML page saved with a .pdf name, not a PDF",
        "zero.pdf": "empty file (0 bytes)",
        "truncated.pdf": "corrupt or truncated PDF (pdfium could not parse it)",
        "garbage.pdf": "corrupt or truncated PDF (pdfium could not parse it)",
        "notes.pdf": "not a PDF (no %PDF- header)",
        "shopping.txt": "not an inspection report (no mention of Ofsted, inspection or children)",
    }
    for reason in reasons.values():
        assert "\n" not in reason


def test_load_report_raises_corrupt_report(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with pytest.raises(CorruptReport, match="empty file"):
        corpus.load_report(SourceFile(report_id="empty", path=empty, content_hash=""))


def test_load_reports_in_worker_processes_matches_one_process(tmp_path: Path) -> None:
    folder = _bad_corpus(tmp_path)
    for name in ("durham-2019-10-21.pdf", "blackpool-2026-07-28.pdf"):
        shutil.copy(CORPUS / "reports" / name, folder / name)
    serial_failures: list[corpus.LoadFailure] = []
    parallel_failures: list[corpus.LoadFailure] = []
    serial = list(corpus.load_reports(folder, serial_failures))
    parallel = list(corpus.load_reports(folder, parallel_failures, workers=2))
    assert [r.report_id for r in parallel] == [
        "bexley-2018-08-20",
        "blackpool-2026-07-28",
        "durham-2019-10-21",
    ]
    assert parallel == serial
    assert parallel_failures == serial_failures and len(parallel_failures) == 6


def test_manifest_rows_and_missing_folders(tmp_path: Path) -> None:
    from inspectqa.errors import CorpusNotFound

    with pytest.raises(CorpusNotFound, match="corpus folder not found"):
        corpus.scan_corpus(tmp_path / "nowhere")
    (tmp_path / "reports").mkdir()
    shutil.copy(CORPUS / "reports" / "bexley-2018-08-20.pdf", tmp_path / "reports" / "bexley-2018-08-20.pdf")
    (tmp_path / "manifest.csv").write_text(
        "report_id,file,local_authority,publication_date,overall_effectiveness\n"
        "bexley-2018-08-20,reports/bexley-2018-08-20.pdf,bexley,2018-08-20,data_unreadable\n"
        "gone-2020-01-01,reports/gone-2020-01-01.pdf,gone,not a date,\n"
    )
    sources = corpus.scan_corpus(tmp_path)
    assert [s.report_id for s in sources] == ["bexley-2018-08-20", "gone-2020-01-01"]
    assert sources[0].manifest_grades == {"overall_effectiveness": "data_unreadable"}
    assert sources[1].content_hash == "" and sources[1].publication_date is None
    failures: list[corpus.LoadFailure] = []
    [report] = corpus.load_reports(tmp_path, failures)
    assert report.local_authority == "Bexley" and str(report.publication_date) == "2018-08-20"
    # The manifest's noisy grade is a hint only: the report says outstanding.
    assert {j.area: j.grade for j in report.judgements}["overall_effectiveness"] == "outstanding"
    assert [(Path(f.file).name, f.error) for f in failures] == [("gone-2020-01-01.pdf", "file not found")]
    (tmp_path / "manifest.csv").write_text("id,file\nx,reports/x.pdf\n")
    with pytest.raises(CorpusNotFound, match="no report_id column"):
        corpus.scan_corpus(tmp_path)
