"""Plain folders (no manifest): real reports as .pdf, and the same reports written out as .html
and .txt, with metadata inferred from their text; and the rest of the bad-file kinds."""

from __future__ import annotations

import io
import shutil
import textwrap
from html import escape
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pytest
from conftest import CORPUS

import corpus
from corpus import metadata
from corpus.records import PAGE_SEPARATOR, Report


def _manifest_report(report_id: str) -> Report:
    source = next(s for s in corpus.scan_corpus(CORPUS) if s.report_id == report_id)
    return corpus.load_report(source)


def _as_html(report: Report) -> str:
    """The report as a web page: headings, paragraphs and bullet lists as a browser shows them."""
    body = ["<html><head><title>Report</title><style>p {margin: 0}</style></head><body>"]
    body.append("<nav><a href='/'>Home</a> | <a href='/reports'>Reports</a></nav>")
    section = None
    for paragraph in report.paragraphs:
        if paragraph.section != section:
            section = paragraph.section
            body.append(f"<h2>{escape(section)}</h2>")
        text = paragraph.text.replace("\n\n", " ")
        if text.startswith("◼"):
            body.append(f"<ul><li>{escape(text[1:].strip())}</li></ul>")
        else:
            body.append(f"<p>{escape(text)}</p>")
    body.append("<script>var tracking = 'not text';</script></body></html>")
    return "\n".join(body)


def _as_text(report: Report) -> str:
    """The report as a plain-text file: wrapped at 78 columns, blank lines between paragraphs,
    a form feed between pages."""
    pages = []
    for page in report.pages:
        blocks = [textwrap.fill(block, 78) for block in page.text.split("\n")]
        pages.append("\n\n".join(blocks))
    return "\n\f".join(pages)


@pytest.fixture(scope="module")
def plain_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("plain")
    shutil.copy(CORPUS / "reports" / "southend-on-sea-2019-08-27.pdf", folder / "southend.pdf")
    shutil.copy(CORPUS / "reports" / "barnet-2017-07-07.pdf", folder / "barnet-2017-07-07.pdf")
    (folder / "hull.html").write_text(_as_html(_manifest_report("kingston-upon-hull-2023-01-13")))
    (folder / "blackpool.txt").write_text(_as_text(_manifest_report("blackpool-2026-07-28")))
    (folder / "notes.md").write_text("not a report format")
    return folder


def test_scan_plain_folder(plain_folder: Path) -> None:
    sources = corpus.scan_corpus(plain_folder)
    assert [source.report_id for source in sources] == ["barnet-2017-07-07", "blackpool", "hull", "southend"]
    assert all(len(source.content_hash) == 64 for source in sources)
    assert all(source.local_authority is None for source in sources)


def test_metadata_inferred_from_text(plain_folder: Path) -> None:
    failures: list[corpus.LoadFailure] = []
    reports = {report.report_id: report for report in corpus.load_reports(plain_folder, failures)}
    assert failures == []
    southend = reports["southend"]
    assert southend.local_authority == "Southend-on-Sea"
    assert str(southend.inspection_start) == "2019-07-15" and str(southend.inspection_end) == "2019-07-26"
    assert southend.publication_date is None  # not stated in the report, no date in the file name
    barnet = reports["barnet-2017-07-07"]
    assert barnet.local_authority == "Barnet"
    assert str(barnet.publication_date) == "2017-07-07"  # "Report published: 7 July 2017"
    assert str(barnet.inspection_start) == "2017-04-25"
    hull = reports["hull"]
    assert hull.local_authority == "Hull"
    assert str(hull.inspection_start) == "2022-11-14" and str(hull.inspection_end) == "2022-11-25"
    blackpool = reports["blackpool"]
    assert blackpool.local_authority == "Blackpool"
    assert str(blackpool.inspection_start) == "2026-06-08" and str(blackpool.inspection_end) == "2026-06-19"


