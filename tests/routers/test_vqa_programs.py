"""POST /api/vqa, the program road: deep questions run on the parsed scene, with their evidence.

On tiny (untrained) models the contract: which road answers, the evidence's shape, the
cache, the notes; on the committed models, deep questions about the sample scenes
answered as the scenes' own objects answer them."""

import json

import numpy as np
import pytest

from app.config import ROOT
from app.worlds.shapes import programs
from app.worlds.shapes.grammar import parse
from tests.conftest import png_bytes
from training.datasets.shapes.deep import generate
from training.datasets.shapes.scenes import Scene, render, sample_scene

SCENE = render(sample_scene(np.random.default_rng(11)), 160)
DEEP = "How many things are left of the biggest circle or not red?"


def ask(client, question, image=SCENE, **fields):
    files = {"image": ("scene.png", png_bytes(image), "image/png")}
    return client.post("/api/vqa", files=files, data={"question": question, **fields})


def test_a_deep_question_is_answered_by_its_program_with_the_parse_as_evidence(tiny_client):
    body = ask(tiny_client, "How many green or yellow things are there?").json()
    assert body["model"] == "scene_parser" and body["question_in_scope"] is True
    assert body["interpreted_as"][-1].endswith("how many are in [4]")
    evidence = body["evidence"]
    assert evidence["kind"] == "shapes" and evidence["cached"] is False
    assert [s["op"] for s in evidence["program"]] == ["scene", "filter", "filter", "union", "count"]
    for o in evidence["objects"]:
        x1, y1, x2, y2 = o["box"]
        assert x1 < x2 and y1 < y2 and o["shape"] in ("circle", "square", "triangle")
    if body["answers"]:  # an untrained parser may find nothing: then the count is 0
        assert body["answers"][0]["answer"] == evidence["program"][-1]["value"]


def test_the_metrics_count_the_road_that_answered(tiny_client):
    ask(tiny_client, "How many things are not red?")
    metrics = tiny_client.get("/metrics").text
    assert 'vqademo_requests_total{model="scene_parser",route="/api/vqa",status="200"}' in metrics


def test_the_parse_is_cached_for_the_next_question(tiny_client):
    image = render(sample_scene(np.random.default_rng(12)), 128)
    ask(tiny_client, "how many things are not red", image)
    assert ask(tiny_client, "how many things are not blue", image).json()["evidence"]["cached"] is True


def test_one_step_questions_stay_with_film_unless_the_card_says_otherwise(tiny_client):
    body = ask(tiny_client, "How many circles are there?").json()
    assert body["model"] == "vqa" and body["evidence"].get("program") is None
    forced = ask(tiny_client, "How many circles are there?", model="scene_parser").json()
    assert forced["model"] == "scene_parser" and forced["interpreted_as"][-1].endswith("how many are in [2]")


def test_each_road_says_what_it_cannot_read(tiny_client):
    film = ask(tiny_client, "How many things are not red?", model="vqa").json()
    assert film["question_in_scope"] is False and film["answers"] == [] and "scene parser" in film["scope_note"]
    parser_only = ask(tiny_client, "How many different colours are there?", model="scene_parser").json()
    assert parser_only["question_in_scope"] is False and parser_only["answers"] == []
    assert parser_only["scope_note"]


# -- the committed models --------------------------------------------------------------------


def _sample_questions(n_per_scene: int = 4) -> list[tuple[str, str, dict]]:
    samples = json.loads((ROOT / "static" / "samples" / "samples.json").read_text())["samples"]
    out = []
    rng = np.random.default_rng(5)
    for sample in samples:
        scene = Scene.from_json(sample["scene"])
        for _, q in generate(rng, [scene], per_scene=n_per_scene):
            out.append((q.text, q.answer, sample))
    return out


@pytest.mark.parametrize(("question", "expected", "sample"), _sample_questions(), ids=lambda v: v if isinstance(v, str) else "")
def test_deep_questions_about_the_samples(committed_client, question, expected, sample):
    image = (ROOT / "static" / "samples" / sample["file"]).read_bytes()
    fields = {"question": question, "model": "scene_parser"}  # some are one-step relate_count: auto may choose FiLM
    r = committed_client.post("/api/vqa", files={"image": ("s.png", image, "image/png")}, data=fields)
    body = r.json()
    assert body["model"] == "scene_parser", body
    assert body["answers"] and body["answers"][0]["answer"] == expected, (question, body["answers"], body["note"])
    assert len(body["evidence"]["objects"]) == len(sample["scene"]["objects"])


def test_the_samples_truth_agrees_with_the_grammar():
    """The expected answers above are the generator's: the grammar reads them the same way."""
    for question, expected, sample in _sample_questions():
        program, _, _ = parse(question)
        assert programs.run(program, list(Scene.from_json(sample["scene"]).objects)).answer == expected


FALSE_OR_VAGUE = (
    "What color is the circle that is left of the square?",
    "What shape is the thing that has the same colour as the small thing?",
    "What size is the orange thing above the circle?",
    "What colour is the triangle below the large thing?",
)


def _false_or_vague() -> list[tuple[str, str, dict]]:
    """(question, what the scene's own objects make of it: none or ambiguous, sample)."""
    samples = json.loads((ROOT / "static" / "samples" / "samples.json").read_text())["samples"]
    out = []
    for sample in samples:
        for question in FALSE_OR_VAGUE:
            run = programs.run(parse(question)[0], list(Scene.from_json(sample["scene"]).objects))
            if run.failure is not None and run.failure.kind in ("none", "ambiguous"):
                out.append((question, run.failure.kind, sample))
    return out[:12]


@pytest.mark.parametrize(("question", "kind", "sample"), _false_or_vague(), ids=lambda v: v if isinstance(v, str) else "")
def test_no_object_says_none_and_several_ask_which(committed_client, question, kind, sample):
    image = (ROOT / "static" / "samples" / sample["file"]).read_bytes()
    body = committed_client.post("/api/vqa", files={"image": ("s.png", image, "image/png")}, data={"question": question}).json()
    if kind == "none":
        assert [a["answer"] for a in body["answers"]] == ["none"] and body["note"].startswith("There is no ")
    else:
        assert body["answers"] == [] and body["ambiguous"] and "say which one" in body["note"]
        assert body["guess"] is True
