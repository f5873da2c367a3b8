"""Train `scene_ood`: the check that says an uploaded image is not a shapes scene.

The VQA model answers anything it is shown, photos included, with confidence. A small
convolutional autoencoder trained on shapes scenes only rebuilds what looks like one:
flat light-gray background, a few flat-coloured shapes. Its mean squared
reconstruction error is the score; the threshold is a high quantile of the error on
held-out scenes of all three render styles, so few real scenes are flagged. The card
records how many of each kind are flagged: real scenes (plain, varied, rendered
differently), scikit-image's sample photos and crops of them, MNIST digits (both ink
polarities) and noise.

Images go through `app.worlds.shapes.preprocessing.image_to_pixels`, as in the server, at the VQA
models' input side.

    python -m training.train_scene_ood
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
from PIL import Image

from app.worlds.shapes import models as vqa_models
from app.worlds.shapes import preprocessing as task
from training.common import MODELS_DIR, Stopwatch, command_line, read_card, save_model_with_card, set_seed, write_card
from training.datasets.shapes.arrays import STYLES, scene_pixels

# -- data --------------------------------------------------------------------------------


# The images scikit-image's wheel carries (the others in skimage.data need a download).
SKIMAGE_IMAGES = (
    "astronaut",
    "binary_blobs",
    "brick",
    "camera",
    "cat",
    "cell",
    "checkerboard",
    "chelsea",
    "clock",
    "coffee",
    "coins",
    "colorwheel",
    "grass",
    "gravel",
    "horse",
    "hubble_deep_field",
    "immunohistochemistry",
    "logo",
    "microaneurysms",
    "moon",
    "page",
    "retina",
    "rocket",
    "shepp_logan_phantom",
    "text",
)


def photo_images(rng: np.random.Generator, crops_per_photo: int) -> list[Image.Image]:
    """scikit-image's bundled sample images (offline), whole and as random crops."""
    import skimage.data

    photos = []
    for name in SKIMAGE_IMAGES:
        pixels = np.asarray(getattr(skimage.data, name)())
        if pixels.dtype != np.uint8:  # boolean masks and float images: stretch to 0..255
            pixels = pixels.astype(np.float32)
            pixels = (255 * (pixels - pixels.min()) / max(1e-6, float(pixels.max() - pixels.min()))).astype(np.uint8)
        image = Image.fromarray(pixels).convert("RGB")
        photos.append(image)
        w, h = image.size
        for _ in range(crops_per_photo):
            side = int(rng.integers(min(w, h) // 3, min(w, h) + 1))
            x, y = int(rng.integers(0, w - side + 1)), int(rng.integers(0, h - side + 1))
            photos.append(image.crop((x, y, x + side, y + side)))
    return photos


def digit_images(n: int) -> list[Image.Image]:
    """MNIST test digits, white on black as in the dataset and black on white as drawn."""
    from training.datasets.mnist import load_mnist

    (_, _), (x_test, _) = load_mnist()
    digits = x_test[:n]
    return [Image.fromarray(d if i % 2 else 255 - d).convert("RGB") for i, d in enumerate(digits)]


def noise_images(rng: np.random.Generator, n: int, size: int = 128) -> list[Image.Image]:
    """Uniform colour noise, gray noise, and Gaussian noise around the scenes' gray."""
    images = []
    for i in range(n):
        kind = i % 3
        if kind == 0:
            pixels = rng.integers(0, 256, (size, size, 3))
        elif kind == 1:
            pixels = np.repeat(rng.integers(0, 256, (size, size, 1)), 3, axis=2)
        else:
            pixels = rng.normal(228, 40, (size, size, 3))
        images.append(Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)))
    return images


def calibration_sets(rng: np.random.Generator, args: argparse.Namespace) -> dict[str, np.ndarray]:
    side = args.image_side
    sets = {f"scenes_{style}": scene_pixels(rng, args.calibration_scenes, style, side) for style in STYLES}
    others = {
        "photos": photo_images(rng, crops_per_photo=4),
        "digits": digit_images(args.calibration_others),
        "noise": noise_images(rng, args.calibration_others),
    }
    sets.update({k: np.stack([task.image_to_pixels(im, side) for im in v]) for k, v in others.items()})
    return sets


# -- evaluate ------------------------------------------------------------------------------


