"""Shapes splits on disk, the page's sample scenes, and answer statistics.

    python -m training.datasets.shapes.files write --split train --questions 50000 --out data/shapes
    python -m training.datasets.shapes.files write --split test --questions 10000 --seed 2 \\
        --antialias 4 --size 96            # a test set rendered differently
    python -m training.datasets.shapes.files samples --out static/samples
    python -m training.datasets.shapes.files stats --questions 100000
    python -m training.datasets.shapes.files check --questions 100000

A split is written as `images/{split}_{index:06d}.png`, CLEVR-style
`scenes_{split}.json` and `questions_{split}.json`, and the same questions in VQA v2
layout (`{split}_questions.json`, `{split}_annotations.json`), so one loader
(`training.datasets.vqa_files`) reads shapes, CLEVR and VQA v2 alike.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from training.datasets.shapes.check import check_question
from training.datasets.shapes.language import FAMILIES, normalise
from training.datasets.shapes.questions import ask, draw_slot, generate, possible_answers
from training.datasets.shapes.scenes import check_scene, render, sample_scene

INFO = {"dataset": "shapes scenes", "spec": "docs/shapes-scenes.md", "version": "1.0"}


class Progress:
    """A one-line progress bar on stderr (no dependency for it)."""

    def __init__(self, total: int, label: str) -> None:
        self.total, self.label, self.start, self.shown = total, label, time.perf_counter(), -1

    def update(self, done: int) -> None:
        percent = int(100 * done / max(1, self.total))
        if percent != self.shown or done == self.total:
            self.shown = percent
            rate = done / max(1e-9, time.perf_counter() - self.start)
            bar = "#" * (percent // 4)
            sys.stderr.write(f"\r{self.label} [{bar:<25}] {done}/{self.total} ({rate:,.0f}/s)")
            if done == self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()


def write_split(
    out: Path,
    split: str,
    n_questions: int,
    seed: int,
    size: int = 128,
    antialias: int = 1,
    per_scene: int = 10,
    progress: bool = True,
) -> dict:
    """Generate and write one split; returns counts."""
    (out / "images").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    scenes, questions, vqa_questions, vqa_annotations = [], [], [], []
    bar = Progress(n_questions, f"{split}") if progress else None
    for index, (scene, qs) in enumerate(generate(rng, n_questions, sample_scene, per_scene=per_scene)):
        filename = f"{split}_{index:06d}.png"
        render(scene, size, antialias).save(out / "images" / filename)
        scenes.append(scene.to_json(size, index, split, filename))
        for q in qs:
            qid = len(questions)
            questions.append(
                {
                    "question_index": qid,
                    "image_index": index,
                    "image_filename": filename,
                    "split": split,
                    "question": q.text,
                    "answer": q.answer,
                    "family": q.family,
                    "variant": q.variant,
                    "template": q.template,
                }
            )
            vqa_questions.append({"image_id": index, "question": q.text, "question_id": qid})
            vqa_annotations.append(
                {
                    "question_id": qid,
                    "image_id": index,
                    "multiple_choice_answer": q.answer,
                    "answers": [{"answer": q.answer, "answer_confidence": "yes", "answer_id": i + 1} for i in range(10)],
                    "question_type": q.family,
                    "answer_type": "yes/no" if q.answer in ("yes", "no") else ("number" if q.answer.isdigit() else "other"),
                }
            )
        if bar:
            bar.update(len(questions))
    info = {**INFO, "split": split, "seed": seed, "image_size": size, "antialias": antialias}
    dump = lambda name, obj: (out / name).write_text(json.dumps(obj))  # noqa: E731
    dump(f"scenes_{split}.json", {"info": info, "scenes": scenes})
    dump(f"questions_{split}.json", {"info": info, "questions": questions})
    dump(f"{split}_questions.json", {"info": info, "data_subtype": split, "questions": vqa_questions})
    dump(f"{split}_annotations.json", {"info": info, "data_subtype": split, "annotations": vqa_annotations})
    return {"scenes": len(scenes), "questions": len(questions)}


def write_samples(out: Path, n_scenes: int = 24, seed: int = 20_240, size: int = 256, per_scene: int = 6) -> list[dict]:
    """The page's gallery: fixed scenes, each with questions from different families."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    samples = []
    while len(samples) < n_scenes:
        scene = sample_scene(rng, noise=False)
        chosen = []
        for family in rng.permutation(FAMILIES):  # one question per family, up to per_scene
            for _attempt in range(20):
                question = ask(scene, *draw_slot(rng, (str(family),)), rng)
                if question is not None:
                    chosen.append(question)
                    break
            if len(chosen) == per_scene:
                break
        name = f"scene_{len(samples):02d}.png"
        render(scene, size, antialias=4).save(out / name)
        samples.append(
            {
                "id": name.removesuffix(".png"),
                "file": name,
                "size": size,
                "scene": scene.to_json(size, len(samples), "samples", name),
                "questions": [{"question": q.text, "answer": q.answer, "family": q.family} for q in chosen],
            }
        )
    (out / "samples.json").write_text(json.dumps({"info": {**INFO, "seed": seed}, "samples": samples}, indent=1))
    return samples


