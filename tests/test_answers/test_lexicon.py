"""The one stopword list and what each of its two users adds on top of it, all in ``lexicon``."""

from __future__ import annotations

from service.answers import query
from service.answers.grounding import GroundingChecker
from service.answers.lexicon import CLAIM_STOPWORDS, QUERY_STOPWORDS, STOPWORDS


def test_both_users_build_on_the_shared_list() -> None:
    assert STOPWORDS <= QUERY_STOPWORDS and STOPWORDS <= CLAIM_STOPWORDS
    assert {"the", "which", "ofsted", "inspection", "found"} <= STOPWORDS
    # Topic words stay searchable however common they are.
    assert not {"service", "services", "children", "care"} & (QUERY_STOPWORDS | CLAIM_STOPWORDS)


def test_question_framing_is_dropped_but_the_topic_kept() -> None:
    terms = query.content_terms(
        "How high were caseloads in the assessment service, as described by Ofsted in its latest inspection?"
    )
    assert terms == ("high", "caseloads", "assessment", "service")


def test_a_figure_written_in_words_is_not_a_missing_word() -> None:
    passage = "The rate of re-referrals within 12 months is 25%, which is higher than comparators."
    verdict = GroundingChecker(None).check("The re-referral rate within 12 months is 25 per cent.", passage)
    assert verdict.supported, verdict
