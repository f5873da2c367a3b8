"""Questions as programs over a parsed scene, in a small language like CLEVR's.

A program is a tree of `Step`s; `run` executes it on the table of objects the scene
parser read (`app.worlds.shapes.parser`) and returns the answer with every step's
result, so the page can show which objects each step kept. The language:

| op | takes | gives |
| --- | --- | --- |
| scene | | every object |
| filter (attribute, value) | objects | those with that value |
| relate (direction) | one object | the others left of / right of / above / below it |
| same (attribute) | one object | the others sharing its colour / shape / size |
| closest, farthest | one object, objects | the one among them nearest to / farthest from it |
| extreme (direction) | objects | the leftmost / rightmost / topmost / bottommost of them |
| union, intersect, difference | objects, objects | or, and, and not |
| unique | objects | the one object they must be |
| count, exist | objects | a number; yes or no |
| query (attribute) | one object | its colour / shape / size |
| equal (attribute) | two objects | whether they share it |
| relation (direction) | two objects | whether the first is that way from the second |
| verify (attribute, value) | one object | whether it has that value |
| compare (more, fewer, same) | objects, objects | whether the counts compare so |
| count_is (==, >=, <=, >, <; n) | objects | whether the count compares so with n |
| all | objects, objects | whether every one of the first is among the second |

Rules (docs/shapes-scenes.md, "Ambiguity margins"): positions are compared only with a
gap of 8 % of the side, and closest/farthest only with a 1.25 ratio. An object inside a
margin is *unsure*: sets carry their sure and unsure members, counts become ranges,
and an answer that depends on an unsure member is not given ("too close to call").
"The X" that matches nothing answers `none`; several, `ambiguous`. Nothing is guessed
here (`run` with the margins relaxed is the caller's guess). The program in words is
`app.worlds.shapes.program_words`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

POSITION_MARGIN = 0.08  # of the side, between the two centres compared
DISTANCE_RATIO = 1.25  # the winner's distance against every other candidate's
NONE = "none"
OBJECT_OPS = {"unique", "extreme", "closest", "farthest"}  # ops that give one object


class SceneObject(Protocol):
    """What the executor reads of an object: the parser's objects and the generator's alike
    (read-only, so frozen dataclasses fit)."""

    @property
    def shape(self) -> str: ...
    @property
    def color(self) -> str: ...
    @property
    def size(self) -> str: ...
    @property
    def x(self) -> float: ...
    @property
    def y(self) -> float: ...


@dataclass(frozen=True)
class Step:
    op: str
    inputs: tuple[Step, ...] = ()
    attribute: str | None = None
    value: str | None = None  # a filter's value, a direction, a comparison, a count

    def walk(self) -> list[Step]:
        """Every step, inputs before the steps that use them, each once."""
        seen: list[Step] = []
        for child in self.inputs:
            for step in child.walk():
                if step not in seen:
                    seen.append(step)
        return [*seen, self]


def scene() -> Step:
    return Step("scene")


def filtered(objects: Step, **values: str | None) -> Step:
    """`objects` kept by size, colour and shape (a value of None keeps all)."""
    for attribute in ("size", "color", "shape"):
        if values.get(attribute):
            objects = Step("filter", (objects,), attribute, values[attribute])
    return objects


# -- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Objects:
    """A set of objects (indices into the table): the sure members and those inside a margin."""

    sure: frozenset[int]
    unsure: frozenset[int] = frozenset()

    @property
    def most(self) -> frozenset[int]:
        return self.sure | self.unsure


class Unanswerable(Exception):
    """The program cannot give a sure answer: `kind` is none, ambiguous or unclear."""

    def __init__(self, kind: str, note: str, step: Step | None = None, matches: int = 0):
        super().__init__(note)
        self.kind, self.note, self.step, self.matches = kind, note, step, matches


@dataclass
class Run:
    """A program's answer and what each step gave (object indices, or a value)."""

    answer: str | None
    steps: list[tuple[Step, object]] = field(default_factory=list)
    failure: Unanswerable | None = None


# -- the executor ------------------------------------------------------------------------------


def _gap(a: SceneObject, b: SceneObject, direction: str) -> float:
    """How far `a` is `direction` of `b` (negative: the other way), in fractions of the side."""
    return {"left": b.x - a.x, "right": a.x - b.x, "above": b.y - a.y, "below": a.y - b.y}[direction]


def _distance(a: SceneObject, b: SceneObject) -> float:
    return float(((a.x - b.x) ** 2 + (a.y - b.y) ** 2) ** 0.5)


