"""How the charts world does: accuracy per template and per chart kind, and speed.

Two held-out sets, both drawn from tables in the "alternated" split (colours and label
words that training never paired with their chart kind, FigureQA's validation 2):
- "matplotlib": the generator's own renderer (training.datasets.charts.render);
- "pillow": a renderer that shares nothing with it but the contract
  (training.datasets.charts.pillow), for the charts people and the checkers draw.
Each chart is read once by the served path (`chart_reader` + Tesseract + geometry,
`app.worlds.charts.reading.read_picture`) and every question about it is answered
from that reading: FigureQA's fifteen templates, "which" questions, values (right
within 4 % of the axis, 3 points of a pie), and the same meanings in other words
(`PEOPLE`, written for this benchmark). Declined questions (a label not found, a note
instead of an answer) are counted apart from wrong ones.

The article's baseline (`chart_baseline`, FigureQA's CNN + LSTM) is asked every yes/no
template question about the same charts, so the two stand side by side per template.

Latency goes through the app (`POST /api/vqa` in process): a first question about a
chart (model, OCR, reading) and a second one (the reading cached).

    python -m benchmarks.chart_questions [--charts 150] [--write-card]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from app.config import ROOT
from training.common import read_card, write_card

CARD_DIR = ROOT / "models" / "chart_reader"
BASELINE_DIR = ROOT / "models" / "chart_baseline"
# FigureQA (Kahou et al. 2017), test set, as quoted in the charts issue: overall and the hardest templates.
FIGUREQA = {"overall": (72.4, 91.2), "smoothest/roughest": (56.5, 79.0), "medians": (66.5, 86.5)}  # (RN, human)
# The same meanings in other words: a person's phrasing, sometimes in lower case.
PEOPLE = {
    "minimum": ("is {x} the smallest one?", "is {x} the lowest?", "does {x} have the smallest value?"),
    "maximum": ("is {x} the biggest one", "is {x} the largest?", "Is {x} the highest?"),
    "less": ("is {x} smaller than {y}?", "is {x} lower than {y}", "Is {x} below {y}?"),
    "greater": ("is {x} bigger than {y}?", "is {x} higher than {y}", "is {x} more than {y}?"),
    "low_median": ("is {x} the lower median?",),
    "high_median": ("is {x} the higher median?",),
    "min_area": ("does {x} have the smallest area under the curve?",),
    "max_area": ("does {x} have the largest area under the curve?",),
    "smoothest": ("is the {x} line the smoothest one?", "is {x} the least bumpy?"),
    "roughest": ("is {x} the bumpiest line?", "is {x} the most jagged?"),
    "lowest_value": ("does {x} go the lowest?", "does the {x} line reach the lowest point?"),
    "highest_value": ("does {x} reach the highest point?", "does the {x} line go highest?"),
    "line_less": ("is {x} always below {y}?", "is {x} under {y} everywhere?"),
    "line_greater": ("is {x} always above {y}?", "is {x} over {y} everywhere?"),
    "intersect": ("do the {x} and {y} lines cross?", "does {x} cross {y}?", "do {x} and {y} meet?"),
    "which_min": ("which one is the smallest?", "which bar is the shortest?"),
    "which_max": ("which one is the biggest?", "which is the highest?"),
    "value": ("how much is {x}?", "whats the value of {x}?"),
}


# -- the sets ----------------------------------------------------------------------------------


def chart_set(renderer: str, n: int, seed: int):
    """(picture, table json, questions) for `n` held-out charts drawn by `renderer`."""
    from training.datasets.charts.files import charts
    from training.datasets.charts.pillow import draw_chart
    from training.datasets.charts.questions import questions_for
    from training.datasets.charts.tables import KINDS, sample_table

    rng = np.random.default_rng([seed, 7])
    if renderer == "matplotlib":
        for image, record in charts(rng, n, "alternated"):
            yield image, record["table"], record["questions"]
        return
    for i in range(n):
        table = sample_table(rng, KINDS[i % len(KINDS)], "alternated")
        image = draw_chart(table, rng)
        questions = [
            {"template": q.template, "question": q.text, "answer": q.answer, "labels": list(q.labels)}
            for q in questions_for(table, rng)
        ]
        yield image, table.to_json(), questions


def people_wording(questions: list[dict], rng: np.random.Generator) -> list[dict]:
    """One rephrasing of each question whose template has one (`PEOPLE`)."""
    out = []
    for q in questions:
        forms = PEOPLE.get(q["template"])
        if not forms:
            continue
        form = forms[int(rng.integers(len(forms)))]
        labels = q["labels"]
        text = form.format(x=labels[0] if labels else "", y=labels[1] if len(labels) > 1 else "")
        out.append({**q, "question": text.lower() if rng.random() < 0.5 else text})
    return out


# -- scoring -----------------------------------------------------------------------------------


def judge(question: dict, table: dict, given: str | None) -> str:
    """right, wrong or declined."""
    if given is None:
        return "declined"
    truth = question["answer"]
    if question["template"] == "value":
        try:
            number = float(given.split()[0])
        except ValueError:
            return "wrong"
        tolerance = 3.0 if table["kind"] == "pie" else 0.04 * table["axis_max"]
        return "right" if abs(number - float(truth)) <= tolerance else "wrong"
    return "right" if given.strip().lower() == truth.strip().lower() else "wrong"


def group(template: str) -> str:
    if template.startswith("which"):
        return "which"
    return "value" if template == "value" else "template"


def baseline_answers(baseline, image, texts: list[str]) -> list[str]:
    """The baseline's yes or no to each of `texts` about one chart, in one call."""
    from app.worlds.charts.preprocessing import BASELINE_ANSWERS, baseline_input

    model, encoder = baseline
    charts = np.repeat(baseline_input(image)[None], len(texts), axis=0)
    probabilities = model.predict({"chart": charts, "question": encoder.encode_batch(texts)}, verbose=0)
    return [BASELINE_ANSWERS[i] for i in probabilities.argmax(-1)]


