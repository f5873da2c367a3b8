"""The scene contract's numbers (docs/shapes-scenes.md), in one place.

The generator (`training/datasets/shapes/scenes.py`) draws with them and the world's
claim (`app/worlds/shapes/claim.py`) checks pictures against them, so what is drawn
and what is recognised cannot drift apart.
"""

from __future__ import annotations

PALETTE: dict[str, tuple[int, int, int]] = {
    "gray": (87, 87, 87),
    "red": (173, 35, 35),
    "blue": (42, 75, 215),
    "green": (29, 105, 20),
    "brown": (129, 74, 25),
    "purple": (129, 38, 192),
    "cyan": (41, 208, 208),
    "yellow": (255, 238, 51),
}
COLOR_JITTER = 12  # each channel of an object's colour within this of the palette's
BACKGROUND = (215, 240)  # one gray level, the same in all three channels
MAX_NOISE_STD = 4.0  # Gaussian pixel noise, at most
