import json

from training import adopt_vqa
from training.datasets.shapes.language import FAMILIES


def table(overall: float = 99.5, **families: float) -> dict:
    return {"overall": overall, "questions": 20000, "families": {f: families.get(f, 100.0) for f in FAMILIES}}


def folder(path, card: dict, files=("model.keras", "vocab.json", "answers.json")):
    path.mkdir(parents=True)
    for name in files:
        (path / name).write_text(f"{path.parent.name}/{name}")  # models/... or run/...
    (path / "card.json").write_text(json.dumps({"name": "vqa", **card}))
    return path


def test_floors_are_checked_on_both_template_sets():
    good = {"metrics": {"test": table(), "test_rendered_differently": table()}}
    assert adopt_vqa.shortfalls(good) == []
    weak = {"metrics": {"test": table(compare_attribute=95.99), "test_rendered_differently": table(98.9)}}
    assert adopt_vqa.shortfalls(weak) == [
        "test: compare_attribute 95.99 %, under 96 %",
        "test_rendered_differently: 98.90 % overall, under 99 %",
    ]
    assert adopt_vqa.shortfalls({"metrics": {"test": table()}}) == ["the card has no test_rendered_differently table"]
    assert "did not finish" in adopt_vqa.shortfalls({"metrics": {"validation": {}, "unfinished": True}})[0]


def test_a_model_under_the_floors_is_not_copied(tmp_path, capsys):
    models = tmp_path / "models"
    committed = folder(models / "vqa", {"version": 1})
    run = folder(
        tmp_path / "run" / "vqa", {"metrics": {"test": table(compare_attribute=94.9), "test_rendered_differently": table()}}
    )
    assert adopt_vqa.main([str(run), "--models", str(models)]) == 1
    assert "compare_attribute 94.90 %" in capsys.readouterr().out
    assert (committed / "model.keras").read_text() == "models/model.keras"
    assert json.loads((committed / "card.json").read_text())["version"] == 1


def test_a_model_that_meets_them_replaces_the_committed_one_keeping_what_describes_other_files(tmp_path, capsys):
    models = tmp_path / "models"
    committed = folder(
        models / "vqa",
        {
            "version": 1,
            "artifacts": ["training_log.txt"],
            "question_only": {"metrics": {}},
            "temperature": 0.95,
            "metrics": {
                "people_questions": {"all": {"right": 100.0}},
                "people_questions_blind": {"all": {"right": 100.0}, "first_run": {"all": {"right": 95.9}}},
            },
        },
        files=("model.keras", "vocab.json", "answers.json", "training_log.txt"),
    )
    run_card = {"version": 2, "metrics": {"test": table(), "test_rendered_differently": table()}}
    run = folder(tmp_path / "run" / "vqa", run_card)
    assert adopt_vqa.main([str(run), "--models", str(models), "--check"]) == 0
    assert (committed / "model.keras").read_text() == "models/model.keras"  # --check copies nothing
    assert adopt_vqa.main([str(run), "--models", str(models)]) == 0
    card = json.loads((committed / "card.json").read_text())
    assert card["version"] == 2 and card["artifacts"] == ["training_log.txt"] and card["question_only"] == {"metrics": {}}
    assert "temperature" not in card  # measured on the old weights: measured again
    assert card["metrics"]["people_questions_blind"] == {"first_run": {"all": {"right": 95.9}}}  # history stays
    assert "people_questions" not in card["metrics"]
    assert [(committed / f).read_text() for f in adopt_vqa.FILES] == [f"run/{f}" for f in adopt_vqa.FILES]
    assert (committed / "training_log.txt").read_text() == "models/training_log.txt"  # the run had none: kept
    assert "--fit-temperature" in capsys.readouterr().out