def answer_stats(n_questions: int, seed: int) -> dict:
    """Per family: answer shares, and a question-only baseline (the most common answer
    for the exact question text in one split, else the family's most common answer),
    scored on another split."""

    def split(s: int):
        return [q for _, qs in generate(np.random.default_rng(s), n_questions, sample_scene) for q in qs]

    train, test = split(seed), split(seed + 1)
    by_text: dict[str, Counter] = defaultdict(Counter)
    by_family: dict[str, Counter] = defaultdict(Counter)
    for q in train:
        by_text[normalise(q.text)][q.answer] += 1
        by_family[q.family][q.answer] += 1
    stats = {}
    for family in FAMILIES:
        qs = [q for q in test if q.family == family]
        hits = 0
        for q in qs:
            seen = by_text.get(normalise(q.text))
            guess = (seen or by_family[family]).most_common(1)[0][0]
            hits += guess == q.answer
        variants = sorted({q.variant for q in qs}, key=str)
        chance = np.mean([1 / len(possible_answers(family, v)) for v in variants]) if variants else 0
        shares = {}
        worst = 0.0
        for v in variants:
            answers = Counter(q.answer for q in qs if q.variant == v)
            total = sum(answers.values())
            uniform = 1 / len(possible_answers(family, v))
            worst = max(worst, max(answers.values()) / total / uniform)
            shares[v or "-"] = {a: round(c / total, 3) for a, c in sorted(answers.items())}
        stats[family] = {
            "questions": len(qs),
            "baseline_accuracy": hits / max(1, len(qs)),
            "chance": float(chance),
            "max_share_vs_uniform": worst,
            "answers": shares,
        }
    return stats


def check_many(n_questions: int, seed: int) -> tuple[int, list[str]]:
    """Run the checker over freshly generated questions; returns (count, problems)."""
    problems, total = [], 0
    for index, (scene, qs) in enumerate(generate(np.random.default_rng(seed), n_questions, sample_scene)):
        description = scene.to_json(128, index, "check", "")
        problems += [f"scene {index}: {p}" for p in check_scene(scene)]
        for q in qs:
            total += 1
            problems += [f"{q.text} -> {q.answer}: {p}" for p in check_question(description, q.text, q.answer)]
    return total, problems


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write", help="write a split")
    w.add_argument("--split", default="train")
    w.add_argument("--questions", type=int, default=10_000)
    w.add_argument("--seed", type=int, default=0)
    w.add_argument("--size", type=int, default=128)
    w.add_argument("--antialias", type=int, default=1)
    w.add_argument("--per-scene", type=int, default=10)
    w.add_argument("--out", default="data/shapes")
    s = sub.add_parser("samples", help="write the page's sample scenes")
    s.add_argument("--out", default="static/samples")
    for name in ("stats", "check"):
        p = sub.add_parser(name)
        p.add_argument("--questions", type=int, default=100_000)
        p.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    if args.command == "write":
        counts = write_split(Path(args.out), args.split, args.questions, args.seed, args.size, args.antialias, args.per_scene)
        print(json.dumps(counts))
    elif args.command == "samples":
        print(f"{len(write_samples(Path(args.out)))} samples written to {args.out}")
    elif args.command == "stats":
        start = time.perf_counter()
        stats = answer_stats(args.questions, args.seed)
        print(f"{'family':<18} {'questions':>9} {'q-only baseline':>16} {'chance':>7} {'max share / uniform':>20}")
        for family, s in stats.items():
            print(
                f"{family:<18} {s['questions']:>9} {100 * s['baseline_accuracy']:>15.1f}% {100 * s['chance']:>6.1f}%"
                f" {s['max_share_vs_uniform']:>20.2f}"
            )
        print(f"({time.perf_counter() - start:.0f} s; answer shares per family and variant:)")
        for family, s in stats.items():
            print(f"  {family}: {s['answers']}")
    else:
        start = time.perf_counter()
        total, problems = check_many(args.questions, args.seed)
        for p in problems[:20]:
            print(p)
        print(f"{total} questions checked in {time.perf_counter() - start:.0f} s: {len(problems)} problems")
        sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
