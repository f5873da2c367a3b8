"""Visual question answering: what shapes questions and images for the VQA models.

The training stream and the server both go through these functions, so a question
or an image reaches the model the same way in both.

- Questions: lower case, punctuation dropped, split on spaces, mapped to indices of
  the model's vocabulary (0 pads, 1 is an unknown word), padded to a fixed length.
  Unknown words are reported, so the page can say which words the model does not know.
- Images: a non-square image is letterboxed to a square with its border colour (never
  stretched), then resized to the model's input side; float32 RGB in 0..1.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from PIL import Image

PAD, UNKNOWN = "<pad>", "<unk>"
MAX_QUESTION_TOKENS = 24
DEFAULT_IMAGE_SIDE = 64


def tokenize(question: str) -> list[str]:
    return re.sub(r"[^a-z0-9 ]+", " ", question.lower()).split()


class QuestionEncoder:
    """Words to indices with a fixed vocabulary (saved beside the model as an asset)."""

    def __init__(self, words: Sequence[str], max_tokens: int = MAX_QUESTION_TOKENS) -> None:
        self.words = [PAD, UNKNOWN, *(w for w in words if w not in (PAD, UNKNOWN))]
        self.index = {w: i for i, w in enumerate(self.words)}
        self.max_tokens = max_tokens

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, question: str) -> tuple[np.ndarray, list[str]]:
        """(int32 ids of length max_tokens, the words it does not know)."""
        tokens = tokenize(question)[: self.max_tokens]
        ids = np.zeros(self.max_tokens, np.int32)
        unknown = []
        for i, token in enumerate(tokens):
            ids[i] = self.index.get(token, 1)
            if ids[i] == 1 and token not in unknown:
                unknown.append(token)
        return ids, unknown

    def encode_batch(self, questions: Sequence[str]) -> np.ndarray:
        return np.stack([self.encode(q)[0] for q in questions]) if questions else np.zeros((0, self.max_tokens), np.int32)


def border_color(image: Image.Image) -> tuple[int, int, int]:
    pixels = np.asarray(image.convert("RGB"))
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    return tuple(int(v) for v in np.median(border, axis=0))


def letterbox(image: Image.Image) -> Image.Image:
    """Pad the shorter side with the border colour, keeping the picture centred."""
    image = image.convert("RGB")
    w, h = image.size
    if w == h:
        return image
    side = max(w, h)
    square = Image.new("RGB", (side, side), border_color(image))
    square.paste(image, ((side - w) // 2, (side - h) // 2))
    return square


def image_to_array(image: Image.Image, side: int = DEFAULT_IMAGE_SIDE) -> np.ndarray:
    """Any image -> float32 [side, side, 3] in 0..1, as every VQA model takes it."""
    square = letterbox(image)
    if square.size != (side, side):
        square = square.resize((side, side), Image.Resampling.BILINEAR)
    return np.asarray(square, dtype=np.float32) / 255.0
