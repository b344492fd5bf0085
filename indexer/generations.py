"""The index directory: immutable generations and a ``current`` symlink swapped in one rename.

Layout::

    INDEX/
      current -> generations/<id>      the generation readers open
      generations/<id>/                index.faiss, index.sqlite, manifest.json, build-report.json
                                       (the manifest records the size and SHA-256 of the others)
      generations/.tmp-<id>/           a build in progress (removed by the next build if it died)
      .build.lock                      held (flock) by the one build that may run at a time

Why: a build writes a whole new generation beside the current one, fsyncs it, renames it into
``generations/`` and then replaces ``current`` with ``os.replace`` of a fresh symlink: one atomic
rename. A ``kill -9`` at any moment leaves ``current`` pointing at a complete generation. The previous
generation is kept (readers that opened it keep working); older ones are deleted by the next build.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from indexer.integrity import verify_files
from indexer.store import MANIFEST_FILE, Index
from inspectqa.errors import IndexCorrupt, IndexNotFound, ModelMismatch
from inspectqa.settings import Settings

CURRENT = "current"
GENERATIONS = "generations"
TMP_PREFIX = ".tmp-"
LOCK_FILE = ".build.lock"
MANIFEST_FORMAT = 1
KEEP_PREVIOUS = 1  # generations kept besides the current one, for readers that opened them


def new_generation_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)


def current_generation(index: Path) -> Path | None:
    """The generation ``current`` points at (an absolute path), or None when there is none."""
    link = index / CURRENT
    if not link.is_symlink() and not link.exists():
        return None
    target = link.resolve()
    return target if target.is_dir() else None


@contextlib.contextmanager
def build_lock(index: Path) -> Iterator[None]:
    """One build at a time per index directory; the lock dies with its process (even on kill -9)."""
    index.mkdir(parents=True, exist_ok=True)
    with (index / LOCK_FILE).open("a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def staging_directory(index: Path, generation_id: str) -> Path:
    path = index / GENERATIONS / f"{TMP_PREFIX}{generation_id}"
    path.mkdir(parents=True)
    return path


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(index: Path, staging: Path, generation_id: str) -> Path:
    """Make a fully written staging directory the current generation, atomically."""
    for file in staging.iterdir():
        fsync_path(file)
    fsync_path(staging)
    generations = index / GENERATIONS
    final = generations / generation_id
    os.rename(staging, final)
    fsync_path(generations)
    link = index / f".{CURRENT}.{generation_id}"
    link.symlink_to(Path(GENERATIONS) / generation_id)
    os.replace(link, index / CURRENT)  # the one rename that switches readers over
    fsync_path(index)
    return final


def clean(index: Path) -> list[Path]:
    """Remove dead builds' leftovers and generations older than the previous one; returns what went."""
    removed: list[Path] = []
    generations = index / GENERATIONS
    if not generations.is_dir():
        return removed
    current = current_generation(index)
    for stale_link in index.glob(f".{CURRENT}.*"):
        stale_link.unlink(missing_ok=True)
        removed.append(stale_link)
    published = []
    for path in (p.resolve() for p in generations.iterdir()):
        if path.name.startswith(TMP_PREFIX):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        elif path.is_dir() and path != current:
            published.append(path)
    # Generation ids start with their UTC build time, so names sort by age.
    for old in sorted(published, key=lambda p: p.name)[:-KEEP_PREVIOUS] if KEEP_PREVIOUS else published:
        shutil.rmtree(old, ignore_errors=True)
        removed.append(old)
    return removed


def read_manifest(generation: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((generation / MANIFEST_FILE).read_text())
    except FileNotFoundError as error:
        raise IndexCorrupt(f"{generation} has no {MANIFEST_FILE}", hint="rebuild the index") from error
    except (OSError, ValueError) as error:
        raise IndexCorrupt(f"cannot read {generation / MANIFEST_FILE}: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise IndexCorrupt(f"{generation / MANIFEST_FILE} is not an inspectqa index manifest (format 1)")
    return manifest


def open_index(index: Path, settings: Settings, *, verify: bool = True) -> Index:
    """Open the current generation of ``index`` for reading, after checking it suits ``settings``.

    Before anything is opened, the files are compared with the sizes and (with ``verify``) the
    SHA-256 checksums the build recorded, so a generation changed since its build raises
    ``IndexCorrupt`` naming the file; ``Index.file_check`` says what was checked.
    """
    index = Path(index)
    if not index.exists():
        raise IndexNotFound(f"no index at {index}", hint="build one with `inspectqa index build`")
    generation = current_generation(index)
    if generation is None:
        if (index / MANIFEST_FILE).is_file():
            generation = index  # a bare generation directory, e.g. a copied one
        else:
            raise IndexNotFound(f"no index at {index}", hint="build one with `inspectqa index build`")
    manifest = read_manifest(generation)
    built_with = manifest.get("model", {}).get("name")
    if built_with != settings.model_name:
        raise ModelMismatch(
            f"the index at {index} was built with the embedding model {built_with!r}, "
            f"but the configured model is {settings.model_name!r}",
            hint="rebuild the index with `inspectqa index build`, or set INSPECTQA_MODEL_NAME to match",
        )
    checked = verify_files(generation, manifest, checksums=verify)
    try:
        opened = Index(generation, manifest, exact_max_passages=settings.ann_exact_max_passages)
    except (RuntimeError, ValueError, KeyError, OSError, sqlite3.DatabaseError) as error:
        raise IndexCorrupt(
            f"cannot open the index at {generation}: {error}", hint="rebuild the index"
        ) from error
    opened.file_check = checked
    return opened


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
