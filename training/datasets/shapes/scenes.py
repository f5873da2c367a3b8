"""Shapes scenes: the flat, CLEVR-like world the shipped VQA model learns from.

This module is the scene half of `docs/shapes-scenes.md`: sampling scenes
that follow the contract, rendering them with Pillow at any size, and their
CLEVR-style description. Questions live in `shapes_questions.py`.

Geometry is kept in fractions of the image side (x to the right, y downwards), so
one scene renders at 64, 128 or 300 pixels alike. Choices the spec leaves open:
- object count uniform over 3..6, then shape, colour and size uniform and independent;
- the bounding-box side uniform within the size's range, position uniform among the
  places where the box fits and keeps the 3 % gap (rejection sampling);
- the background is one gray value for all three channels;
- rendering is aliased by default (fast); `antialias=k` draws at k times the size and
  downsamples, for the "rendered differently" test set;
- a scene may be wider than tall (`aspect` = height / width < 1, for the non-square
  test images): fractions are then of the width, the longer side, as the spec says.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from itertools import combinations

import numpy as np
from PIL import Image, ImageDraw

from app.worlds.shapes.contract import BACKGROUND, COLOR_JITTER, MAX_NOISE_STD, PALETTE

COLORS = PALETTE  # the contract's palette: the server's claim checks pictures against the same numbers
SHAPES = ("circle", "square", "triangle")
SIZES: dict[str, tuple[float, float]] = {"small": (0.09, 0.13), "large": (0.17, 0.24)}
MIN_OBJECTS, MAX_OBJECTS = 3, 6
MIN_BOX_GAP = 0.03  # between any two bounding boxes, along at least one axis


@dataclass(frozen=True)
class SceneObject:
    shape: str
    color: str
    size: str
    x: float  # centre of the bounding box, fraction of the image side
    y: float
    side: float  # bounding-box side, fraction of the image side
    rgb: tuple[int, int, int]  # the jittered colour actually drawn

    @property
    def box(self) -> tuple[float, float, float, float]:
        h = self.side / 2
        return (self.x - h, self.y - h, self.x + h, self.y + h)

    def anchors(self) -> list[tuple[float, float]]:
        """Points a person may take as the object's position: the box centre, and for
        a triangle also its centroid (a sixth of the side lower). Margins must hold
        for every anchor, so either reading gives the same answer."""
        points = [(self.x, self.y)]
        if self.shape == "triangle":
            points.append((self.x, self.y + self.side / 6))
        return points


@dataclass(frozen=True)
class Scene:
    objects: tuple[SceneObject, ...]
    background: int
    noise_std: float
    seed: int  # for the noise pattern, so a scene renders identically every time
    aspect: float = 1.0  # height / width; positions and sides are fractions of the width

    def to_json(self, size: int, index: int, split: str, filename: str) -> dict:
        """CLEVR-style description, with pixel positions at the rendered `size`."""
        objects = []
        for o in self.objects:
            x0, y0, x1, y1 = (v * size for v in o.box)
            objects.append(
                {
                    "shape": o.shape,
                    "color": o.color,
                    "size": o.size,
                    "pixel_coords": [round(o.x * size, 3), round(o.y * size, 3)],
                    "bbox": [round(x0, 3), round(y0, 3), round(x1 - x0, 3), round(y1 - y0, 3)],
                    "rgb": list(o.rgb),
                    "center": [o.x, o.y],
                    "side": o.side,
                }
            )
        return {
            "split": split,
            "image_index": index,
            "image_filename": filename,
            "image_size": [size, round(size * self.aspect)],
            "background": self.background,
            "noise_std": self.noise_std,
            "noise_seed": self.seed,
            "aspect": self.aspect,
            "objects": objects,
        }

    @staticmethod
    def from_json(data: dict) -> Scene:
        objects = tuple(
            SceneObject(o["shape"], o["color"], o["size"], o["center"][0], o["center"][1], o["side"], tuple(o["rgb"]))
            for o in data["objects"]
        )
        return Scene(objects, data["background"], data["noise_std"], data["noise_seed"], data.get("aspect", 1.0))


def boxes_separated(a: SceneObject, b: SceneObject, gap: float = MIN_BOX_GAP) -> bool:
    ax0, ay0, ax1, ay1 = a.box
    bx0, by0, bx1, by1 = b.box
    gap_x = max(bx0 - ax1, ax0 - bx1)
    gap_y = max(by0 - ay1, ay0 - by1)
    return max(gap_x, gap_y) >= gap


def _jitter(rgb: tuple[int, int, int], rng: np.random.Generator) -> tuple[int, int, int]:
    return tuple(int(np.clip(c + rng.integers(-COLOR_JITTER, COLOR_JITTER + 1), 0, 255)) for c in rgb)


def sample_scene(rng: np.random.Generator, n_objects: int | None = None, noise: bool = True, aspect: float = 1.0) -> Scene:
    """A random scene that keeps every rule of the contract (`aspect` = height / width <= 1)."""
    n = n_objects or int(rng.integers(MIN_OBJECTS, MAX_OBJECTS + 1))
    while True:
        objects: list[SceneObject] = []
        for _ in range(n):
            shape, color = SHAPES[rng.integers(len(SHAPES))], list(COLORS)[rng.integers(len(COLORS))]
            size = ("small", "large")[rng.integers(2)]
            lo, hi = SIZES[size]
            for _attempt in range(50):
                side = float(rng.uniform(lo, hi))
                x = float(rng.uniform(side / 2, 1 - side / 2))
                y = float(rng.uniform(side / 2, aspect - side / 2))
                candidate = SceneObject(shape, color, size, x, y, side, _jitter(COLORS[color], rng))
                if all(boxes_separated(candidate, other) for other in objects):
                    objects.append(candidate)
                    break
            else:
                break  # crowded: start the scene again
        if len(objects) == n:
            background = int(rng.integers(BACKGROUND[0], BACKGROUND[1] + 1))
            noise_std = float(rng.uniform(0, MAX_NOISE_STD)) if noise else 0.0
            return Scene(tuple(objects), background, noise_std, int(rng.integers(2**31)), aspect)


def render(scene: Scene, size: int = 128, antialias: int = 1) -> Image.Image:
    """Draw the scene as an RGB image `size` wide (and `size` * aspect high)."""
    k = max(1, int(antialias))
    canvas = size * k
    height = round(size * scene.aspect)
    image = Image.new("RGB", (canvas, height * k), (scene.background,) * 3)
    draw = ImageDraw.Draw(image)
    for o in scene.objects:
        x0, y0, x1, y1 = (v * canvas for v in o.box)
        # Pillow's boxes include their last pixel; keep the drawn side equal to `side`.
        x1, y1 = x1 - 1, y1 - 1
        if o.shape == "circle":
            draw.ellipse((x0, y0, x1, y1), fill=o.rgb)
        elif o.shape == "square":
            draw.rectangle((x0, y0, x1, y1), fill=o.rgb)
        else:  # isosceles, apex up, base = height = the box side
            draw.polygon([((x0 + x1) / 2, y0), (x0, y1), (x1, y1)], fill=o.rgb)
    if k > 1:
        image = image.resize((size, height), Image.Resampling.LANCZOS)
    if scene.noise_std > 0:
        noise_rng = np.random.default_rng(scene.seed)
        pixels = np.asarray(image, dtype=np.float32)
        pixels += noise_rng.normal(0.0, scene.noise_std, size=pixels.shape[:2])[..., None]
        image = Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8))
    return image


def check_scene(scene: Scene) -> list[str]:
    """Every rule of the contract that the scene breaks (empty when it keeps them all)."""
    problems = []
    if not MIN_OBJECTS <= len(scene.objects) <= MAX_OBJECTS:
        problems.append(f"{len(scene.objects)} objects")
    if not BACKGROUND[0] <= scene.background <= BACKGROUND[1]:
        problems.append(f"background {scene.background}")
    if scene.noise_std > MAX_NOISE_STD:
        problems.append(f"noise std {scene.noise_std}")
    for o in scene.objects:
        lo, hi = SIZES[o.size]
        if not lo - 1e-9 <= o.side <= hi + 1e-9:
            problems.append(f"{o.size} object with side {o.side:.3f}")
        x0, y0, x1, y1 = o.box
        if min(o.box) < -1e-9 or x1 > 1 + 1e-9 or y1 > scene.aspect + 1e-9:
            problems.append(f"object outside the image: {o.box}")
        if max(abs(c - r) for c, r in zip(o.rgb, COLORS[o.color], strict=False)) > COLOR_JITTER:
            problems.append(f"{o.color} drawn as {o.rgb}")
    for a, b in combinations(scene.objects, 2):
        if not boxes_separated(a, b):
            problems.append(f"boxes too close: {asdict(a)} {asdict(b)}")
    return problems
