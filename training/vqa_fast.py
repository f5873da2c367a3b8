"""Train the VQA models in minutes on a GPU: generator processes feeding a jitted JAX step.

`fit` on a CPU trains the FiLM model at about 500 samples/s; a GPU does 100 times that,
and then making the data is the bottleneck (about 1,500 questions/s per core). So:

- a pool of *spawned* processes (no Keras, no JAX in them: forked workers of a process
  where JAX has started crawl) generates questions in the `varied` style into host
  memory, one uint8 image per scene, while training runs;
- each step samples a batch uniformly from everything generated so far (a replay
  buffer that keeps growing, so early questions are seen a few more times), gathers
  its pixels on the host and runs one jitted step (`stateless_call` +
  `optimizer.stateless_apply`, Keras' own JAX training-loop recipe);
- the learning rate follows the wall clock: a short warm-up, then a cosine to zero at
  the time budget, so a run ends annealed however fast the machine is. The schedule
  scales Adam's step (which is linear in the learning rate), so the optimizer and its
  state are the stock ones and `--resume`/`train_vqa` continue from the saved file.

The models, cards and test tables are written as `train_vqa` writes them. Run with
the JAX backend on a machine with a GPU:

    KERAS_BACKEND=jax python -m training.vqa_fast --models vqa:330,vqa_baseline:75,question_only:20

Questions are in people's language by default (`--language people`: paraphrases, typing
slips, false premises answered `none`; `shapes_questions`). `--resume` grows a model
trained on a narrower language first (`training.vqa_growth`: new words, new answers).
On a CPU the same loop runs, slower; it saves the model every `--save-every` seconds,
so a long run can be stopped and resumed.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import time
from pathlib import Path

import numpy as np

from app.worlds.shapes import preprocessing as task
from training.datasets.shapes.arrays import parse_focus
from training.datasets.shapes.producer import ChunkJob, ShapesProducer, pool_map
from training.datasets.shapes.questions import LANGUAGES

__all__ = ["ChunkJob", "ShapesProducer", "pool_map", "train_one", "main"]


SYNC_EVERY = 20  # steps between waits for the device


def lr_scale(elapsed: float, budget: float, warmup: float = 0.03) -> float:
    """Fraction of the peak learning rate at `elapsed` seconds of `budget`."""
    progress = min(elapsed / budget, 1.0)
    if progress < warmup:
        return progress / warmup
    return 0.5 * (1.0 + math.cos(math.pi * (progress - warmup) / (1.0 - warmup)))


def jax_steps(model, names: tuple[str, ...]):
    """Keras' stateless recipe for JAX: a jitted training step and a jitted forward.

    The state is (trainable, non-trainable, optimizer variables). Pixels arrive as uint8
    and become the 0..1 floats of `task.pixels_to_input` on the device. `scale` is the
    learning-rate schedule's value: Adam's step is linear in the learning rate, so
    scaling the step scales the rate, and the optimizer stays the stock one."""
    import jax
    import jax.numpy as jnp
    import keras

    optimizer = model.optimizer
    loss_fn = keras.losses.SparseCategoricalCrossentropy()

    def model_inputs(pixels, questions):
        if "image" not in names:
            return questions
        return {"image": pixels.astype("float32") / 255.0, "question": questions}

    def compute_loss(trainable, non_trainable, pixels, questions, answers):
        probs, non_trainable = model.stateless_call(trainable, non_trainable, model_inputs(pixels, questions), training=True)
        return loss_fn(answers, probs), (probs, non_trainable)

    grad_fn = jax.value_and_grad(compute_loss, has_aux=True)

    @jax.jit
    def train_step(state, pixels, questions, answers, scale):
        trainable, non_trainable, opt_vars = state
        (loss, (probs, non_trainable)), grads = grad_fn(trainable, non_trainable, pixels, questions, answers)
        stepped, opt_vars = optimizer.stateless_apply(opt_vars, grads, trainable)
        trainable = [t + scale * (s - t) for t, s in zip(trainable, stepped, strict=False)]
        accuracy = jnp.mean(jnp.argmax(probs, -1) == answers)
        return (trainable, non_trainable, opt_vars), loss, accuracy

    @jax.jit
    def predict_step(state, inputs):  # inputs as the server sends them: 0..1 floats, token ids
        probs, _ = model.stateless_call(state[0], state[1], inputs, training=False)
        return probs

    return train_step, predict_step


def model_state(model) -> tuple[list, list, list]:
    return (
        [v.value for v in model.trainable_variables],
        [v.value for v in model.non_trainable_variables],
        [v.value for v in model.optimizer.variables],
    )


def assign_state(model, state: tuple[list, list, list]) -> None:
    """Write the trained state back into the model, so `model.save` keeps it all."""
    for variables, values in zip(
        (model.trainable_variables, model.non_trainable_variables, model.optimizer.variables), state, strict=False
    ):
        for variable, value in zip(variables, values, strict=False):
            variable.assign(value)


def padded_predictor(predict_step, state, batch: int):
    """`predict(model inputs) -> probabilities`, every call padded to one batch shape
    (one compilation)."""

    def pad(x: np.ndarray) -> np.ndarray:
        return np.concatenate([x, np.zeros((batch - len(x), *x.shape[1:]), x.dtype)]) if len(x) < batch else x

    def predict(inputs) -> np.ndarray:
        n = len(inputs["question"] if isinstance(inputs, dict) else inputs)
        padded = {k: pad(v) for k, v in inputs.items()} if isinstance(inputs, dict) else pad(inputs)
        return np.asarray(predict_step(state, padded))[:n]

    return predict


def load_or_build(name: str, args: argparse.Namespace, encoder: task.QuestionEncoder):
    """The saved model (`--resume`, at a constant peak learning rate that the wall-clock
    schedule scales; grown first when it knows fewer words or answers) and its card, or
    a fresh one."""
    import keras

    from training import vqa_common, vqa_growth
    from training.common import read_card

    path = args.out / name / "model.keras"
    if args.resume and path.is_file():
        model = keras.saving.load_model(path, safe_mode=True)
        model, grown = vqa_growth.grown_if_needed(model, path.parent, encoder.words, len(vqa_common.ANSWERS), args.seed)
        if grown:
            model = vqa_common.compile_model(model, args.learning_rate)  # Adam starts afresh for the new shapes
        model.optimizer.learning_rate = keras.optimizers.schedules.PiecewiseConstantDecay([1], [args.learning_rate] * 2)
        return model, read_card(path.parent)
    keras.utils.set_random_seed(args.seed)
    model = vqa_common.build_model(name, len(encoder), image_side=args.image_side)
    return vqa_common.compile_model(model, args.learning_rate), {}


def training_words(args: argparse.Namespace) -> tuple[str, ...]:
    """The vocabulary to train with (every model of the run shares it): the first resumed
    model's words first, so their ids stay."""
    from training import vqa_growth

    return tuple(vqa_growth.resumed_words(args.out / args.models.split(",")[0].split(":")[0], args.resume))


