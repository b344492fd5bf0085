from __future__ import annotations

import subprocess
import sys

from inspectqa.settings import Settings


def test_help_lists_every_stage() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "inspectqa.cli", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("corpus", "index", "search", "ask", "serve", "eval", "bench"):
        assert command in result.stdout


def test_settings_read_prefixed_environment(monkeypatch) -> None:
    monkeypatch.setenv("INSPECTQA_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("INSPECTQA_PORT", "9001")
    settings = Settings()
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.port == 9001
