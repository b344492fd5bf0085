"""The domain vocabulary's word lists, in one place: each says which words it holds and who reads it.

Lists that mean different things stay apart (a word that frames a question is not a function word,
and a word that asks for criticism is not one that asks for a list), but they live here, built on
one base list, so that a word is added once and in the right list:

- ``STOPWORDS``: function words and the words that frame any statement about a report ("Ofsted
  found", "the local authority"); shared by query understanding and grounding, which both compare
  content words.
- ``QUERY_STOPWORDS``: ``STOPWORDS`` plus words that frame a question or are casual filler
  ("describe", "latest", "tho"): left out of a question's search terms (``service.answers.query``).
- ``CLAIM_STOPWORDS``: ``STOPWORDS`` plus number words, which grounding's fact checks compare
  instead (``service.answers.grounding``).
- ``FRAMING_WORDS``: search terms that frame what is asked ("compare", "rated", "how many") rather
  than name the subject; the evidence need not hold them (abstention).
- ``ASK_WORDS``: "criticised", "praised": how the findings are wanted, not what about; never search terms.
- ``TONE_FRAMING``, ``LIST_FRAMING``, ``THEME_FRAMING``: words that ask for a tone ("concerns"),
  for the report's improvement list ("recommendations") or for themes across reports ("most
  often"), left out when sentences are scored for the topic (``answering``, ``themes``).
- ``CHANGE_FRAMING``, ``NO_TOPIC``, ``FOLLOWUP_FILLER``: words that ask about change, that leave a
  question about a council without a topic, and that a follow-up adds to no topic (``query``).

And the section kind every part of the service reads, the report's list of improvements ("What
needs to improve", "Areas for improvement", "Recommendations"), written once at the end of this
module in the three strengths its readers need (``IMPROVE_LIST``, ``IMPROVE_HINT``, ``IMPROVE_TITLE``,
with the heading-line form ``LIST_HEADING``).

Words that name a topic stay out even when they are frequent ("children", "care", "service"):
BM25 already weighs a common word down, and removing one loses questions like "caseloads in the
assessment service". (The index's keyword search has its own, smaller list, ``indexer.store.STOPWORDS``,
below the service in the stack.)
"""

from __future__ import annotations

import re

# English function words: articles, pronouns, prepositions, auxiliaries, conjunctions, quantifiers.
_FUNCTION_WORDS = [
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "aren't",
    "as",
    "at",
    "be",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "many",
    "me",
    "more",
    "most",
    "much",
    "my",
    "myself",
    "nor",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "ought",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "s",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "t",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "upon",
    "very",
    "via",
    "was",
    "we",
    "well",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "whose",
    "why",
    "will",
    "with",
    "within",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
]

# Words that frame any sentence about an inspection report rather than say what it found.
_REPORT_FRAMING = [
    "according",
    "report",
    "reports",
    "inspection",
    "inspector",
    "inspectors",
    "ofsted",
    "said",
    "says",
    "say",
    "found",
    "finds",
    "local",
    "authority",
    "authority's",
    "council",
    "council's",
]

STOPWORDS = frozenset(_FUNCTION_WORDS + _REPORT_FRAMING)

# Words that frame a question rather than name its subject, and casual fillers ("any good tho", "ok
# so", "2019 vs 2024 better or worse"); dates and "latest"/"previous" become filters instead.
# ("children's" and "what's" need no entry: a possessive is cut before the look-up.)
QUERY_STOPWORDS = STOPWORDS | frozenset((
    "authorities", "councils", "describe", "described", "find", "finding", "findings", "inspected",
    "inspections", "earliest", "oldest", "newest", "one", "latest", "made", "make", "mention",
    "mentioned", "mentions", "previous", "next", "recent", "reported", "since", "tell",
    "ok", "okay", "tho", "though", "stuff", "thing", "things", "lot", "lots", "bit", "really", "actually",
    "anything", "something", "even", "still", "now", "vs", "versus", "worse", "better", "getting", "sort",
    "sorted", "go", "going", "collection", "effect", "quite",
))  # fmt: skip

# Number words: the grounding checker compares figures as facts, not as words.
CLAIM_STOPWORDS = STOPWORDS | frozenset(("per", "cent", "percent", "one", "ones"))

# Words of money (pay, spending, prices), from ordinary English rather than from any question: a
# "how much" question about them is answered by a sum of money ("£2,000", "£3.5 million"), not by
# any count near them ("80 care leavers" in "paid work experience"; abstention's figure check).
MONEY_WORDS = frozenset((
    "pay", "paid", "pays", "salary", "salaries", "wage", "wages", "earn", "earns", "earned", "earnings",
    "spend", "spends", "spent", "spending", "cost", "costs", "costing", "budget", "budgets", "overspend",
    "fee", "fees", "allowance", "allowances", "price", "prices", "money", "income", "funding",
))  # fmt: skip

