"""How well `POST /api/vqa` reads questions the way people type them.

Two tables, both through the real endpoint (in process, the committed models):
- people: the hand-written questions in `benchmarks/questions/vqa_people_questions.txt`
  about the sample scenes, per kind (paraphrase, typo, other kinds, false premise,
  out of scope): right, answered wrongly, out of scope, and the expected calibration
  error of the answers given;
- templates: questions of the spec's 11 families from the generator, on fresh scenes,
  read by the same reader, per family;
- generated (`--generated N`): the generator's own people's wording
  (`training/datasets/shapes/paraphrase.py`, a grammar written apart from the reader),
  with and without typing slips, read back by the reader: the share read as the template
  question it came from, per family (no model needed);
- programs (`--programs`): the template families on both template test sets (fresh
  scenes as the test split renders them, and rendered differently), each question
  asked of FiLM (`model=vqa`) and of the scene parser with the question's program
  (`model=scene_parser`), per family; with `--write-card` the family's default road
  (`answers_by`, the better of the two on both sets, FiLM on a tie) goes on the
  parser's card, where `model=auto` reads it;
- model alone (`--model-alone`): the same hand-written questions of the kinds one
  model call can answer (paraphrase, typo, false premise), given to the model as typed,
  with no reader: what training on people's words taught the model itself, against
  what the reader's spelling correction and plans add.

    python -m benchmarks.vqa_language                    # print the tables
    python -m benchmarks.vqa_language --fit-temperature  # fit the card's temperature first
    python -m benchmarks.vqa_language --write-card       # also record them on the card
    python -m benchmarks.vqa_language --model-alone      # the model without the reader
    python -m benchmarks.vqa_language --generated 3000   # the reader on generated paraphrases
    python -m benchmarks.vqa_language --programs --write-card  # FiLM or programs, per family
    python -m benchmarks.vqa_language --model auto       # people's questions as the default road answers them
"""

from __future__ import annotations

import argparse
import io
import json
import os
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from app.config import ROOT
from benchmarks.vqa_model_alone import fit_temperature, model_alone_table
from training.common import read_card, write_card

QUESTIONS_FILE = ROOT / "benchmarks" / "questions" / "vqa_people_questions.txt"
SAMPLES = ROOT / "static" / "samples"
KINDS = ("paraphrase", "typo", "other", "false_premise", "out_of_scope")
OUT = "out_of_scope"


# -- the hand-written set --------------------------------------------------------------


def read_items(path: Path = QUESTIONS_FILE) -> list[dict]:
    items = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        scene, kind, question, expected = (part.strip() for part in line.split("|"))
        if kind not in KINDS:
            raise ValueError(f"line {number}: unknown kind {kind!r}")
        items.append({"line": number, "scene": scene, "kind": kind, "question": question, "expected": expected})
    return items


def template_answer(scene: dict, template: str) -> str:
    """The answer the independent checker derives for a template question; raises when the
    question does not hold on this scene (a reference that is not unique, a margin)."""
    from training.datasets.shapes.check import derive_answer

    answer, problems = derive_answer(scene, template)
    if answer is None or problems:
        raise ValueError(f"{template!r}: {problems}")
    return answer


def expected_answers(items: list[dict]) -> list[dict]:
    samples = {s["id"]: s for s in json.loads((SAMPLES / "samples.json").read_text())["samples"]}
    problems = []
    for item in items:
        sample = samples[item["scene"]]
        item["file"] = SAMPLES / sample["file"]
        expected = item["expected"]
        try:
            item["answer"] = template_answer(sample["scene"], expected[1:]) if expected.startswith("=") else expected
        except ValueError as exc:
            problems.append(f"line {item['line']}: {exc}")
    if problems:
        raise ValueError("questions that do not hold on their scene:\n" + "\n".join(problems))
    return items


def is_right(item: dict, body: dict) -> bool:
    if item["answer"] == OUT:
        return not body["question_in_scope"]
    if not body["question_in_scope"]:
        return item["kind"] == "other"  # saying so is right for kinds it was not taught
    given = body["answers"][0]["answer"].removeprefix("the ")
    return given == item["answer"]


