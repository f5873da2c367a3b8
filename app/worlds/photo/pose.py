"""Photos, where people's bodies are: MoveNet MultiPose (Lightning), up to six people.

The Keras model (`training/convert_movenet.py`) returns the network's six CenterNet heads
side by side on a grid four times coarser than its input. `decode_raw` is the original
graph's own decoding, step for step (a test pins it against the graph's output): the six
strongest person centres that are local maxima; each keypoint placed where the centre's
regression says, then moved to the strongest keypoint heatmap cell near there (weighted
by a Gaussian of the distance) inside the person's box, plus that cell's offset; a
person's score is its centre's score times the mean of its keypoints above 0.127.

The input is the photo letterboxed into a black square (its aspect kept: a stretched
body reads as another pose), RGB in 0..255. What a pose says (standing, sitting, lying,
an arm raised) is read from the keypoints by `posture`, with 'cannot tell' when the
joints it needs are not seen.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from PIL import Image

from app.tasks import Prepared
from app.tasks.imaging import letterbox, upload_box

SERVES = ("photo_pose",)

SIDE = 256
STRIDE = 4
GRID = SIDE // STRIDE
PEOPLE = 6  # the graph's top-k
KEYPOINTS = (
    "nose left_eye right_eye left_ear right_ear left_shoulder right_shoulder left_elbow right_elbow "
    "left_wrist right_wrist left_hip right_hip left_knee right_knee left_ankle right_ankle"
).split()
K = len(KEYPOINTS)
HEADS = ("centre", "heatmap", "regress", "offset", "box_scale", "box_offset")
WIDTHS = {"centre": 1, "heatmap": K, "regress": 2 * K, "offset": 2 * K, "box_scale": 2, "box_offset": 2}
CHANNELS = sum(WIDTHS.values())
# the graph's constants
PEAK_TOLERANCE = 1.0132789611816406e-06
SPREAD = 0.300048828125  # the Gaussian's variance, as a share of the grid's side
KEYPOINT_THRESHOLD = 0.126953125
MIN_PERSON_SCORE = 0.2  # a person below this is the network's filler among its six
MIN_KEYPOINT_SCORE = 0.3  # a joint below this is not seen


def photo_to_input(image: Image.Image) -> np.ndarray:
    """The photo letterboxed into SIDE x SIDE (top left, black below or right)."""
    return np.asarray(letterbox(image, SIDE), dtype=np.float32)


def split_heads(output: np.ndarray) -> dict[str, np.ndarray]:
    heads, start = {}, 0
    for name in HEADS:
        heads[name] = output[..., start : start + WIDTHS[name]]
        start += WIDTHS[name]
    return heads


def _local_maxima(centre: np.ndarray) -> np.ndarray:
    padded = np.pad(centre, 1, constant_values=-np.inf)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3))
    return np.abs(centre - windows.max(axis=(-1, -2))) < PEAK_TOLERANCE


def decode_raw(output: np.ndarray) -> np.ndarray:
    """The graph's own output for one image's heads: PEOPLE x 56, each 17 x (y, x, score),
    then the box (ymin, xmin, ymax, xmax) and the person's score; places in 0..1 of the input."""
    heads = split_heads(output.astype(np.float32))
    height, width = heads["centre"].shape[:2]
    centre = heads["centre"][..., 0]
    peaks = (centre * _local_maxima(centre)).reshape(-1)
    order = np.argsort(-peaks, kind="stable")[:PEOPLE]
    centre_scores, rows, cols = peaks[order], order // width, order % width

    scale = np.maximum(heads["box_scale"][rows, cols], 0.0)  # PEOPLE x 2 (h, w)
    middle = np.stack([rows, cols], -1) + heads["box_offset"][rows, cols]
    low = np.clip(middle - scale / 2, 0, [height, width])
    high = np.clip(middle + scale / 2, 0, [height, width])
    box = np.clip(np.concatenate([low, high], -1) * STRIDE / SIDE, 0.0, 1.0)

    regressed = np.stack([rows, cols], -1)[:, None, :] + heads["regress"][rows, cols].reshape(PEOPLE, K, 2)
    grid_y, grid_x = np.meshgrid(np.arange(height, dtype=np.float32), np.arange(width, dtype=np.float32), indexing="ij")
    distance = (grid_y[..., None, None] - regressed[..., 0]) ** 2 + (grid_x[..., None, None] - regressed[..., 1]) ** 2
    weighted = heads["heatmap"][:, :, None, :] * np.exp(-distance / (min(height, width) * SPREAD))  # H x W x P x K
    inside = (
        (grid_y[..., None] >= low[:, 0])
        & (grid_y[..., None] < high[:, 0])
        & (grid_x[..., None] >= low[:, 1])
        & (grid_x[..., None] < high[:, 1])
    )
    weighted = weighted * inside[..., None]
    best = weighted.reshape(height * width, PEOPLE, K).argmax(axis=0)  # P x K
    best_rows, best_cols = best // width, best % width
    offsets = heads["offset"].reshape(height, width, K, 2)[best_rows, best_cols, np.arange(K)]
    places = (np.stack([best_rows, best_cols], -1) + offsets) * STRIDE / SIDE
    scores = weighted.max(axis=2)[best_rows, best_cols, np.arange(K)]  # the strongest person's weight there

    seen = scores > KEYPOINT_THRESHOLD
    person = (centre_scores[:, None] * np.where(seen, scores, 0)).sum(-1) / np.maximum(seen.sum(-1), 1)
    keypoints = np.concatenate([places, scores[..., None]], -1).reshape(PEOPLE, 3 * K)
    return np.concatenate([keypoints, box, person[:, None]], -1).astype(np.float32)


