"""Model files checked against their card: a file changed or swapped after training
must not be served under the card's name and numbers.

Every card lists the sha256 of the files the server reads from its folder (`files`),
written by the training and conversion scripts (`training.common.save_model_with_card`)
and rewritten on purpose by `python -m training.hash_models` after a deliberate change.
The registry checks them before loading: a mismatch leaves that model `failed` with a
reason naming the file and both hashes, while the other models serve.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

# What the server reads from a model folder besides the card (plots and logs are not read).
MODEL_FILES = ("model.keras", "vocab.json", "answers.json", "labels.json")


class ModelFileMismatch(ValueError):
    """A model file whose sha256 is not the one its card records."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_hashes(folder: Path) -> dict[str, str]:
    """The sha256 of each file of MODEL_FILES present in `folder`."""
    return {name: sha256_file(folder / name) for name in MODEL_FILES if (folder / name).is_file()}


def verify(folder: Path, card: dict) -> bool:
    """True when the card lists hashes and every listed file matches; False when it lists
    none (a card written before hashes, or a test's); raises ModelFileMismatch otherwise.
    A served file the card does not list is a mismatch too: it could replace a default."""
    expected = card.get("files")
    if not expected:
        return False
    actual = file_hashes(folder)
    for name in sorted(set(expected) | set(actual)):
        if expected.get(name) != actual.get(name):
            raise ModelFileMismatch(
                f"{name}: sha256 {_short(actual.get(name))} on disk, {_short(expected.get(name))} on the card "
                "(retrained on purpose? run python -m training.hash_models)"
            )
    return True


def _short(digest: str | None) -> str:
    return f"{digest[:16]}..." if digest else "missing"
