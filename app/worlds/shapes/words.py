"""The words people use for the shapes world, and what each one means to the reader.

Everything here is data: `app.worlds.shapes.reading` turns a typed question into a meaning
with it. The model's own vocabulary is the spec's template language; these tables map
people's words onto it (synonyms, British spellings, superlatives, CLEVR's 3-D names)
or mark them as words the world has no object for (an orange square matches nothing,
so a question about one has a sure answer), or as signs that a question asks what the
shapes models cannot know.
"""

from __future__ import annotations

from app.worlds.language import FILLER_CORE, OUT_OF_SCOPE_CORE, plural_forms

COLORS = ("gray", "red", "blue", "green", "brown", "purple", "cyan", "yellow")
SHAPES = ("circle", "square", "triangle")
SIZES = ("small", "large")
GENERIC = "object"
ATTRIBUTES = ("color", "shape", "size")
DIRECTIONS = ("left", "right", "above", "below")
EXTREME_OF = {"left": "leftmost", "right": "rightmost", "above": "topmost", "below": "bottommost"}

# Word -> the world's word. Plurals are derived (`plural_forms`), so list singulars.
NOUNS = {
    "circle": ("circle", "ball", "dot", "disc", "disk", "sphere", "oval", "round", "blob"),
    "square": ("square", "box", "block", "cube", "rectangle", "tile"),
    "triangle": ("triangle", "pyramid"),
    GENERIC: ("object", "thing", "shape", "item", "figure", "one", "form", "element"),
}
COLOR_WORDS = {
    **{c: (c,) for c in COLORS},
    "gray": ("gray", "grey", "silver"),
    "purple": ("purple", "violet", "lilac", "lavender"),
    "cyan": ("cyan", "turquoise", "teal", "aqua"),
}
SIZE_WORDS = {
    "small": ("small", "tiny", "little", "smallest", "tiniest", "mini"),
    "large": ("large", "big", "huge", "biggest", "largest", "giant", "enormous"),
}
# Real words for things this world never has: a reference using one matches nothing.
FOREIGN_COLORS = ("orange", "pink", "white", "black", "magenta", "gold", "beige", "maroon", "navy", "olive", "lime")
FOREIGN_SHAPES = (
    "star",
    "hexagon",
    "pentagon",
    "octagon",
    "diamond",
    "heart",
    "cross",
    "cylinder",
    "cone",
    "arrow",
    "rhombus",
    "crescent",
    "ellipse",
    "line",
)
FOREIGN_SIZES = ("medium",)

ATTRIBUTE_WORDS = {"color": ("color", "colour", "colors", "colours"), "size": ("size", "sizes"), "shape": ("shape", "shapes")}
DIRECTION_WORDS = {
    "left": ("left",),
    "right": ("right",),
    "above": ("above", "over", "higher", "atop"),
    "below": ("below", "under", "underneath", "beneath", "lower"),
}
EXTREME_WORDS = {
    "left": ("leftmost",),
    "right": ("rightmost",),
    "above": ("topmost", "uppermost", "highest", "top"),
    "below": ("bottommost", "lowest", "bottom"),
}
CLOSEST = ("closest", "nearest", "near", "next", "beside", "close")
FARTHEST = ("farthest", "furthest", "far")
MORE, FEWER = ("more", "greater"), ("fewer", "less")
NUMBERS = {w: n for n, w in enumerate("zero one two three four five six seven eight nine ten".split())}
COMPARATIVE_SIZE = {"large": ("bigger", "larger"), "small": ("smaller", "tinier")}

