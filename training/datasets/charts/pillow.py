"""A second way to draw charts, with Pillow: for measuring only, never for training.

The reader model learns from matplotlib's pictures (`render.py`). People's charts come
from other programs, and so do the checkers' held-out charts, so the benchmark also
reads charts drawn here, where nothing is shared with matplotlib but the contract:
Pillow's own font (Aileron) or DejaVu Condensed, hand-placed axes and ticks, tick
labels centred under bars or right-aligned beside them, legends as a plain box or
none, slice labels beside their slices, lines without anti-aliasing (Pillow draws
none), dotted lines as dots, square or round markers, and backgrounds off-white.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from training.datasets.charts.tables import LINE_KINDS, ChartTable

FONT_FILES = [Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name for name in ("DejaVuSans.ttf", "DejaVuSerif.ttf")]


def _font(rng: np.random.Generator, size: int) -> ImageFont.FreeTypeFont:
    choice = int(rng.integers(3))
    if choice == 0 or not FONT_FILES[choice - 1].exists():
        return ImageFont.load_default(size=size)  # type: ignore[return-value]
    return ImageFont.truetype(str(FONT_FILES[choice - 1]), size)


def _ticks(top: float) -> list[float]:
    """About five round ticks from 0 to the axis's top."""
    step = top / 5
    magnitude = 10 ** math.floor(math.log10(step))
    step = min((s * magnitude for s in (1, 2, 2.5, 5, 10) if s * magnitude >= step), default=step)
    return [round(i * step, 6) for i in range(int(top / step + 1e-9) + 1)]


def _tick_text(value: float) -> str:
    return f"{value:g}" if value < 10000 else f"{value:,.0f}"


