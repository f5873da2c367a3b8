"""Reading a question about a photo: what it asks, and about which thing.

The photo path answers these kinds of question, each grounded in a model's output:
- identify: "what is this?", "what animal is this?", "what kind of dog is it?";
- exists: "is there a cup?", "are there any people?", "is this a cat?";
- count: "how many cars are there?";
- colour: "what colour is the car?", "what color is it?";
- room: "what room is this?", "where was this taken?";
- text: "what does the sign say?", "what is written here?" (with Tesseract installed);
- picture: "is this photo in colour?", "is it dark?", "is this indoors?";
- people: how many, faces, posture, raised arms, what they hold, the colour they wear
  (`app.worlds.photo.people`).
Everything else (what people do, what faces show, why, when, who) is out of scope and
said so. Clean-up, shorthand and the speller are every world's (`app.worlds.language`);
slips are corrected to the photo words.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from app.worlds.language import FILLER_CORE, OUT_OF_SCOPE_CORE, Speller, clean, expand_shorthand, plural_forms
from app.worlds.photo import people, words

INTENTS = ("identify", "exists", "count", "colour", "room", "text", "picture", "people")


def _words(text: str) -> set[str]:
    return set(text.split())


SUBJECT = _words("this that it these those there picture image photo photograph pic shown see scene here")
KIND_CUES = _words("kind type sort breed species make model")
COLOUR_WORDS = _words("color colour colors colours colored coloured")
TEXT_CUES = _words("say says said written write text read reads word words letters sign caption title label")
ROOM_CUES = _words("room rooms place location where")
# The whole picture: in colour or black and white, dark or bright, night or day.
PICTURE_NOUNS = _words("photo photograph picture image pic")
GRAYSCALE = _words("grayscale greyscale monochrome monochromatic")
LIGHT_WORDS = {"dark": "dark", "bright": "bright", "night": "night", "nighttime": "night", "day": "day", "daytime": "day"}
PLACE_WORDS = {"indoors": "indoors", "indoor": "indoors", "inside": "indoors", "outdoors": "outdoors", "outdoor": "outdoors"}
PLACE_WORDS |= {"outside": "outdoors"}
# "What is in the cup / on the plate?": what fills a container is food or drink, which
# the classifier names.
CONTAINER_WORDS = _words("cup cups mug mugs bowl bowls glass glasses plate plates bottle bottles dish pot pan")
EXIST_OPENERS = _words("is are does do can could was were any have has")
OUT_OF_SCOPE = set(OUT_OF_SCOPE_CORE) | _words("""
    do name happening eating running looking
    behind front under above below beside next brand made material bigger smaller taller
    than season day night year gender race temperature hot cold shape size
""")
# Words of photos that name no thing the models find: known, so never "corrected" to one.
SCENERY_NOUNS = _words("""
    sky grass water tree trees road street wall walls floor snow sea beach mountain building house field cloud
    clouds sun window door background foreground ground hair eyes shirt dress hat clothes jacket box boxes
""")
SCENERY = SCENERY_NOUNS | _words("""
    full empty open closed real alive taken shot made or and with inside
    black white gray grey red orange yellow green blue purple pink brown
""")
ROOM_NAMES = {"kitchen": "kitchen", "bathroom": "bathroom", "bedroom": "bedroom", "office": "office"}
ROOM_NAMES |= {"living": "living room", "dining": "dining room", "lounge": "living room", "toilet": "bathroom"}
FILLER = set(FILLER_CORE) | _words("""
    contain contains shows kinds types room where many much number object objects item items
