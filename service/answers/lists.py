"""Lists a report gives as lists: "What needs to improve", "Areas for improvement", "Recommendations".

Most reports give the list a section of its own; older ones put its heading inside a summary
section, so its items run from below the heading to the next heading, over several passages. An
item is a line of the list with its sentences ("Ensure that ... This includes ..."); a
cross-reference on its own ("(outcome 2, national framework)") or a sub-heading is not one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from service.answers.quoting import REFERENCE_ONLY, prose_like, quote_span
from service.answers.records import Passage
from service.answers.text import sentence_spans, stems
from service.answers.tone import heading_like, list_end, list_ranges

# Items of a "what needs to improve" list given in full (longer lists are cut, in the report's order).
LIST_ITEMS = 10
ITEM_SENTENCES = 2  # sentences quoted of one item (a paragraph-long recommendation gives its first two)
# An item of such a list is about a question's topic ("for care leavers") when it holds this share of it.
LIST_TOPIC_COVER = 0.5
LIST_TOPIC_WEIGHT = 1.0  # ...and a topic is only as much as one ordinary word ("care", idf 0.8, is not)
# One item: (passage rank, sentence position, passage, start, end) of each of its sentences.
Item = list[tuple[int, int, Passage, int, int]]


def list_spans(chunks: Sequence[Any], pattern: re.Pattern[str]) -> list[tuple[Passage, int, int]]:
    """Where a report's list is: its section's passages whole, else the run under its heading.
    ``chunks`` are the report's chunks in order; spans are ``(passage, start, end)``."""
    return [
        (_as_passage(c), 0, len(c.text)) for c in chunks if pattern.search(c.section or "")
    ] or _inline_list(chunks, pattern)


def list_items(spans: Sequence[tuple[Passage, int, int]]) -> list[Item]:
    """The items of a list, in order, each with all its quotable sentences."""
    items: list[Item] = []
    for rank, (passage, begin, finish) in enumerate(spans):
        previous_end = begin
        for position, span in enumerate(sentence_spans(passage.text)):
            start, end = quote_span(passage.text, *span)
            sentence = passage.text[start:end]
            if not begin <= start < finish:
                continue
            if not prose_like(sentence) or REFERENCE_ONLY.fullmatch(sentence) or heading_like(sentence):
                continue  # "Planning for children who need protection": a sub-heading
            if not items or "\n" in passage.text[previous_end:start] or previous_end == begin:
                items.append([])
            previous_end = end
            items[-1].append((rank, position, passage, start, end))
    return items


def covers(item: Item, weights: dict[str, float]) -> float:
    """Share of a topic's (idf) weight that the sentences of a list item hold."""
    present = {w for _, _, passage, start, end in item for w in stems(passage.text[start:end])}
    return sum(v for t, v in weights.items() if t in present) / (sum(weights.values()) or 1.0)


def _inline_list(chunks: Sequence[Any], pattern: re.Pattern[str]) -> list[tuple[Passage, int, int]]:
    """The first list under a heading matching ``pattern`` inside the text of ``chunks`` (in
    report order), as ``(passage, start, end)`` spans; it may run on into following chunks of the
    same section. A heading with no sentence under it (a table of contents) is passed over."""
    for i, chunk in enumerate(chunks):
        if (chunk.section or "").strip().lower() == "contents":
            continue
        for found in list_ranges(chunk.text):
            heading = chunk.text[max(0, found.start - 120) : found.start].splitlines()[-1:]
            if found.tone > 0 or not heading or not pattern.search(heading[0]):
                continue
            if not any(found.start <= a < found.end and prose_like(chunk.text[a:b]) for a, b in
                       sentence_spans(chunk.text)):  # fmt: skip
                continue
            spans = [(_as_passage(chunk), found.start, found.end)]
            if found.end == len(chunk.text):
                for following in chunks[i + 1 :]:
                    if following.section != chunk.section:
                        break
                    end = list_end(following.text, 0)
                    if end > 0:
                        spans.append((_as_passage(following), 0, end))
                    if end < len(following.text):
                        break
            return spans
    return []


def _as_passage(chunk: Any) -> Passage:
    from service.answers.retrieval import passage_from_chunk

    return passage_from_chunk(chunk, 0.0)
