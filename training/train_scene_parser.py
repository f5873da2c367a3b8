"""Train `scene_parser`: the model that turns a shapes scene into a table of objects.

The network (`app.worlds.shapes.parser.build_scene_parser`) predicts, for each cell of a
16 x 16 grid over the picture at 64 x 64, whether an object's centre is in it and that
object's shape, colour, size, exact centre and side. The generator knows every object,
so every cell has a label (dense supervision: a few thousand scenes teach it). Scenes
are rendered in the `varied` style (64-192 px, sometimes anti-aliased, sometimes wider
than tall) and go through the server's own `image_to_pixels`.

The card measures it on fresh scenes of all three render styles: per object (found
within 5 % of the side of its centre, with shape, colour and size right) and per scene
(every object right and nothing extra), and how far its centres are from the truth.

    python -m training.train_scene_parser                        # about 40 minutes on 2 cores
    python -m training.train_scene_parser --evaluate             # measure the saved model again
    python -m training.train_scene_parser --scenes 300 --epochs 1 --eval-scenes 50 --out /tmp/models
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

from app.worlds.shapes import parser as scene_parser
from app.worlds.shapes import preprocessing as task
from training.common import (
    MODELS_DIR,
    Stopwatch,
    command_line,
    history_table,
    lr_schedule,
    read_card,
    save_model_with_card,
    set_seed,
    write_card,
)
from training.datasets.shapes.arrays import STYLES, style_render, style_scene
from training.datasets.shapes.scenes import Scene

MATCH_WITHIN = 0.05  # of the side: a parsed centre this close to a true one is that object
DESCRIPTION = (
    "fully convolutional scene parser: per cell of a 16 x 16 grid over the scene at 64 x 64, "
    "objectness, shape, colour, size, centre and side"
)

# -- data ----------------------------------------------------------------------------------


def letterboxed_objects(scene: Scene, width: int, height: int) -> list[tuple[str, str, str, float, float, float]]:
    """The scene's objects in fractions of the letterboxed square (`task.letterbox` pads
    the shorter side, centred), as the parser sees them."""
    side = max(width, height)
    dx, dy = (side - width) // 2, (side - height) // 2
    return [
        (o.shape, o.color, o.size, (o.x * width + dx) / side, (o.y * width + dy) / side, o.side * width / side)
        for o in scene.objects
    ]


def scenes(rng: np.random.Generator, n: int, style: str) -> tuple[np.ndarray, list[list[tuple]]]:
    """uint8 pixels [n, 64, 64, 3] and each scene's objects (letterboxed fractions)."""
    pixels, objects = [], []
    for _ in range(n):
        scene = style_scene(rng, style)
        image = style_render(scene, rng, style)
        pixels.append(task.image_to_pixels(image, scene_parser.IMAGE_SIDE))
        objects.append(letterboxed_objects(scene, *image.size))
    return np.stack(pixels), objects


def targets(objects: list[list[tuple]]) -> np.ndarray:
    return np.stack([scene_parser.target_grid(o) for o in objects])


# -- evaluate ------------------------------------------------------------------------------


def match(truth: list[tuple], parsed: list[scene_parser.ParsedObject]) -> tuple[list[tuple[tuple, object]], int]:
    """Pairs of (true object, parsed object or None), nearest first; and the parsed
    objects no true one claimed (extra)."""
    left = list(parsed)
    pairs = []
    for t in truth:
        near = [(np.hypot(p.x - t[3], p.y - t[4]), i) for i, p in enumerate(left)]
        best = min(near, default=(1.0, -1))
        if best[0] <= MATCH_WITHIN:
            pairs.append((t, left.pop(best[1])))
        else:
            pairs.append((t, None))
    return pairs, len(left)