class Executor:
    """Runs programs on one table of objects. `margin` and `ratio` are the spec's; a
    second run with both relaxed (0 and 1) gives the answer a person would guess."""

    def __init__(self, objects: Sequence[SceneObject], margin: float = POSITION_MARGIN, ratio: float = DISTANCE_RATIO):
        self.objects = objects
        self.margin, self.ratio = margin, ratio
        self.results: dict[Step, object] = {}

    def run(self, program: Step) -> Run:
        try:
            answer = self._value(program)
        except Unanswerable as failure:
            return Run(None, list(self.results.items()), failure)
        return Run(str(answer), list(self.results.items()))

    def _value(self, step: Step) -> object:
        if step not in self.results:
            self.results[step] = getattr(self, f"_{step.op}")(step, *(self._value(s) for s in step.inputs))
        return self.results[step]

    # sets of objects

    def _scene(self, step: Step) -> Objects:
        return Objects(frozenset(range(len(self.objects))))

    def _filter(self, step: Step, given: Objects) -> Objects:
        keep = {i for i in given.most if _attribute_of(self.objects[i], step.attribute) == step.value}
        return Objects(given.sure & keep, given.unsure & keep)

    def _relate(self, step: Step, anchor: int) -> Objects:
        sure, unsure = set(), set()
        for i, o in enumerate(self.objects):
            if i == anchor:
                continue
            gap = _gap(o, self.objects[anchor], step.value or "")
            if gap >= max(self.margin, 1e-9):
                sure.add(i)
            elif gap > -self.margin:
                unsure.add(i)
        return Objects(frozenset(sure), frozenset(unsure))

    def _same(self, step: Step, anchor: int) -> Objects:
        value = _attribute_of(self.objects[anchor], step.attribute)
        return Objects(
            frozenset(i for i, o in enumerate(self.objects) if i != anchor and _attribute_of(o, step.attribute) == value)
        )

    def _union(self, step: Step, a: Objects, b: Objects) -> Objects:
        sure = a.sure | b.sure
        return Objects(sure, (a.unsure | b.unsure) - sure)

    def _intersect(self, step: Step, a: Objects, b: Objects) -> Objects:
        sure = a.sure & b.sure
        return Objects(sure, (a.most & b.most) - sure)

    def _difference(self, step: Step, a: Objects, b: Objects) -> Objects:
        sure = a.sure - b.most
        return Objects(sure, (a.most - b.sure) - sure)

    # one object

    def _unique(self, step: Step, given: Objects) -> int:
        if len(given.sure) == 1 and not given.unsure:
            return next(iter(given.sure))
        if len(given.sure) > 1:
            raise Unanswerable("ambiguous", f"there are {len(given.sure)} of them: say which one", step, len(given.sure))
        if not given.most:
            raise Unanswerable("none", "there is no such object in the picture", step)
        raise Unanswerable("unclear", "an object is too close to the line to say whether it is one of them", step)

    def _extreme(self, step: Step, given: Objects) -> int:
        if given.unsure:
            raise Unanswerable("unclear", "an object is too close to call whether it counts", step)
        if not given.sure:
            raise Unanswerable("none", "there is no such object in the picture", step)
        direction = step.value or ""
        ranked = sorted(given.sure, key=lambda i: _distance_to_edge(self.objects[i], direction))
        if len(ranked) > 1 and _gap(self.objects[ranked[0]], self.objects[ranked[1]], direction) < self.margin:
            raise Unanswerable("unclear", f"two objects are about as far {_side(direction)}: too close to call", step)
        return ranked[0]

    def _closest(self, step: Step, anchor: int, given: Objects) -> int:
        return self._nearest(step, anchor, given, farthest=False)

    def _farthest(self, step: Step, anchor: int, given: Objects) -> int:
        return self._nearest(step, anchor, given, farthest=True)

    def _nearest(self, step: Step, anchor: int, given: Objects, farthest: bool) -> int:
        candidates = sorted(given.most - {anchor}, key=lambda i: _distance(self.objects[i], self.objects[anchor]))
        if farthest:
            candidates.reverse()
        if not candidates:
            raise Unanswerable("none", "there is no other object to measure to", step)
        if candidates[0] in given.unsure:
            raise Unanswerable("unclear", "the nearest candidate is too close to the line to say whether it counts", step)
        if len(candidates) > 1:
            d = [_distance(self.objects[i], self.objects[anchor]) for i in candidates[:2]]
            near, far = (d[0], d[1]) if not farthest else (d[1], d[0])
            if far < self.ratio * near:
                raise Unanswerable("unclear", "two objects are at about the same distance: too close to call", step)
        return candidates[0]

    # answers

    def _count(self, step: Step, given: Objects) -> int:
        if given.unsure:
            low, high = len(given.sure), len(given.most)
            raise Unanswerable("unclear", f"between {low} and {high}: some objects are too close to the line to call", step)
        return len(given.sure)

    def _exist(self, step: Step, given: Objects) -> str:
        if given.sure:
            return "yes"
        if given.unsure:
            raise Unanswerable("unclear", "the only candidates are too close to the line to call", step)
        return "no"

    def _query(self, step: Step, anchor: int) -> str:
        return _attribute_of(self.objects[anchor], step.attribute)

    def _equal(self, step: Step, a: int, b: int) -> str:
        return _yes(_attribute_of(self.objects[a], step.attribute) == _attribute_of(self.objects[b], step.attribute))

    def _verify(self, step: Step, anchor: int) -> str:
        return _yes(_attribute_of(self.objects[anchor], step.attribute) == step.value)

    def _relation(self, step: Step, a: int, b: int) -> str:
        gap = _gap(self.objects[a], self.objects[b], step.value or "")
        if abs(gap) < max(self.margin, 1e-9):
            raise Unanswerable("unclear", f"the two are too close to say which is {_side(step.value or '')}", step)
        return _yes(gap > 0)

    def _compare(self, step: Step, a: Objects, b: Objects) -> str:
        (a_low, a_high), (b_low, b_high) = _range(a), _range(b)
        holds = {
            "more": (a_low > b_high, a_high <= b_low),
            "fewer": (a_high < b_low, a_low >= b_high),
            "same": (a_low == a_high == b_low == b_high, a_high < b_low or b_high < a_low),
        }[step.value or "same"]
        return _decided(holds, step)

    def _all(self, step: Step, named: Objects, kept: Objects) -> str:
        """Whether every object of the first set is in the second ("are all the circles left of it?")."""
        if not named.most:
            raise Unanswerable("none", "there is no such object in the picture", step)
        if named.unsure:
            raise Unanswerable("unclear", "an object is too close to the line to say whether it is one of them", step)
        return _decided((named.sure <= kept.sure, bool(named.sure - kept.most)), step)

    def _count_is(self, step: Step, given: Objects) -> str:
        low, high = _range(given)
        relation, n = (step.attribute or "=="), int(step.value or 0)
        holds = {
            "==": (low == high == n, n < low or n > high),
            ">=": (low >= n, high < n),
            "<=": (high <= n, low > n),
            ">": (low > n, high <= n),
            "<": (high < n, low >= n),
        }[relation]
        return _decided(holds, step)