def calibration_error(confidences: list[float], correct: list[bool], bins: int = 10) -> float:
    """Expected calibration error (Guo et al. 2017), equal-width bins, in %."""
    p, c = np.asarray(confidences), np.asarray(correct, float)
    total = 0.0
    for lo in np.linspace(0, 1, bins, endpoint=False):
        inside = (p > lo) & (p <= lo + 1 / bins)
        if inside.any():
            total += inside.mean() * abs(p[inside].mean() - c[inside].mean())
    return 100 * total


def people_table(client, items: list[dict]) -> dict:
    rows: dict[str, dict] = defaultdict(lambda: {"n": 0, "right": 0, "wrong": 0, "out_of_scope": 0})
    confidences, correct, failures = [], [], []
    for item in items:
        body = ask(client, item["file"].read_bytes(), item["question"])
        row = rows[item["kind"]]
        right = is_right(item, body)
        row["n"] += 1
        row["right"] += right
        row["out_of_scope"] += not body["question_in_scope"]
        if body["question_in_scope"] and body["answers"]:
            row["wrong"] += not right
            confidences.append(body["answers"][0]["probability"])
            correct.append(right)
        if not right:
            failures.append(
                {
                    "line": item["line"],
                    "question": item["question"],
                    "expected": item["answer"],
                    "got": body["answers"][0]["answer"] if body["answers"] else OUT,
                    "read_as": body["read_as"],
                    "asked": body["interpreted_as"],
                }
            )
    table = {kind: _percentages(rows[kind]) for kind in KINDS if kind in rows}
    table["all"] = _percentages({k: sum(r[k] for r in rows.values()) for k in ("n", "right", "wrong", "out_of_scope")})
    table["all"]["calibration_error"] = round(calibration_error(confidences, correct), 2)
    return {"table": table, "failures": failures}


def _percentages(row: dict) -> dict:
    n = max(row["n"], 1)
    return {
        "questions": row["n"],
        "right": round(100 * row["right"] / n, 2),
        "answered_wrongly": round(100 * row["wrong"] / n, 2),
        "out_of_scope": round(100 * row["out_of_scope"] / n, 2),
    }


# -- the template families ------------------------------------------------------------


def template_table(client, n_questions: int, seed: int) -> dict:
    from training.datasets.shapes.questions import generate
    from training.datasets.shapes.scenes import render, sample_scene

    right: dict[str, list[bool]] = defaultdict(list)
    for scene, questions in generate(np.random.default_rng(seed), n_questions, sample_scene):
        buffer = io.BytesIO()
        render(scene, 128).save(buffer, format="PNG")
        for q in questions:
            body = ask(client, buffer.getvalue(), q.text)
            right[q.family].append(bool(body["answers"]) and body["answers"][0]["answer"] == q.answer)
    everything = [r for rs in right.values() for r in rs]
    return {
        "overall": round(100 * np.mean(everything), 2),
        "questions": len(everything),
        "seed": seed,
        "families": {f: round(100 * np.mean(rs), 2) for f, rs in sorted(right.items())},
    }


def program_table(client, n_questions: int, seed: int) -> dict:
    """Per family and render style: right % by FiLM and by the program on the parsed scene."""
    from training.datasets.shapes.arrays import style_render, style_scene
    from training.datasets.shapes.questions import generate

    sets = {"test": "plain", "test_rendered_differently": "different"}
    out: dict = {"questions_per_set": n_questions, "seed": seed, "sets": {}}
    for name, style in sets.items():
        rng = np.random.default_rng(seed)
        right: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
        for scene, questions in generate(rng, n_questions, lambda r, s=style: style_scene(r, s)):
            buffer = io.BytesIO()
            style_render(scene, rng, style).save(buffer, format="PNG")
            for q in questions:
                for road in ("vqa", "scene_parser"):
                    body = ask(client, buffer.getvalue(), q.text, road)
                    right[q.family][road].append(
                        bool(body["answers"]) and body["answers"][0]["answer"] == q.answer and not body["guess"]
                    )
        out["sets"][name] = {
            family: {road: round(100 * float(np.mean(r)), 2) for road, r in roads.items()}
            for family, roads in sorted(right.items())
        }
        everything = {road: [x for roads in right.values() for x in roads[road]] for road in ("vqa", "scene_parser")}
        out["sets"][name]["all"] = {road: round(100 * float(np.mean(r)), 2) for road, r in everything.items()}
    families = [f for f in out["sets"]["test"] if f != "all"]
    out["answers_by"] = {
        f: "scene_parser" if all(out["sets"][s][f]["scene_parser"] > out["sets"][s][f]["vqa"] for s in sets) else "vqa"
        for f in families
    }
    return out


