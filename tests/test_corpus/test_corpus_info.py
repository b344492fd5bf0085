"""``inspectqa corpus info`` on a small real corpus with a manifest and one bad file."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from conftest import CORPUS
from typer.testing import CliRunner

from inspectqa.cli import app

IDS = ("southend-on-sea-2019-08-27", "blackpool-2026-07-28", "essex-2014-03-21", "rotherham-2012-08-10")


def _small_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    (folder / "reports").mkdir(parents=True)
    with (CORPUS / "manifest.csv").open(newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [row for row in reader if row["report_id"] in IDS]
        columns = list(reader.fieldnames or [])
    for row in rows:
        shutil.copy(CORPUS / row["file"], folder / row["file"])
    with (folder / "manifest.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return folder


def test_info_counts_reports_judgements_and_failures(tmp_path: Path) -> None:
    folder = _small_corpus(tmp_path)
    result = CliRunner().invoke(app, ["corpus", "info", "--corpus", str(folder), "--json", "--workers", "2"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["files"] == 4 and info["reports"] == 3
    assert [Path(failure["file"]).name for failure in info["failures"]] == ["rotherham-2012-08-10.pdf"]
    assert info["failures"][0]["error"] == "an HTML page saved with a .pdf name, not a PDF"
    # The 2026 report (after the reform) has no overall effectiveness judgement; the other two do.
    assert info["reports_with_overall"] == 2 and info["reports_with_judgements"] == 3
    assert info["reports_by_year"] == {"2014": 1, "2019": 1, "2026": 1}
    assert info["judgements_by_area"]["lscb"] == 1
    assert 0 < info["numbered_paragraphs"] < info["paragraphs"]


def test_info_reads_the_corpus_setting(tmp_path: Path, monkeypatch) -> None:
    folder = _small_corpus(tmp_path)
    monkeypatch.setenv("INSPECTQA_CORPUS", str(folder))
    result = CliRunner().invoke(app, ["corpus", "info", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "reports loaded    3" in result.output
    assert "skipped" in result.output and "rotherham-2012-08-10.pdf" in result.output
