"""bfloat16 against float32 for the VQA models: the same answers, and how much faster.

On a CPU with bfloat16 instructions (AVX512-BF16, AMX) oneDNN runs convolutions in
bfloat16 faster than in float32. The server computes a model in bfloat16 only when
its card says so (`serving.bfloat16.serve`), which this script writes when the top
answers agreed with float32 on at least MIN_AGREEMENT of the questions and bfloat16
was faster (the geometric mean of its speed-ups at batch 1, 2 and 32 above 1). It measures, in one run:
- the template test sets of `training.train_vqa` (fixed seeds, both renderers): the
  accuracy in each precision, the share of questions whose top answer is the same,
  and the largest difference in any answer's probability;
- the served forward pass (`app.worlds.shapes.forward`) at batch 1, 2 and 32, in ms, in
  rounds that interleave the two precisions.

    python -m benchmarks.precision                  # print the table
    python -m benchmarks.precision --write-cards    # also record it on the cards
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np

from app import runtime
from app.config import ROOT
from app.worlds.shapes import models as vqa_models  # noqa: F401  (registers the VQA layers)
from app.worlds.shapes import preprocessing as task
from app.worlds.shapes.forward import CachedQuestionForward, splittable
from training.common import read_card, write_card
from training.vqa_common import family_table, predict_arrays, shapes_test_sets

MODELS = ("vqa", "vqa_baseline")
TEST_SETS = ("test", "test_rendered_differently")
BATCH_SIZES = (1, 2, 32)
MIN_AGREEMENT = 0.99


def served_forward(model: keras.Model):
    return CachedQuestionForward(model) if splittable(model) else runtime.inference_forward(model)


def probabilities(forward, data) -> np.ndarray:
    served = lambda inputs: forward((inputs["image"], inputs["question"]))  # noqa: E731
    return predict_arrays(served, data, ("image", "question"), batch_size=256).astype(np.float32)


def timings(forwards: dict, data, calls: int, rounds: int = 8) -> dict[str, dict[str, float]]:
    """Median ms of one call on b rows of one picture (a request's questions), per
    precision and batch size: rounds interleave the two, so both see the same machine."""
    inputs = data.inputs(slice(0, max(BATCH_SIZES)))
    found: dict[tuple[str, int], list[float]] = {(p, b): [] for p in forwards for b in BATCH_SIZES}
    for _ in range(rounds):
        for precision, forward in forwards.items():
            for b in BATCH_SIZES:
                questions = np.resize(inputs["question"], (b, inputs["question"].shape[1]))  # b of them, repeating
                rows = (np.repeat(inputs["image"][:1], b, axis=0), questions)
                forward(rows)
                times = []
                for _ in range(calls):
                    start = time.perf_counter()
                    forward(rows)
                    times.append((time.perf_counter() - start) * 1000)
                found[(precision, b)].append(statistics.median(times))
    return {p: {str(b): round(statistics.median(found[(p, b)]), 3) for b in BATCH_SIZES} for p in forwards}


def compare(name: str, models_dir: Path, n_questions: int, calls: int) -> dict:
    folder = models_dir / name
    model = keras.saving.load_model(folder / "model.keras", compile=False, safe_mode=True)
    forwards = {"float32": served_forward(model), "bfloat16": served_forward(runtime.in_bfloat16(model))}
    tests = shapes_test_sets(task.read_assets(folder)["encoder"], n_questions, int(model.inputs[0].shape[1]))
    record: dict = {"accuracy_float32": {}, "accuracy_bfloat16": {}}
    agreed, questions, largest = 0, 0, 0.0
    for set_name in TEST_SETS:
        data = tests[set_name]
        found = {p: probabilities(forward, data) for p, forward in forwards.items()}
        for precision, probs in found.items():
            record[f"accuracy_{precision}"][set_name] = family_table(probs, data)["overall"]
        agreed += int((found["float32"].argmax(-1) == found["bfloat16"].argmax(-1)).sum())
        questions += len(data)
        largest = max(largest, float(np.abs(found["float32"] - found["bfloat16"]).max()))
    record.update(
        agreement=round(agreed / questions, 5),
        questions=questions,
        max_probability_difference=round(largest, 4),
        forward_ms=timings(forwards, tests["test"], calls),
        cpu_has_bfloat16=runtime.native_bfloat16(),
    )
    speed = record["forward_ms"]
    speedup = statistics.geometric_mean([speed["float32"][b] / speed["bfloat16"][b] for b in speed["float32"]])
    record.update(
        speedup=round(speedup, 3),
        serve=bool(record["agreement"] >= MIN_AGREEMENT and speedup > 1.0),
        measured_with=f"python -m benchmarks.precision --questions {n_questions} ({keras.backend.backend()})",
    )
    return record


def print_table(name: str, record: dict) -> None:
    f32, bf16 = record["accuracy_float32"], record["accuracy_bfloat16"]
    verdict = "served in bfloat16" if record["serve"] else "served in float32"
    print(f"\n{name} ({verdict} where the CPU has bfloat16):")
    print(f"  top answers agree on {100 * record['agreement']:.2f} % of {record['questions']} questions")
    print(f"  largest difference in a probability: {record['max_probability_difference']:.4f}")
    for set_name in TEST_SETS:
        print(f"  {set_name:28s} float32 {f32[set_name]:6.2f} %   bfloat16 {bf16[set_name]:6.2f} %")
    print("  served forward pass, ms     float32  bfloat16  ratio")
    for b in BATCH_SIZES:
        slow, fast = record["forward_ms"]["float32"][str(b)], record["forward_ms"]["bfloat16"][str(b)]
        print(f"    batch {b:<3d}                 {slow:7.2f}  {fast:8.2f}  {slow / fast:5.2f} x")
    print(f"    geometric mean                              {record['speedup']:5.2f} x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--models-dir", type=Path, default=ROOT / "models")
    parser.add_argument("--questions", type=int, default=5000, help="per test set")
    parser.add_argument("--calls", type=int, default=30, help="timed calls per batch size, in each of 8 rounds")
    parser.add_argument("--write-cards", action="store_true", help="record the result as the card's serving.bfloat16")
    args = parser.parse_args()
    print(f"CPU bfloat16 instructions: {'yes' if runtime.native_bfloat16() else 'no (bfloat16 is emulated, slower)'}")
    for name in args.models:
        record = compare(name, args.models_dir, args.questions, args.calls)
        print_table(name, record)
        if args.write_cards:
            folder = args.models_dir / name
            card = read_card(folder)
            card.setdefault("serving", {})["bfloat16"] = record
            write_card(folder, card)


if __name__ == "__main__":
    main()
