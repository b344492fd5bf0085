"""The report files: written, the HTML is one self-contained file whose images decode."""

from __future__ import annotations

import base64
import json
from html.parser import HTMLParser
from pathlib import Path

from conftest import GOLD

from evals.gold import GoldQuestion, load_gold
from evals.harness import compare, evaluate
from evals.records import AnswerSentence, CitedPassage, RetrievedPassage, SystemOutput
from service.answers.grounding import GroundingChecker

PNG = b"\x89PNG\r\n\x1a\n"


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.tags: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"] or "")
        elif tag not in ("meta", "br", "img"):
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1] if self.open else None}>"
        self.open.pop()


def answers_with_evidence(question: GoldQuestion) -> SystemOutput:
    if not question.answerable:
        return SystemOutput(question.id, (), "", (), (), True, 8.0)
    evidence = question.evidence[0]
    passage = RetrievedPassage(2, "c#1", evidence.report_id, evidence.quote)
    cited = (CitedPassage(1, "c#1", evidence.report_id, evidence.quote),)
    return SystemOutput(
        question.id, (passage,), evidence.quote, (AnswerSentence(evidence.quote, (1,)),), cited, False, 30.0
    )


def says_nothing(question: GoldQuestion) -> SystemOutput:
    return SystemOutput(question.id, (), "", (), (), False, 3.0)


def test_compare_writes_every_report_file(tmp_path: Path) -> None:
    gold = load_gold(GOLD)
    questions = [q for q in gold if q.answerable][:30] + [q for q in gold if not q.answerable][:5]
    check = GroundingChecker(None).check
    runs = [
        evaluate("good", answers_with_evidence, questions, check),
        evaluate("none", says_nothing, questions, check),
    ]
    table = compare(runs, tmp_path, skipped={"naive": "over its time budget"})
    assert "| hit@5 | 1.000 | 0.000 |" in table and "naive: skipped" in table
    for name in ("good", "none"):
        folder = tmp_path / name
        metrics = json.loads((folder / "metrics.json").read_text())
        assert metrics["system"] == name and metrics["n_questions"] == 35
        results = [json.loads(line) for line in (folder / "results.jsonl").read_text().splitlines()]
        assert [r["id"] for r in results] == [q.id for q in questions]
        assert {"retrieved", "answer", "citations", "sentences", "evidence", "failure"} <= set(results[0])
        assert (folder / "report.md").read_text().startswith("# inspectqa evaluation")
    failures = {
        r["failure"] for r in map(json.loads, (tmp_path / "none/results.jsonl").read_text().splitlines())
    }
    assert failures == {"retrieval_miss", "missed_abstention"}
    first = json.loads((tmp_path / "good/results.jsonl").read_text().splitlines()[0])
    assert first["retrieved"][0]["holds_evidence"] is True and first["evidence"][0]["rank"] == 2

    page = Page()
    page.feed((tmp_path / "report.html").read_text())
    page.close()
    assert not page.open and "table" in page.tags
    assert len(page.images) >= 4  # recall curve, systems side by side, per type, latency
    for source in page.images:
        assert source.startswith("data:image/png;base64,")  # embedded: the HTML is one file
        assert base64.b64decode(source.split(",", 1)[1]).startswith(PNG)
    markdown = (tmp_path / "report.md").read_text()
    assert "retrieval_miss" in markdown and "| d001 |" in markdown
