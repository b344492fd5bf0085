"""Some reports of a corpus as a corpus of their own: symlinks and the manifest's rows for them.

Tests, benchmarks and the reliability suite build indexes of a few real reports this way, without
copying a byte of any report.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from corpus.scanning import MANIFEST
from inspectqa.errors import CorpusNotFound


def link_subset(corpus: Path, target: Path, report_ids: Iterable[str]) -> Path:
    """``target`` made a corpus folder of ``report_ids`` of ``corpus`` (which has a manifest): the
    manifest's rows for them, and absolute symlinks to their files. Links already there are kept,
    so calling it again with more ids grows the folder."""
    manifest = Path(corpus) / MANIFEST
    if not manifest.is_file():
        raise CorpusNotFound(f"{corpus} has no {MANIFEST} to take reports from")
    wanted = set(report_ids)
    with manifest.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = [row for row in reader if row["report_id"] in wanted]
    missing = wanted - {row["report_id"] for row in rows}
    if missing:
        raise CorpusNotFound(f"{manifest} has no report {', '.join(sorted(missing))}")
    (target / "reports").mkdir(parents=True, exist_ok=True)
    with (target / MANIFEST).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    for row in rows:
        link = target / row["file"]
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists():
            link.symlink_to((Path(corpus) / row["file"]).resolve())
    return target
