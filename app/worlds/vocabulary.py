"""A question model's words: the tokenizer and the fixed vocabulary that turn a question
into the indices an embedding layer reads. Shared by every world whose models read
questions (the shapes VQA models, the chart baseline), in training and serving alike.

Lower case, punctuation dropped, split on spaces, mapped to indices of the model's
vocabulary (0 pads, 1 is an unknown word), padded to a fixed length. Unknown words are
reported, so the page can say which words the model does not know.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

PAD, UNKNOWN = "<pad>", "<unk>"
MAX_TOKENS = 24  # words read of a question; the longest template question is half that


def tokenize(question: str) -> list[str]:
    return re.sub(r"[^a-z0-9 ]+", " ", question.lower()).split()


class QuestionEncoder:
    """Words to indices with a fixed vocabulary (saved beside the model as an asset)."""

    def __init__(self, words: Sequence[str], max_tokens: int = MAX_TOKENS) -> None:
        self.words = [PAD, UNKNOWN, *(w for w in words if w not in (PAD, UNKNOWN))]
        self.index = {w: i for i, w in enumerate(self.words)}
        self.max_tokens = max_tokens

    def __len__(self) -> int:
        return len(self.words)

    @property
    def known_words(self) -> list[str]:
        """The real words (without the padding and unknown markers)."""
        return self.words[2:]

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
