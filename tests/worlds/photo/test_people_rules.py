"""The people rules on hand-made observations: each rule, each way it can go."""

from PIL import Image

from app.worlds.photo import rules
from app.worlds.photo.answer import ANSWERING
from app.worlds.photo.detect import Detection
from app.worlds.photo.faces import Face
from app.worlds.photo.reading import read_photo_question
from tests.worlds.photo.test_pose import STANDING, body

TH = rules.Thresholds()
SITTING = STANDING | {"left_knee": (20, 110), "right_knee": (80, 110)}
HIDDEN_LEGS = {k: v for k, v in STANDING.items() if "knee" not in k and "ankle" not in k}


def ask(question, people, detections=(), image=None):
    seen = rules.Look(
        image or Image.new("RGB", (100, 200)), {}, [{"label": "tripod", "probability": 0.1, "kind": None}], {}, list(detections)
    )
    seen.people = people
    q = read_photo_question(question)
    assert q.intent == "people", q
    return ANSWERING[q.intent](q, seen, TH)


def said(outcome):
    return outcome.answers[0]["answer"] if outcome.answers else None


def test_anyone_sitting_is_yes_no_or_cannot_tell():
    assert said(ask("Is anyone sitting?", [body(STANDING), body(SITTING)])) == "yes"
    assert said(ask("Is anyone sitting?", [body(STANDING), body(STANDING)])) == "no"
    unsure = ask("Is anyone sitting down?", [body(STANDING), body(HIDDEN_LEGS)])
    assert said(unsure) is None and unsure.guess and "can't tell" in unsure.note


def test_counts_in_a_posture_are_said_only_when_everyone_is_seen():
    assert said(ask("How many people are standing?", [body(STANDING), body(SITTING)])) == "1"
    assert said(ask("How many people are standing?", [body(STANDING), body(HIDDEN_LEGS)])) is None
    assert said(ask("Are they sitting or standing?", [body(SITTING), body(SITTING)])) == "sitting"


def test_people_are_counted_by_the_model_that_finds_more():
    two = [body(STANDING), body(SITTING)]
    assert said(ask("How many people are there?", two, [Detection("person", 0.8, (0, 0, 50, 50))])) == "2"
    three = [
        Detection("person", 0.8, (0, 0, 50, 50)),
        Detection("person", 0.8, (60, 0, 90, 50)),
        Detection("person", 0.7, (0, 60, 40, 99)),
    ]
    assert said(ask("How many people are there?", two, three)) == "3"
    women = ask("How many women are there?", two)
    assert said(women) == "2" and women.guess and "man from a woman" in women.note


def test_what_is_held_is_the_thing_at_a_wrist():
    holding = [body(STANDING | {"left_wrist": (30, 95), "right_wrist": (70, 95)})]
    cup = Detection("cup", 0.6, (65, 85, 90, 110))
    assert said(ask("What is the man holding?", holding, [cup])) == "cup"
    assert said(ask("Is anyone holding a cup?", holding, [cup])) == "yes"
    assert said(ask("Is anyone holding a cup?", holding, [Detection("cup", 0.6, (0, 150, 20, 190))])) == "no"
    assert said(ask("What is she holding?", [body(STANDING)], [cup])) is None  # no hand seen
    assert said(ask("Is anyone holding a cup?", [body(STANDING | {"right_wrist": (70, 150)})], [cup])) is None


def test_raised_arms_and_clothes_colour():
    assert said(ask("Is anyone raising their arm?", [body(STANDING | {"left_wrist": (40, 20)})])) == "yes"
    assert said(ask("Are his hands up?", [body(STANDING | {"left_wrist": (40, 90), "right_wrist": (60, 90)})])) == "no"
    image = Image.new("RGB", (100, 200), "white")
    image.paste((200, 20, 20), (40, 50, 60, 100))
    assert said(ask("What colour is his shirt?", [body(STANDING)], image=image)) == "red"
    assert said(ask("Is anyone wearing red?", [body(STANDING)], image=image)) == "yes"
    # two people alike (the same body twice): their one colour
    assert said(ask("What colour is her dress?", [body(STANDING), body(STANDING)], image=image)) == "red"


def face(happy: float, box=(40, 20, 60, 45)) -> Face:
    return Face(0.9, box, "happy" if happy >= 0.5 else "neutral", max(happy, 1 - happy), happy)