def _distance_to_edge(o: SceneObject, direction: str) -> float:
    """How far the object is from the picture's edge that way (for ranking: any offset will do)."""
    return {"left": o.x, "right": -o.x, "above": o.y, "below": -o.y}[direction]


def _attribute_of(o: SceneObject, attribute: str | None) -> str:
    return str(getattr(o, attribute or ""))


def _range(given: Objects) -> tuple[int, int]:
    return len(given.sure), len(given.most)


def _decided(holds: tuple[bool, bool], step: Step) -> str:
    surely, surely_not = holds
    if surely == surely_not:
        raise Unanswerable("unclear", "it depends on objects too close to the line to call", step)
    return _yes(surely)


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _side(direction: str) -> str:
    return {"left": "to the left", "right": "to the right", "above": "up", "below": "down"}.get(direction, direction)


def run(program: Step, objects: Sequence[SceneObject], margin: float = POSITION_MARGIN, ratio: float = DISTANCE_RATIO) -> Run:
    return Executor(objects, margin, ratio).run(program)


# -- what kind of question ------------------------------------------------------------------------


def _filters_only(step: Step) -> bool:
    """Filters over the whole scene: a reference as the spec's families write them."""
    return step.op == "scene" or (step.op == "filter" and _filters_only(step.inputs[0]))


def _the_one(step: Step) -> bool:
    return step.op == "unique" and _filters_only(step.inputs[0])


def family(program: Step) -> str:
    """The spec's family the program asks (docs/shapes-scenes.md), one of the one-step
    reader's composed kinds (verify, all, count_is), or "deep"."""
    op, inputs = program.op, program.inputs
    if op in ("count", "exist") and _filters_only(inputs[0]):
        return op
    if op == "count" and inputs[0].op == "relate" and _the_one(inputs[0].inputs[0]):
        return "relate_count"
    if op == "query":
        target = inputs[0]
        if _the_one(target):
            return f"query_{program.attribute}"
        if target.op == "extreme" and target.inputs[0].op == "scene":
            return "extreme"
        if target.op in ("closest", "farthest") and _the_one(target.inputs[0]) and target.inputs[1].op == "scene":
            return "closest_farthest"
    if op == "compare" and all(_filters_only(s) for s in inputs):
        return "compare_count"
    if op in ("equal", "relation") and all(_the_one(s) for s in inputs):
        return "compare_attribute" if op == "equal" else "relate_position"
    if op == "verify" and _the_one(inputs[0]):
        return "verify"
    # the one-step reader's composed kinds ("are all the circles small?", "are there two squares?")
    if op in ("all", "count_is") and all(_filters_only(s) for s in inputs):
        return op
    return "deep"


def trace(result: Run) -> list[dict]:
    """Each step's result for the response: the objects it kept, or its value."""
    out = []
    for number, (step, value) in enumerate(result.steps, 1):
        item: dict = {"step": number, "op": step.op}
        if isinstance(value, Objects):
            item["objects"] = sorted(value.sure)
            if value.unsure:
                item["too_close_to_call"] = sorted(value.unsure)
        elif isinstance(value, int) and step.op in OBJECT_OPS:
            item["objects"] = [value]
        else:
            item["value"] = str(value)
        out.append(item)
    return out
