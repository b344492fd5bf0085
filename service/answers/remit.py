"""What an ILACS report covers, and the inspections people confuse it with.

The indexed reports are Ofsted's inspections of local authority children's services (ILACS, and the
single inspection framework before it): one council's help and protection, children in care, care
leavers, adoption and leadership. People also ask the service about things Ofsted, or another
inspectorate, judges under another framework: a named school's grade, "the best primary schools
in Camden", a nursery, a college, one children's home, a SEND area inspection, a youth justice
service's rating. A council's report never gives those grades, yet its passages hold the same words
(schools, homes, SEND), so retrieval finds them and the council's own grade gets quoted as if it
answered. ``other_inspection`` reads such a question once, when the intent is built, and names what
was asked for, so that planning can decline it with the reason.

The kinds come from Ofsted's remit as it publishes it (schools, early years and childcare, further
education and skills, children's social care providers such as children's homes) and from the other
inspectorates of children's services in England (HM Inspectorate of Probation for youth justice,
the Care Quality Commission for health, and Ofsted with the CQC for local area SEND provision). A
regional adoption agency or a fostering agency is likewise graded apart, a focused visit gives no
grade, and no report describes anyone's own case (``personal_case``: the reports are anonymised).
A question about such a place *in general* ("how well do schools support children in care", "what
did Ofsted say about Coventry's own children's homes") is one a council's report answers, and is left
alone: only a graded, ranked or named one is another inspection's.
"""

from __future__ import annotations

import re

# Places Ofsted inspects under its other frameworks, as questions name them (one of each).
_ESTABLISHMENT = (
    r"(?:(?:primary|secondary|junior|infant|grammar|high|special|free|independent|faith|boarding)\s+)?"
    r"(?:schools?|academ(?:y|ies)|colleges?|universit(?:y|ies)|sixth forms?|nurser(?:y|ies)|"
    r"pre-?schools?|childminders?|playgroups?|creches?|children[’']?s homes?|care homes?)"
)
# Words before a place's kind that make it any such place, not one named ("the council's own
# children's homes", "its virtual school", "a residential special school").
_NOT_A_NAME = frozenset(
    {
        "the", "a", "an", "its", "their", "his", "her", "our", "my", "your", "own", "local", "council",
        "councils", "authority", "virtual", "residential", "secure", "mainstream", "other", "all", "any",
        "some", "most", "many", "few", "these", "those", "this", "that", "which", "what", "of", "in",
        "at", "to", "for", "from", "with", "and", "or", "good", "outstanding", "inadequate", "new",
        "registered", "unregistered", "private", "specialist", "children", "childrens", "young",
        "people", "care", "leavers", "looked", "after", "do", "does", "did", "is", "are", "was",
        "were", "how", "ofsted", "by",
    }
)  # fmt: skip
# A grade asked for: "what grade did ... get", "rated", "ofsted rating of", "is ... any good".
_GRADED = re.compile(
    r"\b(?:grades?|graded|ratings?|rated|rate|judge?ments?|judged|ranked|rankings?|league tables?|"
    r"best|worst|top|any good|outstanding|inadequate|requires improvement)\b",
    re.I,
)
# "St Mary's Primary School", "Little Acorns Nursery", "Maple Lodge children's home": one place named.
_NAMED = re.compile(r"\b((?:[a-z][a-z’'.-]*\s+){1,3})" + _ESTABLISHMENT + r"\b", re.I)
# "the best primary schools", "ofsted ratings of warringtons secondary schools", "school league
# tables": many such places graded (not "the best support for children in schools", nor "GCSE grades").
_KINDS_GRADED = (
    r"(?:(?:primary|secondary|junior|infant|grammar|high|special|free|independent)\s+)?"
    r"(?:schools|academies|colleges|nurseries|childminders)\b"
)
_GRADED_MANY = re.compile(
    r"\b(?:best|worst|top|highest|lowest)(?:[\s-]+(?:rated|performing|ranked|graded))?\s+"
    + _KINDS_GRADED
    + r"|\b(?<!gcse )(?<!exam )(?:ratings?|grades?|rankings?|league tables?)\s+(?:of|for)\s+"
    r"(?:[\w’']+\s+){0,2}?"
    + _KINDS_GRADED
    + r"|\b(?:ranked|rated|graded)\s+"
    + _KINDS_GRADED
    + r"|\bschool\s+(?:league tables?|rankings?)\b",
    re.I,
)
# Inspections other than a council's children's services, by what they are called.
_OUTCOME = r"(?:inspections?|ratings?|grades?|judge?ments?|outcomes?|reports?|rated|graded|inspected)"
_OTHER_INSPECTIONS = (
    (
        # "the SEND area inspection", "send inspection outcome" (not "SEND support in the local area")
        re.compile(rf"\b(?:local\s+)?(?:area\s+)?send\s+(?:area\s+)?{_OUTCOME}\b", re.I),
        "the local area SEND inspection (Ofsted with the Care Quality Commission)",
    ),
    (
        re.compile(r"\b(?:hmi|hm inspectorate of|inspectorate of)\s*probation\b|\bhmip\b", re.I),
        "HM Inspectorate of Probation's inspection of youth justice services",
    ),
    (
        re.compile(
            rf"\b(?:cqc|care quality commission)(?:[’']s)?\s+{_OUTCOME}\b"
            r"|\b(?:rated|inspected|graded|judged) by (?:the )?(?:cqc|care quality commission)\b",
            re.I,
        ),
        "the Care Quality Commission's inspection of health services",
    ),
    (
        re.compile(rf"\b(?:hmicfrs|police\s+{_OUTCOME})\b", re.I),
        "HM Inspectorate of Constabulary's inspection of the police",
    ),
)


