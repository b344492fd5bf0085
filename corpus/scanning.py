"""What a corpus folder holds, cheaply: one ``SourceFile`` per report, without opening any PDF.

A folder with ``manifest.csv`` (the layout of ``../shared/corpus/ilacs``) is read row by row and
its metadata joined to each file; any other folder is scanned for ``.pdf``, ``.html``/``.htm`` and
``.txt`` files, whose metadata the loader infers from their text. Every file is hashed (SHA-256 of
its bytes): the hash decides whether the indexer re-embeds a report.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from datetime import date
from pathlib import Path

from corpus.records import SourceFile
from inspectqa.errors import CorpusNotFound

MANIFEST = "manifest.csv"
SUFFIXES = (".pdf", ".html", ".htm", ".txt")
GRADE_COLUMNS = (
    "overall_effectiveness",
    "impact_of_leaders",
    "help_and_protection",
    "children_in_care",
    "care_leavers",
)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _iso(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def scan_corpus(path: Path) -> list[SourceFile]:
    """Every report file of a corpus folder, sorted by report id."""
    path = Path(path)
    if not path.is_dir():
        raise CorpusNotFound(f"corpus folder not found: {path}")
    manifest = path / MANIFEST
    sources = _scan_manifest(path, manifest) if manifest.is_file() else _scan_plain(path)
    return sorted(sources, key=lambda source: source.report_id)


def _scan_manifest(root: Path, manifest: Path) -> list[SourceFile]:
    with manifest.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    if rows and "report_id" not in rows[0]:
        raise CorpusNotFound(f"{manifest} has no report_id column")
    sources = []
    for row in rows:
        report_id = (row.get("report_id") or "").strip()
        if not report_id:
            continue
        relative = (row.get("file") or "").strip() or f"reports/{report_id}.pdf"
        file = root / relative
        # A manifest row whose file is missing is still a source: loading it says why it fails.
        content_hash = sha256_file(file) if file.is_file() else ""
        grades = {column: row[column].strip() for column in GRADE_COLUMNS if (row.get(column) or "").strip()}
        sources.append(
            SourceFile(
                report_id=report_id,
                path=file,
                content_hash=content_hash,
                local_authority=(row.get("local_authority") or "").strip() or None,
                publication_date=_iso(row.get("publication_date")),
                source_url=(row.get("source_url") or "").strip() or None,
                urn=(row.get("urn") or "").strip() or None,
                framework=(row.get("framework") or "").strip() or None,
                inspection_start=_iso(row.get("inspection_start")),
                inspection_end=_iso(row.get("inspection_end")),
                manifest_grades=grades,
            )
        )
    return sources


def _scan_plain(root: Path) -> list[SourceFile]:
    """Report id = file stem; where two files share a stem ("a.pdf", "a.txt") each gets its
    suffix too ("a-pdf", "a-txt"), so that ids stay unique and stable."""
    files = [
        file
        for file in sorted(root.rglob("*"))
        if file.is_file() and file.suffix.lower() in SUFFIXES and not file.name.startswith(".")
    ]
    stems = Counter(file.stem for file in files)
    return [
        SourceFile(
            report_id=file.stem
            if stems[file.stem] == 1
            else f"{file.stem}-{file.suffix.lower().lstrip('.')}",
            path=file,
            content_hash=sha256_file(file),
        )
        for file in files
    ]
