"""Autoencoders from the autoencoder article.

`autoencoder_toy`: the article's 4 -> 2 -> 4 network (sigmoid on both layers, mean
squared error) on the one-hot codes of 0..3, trained full-batch until it rebuilds all
four inputs with its 2-D codes at four distinct corners of the unit square: the
2-bit code the article hopes for. The epochs it took and the codes go into its card.

    python -m training.train_autoencoder --model autoencoder_toy
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import keras

from app.tasks import autoencoder as task
from training import common

log = logging.getLogger("train_autoencoder")


class StopWhenSolved(keras.callbacks.Callback):
    """Check the four codes every `every` epochs; stop once the toy is solved."""

    def __init__(self, every: int = 25) -> None:
        super().__init__()
        self.every = every
        self.solved_at: int | None = None

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if (epoch + 1) % self.every == 0 and task.toy_solved(task.toy_table(self.model)):
            self.solved_at = epoch + 1
            self.model.stop_training = True


def train_toy(args: argparse.Namespace) -> dict:
    common.set_seed(args.seed)
    model = task.build_toy()
    # Adam rather than the article's plain gradient descent: the same network and loss,
    # solved in seconds instead of tens of thousands of steps.
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate), loss="mse")
    stopper = StopWhenSolved()
    with common.Stopwatch() as clock:
        history = model.fit(task.TOY_INPUTS, task.TOY_INPUTS, batch_size=4, epochs=args.max_epochs,
                            verbose=0, callbacks=[stopper])
    rows = task.toy_table(model)
    solved = task.toy_solved(rows)
    log.info("toy: solved=%s after %d epochs (%.1f s): %s", solved, len(history.history["loss"]), clock.seconds, rows)
    card = {
        "version": 1,
        "task": "autoencoder_toy",
        "description": "the article's 4-2-4 autoencoder (sigmoid, MSE) on one-hot codes of 0..3",
        "command": common.command_line("training.train_autoencoder"),
        "data": {"source": "the four one-hot vectors of length 4", "sha256": common.arrays_sha256(task.TOY_INPUTS)},
        "epochs": len(history.history["loss"]),
        "epochs_to_solve": stopper.solved_at,
        "batch_size": 4,
        "optimizer": f"Adam, learning rate {args.learning_rate}",
        "seed": args.seed,
        "wall_time_seconds": round(clock.seconds, 2),
        "metrics": {
            "solved": solved,
            "rebuilt": int(sum(max(range(4), key=lambda i: r["reconstruction"][i]) == k for k, r in enumerate(rows))),
            "final_mse": round(float(history.history["loss"][-1]), 6),
        },
        "codes": {str(k): r["code"] for k, r in enumerate(rows)},
        "artifacts": [],
    }
    if not solved:
        raise SystemExit(f"the toy was not solved in {args.max_epochs} epochs (seed {args.seed}); try another --seed")
    common.save_model_with_card(model, Path(args.out) / "autoencoder_toy", card)
    return card


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=["autoencoder_toy"], default="autoencoder_toy")
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--learning-rate", type=float, default=0.05)
    p.add_argument("--max-epochs", type=int, default=5000)
    p.add_argument("--out", default=str(common.MODELS_DIR))
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    card = train_toy(args)
    print(json.dumps({k: card[k] for k in ("metrics", "codes", "epochs", "wall_time_seconds")}, indent=2))
    return card


if __name__ == "__main__":
    main()
