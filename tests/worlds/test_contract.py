"""The worlds' contract: every world in `WORLDS`, and a toy world defined only here,
answers through the same interface with the same response shape.

The toy world (stripes: vertical bars of two colours) plugs into the app with no
edit outside this file, which is the proof that a new world needs one package and
one line in `WORLDS`.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.config import ROOT
from app.main import create_app
from app.worlds import WORLDS, pick
from app.worlds.base import Answer, AnswerItem, AskOptions, Claim, Fit, World, WorldEvidence, evidence_kind
from app.worlds.language import FILLER_CORE, Speller, clean, expand_shorthand
from tests.conftest import COMMITTED_MODELS, make_settings

# -- a toy world: count the stripes -----------------------------------------------------------


class StripesEvidence(WorldEvidence):
    kind: Literal["stripes"] = "stripes"
    edges: list[int]


@dataclass(frozen=True)
class StripesReading:
    question: str
    read_as: str
    corrections: list[dict[str, str]] = field(default_factory=list)
    unknown_words: list[str] = field(default_factory=list)
    scope_note: str | None = None

    @property
    def in_scope(self) -> bool:
        return self.scope_note is None


def stripes_png(count: int, width: int = 120) -> bytes:
    pixels = np.zeros((40, width, 3), np.uint8)
    for i in range(count):
        pixels[:, i * width // count : (i + 1) * width // count] = (250, 120, 0) if i % 2 else (0, 90, 250)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def column_edges(image: Image.Image) -> list[int]:
    row = np.asarray(image.convert("RGB"), np.int16)[image.height // 2]
    return [int(x) for x in np.nonzero(np.abs(np.diff(row, axis=0)).sum(axis=1) > 60)[0]]


SPELLER = Speller([["stripes", "stripe", "how", "many", "count"], FILLER_CORE])


class StripesWorld:
    name = "stripes"
    title = "Stripes"
    evidence: type[WorldEvidence] = StripesEvidence
    models: tuple[str, ...] = ()

    def needs(self, options: AskOptions) -> tuple[str, ...]:
        return ()

    def claims(self, image: Image.Image) -> Claim:
        rgb = np.asarray(image.convert("RGB"))
        if (rgb == rgb[:1]).all():  # every row the same: vertical stripes only
            return Claim(Fit.FULL, "every row is the same")
        return Claim(Fit.NONE, "the rows differ")

    def read(self, question: str) -> StripesReading:
        tokens, corrections = SPELLER.correct(expand_shorthand(clean(question)))
        note = None if "stripes" in tokens else "I can only count the stripes."
        return StripesReading(question, " ".join(tokens), corrections, scope_note=note)

    async def answer(self, registry, image, reading, options, claim, settings) -> Answer:
        edges = column_edges(image)
        answers = [AnswerItem(answer=str(len(edges) + 1), probability=1.0)] if reading.in_scope else []
        return Answer.from_reading(
            reading.question,
            self.name,
            reading,
            interpreted_as=["count the stripes"] if answers else [],
            answers=answers,
            guess=not answers,
            model="none",
            evidence=StripesEvidence(edges=edges),
        )

    def samples(self, settings) -> list[dict]:
        url = "data:image/png;base64," + base64.b64encode(stripes_png(4)).decode()
        return [{"id": "four", "title": "Four stripes", "image_url": url, "questions": [{"question": "How many stripes?"}]}]

    def knows(self, registry) -> dict[str, Any]:
        return {"summary": "Stripes.", "questions": ["how many stripes?"], "words": {"nouns": ["stripes"]}, "measured": []}


TOY = StripesWorld()
WITH_TOY: tuple[World, ...] = (*WORLDS[:-1], TOY, WORLDS[-1])  # before photo, which claims everything partially


@pytest.fixture(scope="module")
def client():
    settings = make_settings(COMMITTED_MODELS, models="vqa,scene_ood,photo_classifier,photo_detector,chart_reader,chart_baseline")
    with TestClient(create_app(settings, worlds=WITH_TOY)) as c:
        yield c


# -- samples, as the worlds list them -----------------------------------------------------------


def sample_image(client: TestClient, sample: dict) -> bytes:
    url = sample["image_url"]
    if url.startswith("data:"):
        return base64.b64decode(url.split(",", 1)[1])
    r = client.get(url)
    assert r.status_code == 200
    return r.content


@pytest.fixture(scope="module")
def listed(client) -> dict[str, dict]:
    r = client.get("/api/vqa/worlds")
    assert r.status_code == 200
    return {w["name"]: w for w in r.json()["worlds"]}


def test_the_worlds_are_listed_in_order_with_what_they_know(listed):
    assert list(listed) == [w.name for w in WITH_TOY]
    for world in WITH_TOY:
        info = listed[world.name]
        assert info["evidence"] == evidence_kind(world) and info["ready"] and info["samples"]
        assert info["knows"]["questions"] and info["knows"]["summary"]
    assert listed["shapes"]["knows"]["measured"][0]["accuracy_percent"] > 95


@pytest.mark.parametrize("world", WITH_TOY, ids=lambda w: w.name)
def test_a_world_is_picked_for_its_own_samples_and_claims_the_others_at_most_partially(client, listed, world):
    for name, info in listed.items():
        for sample in info["samples"][:4]:
            image = Image.open(io.BytesIO(sample_image(client, sample)))
            claim = world.claims(image)
            if name == world.name:
                assert pick(WITH_TOY, image)[0] is world, sample["id"]
                assert claim.fit >= Fit.PARTIAL
            else:
                assert claim.fit <= Fit.PARTIAL, (world.name, sample["id"], claim)


@pytest.mark.parametrize("world", WITH_TOY, ids=lambda w: w.name)
def test_every_world_answers_the_same_shape_with_its_own_evidence(client, listed, world):
    sample = listed[world.name]["samples"][0]
    question = sample["questions"][0]["question"]
    r = client.post(
        "/api/vqa", files={"image": ("s.png", sample_image(client, sample), "image/png")}, data={"question": question}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    answer = Answer.model_validate(body)
    assert answer.world == world.name and answer.question == question and answer.question_in_scope
    assert answer.answers and answer.interpreted_as and answer.world_reason and answer.timing_ms > 0
    evidence = world.evidence.model_validate(body["evidence"])
    assert evidence.kind == evidence_kind(world)


def with_a_slip(question: str) -> tuple[str, str]:
    """The question with two letters of its longest word swapped, and that word."""
    word = max(re.findall(r"[A-Za-z]+", question), key=len)
    slipped = word[0] + word[2] + word[1] + word[3:]
    return question.replace(word, slipped, 1), slipped.lower()


@pytest.mark.parametrize("world", WITH_TOY, ids=lambda w: w.name)
def test_every_world_reads_a_typing_slip(listed, world):
    question = listed[world.name]["samples"][0]["questions"][0]["question"]
    slipped, word = with_a_slip(question)
    reading = world.read(slipped)
    assert reading.in_scope and reading.read_as == world.read(question).read_as
    assert word in {c["from"] for c in reading.corrections}


@pytest.mark.parametrize("world", WITH_TOY, ids=lambda w: w.name)
def test_every_world_says_what_it_cannot_answer_in_a_sentence(world):
    reading = world.read("Why do you think the artist felt sad today?")
    assert not reading.in_scope
    assert reading.scope_note and len(reading.scope_note.split()) >= 4 and reading.scope_note.rstrip().endswith(".")


def test_a_world_named_by_the_client_wins_and_an_unknown_one_is_a_400(client):
    r = client.post("/api/vqa", files={"image": ("s.png", stripes_png(3), "image/png")}, data={"question": "How many stripes?"})
    assert r.json()["world"] == "stripes" and r.json()["answers"][0]["answer"] == "3"
    r = client.post(
        "/api/vqa",
        files={"image": ("s.png", stripes_png(3), "image/png")},
        data={"question": "What is this?", "world": "photo"},
    )
    assert r.json()["world"] == "photo" and r.json()["world_reason"] == "asked for the photo world"
    r = client.post(
        "/api/vqa", files={"image": ("s.png", stripes_png(3), "image/png")}, data={"question": "What?", "world": "moon"}
    )
    assert r.status_code == 400 and "stripes" in r.json()["error"]


def test_the_shapes_samples_still_come_from_static(listed):
    for sample in listed["shapes"]["samples"]:
        assert (ROOT / sample["image_url"].removeprefix("/")).is_file()