def ask_faces(question, found, people_found=(STANDING,)):
    seen = rules.Look(Image.new("RGB", (100, 200)), {}, [{"label": "tripod", "probability": 0.1, "kind": None}], {}, [])
    seen.people, seen.faces = [body(p) for p in people_found], found
    q = read_photo_question(question)
    return ANSWERING[q.intent](q, seen, TH)


def test_smiles_anyone_or_most_and_faces_only_on_people():
    assert said(ask_faces("Is anyone smiling?", [face(0.9), face(0.05)])) == "yes"
    assert said(ask_faces("Are they smiling?", [face(0.9), face(0.05), face(0.02)])) == "no"
    assert said(ask_faces("Is anyone smiling?", [face(0.05)])) == "no"
    assert said(ask_faces("Is anyone smiling?", [face(0.35)])) is None  # in between: cannot tell
    # a face off every person (a cat's) is not counted, nor read
    assert said(ask_faces("How many faces are there?", [face(0.9), face(0.9, (200, 300, 220, 320))])) == "1"
    assert said(ask_faces("Is anyone smiling?", [face(0.9, (200, 300, 220, 320))])) is None


def test_the_sport_is_the_gear_on_someone():
    player = [body(STANDING)]
    racket = Detection("tennis racket", 0.6, (60, 80, 90, 120))
    assert said(ask("What sport is this?", player, [racket])) == "tennis"
    far = Detection("tennis racket", 0.6, (200, 300, 220, 320))
    unsure = ask("What is he doing?", player, [far])
    assert said(unsure) is None and "no one is near the tennis racket" in unsure.note
    assert said(ask("What are they playing?", player)) is None
    ball = ask("What sport is this?", player, [Detection("sports ball", 0.6, (60, 80, 70, 90))])
    assert said(ball) == "a ball game" and ball.guess


def test_clothes_of_the_person_at_a_position_or_of_everyone_alike():
    image = Image.new("RGB", (300, 200), "white")
    image.paste((200, 20, 20), (40, 50, 60, 100))  # the left person's torso: red
    image.paste((20, 40, 220), (240, 50, 260, 100))  # the right person's: blue
    left, right = body(STANDING), body({k: (x + 200, y) for k, (x, y) in STANDING.items()})
    right = rules_person_box(right, 200)
    assert said(ask("What colour is the dress on the left?", [right, left], image=image)) == "red"
    assert said(ask("What colour is the shirt of the man on the right?", [left, right], image=image)) == "blue"
    assert said(ask("What colour is his shirt?", [left, right], image=image)) is None  # which one?
    image.paste((200, 20, 20), (240, 50, 260, 100))
    alike = ask("What colour is the suit?", [left, right], image=image)
    assert said(alike) == "red" and "All 2 people" in alike.note


def rules_person_box(person, dx):
    from app.worlds.photo.pose import Person

    x1, y1, x2, y2 = person.box
    return Person(person.score, (x1 + dx, y1, x2 + dx, y2), person.keypoints)


def test_trousers_are_the_legs_from_hips_to_knees():
    image = Image.new("RGB", (100, 200), "white")
    image.paste((200, 20, 20), (40, 50, 60, 100))  # a red top
    image.paste((20, 40, 220), (35, 100, 65, 150))  # blue trousers
    assert said(ask("What colour are his trousers?", [body(STANDING)], image=image)) == "blue"
    assert said(ask("What colour is his shirt?", [body(STANDING)], image=image)) == "red"
    no_knees = ask("What colour is her skirt?", [body(HIDDEN_LEGS)], image=image)
    assert said(no_knees) is None and "lower body is not seen" in no_knees.note


def test_faces_on_people_count_people_the_pose_model_merged():
    two_faces_one_body = [face(0.1, (40, 20, 50, 30)), face(0.1, (55, 20, 65, 30))]
    counted = ask_faces("How many people are there?", two_faces_one_body)
    assert said(counted) == "2" and "face finder 2" in counted.note
    assert said(ask_faces("How many people are there?", [face(0.1, (200, 300, 220, 320))])) == "1"  # off every person


def test_a_face_on_a_weak_person_detection_is_not_a_person():
    seen = rules.Look(Image.new("RGB", (100, 200)), {}, [{"label": "tabby", "probability": 0.9, "kind": "cat"}], {}, [])
    seen.detections = [Detection("person", 0.25, (0, 0, 100, 100))]  # the detector half-sees a person in a cat
    seen.people, seen.faces = [], [face(0.1, (40, 20, 60, 40))]
    q = read_photo_question("How many people are there?")
    assert said(ANSWERING[q.intent](q, seen, TH)) == "0"
