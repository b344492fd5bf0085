"""Score one question (``score_question``) and turn many into ``metrics.json`` (``aggregate``).

Pure functions: a gold question, a system's output and a claim checker in, plain records out. The
definitions follow issue 4:

- retrieval (answerable questions): ``hit@k`` (a passage holding any evidence quote in the top k),
  ``evidence_recall@k`` (share of a question's quotes found in the top k, averaged over questions),
  ``mrr`` (1/rank of the first passage holding evidence, within 10), ``report_recall@5`` (share of the
  gold reports among the top-5 passages' reports). A passage holds a quote when it comes from the
  quote's report and matches it by ``evals.evidence``.
- answer (answerable questions): ``key_fact_recall`` (share of key facts found in the normalised
  answer, averaged), ``cites_gold`` (share of questions with a citation holding evidence),
  ``cites_gold_report`` (share citing any passage of a gold report),
  ``grounded_sentence_rate`` (share of all answer sentences supported by their own citations),
  ``citation_precision`` (share of all sentence→citation links where the citation supports the
  sentence), ``citation_recall`` (share of sentences with at least one citation supporting it alone).
  Sentence measures are pooled over questions; a system that says nothing scores 0 on them.
- abstention: ``unanswerable_abstained`` and ``answerable_abstained``; ``latency_ms`` p50/p95.
- survey (``survey`` questions, whose gold holds the complete answer set): ``set_recall`` (share
  of the set's reports the answer cites) and ``set_precision`` (share of the cited reports that
  are in the set), averaged over questions, and ``exact_set`` (share answered with exactly the set).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from evals.evidence import find_quote, normalise
from evals.gold import GoldQuestion
from evals.records import EvidenceFound, QuestionScore, SentenceCheck, SystemOutput
from service.answers.grounding import Verdict

ANSWER_CONTEXT = 5  # passages an answerer reads: evidence ranked below this is a ranking failure


Check = Callable[[str, str], Verdict]

_PUNCT = re.compile(r"[^\w%\s]+")


def normalise_fact(text: str) -> str:
    """Key-fact normalisation: the evidence normalisation, then punctuation folded to spaces."""
    return " ".join(_PUNCT.sub(" ", normalise(text)).split())


def key_facts_present(answer: str, key_facts: Sequence[str]) -> tuple[bool, ...]:
    haystack = f" {normalise_fact(answer)} "
    return tuple(f" {normalise_fact(fact)} " in haystack for fact in key_facts)


def _holds(passage_report: str, passage_text: str, report_id: str, quote: str) -> str | None:
    if passage_report and passage_report != report_id:
        return None
    match = find_quote(quote, passage_text)
    return match.how if match else None


def check_sentences(output: SystemOutput, check: Check) -> tuple[SentenceCheck, ...]:
    """Each answer sentence against its own citations, one by one and (failing that) together."""
    cited = {c.n: c for c in output.citations}
    checks = []
    for sentence in output.sentences:
        numbers = [n for n in dict.fromkeys(sentence.citations) if n in cited]
        verdicts = {
            n: check(sentence.text, _with_place(cited[n].text, cited[n].local_authority)) for n in numbers
        }
        supporting = tuple(n for n, v in verdicts.items() if v.supported)
        best_score = max((v.score for v in verdicts.values()), default=0.0)
        reason = "cites nothing" if not numbers else next(iter(verdicts.values())).reason
        grounded = bool(supporting)
        if not grounded and len(numbers) > 1:
            joint = check(
                sentence.text,
                "\n".join(_with_place(cited[n].text, cited[n].local_authority) for n in numbers),
            )
            grounded, best_score, reason = joint.supported, max(best_score, joint.score), joint.reason
        if supporting:
            reason = "supported"
        checks.append(
            SentenceCheck(
                sentence.text, tuple(sentence.citations), grounded, supporting, round(best_score, 4), reason
            )
        )
    return tuple(checks)


def _with_place(text: str, local_authority: str) -> str:
    """A passage as a reader sees it: under its report's council name (the text alone rarely says)."""
    return f"{local_authority}: {text}" if local_authority else text


