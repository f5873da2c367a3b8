"""Drawing a chart table with matplotlib, in many styles, with each element's box.

Styles vary what a reader must not depend on: size (300-1,000 px wide), aspect, font
family and size, title and axis titles, gridlines, bar width and outline, slice
outlines and start angle, line width, markers, legend inside or outside the axes, and
JPEG quality. Bars and pies with colour-name labels carry them as tick labels under
(or beside) each bar or in a legend; lines always have a legend.

`render` returns the picture and its layout: every element's box in pixels (x1, y1,
x2, y2, y downwards; a line's box holds each point), the plot area, the legend, and the
boxes of the printed text by role (the value axis's tick labels, the elements' own
labels, and other text such as the title and a line chart's x ticks), which the reader
model learns to find.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from training.datasets.charts.tables import LINE_KINDS, ChartTable  # noqa: E402

FONTS = ("DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono")
TITLES = ("", "Sales", "Results by group", "Energy mix", "Monthly totals", "Survey", "Score over time")


@dataclass
class Style:
    width_px: int
    aspect: float  # height / width
    font: str
    font_size: float
    grid: bool
    bar_width: float
    outline: bool
    line_width: float
    markers: bool
    legend_outside: bool
    legend_for_bars: bool  # bars and pies: a legend instead of tick / slice labels
    start_angle: float
    jpeg_quality: int | None
    title: str


def sample_style(rng: np.random.Generator) -> Style:
    return Style(
        width_px=int(rng.integers(300, 1001)),
        aspect=float(rng.uniform(0.55, 1.0)),
        font=str(rng.choice(FONTS)),
        font_size=float(rng.uniform(7, 12)),
        grid=bool(rng.random() < 0.5),
        bar_width=float(rng.uniform(0.5, 0.9)),
        outline=bool(rng.random() < 0.3),
        line_width=float(rng.uniform(1.0, 3.5)),
        markers=bool(rng.random() < 0.4),
        legend_outside=bool(rng.random() < 0.4),
        legend_for_bars=bool(rng.random() < 0.3),
        start_angle=float(rng.uniform(0, 360)),
        jpeg_quality=int(rng.integers(70, 96)) if rng.random() < 0.3 else None,
        title=str(rng.choice(TITLES)),
    )


def _box(artist, renderer, height: float) -> list[float]:
    bb = artist.get_window_extent(renderer)
    return [round(float(bb.x0), 1), round(float(height - bb.y1), 1), round(float(bb.x1), 1), round(float(height - bb.y0), 1)]


def _draw(ax, table: ChartTable, style: Style) -> tuple[list, list]:
    """Draws the elements; returns the artists that each element's box comes from, and
    the text artists that label them (a pie's slice labels)."""
    labels = [e.label for e in table.elements]
    colours = [e.colour for e in table.elements]
    edge = {"edgecolor": "black", "linewidth": 0.8} if style.outline else {}
    if table.kind == "vbar":
        bars = ax.bar(range(len(labels)), [e.value for e in table.elements], width=style.bar_width, color=colours, **edge)
        ax.set_ylim(0, table.axis_max)
        ax.set_xticks(range(len(labels)), [] if style.legend_for_bars else labels, rotation=30 if len(labels) > 5 else 0)
        return list(bars), []
    if table.kind == "hbar":
        bars = ax.barh(range(len(labels)), [e.value for e in table.elements], height=style.bar_width, color=colours, **edge)
        ax.set_xlim(0, table.axis_max)
        ax.set_yticks(range(len(labels)), [] if style.legend_for_bars else labels)
        ax.invert_yaxis()  # the first element on top, as people read a list
        return list(bars), []
    if table.kind == "pie":
        wedges, texts = ax.pie(
            [e.value for e in table.elements],
            labels=None if style.legend_for_bars else labels,
            colors=colours,
            startangle=style.start_angle,
            wedgeprops={"edgecolor": "white" if style.outline else None, "linewidth": 1.0},
        )
        ax.set_aspect("equal")
        return list(wedges), [t for t in texts if t.get_text()]
    lines = []
    for e in table.elements:
        (line,) = ax.plot(
            table.xs,
            e.ys,
            color=e.colour,
            linewidth=style.line_width,
            linestyle=":" if table.kind == "dotline" else "-",
            marker="o" if (table.kind == "dotline" or style.markers) else None,
            markersize=3 + style.line_width,
            label=e.label,
        )
        lines.append(line)
    ax.set_ylim(0, table.axis_max)
    return lines, []


def render(table: ChartTable, style: Style) -> tuple[Image.Image, dict]:
    """The chart as an RGB picture, and its layout (boxes in the picture's pixels)."""
    dpi = 100
    width, height = style.width_px / dpi, style.width_px * style.aspect / dpi
    with plt.rc_context({"font.family": style.font, "font.size": style.font_size}):
        fig, ax = plt.subplots(figsize=(width, height), dpi=dpi)
        try:
            artists, slice_labels = _draw(ax, table, style)
            if style.grid and table.kind != "pie":
                ax.grid(True, axis="x" if table.kind == "hbar" else "y", alpha=0.5)
                ax.set_axisbelow(True)
            if style.title:
                ax.set_title(style.title)
            legend = None
            if table.kind in LINE_KINDS or style.legend_for_bars:
                # A pie's legend always goes beside it: "best" places it over wedges.
                outside = style.legend_outside or table.kind == "pie"
                where = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0)} if outside else {"loc": "best"}
                legend = ax.legend(artists, [e.label for e in table.elements], fontsize=style.font_size * 0.9, **where)
            fig.tight_layout()
            fig.canvas.draw()
            renderer = fig.canvas.get_renderer()
            pixels_high = fig.bbox.height
            layout: dict = {
                "plot_box": _box(ax, renderer, pixels_high),
                "legend_box": _box(legend, renderer, pixels_high) if legend is not None else None,
            }
            layout["text_boxes"] = _text_boxes(fig, ax, table.kind, slice_labels, renderer, pixels_high)
            if table.kind in LINE_KINDS:
                layout["points"] = [_points(a, ax, pixels_high) for a in artists]
                layout["boxes"] = [_points_box(points) for points in layout["points"]]
            else:
                layout["boxes"] = [_box(a, renderer, pixels_high) for a in artists]
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=dpi)
        finally:
            plt.close(fig)
    image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    layout = {"size": list(image.size), **layout}
    if style.jpeg_quality:
        out = io.BytesIO()
        image.save(out, "JPEG", quality=style.jpeg_quality)
        image = Image.open(io.BytesIO(out.getvalue())).convert("RGB")
    return image, layout


