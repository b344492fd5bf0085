"""Mine how favourable each word of inspection language is, from the reports themselves.

A claim that says "a delayed response" where its passage says "a prompt response", "occasional
briefings" for "regular briefings" or "has started to make things worse" for "is beginning to make a
difference" keeps the sentence and reverses its judgement. No list of opposites can name every such
pair, but inspectors' sentences lean one way or the other, and a word that mostly appears in
sentences that praise ("effective", "strong") or in those that criticise ("not", "poor", "delay")
leans the same way. So each word's valence is the smoothed log-odds of its appearing in a favourable
rather than an unfavourable sentence of the reports (Turney's seed-word method, with sentences as the
context):

- a sentence is **favourable** when it holds a word of ``FAVOURABLE`` and none of ``UNFAVOURABLE`` nor
  a negation, **unfavourable** the other way round; the others are not counted;
- words within a negation's reach are not counted (a sentence that says "not timely" says nothing
  for or against "timely");
- a word (compared as the checker does: the stem of its lemma, ``alignment.key``) is kept when it is in
  enough sentences of both kinds together (``--min-sentences``) and leans far enough (``--min-lean``).

Only the two seed lists are typed in; they are the verdict words of the inspection frameworks. Run::

- a word (the stem of its lemma, as the checker compares words) is kept when it is in
"""

from __future__ import annotations

import argparse
import json
import math
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from evals.mine_entities import documents
from service.answers.grounding.alignment import key
from service.answers.grounding.tokens import CLAIM_STOPWORDS, split_sentences, words
from service.answers.grounding.vocabulary import NEGATED_CONTRACTION, NEGATIONS

# The verdict words of the inspection handbooks (what "good" and "requires improvement" look like).
FAVOURABLE = frozenset({"effective", "effectively", "strong", "strength", "good", "outstanding", "robust"})
UNFAVOURABLE = frozenset({"poor", "weak", "weakness", "inadequate", "ineffective", "insufficient", "too"})
_REACH = 4  # words after a negation cue that it negates


def _sentence_keys(sentence: str) -> tuple[list[str], bool, bool, bool]:
    """The sentence's countable keys (not negated), and whether it holds each kind of seed or a negation."""
    tokens = words(sentence)
    keys: list[str] = []
    negated_until = -1
    favourable = unfavourable = negation = False
    for i, token in enumerate(tokens):
        if token in NEGATIONS or NEGATED_CONTRACTION.search(token):
            negation, negated_until = True, i + _REACH
            continue
        favourable |= token in FAVOURABLE and i > negated_until
        unfavourable |= token in UNFAVOURABLE
        if token in CLAIM_STOPWORDS or len(token) < 3 or any(ch.isdigit() for ch in token):
            continue
        if i > negated_until:
            keys.append(key(token.split("'")[0]))
    return keys, favourable, unfavourable, negation


def mine(
    texts: Iterable[str], min_sentences: int, min_lean: float
) -> tuple[dict[str, float], dict[str, int]]:
    good: Counter[str] = Counter()
    bad: Counter[str] = Counter()
    n_good = n_bad = 0
    for text in texts:
        for sentence in split_sentences(text):
            keys, favourable, unfavourable, negation = _sentence_keys(sentence)
            if favourable and not (unfavourable or negation):
                good.update(set(keys))
                n_good += 1
            elif (unfavourable or negation) and not favourable:
                bad.update(set(keys))
                n_bad += 1
    prior = math.log(n_good / n_bad)
    lean: dict[str, float] = {}
    for k in set(good) | set(bad):
        if good[k] + bad[k] < min_sentences:
            continue
        value = math.log((good[k] + 1) / (bad[k] + 1)) - prior
        if abs(value) >= min_lean:
            lean[k] = round(max(-3.0, min(3.0, value)), 2)
    return dict(sorted(lean.items())), {"favourable": n_good, "unfavourable": n_bad}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus/ilacs"), help="Report folder.")
    parser.add_argument("--out", type=Path, default=Path("service/answers/grounding/data/valence.json"))
    parser.add_argument(
        "--min-sentences", type=int, default=15, help="Keep words seen in this many sentences."
    )
    parser.add_argument(
        "--min-lean", type=float, default=0.5, help="Keep words whose log-odds lean this far."
    )
    args = parser.parse_args()
    texts = list(documents(args.corpus))
    lean, sentences = mine(texts, args.min_sentences, args.min_lean)
    payload = {
        "about": "Mined by evals/mine_valence.py from the reports; do not edit by hand.",
        "reports": len(texts),
        "sentences": sentences,
        "min_sentences": args.min_sentences,
        "min_lean": args.min_lean,
        "valence": lean,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(lean)} words from {len(texts)} reports ({sentences}) -> {args.out}")


if __name__ == "__main__":
    main()
