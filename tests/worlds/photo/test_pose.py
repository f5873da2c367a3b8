"""The pose model's decoding, what a pose says, and the committed model on a sample photo."""

from __future__ import annotations

import base64
import io

import keras
import numpy as np
import pytest
from PIL import Image

from app.config import ROOT
from app.worlds.photo import people, pose
from app.worlds.photo.pose import KEYPOINTS, Person


def heads_with_one_person(row: int, col: int, joints: dict[str, tuple[int, int]]) -> np.ndarray:
    """Heads on the 64 x 64 grid: one centre peak, a box around it, and for each named
    joint a heatmap peak where the regression points (in grid cells)."""
    out = np.zeros((pose.GRID, pose.GRID, pose.CHANNELS), "float32")
    h = pose.split_heads(out)  # views into `out`
    h["centre"][row, col, 0] = 0.9
    h["box_scale"][row, col] = (40, 40)
    for name, (y, x) in joints.items():
        k = KEYPOINTS.index(name)
        h["regress"][row, col, 2 * k : 2 * k + 2] = (y - row, x - col)
        h["heatmap"][y, x, k] = 0.8
        h["offset"][y, x, 2 * k : 2 * k + 2] = (0.25, 0.5)
    return out


def test_decoding_places_each_joint_at_its_peak_plus_offset():
    raw = pose.decode_raw(heads_with_one_person(32, 32, {"nose": (20, 32), "left_hip": (40, 30)}))
    assert raw.shape == (pose.PEOPLE, 56)
    best = raw[np.argmax(raw[:, 55])]
    nose = best[:3]
    assert nose[0] == pytest.approx(20.25 / 64) and nose[1] == pytest.approx(32.5 / 64) and nose[2] == pytest.approx(0.8)
    # two joints above 0.127 at 0.8 each, times the centre's 0.9
    assert best[55] == pytest.approx(0.9 * 0.8)
    assert best[51:55] == pytest.approx([12 / 64, 12 / 64, 52 / 64, 52 / 64])


def test_people_are_in_the_photos_pixels_through_the_letterbox():
    out = heads_with_one_person(16, 16, {"nose": (8, 16)})
    (person,) = pose.decode(out, (400, 200))  # the photo fills the top half of the square
    x, y, score = person.keypoints[0]
    assert x == pytest.approx(16.5 / 64 * 400) and y == pytest.approx(8.25 / 64 * 400) and score > 0.7


def body(points: dict[str, tuple[float, float]]) -> Person:
    return Person(0.9, (0, 0, 100, 200), tuple((*points[n], 0.9) if n in points else (0.0, 0.0, 0.0) for n in KEYPOINTS))


STANDING = {"left_shoulder": (40, 50), "right_shoulder": (60, 50), "left_hip": (42, 100), "right_hip": (58, 100)}
STANDING |= {"left_knee": (42, 150), "right_knee": (58, 150), "left_ankle": (42, 195), "right_ankle": (58, 195)}


def test_postures_from_torso_and_thighs():
    assert pose.posture(body(STANDING)) == "standing"
    sitting = STANDING | {"left_knee": (20, 110), "right_knee": (80, 110)}
    assert pose.posture(sitting_body := body(sitting)) == "sitting"
    lying = {"left_shoulder": (20, 100), "right_shoulder": (20, 120), "left_hip": (80, 100), "right_hip": (80, 120)}
    assert pose.posture(body(lying)) == "lying"
    no_knees = {k: v for k, v in STANDING.items() if "knee" not in k and "ankle" not in k}
    assert pose.posture(body(no_knees)) is None and sitting_body.as_dict()["posture"] == "sitting"


def test_an_arm_is_raised_when_a_wrist_is_above_its_shoulder():
    assert pose.arm_raised(body(STANDING | {"left_wrist": (40, 20)})) is True
    assert pose.arm_raised(body(STANDING | {"left_wrist": (40, 90)})) is False
    assert pose.arm_raised(body({"nose": (50, 30)})) is None


def test_a_person_holds_what_is_at_a_wrist():
    person = body(STANDING | {"right_wrist": (70, 95)})
    assert people.holds(person, (65, 85, 90, 110)) is True
    assert people.holds(person, (0, 150, 20, 190)) is False
    assert people.holds(body(STANDING), (65, 85, 90, 110)) is None


def test_clothes_are_the_torso_between_shoulders_and_hips():
    image = Image.new("RGB", (100, 200), "white")
    image.paste((200, 20, 20), (40, 50, 60, 100))
    assert people.torso_box(body(STANDING)) == (40, 50, 60, 100)
    assert people.clothes_colours(image, body(STANDING))[0]["colour"] == "red"


@pytest.fixture(scope="module")
def committed():
    return keras.models.load_model(ROOT / "models" / "photo_pose" / "model.keras")


def test_the_committed_model_finds_the_astronaut(committed):
    image = Image.open(ROOT / "static" / "photos" / "astronaut.jpg")
    (person,) = pose.decode(committed.predict(pose.photo_to_input(image)[None], verbose=0)[0], image.size)
    nose = person.point("nose")
    assert person.score > 0.4 and nose is not None
    # her face is in the upper middle of the photo
    assert 150 < nose[0] < 300 and 50 < nose[1] < 200
    assert pose.posture(person) is None  # a half-length portrait: no knees, no posture
    assert (
        pose.decode(
            committed.predict(pose.photo_to_input(Image.open(ROOT / "static" / "photos" / "cat.jpg"))[None], verbose=0)[0],
            (451, 300),
        )
        == []
    )


def test_with_the_mask_clothes_are_only_the_persons_pixels():
    # a narrow red torso in front of a blue wall: the box alone is mostly wall
    image = Image.new("RGB", (100, 200), (20, 40, 220))
    image.paste((200, 20, 20), (48, 50, 52, 100))
    mask = np.zeros((200, 100), "float32")
    mask[50:100, 48:52] = 1.0
    assert people.clothes_colours(image, body(STANDING))[0]["colour"] == "blue"
    assert people.clothes_colours(image, body(STANDING), mask)[0]["colour"] == "red"
    assert (
        people.clothes_colours(image, body(STANDING), np.zeros((200, 100), "float32"))[0]["colour"] == "blue"
    )  # no person there


def test_the_mask_is_the_photos_size_and_comes_back_as_a_small_png():
    from app.worlds.photo import segment

    output = np.zeros((256, 256, 1), "float32")
    output[:, 128:] = 1.0
    mask = segment.mask_for(output, (400, 100))
    assert mask.shape == (100, 400) and mask[50, 10] == 0.0 and mask[50, 390] == 1.0
    png = Image.open(io.BytesIO(base64.b64decode(segment.mask_png(mask))))
    assert png.mode == "RGBA" and png.size == (128, 32)


def test_a_torso_running_off_the_photo_is_read_inside_it():
    image = Image.new("RGB", (100, 200), (200, 20, 20))
    off = body({k: (x - 60, y) for k, (x, y) in STANDING.items()})  # shoulders at x -20 and 0
    mask = np.ones((200, 100), "float32")
    assert people.clothes_colours(image, off, mask) == []  # its middle half is all outside
    beyond = body({k: (x + 70, y + 150) for k, (x, y) in STANDING.items()})  # mostly below and right of it
    people.clothes_colours(image, beyond, mask)  # no error
