"""The article's baseline beside the reader: FigureQA's CNN + LSTM (`chart_baseline`,
training/train_chart_baseline.py) asked the same yes/no question about the same chart.

It reads a question only in FigureQA's own words, so it is asked the template the
reader understood, with the labels the reader matched (`baseline_question`): both
models then answer the same question, and the answer shows both. It answers nothing
else ("which", values, medians of an even count), and says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, Field

from app.worlds.charts.answer import LINE_KINDS, ON_LINES
from app.worlds.charts.preprocessing import BASELINE_ANSWERS, TEMPLATES, baseline_input

if TYPE_CHECKING:
    from PIL import Image

    from app.registry import ModelRegistry, ServedModel

BASELINE = "chart_baseline"
SURE = 0.9  # below this the baseline's answer is shown as a guess


class BaselineAnswer(BaseModel):
    model: str = BASELINE
    question: str = Field(description="what the baseline was asked: FigureQA's template with the labels matched")
    answer: str = Field(description="yes or no")
    probability: float = Field(ge=0, le=1)
    agrees: bool | None = Field(None, description="whether it gives the reader's answer (None: the reader gave none)")
    unknown_words: list[str] = Field(default_factory=list, description="words of the question it never saw in training")


def template_of(intent: str | None, chart_kind: str) -> str | None:
    """FigureQA's template for a question's meaning on this kind of chart, or None."""
    if intent is None:
        return None
    if chart_kind in LINE_KINDS:
        intent = ON_LINES.get(intent, intent)
    return TEMPLATES.get(intent)


def baseline_question(intent: str | None, labels: tuple[str, ...], chart_kind: str) -> str | None:
    """The question in FigureQA's words, or None when no template says it or the labels
    it needs were not matched."""
    template = template_of(intent, chart_kind)
    wanted = template.count("{") if template else 0
    if template is None or len(labels) < wanted:
        return None
    return template.format(x=labels[0], y=labels[1] if wanted > 1 else "")


async def ask_baseline(
    registry: ModelRegistry, image: Image.Image, question: str, reader_answer: str | None
) -> BaselineAnswer | None:
    """The baseline's answer, or None when it is not loaded."""
    served: ServedModel | None = registry.ready_model(BASELINE)
    if served is None:
        return None
    ids, unknown = served.assets["encoder"].encode(question)
    probabilities = np.asarray(await registry.infer(served, (baseline_input(image)[None], ids[None])))[0]
    best = int(np.argmax(probabilities))
    answer = BASELINE_ANSWERS[best]
    return BaselineAnswer(
        question=question,
        answer=answer,
        probability=round(float(probabilities[best]), 4),
        agrees=None if reader_answer not in BASELINE_ANSWERS else answer == reader_answer,
        unknown_words=unknown,
    )
