"""The photo rules on hand-made observations: each rule, each way it can go."""

import numpy as np
from PIL import Image

from app.worlds.photo import rules
from app.worlds.photo.answer import ANSWERING
from app.worlds.photo.detect import Detection
from app.worlds.photo.reading import read_photo_question

TH = rules.Thresholds()


def look(kinds=None, detections=(), classes=None, probabilities=None, image=None):
    kinds = kinds or {}
    top = classes or [{"label": k, "probability": p, "kind": k} for k, p in sorted(kinds.items(), key=lambda kv: -kv[1])]
    top = top or [{"label": "tripod", "probability": 0.1, "kind": None}]
    return rules.Look(image or Image.new("RGB", (100, 100)), probabilities or {}, top, kinds, list(detections))


def ask(question, seen):
    q = read_photo_question(question)
    return ANSWERING[q.intent](q, seen, TH)


def det(label, score, box=(10, 10, 50, 50)):
    return Detection(label, score, box)


def test_exists_yes_no_and_cannot_tell():
    assert ask("Is there a cup?", look(detections=[det("cup", 0.5)])).answers[0]["answer"] == "yes"
    assert ask("Is there a cup?", look()).answers[0]["answer"] == "no"
    unsure = ask("Is there a cup?", look(detections=[det("cup", 0.25)]))
    assert unsure.answers == [] and unsure.guess and "can't tell" in unsure.note


def test_a_detected_animal_is_doubted_when_the_classifier_is_sure_of_another():
    seen = look(kinds={"cat": 0.92}, detections=[det("dog", 0.45), det("cat", 0.22)])
    assert ask("Is there a dog?", seen).answers[0]["answer"] == "no"
    assert ask("Is there a cat?", seen).answers[0]["answer"] == "yes"
    assert ask("How many dogs are there?", seen).answers[0]["answer"] == "0"
    sure_dog = look(kinds={"cat": 0.92}, detections=[det("dog", 0.7)])
    assert ask("Is there a dog?", sure_dog).answers[0]["answer"] == "yes"


def test_counts_count_sure_detections_and_weak_ones_make_a_guess():
    seen = look(detections=[det("person", 0.7), det("person", 0.5, (60, 10, 90, 50)), det("person", 0.25, (0, 60, 20, 90))])
    outcome = ask("How many people are there?", seen)
    assert outcome.answers[0]["answer"] == "2" and outcome.guess and "1 more" in outcome.note
    assert not ask("How many people are there?", look(detections=[det("person", 0.7)])).guess


def test_identify_names_the_kind_or_says_it_is_not_sure():
    assert ask("What animal is this?", look(kinds={"cat": 0.9})).answers[0]["answer"] == "cat"
    unsure = ask("What is this?", look(kinds={"cat": 0.2, "dog": 0.2}))
    assert unsure.answers == [] and "not sure" in unsure.note


def test_identify_an_absent_category_answers_none():
    outcome = ask("What animal is this?", look(kinds={"coffee": 0.95, "cat": 0.001}))
    assert outcome.answers[0]["answer"] == "none" and not outcome.guess


def test_identify_falls_back_on_a_clear_detection():
    outcome = ask("What is this?", look(kinds={"cat": 0.01}, detections=[det("person", 0.62)]))
    assert outcome.answers[0]["answer"] == "person"


def test_colour_of_a_box_from_its_pixels():
    image = Image.new("RGB", (100, 100), (255, 255, 255))
    image.paste((200, 30, 30), (20, 20, 60, 60))
    outcome = ask("What colour is the car?", look(detections=[det("car", 0.6, (20, 20, 60, 60))], image=image))
    assert outcome.answers[0]["answer"] == "red" and not outcome.guess
    image.paste((30, 30, 200), (20, 20, 40, 60))  # half blue: no colour stands out
    mixed = ask("What colour is the car?", look(detections=[det("car", 0.6, (20, 20, 60, 60))], image=image))
    assert mixed.answers == [] and "No one colour" in mixed.note
    missing = ask("What colour is the car?", look())
    assert missing.answers == [] and "can't find a car" in missing.note


def test_room_from_the_objects_that_make_it():
    seen = look(detections=[det("oven", 0.6), det("refrigerator", 0.5)])
    outcome = ask("What room is this?", seen)
    assert outcome.answers[0]["answer"] == "kitchen" and not outcome.guess
    assert ask("Is this a kitchen?", seen).answers[0]["answer"] == "yes"
    weak = ask("What room is this?", look(detections=[det("dining table", 0.4)]))
    assert weak.answers == [] and "Perhaps a dining room" in weak.note
    assert ask("What room is this?", look()).answers == []


def test_thresholds_come_from_the_card():
    th = rules.Thresholds.from_card({"photo_thresholds": {"detect": 0.5, "unknown": 1}})
    assert th.detect == 0.5 and th.maybe == rules.Thresholds.maybe


def test_look_from_outputs_sums_kinds():
    labels = ["tabby", "tiger cat", "tripod"]
    assets = {"labels": labels, "kinds": {"cat": np.array([0, 1])}, "kind_of_class": ["cat", "cat", None], "room_classes": {}}
    seen = rules.Look.from_outputs(Image.new("RGB", (4, 4)), np.array([0.3, 0.5, 0.2]), assets, [])
    assert abs(seen.kinds["cat"] - 0.8) < 1e-6 and seen.classes[0] == {"label": "tiger cat", "probability": 0.5, "kind": "cat"}


