"""The evidence matcher of gold/FORMAT.md, on real PDF text from two extraction libraries."""

from __future__ import annotations

import pypdf
import pypdfium2 as pdfium
import pytest
from conftest import CORPUS

from evals.evidence import find_quote, holds, normalise

HALTON = CORPUS / "reports" / "halton-2024-07-12.pdf"
# As a person copies it from the PDF viewer: the line breaks gone, "well-being" whole.
QUOTE = (
    "The most vulnerable young people, who are at risk of exploitation, do not receive an effective "
    "multi-agency response to ensure their safety and well-being."
)


def pdfium_page(path, number: int) -> str:
    document = pdfium.PdfDocument(path)
    try:
        return document[number - 1].get_textpage().get_text_range()
    finally:
        document.close()


def test_quote_found_in_pdfium_text_with_line_breaks_and_hyphenation_mark() -> None:
    text = pdfium_page(HALTON, 8)
    assert "well\ufffebeing" in text and "do \r\nnot" in text  # the raw extraction really is messy
    match = find_quote(QUOTE, text)
    assert match is not None and match.how == "exact"


def test_quote_found_in_pypdf_text_with_hyphenated_line_break() -> None:
    text = pypdf.PdfReader(HALTON).pages[7].extract_text()
    assert "well-\nbeing" in text
    assert find_quote(QUOTE, text) == find_quote(QUOTE, pdfium_page(HALTON, 8))


def test_quote_not_found_on_another_page() -> None:
    assert not holds(QUOTE, pdfium_page(HALTON, 7))


def test_soft_hyphen_is_joined() -> None:
    assert holds("effective safeguarding arrangements", "effective safe-\nguarding arrange-\n ments")


@pytest.mark.parametrize(
    ("passage", "expected"),
    [
        # a word dropped by the extraction: 15/16 tokens in order
        (QUOTE.replace("effective ", ""), "tokens"),
        # a word split in two by the extraction
        (QUOTE.replace("vulnerable", "vulner able"), "tokens"),
        # typographic apostrophes and dashes fold to plain ones
        ("Leaders’ oversight – weak", "exact"),
    ],
)
def test_tolerated_extraction_differences(passage: str, expected: str) -> None:
    quote = QUOTE if "Leaders" not in passage else "leaders' oversight - weak"
    match = find_quote(quote, passage)
    assert match is not None and match.how == expected


def test_token_rule_needs_order_share_and_a_tight_span() -> None:
    words = QUOTE.rstrip(".").split()
    assert not holds(QUOTE, " ".join(reversed(words)))  # the words, out of order
    assert not holds(QUOTE, " ".join(words[:12]))  # only 12 of 23 tokens
    spread = " filler filler ".join(words)  # all tokens in order, but spread over 3x the length
    assert not holds(QUOTE, spread)


def test_normalise_folds_case_and_whitespace() -> None:
    assert normalise("  The  LSCB\r\n is\tgood ") == "the lscb is good"
