"""Mine which words the reports list side by side: members of one set, not two names for one thing.

A near copy that puts "neglect" where its passage says "domestic abuse", "fostering" for
"adoption", "the optician" for "the dentist" or "senior" for "frontline" managers has changed
what it is about; one that puts "additional" for "extra", "funding" for "money" or "address" for
"tackle" has only reworded it. Both pairs are alike in meaning, and no list typed by hand could name
them all, but the reports tell them apart: inspectors list the members of a set together ("neglect,
domestic abuse and exploitation", "adoption and special guardianship", "senior and frontline
managers"), and never write two words for one thing side by side. So two words are **coordinated**
when they stand in the same list (conjuncts joined by commas, "and", "or", "as well as") in
enough reports (``--min-reports``).

Each conjunct of up to three content words gives its last two (the head and its modifier, as the
checker compares words: the stem of the lemma); a longer stretch of text ends the list. Run::

    python -m evals.mine_coordination --corpus ../shared/corpus/ilacs \\
        --out service/answers/grounding/data/coordinated.json
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from evals.mine_entities import documents
from service.answers.grounding.alignment import key
from service.answers.grounding.tokens import CLAIM_STOPWORDS, fold, split_sentences, words

_SEPARATOR = re.compile(r"\s*(?:,|;|\band/or\b|\band\b|\bor\b|\bas well as\b|\(|\))\s*")
_MAX_CONJUNCT = 3  # content words; a longer stretch is not a list member


def _conjunct_keys(segment: str) -> list[str]:
    return [
        key(w.split("'")[0])
        for w in words(segment)
        if w not in CLAIM_STOPWORDS and len(w) > 2 and not any(ch.isdigit() for ch in w)
    ]


def lists(sentence: str) -> Iterable[list[list[str]]]:
    """The lists of a sentence, each as its conjuncts' keys."""
    run: list[list[str]] = []
    for segment in _SEPARATOR.split(fold(sentence).lower()):
        keys = _conjunct_keys(segment)
        if 1 <= len(keys) <= _MAX_CONJUNCT:
            run.append(keys[-2:])
            continue
        if len(run) > 1:
            yield run
        run = []
    if len(run) > 1:
        yield run


def mine(texts: Iterable[str], min_reports: int) -> dict[str, list[str]]:
    """Each key -> the keys it is listed with in at least ``min_reports`` reports."""
    reports: dict[tuple[str, str], set[int]] = defaultdict(set)
    for number, text in enumerate(texts):
        for sentence in split_sentences(text):
            for conjuncts in lists(sentence):
                for i, left in enumerate(conjuncts):
                    for right in conjuncts[i + 1 :]:
                        for a in left:
                            for b in right:
                                if a != b:
                                    reports[(a, b) if a < b else (b, a)].add(number)
    partners: dict[str, list[str]] = defaultdict(list)
    for (a, b), seen in sorted(reports.items()):
        if len(seen) >= min_reports:
            partners[a].append(b)
    return dict(sorted(partners.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus/ilacs"), help="Report folder.")
    parser.add_argument("--out", type=Path, default=Path("service/answers/grounding/data/coordinated.json"))
    parser.add_argument("--min-reports", type=int, default=3, help="Keep pairs listed by this many reports.")
    args = parser.parse_args()
    texts = list(documents(args.corpus))
    partners = mine(texts, args.min_reports)
    payload = {
        "about": "Mined by evals/mine_coordination.py from the reports; do not edit by hand.",
        "reports": len(texts),
        "min_reports": args.min_reports,
        "pairs": sum(len(v) for v in partners.values()),
        "coordinated": partners,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{payload['pairs']} pairs from {len(texts)} reports -> {args.out}")


if __name__ == "__main__":
    main()
