import pytest

from app.worlds.photo.reading import read_photo_question


@pytest.mark.parametrize(
    ("question", "intent", "thing", "category"),
    [
        ("What animal is this?", "identify", None, "animal"),
        ("what kind of animal is in the picture", "identify", None, "animal"),
        ("What is this?", "identify", None, None),
        ("whats in the photo", "identify", None, None),
        ("What kind of dog is it?", "identify", "dog", None),
        ("Is it a dog or a cat?", "identify", "dog", None),
        ("How many people are there?", "people", "person", None),
        ("Hw many peple are ther?", "people", "person", None),
        ("how many cups", "count", "cup", None),
        ("Is there a dog?", "exists", "dog", None),
        ("are there any cats", "exists", "cat", None),
        ("Is this a cat?", "exists", "cat", None),
        ("Do you see a teddy bear?", "exists", "teddy bear", None),
        ("Does the photo contain a car?", "exists", "car", None),
        ("What color is the cup?", "colour", "cup", None),
        ("what colr is the mug", "colour", "cup", None),
        ("What colour is it?", "colour", None, None),
        ("What room is this?", "room", None, None),
        ("Where was this taken?", "room", None, None),
        ("What does the sign say?", "text", None, None),
        ("what is writen here", "text", None, None),
    ],
)
def test_questions_it_answers(question, intent, thing, category):
    q = read_photo_question(question)
    assert q.in_scope and q.intent == intent and q.category == category
    assert (q.thing.name if q.thing else None) == thing


@pytest.mark.parametrize(
    ("question", "says"),
    [
        ("What is the man eating?", "raise an arm, what they hold"),
        ("Why is the sky blue?", "raise an arm, what they hold"),
        ("What is she wearing?", "not what their clothes are"),
        ("Is she wearing glasses?", "cannot tell glasses"),
        ("Is the dog sitting?", "not what a dog does"),
        ("Is the cat smiling?", "not what a cat does"),
        ("What is the cat doing?", "not what a cat does"),
        ("Is she happy?", "not what else they look like"),
        ("What colour is the sky?", "not the sky"),
        ("Is the cup full?", "About photos"),
        ("Is there a unicorn?", "'unicorn'"),
        ("How many rockets are there?", "not count them"),
        ("", "empty"),
    ],
)
def test_questions_it_says_it_cannot_answer(question, says):
    q = read_photo_question(question)
    assert not q.in_scope and says in q.scope_note


def test_typing_slips_are_reported():
    q = read_photo_question("how many peple")
    assert q.corrections == [{"from": "peple", "to": "people"}] and q.read_as == "how many people"


def test_is_this_a_kitchen_asks_about_that_room():
    q = read_photo_question("Is this a kitchen?")
    assert q.intent == "room" and q.room == "kitchen"


def test_words_saying_more_than_the_detector_sees_get_a_note():
    q = read_photo_question("How many women are there?")
    assert q.thing.detector == "person" and "man from a woman" in q.note


@pytest.mark.parametrize(
    ("question", "aspect"),
    [
        ("Is this photo in colour?", "colour"),
        ("is the picture in color", "colour"),
        ("Is it black and white?", "gray"),
        ("is this image grayscale?", "gray"),
        ("Is it dark?", "dark"),
        ("is the photo bright", "bright"),
        ("Was this taken at night?", "night"),
        ("is it day or night?", "day"),
        ("Is this indoors?", "indoors"),
        ("Was this photo taken outside?", "outdoors"),
    ],
)
def test_questions_about_the_whole_picture(question, aspect):
    q = read_photo_question(question)
    assert q.intent == "picture" and q.aspect == aspect and q.in_scope


def test_a_thing_black_and_white_is_not_the_whole_picture():
    q = read_photo_question("Is the cat black and white?")
    assert q.intent != "picture" and q.thing is not None and q.thing.word == "cat"
    assert read_photo_question("Is the cup inside the box?").intent != "picture"


@pytest.mark.parametrize("question", ["What is in the cup?", "what's on the plate?", "What is inside the bowl?"])
def test_what_fills_a_container_is_asked_of_the_food_the_classifier_names(question):
    q = read_photo_question(question)
    assert q.intent == "identify" and q.category == "food" and q.thing is None
    assert read_photo_question("What is on the table?").intent != "identify"  # a table holds anything
    assert read_photo_question("What is written on the cup?").intent == "text"
