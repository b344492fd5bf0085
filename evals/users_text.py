"""Page texts for ``check_users.py``: one ``<report_id>.txt`` per readable report.

The checker (``../shared/gold/check_users.py``) wants the plain pypdfium2 text of every page
(``textpage.get_text_range()``), each page preceded by a line ``=== page N ===`` (1-based), and
the text of every readable report, because it rejects a quote found in more than one of them as
boilerplate. This writes that folder; it never goes into git (write it under /tmp)::

    from evals.users_text import write_page_texts
    write_page_texts(Path("../shared/corpus/ilacs"), Path("/tmp/users-text"))

A file that is not a PDF (the corpus holds HTML error pages saved as ``.pdf``) or that pdfium
cannot open is skipped and named in the returned list.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Collection
from pathlib import Path

import pypdfium2 as pdfium


def page_texts(pdf_path: Path, numbers: Collection[int] | None = None) -> list[str]:
    """The plain text of each page of one PDF, in order; with ``numbers`` (1-based), only those
    pages are read and every other page is an empty string."""
    document = pdfium.PdfDocument(str(pdf_path))
    try:
        texts = []
        for index in range(len(document)):
            if numbers is not None and index + 1 not in numbers:
                texts.append("")
                continue
            page = document[index]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return texts
    finally:
        document.close()


def write_page_texts(corpus_dir: Path, out_dir: Path) -> list[str]:
    """Write ``<report_id>.txt`` for every manifest report pdfium can read; return those skipped."""
    out_dir.mkdir(parents=True, exist_ok=True)
    skipped: list[str] = []
    with (corpus_dir / "manifest.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        pdf_path = corpus_dir / row["file"]
        if pdf_path.read_bytes()[:5] != b"%PDF-":
            skipped.append(row["report_id"])
            continue
        try:
            texts = page_texts(pdf_path)
        except pdfium.PdfiumError:
            skipped.append(row["report_id"])
            continue
        body = "".join(f"=== page {number} ===\n{text}\n" for number, text in enumerate(texts, start=1))
        (out_dir / f"{row['report_id']}.txt").write_text(body, encoding="utf-8")
    return skipped


def checker_view(gold_path: Path, out_path: Path) -> int:
    """Copy a question file without the ``complete_report_ids`` field, which ``check_users.py``
    does not know (it fails any field it does not document); return the number of lines.

    Survey lines whose complete answer set is larger than the checker's 2-8 reports keep up to 8
    of them in ``report_ids`` and the whole set in ``complete_report_ids``
    (``evals/data/USERS_SETS.md``); everything else is copied unchanged.
    """
    lines = []
    for line in gold_path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            record.pop("complete_report_ids", None)
            lines.append(json.dumps(record, ensure_ascii=False))
    out_path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return len(lines)