""")
SCOPE_NOTE = (
    "About photos I can say what the main thing is (an animal, a vehicle, some food, or one of 1,000 everyday "
    "objects), whether something is there, how many people, animals, cups or cars there are, what colour a "
    "thing is, which room this is, what clear text says, whether the photo is in colour, dark, or indoors, and whether "
    "people sit, stand or lie, raise an arm, what they hold and what colour they wear."
)
TEXT_NOTE = "Reading text needs the Tesseract OCR program, which is not installed on this server."
PERSON_NOTE = "The detector finds people; it cannot tell a man from a woman or a child from an adult."


@dataclass(frozen=True)
class Thing:
    """What a noun names, for each model that can see it."""

    word: str
    detector: str | None  # a COCO class
    kind: str | None  # a group of ImageNet classes (`photo_words.KIND_RANGES`)

    @property
    def name(self) -> str:
        return self.detector or self.kind or self.word


@dataclass(frozen=True)
class PhotoQuestion:
    intent: str | None  # one of INTENTS, None when out of scope
    question: str = ""  # as typed
    thing: Thing | None = None
    category: str | None = None  # "animal", "vehicle", "food" for identify
    read_as: str = ""
    corrections: list[dict[str, str]] = field(default_factory=list)
    unknown_words: list[str] = field(default_factory=list)
    scope_note: str | None = None
    note: str | None = None
    room: str | None = None
    # the whole picture: colour, gray, dark, bright, night, day, indoors, outdoors; people:
    # what `people.read_people` says the question asks
    aspect: str | None = None
    person_detail: bool = False  # "man", "girl": more than the detector can tell apart
    position: str | None = None  # "the woman on the left": left, middle or right, among the people

    @property
    def in_scope(self) -> bool:
        return self.intent is not None


def _thing_table() -> dict[str, Thing]:
    table: dict[str, Thing] = {}
    for word in sorted({*words.NOUNS, *words.KIND_NOUNS}):
        thing = Thing(word, words.NOUNS.get(word), words.KIND_NOUNS.get(word))
        for form in (word, *plural_forms(word)):
            table.setdefault(form, thing)
    return table


THINGS = _thing_table()
SPELLER = Speller(
    (
        [w for t in THINGS for w in t.split()] + list(words.CATEGORY_WORDS),
        [
            *ROOM_NAMES,
            *SUBJECT,
            *KIND_CUES,
            *COLOUR_WORDS,
            *ROOM_CUES,
            *EXIST_OPENERS,
            *GRAYSCALE,
            *LIGHT_WORDS,
            *PLACE_WORDS,
            *CONTAINER_WORDS,
            *people.POSTURES,
            *people.RAISE_WORDS,
            *people.LIMB_WORDS,
            *people.HOLD_WORDS,
            *people.WEAR_WORDS,
            *people.CLOTHES,
            *people.LOWER_CLOTHES,
            *people.FACE_DETAIL,
            *people.SMILE_WORDS,
            *people.ACTIVITY_WORDS,
            *people.POSITION_WORDS,
            "being",
            "face",
            "faces",
            "down",
            "up",
            "their",
            "his",
            "her",
            "they",
            "he",
            "she",
            "how",
            "many",
            "what",
            "which",
            "count",
            "number",
        ],
        [*FILLER, *TEXT_CUES],
        [*OUT_OF_SCOPE, *SCENERY],
    )
)


def find_thing(tokens: list[str]) -> Thing | None:
    """The first thing named (two-word names first)."""
    for i in range(len(tokens)):
        pair = " ".join(tokens[i : i + 2])
        if pair in THINGS and " " in pair:
            return THINGS[pair]
        if tokens[i] in THINGS:
            return THINGS[tokens[i]]
    return None


def picture_aspect(tokens: list[str], thing: Thing | None) -> str | None:
    """What a yes/no question asks of the whole picture ("is this photo in colour?",
    "is it black and white?", "is it dark?", "was this taken at night?"), or None."""
    said = set(tokens)
    if thing is not None or tokens[0] not in EXIST_OPENERS:
        return None
    if said & GRAYSCALE or {"black", "white"} <= said:
        return "gray"
    if said & COLOUR_WORDS and (said & PICTURE_NOUNS or "in" in said):  # "is this in colour?" too
        return "colour"
    if said & SUBJECT:
        # "is it day or night?" asks the first; "is it inside or outside?" too
        aspects = LIGHT_WORDS | PLACE_WORDS
        return next((aspects[t] for t in tokens if t in aspects), None)
    return None


def _asks_contents(tokens: list[str]) -> bool:
    """ "what is in the cup?", "what's on the plate?", "what is inside the bowl?" (not
    what is written on it, nor its colour)"""
    if set(tokens) & (TEXT_CUES | COLOUR_WORDS | KIND_CUES):
        return False
    for i, token in enumerate(tokens[:-1]):
        if token in ("in", "on", "inside") and tokens[0] in ("what", "which"):
            after = [t for t in tokens[i + 1 : i + 3] if t not in ("the", "a", "this", "that", "my", "your")]
            if after and after[0] in CONTAINER_WORDS:
                return True
    return False


def _intent(tokens: list[str], thing: Thing | None, category: str | None) -> str | None:
    said = set(tokens)
    if said & {"what", "read", "which"} and said & TEXT_CUES:
        return "text"
    if "how" in said and ("many" in said or "much" in said) or "count" in said or "number" in said:
        return "count"
    if said & COLOUR_WORDS:
        return "colour"
    if (
        said & {n for n in ROOM_NAMES if n != "toilet"}
        or "room" in said
        or "rooms" in said
        or ("where" in said and said & SUBJECT)
        or ("what" in said and "place" in said)
    ):
        return "room"
    if tokens[0] in EXIST_OPENERS or "any" in said:
        # "is there a cup", "is this a cat", "do you see a dog", "does it show a car";
        # not "is the cup full", which asks what the models cannot see
        asks_presence = said & {"there", "any", "see", "contain", "contains", "show", "shows", "have", "has"}
        asks_identity = len(tokens) > 1 and tokens[1] in ("this", "that", "it", "these", "those")
        return "exists" if thing is not None and (asks_presence or asks_identity) else None
    if tokens[0] in ("what", "which", "identify", "name", "describe"):
        if category or said & KIND_CUES or said & SUBJECT:
            return "identify"
    return None


def _scope_problem(tokens: list[str], intent: str | None, thing: Thing | None, unknown: list[str]) -> str | None:
    """Why the question is out of scope (the sentence's first part), or None."""
    said = set(tokens)
    if intent == "text":
        return None
    if said & set(people.POSITION_WORDS):  # where things are is known only among people
        return ""
    if said & OUT_OF_SCOPE - ({"do"} if tokens[0] == "do" else set()):
        return ""
    if intent == "count" and thing is not None and thing.detector is None:
        return f"I can find a {thing.word} but not count them: the detector does not know {thing.word}s. "
    if intent is not None and thing is None and said & SCENERY_NOUNS:
        return f"The models find things (people, animals, vehicles, cups...), not the {sorted(said & SCENERY_NOUNS)[0]}. "
    if intent is None or unknown:  # an unknown word may be the point of the question: say so, do not guess
        return f"I do not know the words {', '.join(repr(u) for u in unknown)}. " if unknown else ""
    return None


def read_photo_question(question: str) -> PhotoQuestion:
    tokens, corrections = SPELLER.correct(expand_shorthand(clean(question)))
    read = PhotoQuestion(None, question=question, read_as=" ".join(tokens), corrections=corrections)
    if not tokens:
        return replace(read, scope_note="The question is empty. " + SCOPE_NOTE)
    thing = find_thing(tokens)
    category = next((words.CATEGORY_WORDS[t] for t in tokens if t in words.CATEGORY_WORDS), None)
    unknown = [t for t in tokens if t not in SPELLER.known and not t.isdigit()]
    read = replace(read, thing=thing, category=category, unknown_words=unknown)
    aspect = picture_aspect(tokens, thing)
    if aspect is not None and not unknown:
        return replace(read, intent="picture", aspect=aspect, category=None)
    if _asks_contents(tokens) and not unknown:
        return replace(read, intent="identify", thing=None, category="food")
    about_people = _people_reading(read, tokens, thing)
    if about_people is not None:
        return about_people
    intent = _intent(tokens, thing, category)
    if intent in ("exists", "count") and thing is None:
        intent = None
    problem = _scope_problem(tokens, intent, thing, unknown)
    if problem is not None:
        return replace(read, scope_note=problem + SCOPE_NOTE)
    if intent == "room":
        room = next((ROOM_NAMES[t] for t in tokens if t in ROOM_NAMES and t != "toilet"), None)
        return replace(read, intent="room", thing=None, category=None, room=room)
    if intent == "exists" and "or" in tokens:
        intent = "identify"  # "is it a dog or a cat?": say what it is
    detail = thing is not None and any(t in words.PERSON_DETAIL for t in tokens)
    if intent == "count" and thing is not None and thing.detector == "person":
        return replace(read, intent="people", aspect="count", note=PERSON_NOTE if detail else None, person_detail=detail)
    return replace(read, intent=intent, note=PERSON_NOTE if detail else None, person_detail=detail)


def _people_reading(read: PhotoQuestion, tokens: list[str], thing: Thing | None) -> PhotoQuestion | None:
    """A question about people's bodies, or what they look like (out of scope, said why)."""
    if read.unknown_words:
        return None
    said = set(tokens)
    if people.asks_face_detail(tokens):
        return replace(read, scope_note=f"{people.FACE_NOTE} {SCOPE_NOTE}")
    asks_count = "how" in said and "many" in said
    opens = tokens[0] in EXIST_OPENERS
    aspect = people.read_people(tokens, asks_count, bool(said & COLOUR_WORDS), opens)
    if aspect is None and said & people.WEAR_WORDS:
        # "is anyone wearing a tie?": a thing the detector knows, looked for as any other
        worn = find_thing(tokens[next(i for i, t in enumerate(tokens) if t in people.WEAR_WORDS) + 1 :])
        if opens and worn is not None and worn.detector:
            return replace(read, intent="exists", thing=worn, category=None)
    if aspect is None and said & people.BODY_WORDS:  # "what is she wearing?", "where is he sitting?"
        return replace(read, scope_note=f"{people.BODY_NOTE} {SCOPE_NOTE}")
    if aspect is None:
        return None
    other = thing.word if thing is not None and thing.detector != "person" else None
    other = other or next((t for t in tokens if t in words.CATEGORY_WORDS), None)
    if other and aspect.startswith(("posture", "count:", "which", "arm", "smiling", "count_smiling", "faces", "activity")):
        note = f"I can tell how people stand, sit, smile or what sport their gear says, not what a {other} does."
        return replace(read, scope_note=f"{note} {SCOPE_NOTE}")
    held = None
    if aspect == "holding":
        after = next(i for i, t in enumerate(tokens) if t in people.HOLD_WORDS) + 1
        held = find_thing(tokens[after:])
        if held is not None and held.detector is None:
            note = f"The detector does not know {held.word}s, so I cannot see one in anyone's hands."
            return replace(read, scope_note=f"{note} {SCOPE_NOTE}")
    detail = any(t in words.PERSON_DETAIL for t in tokens)
    position = next((people.POSITION_WORDS[t] for t in tokens if t in people.POSITION_WORDS), None)
    if position and not aspect.startswith(("clothes_colour", "what_held")):
        return replace(
            read, scope_note=f"I can pick the person on the left or right for what they wear or hold, not for this. {SCOPE_NOTE}"
        )
    return replace(read, intent="people", aspect=aspect, thing=held, category=None, person_detail=detail, position=position)
