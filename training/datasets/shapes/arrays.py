"""Shapes questions as compact arrays: one uint8 image per scene, questions pointing at it.

A scene answers up to 8 questions, so storing its pixels once (uint8, through the
server's own `app.worlds.shapes.preprocessing.image_to_pixels`) keeps a few million training questions
in memory. This module imports neither Keras nor a backend, so spawned worker
processes can generate with it while another process trains.

Render styles (all within `docs/shapes-scenes.md`):
- `plain`: 128 px, aliased, square: the style of the test split and the samples;
- `varied`: what training sees: 64-192 px, sometimes anti-aliased, sometimes wider
  than tall, so the model does not learn one renderer's pixels;
- `different`: the second test set, rendered unlike the first: 80-320 px, anti-aliased
  four times over, half of it non-square (aspect 0.6-1), background noise at the
  spec's limit (std 4).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from app.worlds.shapes import preprocessing as task
from training.datasets.shapes.language import ANSWERS, FAMILIES
from training.datasets.shapes.questions import generate
from training.datasets.shapes.scenes import MAX_NOISE_STD, Scene, render, sample_scene

ANSWER_INDEX = {a: i for i, a in enumerate(ANSWERS)}
STYLES = ("plain", "varied", "different")


@dataclass
class ShapesArrays:
    images: np.ndarray  # uint8 [scenes, side, side, 3]
    scene_index: np.ndarray  # int32 [n]: the row of `images` each question is about
    questions: np.ndarray  # int32 [n, max_tokens]
    answers: np.ndarray  # int32 [n], index into ANSWERS
    families: np.ndarray  # int32 [n], index into FAMILIES
    texts: list[str]

    def __len__(self) -> int:
        return len(self.answers)

    def inputs(self, rows: np.ndarray | slice = slice(None)) -> dict[str, np.ndarray]:
        """Model inputs (float images, token ids) for the questions at `rows`."""
        return {
            "image": task.pixels_to_input(self.images[self.scene_index[rows]]),
            "question": self.questions[rows],
        }


# style -> (share of scenes wider than tall, the smallest height / width)
NON_SQUARE = {"plain": (0.0, 1.0), "varied": (0.3, 0.7), "different": (0.5, 0.6)}


def style_scene(rng: np.random.Generator, style: str) -> Scene:
    if style == "plain":
        return sample_scene(rng)
    share, lowest = NON_SQUARE[style]
    aspect = float(rng.uniform(lowest, 1.0)) if rng.random() < share else 1.0
    scene = sample_scene(rng, aspect=aspect)
    return replace(scene, noise_std=MAX_NOISE_STD) if style == "different" else scene


def style_render(scene: Scene, rng: np.random.Generator, style: str):
    if style == "plain":
        return render(scene, 128)
    if style == "varied":
        return render(scene, int(rng.integers(64, 193)), antialias=2 if rng.random() < 0.3 else 1)
    return render(scene, int(rng.integers(80, 321)), antialias=4)


def scene_pixels(
    rng: np.random.Generator, n_scenes: int, style: str = "varied", image_side: int = task.DEFAULT_IMAGE_SIDE
) -> np.ndarray:
    """uint8 [n, side, side, 3]: scenes alone, no questions (for the scene autoencoder)."""
    return np.stack(
        [task.image_to_pixels(style_render(style_scene(rng, style), rng, style), image_side) for _ in range(n_scenes)]
    )


def rehearsed(language: str, rehearsal: float, rng: np.random.Generator) -> str:
    """The language of one batch: the spec's templates alone for a `rehearsal` share of
    the batches when training on people's language (so a retrained model keeps seeing
    the questions it already answers), else `language`."""
    # No draw without rehearsal: a stream without it makes the batches it always made.
    if language == "people" and rehearsal > 0 and rng.random() < rehearsal:
        return "templates"
    return language


def focused(weights: dict[str, int] | None) -> tuple[str, ...]:
    """The families a training batch draws from, each listed as often as its weight
    (default 1), so `{"compare_attribute": 4}` asks that family four times as often as
    each other one: a retrained model spends its samples where it is weakest. Answers
    stay balanced within every family; validation and test sets keep FAMILIES."""
    weights = weights or {}
    if unknown := set(weights) - set(FAMILIES):
        raise ValueError(f"unknown families {sorted(unknown)}; they are {FAMILIES}")
    if any(not isinstance(w, int) or w < 1 for w in weights.values()):
        raise ValueError(f"family weights are whole numbers of at least 1, not {weights}")
    return tuple(f for f in FAMILIES for _ in range(weights.get(f, 1)))


def parse_focus(items: list[str] | None) -> dict[str, int]:
    """`["compare_attribute=4"]` (a trainer's `--focus` flags) -> family weights."""
    weights = {}
    for item in items or []:
        family, _, weight = item.partition("=")
        if not weight.isdigit():
            raise ValueError(f"--focus takes FAMILY=WEIGHT, e.g. compare_attribute=4, not {item!r}")
        weights[family] = int(weight)
    focused(weights)  # the same checks as a stream's
    return weights


def make_arrays(
    rng: np.random.Generator,
    n_questions: int,
    encoder: task.QuestionEncoder,
    image_side: int = task.DEFAULT_IMAGE_SIDE,
    style: str = "plain",
    per_scene: int = 8,
    language: str = "templates",
    families: tuple[str, ...] = FAMILIES,
) -> ShapesArrays:
    """`n_questions` balanced questions about freshly sampled scenes, in `style`, worded
    in `language` (`shapes_questions.LANGUAGES`), of `families` (drawn uniformly from
    the tuple: `focused` repeats some)."""
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES}, not {style!r}")
    images, scene_index, texts, answers, families_of = [], [], [], [], []
    scenes = generate(
        rng, n_questions, lambda r: style_scene(r, style), per_scene=per_scene, families=families, language=language
    )
    for scene, questions in scenes:
        images.append(task.image_to_pixels(style_render(scene, rng, style), image_side))
        for q in questions:
            scene_index.append(len(images) - 1)
            texts.append(q.text)
            answers.append(ANSWER_INDEX[q.answer])
            families_of.append(FAMILIES.index(q.family))
    order = rng.permutation(len(texts))  # questions of one scene should not sit together
    return ShapesArrays(
        images=np.stack(images),
        scene_index=np.asarray(scene_index, np.int32)[order],
        questions=encoder.encode_batch([texts[i] for i in order]),
        answers=np.asarray(answers, np.int32)[order],
        families=np.asarray(families_of, np.int32)[order],
        texts=[texts[i] for i in order],
    )