def _text_boxes(fig, ax, kind: str, slice_labels: list, renderer, height: float) -> dict[str, list[list[float]]]:
    """The printed text's boxes by role: "values" (the value axis's tick labels),
    "labels" (the elements' own labels: a bar's tick label, a slice's label) and "other"
    (title, a line chart's x ticks)."""
    width = fig.bbox.width

    def shown(texts) -> list[list[float]]:
        boxes = []
        for t in texts:
            if not t.get_visible() or not t.get_text().strip():
                continue
            box = _box(t, renderer, height)
            if box[2] > 0 and box[0] < width and box[3] > 0 and box[1] < height:
                boxes.append(box)
        return boxes

    x_ticks, y_ticks = shown(ax.get_xticklabels()), shown(ax.get_yticklabels())
    other = shown([ax.title])
    if kind == "vbar":
        return {"values": y_ticks, "labels": x_ticks, "other": other}
    if kind == "hbar":
        return {"values": x_ticks, "labels": y_ticks, "other": other}
    if kind == "pie":
        return {"values": [], "labels": shown(slice_labels), "other": other}
    return {"values": y_ticks, "labels": [], "other": other + x_ticks}


def _points(line, ax, height: float) -> list[list[float]]:
    """A line's points in the picture's pixels (y downwards)."""
    xy = ax.transData.transform(np.column_stack([line.get_xdata(), line.get_ydata()]))
    return [[round(float(x), 1), round(float(height - y), 1)] for x, y in xy]


def _points_box(points: list[list[float]]) -> list[float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return [min(xs), min(ys), max(xs), max(ys)]
