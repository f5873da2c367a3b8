"""People's wording for shapes questions: the same meaning, said the way people type it.

`paraphrase(question, rng)` rewrites a generated question from its program (never from
its text), so the answer the generator derived stays true: other words for sizes,
colours and shapes ("ball", "box", "grey", "huge"), other phrasings per family ("how
many balls can you see", "the thing on the far left is what colour?"), filler ("can
you tell me", "pls", "in the picture"), contractions ("whats"), British spellings and
capitals anywhere. `typo(text, rng)` adds one or two typing slips (a letter swapped,
dropped, doubled or hit beside). The grammar is this module's own: the server's reader
(`app/worlds/shapes/words.py`) was written apart from it, and a test reads every
paraphrase back through that reader to check the two agree on the meaning.

The words a paraphrase can use are `people_vocabulary()`; a slip makes a word the
model has never seen, which the encoder reads as unknown (training with that noise is
one of the two ways #14 asked to compare; the reader's spelling correction is the other).
"""

from __future__ import annotations

import re

import numpy as np

from training.datasets.shapes.language import Ref, with_article
from training.datasets.shapes.scenes import COLORS

SIZE_WORDS = {"small": ("small", "little", "tiny", "small"), "large": ("large", "big", "huge", "big")}
COLOR_WORDS = {"gray": ("gray", "grey")}
SHAPE_NOUNS = {
    "circle": ("circle", "ball", "dot", "disc", "circle"),
    "square": ("square", "box", "block", "square"),
    "triangle": ("triangle", "pyramid", "triangle"),
}
PLURALS = {"box": "boxes"}
GENERIC_NOUNS = ("object", "thing", "shape", "item", "figure")
ATTRIBUTE_WORDS = {"color": ("color", "colour"), "shape": ("shape",), "size": ("size",)}

# {R}: "the" reference without the article; {Rs}: plural; {a_R}: with its article.
EXIST = (
    "is there {a_R}",
    "are there any {Rs}",
    "any {Rs} here",
    "can you see {a_R}",
    "can you find {a_R} in the picture",
    "do you see any {Rs}",
    "does the picture have {a_R} in it",
    "is there {a_R} anywhere",
    "does the image contain {a_R}",
    "are any {Rs} in the image",
)
COUNT = (
    "how many {Rs}",
    "how many {Rs} can you see",
    "how many {Rs} are in the picture",
    "how many {Rs} are there",
    "count the {Rs}",
    "number of {Rs}",
    "what is the number of {Rs}",
    "how many {Rs} do you see",
    "tell me how many {Rs} there are",
    "how many {Rs} in the image",
)
QUERY = {
    "color": (
        "what {attr} is the {R}",
        "what is the {attr} of the {R}",
        "the {R} is what {attr}",
        "tell me the {attr} of the {R}",
        "which {attr} is the {R}",
        "what {attr} does the {R} have",
        "what {attr} is the {R} painted",
        "{attr} of the {R}",
    ),
    "shape": (
        "what shape is the {R}",
        "what is the shape of the {R}",
        "the {R} is what shape",
        "which shape is the {R}",
        "what kind of shape is the {R}",
        "what shape does the {R} have",
        "tell me the shape of the {R}",
    ),
    "size": (
        "what size is the {R}",
        "how big is the {R}",
        "is the {R} big or small",
        "is the {R} small or large",
        "how large is the {R}",
        "the {R} is what size",
        "what is the size of the {R}",
    ),
}
COMPARE_COUNT = {
    "more": (
        "are there more {R1s} than {R2s}",
        "do the {R1s} outnumber the {R2s}",
        "is the number of {R1s} bigger than the number of {R2s}",
        "more {R1s} than {R2s}",
    ),
    "fewer": (
        "are there fewer {R1s} than {R2s}",
        "are there less {R1s} than {R2s}",
        "is the number of {R1s} smaller than the number of {R2s}",
        "fewer {R1s} than {R2s}",
    ),
    "same": (
        "are there as many {R1s} as {R2s}",
        "is there the same number of {R1s} and {R2s}",
        "same number of {R1s} and {R2s}",
        "are there equally many {R1s} and {R2s}",
    ),
}
COMPARE_ATTRIBUTE = {
    "color": (
        "is the {R1} the same {attr} as the {R2}",
        "do the {R1} and the {R2} have the same {attr}",
        "are the {R1} and the {R2} the same {attr}",
        "does the {R1} have the same {attr} as the {R2}",
    ),
    "shape": (
        "do the {R1} and the {R2} have the same shape",
        "are the {R1} and the {R2} the same shape",
        "is the {R1} the same shape as the {R2}",
    ),
    "size": (
        "are the {R1} and the {R2} the same size",
        "is the {R1} as big as the {R2}",
        "is the {R1} the same size as the {R2}",
        "do the {R1} and the {R2} have the same size",
    ),
}
# Ways to say "to the left of" and the like, between two references.
SIDE = {
    "left": ("to the left of", "left of", "on the left of", "further left than"),
    "right": ("to the right of", "right of", "on the right of", "further right than"),
    "above": ("above", "higher than", "over", "higher up than"),
    "below": ("below", "under", "underneath", "beneath", "lower than"),
}
RELATE_POSITION = (
    "is the {R1} {side} the {R2}",
    "would you say the {R1} is {side} the {R2}",
    "is the {R1} {side} the {R2} or not",
)
# Ways to say "the leftmost object".
EXTREME_OBJECT = {
    "left": ("the leftmost {noun}", "the {noun} on the far left", "the {noun} furthest to the left", "the {noun} furthest left"),
    "right": (
        "the rightmost {noun}",
        "the {noun} on the far right",
        "the {noun} furthest to the right",
        "the {noun} furthest right",
    ),
    "above": (
        "the topmost {noun}",
        "the {noun} highest up",
        "the {noun} at the top",
        "the highest {noun}",
        "the uppermost {noun}",
    ),
    "below": ("the bottommost {noun}", "the {noun} lowest down", "the {noun} at the bottom", "the lowest {noun}"),
}
ASK_ATTRIBUTE_OF = ("what {attr} is {X}", "{X} is what {attr}", "what is the {attr} of {X}", "tell me the {attr} of {X}")
RELATE_COUNT = (
    "how many {nouns} are {side} the {R}",
    "how many {nouns} are there {side} the {R}",
    "count the {nouns} {side} the {R}",
    "how many {nouns} {side} the {R}",
)
NEAR = {
    "closest": ("closest to", "nearest to", "nearest", "closest to"),
    "farthest": ("farthest from", "furthest from", "furthest away from", "most distant from"),
}
NEAR_OBJECT = ("the {noun} {near} the {R}",)

