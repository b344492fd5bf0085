"""The whole shared corpus (497 files), loaded in two processes: what every report must satisfy.

Slow (half a minute to a minute on two cores), so marked; it guards the figures the README quotes:
exactly the four HTML-as-PDF files fail, every report of an era with an overall effectiveness
judgement has one, the report text agrees with the manifest's clean grades, offsets are exact.
"""

from __future__ import annotations

from datetime import date

import pytest
from conftest import CORPUS

import corpus

# The April 2026 reform dropped the overall effectiveness judgement.
REFORM = date(2026, 4, 1)
CLEAN_GRADES = {"outstanding", "good", "requires improvement", "inadequate"}
# Disagreements checked by hand against the PDFs: in each the manifest (a scraper's output) is
# wrong and the report says what we parse.
MANIFEST_ERRORS = {
    ("nottingham-2022-09-05", "care_leavers"),  # one combined row: requires improvement to be good
    ("oxfordshire-2018-05-22", "children_in_care"),  # combined row: good
    ("rochdale-2018-03-12", "children_in_care"),  # combined row: good
    ("st-helens-2023-09-04", "help_and_protection"),  # requires improvement to be good
    ("st-helens-2023-09-04", "children_in_care"),  # good
    ("st-helens-2023-09-04", "care_leavers"),  # outstanding
}


@pytest.mark.slow
def test_whole_corpus() -> None:
    failures: list[corpus.LoadFailure] = []
    reports = list(corpus.load_reports(CORPUS, failures, workers=2))
    assert len(reports) == 493
    assert sorted(failure.file.rsplit("/", 1)[-1] for failure in failures) == [
        "birmingham-2012-10-19.pdf",
        "blackpool-2012-07-13.pdf",
        "bromley-2012-08-17.pdf",
        "rotherham-2012-08-10.pdf",
    ]
    assert {failure.error for failure in failures} == {"an HTML page saved with a .pdf name, not a PDF"}

    missing_overall = []
    disagreements = set()
    numbered = paragraphs = 0
    for report in reports:
        text = report.text
        for paragraph in report.paragraphs:
            assert text[paragraph.start : paragraph.end] == paragraph.text, report.report_id
        assert "\ufffe" not in text and "\r" not in text, report.report_id
        numbered += sum(paragraph.number is not None for paragraph in report.paragraphs)
        paragraphs += len(report.paragraphs)
        grades = {judgement.area: judgement.grade for judgement in report.judgements}
        assert report.judgements, report.report_id
        reform = report.inspection_start is not None and report.inspection_start >= REFORM
        lscb_review_only = set(grades) == {"lscb"}
        if "overall_effectiveness" not in grades and not reform and not lscb_review_only:
            missing_overall.append(report.report_id)
        if reform:
            assert "overall_effectiveness" not in grades, report.report_id
        for area, hint in report.source.manifest_grades.items():
            if hint not in CLEAN_GRADES:
                continue
            found = grades.get(area) or grades.get("children_in_care_and_care_leavers")
            if (found or "").replace(" to be good", "") != hint:
                disagreements.add((report.report_id, area))
    assert missing_overall == []
    assert disagreements == MANIFEST_ERRORS
    assert numbered / paragraphs > 0.5