def progress(elapsed: float, seen: int, generated: int, loss, accuracy, tables: dict) -> dict:
    """One entry of the card's validation history: the template validation set's table,
    and the people's-language set's overall accuracy when there is one."""
    entry = {
        "seconds": round(elapsed, 1),
        "samples": seen,
        "generated": generated,
        "loss": round(float(loss), 4),
        "train_batch_accuracy": round(100 * float(accuracy), 2),
        "validation": tables["validation"]["overall"],
        "families": tables["validation"]["families"],
    }
    if "validation_people" in tables:
        entry["validation_people"] = tables["validation_people"]["overall"]
    return entry


def progress_line(entry: dict, generation_rate: float) -> str:
    families = " ".join(f"{f[:10]}={a:.1f}" for f, a in entry["families"].items())
    people = f" people {entry['validation_people']:.2f}" if "validation_people" in entry else ""
    return (
        f"{entry['seconds']:6.1f}s {entry['samples'] / max(entry['seconds'], 1e-9):8,.0f} samples/s, generated "
        f"{entry['generated']:,} ({generation_rate:,.0f}/s) loss {entry['loss']:.4f} val {entry['validation']:.2f}"
        f"{people} {families}"
    )


def device_name() -> str:
    import jax

    device = jax.devices()[0]
    return f"{device.platform}: {getattr(device, 'device_kind', device)}"


