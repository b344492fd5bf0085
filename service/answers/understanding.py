"""Reading a question once: the typed text (and the conversation before it) → one frozen ``QueryIntent``.

This is the only step that reads the question's words. It normalises them (``service.answers.normalise``:
spelling, sector shorthand, casual phrasing), parses councils, dates, relative dates, judgement areas
and report sections (``service.answers.query``), what the answer must hold (``service.answers.asking``:
a figure, criticism or praise, a named person, the overall grade, the kind of thing named) and what
the question asks beyond one passage (a survey of grades, a trend, themes, a summary), and borrows
from earlier turns for a follow-up. Planning, retrieval, the answer strategies and abstention then
read the intent, never the string again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from service.answers.aliases import Gazetteer
from service.answers.asking import GRADES, grades_named
from service.answers.lexicon import ASK_WORDS
from service.answers.normalise import Normaliser
from service.answers.query import ASKS_WHY, QueryIntent, parse, quoted_phrases, with_context
from service.answers.records import Turn


class Understanding:
    """Turns a question and its conversation into a ``QueryIntent``; pure, safe to share between threads."""

    def __init__(self, normaliser: Normaliser, gazetteer: Gazetteer, max_chars: int) -> None:
        self.normaliser = normaliser
        self.gazetteer = gazetteer
        self.max_chars = max_chars  # of each earlier turn read

    def __call__(self, question: str, history: Sequence[Turn] | None = None) -> QueryIntent:
        """Normalise and parse the question (once); a follow-up borrows from earlier turns.

        The conversation is read oldest first, each of the user's questions resolved against the
        ones before it, so "and in 2016?" then "what about care leavers?" keeps the council of the
        first and the year of the second. An assistant answer only lends its council, when the
        user's questions named none (e.g. after "which council runs 'Freedom cards'?"), never its
        wording as a topic. An earlier turn that was declined still lends its council and year.
        """
        state: QueryIntent | None = None
        for turn in history or ():
            said = turn.content[: self.max_chars]
            if turn.role == "user":
                # Each earlier question is read as it was when asked, by this same reader.
                state = self.read(said, state)
            elif state is None or not (state.places or state.outside_places):
                lent = parse(said, self.gazetteer)
                if lent.places:
                    base = state or replace(lent, terms=(), question="")
                    state = replace(base, places=lent.places)
        return self.read(question, state)

    def read(self, question: str, state: QueryIntent | None) -> QueryIntent:
        """One question, with the intent the conversation so far resolved to (``state``)."""
        normalised = self.normaliser.normalise(question)
        intent = with_context(
            _reasons(parse(normalised, self.gazetteer, self.normaliser.vocabulary.known)), state
        )
        if intent.context:
            # Retrieval reads the earlier question with this one: its quoted names count too.
            intent = replace(intent, search_phrases=quoted_phrases(intent.search_text))
        # "criticised", "praised": how the question wants the findings, not what they are about;
        # "at the time of its inspection" dates the question, it is not about time.
        framing = ASK_WORDS | ({"time"} if intent.wants.at_the_time else set())
        topic = tuple(t for t in intent.terms if t.lower() not in framing)
        return replace(intent, terms=topic) if topic and topic != intent.terms else intent


# "Not good", "weren't good": a grade word after a negation names a shortfall; so does one after a
# word that limits it ("only got good", "just good"): why it was not better.
_NEGATED = re.compile(r"\b(?:not|never|no longer|only|just|merely|\w+n['’]?t)\s+(?:\w+\s+){0,3}$", re.I)


def _reasons(intent: QueryIntent) -> QueryIntent:
    """A question asking why ("why did care leavers need to improve", "so why was help and protection
    only requires improvement") wants the findings behind a grade or a recommendation: not the
    report's list of improvements, and the shortfalls behind a grade below good (the strengths
    behind one of good or better) when it names one. Never the grade itself."""
    if not ASKS_WHY.search(intent.question):
        return intent
    sections = tuple(s for s in intent.sections if s != "improve")
    tone = intent.wants.tone
    if not tone:
        text = intent.question
        below = any(g in ("requires improvement", "inadequate") for g in grades_named(text))
        negated = any(_NEGATED.search(text[: m.start()]) for _, p in GRADES[:2] for m in p.finditer(text))
        above = bool(set(grades_named(text)) & {"good", "outstanding"}) and not negated
        tone = -1 if below or negated else (1 if above else 0)
    wants = replace(intent.wants, tone=tone)
    # "halton 2024 why inadequate": a grade and nothing it grades asks why the services as a whole
    # were judged so, so the grade's words are no topic (every finding of that tone answers).
    named = {w for g in grades_named(intent.question) for w in g.split()}
    terms = intent.terms if any(t.lower() not in named for t in intent.terms) else ()
    return replace(
        intent, sections=sections, wants=wants, is_judgement=False, judgement_areas=(), terms=terms
    )