def score_set(model, renderer: str, n: int, seed: int, baseline=None) -> dict:
    from app.worlds.charts.answer import compute, mentions
    from app.worlds.charts.preprocessing import TEMPLATES, chart_input
    from app.worlds.charts.reading import read_picture
    from app.worlds.charts.words import read_chart_question

    rng = np.random.default_rng([seed, 11])
    by_template: dict[str, Counter] = defaultdict(Counter)
    by_kind: dict[str, Counter] = defaultdict(Counter)
    by_group: dict[str, Counter] = defaultdict(Counter)
    by_template_baseline: dict[str, Counter] = defaultdict(Counter)
    by_kind_baseline: dict[str, Counter] = defaultdict(Counter)
    kinds_right = 0
    read_seconds = []
    for image, table, questions in chart_set(renderer, n, seed):
        start = time.perf_counter()
        output = model.predict(chart_input(image)[None], verbose=0)[0]
        reading = read_picture(image, output)
        read_seconds.append(time.perf_counter() - start)
        kinds_right += reading.kind == table["kind"]
        yes_no = [q for q in questions if q["template"] in TEMPLATES]
        if baseline is not None and yes_no:
            for q, given in zip(yes_no, baseline_answers(baseline, image, [q["question"] for q in yes_no])):
                verdict = judge(q, table, given)
                by_template_baseline[q["template"]][verdict] += 1
                by_kind_baseline[table["kind"]][verdict] += 1
        for wording, asked in (("figureqa", questions), ("people", people_wording(questions, rng))):
            for q in asked:
                read = read_chart_question(q["question"])
                result = compute(read.intent, reading, mentions(read.tokens, reading.elements)) if read.intent else None
                verdict = judge(q, table, result.answer if result else None)
                if wording == "people":
                    by_group["people"][verdict] += 1
                    continue
                by_template[q["template"]][verdict] += 1
                by_group[group(q["template"])][verdict] += 1
                if group(q["template"]) == "template":
                    by_kind[table["kind"]][verdict] += 1
    everything = sum((by_group[g] for g in ("template", "which", "value", "people")), Counter())
    return {
        "renderer": renderer,
        "charts": n,
        "kind_right_percent": round(100 * kinds_right / n, 1),
        "read_seconds_p50": round(statistics.median(read_seconds), 3),
        "groups": {g: _percent(c) for g, c in by_group.items()},
        "templates": {t: _percent(c) for t, c in sorted(by_template.items())},
        "kinds": {k: _percent(c) for k, c in sorted(by_kind.items())},
        "wrong_percent_of_all": round(100 * everything["wrong"] / max(1, sum(everything.values())), 2),
        "baseline": {
            "templates": _percent(sum(by_template_baseline.values(), Counter())),
            "per_template": {t: _percent(c) for t, c in sorted(by_template_baseline.items())},
            "kinds": {k: _percent(c) for k, c in sorted(by_kind_baseline.items())},
        }
        if baseline is not None
        else None,
    }