def test_html_report_structure(plain_folder: Path) -> None:
    hull = corpus.load_report(next(s for s in corpus.scan_corpus(plain_folder) if s.report_id == "hull"))
    original = _manifest_report("kingston-upon-hull-2023-01-13")
    assert "tracking" not in hull.text and "Home | Reports" not in hull.text
    numbered = {p.number: p for p in hull.paragraphs if p.number}
    assert list(numbered) == [p.number for p in original.paragraphs if p.number]
    for number, paragraph in numbered.items():
        assert hull.text[paragraph.start : paragraph.end] == paragraph.text
        twin = next(p for p in original.paragraphs if p.number == number)
        assert paragraph.section == twin.section
    assert {j.area: j.grade for j in hull.judgements} == {j.area: j.grade for j in original.judgements}
    bullets = [p for p in hull.paragraphs if p.text.startswith("•")]
    assert len(bullets) == 4 and all(p.section == "What needs to improve?" for p in bullets)


def test_text_report_structure(plain_folder: Path) -> None:
    blackpool = corpus.load_report(
        next(s for s in corpus.scan_corpus(plain_folder) if s.report_id == "blackpool")
    )
    original = _manifest_report("blackpool-2026-07-28")
    assert len(blackpool.pages) == len(original.pages)
    assert [p.number for p in blackpool.paragraphs if p.number] == [
        p.number for p in original.paragraphs if p.number
    ]
    one = next(p for p in blackpool.paragraphs if p.number == "1")
    assert one.section == "The experiences and progress of children who need help and protection"
    assert one.text.startswith("1. Services for children who need help and protection have continued")
    assert "\n" not in one.text  # wrapped lines joined again
    titles = {section.title: section.grade for section in blackpool.sections}
    assert titles["The experiences and progress of children who need help and protection"] == "good"
    assert {j.area: j.grade for j in blackpool.judgements} == {j.area: j.grade for j in original.judgements}


def _raw_text(report_id: str) -> str:
    """pdfium's page text as it comes (what a copy-and-paste of the PDF gives): running headers,
    page numbers, wrapped lines, no blank lines between paragraphs; a form feed between pages."""
    document = pdfium.PdfDocument(CORPUS / "reports" / f"{report_id}.pdf")
    pages = []
    for index in range(len(document)):
        textpage = document[index].get_textpage()
        pages.append(textpage.get_text_range().replace("\r\n", "\n"))
        textpage.close()
    document.close()
    return "\f".join(pages)


def test_raw_text_without_blank_lines(tmp_path: Path) -> None:
    (tmp_path / "durham-2019-10-21.txt").write_text(_raw_text("durham-2019-10-21"))
    (tmp_path / "blackpool-2026-07-28.txt").write_text(_raw_text("blackpool-2026-07-28"))
    reports = {report.report_id: report for report in corpus.load_reports(tmp_path)}
    durham = reports["durham-2019-10-21"]
    original = _manifest_report("durham-2019-10-21")
    assert durham.local_authority == "Durham"
    assert str(durham.publication_date) == "2019-10-21"  # from the file name
    assert [(s.title, s.grade) for s in durham.sections if s.grade] == [
        (s.title, s.grade) for s in original.sections if s.grade
    ]
    assert [p.number for p in durham.paragraphs if p.number] == [str(n) for n in range(1, 51)]
    for number in ("1", "19", "50"):
        ours = next(p for p in durham.paragraphs if p.number == number)
        theirs = next(p for p in original.paragraphs if p.number == number)
        assert ours.section == theirs.section
        assert ours.text.replace(PAGE_SEPARATOR, " ") == theirs.text.replace(PAGE_SEPARATOR, " ")
    blackpool = reports["blackpool-2026-07-28"]
    # The running header "Inspection of Blackpool local authority children's services / 8 to 19 June
    # 2026 <page>" stays only where the report states it first, on page 1.
    assert [page.number for page in blackpool.pages if "8 to 19 June 2026" in page.text] == [1]
    assert {j.area: j.grade for j in blackpool.judgements} == {
        j.area: j.grade for j in _manifest_report("blackpool-2026-07-28").judgements
    }


def test_duplicate_stems_get_their_suffix(tmp_path: Path) -> None:
    shutil.copy(CORPUS / "reports" / "bexley-2018-08-20.pdf", tmp_path / "bexley.pdf")
    (tmp_path / "bexley.txt").write_text("Bexley")
    (tmp_path / "other.txt").write_text("Other")
    ids = [source.report_id for source in corpus.scan_corpus(tmp_path)]
    assert ids == ["bexley-pdf", "bexley-txt", "other"]


