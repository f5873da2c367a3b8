"""The charts world: bar, pie and line charts (FigureQA's kinds, docs/charts.md), read
into a table by the `chart_reader` model, Tesseract and geometry, and answered from
that table, which the answer returns as its evidence. The article's CNN + LSTM
(`chart_baseline`) is asked the same yes/no questions beside it."""

from __future__ import annotations

import asyncio
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from app.config import ROOT, Settings
from app.tasks.imaging import upload_box
from app.worlds.base import Answer, AnswerItem, AskOptions, Claim, WorldEvidence, listing
from app.worlds.cache import PictureCache
from app.worlds.charts.answer import Result, compute, mentions
from app.worlds.charts.baseline import BASELINE, SURE, BaselineAnswer, ask_baseline, baseline_question, template_of
from app.worlds.charts.claim import check_chart
from app.worlds.charts.evidence import ChartEvidence, ChartRow
from app.worlds.charts.model import READER
from app.worlds.charts.preprocessing import chart_input
from app.worlds.charts.reading import ChartReading, read_picture
from app.worlds.charts.words import ChartQuestion, read_chart_question

if TYPE_CHECKING:
    from PIL import Image

    from app.registry import ModelRegistry

CACHED_READINGS = 64  # pictures: a reading is a few kilobytes
LINE_COLUMNS = 8  # a line's values shown at this many columns when its points were not found
KINDS_OF_QUESTION = (
    "Is X the maximum / the minimum / the low median?",
    "Is X greater than Y? Is X less than Y?",
    "Does X have the highest value / the maximum area under the curve? Is X the smoothest?",
    "Does X intersect Y?",
    "Which is the largest? Which line reaches the highest value?",
    "What is the value of X? What percentage is X?",
)


class ChartsWorld:
    name = "charts"
    title = "Charts"
    evidence: type[WorldEvidence] = ChartEvidence
    models: tuple[str, ...] = (READER, BASELINE)

    def __init__(self) -> None:
        self.cache: PictureCache[ChartReading] = PictureCache(CACHED_READINGS)

    def needs(self, options: AskOptions) -> tuple[str, ...]:
        return (READER, BASELINE) if options.model == BASELINE else (READER,)

    def claims(self, image: Image.Image) -> Claim:
        return check_chart(image)

    def read(self, question: str) -> ChartQuestion:
        return read_chart_question(question)

    async def reading(self, registry: ModelRegistry, image: Image.Image) -> tuple[ChartReading, bool]:
        """The picture's reading, and whether it came from the cache."""
        key = self.cache.key(image)
        found = self.cache.get(key)
        if found is not None:
            return found, True
        served = registry.require_ready(READER)
        output = await registry.infer(served, chart_input(image)[None])
        reading = await asyncio.to_thread(read_picture, image, np.asarray(output[0]))
        self.cache.put(key, reading)
        return reading, False

    async def answer(self, registry, image, reading, options: AskOptions, claim: Claim, settings: Settings) -> Answer:
        chart, cached = await self.reading(registry, image)
        result = (
            compute(reading.intent, chart, mentions(reading.tokens, chart.elements))
            if reading.intent is not None
            else Result(None)
        )
        by_baseline = options.model == BASELINE
        asked = baseline_question(reading.intent, result.about, chart.kind)
        baseline = await ask_baseline(registry, image, asked, result.answer) if asked else None
        answers = _answer_items(result)
        note = result.note
        guess = bool(result.close or chart.kind_probability < 0.6)
        if result.close and result.answer is not None:
            note = "The difference that decides this is too small to measure surely: read the answer as a guess."
        if by_baseline:
            answers, guess, note = _baseline_answer(baseline, template_of(reading.intent, chart.kind) is not None)
        interpreted = asked if by_baseline and asked else result.interpreted_as
        evidence = evidence_of(chart, result, cached, float(image.info.get("upload_scale", 1.0)))
        evidence.baseline = baseline
        return Answer.from_reading(
            reading.question,
            self.name,
            reading,
            interpreted_as=[interpreted] if interpreted else [],
            answers=answers,
            guess=guess,
            note=note,
            model=BASELINE if by_baseline else READER,
            evidence=evidence,
        )

    def samples(self, settings: Settings) -> list[dict]:
        return list(_samples(settings.charts_dir))

    def knows(self, registry: ModelRegistry) -> dict[str, Any]:
        measured = dict(registry.card(READER).get("metrics", {}).get("questions", {}))
        for name, value in registry.card(BASELINE).get("metrics", {}).get("questions", {}).items():
            measured[f"the article's CNN + LSTM ({BASELINE}), {name}"] = value
        return {
            "summary": "Charts: vertical and horizontal bars, pies, lines and dot-lines (FigureQA's five kinds). "
            "It reads the chart into a table, shown with every answer, and answers from it.",
            "questions": list(KINDS_OF_QUESTION),
            "words": {"chart kinds": ["bar chart", "pie chart", "line chart"]},
            "measured": [{"set": name, "accuracy_percent": value} for name, value in measured.items()],
        }