def print_programs(table: dict) -> None:
    print("\n| family | " + " | ".join(f"{s} FiLM | {s} program" for s in table["sets"]) + " | default |")
    print("| --- " * (2 + 2 * len(table["sets"])) + "|")
    for family in table["sets"]["test"]:
        cells = " | ".join(
            f"{table['sets'][s][family]['vqa']} | {table['sets'][s][family]['scene_parser']}" for s in table["sets"]
        )
        print(f"| {family} | {cells} | {table['answers_by'].get(family, '')} |")


# -- the generator's paraphrases, read back ------------------------------------------------


def generated_table(n_questions: int, seed: int) -> dict:
    """% of generated paraphrases (and of the same with slips) that the reader reads as
    the template question they were made from, per family."""
    from app.worlds.shapes import plans as vqa_plans
    from app.worlds.shapes.reading import read_question
    from training.datasets.shapes.paraphrase import paraphrase, typo
    from training.datasets.shapes.questions import generate
    from training.datasets.shapes.scenes import sample_scene

    def plan(text: str) -> list[str] | None:
        meaning = read_question(text).meaning
        return None if meaning is None else vqa_plans.model_questions(meaning)

    rng = np.random.default_rng(seed)
    agree: dict[str, dict[str, list[bool]]] = {"paraphrase": defaultdict(list), "with slips": defaultdict(list)}
    for _, questions in generate(rng, n_questions, sample_scene):
        for q in questions:
            said, meant = paraphrase(q.family, q.program, rng), plan(q.text)
            agree["paraphrase"][q.family].append(plan(said) == meant)
            agree["with slips"][q.family].append(plan(typo(said, rng)) == meant)
    table = {}
    for kind, families in agree.items():
        everything = [x for r in families.values() for x in r]
        table[kind] = {
            "overall": round(100 * float(np.mean(everything)), 2),
            "questions": len(everything),
            "families": {f: round(100 * float(np.mean(r)), 2) for f, r in sorted(families.items())},
        }
    return {**table, "seed": seed}


# -- running --------------------------------------------------------------------------


def ask(client, image: bytes, question: str, model: str | None = None) -> dict:
    fields = {"question": question, "model": model or getattr(client, "vqa_model", "vqa")}
    r = client.post("/api/vqa", files={"image": ("scene.png", image, "image/png")}, data=fields)
    r.raise_for_status()
    return r.json()


def print_tables(people: dict, templates: dict, source: Path) -> None:
    print(f"\npeople's questions ({source.resolve().relative_to(ROOT)})")
    print("| kind | questions | right % | answered wrongly % | out of scope % |\n| --- | --- | --- | --- | --- |")
    for kind, row in people["table"].items():
        print(f"| {kind} | {row['questions']} | {row['right']} | {row['answered_wrongly']} | {row['out_of_scope']} |")
    print(f"\nexpected calibration error of the answers given: {people['table']['all']['calibration_error']} %")
    print(f"\ntemplate questions on fresh scenes, through the reader: {templates['overall']} % of {templates['questions']}")
    print(" | ".join(f"{f} {v}" for f, v in templates["families"].items()))
    for failure in people["failures"]:
        print("  miss:", failure)


def shown(path: Path) -> str:
    """A questions file as a card records it: from the repository root, as typed there."""
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def print_generated(n: int, seed: int) -> None:
    generated = generated_table(n, seed)
    for kind in ("paraphrase", "with slips"):
        row = generated[kind]
        print(f"{kind}: {row['overall']} % of {row['questions']} read as their template question")
        print(" | ".join(f"{f} {v}" for f, v in row["families"].items()))