def _encrypted_pdf(source: Path) -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_page(pypdf.PdfReader(source).pages[0])
    writer.encrypt("secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _scanned_pdf(source: Path) -> bytes:
    """A real report page rendered to an image and saved as a PDF: what a scanner makes."""
    document = pdfium.PdfDocument(source)
    image = document[0].render(scale=1).to_pil().convert("RGB")
    document.close()
    buffer = io.BytesIO()
    image.save(buffer, format="PDF")
    return buffer.getvalue()


def _blank_pdf() -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_encrypted_scanned_blank_and_error_pages_are_skipped(tmp_path: Path) -> None:
    real = CORPUS / "reports" / "bexley-2018-08-20.pdf"
    (tmp_path / "encrypted.pdf").write_bytes(_encrypted_pdf(real))
    (tmp_path / "scanned.pdf").write_bytes(_scanned_pdf(real))
    (tmp_path / "blank.pdf").write_bytes(_blank_pdf())
    shutil.copy(CORPUS / "reports" / "rotherham-2012-08-10.pdf", tmp_path / "rotherham.html")
    (tmp_path / "empty.txt").write_bytes(b"")
    failures: list[corpus.LoadFailure] = []
    assert list(corpus.load_reports(tmp_path, failures)) == []
    reasons = {Path(failure.file).name: failure.error for failure in failures}
    assert reasons["encrypted.pdf"] == "encrypted PDF (password required)"
    assert reasons["scanned.pdf"] == "no extractable text (0 characters in 1 page): image-only or empty"
    assert reasons["blank.pdf"] == "no extractable text (0 characters in 1 page): image-only or empty"
    assert reasons["rotherham.html"].startswith(
        "not an inspection report: an HTML page titled 'Report not found"
    )
    assert reasons["empty.txt"] == "empty file (0 bytes)"


def test_dates_and_names_as_reports_write_them() -> None:
    # Each string is copied from a real report of the shared corpus (named in the comment).
    cases = {
        "Inspection dates: 8 to 19 June 2026": ("2026-06-08", "2026-06-19"),  # blackpool-2026
        "Inspection date: 18 Feb 2014 – 12 March 2014": ("2014-02-18", "2014-03-12"),  # bradford-2014
        "Inspection date: 20 June 2017 ─ 13 July 2017": ("2017-06-20", "2017-07-13"),  # north-lincolnshire
        "Inspection date: 12/09/2016 to 06/10/2016": ("2016-09-12", "2016-10-06"),  # redbridge-2016
        "Inspection date: 28 July 2016": ("2016-07-28", "2016-07-28"),  # london-corporation-2016
        "Inspection dates: 15 – 19 July 2013": ("2013-07-15", "2013-07-19"),  # kent-2013
        "Inspection dates: 30 November 2020 to 4 December 2020": ("2020-11-30", "2020-12-04"),
    }
    for text, expected in cases.items():
        assert tuple(str(day) for day in metadata.inspection_dates(text)) == expected, text
    assert str(metadata.publication_date("Report published: 10/08/2015")) == "2015-08-10"
    assert str(metadata.publication_date("Age group: All Published: 23 August 2013")) == "2013-08-23"
    assert metadata.publication_date("no date here", "report") is None
    names = {
        "Inspection of Kent County Council children’s services": "Kent",
        "Inspection of Barking and Dagenham children’s services": "Barking and Dagenham",
        "Inspection of Bradford Children and Families Trust": "Bradford",
        "Metropolitan Borough of Rotherham": "Rotherham",
        "Council of the Isles of Scilly": "Isles of Scilly",
        "Bristol City of": "Bristol",
        "City of London": "City of London",
        "St. Helens": "St. Helens",
    }
    for line, expected in names.items():
        assert metadata.local_authority(line) == expected, line
    assert metadata.normalise_authority("St. Helens") == metadata.normalise_authority("st helens")
    assert metadata.display_name("southend-on-sea") == "Southend-on-Sea"
    assert metadata.display_name("telford & wrekin") == "Telford & Wrekin"