# Multi-word phrases read as one word before anything else (longest first).
PHRASES = {
    "how come": "why",
    "furthest to the left": "leftmost",
    "farthest to the left": "leftmost",
    "far left": "leftmost",
    "most to the left": "leftmost",
    "left most": "leftmost",
    "on the very left": "leftmost",
    "furthest to the right": "rightmost",
    "farthest to the right": "rightmost",
    "far right": "rightmost",
    "most to the right": "rightmost",
    "right most": "rightmost",
    "on the very right": "rightmost",
    "highest up": "topmost",
    "at the top": "topmost",
    "top most": "topmost",
    "nearest the top": "topmost",
    "lowest down": "bottommost",
    "at the bottom": "bottommost",
    "bottom most": "bottommost",
    "nearest the bottom": "bottommost",
    "on top of": "above",
    "higher than": "above",
    "higher up than": "above",
    "lower than": "below",
    "further left than": "left",
    "further right than": "right",
    "more to the left": "left",
    "more to the right": "right",
    "further to the left": "left",
    "further to the right": "right",
    "next to": "closest",
    "close to": "closest",
    "nearest to": "closest",
    "closest to": "closest",
    "far from": "farthest",
    "farthest from": "farthest",
    "furthest from": "farthest",
    "farthest away from": "farthest",
    "furthest away from": "farthest",
    "most distant from": "farthest",
    "as many": "same number",
    "equally many": "same number",
    "equal in number": "same number",
    "or not": "whether",  # "is the circle left of the square or not?" asks the yes/no question itself
    "the same amount of": "same number of",
    "same amount of": "same number of",
    "round shape": "circle",
    "round shapes": "circles",
    "round thing": "circle",
    "round things": "circles",
    "round object": "circle",
    "round objects": "circles",
    "round one": "circle",
    "round ones": "circles",
    "on the left side": "leftmost",
    "on the right side": "rightmost",
    "on the left": "leftmost",
    "on the right": "rightmost",
    "at the left": "leftmost",
    "at the right": "rightmost",
    "light blue": "cyan",
    "dark gray": "gray",
    "dark grey": "gray",
    "dark green": "green",
    "how big": "what size",
    "how large": "what size",
    "how small": "what size",
    "how tall": "what size",
    "kind of shape": "shape",
    "type of shape": "shape",
    "sort of shape": "shape",
    "what s": "what is",
    "whats": "what is",
    "wat": "what",
    "whta": "what",
    "hw many": "how many",
    "how man": "how many",  # a slip that makes a real word; "how man" means nothing here
    "number on": "written on",  # "what number is on the ball?" asks what is written
    "number is on": "is written on",
    "there s": "there is",
    "theres": "there is",
    "isn t": "is not",
    "aren t": "are not",
    "don t": "do not",
    "doesn t": "does not",
    "can t": "can not",
    "cannot": "can not",
    "anything": "any thing",
    "something": "some thing",
    "everything": "every thing",
    "nothing": "no thing",
    "anyone": "any thing",
    "r": "are",
    "re": "are",
    "isnt": "is not",
    "arent": "are not",
    "dont": "do not",
    "doesnt": "does not",
    "figure out": "find",
    "at least one": "any",
    "outnumber": "more than",
    "outnumbers": "more than",
    "share the same": "same",
    "share a": "same",
    "share": "same",
    "shares": "same",
    "as big as": "same size as",
    "as large as": "same size as",
    "as small as": "same size as",
    "like to know": "know",
    "like to see": "see",
    "like to": "want to",
    "i d": "i",
    "i would like": "i want",
    "in total": "total",
    "in all": "total",
    "u": "you",
    "ur": "your",
    "it s": "it is",
    "that s": "that is",
    "let s": "let us",
    "i m": "i am",
}
# "Is the number of circles bigger than the number of squares?" compares counts, not sizes.
for _word in ("bigger", "greater", "larger", "higher"):
    PHRASES[f"{_word} than the number of"] = "more than"
for _word in ("smaller", "lower", "less"):
    PHRASES[f"{_word} than the number of"] = "fewer than"
# Generated phrases: "the very top", "the bottom of the picture", "triangular shapes".
for _side, _extreme in (("left", "leftmost"), ("right", "rightmost"), ("top", "topmost"), ("bottom", "bottommost")):
    for _lead in ("furthest", "farthest", "most"):
        if _side in ("left", "right"):
            PHRASES.setdefault(f"{_lead} {_side}", _extreme)
    PHRASES.setdefault(f"at the very {_side}", _extreme)
    PHRASES.setdefault(f"the very {_side}", _extreme)
    for _place in ("picture", "image", "scene", "photo"):
        PHRASES.setdefault(f"{_side} of the {_place}", _extreme)
        PHRASES.setdefault(f"{_side} side of the {_place}", _extreme)
        PHRASES.setdefault(f"{_side} part of the {_place}", _extreme)
