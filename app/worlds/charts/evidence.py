"""Charts, the evidence: the table the reader read, which every answer is computed from."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.worlds.base import WorldEvidence
from app.worlds.charts.baseline import BaselineAnswer


class ChartRow(BaseModel):
    label: str | None = Field(description="the label as read (None: not read)")
    label_from: str | None = Field(
        description="where the label was read: tick, legend, slice label, or colour (named by its colour)"
    )
    colour: str = Field(description="the element's colour as measured, #rrggbb")
    value: float | None = Field(
        None, description="bars: in the value axis's units; slices: percent; None when the axis was not read"
    )
    values: list[float | None] | None = Field(None, description="lines: the value at each of `columns`")
    box: list[float] = Field(description="x1, y1, x2, y2 in the uploaded image's pixels")
    about: bool = Field(False, description="true for the elements the question is about")


class ChartEvidence(WorldEvidence):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["chart"] = "chart"
    chart_kind: str = Field(description="vbar, hbar, pie, line or dotline, as the reader model saw it")
    chart_kind_probability: float = Field(ge=0, le=1)
    rows: list[ChartRow] = Field(description="one row per bar, slice or line, in the order drawn")
    columns: list[str] = Field(default_factory=list, description="lines: the x value (or position) of each column of `values`")
    axis_read: bool = Field(description="whether the value axis's numbers were read (values need them; comparisons do not)")
    notes: list[str] = Field(default_factory=list)
    cached: bool = Field(False, description="true when the reading came from an earlier question about the same picture")
    baseline: BaselineAnswer | None = Field(
        None, description="the article's CNN + LSTM asked the same yes/no question (FigureQA's templates only), when loaded"
    )
