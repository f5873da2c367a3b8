"""Photos, faces: where they are (BlazeFace) and what they show (a FER-2013 expression model).

BlazeFace (the 256 px "back camera" model) scores 896 anchors, a 16 x 16 grid with two
anchors a cell and an 8 x 8 grid with six; each anchor's row is a logit, the box's centre
offset and size in input pixels, and six landmarks. `decode` is the decoding the
package's own library applies (`@vladmandic/human`, `src/face/blazeface.ts`): centres
relative to the anchors, a sigmoid score, non-maximum suppression. The photo is
letterboxed into the square, as for the pose model.

The expression model (Oarriaga's mini-Xception, trained on FER-2013) reads a face
cropped square, 64 x 64 gray, (gray - 0.5) x 2, and gives seven expressions; a smile is
its "happy".
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from PIL import Image

from app.tasks import Prepared
from app.tasks.imaging import letterbox, upload_box

SERVES = ("photo_faces", "photo_expression")

SIDE = 256
ANCHORS_PER_CELL = ((16, 2), (32, 6))  # (stride, anchors a cell), the order of the model's rows
MIN_SCORE = 0.6  # BlazeFace fires on latte art at 0.62 and cats at 0.78: faces are also kept only on people
NMS_IOU = 0.3
FACE_SCALE = 1.4  # the box grown this much (and squared) before the expression is read
EXPRESSION_SIDE = 64
EXPRESSIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
GRAY = (0.2989, 0.5870, 0.1140)
MIN_FACE_PX = 24  # an expression is read only from a face at least this wide in the photo


def anchors() -> np.ndarray:
    """Anchor centres in input pixels, row by row, anchors of a cell together."""
    centres = []
    for stride, per_cell in ANCHORS_PER_CELL:
        cells = SIDE // stride
        for row in range(cells):
            for col in range(cells):
                centres += [(stride * (col + 0.5), stride * (row + 0.5))] * per_cell
    return np.array(centres, dtype=np.float32)


ANCHORS = anchors()


def photo_to_input(image: Image.Image) -> np.ndarray:
    """Letterboxed (top left) into SIDE x SIDE, scaled to -1..1 as the model was trained."""
    return np.asarray(letterbox(image, SIDE), dtype=np.float32) / 127.5 - 1.0


@dataclass(frozen=True)
class Face:
    score: float
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in the photo's pixels
    expression: str | None = None
    expression_score: float = 0.0
    happy: float = 0.0  # the expression model's "happy", what a smile is read from

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    def as_dict(self, upload_scale: float = 1.0) -> dict:
        found = {"score": round(self.score, 4), "box": upload_box(self.box, upload_scale)}
        if self.expression:
            found |= {
                "expression": self.expression,
                "expression_score": round(self.expression_score, 4),
                "happy": round(self.happy, 4),
            }
        return found


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return float(w * h / union) if union > 0 else 0.0


def decode(output: np.ndarray, size: tuple[int, int], min_score: float = MIN_SCORE) -> list[Face]:
    """Faces in one image's rows (896 x 17), best first, in the photo's pixels."""
    scores = 1.0 / (1.0 + np.exp(-np.clip(output[:, 0], -50, 50)))
    centres = output[:, 1:3] + ANCHORS
    half = output[:, 3:5] / 2
    boxes = np.concatenate([centres - half, centres + half], axis=1)
    kept: list[int] = []
    for i in np.argsort(-scores, kind="stable"):
        if scores[i] < min_score:
            break
        if all(_iou(boxes[i], boxes[k]) < NMS_IOU for k in kept):
            kept.append(int(i))
    width, height = size
    scale = max(width, height) / SIDE
    faces = []
    for i in kept:
        x1, y1, x2, y2 = (float(v) * scale for v in boxes[i])
        box = (max(0.0, x1), max(0.0, y1), min(float(width), x2), min(float(height), y2))
        if box[2] - box[0] >= 2 and box[3] - box[1] >= 2:  # a face cut to nothing by the photo's edge is none
            faces.append(Face(float(scores[i]), box))
    return faces


def face_to_input(image: Image.Image, face: Face) -> np.ndarray:
    """The face grown by FACE_SCALE and squared, 64 x 64 gray in -1..1."""
    x1, y1, x2, y2 = face.box
    side = max(x2 - x1, y2 - y1) * FACE_SCALE
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    crop = image.convert("RGB").crop((round(cx - side / 2), round(cy - side / 2), round(cx + side / 2), round(cy + side / 2)))
    rgb = np.asarray(crop.resize((EXPRESSION_SIDE, EXPRESSION_SIDE), Image.Resampling.BILINEAR), dtype=np.float32) / 255.0
    gray = (rgb * np.array(GRAY, dtype=np.float32)).sum(axis=-1, keepdims=True)
    return (gray - 0.5) * 2.0


def with_expression(face: Face, probabilities: np.ndarray) -> Face:
    best = int(np.argmax(probabilities))
    happy = float(probabilities[EXPRESSIONS.index("happy")])
    return Face(face.score, face.box, EXPRESSIONS[best], float(probabilities[best]), happy)


def prepare(model: keras.Model, card: dict, folder) -> Prepared:
    expected = (len(ANCHORS), 17) if card.get("task") == "photo_faces" else (len(EXPRESSIONS),)
    if tuple(model.outputs[0].shape[1:]) != expected:
        raise ValueError(f"the model gives {tuple(model.outputs[0].shape[1:])}, not {expected}")
    return Prepared(assets={})