def score_question(gold: GoldQuestion, output: SystemOutput, check: Check, k: int = 10) -> QuestionScore:
    """Everything measured on one question (see the module docstring)."""
    top = [p for p in output.passages if p.rank <= k]
    found: list[EvidenceFound] = []
    first_rank: int | None = None
    for evidence in gold.evidence:
        rank = chunk = how = None
        for passage in sorted(top, key=lambda p: p.rank):
            how = _holds(passage.report_id, passage.text, evidence.report_id, evidence.quote)
            if how:
                rank, chunk = passage.rank, passage.chunk_id
                break
        cited = any(_holds(c.report_id, c.text, evidence.report_id, evidence.quote) for c in output.citations)
        found.append(
            EvidenceFound(evidence.report_id, evidence.page, evidence.quote, rank, chunk, how, cited)
        )
        if rank is not None and (first_rank is None or rank < first_rank):
            first_rank = rank
    top5_reports = {p.report_id for p in top if p.rank <= 5}
    report_recall = (
        len(set(gold.report_ids) & top5_reports) / len(set(gold.report_ids)) if gold.report_ids else 0.0
    )
    answer = "" if output.abstained else output.answer
    named_recall, named_precision = survey_set_scores(gold, output)
    facts = key_facts_present(answer, gold.key_facts)
    sentences = () if output.abstained else check_sentences(output, check)
    score = QuestionScore(
        question_id=gold.id,
        type=gold.type,
        answerable=gold.answerable,
        abstained=output.abstained,
        latency_ms=output.latency_ms,
        style=gold.style,
        evidence=tuple(found),
        first_evidence_rank=first_rank,
        report_recall_at_5=report_recall,
        key_facts_found=facts,
        cites_gold=(not output.abstained) and any(f.cited for f in found),
        cites_gold_report=(not output.abstained)
        and any(c.report_id in gold.report_ids for c in output.citations),
        sentences=sentences,
        error=output.error,
        named_recall=named_recall,
        named_precision=named_precision,
    )
    return _with_failure(score)


def survey_set_scores(gold: GoldQuestion, output: SystemOutput) -> tuple[float | None, float | None]:
    """Recall and precision of the reports a survey answer names against the complete set.

    The reports named are the items the answer lists (``SystemOutput.named``), else every report it
    cites. Only for ``survey`` questions; an abstention names nothing (both 0).
    """
    if gold.type != "survey" or not gold.answer_set:
        return None, None
    complete = set(gold.answer_set)
    named = set() if output.abstained else set(output.named) or {c.report_id for c in output.citations}
    right = len(named & complete)
    return right / len(complete), (right / len(named) if named else 0.0)


def _with_failure(score: QuestionScore) -> QuestionScore:
    from dataclasses import replace

    return replace(score, failure=failure_class(score))


def failure_class(score: QuestionScore) -> str:
    """Why a question went wrong, in the order a fix would have to happen.

    retrieval_miss: no evidence in the top k; ranking: evidence only below the answer context;
    answer_composition: evidence in context but the answer misses key facts or the gold citation;
    grounding: an answer sentence not supported by its citations; false_abstention /
    missed_abstention: the abstention decision was wrong; ok otherwise.
    """
    if not score.answerable:
        return "ok" if score.abstained else "missed_abstention"
    if score.abstained:
        return "false_abstention"
    if score.first_evidence_rank is None:
        return "retrieval_miss"
    if score.first_evidence_rank > ANSWER_CONTEXT and not score.cites_gold:
        return "ranking"
    if not all(score.key_facts_found) or not score.cites_gold:
        return "answer_composition"
    if not all(s.grounded for s in score.sentences):
        return "grounding"
    return "ok"