# Search terms that frame a question ("compare", "called", "rated", "how many") rather than name its
# subject: a passage that answers it need not contain them (abstention's topic and figure checks).
FRAMING_WORDS = frozenset((
    "compare", "compared", "comparison", "differ", "differed", "difference", "differences", "change",
    "changed", "changes", "happen", "happened", "called", "named", "name", "names", "stand", "mean",
    "means", "meant", "rated", "rating", "ratings", "judged", "judge", "judgement", "judgment",
    "judgements", "grade", "graded", "grades", "headline", "overall", "done", "use", "uses", "used",
    "using", "like", "large", "high", "low", "many", "much", "proportion", "percentage", "number",
    "increase", "increased", "decrease", "decreased", "carried", "carry", "tackled", "tackle", "rely",
    "relied", "relying", "taking", "take", "took", "get", "got", "receive", "received", "give", "given",
    "provide", "provided", "provides", "kind", "kinds", "type", "types", "example", "examples", "way",
    "ways", "happening", "view", "views", "doing", "approach", "respond", "responded", "response", "deal",
    "dealt", "handle", "handled", "make", "made", "ensure",
    # what a summary question asks for, not what it is about
    "summarise", "summarize", "summary", "main", "key", "overview", "findings", "strengths", "weaknesses",
))  # fmt: skip

# Words that only frame the ask for criticism or praise: reports rarely use them, so as search or
# scoring words they would reward the few passages that do ("criticised" is in 3 of 37,000) and
# nothing else. Dropped from the intent's terms (``service.answers.understanding``).
ASK_WORDS = frozenset((
    "criticised", "criticise", "criticize", "criticized", "criticism", "criticisms", "critique",
    "praised", "praise", "praising", "commended", "commend", "commending", "commendation",
    # "what was wrong with ...": the reports say what was weak, rarely that it was "wrong"
    "wrong",
))  # fmt: skip

# Words that say a question wants criticism or praise rather than what it is about ("what concerns
# did inspectors raise about ..."): left out when sentences are scored for the question's topic,
# since the tone of a sentence, not these words, answers that part of it.
TONE_FRAMING = ASK_WORDS | frozenset((
    "concern", "concerns", "concerned", "raise", "raised", "raising", "weak", "weakness", "weaknesses",
    "strength", "strengths", "problem", "problems", "issue", "issues", "worry", "worries",
    "shortcoming", "shortcomings", "shortfall", "shortfalls", "failing", "failings", "positive",
    "positives", "negative", "identified", "identify", "highlighted", "highlight", "noted", "note",
    "expressed", "express", "good", "poor", "poorly", "well", "went", "wrong", "best", "practice",
    "success", "successes", "successful", "areas", "area", "critical",
    # how people type a shortfall or ask how well: "why was the MASH struggling", "cases stuck
    # in PLO", "were thresholds applied properly", "what will help them improve faster"
    "struggling", "struggle", "struggles", "struggled", "stuck", "bad", "badly", "properly",
    "faster", "quicker",
))  # fmt: skip

# Words that ask for a report's list of improvements rather than say what it should be about
# ("what needs to improve for care leavers?" picks items by "care leavers" only).
LIST_FRAMING = frozenset((
    "need", "needs", "needed", "improve", "improved", "improvement", "improvements", "improving",
    "area", "areas", "identify", "identified", "must", "should", "recommendation", "recommendations",
    "weakness", "weaknesses", "services", "service", "development", "priority", "priorities",
    "action", "actions", "required", "require", "requires", "main", "key", "list", "inspectors",
    "left", "fix", "fixing",
))  # fmt: skip

# Words a themes question uses to say "across reports, most often": not its topic (from the
# questions of the issue and the gold sets' survey lines).
THEME_FRAMING = frozenset((
    "common", "commonly", "often", "most", "frequent", "frequently", "recurring", "recur", "recurs",
    "come", "comes", "came", "crop", "theme", "themes", "across", "typical", "typically", "usual",
    "usually", "general", "services", "service", "inspectors", "councils", "reports", "local",
    "authorities", "repeatedly", "again", "weaknesses", "weakness", "strengths", "strength", "up",
    "mentioned", "cited", "noted", "highlighted", "main", "key", "biggest", "frequent", "kinds",
    "las", "council", "authority",
))  # fmt: skip


# Words that frame a question about change from an earlier inspection ("changed since", "still
# inadequate"): left out of its terms, since the reports say it in their own words (``query``).
CHANGE_FRAMING = frozenset((
    "better", "change", "changed", "changes", "decline", "declined", "deteriorate", "deteriorated",
    "deterioration", "different", "improve", "improved", "improvement", "improving", "longer",
    "progress", "progressed", "still", "worse", "turn", "turned", "turning", "round", "around",
))  # fmt: skip

