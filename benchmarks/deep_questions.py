"""Deep shapes questions (CLEVR's forms) through the service, by form.

Two sets, each scored through `POST /api/vqa` in process with the committed models:
- `hand`: `benchmarks/questions/deep_questions.json`, 150 questions about 30 scenes
  written by hand (the scenes are drawn again from the seed it names);
- `generated`: `training.datasets.shapes.deep` (nine forms, balanced answers, each
  answer derived twice) about fresh scenes in the spec's three render styles.

A question is right when the first answer is the expected one and not a guess, wrong
when an answer is given that is not, and declined otherwise (out of scope, ambiguous,
too close to call). `--truth` runs the questions' programs on the scenes' true objects
instead (the language half alone: no pixels, no parser). The one-step families are in
`benchmarks/vqa_language.py --programs`.

`--latency` measures the server as `make run` starts it (one uvicorn worker, over HTTP,
one request at a time): a deep question about a scene already parsed, and about a scene
it has not seen (each request a new picture), p50 and p99.

    python -m benchmarks.deep_questions [--truth] [--generated 900] [--write-card]
    python -m benchmarks.deep_questions --latency
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import time
from collections import Counter, defaultdict

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from app.config import ROOT
from training.common import read_card, write_card
from training.datasets.shapes.arrays import STYLES, style_render, style_scene
from training.datasets.shapes.deep import generate
from training.datasets.shapes.scenes import render, sample_scene

HAND = ROOT / "benchmarks" / "questions" / "deep_questions.json"
CARD_DIR = ROOT / "models" / "scene_parser"


def hand_items() -> list[dict]:
    data = json.loads(HAND.read_text())
    rng = np.random.default_rng(data["seed"])
    scenes = [sample_scene(rng) for _ in range(data["scenes"])]
    return [{**q, "scene": scenes[q["scene"]], "image": render(scenes[q["scene"]], 128)} for q in data["questions"]]


def generated_items(n: int, seed: int) -> list[dict]:
    """`n` questions, a third on scenes of each render style."""
    items = []
    for k, style in enumerate(STYLES):
        rng = np.random.default_rng([seed, k])
        scenes = [style_scene(rng, style) for _ in range(n // len(STYLES) // 3 + 1)]
        images = [style_render(s, rng, style) for s in scenes]
        for index, q in generate(rng, scenes, per_scene=3)[: n // len(STYLES)]:
            items.append(
                {
                    "question": q.text,
                    "expect": q.answer,
                    "form": q.form,
                    "style": style,
                    "scene": scenes[index],
                    "image": images[index],
                }
            )
    return items


def grade(expect: str, body: dict) -> str:
    if not body.get("answers"):
        return "declined"
    if body["answers"][0]["answer"] != expect:
        return "wrong"
    return "guessed" if body.get("guess") else "right"


def ask_all(client, items: list[dict]) -> list[tuple[dict, str, float, dict]]:
    results = []
    for item in items:
        buffer = io.BytesIO()
        item["image"].save(buffer, format="PNG")
        start = time.perf_counter()
        files = {"image": ("scene.png", buffer.getvalue(), "image/png")}
        body = client.post("/api/vqa", files=files, data={"question": item["question"]}).json()
        results.append((item, grade(item["expect"], body), (time.perf_counter() - start) * 1000, body))
    return results


def on_truth(items: list[dict]) -> list[tuple[dict, str, float, dict]]:
    """The grammar's program run on the true objects (no picture)."""
    from app.worlds.shapes import programs
    from app.worlds.shapes.grammar import parse

    results = []
    for item in items:
        start = time.perf_counter()
        program, _, _ = parse(item["question"])
        run = programs.run(program, list(item["scene"].objects)) if program else None
        body = {"answers": [{"answer": run.answer}] if run and run.answer else [], "guess": False}
        results.append((item, grade(item["expect"], body), (time.perf_counter() - start) * 1000, body))
    return results


