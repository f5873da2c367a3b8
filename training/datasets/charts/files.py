"""Chart splits and sample charts on disk: PNG or JPEG pictures and one JSON listing
with each chart's table, layout (element boxes in pixels) and questions.

    python -m training.datasets.charts.files write --split train --charts 2000 --out data/charts
    python -m training.datasets.charts.files write --split alternated --charts 500 --seed 2 --out data/charts
    python -m training.datasets.charts.files samples --charts 10 --out static/charts   # the page's samples
    python -m training.datasets.charts.files stats --charts 2000    # answers per template
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from training.datasets.charts.questions import ChartQuestion, questions_for
from training.datasets.charts.render import Style, render, sample_style
from training.datasets.charts.tables import KINDS, ChartTable, sample_table

SPLIT_SEEDS = {"train": 0, "validation": 1, "alternated": 2}


def specs(rng: np.random.Generator, n: int, split: str = "train") -> Iterator[tuple[ChartTable, Style, list[ChartQuestion]]]:
    """What `charts` draws, without drawing it: each chart's table, style and questions.
    Drawing takes nothing from `rng`, so the same generator gives the same charts either
    way (a trainer can ask new questions of charts it rendered and cached earlier)."""
    for i in range(n):
        table = sample_table(rng, KINDS[i % len(KINDS)], split)
        style = sample_style(rng)
        yield table, style, questions_for(table, rng)


def charts(rng: np.random.Generator, n: int, split: str = "train") -> Iterator[tuple[Image.Image, dict]]:
    """`n` charts of every kind in turn: each picture, and its record (table, layout, questions)."""
    for table, style, asked in specs(rng, n, split):
        image, layout = render(table, style)
        questions = [{"template": q.template, "question": q.text, "answer": q.answer, "labels": list(q.labels)} for q in asked]
        yield image, {"table": table.to_json(), "layout": layout, "questions": questions, "jpeg": style.jpeg_quality is not None}


def write(out: Path, split: str, n: int, seed: int) -> Path:
    folder = out / split
    folder.mkdir(parents=True, exist_ok=True)
    records = []
    for i, (image, record) in enumerate(charts(np.random.default_rng([seed, SPLIT_SEEDS[split]]), n, split)):
        name = f"chart_{i:05d}.{'jpg' if record['jpeg'] else 'png'}"
        image.save(folder / name, quality=90)  # quality is read by JPEG only
        records.append({"id": f"chart_{i:05d}", "file": name, **record})
    listing = folder / "charts.json"
    listing.write_text(json.dumps({"split": split, "seed": seed, "charts": records}) + "\n")
    return listing


SAMPLE_QUESTIONS = 4  # per sample chart: a yes/no, a "which", a value, another yes/no
KIND_TITLES = {
    "vbar": "Bar chart",
    "hbar": "Horizontal bar chart",
    "pie": "Pie chart",
    "line": "Line chart",
    "dotline": "Dot-line chart",
}


def samples(out: Path, n: int, seed: int) -> Path:
    """The page's sample charts: half drawn by matplotlib, half by Pillow (the two
    renderers the benchmark reads), held-out colours, a few questions each."""
    from training.datasets.charts.pillow import draw_chart

    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, SPLIT_SEEDS["validation"]])
    records = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        table = sample_table(rng, kind, "alternated")
        drawn_by = "matplotlib" if i < n // 2 else "Pillow"
        image = render(table, sample_style(rng))[0] if drawn_by == "matplotlib" else draw_chart(table, rng)
        asked = questions_for(table, rng)
        picked = [q for q in asked if q.answer == "yes"][:1] + [q for q in asked if q.template.startswith("which")][:1]
        picked += [q for q in asked if q.template == "value"][:1] + [q for q in asked if q.answer == "no"][:1]
        name = f"chart_{i:02d}.png"
        image.save(out / name)
        records.append(
            {
                "id": f"chart_{i:02d}",
                "file": name,
                "title": f"{KIND_TITLES[kind]} (drawn by {drawn_by})",
                "table": table.to_json(),
                "questions": [
                    {"template": q.template, "question": q.text, "answer": q.answer} for q in picked[:SAMPLE_QUESTIONS]
                ],
            }
        )
    listing = out / "charts.json"
    about = "Sample charts for the page and the tests, drawn by python -m training.datasets.charts.files samples"
    listing.write_text(json.dumps({"about": about, "seed": seed, "charts": records}, indent=1) + "\n")
    return listing


def stats(n: int, seed: int) -> Counter:
    counts: Counter = Counter()
    for _, record in charts(np.random.default_rng(seed), n):
        counts.update((q["template"], q["answer"] if q["answer"] in ("yes", "no") else "open") for q in record["questions"])
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("write", "samples", "stats"))
    parser.add_argument("--split", choices=tuple(SPLIT_SEEDS), default="train")
    parser.add_argument("--charts", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("data/charts"))
    args = parser.parse_args(argv)
    if args.command == "stats":
        for (template, answer), count in sorted(stats(args.charts, args.seed).items()):
            print(f"{template:14} {answer:4} {count:6d}")
        return
    if args.command == "samples":
        print(samples(args.out, args.charts, seed=20261207))
        return
    print(write(args.out, args.split, args.charts, args.seed))


if __name__ == "__main__":
    main()