def reconstruction_errors(model: keras.Model, pixels: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Mean squared error per image (inputs and outputs in 0..1)."""
    errors = []
    for start in range(0, len(pixels), batch_size):
        x = task.pixels_to_input(pixels[start : start + batch_size])
        rebuilt = np.asarray(model.predict_on_batch(x))
        errors.append(((rebuilt - x) ** 2).mean(axis=(1, 2, 3)))
    return np.concatenate(errors)


def calibrate(model: keras.Model, sets: dict[str, np.ndarray], quantile: float) -> dict:
    errors = {k: reconstruction_errors(model, v) for k, v in sets.items()}
    scene_errors = np.concatenate([v for k, v in errors.items() if k.startswith("scenes_")])
    threshold = float(np.quantile(scene_errors, quantile))
    table = {
        k: {
            "images": int(len(v)),
            "flagged_percent": round(100 * float((v > threshold).mean()), 2),
            "error_median": float(np.median(v)),
            "error_min": float(v.min()),
            "error_max": float(v.max()),
        }
        for k, v in errors.items()
    }
    return {"threshold": threshold, "quantile": quantile, "flagged": table}


# -- train ---------------------------------------------------------------------------------


def recalibrate(args: argparse.Namespace) -> dict:
    """A new threshold for the saved model (another --quantile), without retraining."""
    out_dir = args.out / "scene_ood"
    model = keras.saving.load_model(out_dir / "model.keras", safe_mode=True)
    calibration = calibrate(model, calibration_sets(np.random.default_rng(args.seed + 1), args), args.quantile)
    card = read_card(out_dir)
    card.update(
        {
            "ood_threshold": calibration["threshold"],
            "metrics": calibration,
            "calibration_command": command_line("training.train_scene_ood"),
        }
    )
    write_card(out_dir, card)
    print_calibration(calibration)
    return card


def print_calibration(calibration: dict) -> None:
    print(f"threshold {calibration['threshold']:.6f} (quantile {calibration['quantile']} of held-out scene errors)")
    for kind, row in calibration["flagged"].items():
        print(
            f"{kind:<22} {row['images']:>6} images, flagged {row['flagged_percent']:6.2f} %, "
            f"error median {row['error_median']:.5f}, min {row['error_min']:.5f}"
        )


def train(args: argparse.Namespace) -> dict:
    set_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    out_dir = args.out / "scene_ood"
    if args.resume:
        model = keras.saving.load_model(out_dir / "model.keras", safe_mode=True)
    else:
        model = vqa_models.build_scene_autoencoder(args.image_side)
        model.compile(keras.optimizers.Adam(args.learning_rate), loss="mse")

    with Stopwatch() as data_clock:
        train_pixels = scene_pixels(rng, args.scenes, "varied", args.image_side)
        x = task.pixels_to_input(train_pixels)
    with Stopwatch() as clock:
        history = model.fit(x, x, batch_size=args.batch_size, epochs=args.epochs, validation_split=0.05, verbose=2)
    calibration = calibrate(model, calibration_sets(np.random.default_rng(args.seed + 1), args), args.quantile)
    print_calibration(calibration)

    previous = read_card(out_dir) if args.resume else {}
    card = {
        "task": "scene_ood",
        "version": int(previous.get("version", 0)) + 1,
        "description": vqa_models.DESCRIPTIONS["scene_ood"],
        "image_side": args.image_side,
        "data": f"{args.scenes} shapes scenes (style 'varied'); calibration on fresh scenes of every style, "
        "scikit-image sample photos and crops, MNIST test digits (both polarities), noise",
        "training_command": command_line("training.train_scene_ood"),
        "training_runs": [
            *previous.get("training_runs", []),
            {"epochs": args.epochs, "seconds": round(clock.seconds, 1), "data_seconds": round(data_clock.seconds, 1)},
        ],
        "final_loss": round(float(history.history["loss"][-1]), 6),
        "final_val_loss": round(float(history.history["val_loss"][-1]), 6),
        "ood_threshold": calibration["threshold"],
        "metrics": calibration,
    }
    save_model_with_card(model, out_dir, card)
    return card


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenes", type=int, default=30000)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--image-side", type=int, default=task.DEFAULT_IMAGE_SIDE)
    parser.add_argument(
        "--quantile",
        type=float,
        default=0.98,
        help="of held-out scene errors: the threshold (0.98: about 2 %% of real scenes flagged)",
    )
    parser.add_argument("--calibration-scenes", type=int, default=2000, help="per render style")
    parser.add_argument("--calibration-others", type=int, default=600, help="digits and noise images")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--calibrate-only", action="store_true", help="only recompute the saved model's threshold")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=MODELS_DIR)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    return recalibrate(args) if args.calibrate_only else train(args)


if __name__ == "__main__":
    main()
