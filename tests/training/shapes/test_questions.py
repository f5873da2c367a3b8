from collections import Counter, defaultdict

import numpy as np
import pytest

from training.datasets.shapes.check import check_question
from training.datasets.shapes.files import answer_stats
from training.datasets.shapes.language import ANSWERS, FAMILIES, TEMPLATES, parse_question, vocabulary
from training.datasets.shapes.questions import generate, possible_answers
from training.datasets.shapes.scenes import sample_scene


@pytest.fixture(scope="module")
def generated():
    """5,000 questions with the scenes they are about."""
    pairs = []
    for index, (scene, qs) in enumerate(generate(np.random.default_rng(11), 5000, sample_scene)):
        description = scene.to_json(128, index, "test", "")
        pairs.extend((description, q) for q in qs)
    return pairs


def test_every_question_passes_the_independent_checker(generated):
    problems = [(q.text, q.answer, p) for scene, q in generated for p in check_question(scene, q.text, q.answer)]
    assert problems == []


def test_the_checker_catches_wrong_answers(generated):
    caught = 0
    for scene, q in generated[:500]:
        wrong = next(a for a in possible_answers(q.family, q.variant) if a != q.answer)
        caught += bool(check_question(scene, q.text, wrong))
    assert caught == 500


def test_the_checker_catches_ambiguous_references(generated):
    scene, _ = generated[0]
    shapes = Counter(o["shape"] for o in scene["objects"])
    common = shapes.most_common(1)[0]
    if common[1] < 2:
        pytest.skip("no shape appears twice in this scene")
    problems = check_question(scene, f"What color is the {common[0]}?", "red")
    assert any("matches" in p for p in problems)


def test_the_checker_refuses_naming_the_asked_attribute(generated):
    scene, _ = generated[0]
    obj = scene["objects"][0]
    problems = check_question(scene, f"What color is the {obj['color']} {obj['shape']}?", obj["color"])
    assert any("names the color" in p for p in problems)


def test_every_family_and_phrasing_appears(generated):
    seen = {(q.family, q.template) for _, q in generated}
    assert seen == {(f, i) for f, templates in TEMPLATES.items() for i in range(len(templates))}


def test_answers_are_balanced_within_each_family_and_variant(generated):
    answers = defaultdict(Counter)
    for _, q in generated:
        answers[(q.family, q.variant)][q.answer] += 1
    for (family, variant), counts in answers.items():
        allowed = possible_answers(family, variant)
        assert set(counts) <= set(allowed)
        uniform = sum(counts.values()) / len(allowed)
        # 5,000 questions spread over ~25 keys: allow sampling noise beyond the 1.5 x goal
        assert max(counts.values()) <= 1.5 * uniform + 3 * np.sqrt(uniform), (family, variant, counts)


def test_question_only_baseline_is_near_chance_where_the_text_can_be_silent():
    stats = answer_stats(3000, seed=5)
    for family in FAMILIES:
        s = stats[family]
        assert s["max_share_vs_uniform"] < 1.6, family
        if family != "count":  # see the README: counts follow from how specific the words are
            assert s["baseline_accuracy"] <= s["chance"] + 0.1, (family, s)


def test_same_seed_same_questions():
    a = [q.text for _, qs in generate(np.random.default_rng(3), 50, sample_scene) for q in qs]
    b = [q.text for _, qs in generate(np.random.default_rng(3), 50, sample_scene) for q in qs]
    assert a == b and len(a) == 50


def test_language_words_and_answers():
    words = set(vocabulary())
    assert {"leftmost", "tiny", "big", "circles", "closest"} <= words
    assert len(ANSWERS) == 23 and len(set(ANSWERS)) == 23 and ANSWERS[-1] == "none"
    assert parse_question("IS THERE A BIG, RED CIRCLE?") == ("exist", 0, {"R": "big red circle"})
    assert parse_question("What is the weather like?") is None
