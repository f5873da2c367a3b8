"""The shapes world's claim: is this picture a shapes scene?

A shapes scene (docs/shapes-scenes.md) is a uniform light-gray background with a few
flat objects in eight known colours. That is checked directly from the pixels, not
learnt: the border (a scene's objects never touch it; a letterboxed upload's border
is its own background) must be one light gray, most of the picture must be that gray,
and nearly every other pixel must be near one of the eight colours. Anti-aliased edges,
resampling and JPEG blur some pixels between colours; they are the allowance.
The scene check (`scene_ood`) still says, within the shapes world, how typical a scene
is; this decides only whether the world claims the picture (`app.worlds.pick`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from app.worlds.shapes.contract import BACKGROUND, PALETTE

CHECK_SIDE = 64  # the check runs on a copy this size: cheap, and enough pixels to count
BACKGROUND_SLACK = 10  # JPEG and colour management move a flat gray by a few levels
BACKGROUND_DISTANCE = 30.0  # a pixel this close (RGB distance) to the border gray is background
PALETTE_DISTANCE = 45.0  # jitter (<= 21) plus JPEG and resampling
MIN_BACKGROUND_SHARE = 0.45  # six large objects cover at most about 35 % of a scene
# Pixels of no scene colour: on renders they are edges blended between colours (up to
# 14 % of a 32-pixel JPEG scene); in a photo they are its surfaces. So two limits: on
# all of them, and on those away from any edge.
MAX_OTHER_SHARE = 0.25
MAX_FLAT_OTHER_SHARE = 0.1
EDGE_STEP = 20  # a neighbour this much brighter or darker in some channel: an edge
# A scene's objects are flat: a good part of what is not background is close to one of
# the eight colours (at least 27 % on any render measured, at most 15 % of a photo's).
EXACT_DISTANCE = 25.0
MIN_EXACT_OBJECT_SHARE = 0.2
MIN_BORDER_SHARE = 0.75  # of border pixels that are the background gray (small JPEGs ring at edges)


@dataclass(frozen=True)
class SceneCheck:
    is_scene: bool
    background_share: float
    other_share: float
    reason: str


_PALETTE = np.array(list(PALETTE.values()), dtype=np.float32)


def nearest_squared_distance(pixels: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """Each pixel's squared RGB distance to the nearest colour, as one matrix product
    (|x|^2 - 2 x.c + |c|^2): this check runs on every VQA request."""
    squared = (pixels**2).sum(axis=1, keepdims=True) - 2 * pixels @ colours.T + (colours**2).sum(axis=1)
    return np.maximum(squared.min(axis=1), 0.0)


def _any_channel(steps: np.ndarray) -> np.ndarray:
    # the three channels by hand: numpy reduces a last axis of length 3 slowly
    return steps[..., 0] | steps[..., 1] | steps[..., 2]


def edges(pixels: np.ndarray) -> np.ndarray:
    """Pixels with a neighbour (4-connected) at least EDGE_STEP away in some channel."""
    step_down = _any_channel(np.abs(pixels[1:] - pixels[:-1]) >= EDGE_STEP)
    step_right = _any_channel(np.abs(pixels[:, 1:] - pixels[:, :-1]) >= EDGE_STEP)
    edge = np.zeros(pixels.shape[:2], dtype=bool)
    edge[:-1] |= step_down
    edge[1:] |= step_down
    edge[:, :-1] |= step_right
    edge[:, 1:] |= step_right
    return edge


def squared_distance(pixels: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """Each pixel's squared RGB distance to one colour."""
    step = pixels - colour
    return np.einsum("ij,ij->i", step, step)


def _small_copy(image: Image.Image) -> np.ndarray:
    """The picture at about CHECK_SIDE, RGB floats; a box reduce first, the cheapest
    resampling, for anything at least twice that size."""
    factor = max(1, max(image.size) // (2 * CHECK_SIDE))
    small = (image.reduce(factor) if factor > 1 else image).convert("RGB")
    small.thumbnail((CHECK_SIDE, CHECK_SIDE), Image.Resampling.BILINEAR)
    return np.asarray(small, dtype=np.float32)


def _share(mask: np.ndarray) -> float:
    """The share of True in a boolean array (a count: numpy's mean converts to floats first)."""
    return np.count_nonzero(mask) / mask.size if mask.size else 0.0


def check_scene(image: Image.Image) -> SceneCheck:
    pixels = _small_copy(image)
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    gray = np.median(border, axis=0).astype(np.float32)
    low, high = BACKGROUND[0] - BACKGROUND_SLACK, BACKGROUND[1] + BACKGROUND_SLACK
    if not (np.all(gray >= low) and np.all(gray <= high) and np.ptp(gray) <= 2 * BACKGROUND_SLACK):
        return SceneCheck(False, 0.0, 1.0, "the border is not one light gray")
    flat = pixels.reshape(-1, 3)
    near_background = squared_distance(flat, gray) <= BACKGROUND_DISTANCE**2
    background_share = _share(near_background)
    border_share = _share(squared_distance(border, gray) <= BACKGROUND_DISTANCE**2)
    if border_share < MIN_BORDER_SHARE:
        return SceneCheck(False, background_share, 1 - background_share, "the border is not uniform")
    # The background itself, not only the border, is the scenes' gray: a white chart whose
    # frame runs near its edge has a border that shrinks to light gray.
    body = np.median(flat[near_background], axis=0) if near_background.any() else gray
    if not (np.all(body >= low) and np.all(body <= high)):
        return SceneCheck(False, background_share, 1 - background_share, "the background is not the scenes' light gray")
    if background_share < MIN_BACKGROUND_SHARE:
        return SceneCheck(False, background_share, 1 - background_share, "too little of the picture is background")
    objects = ~near_background  # only these need the palette
    palette_distance = np.sqrt(nearest_squared_distance(flat[objects], _PALETTE))
    other = np.zeros(len(flat), dtype=bool)
    other[objects] = palette_distance > PALETTE_DISTANCE
    other_share = _share(other)
    flat_other_share = _share(other.reshape(pixels.shape[:2]) & ~edges(pixels)) if other.any() else 0.0
    if other_share > MAX_OTHER_SHARE or flat_other_share > MAX_FLAT_OTHER_SHARE:
        return SceneCheck(False, background_share, other_share, "colours outside the shapes palette")
    if _share(objects) > 0.02 and _share(palette_distance <= EXACT_DISTANCE) < MIN_EXACT_OBJECT_SHARE:
        return SceneCheck(False, background_share, other_share, "no flat objects in the shapes palette")
    return SceneCheck(True, background_share, other_share, "a light-gray background with palette colours")
