"""Loaders for VQA datasets in their official file layouts; shapes splits load too.

- VQA v2 (Goyal et al. 2017): `v2_OpenEnded_mscoco_{split}2014_questions.json`,
  `v2_mscoco_{split}2014_annotations.json` (ten human answers per question) and COCO
  images `{split}2014/COCO_{split}2014_{image_id:012d}.jpg`. The label is the most
  common of the ten answers; the score is VQA accuracy, min(#humans who gave the
  answer / 3, 1).
- CLEVR v1.0 (Johnson et al. 2017): `questions/CLEVR_{split}_questions.json`,
  `scenes/CLEVR_{split}_scenes.json`, `images/{split}/CLEVR_{split}_{index:06d}.png`.
- Shapes (this project): both layouts, written by `shapes_files write`, with
  `layout="shapes"`.

Only JSON is read (never pickles); image files are opened by whoever trains.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class VqaRecord:
    image_path: Path
    question: str
    answer: str  # the training label
    human_answers: tuple[str, ...] = field(default=())  # for VQA accuracy; empty when there is one true answer
    question_id: int | str = 0
    image_id: int | str = 0
    question_type: str = ""


# -- answers ---------------------------------------------------------------------------

_NUMBERS = {w: str(i) for i, w in enumerate("zero one two three four five six seven eight nine ten".split())}
_ARTICLES = {"a", "an", "the"}


def normalise_answer(answer: str) -> str:
    """A light version of the official VQA answer processing: lower case, no
    punctuation or articles, number words as digits."""
    text = re.sub(r"(?<=\d),(?=\d)", "", answer.lower().strip())
    text = re.sub(r"[^\w\s]", " ", text)
    words = [_NUMBERS.get(w, w) for w in text.split() if w not in _ARTICLES]
    return " ".join(words)


def most_common_answer(answers: Sequence[str]) -> str:
    counts = Counter(normalise_answer(a) for a in answers)
    return max(counts.items(), key=lambda kv: (kv[1], -list(counts).index(kv[0])))[0]


def vqa_accuracy(predicted: str, human_answers: Sequence[str]) -> float:
    """min(#humans who gave `predicted` / 3, 1); exact match when there are no human answers."""
    matches = sum(normalise_answer(a) == normalise_answer(predicted) for a in human_answers)
    return min(matches / 3.0, 1.0)


def answer_vocabulary(records: Iterable[VqaRecord], top_n: int) -> list[str]:
    """The `top_n` most frequent labels, most frequent first (ties by name)."""
    counts = Counter(r.answer for r in records)
    return [a for a, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top_n]]


def score(records: Sequence[VqaRecord], predictions: Sequence[str]) -> float:
    """Mean VQA accuracy (or exact-match accuracy where records carry one answer)."""
    total = 0.0
    for record, predicted in zip(records, predictions, strict=True):
        if record.human_answers:
            total += vqa_accuracy(predicted, record.human_answers)
        else:
            total += float(normalise_answer(predicted) == record.answer)
    return total / max(1, len(records))


# -- VQA v2 ----------------------------------------------------------------------------

VQA_LAYOUTS = {
    "vqa-v2": {
        "questions": "v2_OpenEnded_mscoco_{split}2014_questions.json",
        "annotations": "v2_mscoco_{split}2014_annotations.json",
        "image": "{split}2014/COCO_{split}2014_{image_id:012d}.jpg",
    },
    "shapes": {
        "questions": "{split}_questions.json",
        "annotations": "{split}_annotations.json",
        "image": "images/{split}_{image_id:06d}.png",
    },
}


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} is missing; see the dataset's download page for the layout") from None


def load_vqa_v2(root: Path | str, split: str, layout: str = "vqa-v2") -> list[VqaRecord]:
    """Questions joined with their annotations; the label is the most common answer."""
    root, names = Path(root), VQA_LAYOUTS[layout]
    questions = _read_json(root / names["questions"].format(split=split))["questions"]
    annotations = {a["question_id"]: a for a in _read_json(root / names["annotations"].format(split=split))["annotations"]}
    records = []
    for q in questions:
        ann = annotations.get(q["question_id"])
        if ann is None:
            continue  # test-dev style: questions without public answers
        humans = tuple(a["answer"] for a in ann.get("answers", []))
        label = most_common_answer(humans) if humans else normalise_answer(ann["multiple_choice_answer"])
        records.append(
            VqaRecord(
                image_path=root / names["image"].format(split=split, image_id=q["image_id"]),
                question=q["question"],
                answer=label,
                human_answers=humans,
                question_id=q["question_id"],
                image_id=q["image_id"],
                question_type=ann.get("question_type", ""),
            )
        )
    return records


# -- CLEVR -----------------------------------------------------------------------------

CLEVR_LAYOUTS = {
    "clevr": {
        "questions": "questions/CLEVR_{split}_questions.json",
        "scenes": "scenes/CLEVR_{split}_scenes.json",
        "images": "images/{split}",
    },
    "shapes": {"questions": "questions_{split}.json", "scenes": "scenes_{split}.json", "images": "images"},
}


def load_clevr(root: Path | str, split: str, layout: str = "clevr") -> list[VqaRecord]:
    """CLEVR questions with one true answer each (its test split has none: skipped)."""
    root, names = Path(root), CLEVR_LAYOUTS[layout]
    questions = _read_json(root / names["questions"].format(split=split))["questions"]
    images = root / names["images"].format(split=split)
    return [
        VqaRecord(
            image_path=images / q["image_filename"],
            question=q["question"],
            answer=normalise_answer(str(q["answer"])),
            question_id=q.get("question_index", i),
            image_id=q.get("image_index", q["image_filename"]),
            question_type=str(q.get("family", q.get("question_family_index", ""))),
        )
        for i, q in enumerate(questions)
        if "answer" in q
    ]


def load_clevr_scenes(root: Path | str, split: str, layout: str = "clevr") -> list[dict]:
    return _read_json(Path(root) / CLEVR_LAYOUTS[layout]["scenes"].format(split=split))["scenes"]
