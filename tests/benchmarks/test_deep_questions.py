"""The deep-question benchmark: its hand-written set, read on the scenes' true objects."""

from benchmarks import deep_questions


def test_the_hand_written_set_on_the_true_objects():
    """The language half alone: the grammar and the executor against answers written by hand.
    4 of the 150 have an object inside the spec's 8 % margin (the executor declines them)."""
    items = deep_questions.hand_items()
    assert len(items) == 150 and len({id(i["scene"]) for i in items}) == 30
    rows = deep_questions.table(deep_questions.on_truth(items))
    assert rows["all"]["questions"] == 150
    assert rows["all"]["wrong_percent"] == 0.0 and rows["all"]["right_percent"] >= 97.0


def test_grades():
    assert deep_questions.grade("2", {"answers": [{"answer": "2"}], "guess": False}) == "right"
    assert deep_questions.grade("2", {"answers": [{"answer": "2"}], "guess": True}) == "guessed"
    assert deep_questions.grade("2", {"answers": [{"answer": "3"}], "guess": False}) == "wrong"
    assert deep_questions.grade("2", {"answers": []}) == "declined"


def test_generated_items_cover_every_style():
    items = deep_questions.generated_items(18, seed=1)
    assert {i["style"] for i in items} == {"plain", "varied", "different"} and len(items) == 18