def run_model_alone(args: argparse.Namespace, model_dir: Path, items: list) -> None:
    alone = model_alone_table(model_dir, items)
    print(f"\nthe model alone, questions as typed ({args.questions.name})")
    print("| kind | questions | right % |\n| --- | --- | --- |")
    for kind, row in alone.items():
        print(f"| {kind} | {row['questions']} | {row['right']} |")
    if args.write_card:
        card = read_card(model_dir)
        card.setdefault("metrics", {}).setdefault("model_alone", {})[args.questions.stem] = {
            **alone,
            "command": f"python -m benchmarks.vqa_language --model {args.model} --questions {shown(args.questions)} "
            "--model-alone --write-card",
        }
        write_card(model_dir, card)


def write_tables(args: argparse.Namespace, model_dir: Path, people: dict, templates: dict) -> None:
    card = read_card(model_dir)
    main_set = args.questions.resolve() == QUESTIONS_FILE
    key = "people_questions" if main_set else f"people_questions_{args.questions.stem}"
    metrics = card.setdefault("metrics", {})
    metrics[key] = {
        **metrics.get(key, {}),  # history kept beside the table (a blind set's first run)
        **people["table"],
        "file": shown(args.questions),
        "command": f"python -m benchmarks.vqa_language --questions {shown(args.questions)} --write-card",
    }
    if main_set:  # the template table is measured with the main set, at its full size
        metrics["templates_through_reader"] = templates
    write_card(model_dir, card)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="vqa")
    parser.add_argument("--questions", type=Path, default=QUESTIONS_FILE, help="a file of hand-written questions")
    parser.add_argument("--template-questions", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--fit-temperature", action="store_true", help="fit and write the card's temperature first")
    parser.add_argument("--write-card", action="store_true", help="record the tables on the model's card")
    parser.add_argument("--model-alone", action="store_true", help="only the model, reading the questions as typed")
    parser.add_argument("--generated", type=int, default=0, help="only the reader, on this many generated paraphrases")
    parser.add_argument("--programs", action="store_true", help="FiLM against programs on the parsed scene, per family")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.generated:
        print_generated(args.generated, args.seed)
        return

    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.main import create_app

    model_dir = ROOT / "models" / ("vqa" if args.model == "auto" else args.model)
    if args.fit_temperature:
        temperature = fit_temperature(model_dir, 4000, args.seed + 1)
        write_card(model_dir, {**read_card(model_dir), "temperature": temperature})
        print(f"temperature {temperature} written to {(model_dir / 'card.json').relative_to(ROOT)}")
    if args.programs:
        with TestClient(create_app(Settings(models="vqa,scene_ood,scene_parser", warmup_batch_sizes="1,8"))) as client:
            table = program_table(client, args.template_questions, args.seed)
        print_programs(table)
        if args.write_card:
            parser_dir = ROOT / "models" / "scene_parser"
            card = read_card(parser_dir)
            card["answers_by"] = table.pop("answers_by")
            card["templates_by_road"] = {**table, "command": "python -m benchmarks.vqa_language --programs --write-card"}
            write_card(parser_dir, card)
        return
    items = expected_answers(read_items(args.questions))
    if args.model_alone:
        run_model_alone(args, model_dir, items)
        return
    served = "vqa,scene_ood,scene_parser" if args.model == "auto" else f"{args.model},scene_ood"  # auto: both roads
    settings = Settings(models=served, warmup_batch_sizes="1,8")
    start = time.perf_counter()
    with TestClient(create_app(settings)) as client:
        client.vqa_model = args.model
        people = people_table(client, items)
        templates = template_table(client, args.template_questions, args.seed)
    print_tables(people, templates, args.questions)
    print(f"\n{time.perf_counter() - start:.0f} s")
    if args.write_card and args.model != "auto":
        write_tables(args, model_dir, people, templates)


if __name__ == "__main__":
    main()
