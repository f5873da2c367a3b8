"""Spelling: slips corrected (and only slips), joined words split, phrases joined."""

import pytest

from app.worlds.shapes.reading import read_question
from app.worlds.shapes.spelling import clean, correct, correct_word, join_phrases


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("cirlces", "circles"),
        ("coolor", "color"),
        ("squre", "square"),
        ("trianlge", "triangle"),
        ("smmall", "small"),
        ("hwo", "how"),
        ("gren", "green"),
        ("teh", "the"),
        ("bellow", "below"),
        ("purpel", "purple"),
        ("ctan", "cyan"),  # the world's word before filler ("can")
        ("sixe", "size"),  # before a number ("six")
        ("otnumber", "outnumber"),  # a phrase's word
        ("hwat", "what"),  # the first two letters swapped
        ("si", "is"),  # two letters: only swapped
    ],
)
def test_typing_slips_are_read_as_the_word_meant(typed, meant):
    assert correct_word(typed) == meant


@pytest.mark.parametrize("word", ["zebra", "mountains", "cat", "sun", "three", "red", "circle"])
def test_real_words_are_never_corrected(word):
    assert correct_word(word) is None


def test_the_reading_lists_its_corrections():
    reading = read_question("How mnay cirlces are there")
    assert reading.read_as == "how many circles are there"
    assert reading.corrections == [{"from": "mnay", "to": "many"}, {"from": "cirlces", "to": "circles"}]


def test_joined_words_are_split_and_phrases_joined():
    tokens, corrections = correct(clean("Howmany balls are on top of the box?"))
    assert tokens[:2] == ["how", "many"] and corrections == [{"from": "howmany", "to": "how many"}]
    assert join_phrases(tokens) == ["how", "many", "balls", "are", "above", "the", "box"]


def test_a_side_phrase_before_of_stays_a_relation():
    assert join_phrases("the square on the left".split()) == ["the", "square", "leftmost"]
    assert join_phrases("on the left of the square".split())[:3] == ["on", "the", "left"]


def test_a_slip_between_a_cue_and_a_number_is_the_cue():
    from app.worlds.shapes.spelling import correct_word

    assert correct_word("thre") == "there"


def test_a_reading_that_fails_tries_the_next_correction():
    reading = read_question("whay shape is the big ball")  # most likely "why", out of scope
    assert reading.in_scope and reading.corrections == [{"from": "whay", "to": "what"}]


@pytest.mark.parametrize(
    ("question", "read_as"),
    [
        ("how man circles are there", "how many circles are there"),
        ("is the ball left of the box or not", "is the ball left of the box whether"),
    ],
)
def test_slips_that_make_real_words_and_trailing_or_not(question, read_as):
    assert read_question(question).read_as == read_as
