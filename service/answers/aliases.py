"""Local authority names as people write them, mapped to the councils in the index.

Questions name councils loosely: "Southend" for Southend-on-Sea, "Hull" for Kingston upon Hull,
"BCP" for Bournemouth, Christchurch and Poole, "Durham County Council", "Telford & Wrekin". Dense
embeddings cannot tell one council's report from another's, so the service finds these names in
the question itself and turns them into filters over report ids. ``Gazetteer`` is built from the
index's own report metadata (so a new council needs no code change) plus the short and former
names below; it also knows places that are *not* English children's-services authorities
(Cardiff, Glasgow, Belfast, ...), so that a question about them is answered with "not in the
indexed reports" rather than with passages about somewhere else.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

# Short, informal and former names → the canonical (normalised) name as the manifest spells it.
# A tuple target is a council that was split: both successors are searched.
ALIASES: dict[str, str | tuple[str, ...]] = {
    "southend": "southend on sea",
    "hull": "kingston upon hull",
    "hull city": "kingston upon hull",
    "bcp": "bournemouth christchurch and poole",
    "bournemouth": "bournemouth christchurch and poole",
    "poole": "bournemouth christchurch and poole",
    "christchurch": "bournemouth christchurch and poole",
    "bournemouth christchurch poole": "bournemouth christchurch and poole",
    "county durham": "durham",
    "telford": "telford and wrekin",
    "wrekin": "telford and wrekin",
    "windsor": "windsor and maidenhead",
    "maidenhead": "windsor and maidenhead",
    "rbwm": "windsor and maidenhead",
    "royal borough of windsor and maidenhead": "windsor and maidenhead",
    "banes": "bath and north east somerset",
    "b and nes": "bath and north east somerset",
    "bath": "bath and north east somerset",
    "city of london": "london corporation",
    "corporation of london": "london corporation",
    "city of london corporation": "london corporation",
    "newcastle": "newcastle upon tyne",
    "stoke": "stoke on trent",
    "stockton": "stockton on tees",
    "kingston": "kingston upon thames",
    "richmond": "richmond upon thames",
    "brighton": "brighton and hove",
    "blackburn": "blackburn with darwen",
    "darwen": "blackburn with darwen",
    "barking": "barking and dagenham",
    "dagenham": "barking and dagenham",
    "hammersmith": "hammersmith and fulham",
    "fulham": "hammersmith and fulham",
    "kensington": "kensington and chelsea",
    "chelsea": "kensington and chelsea",
    "rbkc": "kensington and chelsea",
    "royal borough of kensington and chelsea": "kensington and chelsea",
    "redcar": "redcar and cleveland",
    "saint helens": "st helens",
    "east riding": "east riding of yorkshire",
    "cheshire west": "cheshire west and chester",
    "hereford": "herefordshire",
    "westmorland": "westmorland and furness",
    "scilly": "isles of scilly",
    "isles of scilly": "isles of scilly",
    "iow": "isle of wight",
    "north east lincs": "north east lincolnshire",
    "ne lincolnshire": "north east lincolnshire",
    "north lincs": "north lincolnshire",
    "bristol city": "bristol",
    "city of bristol": "bristol",
    "city of york": "york",
    "milton keynes council": "milton keynes",
    "bedford borough": "bedford",
    "tyneside": ("north tyneside", "south tyneside"),
    # County and borough short forms as people type them (postal and sector usage: "Hants",
    # "Herts", "Lancs", "Oxon", "MK", "B&NES", "H&F"). "Yorks" alone is several councils: left out.
    "hants": "hampshire",
    "herts": "hertfordshire",
    "beds": ("bedford", "central bedfordshire"),
    "central beds": "central bedfordshire",
    "bucks": "buckinghamshire",
    "notts": "nottinghamshire",
    "nottm": "nottingham",
    "lancs": "lancashire",
    "northants": ("north northamptonshire", "west northamptonshire"),
    "north northants": "north northamptonshire",
    "west northants": "west northamptonshire",
    "north yorks": "north yorkshire",
    "n yorks": "north yorkshire",
    "east yorks": "east riding of yorkshire",
    "staffs": "staffordshire",
    "warks": "warwickshire",
    "wilts": "wiltshire",
    "oxon": "oxfordshire",
    "glos": "gloucestershire",
    "gloucs": "gloucestershire",
    "south glos": "south gloucestershire",
    "s glos": "south gloucestershire",
    "leics": "leicestershire",
    "lincs": "lincolnshire",
    "ne lincs": "north east lincolnshire",
    "cambs": "cambridgeshire",
    "worcs": "worcestershire",
    "derbys": "derbyshire",
    "shrops": "shropshire",
    "salop": "shropshire",
    "northumb": "northumberland",
    "west berks": "west berkshire",
    "w berks": "west berkshire",
    "e sussex": "east sussex",
    "w sussex": "west sussex",
    "mk": "milton keynes",
    "bnes": "bath and north east somerset",
    "h and f": "hammersmith and fulham",
    "lbhf": "hammersmith and fulham",
    "bwd": "blackburn with darwen",
    "brum": "birmingham",
    "corp of london": "london corporation",
    # Councils abolished and split: a question about their old reports searches the successors.
    "northamptonshire": ("north northamptonshire", "west northamptonshire"),
    "cumbria": ("cumberland", "westmorland and furness"),
}

# Of those, the councils abolished before any of their reports in the collection, and when (as their
# successors' first reports state it: "unitary authorities came into being on 1 April 2023"). The
# collection has no report of theirs: a question about their services is one about a council the
# reports do not cover (FORMAT.md's "abolished councils"), though a grade question is still read
# with the successors' reports, whose first pages give the predecessor's last grade.
ABOLISHED = {"northamptonshire": "April 2021", "cumbria": "April 2023"}

# England's children's-services authorities (2026 boundaries, the 153 of the Ofsted corpus): a question
# naming one that has no report in the index being served is told so, not answered about another.
ENGLISH_COUNCILS = (
    "barking and dagenham",
    "barnet",
    "barnsley",
    "bath and north east somerset",
    "bedford",
    "bexley",
    "birmingham",
    "blackburn with darwen",
    "blackpool",
    "bolton",
    "bournemouth, christchurch & poole",
    "bracknell forest",
    "bradford",
    "brent",
    "brighton and hove",
    "bristol",
    "bromley",
    "buckinghamshire",
    "bury",
    "calderdale",
    "cambridgeshire",
    "camden",
    "central bedfordshire",
    "cheshire east",
    "cheshire west and chester",
    "cornwall",
    "coventry",
    "croydon",
    "cumberland",
    "darlington",
    "derby",
    "derbyshire",
    "devon",
    "doncaster",
    "dorset",
    "dudley",
    "durham",
    "ealing",
    "east riding of yorkshire",
    "east sussex",
    "enfield",
    "essex",
    "gateshead",
    "gloucestershire",
    "greenwich",
    "hackney",
    "halton",
    "hammersmith and fulham",
    "hampshire",
    "haringey",
    "harrow",
    "hartlepool",
    "havering",
    "herefordshire",
    "hertfordshire",
    "hillingdon",
    "hounslow",
    "isle of wight",
    "isles of scilly",
    "islington",
    "kensington and chelsea",
    "kent",
    "kingston upon hull",
    "kingston upon thames",
    "kirklees",
    "knowsley",
    "lambeth",
    "lancashire",
    "leeds",
    "leicester",
    "leicestershire",
    "lewisham",
    "lincolnshire",
    "liverpool",
    "london corporation",
    "luton",
    "manchester",
    "medway",
    "merton",
    "middlesbrough",
    "milton keynes",
    "newcastle upon tyne",
    "newham",
    "norfolk",
    "north east lincolnshire",
    "north lincolnshire",
    "north northamptonshire",
    "north somerset",
    "north tyneside",
    "north yorkshire",
    "northumberland",
    "nottingham",
    "nottinghamshire",
    "oldham",
    "oxfordshire",
    "peterborough",
    "plymouth",
    "portsmouth",
    "reading",
    "redbridge",
    "redcar and cleveland",
    "richmond upon thames",
    "rochdale",
    "rotherham",
    "rutland",
    "salford",
    "sandwell",
    "sefton",
    "sheffield",
    "shropshire",
    "slough",
    "solihull",
    "somerset",
    "south gloucestershire",
    "south tyneside",
    "southampton",
    "southend-on-sea",
    "southwark",
    "st helens",
    "staffordshire",
    "stockport",
    "stockton-on-tees",
    "stoke-on-trent",
    "suffolk",
    "sunderland",
    "surrey",
    "sutton",
    "swindon",
    "tameside",
    "telford & wrekin",
    "thurrock",
    "torbay",
    "tower hamlets",
    "trafford",
    "wakefield",
    "walsall",
    "waltham forest",
    "wandsworth",
    "warrington",
    "warwickshire",
    "west berkshire",
    "west northamptonshire",
    "west sussex",
    "westminster",
    "westmorland and furness",
    "wigan",
    "wiltshire",
    "windsor & maidenhead",
    "wirral",
    "wokingham",
    "wolverhampton",
    "worcestershire",
    "york",
)

# Places that hold no report here: not English children's-services authorities (the devolved
# nations run their own inspectorates), or English towns people may name instead of the council.
NOT_IN_CORPUS_PLACES = (
    "wales",
    "scotland",
    "northern ireland",
    "ireland",
    "republic of ireland",
    # Wales
    "cardiff",
    "swansea",
    "newport",
    "wrexham",
    "vale of glamorgan",
    "rhondda cynon taf",
    "caerphilly",
    "bridgend",
    "neath port talbot",
    "carmarthenshire",
    "pembrokeshire",
    "ceredigion",
    "powys",
    "gwynedd",
    "anglesey",
    "isle of anglesey",
    "conwy",
    "denbighshire",
    "flintshire",
    "monmouthshire",
    "torfaen",
    "blaenau gwent",
    "merthyr tydfil",
    # Scotland
    "glasgow",
    "glasgow city",
    "edinburgh",
    "city of edinburgh",
    "aberdeen",
    "aberdeenshire",
    "dundee",
    "fife",
    "highland",
    "inverness",
    "south lanarkshire",
    "north lanarkshire",
    "inverclyde",
    "renfrewshire",
    "east renfrewshire",
    "stirling",
    "falkirk",
    "perth and kinross",
    "angus",
    "moray",
    "scottish borders",
    "dumfries and galloway",
    "east lothian",
    "west lothian",
    "midlothian",
    "clackmannanshire",
    "argyll and bute",
    "east ayrshire",
    "north ayrshire",
    "south ayrshire",
    "west dunbartonshire",
    "east dunbartonshire",
    "orkney",
    "shetland",
    "western isles",
    "na h eileanan siar",
    # Northern Ireland
    "belfast",
    "derry",
    "londonderry",
    "lisburn",
    "newry",
    "armagh",
    "antrim",
    "craigavon",
    "fermanagh",
    "omagh",
    "mid ulster",
    "causeway coast and glens",
    "ards and north down",
    # Elsewhere people may ask about
    "dublin",
    "cork",
    "limerick",
    "galway",
    "jersey",
    "guernsey",
    "isle of man",
    "paris",
    "new york",
)

# Parts of England people name as if they were a council, but which hold no children's services
# authority of their own, so no ILACS report: the nine regions of England (ONS's ITL1 regions), the
# six metropolitan counties abolished as councils in 1986 (their districts are the councils), the
# counties abolished in 1996-1998 (Avon, Cleveland, Humberside, Hereford and Worcester) and areas
# named in everyday use and in the reports themselves ("the Black Country", "East Anglia",
# "Teesside", "the Thames Valley", "the Home Counties"). A question about one of them alone is
# declined; one that also names a council ("compared with others in the north east") is answered
# about the council. The one list of such areas: ``Gazetteer`` reads it as ``NOT_IN_CORPUS_PLACES``.
ENGLISH_AREAS = (
    # regions
    "north east",
    "north east england",
    "north west",
    "north west england",
    "yorkshire and the humber",
    "yorkshire and humber",
    "yorkshire",
    "east midlands",
    "west midlands",
    "the midlands",
    "east of england",
    "london",
    "greater london",
    "inner london",
    "outer london",
    "south east",
    "south east england",
    "south west",
    "south west england",
    # metropolitan counties
    "greater manchester",
    "merseyside",
    "south yorkshire",
    "west yorkshire",
    "tyne and wear",
    # counties abolished 1996-1998
    "avon",
    "cleveland",
    "humberside",
    "hereford and worcester",
    # areas in everyday use
    "black country",
    "east anglia",
    "teesside",
    "thames valley",
    "home counties",
)

# Single-word names that are also ordinary English words: matched only when written with a
# capital letter, so "reading age" or "bath time" do not become a council.
COMMON_WORDS = frozenset(
    {
        "reading",
        "bury",
        "bath",
        "hull",
        "poole",
        "derby",
        "york",
        "brent",
        "halton",
        "sutton",
        "kingston",
        "richmond",
        "stoke",
        "windsor",
        "chelsea",
        "darwen",
        "barking",
        "angus",
        "highland",
        "fife",
        "moray",
        "newport",
        "cork",
        "jersey",
        "wrekin",
        "christchurch",
        "beds",
        "bucks",
    }
)

_AMPERSAND = re.compile(r"\s*&\s*")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_PREFIXES = (
    "london borough of ",
    "royal borough of ",
    "metropolitan borough of ",
    "borough of ",
    "city of ",
    "county of ",
)
_SUFFIXES = (
    " city council",
    " county council",
    " borough council",
    " metropolitan borough council",
    " council",
)


def normalise_name(name: str) -> str:
    """Lower case, '&' → 'and', punctuation and hyphens → spaces, council words dropped."""
    text = _AMPERSAND.sub(" and ", name.lower().replace("’", "'"))
    text = text.replace("'s", "")
    text = _NON_WORD.sub(" ", text).strip()
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)].strip()
            break
    return text


@dataclass(frozen=True)
class PlaceMention:
    """A council (or a place outside the corpus) named in a question, with where it was named."""

    key: str  # normalised canonical name; for a place outside the corpus, the place itself
    display: str
    start: int  # character offsets into the question
    end: int
    known: bool  # True when the index holds reports of this council


class Gazetteer:
    """The councils of one index and every name a question may use for them."""

    def __init__(self, local_authorities: Iterable[str]) -> None:
        self._display: dict[str, str] = {}
        for name in local_authorities:
            key = normalise_name(name)
            # Prefer a display name with capitals ("Southend-on-Sea") over the manifest's lower case.
            if key not in self._display or self._display[key].islower():
                self._display[key] = name if not name.islower() else _title(name)
        self._names: dict[str, tuple[str, ...]] = {key: (key,) for key in self._display}
        for alias, target in ALIASES.items():
            targets = (target,) if isinstance(target, str) else target
            known = tuple(t for t in targets if t in self._display)
            if known and alias not in self._names:
                self._names[alias] = known
        # "cheshire e", "n somerset", "ne lincs": a compass point typed as its initial, for every
        # name that has one (a form two councils would share is left out).
        derived: dict[str, set[tuple[str, ...]]] = {}
        for name, targets_of in self._names.items():
            for form in _compass_forms(name):
                derived.setdefault(form, set()).add(targets_of)
        for form, owners in derived.items():
            if form not in self._names and len(owners) == 1:
                self._names[form] = next(iter(owners))
        self._regions = {normalise_name(area) for area in ENGLISH_AREAS} - set(self._names)
        self._outside = {normalise_name(place) for place in NOT_IN_CORPUS_PLACES} - set(self._names)
        self._outside |= self._regions
        self._unindexed = {normalise_name(name) for name in ENGLISH_COUNCILS} - set(self._names)
        self._outside |= self._unindexed
        # Longest names first, so "north east lincolnshire" wins over "lincolnshire".
        words = sorted(set(self._names) | self._outside, key=len, reverse=True)
        self._pattern = re.compile(r"\b(" + "|".join(_flexible(w) for w in words) + r")\b")

    @property
    def keys(self) -> list[str]:
        return sorted(self._display)

    @property
    def names(self) -> dict[str, tuple[str, ...]]:
        """Every name a question may use for a council of the index (normalised) → its keys."""
        return dict(self._names)

    @property
    def regions(self) -> frozenset[str]:
        """Normalised names of parts of England that are no council (``ENGLISH_AREAS``)."""
        return frozenset(self._regions)

    @property
    def outside(self) -> frozenset[str]:
        """Normalised names of places that hold no report here (outside England, or unindexed)."""
        return frozenset(self._outside)

    def display(self, key: str) -> str:
        return self._display.get(key, _title(key))

    def resolve(self, name: str) -> tuple[str, ...]:
        """Canonical keys for a name a caller typed (empty when unknown)."""
        return self._names.get(normalise_name(name), ())

    def suggestions(self, name: str, n: int = 3) -> list[str]:
        """The nearest valid council names, for an error message."""
        norm = normalise_name(name)
        close = difflib.get_close_matches(norm, list(self._names), n=n * 2, cutoff=0.6)
        names: list[str] = []
        for alias in close:
            for key in self._names[alias]:
                display = self.display(key)
                if display not in names:
                    names.append(display)
        if not names:
            starts = [key for key in self._display if key.startswith(norm[:3])]
            names = [self.display(key) for key in starts]
        return names[:n]

    def find(self, question: str) -> list[PlaceMention]:
        """Councils and outside places named in a question, in the order they appear.

        Matching runs on a lower-cased copy with the same character positions, so offsets point
        into the original question; ordinary-word names need a capital letter there.
        """
        lowered = _mask(question)
        mentions: list[PlaceMention] = []
        for match in self._pattern.finditer(lowered):
            word = _canonical_spacing(match.group(1))
            original = question[match.start() : match.end()]
            if word in COMMON_WORDS and not original[:1].isupper():
                continue
            if word == "york" and question[max(0, match.start() - 4) : match.start()].lower() == "new ":
                continue
            if word in self._regions and lowered[match.end() :].lstrip().startswith("borough"):
                continue  # "London Borough of Hackney" names Hackney
            prefix = _AREA_PREFIX.search(lowered, 0, match.start())
            if prefix and word in self._names:
                # "Greater Manchester", "North Devon", "mid sussex": a region or a district named
                # after the council, which is not the council (a known name with the prefix, such as
                # "north east lincolnshire", is matched whole before it gets here).
                place = _canonical_spacing(prefix.group(1) + " " + word)
                mentions.append(PlaceMention(place, _title(place), prefix.start(1), match.end(), False))
                continue
            if word in self._names:
                for key in self._names[word]:
                    mentions.append(PlaceMention(key, self.display(key), match.start(), match.end(), True))
            else:
                mentions.append(PlaceMention(word, _title(word), match.start(), match.end(), False))
        return mentions


# A compass point or "greater" typed right before a council's name makes it another place: English
# district councils are so named after their county ("North Devon", "East Hertfordshire", "Mid
# Suffolk", "South Derbyshire"), and metropolitan regions after their city ("Greater Manchester").
_AREA_PREFIX = re.compile(r"\b((?:north|south)(?:\s+(?:east|west))?|east|west|mid|greater)\s+$")


_COMPASS = {
    "north east": "ne",
    "north west": "nw",
    "south east": "se",
    "south west": "sw",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
}
_COMPASS_WORD = re.compile(r"\b(?:(?:north|south) (?:east|west)|north|south|east|west)\b")


def _compass_forms(name: str) -> set[str]:
    """A name with its compass points as initials ("cheshire east" → "cheshire e", "north east
    lincolnshire" → "ne lincolnshire" and "n e lincolnshire"); none for a name without one."""
    if not _COMPASS_WORD.search(name):
        return set()
    joined = _COMPASS_WORD.sub(lambda m: _COMPASS[m.group(0)], name)
    spaced = _COMPASS_WORD.sub(lambda m: " ".join(w[0] for w in m.group(0).split()), name)
    return {joined, spaced} - {name}


def _mask(question: str) -> str:
    """Lower case with '&' and punctuation turned into spaces, keeping every character's position."""
    chars = []
    for char in question.lower():
        if char == "&":
            chars.append("&")
        elif char.isalnum():
            chars.append(char)
        else:
            chars.append(" ")
    return "".join(chars)


def _flexible(name: str) -> str:
    """A regex for a normalised name that also matches '&' for 'and' and any run of spaces."""
    words = name.split()
    out = ""
    for i, word in enumerate(words):
        if word == "and" and 0 < i < len(words) - 1:
            out += r"(?:\s+and\s+|\s*&\s*)"  # "B&NES", "Telford & Wrekin", "Brighton and Hove"
        else:
            out += (r"\s+" if out and not out.endswith(")") else "") + re.escape(word)
    return out


def _canonical_spacing(matched: str) -> str:
    return " ".join(matched.replace("&", " and ").split())


def _title(name: str) -> str:
    small = {"and", "of", "on", "upon", "with", "the", "in"}
    words = re.split(r"(\s+|-)", name)
    out = []
    for i, word in enumerate(words):
        out.append(
            word if (word in small and i > 0) or not word.strip() or word == "-" else word.capitalize()
        )
    return "".join(out).replace(" & ", " and ")
