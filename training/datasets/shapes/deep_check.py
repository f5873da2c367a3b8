"""The deep questions' second derivation (`training.datasets.shapes.deep`): each
answer counted straight from the objects, written apart from the program language, so
a question whose two answers differ shows a bug in one of them. `question` is a
`deep.DeepQuestion` (its `form` and `params`)."""

from __future__ import annotations

from app.worlds.shapes.programs import POSITION_MARGIN
from training.datasets.shapes.scenes import SceneObject


def _matches(o: SceneObject, values: dict[str, str]) -> bool:
    return all(getattr(o, a) == v for a, v in values.items())


def _one(objects, values, among=None) -> SceneObject:
    found = [o for o in (objects if among is None else among) if _matches(o, values)]
    assert len(found) == 1, f"{values} names {len(found)} objects"
    return found[0]


def _side(o: SceneObject, of: SceneObject, direction: str) -> bool:
    gap = {"left": of.x - o.x, "right": o.x - of.x, "above": of.y - o.y, "below": o.y - of.y}[direction]
    return gap >= POSITION_MARGIN


def direct_answer(question, objects: list[SceneObject]) -> str:
    """The answer counted straight from the objects, without the program (the margins are
    the program's to check: this is asked only of questions it answered surely)."""
    q, form = question.params, question.form
    if form in ("relate_count", "relate_exist", "two_relations"):
        anchors = [_one(objects, v) for v in q["anchors"]]
        kept = [
            o
            for o in objects
            if _matches(o, q["counted"])
            and all(o is not a and _side(o, a, d) for a, d in zip(anchors, q["directions"], strict=True))
        ]
        return ("yes" if kept else "no") if form == "relate_exist" else str(len(kept))
    if form == "relate_query":
        anchor = _one(objects, q["anchor"])
        among = [o for o in objects if o is not anchor and _side(o, anchor, q["direction"])]
        return str(getattr(_one(objects, q["target"], among), q["attribute"]))
    if form == "chain":
        base = _one(objects, q["base"])
        middle = _one(objects, q["middle"], [o for o in objects if o is not base and _side(o, base, q["d2"])])
        among = [o for o in objects if o is not middle and _side(o, middle, q["d1"])]
        return str(getattr(_one(objects, q["target"], among), q["attribute"]))
    if form == "logic_or":
        return str(sum(getattr(o, q["attribute"]) in q["values"] and _matches(o, q["noun"]) for o in objects))
    if form == "logic_not":
        return str(sum(getattr(o, q["attribute"]) != q["value"] and _matches(o, q["noun"]) for o in objects))
    anchor = _one(objects, q["anchor"])
    same = [o for o in objects if o is not anchor and getattr(o, q["attribute"]) == getattr(anchor, q["attribute"])]
    if form == "same_count":
        return str(sum(_matches(o, q["counted"]) for o in same))
    return str(getattr(same[0], q["asked"]))