def test_men_and_women_are_not_told_apart():
    seen = look(detections=[det("person", 0.7)])
    outcome = ask("Is there a man?", seen)
    assert outcome.answers == [] and "one person" in outcome.note and "man from a woman" in outcome.note
    counted = ask("How many women are there?", look(detections=[det("person", 0.7), det("person", 0.6)]))
    # counted as people: the number, marked a guess, with the note that says so
    assert counted.answers[0]["answer"] == "2" and counted.guess and "man from a woman" in counted.note
    assert ask("Is there a woman?", look()).answers[0]["answer"] == "no"  # nobody at all


def test_small_things_are_never_said_to_be_absent():
    outcome = ask("Is there a spoon?", look())
    assert outcome.answers == [] and "often misses small things" in outcome.note


def test_a_borderline_detection_is_dropped_when_the_classifier_is_sure_of_something_else():
    seen = look(kinds={"cat": 0.92}, detections=[det("person", 0.25)])
    assert ask("Is there a person?", seen).answers[0]["answer"] == "no"
    assert ask("Is there a person?", look(detections=[det("person", 0.25)])).answers == []


def test_a_close_up_animal_the_detector_misses_is_counted_as_one_guess():
    outcome = ask("How many cats are there?", look(kinds={"cat": 0.92}, detections=[det("cat", 0.22)]))
    assert outcome.answers[0]["answer"] == "1" and outcome.guess and "close-up" in outcome.note
    assert (
        ask("How many cats are there?", look(kinds={"cat": 0.92}, detections=[det("cat", 0.5), det("cat", 0.4)])).answers[0][
            "answer"
        ]
        == "2"
    )  # found: counted as usual


def test_no_count_when_the_classifier_sees_a_thing_that_is_not_an_animal():
    outcome = ask("How many cars are there?", look(kinds={"car": 0.92}))
    assert outcome.answers == [] and "can't count" in outcome.note


def test_a_close_up_animals_colour_is_the_middle_of_the_photo():
    orange = np.full((90, 120, 3), (220, 120, 30), np.uint8)
    orange[:10] = (40, 90, 200)  # a strip of something else at the top edge
    outcome = ask("What colour is the cat?", look(kinds={"cat": 0.95}, image=Image.fromarray(orange)))
    assert outcome.answers[0]["answer"] == "orange" and "middle of the photo" in outcome.note
    rocket = ask("What colour is the rocket?", look(kinds={"rocket": 0.95}, image=Image.fromarray(orange)))
    assert rocket.answers == []  # not an animal: the middle of the photo may be sky


def _picture(rgb, size=(120, 90), noise=0):
    pixels = np.full((size[1], size[0], 3), rgb, np.int16)
    pixels += np.random.default_rng(0).integers(-noise, noise + 1, pixels.shape[:2])[..., None] if noise else 0
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def test_the_whole_picture_in_colour_or_not_or_cannot_tell():
    gray = look(image=_picture((128, 128, 128), noise=40))
    colourful = look(image=_picture((200, 60, 40)))
    tinted = np.array(_picture((128, 128, 128), noise=20))
    tinted[:3] = (180, 120, 60)  # a few coloured rows: 3 % of the pixels
    assert ask("Is this photo in colour?", gray).answers[0]["answer"] == "no"
    assert ask("Is it black and white?", gray).answers[0]["answer"] == "yes"
    assert ask("Is this photo in colour?", colourful).answers[0]["answer"] == "yes"
    unsure = ask("Is this photo in colour?", look(image=Image.fromarray(tinted)))
    assert unsure.answers == [] and unsure.guess and "can't tell" in unsure.note


def test_dark_or_bright_and_night_only_as_a_guess():
    dark, bright, middle = (look(image=_picture((v, v, v))) for v in (30, 220, 100))
    assert ask("Is it dark?", dark).answers[0]["answer"] == "yes"
    assert ask("Is it dark?", bright).answers[0]["answer"] == "no"
    assert ask("Is the photo bright?", bright).answers[0]["answer"] == "yes"
    neither = ask("Is it dark?", middle)
    assert neither.answers == [] and "neither dark nor bright" in neither.note
    night = ask("Was this taken at night?", dark)
    assert night.answers[0]["answer"] == "yes" and night.guess and "guess" in night.note
    assert ask("Is it day?", bright).answers[0]["answer"] == "yes"


def test_indoors_or_out_from_what_only_one_side_has():
    kitchen = look(detections=[det("oven", 0.8), det("sink", 0.6), det("person", 0.9)])
    beach = look(classes=[{"label": "seashore", "probability": 0.7, "kind": None}])
    both = look(detections=[det("oven", 0.8), det("car", 0.7)])
    assert ask("Is this indoors?", kitchen).answers[0]["answer"] == "yes"
    assert not ask("Is this indoors?", kitchen).guess  # two signs
    assert ask("Is this photo taken outside?", kitchen).answers[0]["answer"] == "no"
    outside = ask("Is this outdoors?", beach)
    assert outside.answers[0]["answer"] == "yes" and outside.guess and "seashore" in outside.note  # one sign: a guess
    for seen in (both, look(detections=[det("person", 0.9)])):
        unsure = ask("Is this indoors?", seen)
        assert unsure.answers == [] and "can't tell" in unsure.note


def test_what_it_is_instead_of_food_is_what_the_classifier_is_sure_of():
    outcome = ask("What food is this?", look(kinds={"cat": 0.92}, detections=[det("dog", 0.45)]))
    assert outcome.answers[0]["answer"] == "none" and "looks most like cat" in outcome.note