# Services Ofsted registers and grades apart from the council's own inspection (a regional adoption
# agency, an independent fostering agency), and the focused visits between inspections, which give
# no grade: asked for their grade, a council's report has none to give.
_GRADED_APART = (
    (
        re.compile(
            r"\b(?:regional adoption agenc(?:y|ies)|raas?|(?:independent )?fostering agenc(?:y|ies)|ifas?)\b",
            re.I,
        ),
        "a regional adoption agency or fostering agency, which Ofsted inspects and grades on its own",
    ),
    (
        # "judged in its 2024 focused visit" (not "judged better since the focused visit")
        re.compile(
            r"\b(?:in|at|during|from|of|by)\s+(?:its|the|their|a)?\s*(?:\d{4}\s+)?focused visits?\b", re.I
        ),
        "a focused visit, which Ofsted makes between inspections and which gives no grade",
    ),
)
# A question about the asker's own case: the reports are anonymised and describe no one's case.
_OWN_CASE = re.compile(
    r"\bmy\s+(?:(?:own|old|current|new|last)\s+)?(?:social workers?|case(?:\s+file)?|"
    r"child(?:ren)?|son|daughter|family|foster (?:carers?|parents?)|personal advisers?|pa|iro|"
    r"case worker|key worker)\b",
    re.I,
)


def personal_case(question: str) -> bool:
    """Whether a question asks about the asker's own case ("who was my social worker in Luton")."""
    return bool(_OWN_CASE.search(question))


def other_inspection(question: str) -> str | None:
    """What another inspection than a council's children's services judges, when the question asks
    for its outcome ("a school's own inspection"); ``None`` for a question a council's report answers.

    One school, nursery, college or home with a name before it is one place ("St Mary's primary
    school", "Bradford College", "the Maple Lodge children's home"), a council's name included;
    several ("hartlepool's children's homes", "attend schools rated good") are what a council's
    report may speak of, unless they are ranked or their ratings asked for.
    """
    for pattern, what in _OTHER_INSPECTIONS:
        if pattern.search(question):
            return what
    if not _GRADED.search(question):
        return None
    for pattern, what in _GRADED_APART:
        if pattern.search(question):
            return what
    if _GRADED_MANY.search(question):
        return "schools, nurseries and colleges, which Ofsted inspects and grades one by one"
    for match in _NAMED.finditer(question):
        if match.group(0).lower().endswith("s"):
            continue
        words = match.group(1).lower().split()
        if words and words[-1] not in _NOT_A_NAME and not words[-1].endswith(("'s", "’s")):
            name = match.group(0).split()
            while name and name[0].lower() in _NOT_A_NAME:
                name = name[1:]  # "did St Mary's primary school" names St Mary's
            return f"{' '.join(name)}, which Ofsted inspects and grades on its own"
    return None
