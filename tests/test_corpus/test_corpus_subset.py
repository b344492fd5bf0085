"""A corpus of a few real reports as symlinks: what tests, benchmarks and the reliability suite index."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORPUS

from corpus import scan_corpus
from corpus.subset import link_subset
from inspectqa.errors import CorpusNotFound


def test_a_subset_scans_as_the_same_reports_and_grows_when_asked_again(tmp_path: Path) -> None:
    target = link_subset(CORPUS, tmp_path / "c", ["bexley-2018-08-20"])
    link_subset(CORPUS, target, ["bexley-2018-08-20", "durham-2019-10-21"])
    sources = scan_corpus(target)
    originals = {
        s.report_id: s
        for s in scan_corpus(CORPUS)
        if s.report_id in {"bexley-2018-08-20", "durham-2019-10-21"}
    }
    assert [s.report_id for s in sources] == ["bexley-2018-08-20", "durham-2019-10-21"]
    for source in sources:
        assert source.path.is_symlink() and source.content_hash == originals[source.report_id].content_hash
        assert source.local_authority == originals[source.report_id].local_authority


def test_an_unknown_report_or_a_folder_without_manifest_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CorpusNotFound, match="no report atlantis-2020-01-01"):
        link_subset(CORPUS, tmp_path / "c", ["atlantis-2020-01-01"])
    with pytest.raises(CorpusNotFound, match=r"manifest\.csv"):
        link_subset(tmp_path, tmp_path / "d", ["bexley-2018-08-20"])