# --- aggregation ----------------------------------------------------------------------------------


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def _groups(scores: Sequence[QuestionScore]) -> dict[str, Any]:
    answerable = [s for s in scores if s.answerable]
    unanswerable = [s for s in scores if not s.answerable]
    result: dict[str, Any] = {"n_questions": len(scores)}
    if answerable:

        def hit(s: QuestionScore, k: int) -> float:
            return float(s.first_evidence_rank is not None and s.first_evidence_rank <= k)

        def recall(s: QuestionScore, k: int) -> float:
            if not s.evidence:
                return 0.0
            return sum(1 for e in s.evidence if e.rank is not None and e.rank <= k) / len(s.evidence)

        result["retrieval"] = {
            "hit@1": _mean([hit(s, 1) for s in answerable]),
            "hit@5": _mean([hit(s, 5) for s in answerable]),
            "hit@10": _mean([hit(s, 10) for s in answerable]),
            "evidence_recall@5": _mean([recall(s, 5) for s in answerable]),
            "evidence_recall@10": _mean([recall(s, 10) for s in answerable]),
            "mrr": _mean(
                [
                    1.0 / s.first_evidence_rank
                    if s.first_evidence_rank is not None and s.first_evidence_rank <= 10
                    else 0.0
                    for s in answerable
                ]
            ),
            "report_recall@5": _mean([s.report_recall_at_5 for s in answerable]),
        }
        sentences = [c for s in answerable for c in s.sentences]
        links = [(c, n) for c in sentences for n in c.citations]
        result["answer"] = {
            "key_fact_recall": _mean(
                [
                    sum(s.key_facts_found) / len(s.key_facts_found) if s.key_facts_found else 0.0
                    for s in answerable
                ]
            ),
            "cites_gold": _mean([float(s.cites_gold) for s in answerable]),
            "cites_gold_report": _mean([float(s.cites_gold_report) for s in answerable]),
            "grounded_sentence_rate": _ratio(sum(c.grounded for c in sentences), len(sentences)),
            "citation_precision": _ratio(sum(n in c.supporting for c, n in links), len(links)),
            "citation_recall": _ratio(sum(bool(c.supporting) for c in sentences), len(sentences)),
        }
    surveys = [s for s in answerable if s.named_recall is not None]
    if surveys:
        result["survey"] = {
            "n": len(surveys),
            "set_recall": _mean([s.named_recall or 0.0 for s in surveys]),
            "set_precision": _mean([s.named_precision or 0.0 for s in surveys]),
            "exact_set": _mean([float(s.named_recall == 1.0 and s.named_precision == 1.0) for s in surveys]),
        }
    abstention: dict[str, float | None] = {}
    if unanswerable:
        abstention["unanswerable_abstained"] = _mean([float(s.abstained) for s in unanswerable])
    if answerable:
        abstention["answerable_abstained"] = _mean([float(s.abstained) for s in answerable])
    result["abstention"] = abstention
    latencies = [s.latency_ms for s in scores]
    result["latency_ms"] = {"p50": _percentile(latencies, 0.5), "p95": _percentile(latencies, 0.95)}
    failures: dict[str, int] = {}
    for s in scores:
        failures[s.failure] = failures.get(s.failure, 0) + 1
    result["failures"] = dict(sorted(failures.items()))
    return result


def aggregate(scores: Sequence[QuestionScore], **context: object) -> dict[str, Any]:
    """The ``metrics.json`` document: overall groups, then the same per question ``type`` and per
    ``style`` (how the question is written: casual, followup, temporal, ...)."""
    metrics = {**context, **_groups(scores)}
    types = sorted({s.type for s in scores})
    metrics["by_type"] = {t: _groups([s for s in scores if s.type == t]) for t in types}
    styles = sorted({s.style for s in scores})
    metrics["by_style"] = {t: _groups([s for s in scores if s.style == t]) for t in styles}
    return metrics


def flatten(metrics: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """``{"retrieval.hit@5": 0.9, "by_type.factoid.answer.cites_gold": ...}``: numbers only."""
    flat: dict[str, float] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[name] = float(value)
    return flat