def _hex(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def draw_chart(table: ChartTable, rng: np.random.Generator) -> Image.Image:
    """The table drawn with Pillow in a style sampled from `rng`."""
    width = int(rng.integers(360, 1001))
    height = int(width * rng.uniform(0.6, 0.95))
    background = tuple(int(v) for v in rng.integers(246, 256, size=3))
    image = Image.new("RGB", (width, height), background)  # type: ignore[arg-type]
    draw = ImageDraw.Draw(image)
    size = int(np.clip(width / 45 * rng.uniform(0.8, 1.2), 10, 20))
    font = _font(rng, size)
    ink = tuple(int(v) for v in rng.integers(0, 70, size=3))
    labels = [e.label for e in table.elements]
    colours = [_hex(e.colour) for e in table.elements]
    use_legend = table.kind in LINE_KINDS or rng.random() < 0.3
    legend_width = int(max(draw.textlength(lb, font=font) for lb in labels) + 3 * size) if use_legend else 0
    left = int(draw.textlength(_tick_text(table.axis_max), font=font) + size * 1.5)
    if table.kind == "hbar" and not use_legend:
        left = int(max(draw.textlength(lb, font=font) for lb in labels) + size * 1.5)
    plot = [left, int(size * 1.5), width - legend_width - size, height - int(size * 2.5)]
    x1, y1, x2, y2 = plot
    if table.kind == "pie":
        _pie(draw, table, plot, colours, font, ink, use_legend)
    else:
        _axes(draw, table, plot, font, ink, rng)
        if table.kind in ("vbar", "hbar"):
            _bars(draw, table, plot, colours, font, ink, use_legend, rng)
        else:
            _lines(draw, table, plot, colours, rng)
    if use_legend:
        _legend(draw, labels, colours, (x2 + size // 2, y1), font, ink, table.kind in LINE_KINDS, rng)
    return image


def _axes(draw, table: ChartTable, plot, font, ink, rng) -> None:
    x1, y1, x2, y2 = plot
    grid = rng.random() < 0.5
    for value in _ticks(table.axis_max):
        frac = value / table.axis_max
        text = _tick_text(value)
        if table.kind == "hbar":
            x = x1 + frac * (x2 - x1)
            if grid:
                draw.line([(x, y1), (x, y2)], fill=(225, 225, 225))
            draw.line([(x, y2), (x, y2 + 4)], fill=ink)
            draw.text((x, y2 + 6), text, fill=ink, font=font, anchor="mt")
        else:
            y = y2 - frac * (y2 - y1)
            if grid:
                draw.line([(x1, y), (x2, y)], fill=(225, 225, 225))
            draw.line([(x1 - 4, y), (x1, y)], fill=ink)
            draw.text((x1 - 6, y), text, fill=ink, font=font, anchor="rm")
    draw.line([(x1, y1), (x1, y2), (x2, y2)], fill=ink, width=1)
    if table.kind in LINE_KINDS:
        xs = table.xs
        for x in xs[:: max(1, len(xs) // 6)]:
            px = x1 + (x - xs[0]) / (xs[-1] - xs[0]) * (x2 - x1)
            draw.text((px, y2 + 6), f"{x:g}", fill=ink, font=font, anchor="mt")


def _bars(draw, table: ChartTable, plot, colours, font, ink, use_legend: bool, rng) -> None:
    x1, y1, x2, y2 = plot
    n = len(table.elements)
    fill = rng.uniform(0.5, 0.85)
    outline = ink if rng.random() < 0.3 else None
    for i, e in enumerate(table.elements):
        frac = (e.value or 0.0) / table.axis_max
        if table.kind == "vbar":
            slot = (x2 - x1) / n
            a, b = x1 + slot * (i + (1 - fill) / 2), x1 + slot * (i + (1 + fill) / 2)
            draw.rectangle([a, y2 - frac * (y2 - y1), b, y2], fill=colours[i], outline=outline)
            if not use_legend:
                draw.text(((a + b) / 2, y2 + 6), e.label, fill=ink, font=font, anchor="mt")
        else:
            slot = (y2 - y1) / n
            a, b = y1 + slot * (i + (1 - fill) / 2), y1 + slot * (i + (1 + fill) / 2)
            draw.rectangle([x1, a, x1 + frac * (x2 - x1), b], fill=colours[i], outline=outline)
            if not use_legend:
                draw.text((x1 - 6, (a + b) / 2), e.label, fill=ink, font=font, anchor="rm")


def _pie(draw, table: ChartTable, plot, colours, font, ink, use_legend: bool) -> None:
    x1, y1, x2, y2 = plot
    radius = min(x2 - x1, y2 - y1) / 2 * (0.95 if use_legend else 0.7)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    start = 0.0
    for i, e in enumerate(table.elements):
        sweep = (e.value or 0.0) / 100 * 360
        draw.pieslice([cx - radius, cy - radius, cx + radius, cy + radius], start, start + sweep, fill=colours[i])
        if not use_legend:
            middle = math.radians(start + sweep / 2)  # Pillow's angles run clockwise from east
            tx, ty = cx + 1.12 * radius * math.cos(middle), cy + 1.12 * radius * math.sin(middle)
            draw.text((tx, ty), e.label, fill=ink, font=font, anchor="lm" if math.cos(middle) >= 0 else "rm")
        start += sweep


def _lines(draw, table: ChartTable, plot, colours, rng) -> None:
    x1, y1, x2, y2 = plot
    xs = table.xs
    line_width = int(rng.integers(1, 4))
    marker = str(rng.choice(["none", "circle", "square"])) if table.kind == "line" else str(rng.choice(["circle", "square"]))
    for e, colour in zip(table.elements, colours):
        points = [
            (x1 + (x - xs[0]) / (xs[-1] - xs[0]) * (x2 - x1), y2 - y / table.axis_max * (y2 - y1)) for x, y in zip(xs, e.ys)
        ]
        if table.kind == "dotline":
            for (ax, ay), (bx, by) in zip(points, points[1:]):
                steps = max(1, int(math.hypot(bx - ax, by - ay) / (3 * line_width + 3)))
                for k in range(steps):
                    t = k / steps
                    px, py = ax + t * (bx - ax), ay + t * (by - ay)
                    draw.ellipse([px - line_width, py - line_width, px + line_width, py + line_width], fill=colour)
        else:
            draw.line(points, fill=colour, width=line_width, joint="curve")
        r = line_width + 2
        for px, py in points if marker != "none" else []:
            box = [px - r, py - r, px + r, py + r]
            (draw.ellipse if marker == "circle" else draw.rectangle)(box, fill=colour)


def _legend(draw, labels, colours, corner, font, ink, lines: bool, rng) -> None:
    x, y = corner
    size = font.size
    boxed = rng.random() < 0.5
    row = int(size * 1.5)
    if boxed:
        w = int(max(draw.textlength(lb, font=font) for lb in labels) + 2.6 * size)
        draw.rectangle([x - 4, y - 4, x + w, y + row * len(labels)], outline=(180, 180, 180))
    for i, (label, colour) in enumerate(zip(labels, colours)):
        top = y + i * row
        if lines:
            draw.line([(x, top + size // 2), (x + size * 1.4, top + size // 2)], fill=colour, width=3)
        else:
            draw.rectangle([x, top, x + size, top + size], fill=colour)
        draw.text((x + size * 1.8, top + size // 2), label, fill=ink, font=font, anchor="lm")
