"""An answer (``AskResponse``) as one piece of text, for clients that show text and nothing else.

Chat front ends (Open WebUI, LibreChat, a notebook printing ``message.content``) display the text
they are sent, so the citations travel inside it: the answer keeps its ``[n]`` markers and is
followed by a "Sources:" list, one line per citation with the council, the report's date, the
section, the paragraph numbers, the page and a link to the PDF at that page. An abstention says so
and lists the nearest passages instead, marked as not an answer. The lines are Markdown list items,
so they read as a list where Markdown is rendered and as plain lines where it is not.
"""

from __future__ import annotations

import re
from datetime import date

from service.web.schemas import AskResponse, CitationOut, PassageOut

SOURCES_HEADING = "Sources:"
NEAREST_HEADING = "Nearest passages (for you to judge; they do not answer the question):"
NEAREST_SHOWN = 3
EXCERPT_CHARS = 160
# A piece of a streamed answer ends after a citation group ("...in time. [1] ") or a blank line.
_PIECE_END = re.compile(r"(?<=\] )(?=\S)|(?<=\n)")


def answer_text(answer: AskResponse) -> str:
    """The answer with its ``[n]`` markers, then its sources (or, for an abstention, the nearest passages)."""
    parts = [answer.answer.strip()]
    if answer.citations:
        parts.append("\n".join([SOURCES_HEADING, *(f"- {source_line(c)}" for c in answer.citations)]))
    elif answer.abstained and answer.passages:
        lines = [f"- {passage_line(p)}" for p in answer.passages[:NEAREST_SHOWN]]
        parts.append("\n".join([NEAREST_HEADING, *lines]))
    return "\n\n".join(parts)


def without_sources(content: str) -> str:
    """An earlier assistant message of ours, less the lists ``answer_text`` added (for history)."""
    for heading in (SOURCES_HEADING, NEAREST_HEADING):
        content = content.split(f"\n\n{heading}\n", 1)[0]
    return content


def pieces(text: str) -> list[str]:
    """``text`` cut after each citation group and line break: the deltas of a streamed answer.

    Joined, the pieces are ``text`` exactly.
    """
    return [piece for piece in _PIECE_END.split(text) if piece]


def source_line(citation: CitationOut) -> str:
    """ "[1] Southend-on-Sea, 27 August 2019, "Children in care", paragraphs 25, 26, page 6: URL"."""
    where = [citation.local_authority, _pretty(citation.publication_date)]
    if citation.section:
        where.append(f"“{citation.section}”")
    if citation.paragraphs:
        label = "paragraph" if len(citation.paragraphs) == 1 else "paragraphs"
        where.append(f"{label} {', '.join(citation.paragraphs)}")
    where.append(f"page {citation.page}")
    return f"[{citation.n}] {', '.join(where)}: {citation.url}"


def passage_line(passage: PassageOut) -> str:
    """ "Bristol, 5 December 2014, page 28 (URL): 111. The City Director, senior…"."""
    excerpt = " ".join(passage.text.split())
    if len(excerpt) > EXCERPT_CHARS:
        excerpt = excerpt[:EXCERPT_CHARS].rsplit(" ", 1)[0] + "…"
    where = f"{passage.local_authority}, {_pretty(passage.publication_date)}, page {passage.page}"
    return f"{where} ({passage.url}): {excerpt}"


def _pretty(iso: str | None) -> str:
    """ "2019-08-27" as "27 August 2019"; anything else as given ("date unknown" when missing)."""
    if not iso:
        return "date unknown"
    try:
        day = date.fromisoformat(iso[:10])
    except ValueError:
        return iso
    return f"{day.day} {day:%B %Y}"
