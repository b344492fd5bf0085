"""Operator routes: reload the index, add a report by upload. Off unless a token is configured.

Every route needs ``Authorization: Bearer <INSPECTQA_ADMIN_TOKEN>``, compared with
``hmac.compare_digest`` so the time a wrong guess takes tells nothing about the right one. Without a
configured token the router is not mounted at all: the routes answer 404 and are absent from the
OpenAPI document, so a default deployment exposes nothing.

An uploaded report is checked by its content (``%PDF-`` magic bytes, a size limit), never its name,
and stored under a name the server chooses from its SHA-256 (``upload-<hash>.pdf``), so a file called
``../../x.pdf`` cannot write outside the uploads folder. It is then indexed in the background, one job
at a time: the uploads folder holds a corpus made of the configured corpus (symlinked, never copied)
plus the uploads, ``indexer.build`` brings the index up to date with it (re-embedding only the new
report), and the reloader swaps the new generation in. ``GET /admin/reports/{job_id}`` shows progress.

Both the first read of the upload and the build run in child processes, never in the service: pdfium
decompresses streams without a size bound, so a 2 MB "decompression bomb" PDF can make the process
that opens it allocate gigabytes and abort. The first read happens under an address-space limit and a
timeout (``corpus.bounded.probe``, the reader index builds use); a file that fails it is deleted and
its job fails with the reason, before it can reach a build. The build child has no such limit (the
model needs its memory), but its crash would only fail the job: the indexer's atomic generations keep
the served index intact.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, replace
from multiprocessing import get_context
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, UploadFile
from pydantic import BaseModel, SecretStr

from corpus.bounded import probe
from inspectqa.errors import InspectQAError
from inspectqa.settings import Settings
from service.web.reload import IndexReloader
from service.web.security import require_bearer

log = logging.getLogger("inspectqa.admin")

PDF_MAGIC = b"%PDF-"
UPLOAD_PREFIX = "upload-"
CORPUS_SUFFIXES = (".pdf", ".html", ".htm", ".txt")
_KEPT_JOBS = 200
PROBE_TIMEOUT_S = 120.0
PROBE_MEMORY_MB = 2048
BUILD_TIMEOUT_S = 3600.0
_CHUNK = 1024 * 1024
_JOB_ID = re.compile(r"[0-9a-f]{32}")

JobState = Literal["queued", "indexing", "done", "failed"]


@dataclass(frozen=True)
class UploadJob:
    """One uploaded report and how far its indexing has got."""

    job_id: str
    state: JobState
    filename: str  # the name the client sent, for display only; never used as a path
    stored_as: str
    sha256: str
    size_bytes: int
    submitted_at: float
    finished_at: float | None = None
    generation: str | None = None
    reports_indexed: int | None = None
    error: str | None = None


class ReloadResponse(BaseModel):
    status: Literal["reloaded", "unchanged", "refused"]
    generation: str | None
    reason: str | None = None


class UploadIndexer:
    """Stores uploads and indexes them in a single background thread, one build at a time."""

    def __init__(self, settings: Settings, reloader: IndexReloader) -> None:
        self.settings = settings
        self.reloader = reloader
        self.folder = settings.uploads_dir
        self.jobs = JobStore(settings.uploads_dir / "jobs")
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inspectqa-upload")
        self._children: set[BaseProcess] = set()
        self._stopping = threading.Event()

    def store(self, upload: UploadFile) -> UploadJob:
        """Check and keep an uploaded PDF, then queue it for indexing."""
        incoming = self.folder / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        head = b""
        handle, temp_name = tempfile.mkstemp(dir=incoming, suffix=".part")
        temp = Path(temp_name)
        try:
            with os.fdopen(handle, "wb") as out:
                while chunk := upload.file.read(_CHUNK):
                    if len(head) < len(PDF_MAGIC):
                        head += chunk[: len(PDF_MAGIC) - len(head)]
                    size += len(chunk)
                    if size > self.settings.upload_max_bytes:
                        raise HTTPException(
                            413,
                            f"The report is larger than the limit of {self.settings.upload_max_bytes} bytes.",
                        )
                    digest.update(chunk)
                    out.write(chunk)
            if size == 0:
                raise HTTPException(422, "The uploaded file is empty.")
            if head != PDF_MAGIC:
                raise HTTPException(
                    415, "The uploaded file is not a PDF (its content does not start with %PDF-)."
                )
            sha = digest.hexdigest()
            stored_as = f"{UPLOAD_PREFIX}{sha[:16]}.pdf"
            reports = self.folder / "corpus" / "reports"
            reports.mkdir(parents=True, exist_ok=True)
            os.replace(temp, reports / stored_as)
        finally:
            temp.unlink(missing_ok=True)
        job = UploadJob(
            job_id=uuid.uuid4().hex,
            state="queued",
            filename=_display_name(upload.filename),
            stored_as=stored_as,
            sha256=sha,
            size_bytes=size,
            submitted_at=time.time(),
        )
        self._put(job)
        log.info("report uploaded", extra={"job_id": job.job_id, "stored_as": stored_as, "bytes": size})
        self._worker.submit(self._index, job.job_id)
        return job

    def get(self, job_id: str) -> UploadJob | None:
        return self.jobs.get(job_id)

    def shutdown(self) -> None:
        """Drop queued jobs and end a running child (its build leaves the served index as it was).

        An upload whose check is cut short here is kept: being stopped says nothing about the file.
        """
        self._stopping.set()
        self._worker.shutdown(wait=False, cancel_futures=True)
        for child in list(self._children):
            child.kill()

    def _put(self, job: UploadJob) -> None:
        self.jobs.put(job)

    def _update(self, job_id: str, **changes: Any) -> None:
        job = self.jobs.get(job_id)
        if job is not None:
            self.jobs.put(replace(job, **changes))

    def _index(self, job_id: str) -> None:
        job = self.get(job_id)
        if job is None:
            return
        self._update(job_id, state="indexing")
        stored = self.folder / "corpus" / "reports" / job.stored_as
        try:
            vetted = probe(stored, timeout_s=PROBE_TIMEOUT_S, memory_mb=PROBE_MEMORY_MB, stop=self._stopping)
            if self._stopping.is_set():
                raise InspectQAError("the service stopped before the upload was indexed; it is kept")
            if vetted.outcome != "loaded":
                stored.unlink(missing_ok=True)
                raise InspectQAError(f"the report could not be read ({vetted.outcome}): {vetted.reason}")
            corpus = merge_corpus(self.settings.corpus, self.folder / "corpus")
            report = build_in_child(corpus, self.settings, self._children)
            outcome = self.reloader.reload("upload")
            if outcome.status == "refused":
                raise InspectQAError(f"the rebuilt index was refused: {outcome.reason}")
            failed = {Path(f.get("file", "")).name: f.get("error") for f in report.get("reports_failed", [])}
            if job.stored_as in failed:
                raise InspectQAError(f"the report could not be indexed: {failed[job.stored_as]}")
            self._update(
                job_id,
                state="done",
                finished_at=time.time(),
                generation=outcome.generation,
                reports_indexed=report.get("reports_indexed"),
            )
            log.info("uploaded report indexed", extra={"job_id": job_id, "generation": outcome.generation})
        except Exception as error:
            reason = str(error) if isinstance(error, InspectQAError) else f"{type(error).__name__}: {error}"
            self._update(job_id, state="failed", finished_at=time.time(), error=reason)
            log.error("uploaded report not indexed", extra={"job_id": job_id, "reason": reason})


class JobStore:
    """Upload jobs as one JSON file each, so that every server process (``serve --workers N``) can
    answer ``GET /admin/reports/{job_id}`` for a job another one runs, and a restart keeps them.

    Each write goes to a temporary file renamed over the old one: a reader sees the job before or
    after a change, never half of it. The oldest files beyond ``keep`` are removed.
    """

    def __init__(self, folder: Path, keep: int = _KEPT_JOBS) -> None:
        self.folder = folder
        self.keep = keep

    def put(self, job: UploadJob) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        temp = self.folder / f".{job.job_id}.{os.getpid()}.part"
        temp.write_text(json.dumps(asdict(job)), encoding="utf-8")
        os.replace(temp, self.folder / f"{job.job_id}.json")
        jobs = sorted(self.folder.glob("*.json"), key=_mtime_or_zero)
        for old in jobs[: max(0, len(jobs) - self.keep)]:
            old.unlink(missing_ok=True)

    def get(self, job_id: str) -> UploadJob | None:
        if not _JOB_ID.fullmatch(job_id):
            return None  # also keeps "../x" out of the path below
        try:
            return UploadJob(**json.loads((self.folder / f"{job_id}.json").read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None


def _mtime_or_zero(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def merge_corpus(base: Path, merged: Path) -> Path:
    """Make ``merged`` the base corpus (as symlinks) plus the uploads already in ``merged/reports``.

    With a manifest, the base rows are kept (their metadata is better than anything inferred) and each
    upload gets a row with only its id and file, for the loader to infer the rest from the text.
    """
    reports = merged / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    uploads = sorted(p.name for p in reports.iterdir() if p.name.startswith(UPLOAD_PREFIX) and p.is_file())
    manifest = base / "manifest.csv"
    if manifest.is_file():
        with manifest.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            fields = list(reader.fieldnames or ["report_id", "file"])
            rows = list(reader)
        for row in rows:
            _link(base / row["file"], merged / row["file"])
        rows += [
            {**dict.fromkeys(fields, ""), "report_id": Path(name).stem, "file": f"reports/{name}"}
            for name in uploads
        ]
        temp = merged / f"manifest.csv.{os.getpid()}.part"  # two workers may merge at once
        with temp.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
        os.replace(temp, merged / "manifest.csv")
    else:
        for source in base.rglob("*"):
            if source.suffix.lower() in CORPUS_SUFFIXES and source.is_file():
                _link(source, merged / source.relative_to(base))
    return merged


def _link(source: Path, link: Path) -> None:
    if link.is_symlink() or link.exists():
        return
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(source.resolve())


def build_in_child(
    corpus: Path, settings: Settings, children: set[BaseProcess] | None = None
) -> dict[str, Any]:
    """Run ``indexer.build`` in a spawned child process (killed past ``BUILD_TIMEOUT_S``, and tracked in
    ``children`` meanwhile so a shutting-down service can end it); its BuildReport as a dict, or
    InspectQAError."""
    plain = settings.model_dump(mode="json", exclude={"admin_token", "llm_api_key"})
    context = get_context("spawn")  # a fresh interpreter: no server threads or sockets inherited
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_build, args=(str(corpus), plain, send), name="inspectqa-upload-build")
    process.start()
    send.close()  # the child holds the only sending end: its death reads as end of file here
    if children is not None:
        children.add(process)
    try:
        if not receive.poll(BUILD_TIMEOUT_S):
            process.kill()
            process.join()
            raise InspectQAError(f"the index build took longer than {BUILD_TIMEOUT_S:g} s")
        try:
            outcome, value = receive.recv()
        except EOFError:
            process.join()
            raise InspectQAError(
                f"the index build failed: its process ended without a result (exit status {process.exitcode})"
            ) from None
        process.join()
    finally:
        receive.close()
        if children is not None:
            children.discard(process)
    if outcome != "built":
        raise InspectQAError(f"the index build failed: {value[:300]}")
    result: dict[str, Any] = value
    return result


def _build(corpus: str, plain: dict[str, Any], send: Connection) -> None:
    """In the child: build the index and send back ("built", report) or ("failed", reason)."""
    from indexer import build
    from service.answers.grounding.alignment import passage_units

    try:
        settings = Settings(**plain)
        report = build(Path(corpus), settings.index, settings, progress=False, passage_units=passage_units)
        send.send(("built", asdict(report)))
    except Exception as error:
        send.send(("failed", " ".join(f"{type(error).__name__}: {error}".split())))
    finally:
        send.close()


def _display_name(name: str | None) -> str:
    """The client's file name, reduced to something safe to show (it is never used as a path)."""
    base = re.split(r"[\\/]", name or "")[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable())[:200]
    return cleaned or "(unnamed)"


