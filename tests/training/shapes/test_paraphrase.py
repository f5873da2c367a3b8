"""People's wording in the generator: the meaning kept, the words known, the slips small,
and false premises that the checker confirms and the wording does not give away."""

from collections import Counter, defaultdict

import numpy as np
import pytest
from rapidfuzz.distance import DamerauLevenshtein

from app.worlds.shapes import plans as vqa_plans
from app.worlds.shapes.preprocessing import tokenize
from app.worlds.shapes.reading import read_question
from training.datasets.shapes.check import check_question
from training.datasets.shapes.paraphrase import paraphrase, people_vocabulary, synonyms, typo
from training.datasets.shapes.questions import ATTRIBUTES, NEEDS_THE, generate, possible_answers
from training.datasets.shapes.scenes import sample_scene


@pytest.fixture(scope="module")
def template_questions():
    return [q for _, qs in generate(np.random.default_rng(21), 1500, sample_scene) for q in qs]


@pytest.fixture(scope="module")
def people_questions():
    """3,000 questions in people's language, with the scenes they are about."""
    pairs = []
    for index, (scene, qs) in enumerate(generate(np.random.default_rng(22), 3000, sample_scene, language="people")):
        description = scene.to_json(128, index, "test", "")
        pairs.extend((description, q) for q in qs)
    return pairs


def _plan(text: str) -> list[str] | None:
    meaning = read_question(text).meaning
    return None if meaning is None else vqa_plans.model_questions(meaning)


def test_the_servers_reader_reads_a_paraphrase_as_its_template(template_questions):
    # Two grammars written apart: the generator's people's wording and the server's reader.
    rng = np.random.default_rng(0)
    agree = [_plan(paraphrase(q.family, q.program, rng)) == _plan(q.text) for q in template_questions]
    assert np.mean(agree) >= 0.99


def test_the_reader_mostly_recovers_a_paraphrase_with_slips(template_questions):
    rng = np.random.default_rng(1)
    agree = [_plan(typo(paraphrase(q.family, q.program, rng), rng)) == _plan(q.text) for q in template_questions]
    assert np.mean(agree) >= 0.95


def test_a_paraphrase_uses_only_words_of_the_people_vocabulary(template_questions):
    rng = np.random.default_rng(2)
    known = set(people_vocabulary())
    used = {t for q in template_questions for t in tokenize(paraphrase(q.family, q.program, rng))}
    assert used <= known


def test_paraphrases_vary(template_questions):
    rng = np.random.default_rng(3)
    texts = [paraphrase(q.family, q.program, rng) for q in template_questions[:300]]
    assert len(set(texts)) > 0.9 * len(texts)
    assert sum(t != q.text for t, q in zip(texts, template_questions)) > 0.95 * len(texts)


def test_a_slip_is_one_edit_in_a_long_word_and_keeps_its_first_letter():
    rng = np.random.default_rng(4)
    text = "how many little purple triangles are above the big yellow square"
    for _ in range(300):
        slipped = typo(text, rng)
        changed = [(a, b) for a, b in zip(text.split(), slipped.split()) if a != b]
        assert len(slipped.split()) == len(text.split()) and len(changed) <= 2
        for before, after in changed:
            assert len(before) >= 4 and after[0] == before[0]
            assert DamerauLevenshtein.distance(before, after) == 1


def test_synonyms_name_template_words():
    pairs = synonyms()
    assert pairs["ball"] == "circle" and pairs["grey"] == "gray" and pairs["boxes"] == "squares"
    assert set(pairs) <= set(people_vocabulary())


def test_false_premises_pass_the_checker_and_wrong_answers_are_caught(people_questions):
    problems, caught, nones = [], 0, 0
    for scene, q in people_questions:
        problems += check_question(scene, q.canonical, q.answer)
        wrong = next(a for a in possible_answers(q.family, q.variant, false_premises=True) if a != q.answer)
        caught += bool(check_question(scene, q.canonical, wrong))
        nones += q.answer == "none"
    assert problems == [] and caught == len(people_questions)
    assert 0.08 < nones / len(people_questions) < 0.25


def test_none_is_asked_only_where_a_question_needs_the_object(people_questions):
    families = {q.family for _, q in people_questions if q.answer == "none"}
    assert families == set(NEEDS_THE)


def test_which_attributes_a_reference_names_does_not_give_none_away(people_questions):
    # A false premise swaps in an absent reference naming the same attributes, so the
    # pattern of named attributes has the same distribution for `none` and the rest.
    patterns: dict[bool, Counter] = defaultdict(Counter)
    for _, q in people_questions:
        if q.family in NEEDS_THE:
            for key in ("ref", "ref1", "ref2"):
                if key in q.program:
                    named = tuple(a for a in ATTRIBUTES if q.program[key].names(a))
                    patterns[q.answer == "none"][named] += 1
    share = {k: {p: n / sum(c.values()) for p, n in c.items()} for k, c in patterns.items()}
    keys = set(share[True]) | set(share[False])
    distance = 0.5 * sum(abs(share[True].get(k, 0) - share[False].get(k, 0)) for k in keys)
    assert distance < 0.15


def test_people_language_keeps_templates_and_adds_paraphrases(people_questions):
    worded = Counter(q.text == q.canonical for _, q in people_questions)
    assert 0.2 < worded[True] / len(people_questions) < 0.4