@dataclass(frozen=True)
class Person:
    score: float
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in the photo's pixels
    keypoints: tuple[tuple[float, float, float], ...]  # (x, y, score) per KEYPOINTS, photo pixels

    def point(self, name: str) -> tuple[float, float] | None:
        """Where a joint is, or None when it is not seen."""
        x, y, score = self.keypoints[KEYPOINTS.index(name)]
        return (x, y) if score >= MIN_KEYPOINT_SCORE else None

    def as_dict(self, upload_scale: float = 1.0) -> dict:
        return {
            "score": round(self.score, 4),
            "box": upload_box(self.box, upload_scale),
            "posture": posture(self),
            "keypoints": [
                {"name": n, "x": round(x / upload_scale, 1), "y": round(y / upload_scale, 1), "score": round(s, 3)}
                for n, (x, y, s) in zip(KEYPOINTS, self.keypoints, strict=True)
                if s >= MIN_KEYPOINT_SCORE
            ],
        }


def decode(output: np.ndarray, size: tuple[int, int], min_score: float = MIN_PERSON_SCORE) -> list[Person]:
    """The people in one image's heads, best first, in the photo's pixels."""
    raw = decode_raw(output)
    width, height = size
    side = max(width, height)  # the letterbox: input 0..1 covers the longer side
    people = []
    for row in raw[np.argsort(-raw[:, 55], kind="stable")]:
        if row[55] < min_score:
            continue
        points = row[:51].reshape(K, 3)
        keypoints = tuple((float(x * side), float(y * side), float(s)) for y, x, s in points)
        ymin, xmin, ymax, xmax = (float(v) * side for v in row[51:55])
        box = (min(xmin, width), min(ymin, height), min(xmax, width), min(ymax, height))
        people.append(Person(float(row[55]), box, keypoints))
    return people


# -- what a pose says ----------------------------------------------------------------


def _mean(points: list[tuple[float, float] | None]) -> tuple[float, float] | None:
    seen = [p for p in points if p is not None]
    return (sum(p[0] for p in seen) / len(seen), sum(p[1] for p in seen) / len(seen)) if seen else None


def _segment(person: Person, upper: str, lower: str) -> tuple[float, float] | None:
    """The vector from the left/right mean of one joint to another (x, y), if both seen."""
    a = _mean([person.point(f"left_{upper}"), person.point(f"right_{upper}")])
    b = _mean([person.point(f"left_{lower}"), person.point(f"right_{lower}")])
    return (b[0] - a[0], b[1] - a[1]) if a and b else None


def posture(person: Person) -> str | None:
    """standing, sitting or lying from the torso and thighs, None when the joints needed
    are not seen. Lying: the torso nearer horizontal than vertical. Sitting: the thighs
    nearer horizontal than the torso's length would allow standing (a thigh's vertical
    drop under half the torso's); standing: thighs and, when seen, shins hang down."""
    torso = _segment(person, "shoulder", "hip")
    if torso is None:
        return None
    torso_length = float(np.hypot(*torso))
    if torso_length == 0:
        return None
    if abs(torso[0]) > abs(torso[1]):
        return "lying"
    thigh = _segment(person, "hip", "knee")
    if thigh is None:
        return None
    both_legs = all(person.point(f"{side}_{joint}") for side in ("left", "right") for joint in ("hip", "knee"))
    if thigh[1] < 0.5 * torso_length:
        # sitting is said only with both hips and knees seen: one misplaced knee of a
        # standing person looks like a thigh held level
        return "sitting" if both_legs else None
    shin = _segment(person, "knee", "ankle")
    if shin is not None and shin[1] < 0.5 * torso_length:
        return "sitting"  # kneeling or legs folded under
    return "standing"


def arm_raised(person: Person) -> bool | None:
    """A wrist above its shoulder (None when no arm is seen whole enough to say)."""
    said = None
    for side in ("left", "right"):
        wrist, shoulder = person.point(f"{side}_wrist"), person.point(f"{side}_shoulder")
        if wrist and shoulder:
            if wrist[1] < shoulder[1]:
                return True
            said = False
    return said


def prepare(model: keras.Model, card: dict, folder) -> Prepared:
    if model.outputs[0].shape[-1] != CHANNELS:
        raise ValueError(f"the model gives {model.outputs[0].shape[-1]} channels, not the {CHANNELS} of MoveNet's heads")
    return Prepared(assets={})