def _percent(c: Counter) -> dict:
    total = sum(c.values())
    return {
        "questions": total,
        "right_percent": round(100 * c["right"] / max(1, total), 1),
        "wrong": c["wrong"],
        "declined": c["declined"],
    }


# -- latency -----------------------------------------------------------------------------------


def latency(n: int, seed: int, models_dir: Path) -> dict:
    """p50 / p99 of a first and a second question about a chart, through the app."""
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.main import create_app

    first, second = [], []
    settings = Settings(models_dir=models_dir, models="chart_reader,chart_baseline,scene_ood,vqa,photo_classifier,photo_detector")
    with TestClient(create_app(settings)) as client:
        for image, _, questions in chart_set("pillow", n, seed + 100):
            buffer = io.BytesIO()
            image.save(buffer, "PNG")
            files = {"image": ("chart.png", buffer.getvalue(), "image/png")}
            for times, q in zip((first, second), questions[:2]):
                start = time.perf_counter()
                response = client.post("/api/vqa", files=files, data={"question": q["question"]})
                times.append(1000 * (time.perf_counter() - start))
                assert response.status_code == 200, response.text
    return {
        "charts": n,
        "first_question_ms": {"p50": round(statistics.median(first), 1), "p99": round(float(np.percentile(first, 99)), 1)},
        "second_question_ms": {"p50": round(statistics.median(second), 1), "p99": round(float(np.percentile(second, 99)), 1)},
    }


# -- the tables --------------------------------------------------------------------------------


def print_tables(results: list[dict], timing: dict | None) -> None:
    if results:
        print_accuracy(results)
    if timing:
        print(
            f"\nThrough the app ({timing['charts']} pillow charts): first question p50 {timing['first_question_ms']['p50']} ms, "
            f"p99 {timing['first_question_ms']['p99']} ms; second question p50 {timing['second_question_ms']['p50']} ms, "
            f"p99 {timing['second_question_ms']['p99']} ms"
        )