def _answer_items(result: Result) -> list[AnswerItem]:
    if result.answer is None:
        return []
    sure = 0.6 if result.close else 0.99
    if result.answer in ("yes", "no"):
        return _yes_and_no(result.answer, sure)
    return [AnswerItem(answer=result.answer, probability=sure)]


def _yes_and_no(answer: str, probability: float) -> list[AnswerItem]:
    """The answer given, then the other one with what is left."""
    other = "no" if answer == "yes" else "yes"
    return [AnswerItem(answer=answer, probability=probability), AnswerItem(answer=other, probability=round(1 - probability, 4))]


def _baseline_answer(baseline: BaselineAnswer | None, templated: bool) -> tuple[list[AnswerItem], bool, str | None]:
    """(answers, guess, note) when the client asked the baseline to answer; `templated`:
    the question is one of FigureQA's yes/no templates."""
    if baseline is None:
        why = "the elements it names are not among the labels read" if templated else "it is not one of them"
        note = f"{BASELINE} answers only FigureQA's yes/no templates, and {why}. Ask without model={BASELINE} for the reader's answer."
        return [], True, note
    answers = _yes_and_no(baseline.answer, baseline.probability)
    note = f"The article's CNN + LSTM ({BASELINE}) answered; it never reads the chart into a table."
    return answers, baseline.probability < SURE, note


def _column_names(chart: ChartReading, columns: np.ndarray) -> list[str]:
    if chart.x_axis is not None:
        return [f"{chart.x_axis.value(c):.4g}" for c in columns]
    return [f"x = {c:.0f} px" for c in columns]


def evidence_of(chart: ChartReading, result: Result, cached: bool, upload_scale: float = 1.0) -> ChartEvidence:
    """The reading as the response shows it: one row per element, values in the axis's
    units where the axis was read, boxes in the uploaded picture's pixels."""
    about = set(result.about)
    rows: list[ChartRow] = []
    columns: list[str] = []
    lines = chart.kind in ("line", "dotline")
    if lines and chart.elements:
        first = max(e.columns[0] for e in chart.elements)  # type: ignore[index]
        last = min(e.columns[-1] for e in chart.elements)  # type: ignore[index]
        at = chart.points if chart.points is not None else np.linspace(first, last, LINE_COLUMNS)
        columns = _column_names(chart, at)
    for e in chart.elements:
        label = e.label or e.hex
        row = ChartRow(
            label=e.label,
            label_from=e.label_from,
            colour=e.hex,
            value=None,
            box=upload_box(e.box, upload_scale),
            about=label in about,
        )
        if lines:
            drawn = np.asarray(e.columns)
            index = np.clip(np.round(at - drawn[0]).astype(int), 0, len(drawn) - 1)
            pixels = np.asarray(e.rows)[index]
            row.values = [round(chart.axis.value(p), 4) if chart.axis else None for p in pixels]
        elif e.value is not None:
            row.value = round(float(e.value), 4)
        rows.append(row)
    return ChartEvidence(
        chart_kind=chart.kind,
        chart_kind_probability=round(chart.kind_probability, 4),
        rows=rows,
        columns=columns,
        axis_read=chart.axis is not None or chart.kind == "pie",
        notes=list(chart.notes),
        cached=cached,
    )


@lru_cache(maxsize=4)
def _samples(folder: Path) -> tuple[dict, ...]:
    data, base = listing(folder, "charts.json", ROOT / "static")
    return tuple(
        {
            "id": c["id"],
            "image_url": f"{base}/{c['file']}" if base else None,
            "title": c.get("title", c["id"]),
            "questions": [{"question": q["question"], "answer": q["answer"]} for q in c.get("questions", [])],
        }
        for c in data.get("charts", [])
    )