PREFIXES = ("", "", "", "", "hey ", "ok ", "so ", "please ", "can you tell me ", "tell me ", "i want to know ", "quick question ")
SUFFIXES = ("", "", "", "", " please", " pls", " in the picture", " in the image", " here")
CONTRACTIONS = {"what is": ("what's", "whats", "what is"), "how many": ("how many",)}


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def ref_words(ref: Ref, rng: np.random.Generator, plural: bool = False, no_shape_noun: bool = False) -> str:
    """English for a reference in people's words ("the little grey ball")."""
    parts = []
    if ref.size:
        parts.append(_pick(rng, SIZE_WORDS[ref.size]))
    if ref.color:
        parts.append(_pick(rng, COLOR_WORDS.get(ref.color, (ref.color,))))
    if ref.shape:
        noun = _pick(rng, SHAPE_NOUNS[ref.shape])
    else:
        generic = [n for n in GENERIC_NOUNS if not (no_shape_noun and n == "shape")]
        noun = "one" if parts and not plural and rng.random() < 0.2 else _pick(rng, generic)
    if plural:
        noun = PLURALS.get(noun, noun + "s")
    return " ".join([*parts, noun])


def _references(program: dict, rng: np.random.Generator, no_shape_noun: bool) -> dict[str, str]:
    words: dict[str, str] = {}
    if "ref" in program:
        words["R"] = ref_words(program["ref"], rng, no_shape_noun=no_shape_noun)
        words["Rs"] = ref_words(program["ref"], rng, plural=True, no_shape_noun=no_shape_noun)
        words["a_R"] = with_article(words["R"])
    for key, tag in (("ref1", "R1"), ("ref2", "R2")):
        if key in program:
            words[tag] = ref_words(program[key], rng, no_shape_noun=no_shape_noun)
            words[tag + "s"] = ref_words(program[key], rng, plural=True, no_shape_noun=no_shape_noun)
    return words


def core(family: str, program: dict, rng: np.random.Generator) -> str:
    """The question's meaning in one of people's phrasings, without filler."""
    attribute = program.get("attribute") or family.removeprefix("query_")
    words = _references(program, rng, no_shape_noun=attribute == "shape")
    words["attr"] = _pick(rng, ATTRIBUTE_WORDS.get(attribute, (attribute,)))
    generic = [n for n in GENERIC_NOUNS if n != "shape"]
    words["noun"] = _pick(rng, generic)
    words["nouns"] = words["noun"] + "s"
    if family == "exist":
        template = _pick(rng, EXIST)
    elif family == "count":
        template = _pick(rng, COUNT)
    elif family.startswith("query_"):
        template = _pick(rng, QUERY[attribute])
    elif family == "compare_count":
        template = _pick(rng, COMPARE_COUNT[program["comparison"]])
    elif family == "compare_attribute":
        template = _pick(rng, COMPARE_ATTRIBUTE[attribute])
    elif family == "relate_position":
        words["side"] = _pick(rng, SIDE[program["direction"]])
        template = _pick(rng, RELATE_POSITION)
    elif family == "extreme":
        words["X"] = _pick(rng, EXTREME_OBJECT[program["direction"]]).format(noun=words["noun"])
        template = _pick(rng, ASK_ATTRIBUTE_OF)
    elif family == "relate_count":
        words["side"] = _pick(rng, SIDE[program["direction"]])
        template = _pick(rng, RELATE_COUNT)
    elif family == "closest_farthest":
        near = _pick(rng, NEAR[program["which"]])
        words["X"] = _pick(rng, NEAR_OBJECT).format(noun=words["noun"], near=near, R=words["R"])
        template = _pick(rng, ASK_ATTRIBUTE_OF)
    else:
        raise ValueError(f"unknown family {family!r}")
    return template.format(**words)


