"""Put a retrained VQA model in `models/`, if its card shows it keeps the template floors.

A retraining run writes to a folder of its own (`--out /tmp/run`), so the served model
is replaced only by one that still answers the spec's questions: on both template test
sets of its card (`test`, `test_rendered_differently`), at least 99 % overall and every
family at least 96 %. The card fields a run does not write because they describe other
files (`vqa_common.CARRIED_OVER`) come from the model it replaces.

    python -m training.adopt_vqa /tmp/run/vqa            # checks, then copies into models/vqa
    python -m training.adopt_vqa /tmp/run/vqa --check    # checks only

Afterwards the card's temperature, its tables of people's questions and its precision
record are measured again (the old ones belonged to the old weights); the script
prints those commands.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from training.common import MODELS_DIR, read_card, write_card
from training.vqa_common import CARRIED_OVER

OVERALL_FLOOR = 99.0
FAMILY_FLOOR = 96.0
TEMPLATE_SETS = ("test", "test_rendered_differently")
FILES = ("model.keras", "vocab.json", "answers.json")
MEASURE_AGAIN = (
    "python -m benchmarks.vqa_language --fit-temperature --write-card",
    "python -m benchmarks.vqa_language --questions benchmarks/questions/vqa_people_questions_blind.txt --write-card",
    "python -m benchmarks.vqa_language --model-alone --write-card",
    "python -m benchmarks.precision --questions 2000 --write-cards",
)


def shortfalls(card: dict) -> list[str]:
    """What keeps a card's model from the floors, in words; empty when it meets them."""
    metrics = card.get("metrics", {})
    if metrics.get("unfinished"):
        return ["the run did not finish: its card has validation tables only"]
    found = []
    for name in TEMPLATE_SETS:
        table = metrics.get(name)
        if not table:
            found.append(f"the card has no {name} table")
            continue
        if table["overall"] < OVERALL_FLOOR:
            found.append(f"{name}: {table['overall']:.2f} % overall, under {OVERALL_FLOOR:g} %")
        found += [
            f"{name}: {family} {accuracy:.2f} %, under {FAMILY_FLOOR:g} %"
            for family, accuracy in table["families"].items()
            if accuracy < FAMILY_FLOOR
        ]
    return found


def adopted_card(candidate: dict, replaced: dict) -> dict:
    """The candidate's card with the fields it lacks that describe other files, and the
    history kept beside a table (a blind question set's `first_run`: scored once, before
    anything was changed for it, it cannot be measured again)."""
    kept = {k: replaced[k] for k in CARRIED_OVER if k in replaced and k not in candidate}
    metrics = dict(candidate.get("metrics", {}))
    for name, table in replaced.get("metrics", {}).items():
        if isinstance(table, dict) and "first_run" in table and "first_run" not in metrics.get(name, {}):
            metrics[name] = {**metrics.get(name, {}), "first_run": table["first_run"]}
    return {**candidate, **kept, "metrics": metrics}


def adopt(source: Path, target: Path) -> None:
    replaced = read_card(target)
    card = adopted_card(read_card(source), replaced)
    target.mkdir(parents=True, exist_ok=True)
    for name in (*FILES, *card.get("artifacts", [])):
        if (source / name).exists():
            shutil.copy2(source / name, target / name)
        elif not (target / name).exists():
            raise FileNotFoundError(f"{source / name} is missing")
    write_card(target, card)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="the retrained model's folder (model.keras, card.json, ...)")
    parser.add_argument("--check", action="store_true", help="check the floors only; copy nothing")
    parser.add_argument("--models", type=Path, default=MODELS_DIR)
    args = parser.parse_args(argv)
    card = read_card(args.source)
    if not card:
        parser.error(f"{args.source} has no card.json")
    if missing := shortfalls(card):
        print("not adopted:\n  " + "\n  ".join(missing))
        return 1
    print(f"{args.source} meets the floors ({OVERALL_FLOOR:g} % overall, every family {FAMILY_FLOOR:g} %)")
    if args.check:
        return 0
    target = args.models / card.get("name", args.source.name)
    adopt(args.source, target)
    print(f"copied into {target}; now measure its card again:\n  " + "\n  ".join(MEASURE_AGAIN))
    return 0


if __name__ == "__main__":
    sys.exit(main())
