"""Charts, the questions: what a question asks, in FigureQA's terms or people's words.

A question is read into a meaning (`intent`) without the picture: FigureQA's fifteen
templates (docs/charts.md), "which" questions and values. The labels it names ("X",
"Y") are found later among the labels read from the chart (`labels.find_element`), in
the order the question names them, so the words are kept as typed. Slips in the
question's own words ("maximun", "smallst") are corrected to this world's vocabulary;
a label is never corrected here (the chart's labels are not known yet).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.worlds.language import Speller, clean, expand_shorthand

SMALL = "minimum min smallest lowest least fewest shortest tiniest smaller lower less fewer shorter below under beneath".split()
LARGE = "maximum max biggest largest highest greatest most tallest longest bigger larger higher greater more taller longer above over exceed exceeds".split()
SUPERLATIVE_SMALL = {"minimum", "min", "smallest", "lowest", "least", "fewest", "shortest", "tiniest"}
SUPERLATIVE_LARGE = {"maximum", "max", "biggest", "largest", "highest", "greatest", "most", "tallest", "longest"}
CROSS = {
    "intersect",
    "intersects",
    "cross",
    "crosses",
    "meet",
    "meets",
    "touch",
    "touches",
    "overlap",
    "overlaps",
    "intersection",
}
SMOOTH = {"smoothest", "smooth", "smoother", "straightest", "steadiest"}
ROUGH = {"roughest", "rough", "rougher", "bumpiest", "bumpy", "jagged", "noisiest", "noisy", "choppiest", "wiggliest"}
VALUE_WORDS = {"value", "percentage", "percent", "share", "worth", "amount", "number", "big", "large", "high", "much", "size"}
YES_NO_STARTS = {"is", "are", "does", "do", "has", "have", "was", "were", "did", "can"}
# Trends, forecasts and reasons: what a chart's table cannot say.
OUT_OF_SCOPE = {
    "why", "forecast", "predict", "prediction", "future", "next", "will", "would", "trend", "trends", "cause",
    "caused", "because", "average", "mean", "total", "sum", "increase", "increases", "increasing", "decrease",
    "decreases", "decreasing", "grow", "grows", "growing", "rise", "rises", "fall", "falls", "title", "axis",
}  # fmt: skip
VOCABULARY = sorted(
    set(SMALL) | set(LARGE) | CROSS | SMOOTH | ROUGH | VALUE_WORDS | YES_NO_STARTS
    | {"which", "what", "median", "area", "under", "curve", "than", "the", "line", "bar", "slice", "one", "always",
       "everywhere", "value", "percentage", "low", "high", "lines", "bars", "slices", "chart", "pie", "graph", "plot"}
)  # fmt: skip
SCOPE_NOTE = (
    "I can answer about a chart's elements: which is the largest or smallest, how two compare, the medians, "
    "a line's area, smoothness, highest and lowest value, whether two lines cross, and the value of a bar or slice."
)
# Only the question's own long words are corrected: a short word may be a label ("Tan"
# is not "than", "Gas" not "has"), and labels are matched later, slips allowed.
_speller = Speller([[w for w in VOCABULARY if len(w) >= 5]])


@dataclass(frozen=True)
class ChartQuestion:
    intent: str | None  # a template of docs/charts.md, "which_min" / "which_max" / ..., "value"; None: out of scope
    question: str = ""
    tokens: tuple[str, ...] = ()  # as typed, cleaned, not corrected: where the labels are looked for
    read_as: str = ""
    corrections: list[dict[str, str]] = field(default_factory=list)
    unknown_words: list[str] = field(default_factory=list)
    scope_note: str | None = None

    @property
    def in_scope(self) -> bool:
        return self.intent is not None


def _has(words: set[str], group) -> bool:
    return bool(words & set(group))


def intent_of(tokens: list[str]) -> str | None:
    """The meaning of a corrected, cleaned question (see the module's docstring)."""
    words = set(tokens)
    text = " ".join(tokens)
    if _has(words, OUT_OF_SCOPE):
        return None
    small, large = _has(words, SMALL), _has(words, LARGE)
    if not tokens:
        return None
    if tokens[0] in ("which", "who") or text.startswith(
        ("what is the smallest", "what is the largest", "what is the highest", "what is the lowest", "what has the")
    ):
        if _has(words, SMOOTH):
            return "which_smoothest"
        if _has(words, ROUGH):
            return "which_roughest"
        if "area" in words:
            return "which_max_area" if large else "which_min_area" if small else None
        if _has(words, CROSS):
            return None
        return "which_max" if large and not small else "which_min" if small and not large else None
    if tokens[0] in ("what", "how"):
        if _has(words, VALUE_WORDS) or re.match(r"what is \w+", text):
            return "value"
        return None
    if _has(words, CROSS):
        return "intersect"
    if "area" in words:
        return "max_area" if large else "min_area" if small else None
    if _has(words, SMOOTH) or ("least" in words and _has(words, ROUGH)):
        return "smoothest"
    if _has(words, ROUGH) or ("least" in words and _has(words, SMOOTH)):
        return "roughest"
    if "median" in words:
        return (
            "low_median"
            if "low" in words or "lower" in words
            else "high_median"
            if "high" in words or "higher" in words
            else "median"
        )
    superlative = _has(words, SUPERLATIVE_SMALL | SUPERLATIVE_LARGE) and ("the" in words or "value" in words or "one" in words)
    comparison = "than" in words or _has(words, {"below", "above", "under", "over", "beneath", "exceed", "exceeds"})
    if comparison and not (superlative and "than" not in words and not _has(words, {"below", "above"})):
        return "greater" if large and not small else "less" if small and not large else None
    if superlative or _has(words, {"minimum", "maximum", "min", "max"}):
        return "maximum" if _has(words, SUPERLATIVE_LARGE) else "minimum" if _has(words, SUPERLATIVE_SMALL) else None
    if tokens[0] in YES_NO_STARTS and (large or small):
        return "greater" if large else "less"
    return None


def read_chart_question(question: str) -> ChartQuestion:
    tokens = expand_shorthand(clean(question))
    corrected, corrections = tokens, []
    for i, token in enumerate(tokens):
        fixed = _speller.correct_word(token) if len(token) >= 5 else None
        if fixed:
            corrected = [*corrected[:i], fixed, *corrected[i + 1 :]]
            corrections.append({"from": token, "to": fixed})
    # A correction only stands where it gives the question a meaning it lacked.
    intent = intent_of(corrected)
    if intent is None and corrections and intent_of(tokens) is not None:
        corrected, corrections, intent = tokens, [], intent_of(tokens)
    unknown = [t for t in corrected if t not in VOCABULARY and not t.isdigit()]
    note = None if intent is not None else SCOPE_NOTE
    return ChartQuestion(
        intent, question, tuple(tokens), " ".join(corrected), corrections, unknown if intent is None else [], note
    )