class Run:
    """One model's run: its state on the device, its progress, and how it is saved."""

    def __init__(self, name: str, producer: ShapesProducer, args: argparse.Namespace) -> None:
        from training import vqa_common

        self.name, self.producer, self.args = name, producer, args
        self.encoder = task.QuestionEncoder(args.words)
        self.model, self.previous = load_or_build(name, args, self.encoder)
        self.model.optimizer.build(self.model.trainable_variables)
        self.names = vqa_common.input_names(self.model)
        self.train_step, self.predict_step = jax_steps(self.model, self.names)
        self.state = model_state(self.model)
        self.history: list[dict] = []
        self.steps = self.seen = 0
        self.command = "KERAS_BACKEND=jax python -m training.vqa_fast " + " ".join(args.argv)

    def table(self, data, confusions: int = 0) -> dict:
        from training import vqa_common

        predict = padded_predictor(self.predict_step, self.state, self.args.eval_batch)
        probabilities = vqa_common.predict_arrays(predict, data, self.names, self.args.eval_batch)
        return vqa_common.family_table(probabilities, data, confusions)

    def card(self, metrics: dict, train_seconds: float) -> dict:
        from training import vqa_common

        args = self.args
        run = {
            "samples": self.seen,
            "unique_questions": self.producer.n_questions,
            "steps": self.steps,
            "seconds": round(train_seconds, 1),
            "batch_size": args.batch_size,
            "peak_learning_rate": args.learning_rate,
            "how": "vqa_fast (jitted JAX step)",
            "device": device_name(),
        }
        card = vqa_common.card_fields(
            self.name, self.previous, command=self.command, run=run, history=self.history, metrics=metrics
        )
        data = (
            "shapes scenes generated per docs/shapes-scenes.md (style 'varied') by "
            f"{args.workers} processes while training ran; batches sampled from all generated so far"
        )
        return {**card, "dataset": "shapes", "data": data}

    def save(self, metrics: dict, train_seconds: float) -> dict:
        from training import vqa_common

        assign_state(self.model, self.state)
        card = self.card(metrics, train_seconds)
        vqa_common.save_vqa_model(self.model, self.args.out / self.name, self.encoder, vqa_common.ANSWERS, card)
        return card