# Words that leave a question about a council without a topic ("greenwich most recent ofsted",
# "camden 2020 inspection overall"): such a question asks for the headline grade (``query``).
NO_TOPIC = frozenset((
    "did", "do", "doing", "fare", "fared", "find", "get", "go", "got", "grade", "grades", "ilacs",
    "inspection", "judgement", "judgements", "judgment", "like", "ofsted", "ok", "outcome", "overall",
    "rating", "ratings", "report", "result", "results", "said", "say", "so", "then", "went",
))  # fmt: skip

# Words of a follow-up that say nothing of its topic ("what did they get in 2019 then", "was it
# outstanding the time before too", "when ofsted went back"): a follow-up of only these keeps the
# earlier question's frame, and an earlier question lends none of them as a topic.
FOLLOWUP_FILLER = frozenset((
    "again", "also", "any", "anything", "back", "did", "do", "done", "get", "getting", "got", "happen",
    "happened", "instead", "like", "now", "ok", "okay", "one", "ones", "so", "still", "then", "tho",
    "though", "time", "too", "try", "trying",
))  # fmt: skip


# A sentence saying how things changed from an earlier inspection, which a question about change
# asks for (``QueryIntent.asks_change``): "have deteriorated since the previous inspection in
# 2015", "has improved so that this is now outstanding", "are no longer inadequate". Favoured in
# choosing sentences (``answering``) and, for a change asked of no topic, passages (``retrieval``).
CHANGE_SENTENCE = re.compile(
    r"\b(?:since the (?:last|previous|prior|most recent|\d{4})(?: \w+){0,2} (?:inspection|visit)"
    r"|(?:has|have|had) (?:\w+ ){0,2}"
    r"(?:improved|deteriorated|declined|strengthened|weakened|worsened|progressed)"
    r"|(?:made|making) (?:\w+ ){0,2}progress|no longer|(?:improved|deteriorated|declined) (?:since|from)"
    r"|(?:is|are) now (?:good|outstanding|inadequate|requires)"
    r"|(?:at|from) the (?:last|previous) inspection)\b",
    re.I,
)


# --- the summary section ---------------------------------------------------------------------
# Where a report states its conclusions when they do not open it: the single inspection
# framework's reports (2013-2018) put them on pages 2-5 under "Executive summary" (112 reports of
# the shared corpus) or "Summary of key findings" (23), or under their headline judgement ("The
# overall judgement is that children's services require improvement", "Children's services in
# Torbay are ..."). Not "Summary for children and young people", a letter to the children.
SUMMARY_SECTION = re.compile(
    r"executive summary|summary of (?:key )?findings|^children[’']s services in .{3,80}? (?:are|is|require)"
    r"|overall judgement is",
    re.I,
)


# --- the improvement section ------------------------------------------------------------------
# Titles of a report's list of improvements as the reports write them: "What does the local
# authority need to improve?", "What needs to improve", "Areas for improvement", "Recommendations".
def _improve_titles(title_char: str) -> str:
    return (
        rf"what (?:does|do) (?:the )?{title_char}{{2,40}}? need to improve|what needs to improve|"
        r"areas? for (?:improvement|development)|recommendations"
    )


# The list's own section, whose items answer "what needs to improve?" (``Composer.section_list``, summaries).
IMPROVE_LIST = re.compile(r"needs? to improve|areas? for improvement|recommendations", re.I)
# A section loosely about improvement: boosted for "what needs to improve?" and its sentences
# favoured (``service.answers.query.SECTION_HINTS``, ``Composer.extractive``).
IMPROVE_HINT = re.compile(r"improve|recommendation", re.I)
# A section whose sentences state things to improve however neutrally worded (``service.answers.tone``),
# with the older frameworks' "requires improvement because", "priority and immediate action".
IMPROVE_TITLE = re.compile(
    _improve_titles(".") + r"|requires? improvement because|inadequate because|"
    r"priority and immediate action|capacity to improve",
    re.I,
)
# A heading line inside a passage that opens a list of improvements or of strengths (``tone.list_ranges``).
LIST_HEADING = re.compile(
    r"^[ \t]*(?P<title>(?:" + _improve_titles(r"[^\n?]") + r"|[^\n]{0,80}\brequires? improvement because|"
    r"(?:the )?[^\n]{0,40}\bstrengths|[^\n]{0,40}\bhas the following strengths))"
    r"[ \t]*[?:]?[ \t]*\d{0,3}[ \t]*$",
    re.I | re.M,
)
