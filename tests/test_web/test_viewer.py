"""The citation viewer's PDF side, on real reports: rendering pages and finding quoted sentences.

The quotes come from cleaned text (the gold set's evidence, the corpus stage's output) while the
boxes come from the PDF's raw text layer, so these tests are about tolerance to the differences:
line ends, U+FFFE soft hyphens, case, typographic punctuation, page breaks.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from conftest import CORPUS, GOLD
from PIL import Image

from inspectqa.errors import CorruptReport, NotFound
from service.web import viewer

REPORTS = CORPUS / "reports"
SOUTHEND_2019 = REPORTS / "southend-on-sea-2019-08-27.pdf"


def _inked(pdf: Path, page: int, box: viewer.Box) -> float:
    """Share of dark pixels inside a highlight box on the rendered page: text is ink."""
    image = Image.open(io.BytesIO(viewer.render_page(pdf, page).png)).convert("L")
    w, h = image.size
    crop = image.crop(
        (
            int(box.left * w),
            int(box.top * h),
            int((box.left + box.width) * w),
            int((box.top + box.height) * h),
        )
    )
    histogram = crop.histogram()  # 256 bins of grey levels
    return sum(histogram[:128]) / max(sum(histogram), 1)


def test_text_key_ignores_what_cleaning_changes() -> None:
    raw, origin = viewer.text_key("parental ill\ufffe\r\nhealth and/or “substance” ﬁre")
    cleaned, _ = viewer.text_key('Parental ill-health and/or "substance" fire')
    assert raw == cleaned == "parentalillhealthandorsubstancefire"
    assert origin[0] == 0 and len(origin) == len(raw)


def test_every_gold_evidence_quote_is_highlighted_on_its_page() -> None:
    evidence = [
        item
        for line in GOLD.read_text().splitlines()
        if line.strip()
        for item in json.loads(line)["evidence"]
    ]
    assert len(evidence) > 100
    missed = []
    for item in evidence:
        highlight = viewer.find_quote(REPORTS / f"{item['report_id']}.pdf", item["page"], item["quote"])
        if highlight.matched < 0.999 or not highlight.boxes:
            missed.append((item["report_id"], item["page"], highlight.matched))
    assert missed == []


def test_soft_hyphen_across_a_line_break_is_highlighted_on_both_lines() -> None:
    # The PDF has "ill\ufffe" at a line end and "health" on the next line.
    quote = (
        "This means that some children are remaining in neglectful circumstances for too long, "
        "exposed to cumulative risk of harm from domestic abuse and parental ill-health and/or "
        "substance misuse."
    )
    highlight = viewer.find_quote(SOUTHEND_2019, 4, quote)
    assert highlight.matched == 1.0
    assert len(highlight.boxes) == 4  # one box per line the sentence occupies
    tops = [box.top for box in highlight.boxes]
    assert tops == sorted(tops)
    for box in highlight.boxes:
        assert 0 <= box.left < box.left + box.width <= 1 and 0 <= box.top < box.top + box.height <= 1
        assert box.height < 0.03  # a line, not a block
        assert _inked(SOUTHEND_2019, 4, box) > 0.04  # the highlight lies over printed text


def test_foster_carer_reviews_paragraph_is_found_at_its_place_on_the_page() -> None:
    quote = "Annual reviews of foster carers have not all been completed in time or to required standards."
    highlight = viewer.find_quote(SOUTHEND_2019, 6, quote)
    assert highlight.matched == 1.0 and highlight.boxes
    assert not viewer.find_quote(SOUTHEND_2019, 5, quote).found
    assert 1.40 < highlight.aspect < 1.42  # A4 portrait


def test_quote_over_a_page_break_is_partly_highlighted_and_located_from_the_next_page() -> None:
    assert not viewer.find_quote(SOUTHEND_2019, 5, "").found
    document = pdfium.PdfDocument(str(SOUTHEND_2019))
    try:
        end_of_5 = " ".join(document[4].get_textpage().get_text_range().split()[-14:])
        start_of_6 = " ".join(document[5].get_textpage().get_text_range().split()[1:30])
    finally:
        document.close()
    quote = f"{end_of_5} {start_of_6}"
    on_five = viewer.find_quote(SOUTHEND_2019, 5, quote)
    assert on_five.found and 0.15 < on_five.matched < 0.6
    located = viewer.locate_quote(SOUTHEND_2019, 5, quote)
    assert located.page == 6 and located.matched > on_five.matched


def test_a_quote_that_is_not_there_gives_no_boxes() -> None:
    highlight = viewer.locate_quote(
        SOUTHEND_2019, 3, "Penguins were seen skating in the corridors of the civic centre."
    )
    assert highlight.boxes == () and highlight.matched == 0.0 and not highlight.found


def test_render_page_gives_a_png_of_the_requested_width() -> None:
    image = viewer.render_page(SOUTHEND_2019, 1, width=800)
    assert image.png.startswith(b"\x89PNG\r\n\x1a\n")
    assert image.width == 800 and abs(image.height / image.width - 1.414) < 0.01
    assert len(image.png) < 400_000
    decoded = Image.open(io.BytesIO(image.png))
    assert decoded.size == (image.width, image.height)


def test_bad_pages_and_files_are_clear_errors() -> None:
    with pytest.raises(NotFound, match="no page 99"):
        viewer.render_page(SOUTHEND_2019, 99)
    with pytest.raises(NotFound):
        viewer.find_quote(SOUTHEND_2019, 0, "anything")
    with pytest.raises(CorruptReport, match="cannot open"):
        viewer.page_count(REPORTS / "birmingham-2012-10-19.pdf")
    assert viewer.page_count(SOUTHEND_2019) == 11
