"""Rewrite the sha256 of model files on their cards, after a deliberate change.

The training and conversion scripts write each card's `files` (`app.integrity`); the
server refuses a model whose files no longer match. When a file is changed on purpose
by hand (a card's model replaced with another run's, a vocabulary edited), this makes
the card agree again, and prints what changed:

    python -m training.hash_models vqa            # one model
    python -m training.hash_models --all          # every folder under models/
    python -m training.hash_models --all --check  # only report; exit 1 on any mismatch
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.integrity import file_hashes
from training.common import MODELS_DIR, read_card, write_card


def rehash(folder: Path, check_only: bool = False) -> list[str]:
    """The files whose hash differs from the card's (updated on the card unless `check_only`)."""
    card = read_card(folder)
    actual = file_hashes(folder)
    listed = card.get("files", {})
    changed = sorted(name for name in set(actual) | set(listed) if actual.get(name) != listed.get(name))
    if changed and not check_only:
        card["files"] = actual
        write_card(folder, card)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="model folders under --models")
    parser.add_argument("--all", action="store_true", help="every model folder")
    parser.add_argument("--check", action="store_true", help="report mismatches without writing")
    parser.add_argument("--models", type=Path, default=MODELS_DIR)
    args = parser.parse_args(argv)
    if args.all:
        folders = sorted(f for f in args.models.iterdir() if (f / "model.keras").is_file())
    else:
        folders = [args.models / name for name in args.names]
    if not folders:
        parser.error("name a model, or --all")
    mismatched = 0
    for folder in folders:
        changed = rehash(folder, check_only=args.check)
        mismatched += bool(changed)
        verb = "differs" if args.check else "rehashed"
        print(f"{folder.name}: {verb} {', '.join(changed)}" if changed else f"{folder.name}: matches its card")
    return 1 if args.check and mismatched else 0


if __name__ == "__main__":
    sys.exit(main())