def print_accuracy(results: list[dict]) -> None:
    print("\n| set | kind read | templates | which | values | people's wording | wrong, of all |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        g = r["groups"]
        cells = [f"{g.get(k, {}).get('right_percent', '-')} %" for k in ("template", "which", "value", "people")]
        print(
            f"| {r['renderer']} ({r['charts']} charts) | {r['kind_right_percent']} % | "
            + " | ".join(cells)
            + f" | {r['wrong_percent_of_all']} % |"
        )
    print("\nTemplates (right %, wrong, declined), FigureQA's RN / human beside where the issue quotes them:")
    print("| template | " + " | ".join(r["renderer"] for r in results) + " |")
    print("| --- |" + " --- |" * len(results))
    for template in results[0]["templates"]:
        cells = []
        for r in results:
            t = r["templates"].get(template, {})
            cells.append(
                f"{t.get('right_percent', '-')} % ({t.get('wrong', 0)} wrong, {t.get('declined', 0)} declined, of {t.get('questions', 0)})"
            )
        print(f"| {template} | " + " | ".join(cells) + " |")
    print("\n| chart kind | " + " | ".join(r["renderer"] for r in results) + " |")
    print("| --- |" + " --- |" * len(results))
    for kind in results[0]["kinds"]:
        print(f"| {kind} | " + " | ".join(f"{r['kinds'].get(kind, {}).get('right_percent', '-')} %" for r in results) + " |")
    if all(r["baseline"] for r in results):
        print("\nThe same yes/no template questions, the reader against the article's CNN + LSTM (chart_baseline):")
        print("| template | " + " | ".join(f"{r['renderer']}: reader | {r['renderer']}: baseline" for r in results) + " |")
        print("| --- |" + " --- | --- |" * len(results))
        for template in results[0]["baseline"]["per_template"]:
            cells = []
            for r in results:
                cells.append(f"{r['templates'].get(template, {}).get('right_percent', '-')} %")
                cells.append(f"{r['baseline']['per_template'].get(template, {}).get('right_percent', '-')} %")
            print(f"| {template} | " + " | ".join(cells) + " |")
        overall = [
            f"{r['groups']['template']['right_percent']} % | {r['baseline']['templates']['right_percent']} %" for r in results
        ]
        print("| all templates | " + " | ".join(overall) + " |")
    print("\nFigureQA test set (RN, human): " + ", ".join(f"{k} {rn} / {h} %" for k, (rn, h) in FIGUREQA.items()))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--charts", type=int, default=150, help="per set")
    parser.add_argument("--latency-charts", type=int, default=40)
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--model-dir", type=Path, default=CARD_DIR)
    parser.add_argument("--baseline-dir", type=Path, default=BASELINE_DIR)
    parser.add_argument("--latency-only", action="store_true", help="only the speed through the app")
    parser.add_argument(
        "--write-card", action="store_true", help="record the tables on the chart_reader and chart_baseline cards"
    )
    args = parser.parse_args(argv)
    timing = latency(args.latency_charts, args.seed, args.model_dir.parent) if args.latency_charts else None
    if args.latency_only:
        print_tables([], timing)
        return {"sets": [], "latency": timing}
    import keras

    model = keras.saving.load_model(args.model_dir / "model.keras", compile=False, safe_mode=True)
    baseline = load_baseline(args.baseline_dir)
    results = [score_set(model, renderer, args.charts, args.seed, baseline) for renderer in ("matplotlib", "pillow")]
    print_tables(results, timing)
    if args.write_card:
        card = read_card(args.model_dir)
        card.setdefault("metrics", {})["questions"] = {
            f"{r['renderer']}: {g}": r["groups"][g]["right_percent"]
            for r in results
            for g in ("template", "which", "value", "people")
            if g in r["groups"]
        }
        card["benchmark"] = {"command": "python -m benchmarks.chart_questions --write-card", "sets": results, "latency": timing}
        write_card(args.model_dir, card)
        if baseline is not None:
            card = read_card(args.baseline_dir)
            card.setdefault("metrics", {})["questions"] = {
                f"{r['renderer']}: template": r["baseline"]["templates"]["right_percent"] for r in results
            }
            card["benchmark"] = {
                "command": "python -m benchmarks.chart_questions --write-card",
                "sets": [{"renderer": r["renderer"], "charts": r["charts"], **r["baseline"]} for r in results],
            }
            write_card(args.baseline_dir, card)
    return {"sets": results, "latency": timing}


def load_baseline(folder: Path):
    """(model, question encoder) of the chart baseline, or None when it is not there."""
    if not (folder / "model.keras").exists():
        return None
    import keras

    from app.worlds.charts.model import baseline_encoder

    model = keras.saving.load_model(folder / "model.keras", compile=False, safe_mode=True)
    return model, baseline_encoder(folder)


if __name__ == "__main__":
    main()