def dress(text: str, rng: np.random.Generator) -> str:
    """Filler, contractions, capitals and punctuation the way people type them."""
    for phrase, forms in CONTRACTIONS.items():
        if text.startswith(phrase):
            text = _pick(rng, forms) + text[len(phrase) :]
    prefix = _pick(rng, PREFIXES)
    if prefix in ("can you tell me ", "tell me ", "i want to know ") and text.startswith(("is ", "are ", "do ", "does ")):
        prefix = ""  # "tell me is there a ball" is not how people write
    text = prefix + text + _pick(rng, SUFFIXES)
    case = rng.random()
    if case < 0.45:
        text = text[0].upper() + text[1:]
    elif case < 0.5:
        text = text.upper()
    elif case < 0.6:
        text = " ".join(w.capitalize() if rng.random() < 0.3 else w for w in text.split())
    return text + _pick(rng, ("?", "?", "?", "", "", "??", " ?"))


def paraphrase(family: str, program: dict, rng: np.random.Generator) -> str:
    return dress(core(family, program, rng), rng)


KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _neighbour(letter: str, rng: np.random.Generator) -> str:
    for row in KEYBOARD_ROWS:
        if letter in row:
            i = row.index(letter)
            return _pick(rng, [row[j] for j in (i - 1, i + 1) if 0 <= j < len(row)])
    return letter


def slip(word: str, rng: np.random.Generator) -> str:
    """One typing slip in a word of four letters or more, never in its first letter."""
    i = int(rng.integers(1, len(word)))
    kind = int(rng.integers(4))
    if kind == 0 and i < len(word) - 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # swapped
    if kind == 1:
        return word[:i] + word[i + 1 :]  # dropped
    if kind == 2:
        return word[:i] + word[i] + word[i:]  # doubled
    return word[:i] + _neighbour(word[i], rng) + word[i + 1 :]  # the key beside


def typo(text: str, rng: np.random.Generator, slips: int | None = None) -> str:
    """`text` with one or two slips, in different words of four letters or more."""
    words = text.split(" ")
    long_words = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not long_words:
        return text
    n = slips or int(rng.integers(1, 3))
    for i in rng.choice(long_words, size=min(n, len(long_words)), replace=False):
        words[i] = slip(words[i], rng)
    return " ".join(words)


def synonyms() -> dict[str, str]:
    """People's word -> the template word it stands for, where there is one (a grown
    model starts each new word's embedding from that word's)."""
    pairs = {"grey": "gray", "colour": "color", "little": "small", "huge": "large", "item": "object", "figure": "object"}
    pairs |= {noun: shape for shape, nouns in SHAPE_NOUNS.items() for noun in nouns if noun != shape}
    pairs |= {PLURALS.get(w, w + "s"): PLURALS.get(t, t + "s") for w, t in list(pairs.items()) if w in _NOUNS}
    return pairs


_NOUNS = {n for nouns in SHAPE_NOUNS.values() for n in nouns} | set(GENERIC_NOUNS)


def people_vocabulary() -> list[str]:
    """Every word a paraphrase can use (slips aside), sorted."""
    tables = [EXIST, COUNT, RELATE_POSITION, ASK_ATTRIBUTE_OF, RELATE_COUNT, NEAR_OBJECT, PREFIXES, SUFFIXES]
    tables += [*QUERY.values(), *COMPARE_COUNT.values(), *COMPARE_ATTRIBUTE.values(), *SIDE.values()]
    tables += [*EXTREME_OBJECT.values(), *NEAR.values(), *CONTRACTIONS.values(), *ATTRIBUTE_WORDS.values()]
    tables += [*SIZE_WORDS.values(), *COLOR_WORDS.values(), *SHAPE_NOUNS.values(), GENERIC_NOUNS, COLORS, ("one", "a", "an")]
    words = {w for table in tables for phrase in table for w in re.sub(r"\{\w+\}|[^a-z ]", " ", phrase).split()}
    nouns = [n for table in SHAPE_NOUNS.values() for n in table] + list(GENERIC_NOUNS)
    words.update(PLURALS.get(n, n + "s") for n in nouns)
    words.update(("s",))  # "what's" is read as "what s"
    return sorted(words)
