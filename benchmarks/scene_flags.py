"""How often the shapes world calls a valid scene "unusual", and the limit that fixes it.

The scene check (`scene_ood`, an autoencoder) flags a picture when its reconstruction
error passes a threshold set at the 98th percentile of training-style scenes: by
design about 2 % of valid scenes, more of the crowded six-object ones. Inside the
shapes world a picture has already passed the pixel claim (the scene contract checked
on its pixels), so a second, higher limit applies there: `claimed_scene_limit` on
scene_ood's card, in units of the threshold.

This script renders scenes the models never saw (fresh seeds, every style, sizes from
96 to 512 pixels, a third re-encoded as JPEG), fits that limit on one set, and
measures on others:
- false flags on held-out valid scenes (six objects, and any count), with the old
  threshold (1.0) and the new limit;
- pictures that pass the pixel claim but break the contract (foreign shapes, objects
  overlapping, too many objects): how many are still flagged, the limit's cost.

    python -m benchmarks.scene_flags                 # print the table
    python -m benchmarks.scene_flags --write-card    # and record it on scene_ood's card
"""

from __future__ import annotations

import argparse
import io
import math
from collections.abc import Callable, Iterator

import numpy as np
from PIL import Image, ImageDraw

from app.config import ROOT
from app.worlds.shapes.claim import check_scene
from app.worlds.shapes.contract import PALETTE
from training.common import command_line, read_card, write_card
from training.datasets.shapes.arrays import STYLES, style_scene
from training.datasets.shapes.scenes import render, sample_scene

MODEL_DIR = ROOT / "models" / "scene_ood"
FIT_QUANTILE = 0.999  # of the fitting scenes' error ratios
MARGIN = 1.1  # above that quantile: fresh renders vary more than one fitting set shows


# -- pictures ------------------------------------------------------------------------------


def maybe_jpeg(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A third of the pictures saved as JPEG, as people's screenshots and uploads are."""
    if rng.random() >= 1 / 3:
        return image
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=int(rng.integers(70, 96)))
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def valid_scenes(rng: np.random.Generator, n: int, objects: int | None) -> Iterator[Image.Image]:
    """Scenes that keep the contract, in every style and at sizes the training never used."""
    for i in range(n):
        style = STYLES[i % len(STYLES)]
        scene = style_scene(rng, style) if objects is None else sample_scene(rng, n_objects=objects)
        side = int(rng.integers(96, 513))
        yield maybe_jpeg(render(scene, side, antialias=int(rng.choice([1, 2, 4]))), rng)


