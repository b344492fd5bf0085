"""Chunking of real reports: whole paragraphs of one section, exact offsets, never over the window."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from conftest import CORPUS, SMALL_REPORTS, index_settings

from corpus import Report, load_report, scan_corpus
from indexer import chunk, embedding_text
from indexer.chunking import context_header
from indexer.embedding import Embedder
from indexer.records import Chunk


@cache
def _reports() -> tuple[Report, ...]:
    wanted = set(SMALL_REPORTS) - {"birmingham-2012-10-19"}
    sources = [s for s in scan_corpus(CORPUS) if s.report_id in wanted]
    return tuple(load_report(source) for source in sources)


@pytest.fixture(scope="module")
def chunked(embedder: Embedder) -> list[tuple[Report, list[Chunk]]]:
    settings = index_settings()
    return [(report, chunk(report, embedder, settings)) for report in _reports()]


def test_no_embedded_input_exceeds_the_window(chunked, embedder: Embedder) -> None:
    longest = 0
    for _, chunks in chunked:
        texts = [embedding_text(c) for c in chunks]
        # Measured with the model's own transformers tokenizer, special tokens included, untruncated.
        counts = [len(ids) for ids in embedder.tokenizer(texts, truncation=False)["input_ids"]]
        assert counts == [c.n_tokens for c in chunks]
        longest = max(longest, *counts)
    assert longest <= embedder.max_tokens == 256
    assert longest > 200  # the budget is used, not wasted on tiny chunks


def test_text_and_offsets_are_exact(chunked) -> None:
    for report, chunks in chunked:
        pages = {page.number: page for page in report.pages}
        for c in chunks:
            assert c.text == report.text[c.start : c.end]
            assert c.text.strip() == c.text and c.text
            assert c.pages == report.pages_between(c.start, c.end)
            first, last = pages[c.pages[0]], pages[c.pages[-1]]
            assert first.offset + c.page_start == c.start
            assert last.offset + c.page_end == c.end
            if len(c.pages) == 1:
                assert first.text[c.page_start : c.page_end] == c.text
            assert c.report_id == report.report_id
            assert c.local_authority == report.local_authority
        assert [c.chunk_id for c in chunks] == [f"{report.report_id}#{i:04d}" for i in range(len(chunks))]


def test_chunks_hold_whole_paragraphs_of_one_section(chunked) -> None:
    for report, chunks in chunked:
        for c in chunks:
            overlapping = [
                p for p in report.paragraphs if p.start < c.end and p.end > c.start and p.text.strip()
            ]
            assert overlapping
            assert {p.section for p in overlapping} == {c.section}
            inside = [p for p in overlapping if c.start <= p.start and p.end <= c.end]
            if inside != overlapping:
                # Only a paragraph too long for the window is cut, and then the chunk lies within it.
                assert len(overlapping) == 1
                paragraph = overlapping[0]
                assert paragraph.start <= c.start and c.end <= paragraph.end
            assert c.paragraphs == tuple(dict.fromkeys(p.number for p in overlapping if p.number))


def test_every_paragraph_is_covered(chunked) -> None:
    for report, chunks in chunked:
        covered = sorted((c.start, c.end) for c in chunks)
        for paragraph in report.paragraphs:
            if not paragraph.text.strip():
                continue
            # Each non-space character of the paragraph lies in some chunk.
            text = report.text
            for offset in range(paragraph.start, paragraph.end):
                if text[offset].isspace():
                    continue
                assert any(s <= offset < e for s, e in covered), (report.report_id, paragraph.number)


def test_known_paragraph_of_a_real_report(chunked) -> None:
    durham = next(chunks for report, chunks in chunked if report.report_id == "durham-2019-10-21")
    hit = [
        c
        for c in durham
        if "The local authority is clear about its responsibilities to care leavers" in c.text
    ]
    assert len(hit) == 1
    passage = hit[0]
    assert "33" in passage.paragraphs
    assert passage.section == "The experiences and progress of children in care and care leavers"
    assert passage.local_authority == "Durham"
    assert passage.publication_date == "2019-10-21"
    assert embedding_text(passage).startswith(
        "Durham 2019. The experiences and progress of children in care and care leavers.\n33."
    )


def test_over_long_paragraphs_split_on_sentences(embedder: Embedder) -> None:
    report = next(r for r in _reports() if r.report_id == "essex-2014-03-21")
    small = index_settings(chunk_max_tokens=64)
    chunks = chunk(report, embedder, small)
    assert max(c.n_tokens for c in chunks) <= 64
    split = [c for c in chunks if not any(c.start == p.start and c.end >= p.end for p in report.paragraphs)]
    assert len(split) > 10
    # Pieces of a cut paragraph end at a sentence or clause boundary far more often than not.
    boundaries = sum(c.text.rstrip()[-1] in ".;:,?!" for c in split)
    assert boundaries / len(split) > 0.7


def test_a_transformers_tokenizer_gives_the_same_chunks(embedder: Embedder) -> None:
    report = next(r for r in _reports() if r.report_id == "bexley-2018-08-20")
    settings = index_settings()
    assert chunk(report, embedder.tokenizer, settings) == chunk(report, embedder, settings)


def test_context_header_is_short() -> None:
    header = context_header("Bournemouth, Christchurch and Poole", "2022-02-11", "What needs to improve")
    assert header == "Bournemouth, Christchurch and Poole 2022. What needs to improve.\n"
    assert context_header("Essex", None, "") == "Essex.\n"


def test_plain_text_report_without_paragraph_markers(embedder: Embedder, tmp_path: Path) -> None:
    from dataclasses import replace

    report = next(r for r in _reports() if r.report_id == "barnet-2019-07-01")
    bare = replace(report, paragraphs=())
    chunks = chunk(bare, embedder, index_settings())
    assert chunks and max(c.n_tokens for c in chunks) <= 256
    for c in chunks:
        assert c.text == bare.text[c.start : c.end]