for _adjective, _shape in (
    ("round", "circle"),
    ("circular", "circle"),
    ("square", "square"),
    ("rectangular", "square"),
    ("triangular", "triangle"),
    ("triangle", "triangle"),
    ("circle", "circle"),
):
    for _generic in ("shape", "thing", "object", "item", "figure", "one"):
        PHRASES.setdefault(f"{_adjective} {_generic}", _shape)
        PHRASES.setdefault(f"{_adjective} {_generic}s", _shape + "s")
PHRASES.update({"furthest up": "topmost", "furthest down": "bottommost", "highest up": "topmost"})

# Words that carry no meaning for the reader: politeness, "in the picture", "can you see".
FILLER = [
    *FILLER_CORE,
    *(
        "pls plz kindly could would will say let us know wonder to from these those its scene drawing frame "
        "now hey hi hello ok okay so then just exactly quick question find spot notice present name exist "
        "exists did be being having with about one ones whats also really actually currently and or as than "
        "by side part further more most want found be been wanted need wondering curious guess anywhere "
        "somewhere everywhere closer farther very triangular circular rectangular for my your our their them "
        "they we he she his her well um uh hmm lol thanks thank cheers dear bot robot model ai computer "
        "again quickly precisely roughly overall altogether together give determine check look looking "
        "appear appears seem seems located placed positioned situated sitting sit sits lie lies lying stand "
        "stands standing seen depicted pictured display displays include includes including feature features "
        "featuring hold holds colored coloured if whether yes true least"
    ).split(),
]
# Words that the reader uses as cues (questions, counting, comparing, quantifiers).
CUES = (
    "what which how many much number numbers count counting amount total contain contains containing "
    "same different distinct unique kinds types sorts kind type sort equal equally more fewer less greater "
    "all every each both any either neither none no not only is are there"
).split()
# A question with one of these asks what the shapes models cannot know.
OUT_OF_SCOPE = [
    *OUT_OF_SCOPE_CORE,
    *(
        "where nice pretty beautiful ugly good bad like likes love favorite favourite think mean means "
        "meaning art painting painted paint drew draw drawn made make created create cat dog person people "
        "man woman men women car cars tree trees house animal animals face faces text letter letters word "
        "words written says day sky water food metal metallic rubber shiny matte texture material weight "
        "heavy light real fake named new style story purpose important interesting funny cute angle percent "
        "percentage distance inside outside behind front back middle center centre corner corners sides area "
        "between around touching touch touches overlapping overlap overlaps edge edges border background "
        "foreground pattern group groups pair pairs cluster shadow diagonal row column half"
    ).split(),
]


def noun_table() -> dict[str, tuple[str | None, bool]]:
    """word -> (the world's shape, or "object", or None for a shape it never has; plural?)."""
    table: dict[str, tuple[str | None, bool]] = {}
    for shape, words in NOUNS.items():
        for w in words:
            table[w] = (shape, False)
            for p in plural_forms(w):
                table[p] = (shape, True)
    for w in FOREIGN_SHAPES:
        table.setdefault(w, (None, False))
        for p in plural_forms(w):
            table.setdefault(p, (None, True))
    return table


def adjective_table() -> dict[str, tuple[str, str | None]]:
    """word -> (attribute, the world's value, or None for a value it never has)."""
    table: dict[str, tuple[str, str | None]] = {}
    for value, words in COLOR_WORDS.items():
        table.update({w: ("color", value) for w in words})
    for value, words in SIZE_WORDS.items():
        table.update({w: ("size", value) for w in words})
    table.update({w: ("color", None) for w in FOREIGN_COLORS})
    table.update({w: ("size", None) for w in FOREIGN_SIZES})
    return table