def _polygon(cx: float, cy: float, r: float, corners: int, inner: float | None = None) -> list[tuple[float, float]]:
    points = []
    steps = corners * (2 if inner else 1)
    for k in range(steps):
        radius = r * inner if inner and k % 2 else r
        angle = -math.pi / 2 + 2 * math.pi * k / steps
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def broken_scene(rng: np.random.Generator, kind: str, side: int = 256) -> Image.Image:
    """A picture in the scene's palette and gray that breaks the contract one way."""
    gray = int(rng.integers(215, 241))
    image = Image.new("RGB", (side, side), (gray,) * 3)
    draw = ImageDraw.Draw(image)
    colours = list(PALETTE.values())
    count = {"foreign_shapes": 4, "overlapping": 5, "crowded": 14}[kind]
    for _ in range(count):
        colour = colours[int(rng.integers(len(colours)))]
        r = float(rng.uniform(0.05, 0.12)) * side * (0.6 if kind == "crowded" else 1.0)
        cx, cy = (float(v) for v in rng.uniform(0.15 * side, 0.85 * side, size=2))
        if kind == "foreign_shapes":
            shape = ("star", "hexagon", "cross", "ellipse")[int(rng.integers(4))]
            if shape == "star":
                draw.polygon(_polygon(cx, cy, r, 5, inner=0.45), fill=colour)
            elif shape == "hexagon":
                draw.polygon(_polygon(cx, cy, r, 6), fill=colour)
            elif shape == "cross":
                draw.rectangle((cx - r, cy - r / 3, cx + r, cy + r / 3), fill=colour)
                draw.rectangle((cx - r / 3, cy - r, cx + r / 3, cy + r), fill=colour)
            else:
                draw.ellipse((cx - r, cy - r / 2.5, cx + r, cy + r / 2.5), fill=colour)
        else:  # squares and circles drawn where they like: overlapping, or too many
            box = (cx - r, cy - r, cx + r, cy + r)
            (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    return image


# -- measuring -----------------------------------------------------------------------------


def error_ratios(model, threshold: float, pictures: list[Image.Image], side: int) -> np.ndarray:
    """Each picture's reconstruction error over the threshold, by the server's own functions."""
    from app.worlds.shapes import preprocessing as task

    ratios = []
    for start in range(0, len(pictures), 128):
        x = np.concatenate([task.image_to_array(p, side)[None] for p in pictures[start : start + 128]])
        rebuilt = np.asarray(model.predict_on_batch(x))
        ratios.append(task.reconstruction_error(x, rebuilt) / threshold)
    return np.concatenate(ratios)


def row(pictures: list[Image.Image], ratios: np.ndarray, limit: float) -> dict:
    claimed = np.array([check_scene(p).is_scene for p in pictures])
    return {
        "pictures": len(pictures),
        "claimed_percent": round(100 * float(claimed.mean()), 2),
        "flagged_at_threshold_percent": round(100 * float((ratios[claimed] >= 1.0).mean()), 2) if claimed.any() else None,
        "flagged_at_limit_percent": round(100 * float((ratios[claimed] >= limit).mean()), 2) if claimed.any() else None,
        "ratio_median": round(float(np.median(ratios)), 3),
        "ratio_max": round(float(ratios.max()), 3),
    }


def measure(scenes: int, seed: int) -> dict:
    import keras

    from app.worlds.shapes import models as _layers  # noqa: F401  (registers the custom layers)

    model = keras.saving.load_model(MODEL_DIR / "model.keras", safe_mode=True)
    card = read_card(MODEL_DIR)
    threshold, side = float(card["ood_threshold"]), int(card["image_side"])
    rng = np.random.default_rng(seed)

    def ratios_of(make: Callable[[], list[Image.Image]]) -> tuple[list[Image.Image], np.ndarray]:
        pictures = make()
        return pictures, error_ratios(model, threshold, pictures, side)

    fit_pictures, fit_ratios = ratios_of(
        lambda: [*valid_scenes(rng, scenes, objects=6), *valid_scenes(rng, 2 * scenes, objects=None)]
    )
    fit_claimed = np.array([check_scene(p).is_scene for p in fit_pictures])
    limit = round(max(1.0, float(np.quantile(fit_ratios[fit_claimed], FIT_QUANTILE)) * MARGIN), 3)
    sets = {
        "six_objects_held_out": lambda: list(valid_scenes(rng, 2 * scenes, objects=6)),
        "any_count_held_out": lambda: list(valid_scenes(rng, 2 * scenes, objects=None)),
        **{
            kind: (lambda kind=kind: [broken_scene(rng, kind) for _ in range(scenes // 2)])
            for kind in ("foreign_shapes", "overlapping", "crowded")
        },
    }
    table = {name: row(*ratios_of(make), limit) for name, make in sets.items()}
    return {
        "claimed_scene_limit": limit,
        "fit": {"pictures": len(fit_pictures), "quantile": FIT_QUANTILE, "margin": MARGIN, "seed": seed},
        "sets": table,
    }


def print_table(result: dict) -> None:
    print(f"limit for scenes the pixel claim accepts: {result['claimed_scene_limit']} x the threshold")
    print(f"{'set':24} {'pictures':>8} {'claimed %':>9} {'flagged @1.0 %':>14} {'flagged @limit %':>16} {'max ratio':>9}")
    for name, r in result["sets"].items():
        print(
            f"{name:24} {r['pictures']:8d} {r['claimed_percent']:9.2f} {r['flagged_at_threshold_percent']!s:>14} "
            f"{r['flagged_at_limit_percent']!s:>16} {r['ratio_max']:9.3f}"
        )


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=600, help="six-object scenes to fit on (twice as many of any count)")
    parser.add_argument("--seed", type=int, default=20261207, help="far from the training and calibration seeds")
    parser.add_argument("--write-card", action="store_true", help="record the limit and the table on scene_ood's card")
    args = parser.parse_args(argv)
    result = measure(args.scenes, args.seed)
    print_table(result)
    if args.write_card:
        card = read_card(MODEL_DIR)
        card["claimed_scene_limit"] = result["claimed_scene_limit"]
        card["claimed_scenes"] = {**result, "command": command_line("benchmarks.scene_flags")}
        write_card(MODEL_DIR, card)
    return result


if __name__ == "__main__":
    main()
