"""Charts, labels: CSS colour names checked against the colours they name, and the
element a question means.

FigureQA labels every element with the name of its colour ("Is Dark Orchid the
maximum?"), and so may any chart of this world. A label Tesseract misread by a letter
or two ("darkeyan") is taken for the CSS colour name it is close to when the element
is drawn in that colour; an element whose label was not read at all is named by its
colour when the chart's other labels are colour names. A question's "X" is found
among the labels read, spelling slips allowed, or, for a colour name, by colour.
"""

from __future__ import annotations

import numpy as np
from PIL import ImageColor
from rapidfuzz import fuzz, process

CSS_COLOURS = {name: np.array(ImageColor.getrgb(value)[:3], dtype=float) for name, value in ImageColor.colormap.items()}
MIN_SIMILARITY = 80.0  # rapidfuzz ratio 0-100: "darkeyan" for "darkcyan" is 87.5
NAMED_DISTANCE = 60.0  # RGB: an element this close to a name's colour may carry that name
UNREAD_DISTANCE = 24.0  # RGB: an unread label is named by colour only this close


def _key(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def colour_distance(colour, name: str) -> float:
    return float(np.linalg.norm(np.asarray(colour, dtype=float) - CSS_COLOURS[name]))


def css_name(text: str) -> str | None:
    """The CSS colour name `text` spells, slips allowed ("Dark Orchid", "darkeyan")."""
    key = _key(text)
    if len(key) < 3:
        return None
    if key in CSS_COLOURS:
        return key
    found = process.extractOne(key, list(CSS_COLOURS), scorer=fuzz.ratio, score_cutoff=MIN_SIMILARITY)
    return found[0] if found else None


def name_colours(elements: list) -> None:
    """Fixes misread colour-name labels and names unread ones by colour (see above)."""
    named = 0
    for element in elements:
        if not element.label:
            continue
        name = css_name(element.label)
        if name and colour_distance(element.colour, name) < NAMED_DISTANCE:
            element.label, named = name, named + 1
    labelled = sum(1 for e in elements if e.label)
    if named == 0 or named < labelled / 2:
        return
    taken = {e.label for e in elements if e.label}
    for element in elements:
        if element.label:
            continue
        name = min(CSS_COLOURS, key=lambda n: colour_distance(element.colour, n))
        if name not in taken and colour_distance(element.colour, name) < UNREAD_DISTANCE:
            element.label, element.label_from = name, "colour"
            taken.add(name)


def find_element(elements: list, text: str):
    """The element a question's words name, or None."""
    key = _key(text)
    if not key:
        return None
    for element in elements:
        if element.label and _key(element.label) == key:
            return element
    labelled = [e for e in elements if e.label]
    if labelled:
        found = process.extractOne(key, [_key(e.label) for e in labelled], scorer=fuzz.ratio, score_cutoff=MIN_SIMILARITY)
        if found:
            return labelled[found[2]]
    name = css_name(text)
    if name:
        close = [e for e in elements if colour_distance(e.colour, name) < NAMED_DISTANCE]
        close = [e for e in close if not (e.label and css_name(e.label) not in (None, name))]
        if close:
            return min(close, key=lambda e: colour_distance(e.colour, name))
    return None
