"""Download the reports a manifest lists, so that anyone can rebuild the corpus from its sources.

``fetch_corpus(manifest, out)`` reads each row's ``source_url`` (Ofsted's file service, for the
shared corpus) and saves the body to ``out/<file>``: resumable (a file already there and whole is
skipped), verified (a download must start with the PDF magic bytes ``%PDF-`` and end with an
``%%EOF`` marker, because Ofsted answers a missing report with an HTML page and status 200),
retried with exponential backoff on 5xx answers, 429 and network timeouts, written through a
``.part`` file and renamed so an interrupted run never leaves half a PDF under the real name. At the
end ``out/manifest.csv`` lists every row whose file is present, so ``out`` is a loadable corpus.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from tqdm import tqdm

from corpus.extraction import html_title, sniff
from corpus.scanning import MANIFEST
from inspectqa.errors import CorpusNotFound, FetchError

USER_AGENT = "inspectqa/0.1 (corpus fetch; +https://www.gov.uk/government/organisations/ofsted)"
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
# The most a server's Retry-After may make us wait.
_MAX_RETRY_AFTER_S = 60.0


@dataclass(frozen=True)
class FetchOutcome:
    report_id: str
    file: Path
    status: str  # "downloaded", "present" (already there and whole) or "failed"
    error: str | None = None
    attempts: int = 0


@dataclass(frozen=True)
class FetchSummary:
    outcomes: tuple[FetchOutcome, ...]
    manifest: Path | None  # the manifest written into the output folder
    listed: int = 0  # rows of that manifest
    seconds: float = 0.0
    failed: tuple[FetchOutcome, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "failed", tuple(o for o in self.outcomes if o.status == "failed"))

    def count(self, status: str) -> int:
        return sum(outcome.status == status for outcome in self.outcomes)


def is_whole_pdf(path: Path) -> bool:
    """Starts with the PDF magic bytes and ends with an %%EOF marker (a truncated download lacks it)."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(1024)
            handle.seek(max(size - 2048, 0))
            tail = handle.read()
    except OSError:
        return False
    return size > 0 and sniff(head) == "pdf" and b"%%EOF" in tail


def _read_manifest(manifest: Path) -> tuple[list[str], list[dict[str, str]]]:
    if not manifest.is_file():
        raise CorpusNotFound(f"manifest not found: {manifest}")
    with manifest.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        columns = list(reader.fieldnames or [])
    for needed in ("report_id", "source_url"):
        if needed not in columns:
            raise CorpusNotFound(f"{manifest} has no {needed} column")
    if "file" not in columns:
        columns.insert(1, "file")
    return columns, rows


def _target(out: Path, row: dict[str, str]) -> Path:
    relative = (row.get("file") or "").strip() or f"reports/{row['report_id'].strip()}.pdf"
    target = (out / relative).resolve()
    if not target.is_relative_to(out.resolve()):
        raise FetchError(f"file path {relative!r} leaves the output folder")
    return target


def _why_not_pdf(data: bytes) -> str:
    kind = sniff(data)
    if kind == "html":
        title = html_title(data)
        return f"not a PDF: the server sent an HTML page{f' titled {title!r}' if title else ''}"
    if kind == "empty":
        return "not a PDF: the server sent an empty body"
    if kind == "pdf":
        return "truncated PDF: no %%EOF marker at the end"
    return "not a PDF: no %PDF- header"


def download(
    client: httpx.Client,
    url: str,
    target: Path,
    *,
    retries: int,
    backoff: float,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[str | None, int]:
    """Fetch ``url`` into ``target``; returns (error or None, attempts made)."""
    attempts = 0
    error = "no attempt made"
    while attempts <= retries:
        attempts += 1
        wait = backoff * 2 ** (attempts - 1)
        try:
            response = client.get(url)
        except (httpx.TimeoutException, httpx.TransportError) as failure:
            detail = " ".join(str(failure).split())
            error = f"network error: {type(failure).__name__}{f' ({detail})' if detail else ''}"
            if attempts <= retries:
                sleep(wait)
            continue
        if response.status_code in _RETRY_STATUS:
            error = f"HTTP {response.status_code} {response.reason_phrase}".strip()
            if attempts <= retries:
                sleep(_retry_after(response, wait))
            continue
        if response.status_code >= 400:
            return f"HTTP {response.status_code} {response.reason_phrase}".strip(), attempts
        data = response.content
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        partial.write_bytes(data)
        if not is_whole_pdf(partial):
            partial.unlink()
            return _why_not_pdf(data), attempts
        partial.replace(target)
        return None, attempts
    return f"{error} (gave up after {attempts} attempts)", attempts


def _retry_after(response: httpx.Response, default: float) -> float:
    value = response.headers.get("retry-after", "")
    try:
        return min(max(float(value), 0.0), _MAX_RETRY_AFTER_S)
    except ValueError:
        return default


def fetch_corpus(
    manifest: Path,
    out: Path,
    *,
    limit: int | None = None,
    retries: int = 4,
    backoff: float = 1.0,
    timeout: float = 60.0,
    progress: bool = True,
) -> FetchSummary:
    """Download every report ``manifest`` lists (the first ``limit``) into ``out``."""
    started = time.perf_counter()
    columns, rows = _read_manifest(manifest)
    out.mkdir(parents=True, exist_ok=True)
    chosen = rows[:limit] if limit is not None else rows
    outcomes: list[FetchOutcome] = []
    headers = {"User-Agent": USER_AGENT}
    with (
        httpx.Client(timeout=timeout, follow_redirects=True, headers=headers) as client,
        tqdm(total=len(chosen), desc="fetching reports", unit="report", disable=not progress) as bar,
    ):
        for row in chosen:
            report_id = row["report_id"].strip()
            url = (row.get("source_url") or "").strip()
            try:
                target = _target(out, row)
            except FetchError as refused:
                outcomes.append(FetchOutcome(report_id, out, "failed", str(refused)))
                bar.update(1)
                continue
            if is_whole_pdf(target):
                outcomes.append(FetchOutcome(report_id, target, "present"))
            elif not url:
                outcomes.append(FetchOutcome(report_id, target, "failed", "no source_url in the manifest"))
            else:
                error, attempts = download(client, url, target, retries=retries, backoff=backoff)
                status = "failed" if error else "downloaded"
                outcomes.append(FetchOutcome(report_id, target, status, error, attempts))
            failed = sum(outcome.status == "failed" for outcome in outcomes)
            bar.set_postfix(failed=failed, refresh=False)
            bar.update(1)
    written, listed = _write_manifest(manifest, out, columns, rows)
    return FetchSummary(tuple(outcomes), written, listed, time.perf_counter() - started)


def _write_manifest(
    source: Path, out: Path, columns: list[str], rows: list[dict[str, str]]
) -> tuple[Path | None, int]:
    """``out/manifest.csv``: the rows whose file is present and whole, in the input's order."""
    destination = out / MANIFEST
    if destination.resolve() == source.resolve():
        return None, 0  # fetching into the manifest's own folder: leave the manifest as it is
    present = []
    for row in rows:
        try:
            target = _target(out, row)
        except FetchError:
            continue
        if is_whole_pdf(target):
            present.append({**row, "file": target.relative_to(out.resolve()).as_posix()})
    partial = destination.with_name(destination.name + ".part")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(present)
    partial.replace(destination)
    return destination, len(present)