def evaluate(model: keras.Model, pixels: np.ndarray, objects: list[list[tuple]]) -> dict:
    grids = np.asarray(model.predict(task.pixels_to_input(pixels), batch_size=256, verbose=0))
    right_objects = total_objects = right_scenes = extra = missed = 0
    attribute_right = {"shape": 0, "color": 0, "size": 0}
    errors = []
    for grid, truth in zip(grids, objects, strict=True):
        pairs, extras = match(truth, scene_parser.decode(grid))
        scene_right = extras == 0
        extra += extras
        for t, p in pairs:
            total_objects += 1
            if p is None:
                missed += 1
                scene_right = False
                continue
            errors.append(max(abs(p.x - t[3]), abs(p.y - t[4])))
            same = {"shape": p.shape == t[0], "color": p.color == t[1], "size": p.size == t[2]}
            for k, v in same.items():
                attribute_right[k] += v
            right_objects += all(same.values())
            scene_right = scene_right and all(same.values())
        right_scenes += scene_right
    errors_array = np.asarray(errors or [0.0])
    return {
        "scenes": len(objects),
        "objects": total_objects,
        "object_accuracy_percent": round(100 * right_objects / max(1, total_objects), 3),
        "scene_accuracy_percent": round(100 * right_scenes / max(1, len(objects)), 3),
        "attribute_accuracy_percent": {k: round(100 * v / max(1, total_objects), 3) for k, v in attribute_right.items()},
        "missed_objects": missed,
        "extra_objects": extra,
        "centre_error_percent_of_side": {
            "median": round(100 * float(np.median(errors_array)), 3),
            "p99": round(100 * float(np.quantile(errors_array, 0.99)), 3),
            "max": round(100 * float(errors_array.max()), 3),
        },
    }


def print_metrics(metrics: dict) -> None:
    for style, m in metrics.items():
        print(
            f"{style:<10} objects {m['object_accuracy_percent']:7.3f} %  scenes {m['scene_accuracy_percent']:7.3f} %  "
            f"missed {m['missed_objects']}  extra {m['extra_objects']}  "
            f"centre error p99 {m['centre_error_percent_of_side']['p99']} % of the side"
        )


# -- train ---------------------------------------------------------------------------------


def train(args: argparse.Namespace) -> dict:
    set_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    with Stopwatch() as data_clock:
        pixels, objects = scenes(rng, args.scenes, "varied")
        x, y = task.pixels_to_input(pixels), targets(objects)
        held_out = {
            style: scenes(np.random.default_rng([args.seed, 1, i]), args.eval_scenes, style) for i, style in enumerate(STYLES)
        }
    print(f"{args.scenes} scenes in {data_clock.seconds:.0f} s", flush=True)

    model = scene_parser.build_scene_parser(width=args.width)
    steps = args.epochs * int(np.ceil(len(x) * 0.95 / args.batch_size))
    model.compile(keras.optimizers.Adam(lr_schedule(args.learning_rate, steps)), loss=scene_parser.parse_loss)
    with Stopwatch() as clock:
        history = model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, validation_split=0.05, verbose=2)
    metrics = {style: evaluate(model, *held_out[style]) for style in STYLES}
    print_metrics(metrics)

    card = {
        "task": scene_parser.NAME,
        "version": 1,
        "description": DESCRIPTION,
        "image_side": scene_parser.IMAGE_SIDE,
        "grid": scene_parser.GRID,
        "data": f"{args.scenes} shapes scenes (style 'varied'); held out: {args.eval_scenes} fresh scenes of each style",
        "training_command": command_line("training.train_scene_parser"),
        "epochs": args.epochs,
        "wall_time_seconds": round(clock.seconds, 1),
        "data_seconds": round(data_clock.seconds, 1),
        "history": history_table(history.history),
        "match_within_percent_of_side": 100 * MATCH_WITHIN,
        "metrics": metrics,
    }
    save_model_with_card(model, args.out / scene_parser.NAME, card)
    return card


def reevaluate(args: argparse.Namespace) -> dict:
    """The saved model measured again (after a change in how its grid is read), card updated."""
    out_dir = args.out / scene_parser.NAME
    model = keras.saving.load_model(out_dir / "model.keras", compile=False, safe_mode=True)
    held_out = {
        style: scenes(np.random.default_rng([args.seed, 1, i]), args.eval_scenes, style) for i, style in enumerate(STYLES)
    }
    metrics = {style: evaluate(model, *held_out[style]) for style in STYLES}
    print_metrics(metrics)
    card = read_card(out_dir)
    card.update({"metrics": metrics, "evaluation_command": command_line("training.train_scene_parser")})
    write_card(out_dir, card)
    return card


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenes", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--eval-scenes", type=int, default=1000, help="fresh scenes per render style")
    parser.add_argument("--evaluate", action="store_true", help="only measure the saved model again")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=MODELS_DIR)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    return reevaluate(args) if args.evaluate else train(args)


if __name__ == "__main__":
    main()