def train_one(name: str, seconds: float, producer: ShapesProducer, sets: dict, args: argparse.Namespace, log) -> dict:
    """Build (or resume), train for `seconds` of wall clock, evaluate and save one model."""
    from training import vqa_common

    run = Run(name, producer, args)
    rng = np.random.default_rng([args.seed, len(name)])
    start = last_log = last_save = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        pixels, questions, answers = producer.sample(rng, args.batch_size)
        run.state, loss, accuracy = run.train_step(run.state, pixels, questions, answers, lr_scale(elapsed, seconds))
        run.steps, run.seen = run.steps + 1, run.seen + args.batch_size
        if run.steps % SYNC_EVERY == 0:  # JAX runs ahead of Python: keep the clock (and the queue) honest
            loss.block_until_ready()
        if time.perf_counter() - last_log > args.log_every:
            last_log = time.perf_counter()
            validation = {k: run.table(v) for k, v in sets.items() if k.startswith("validation")}
            run.history.append(progress(elapsed, run.seen, producer.n_questions, loss, accuracy, validation))
            log(f"{name} {progress_line(run.history[-1], producer.rate())}")
        if args.save_every and time.perf_counter() - last_save > args.save_every:
            last_save = time.perf_counter()
            run.save({"validation": run.history[-1] if run.history else {}, "unfinished": True}, time.perf_counter() - start)
            log(f"{name} saved at {time.perf_counter() - start:.0f} s (schedule still running)")

    metrics = {k: run.table(v, vqa_common.CONFUSIONS) for k, v in sets.items()}
    log(f"{name} final: " + json.dumps({k: (v["overall"], v["families"]) for k, v in metrics.items()}))
    return run.save(metrics, time.perf_counter() - start)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--models",
        default="vqa:330,vqa_baseline:75,question_only:20",
        help="name:seconds, comma separated, trained in this order",
    )
    parser.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) - 1))
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--learning-rate", type=float, default=1.5e-3)
    parser.add_argument("--image-side", type=int, default=task.DEFAULT_IMAGE_SIDE)
    parser.add_argument("--validation-questions", type=int, default=8000)
    parser.add_argument("--test-questions", type=int, default=20000)
    parser.add_argument("--eval-batch", type=int, default=1000)
    parser.add_argument("--log-every", type=float, default=30.0, help="seconds between validation logs")
    parser.add_argument("--warm-questions", type=int, default=100_000, help="generate this many before training starts")
    parser.add_argument("--max-questions", type=int, default=16_000_000, help="host memory for generated questions")
    parser.add_argument("--language", choices=LANGUAGES, default="people", help="the training questions' language")
    parser.add_argument("--rehearsal", type=float, default=0.0, help="share of chunks in the templates alone (people's language)")
    parser.add_argument(
        "--focus",
        action="append",
        metavar="FAMILY=WEIGHT",
        help="ask a family WEIGHT times as often as each other one in training chunks (repeatable)",
    )
    parser.add_argument("--save-every", type=float, default=0, help="seconds between saves while training (0: at the end)")
    parser.add_argument("--resume", action="store_true", help="continue from the saved model (grown for new words/answers)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "models")
    args = parser.parse_args(argv)
    args.argv = argv if argv is not None else __import__("sys").argv[1:]
    try:
        args.focus = parse_focus(args.focus)
    except ValueError as exc:
        parser.error(str(exc))
    args.words = training_words(args)
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    log_file = args.out / "vqa_fast.log"
    args.out.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        print(message, flush=True)
        with log_file.open("a") as f:
            f.write(message + "\n")

    # The pool first: its processes are spawned before Keras or JAX exist in this one.
    producer = ShapesProducer(
        args.workers,
        args.seed + 17,
        args.image_side,
        args.words,
        args.language,
        rehearsal=args.rehearsal,
        focus=args.focus,
        max_questions=args.max_questions,
        max_scenes=args.max_questions // 5,
    )
    from training.datasets.shapes.stream import PEOPLE_SEED_OFFSET, TEST_SEED, VALIDATION_SEED  # noqa: E402  (imports Keras)

    started = time.perf_counter()
    fixed = functools.partial(pool_map, producer.pool, image_side=args.image_side, words=args.words)
    sets = {
        "validation": fixed(args.validation_questions, VALIDATION_SEED, "plain"),
        "test": fixed(args.test_questions, TEST_SEED, "plain"),
        "test_rendered_differently": fixed(args.test_questions, TEST_SEED + 1, "different"),
    }
    if args.language == "people":  # scenes of their own seeds, asked in people's words
        sets["validation_people"] = fixed(
            args.validation_questions, VALIDATION_SEED + PEOPLE_SEED_OFFSET, "plain", language="people"
        )
        sets["test_people"] = fixed(args.test_questions, TEST_SEED + PEOPLE_SEED_OFFSET, "plain", language="people")
    log(f"fixed sets in {time.perf_counter() - started:.1f} s; waiting for {args.warm_questions:,} training questions")
    producer.start()
    producer.wait_for(args.warm_questions)
    cards = {}
    try:
        for item in args.models.split(","):
            name, seconds = item.split(":")
            cards[name] = train_one(name, float(seconds), producer, sets, args, log)
    finally:
        producer.close()
    return cards


if __name__ == "__main__":
    main()
