"""Admin routes over the real app on a real server: tokens, uploads checked by content, safe names."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from conftest import CORPUS, serving

from inspectqa.settings import Settings
from service.web.app import create_app

TOKEN = "s3cret-admin-token-for-tests"
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def admin_settings(tmp_path: Path, **values: object) -> Settings:
    base: dict[str, object] = {
        "index": tmp_path / "no-index-yet",
        "uploads_dir": tmp_path / "uploads",
        "admin_token": TOKEN,
        "reload_poll_s": 0,
        "upload_max_bytes": 64 * 1024,
    }
    return Settings(**{**base, **values})  # type: ignore[arg-type]


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_admin_routes_are_off_without_a_configured_token(tmp_path: Path) -> None:
    app = create_app(admin_settings(tmp_path, admin_token=None))
    with serving(app) as url, httpx.Client(base_url=url) as client:
        assert client.post("/admin/reload", headers=auth()).status_code == 404
        assert (
            client.post("/admin/reports", headers=auth(), files={"file": ("r.pdf", PDF)}).status_code == 404
        )
        assert client.get("/admin/reports/abc", headers=auth()).status_code == 404
        paths = client.get("/openapi.json").json()["paths"]
    assert not [path for path in paths if path.startswith("/admin")]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": TOKEN}, 401),  # no scheme
        ({"Authorization": "Basic " + TOKEN}, 401),
        ({"Authorization": "Bearer"}, 401),
        (auth("wrong-token"), 403),
        (auth(TOKEN[:-1]), 403),  # a prefix of the right token is still wrong
        (auth(TOKEN + "x"), 403),
    ],
)
def test_admin_routes_refuse_missing_and_wrong_tokens(
    tmp_path: Path, headers: dict[str, str], status: int
) -> None:
    app = create_app(admin_settings(tmp_path))
    with serving(app) as url, httpx.Client(base_url=url) as client:
        reload = client.post("/admin/reload", headers=headers)
        upload = client.post("/admin/reports", headers=headers, files={"file": ("r.pdf", PDF)})
        job = client.get("/admin/reports/abc", headers=headers)
    assert [reload.status_code, upload.status_code, job.status_code] == [status] * 3
    assert reload.headers["www-authenticate"].startswith("Bearer")
    assert not (tmp_path / "uploads" / "corpus").exists()  # nothing stored for a refused caller


def test_upload_named_to_traverse_lands_under_a_server_chosen_name(tmp_path: Path) -> None:
    # A real report, so that the background check keeps it (an unreadable file would be deleted).
    report = (CORPUS / "reports" / "newham-2019-03-25.pdf").read_bytes()
    empty_corpus = tmp_path / "corpus"
    empty_corpus.mkdir()
    app = create_app(admin_settings(tmp_path, corpus=empty_corpus, upload_max_bytes=1024 * 1024))
    with serving(app) as url, httpx.Client(base_url=url) as client:
        response = client.post("/admin/reports", headers=auth(), files={"file": ("../../x.pdf", report)})
        assert response.status_code == 202, response.text
        job = response.json()
        status = client.get(f"/admin/reports/{job['job_id']}", headers=auth())
        stored = tmp_path / "uploads" / "corpus" / "reports" / job["stored_as"]
        assert stored.read_bytes() == report
    assert status.status_code == 200
    assert status.json()["job_id"] == job["job_id"]
    assert job["filename"] == "x.pdf"  # shown to the operator, never used as a path
    assert job["stored_as"].startswith("upload-") and job["stored_as"].endswith(".pdf")
    assert "/" not in job["stored_as"] and ".." not in job["stored_as"]
    assert not list(tmp_path.parent.rglob("x.pdf")) and not list(tmp_path.parent.parent.glob("x.pdf"))
    jobs = tmp_path / "uploads" / "jobs"  # the job's status record, named by its id
    uploads = [p for p in (tmp_path / "uploads").rglob("*") if p.is_file() and p.parent != jobs]
    assert [p.name for p in jobs.iterdir()] == [f"{job['job_id']}.json"]
    assert uploads == [stored]


@pytest.mark.parametrize(
    ("name", "content", "status"),
    [
        ("report.pdf", b"<!doctype html><html><body>Not found</body></html>", 415),  # HTML named .pdf
        ("report.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 100, 415),
        ("report.pdf", b"", 422),
        ("report.txt", PDF.replace(b"%PDF-", b"%PDX-"), 415),
    ],
)
def test_upload_that_is_not_a_pdf_is_refused(tmp_path: Path, name: str, content: bytes, status: int) -> None:
    app = create_app(admin_settings(tmp_path))
    with serving(app) as url, httpx.Client(base_url=url) as client:
        response = client.post("/admin/reports", headers=auth(), files={"file": (name, content)})
    assert response.status_code == status, response.text
    reports = tmp_path / "uploads" / "corpus" / "reports"
    assert not reports.exists() or not list(reports.iterdir())


def test_a_pdf_named_anything_is_accepted_by_its_content(tmp_path: Path) -> None:
    app = create_app(admin_settings(tmp_path))
    with serving(app) as url, httpx.Client(base_url=url) as client:
        response = client.post("/admin/reports", headers=auth(), files={"file": ("notes.txt", PDF)})
    assert response.status_code == 202
    assert response.json()["stored_as"].endswith(".pdf")


def test_upload_over_the_size_limit_is_refused_with_413(tmp_path: Path) -> None:
    app = create_app(admin_settings(tmp_path, upload_max_bytes=4096))
    with serving(app) as url, httpx.Client(base_url=url) as client:
        just_over = client.post(
            "/admin/reports", headers=auth(), files={"file": ("r.pdf", PDF + b"0" * 5000)}
        )
        far_over = client.post(
            "/admin/reports", headers=auth(), files={"file": ("r.pdf", PDF + b"0" * 200_000)}
        )
    assert just_over.status_code == 413  # counted while stored
    assert far_over.status_code == 413  # refused from Content-Length before reading
    reports = tmp_path / "uploads" / "corpus" / "reports"
    assert not reports.exists() or not list(reports.iterdir())
    incoming = tmp_path / "uploads" / "incoming"
    assert not incoming.exists() or not list(incoming.iterdir())  # no partial file left behind


def test_unknown_job_is_404(tmp_path: Path) -> None:
    app = create_app(admin_settings(tmp_path))
    with serving(app) as url, httpx.Client(base_url=url) as client:
        assert client.get("/admin/reports/nope", headers=auth()).status_code == 404


def test_the_real_app_limits_questions_per_client(tmp_path: Path) -> None:
    app = create_app(admin_settings(tmp_path, rate_limit_per_minute=60, rate_limit_burst=2))
    with serving(app) as url, httpx.Client(base_url=url) as client:
        first = [client.post("/ask", json={"question": "care leavers"}).status_code for _ in range(2)]
        limited = client.post("/ask", json={"question": "care leavers"})
        stream = client.post("/ask/stream", json={"question": "care leavers"})
    assert first == [503, 503]  # no index here: the limit counts questions, answered or not
    assert limited.status_code == 429 and stream.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.headers["x-request-id"] and limited.headers["x-content-type-options"] == "nosniff"