def table(results: list[tuple[dict, str, float, dict]]) -> dict:
    by_form: dict[str, Counter] = defaultdict(Counter)
    for item, g, _, _ in results:
        by_form[item["form"]][g] += 1
        by_form["all"][g] += 1

    def row(c: Counter) -> dict:
        n = sum(c.values())
        return {
            "questions": n,
            "right_percent": round(100 * c["right"] / n, 1),
            "wrong_percent": round(100 * c["wrong"] / n, 1),
            "guessed_percent": round(100 * c["guessed"] / n, 1),
            "declined_percent": round(100 * c["declined"] / n, 1),
        }

    out = {form: row(c) for form, c in sorted(by_form.items())}
    out["all"]["p50_ms"] = round(statistics.median(t for _, _, t, _ in results), 2)
    return out


def print_table(name: str, rows: dict) -> None:
    print(f"\n{name}: form, questions, right %, wrong %, guessed %, declined %")
    for form, r in rows.items():
        print(
            f"  {form:<15} {r['questions']:>5} {r['right_percent']:>7} {r['wrong_percent']:>7} "
            f"{r['guessed_percent']:>7} {r['declined_percent']:>7}"
        )
    print(f"  p50 {rows['all']['p50_ms']} ms per question")


def latency(n: int = 300) -> dict:
    """p50 / p99 in ms through the real server: the same scene again, and a new scene each time."""
    import httpx

    from benchmarks.serve import server

    rng = np.random.default_rng(4)
    scenes = [render(sample_scene(rng), 256) for _ in range(n + 20)]
    bodies = []
    for image in scenes:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        bodies.append(buffer.getvalue())
    question = {"question": "How many things are not red?"}
    out = {}
    with server("app.main:app", {}) as (url, _, _), httpx.Client(timeout=30) as client:

        def timed(body: bytes) -> float:
            start = time.perf_counter()
            r = client.post(url + "/api/vqa", files={"image": ("s.png", body, "image/png")}, data=question)
            r.raise_for_status()
            return (time.perf_counter() - start) * 1000

        for _ in range(20):
            timed(bodies[0])
        for name, sequence in (("parsed", [bodies[0]] * n), ("new", bodies[20:])):
            times = sorted(timed(b) for b in sequence)
            out[name] = {"p50_ms": round(statistics.median(times), 2), "p99_ms": round(times[int(0.99 * (len(times) - 1))], 2)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--truth", action="store_true", help="run the programs on the true objects, not through the app")
    parser.add_argument("--generated", type=int, default=900, help="generated questions (0: none)")
    parser.add_argument("--seed", type=int, default=20261208)
    parser.add_argument("--show", type=int, default=20, help="print this many questions not answered right")
    parser.add_argument("--write-card", action="store_true", help="record the tables on scene_parser's card")
    parser.add_argument("--latency", action="store_true", help="only the latency through the real server")
    args = parser.parse_args()
    if args.latency:
        found = latency()
        print(f"scene already parsed: p50 {found['parsed']['p50_ms']} ms, p99 {found['parsed']['p99_ms']} ms (goal p50 < 15)")
        print(f"a new scene each time: p50 {found['new']['p50_ms']} ms, p99 {found['new']['p99_ms']} ms (goal p50 < 30)")
        if args.write_card:
            card = read_card(CARD_DIR)
            card["deep_latency"] = {**found, "command": "python -m benchmarks.deep_questions --latency --write-card"}
            write_card(CARD_DIR, card)
        return

    sets = {"hand": hand_items()}
    if args.generated:
        sets["generated"] = generated_items(args.generated, args.seed)
    tables = {}
    if args.truth:
        results = {name: on_truth(items) for name, items in sets.items()}
    else:
        from fastapi.testclient import TestClient

        from app.config import Settings
        from app.main import create_app

        with TestClient(create_app(Settings(warmup_batch_sizes="1"))) as client:
            results = {name: ask_all(client, items) for name, items in sets.items()}
    for name, found in results.items():
        tables[name] = table(found)
        print_table(name, tables[name])
        shown = 0
        for item, g, _, body in found:
            if g != "right" and shown < args.show:
                shown += 1
                said = (
                    body["answers"][0]["answer"]
                    if body.get("answers")
                    else (body.get("note") or body.get("scope_note") or "")[:80]
                )
                print(f"    {g:>8}: {item['question']!r}: expected {item['expect']!r}, said {said!r}")
    if args.write_card and not args.truth:
        card = read_card(CARD_DIR)
        card["deep_questions"] = {**tables, "command": "python -m benchmarks.deep_questions --write-card"}
        write_card(CARD_DIR, card)


if __name__ == "__main__":
    main()
