"""Charts, the value axis: tick labels read by Tesseract, fitted to their positions by
the straight line most of them agree with (a misread tick is left out)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.worlds.charts.text import ChartWord, number_of


@dataclass
class Axis:
    """pixel -> value along the value axis: value = slope * pixel + intercept."""

    slope: float
    intercept: float
    ticks: list[tuple[float, float]]  # (value, pixel) of the tick labels that agree

    def value(self, pixel: float) -> float:
        return self.slope * pixel + self.intercept


# Letters Tesseract reads in place of digits in a lone number ("100¢" for "1000").
DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "¢": "0", "(": "0", ")": "0", "C": "0", "c": "0", "l": "1", "I": "1", "|": "1", "i": "1",
                                  "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2", "g": "9", "q": "9"})  # fmt: skip


def _readings(text: str) -> list[float]:
    """The numbers a tick label may be, likeliest first: as read, with look-alike
    letters taken for digits, and without a last or first character (a tick mark beside
    the number is read as "4", "1" or "-": "175-" as "1754")."""
    out = []
    fixed = text.translate(DIGIT_LOOKALIKES)
    # A short number is read whole: dropping a character of "20" makes "2" or "0".
    for variant in (text, fixed, *((fixed[:-1], fixed[1:]) if len(fixed) >= 3 else ())):
        number = number_of(variant) if variant else None
        if number is not None and number not in out:
            out.append(number)
    return out


def tick_readings(words: list[ChartWord], along: str) -> list[tuple[float, list[float]]]:
    """(position, possible numbers) per tick label; words on one line are joined both
    with and without a decimal point (Tesseract splits "17.5" into "17" and "5")."""
    rows: list[list[ChartWord]] = []
    for word in sorted(words, key=lambda w: w.centre[1]):
        height = max(word.box[3] - word.box[1], 1.0)
        if rows and abs(rows[-1][0].centre[1] - word.centre[1]) < 0.5 * height:
            rows[-1].append(word)
        else:
            rows.append([word])
    groups: list[list[ChartWord]] = []
    for row in rows:
        row.sort(key=lambda w: w.box[0])
        groups.append([row[0]])
        for word in row[1:]:
            last = groups[-1][-1]
            # Closer than a space (on a vertical axis, where each row is one label: closer
            # than a character): one number split where Tesseract lost its decimal point.
            gap = 1.2 if along == "y" else 0.6
            if word.box[0] - last.box[2] < gap * max(last.box[3] - last.box[1], 1.0):
                groups[-1].append(word)
            else:
                groups.append([word])
    out = []
    for group in groups:
        texts = ["".join(w.text for w in group)] + ([".".join(w.text for w in group)] if len(group) > 1 else [])
        numbers: list[float] = []  # the likeliest reading first
        for text in texts:
            numbers += [n for n in _readings(text) if n not in numbers]
        if numbers:
            x = (group[0].box[0] + group[-1].box[2]) / 2
            y = sum(w.centre[1] for w in group) / len(group)
            out.append((y if along == "y" else x, numbers))
    return out


def fit_axis(
    entries: list[tuple[float, list[float]]], tolerance: float = 0.02, rising: int = 0, zero_at: float | None = None
) -> Axis | None:
    """A straight line through most tick labels, given as (position, the numbers each
    may be: `tick_readings`): of every pair of labels and every way each may be read,
    the line most labels agree with (then the one that changes the fewest readings),
    refitted on those. `rising` 1 or -1: values must grow with the pixel position, or
    shrink (a vertical axis grows upwards, against pixel rows); 0: either. `zero_at`:
    where the value is 0 (bars start there), which settles two lines as well agreed."""
    if len(entries) < 2:
        return None
    reach = max(p for p, _ in entries) - min(p for p, _ in entries)
    best: tuple[int, int, int] = (0, 0, 0)
    chosen: list[tuple[float, float]] = []
    for i in range(len(entries)):
        for j in range(i + 1, len(entries)):
            pi, pj = entries[i][0], entries[j][0]
            if abs(pj - pi) < 3:
                continue
            for vi in entries[i][1]:
                for vj in entries[j][1]:
                    if vi == vj:
                        continue
                    slope = (vj - vi) / (pj - pi)
                    if rising and slope * rising <= 0:
                        continue
                    spread = abs(slope) * reach  # the values the labels span on this line
                    agree, changed = [], 0
                    for p, vs in entries:
                        expected = vi + slope * (p - pi)
                        near = [k for k, v in enumerate(vs) if abs(expected - v) <= tolerance * spread]
                        if near:
                            agree.append((vs[near[0]], p))
                            changed += near[0]
                    at_zero = zero_at is not None and abs(vi + slope * (zero_at - pi)) <= 2 * tolerance * spread
                    # Ticks are round: "5000" over "50004" (a tick mark read as a 4): a value
                    # with digits below a thousandth of the step costs two changed readings.
                    step = abs(slope) * float(np.median(np.diff(sorted(p for _, p in agree)))) if len(agree) > 1 else 0.0
                    unit = step / 1000 if step > 0 else 1.0
                    ragged = sum(abs(v / unit - round(v / unit)) > 0.05 for v, _ in agree)
                    score = (len(agree), int(at_zero), -(changed + 2 * ragged))
                    if score > best:
                        best, chosen = score, agree
    if len(chosen) < 2 or (len(chosen) < 3 and len(entries) >= 4) or max(abs(v) for v, _ in chosen) > 1e9:
        return None
    slope, intercept = np.polyfit([p for _, p in chosen], [v for v, _ in chosen], 1)
    return Axis(float(slope), float(intercept), [(v, p) for v, p in chosen])


def axis_from_words(words: list[ChartWord], along: str, zero_at: float | None = None) -> Axis | None:
    """The axis from the tick labels; `along` "y" uses each label's row, "x" its column."""
    return fit_axis(tick_readings(words, along), rising=-1 if along == "y" else 1, zero_at=zero_at)