def admin_router(settings: Settings, reloader: IndexReloader, uploads: UploadIndexer) -> APIRouter:
    """The /admin routes, every one behind the bearer token."""
    router = APIRouter(
        prefix="/admin",
        tags=["admin"],
        dependencies=[Depends(require_bearer(settings.admin_token or SecretStr(""), "admin"))],
    )

    @router.post("/reload", operation_id="admin_reload", response_model=ReloadResponse)
    def reload_index() -> ReloadResponse:
        """Swap in the index generation INDEX/current points at, if it is new and valid."""
        outcome = reloader.reload_everywhere("admin")
        if outcome.status == "refused":
            raise HTTPException(
                409, f"The new index was refused; the previous one keeps serving: {outcome.reason}"
            )
        return ReloadResponse(status=outcome.status, generation=outcome.generation, reason=outcome.reason)

    @router.post("/reports", operation_id="admin_upload_report", status_code=202, response_model=UploadJob)
    def upload_report(file: UploadFile) -> UploadJob:
        """Add a report (a PDF) to the corpus; it is indexed in the background."""
        return uploads.store(file)

    @router.get("/reports/{job_id}", operation_id="admin_upload_status", response_model=UploadJob)
    def upload_status(job_id: str) -> UploadJob:
        """How far the indexing of an uploaded report has got."""
        job = uploads.get(job_id)
        if job is None:
            raise HTTPException(404, f"No upload job {job_id!r}.")
        return job

    return router


def install_admin(app: FastAPI, settings: Settings, reloader: IndexReloader) -> UploadIndexer | None:
    """Mount the admin routes when a token is configured; otherwise leave them out (404)."""
    if settings.admin_token is None or not settings.admin_token.get_secret_value():
        return None
    uploads = UploadIndexer(settings, reloader)
    app.state.uploads = uploads
    app.include_router(admin_router(settings, reloader, uploads))
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[Any]:
        async with inner(app_) as state:
            try:
                yield state
            finally:
                uploads.shutdown()

    app.router.lifespan_context = lifespan
    return uploads
