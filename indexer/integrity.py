"""Checksums of a generation's files: recorded by the build, verified before a generation is opened.

Why: a generation is written once and never changed, so any change to its bytes afterwards (a disk
error, a copy cut short, someone editing ``index.sqlite`` by hand) means it no longer is what the build
made. The build records the size and SHA-256 of every file of the generation except ``manifest.json``
(which holds them) under ``manifest["files"]``; ``open_index`` compares them with the files before it
opens anything, so a running service refuses such a generation and keeps serving the previous one.
Hashing streams each file in 1 MB blocks: about 0.1 s for the full corpus's 150 MB on this machine.

Generations built before checksums were recorded have sizes only (for ``index.faiss`` and
``index.sqlite``): they open after a size check, with a warning logged once per generation.

Verification cannot notice a manifest rewritten together with the files it describes; it guards
against accidents and stray edits, not against someone who can write the whole index directory.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from pathlib import Path
from typing import Any

from indexer.records import FileCheck
from indexer.store import FAISS_FILE, MANIFEST_FILE, SQLITE_FILE
from inspectqa.errors import IndexCorrupt

log = logging.getLogger(__name__)

BLOCK = 1 << 20  # bytes read at a time: large enough for full disk speed, small enough for no memory cost
REQUIRED = (FAISS_FILE, SQLITE_FILE)
HINT = "rebuild the index with `inspectqa index build`"

_warned: set[Path] = set()  # generations without checksums already warned about in this process
_warned_lock = threading.Lock()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


def record_files(generation: Path) -> dict[str, dict[str, Any]]:
    """Size and SHA-256 of every file of a generation but its manifest, for ``manifest["files"]``."""
    return {
        path.name: {"bytes": path.stat().st_size, "sha256": file_sha256(path)}
        for path in sorted(generation.iterdir())
        if path.is_file() and path.name != MANIFEST_FILE
    }


def verify_files(generation: Path, manifest: dict[str, Any], *, checksums: bool = True) -> FileCheck:
    """Check the files ``manifest`` records against ``generation``; raise ``IndexCorrupt`` naming one.

    Sizes are compared first (free), then, with ``checksums``, each recorded SHA-256. Files the
    manifest does not record are ignored (an old generation records only the two index files).
    """
    started = time.perf_counter()
    label = f"index generation {generation.name}"
    files = manifest.get("files")
    if files is None:
        files = {}
    if not isinstance(files, dict) or not all(isinstance(entry, dict) for entry in files.values()):
        raise IndexCorrupt(f"{label}: the manifest's list of files is malformed", hint=HINT)
    for name in REQUIRED:
        if name not in files and not (generation / name).is_file():
            raise IndexCorrupt(f"{label}: {name} is missing", hint=HINT)
    recorded = 0
    for name, entry in files.items():
        if Path(name).name != name or name in {"", ".", "..", MANIFEST_FILE}:
            raise IndexCorrupt(f"{label}: the manifest records a file outside the generation: {name!r}")
        path = generation / name
        if not path.is_file():
            raise IndexCorrupt(f"{label}: {name} is missing", hint=HINT)
        size = path.stat().st_size
        expected_size = entry.get("bytes")
        if expected_size is not None and size != expected_size:
            raise IndexCorrupt(
                f"{label}: {name} has {size} bytes, the manifest records {expected_size} "
                "(the file changed after the build)",
                hint=HINT,
            )
        expected = entry.get("sha256")
        if expected is None:
            continue
        recorded += 1
        if checksums and file_sha256(path) != expected:
            raise IndexCorrupt(
                f"{label}: {name} does not match its checksum (the file changed after the build)", hint=HINT
            )
    if recorded == 0:
        _warn_once(generation)
    return FileCheck(
        files=len(files),
        checksums=recorded,
        verified=checksums and recorded > 0,
        seconds=round(time.perf_counter() - started, 3),
    )


def _warn_once(generation: Path) -> None:
    with _warned_lock:
        if generation in _warned:
            return
        _warned.add(generation)
    log.warning(
        "index generation %s records no checksums (built before checksums): opened after a size check "
        "only; the next `inspectqa index build` records them",
        generation,
    )
