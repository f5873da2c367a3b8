"""One module per task: everything that shapes data for that task lives there.

Both the training scripts and the server import these modules, so the two cannot
drift apart. They import Keras, NumPy and Pillow, never FastAPI.

A module that serves models declares the task names it serves (`SERVES`) and a
`prepare(model, card, folder)` hook that returns what serving needs besides the model
(`Prepared`). The registry finds the hook from a model card's `task` with
`hook_for`, and knows nothing else about any task: a new task is a new module here.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class Prepared:
    """What a task's hook adds to a loaded model."""

    # Compiled calls besides the model's own, run on the model's thread by name
    # (`registry.infer_alone(served, rows, forward="encode")`).
    forwards: dict[str, Callable[[Any], np.ndarray]] = field(default_factory=dict)
    assets: dict[str, Any] = field(default_factory=dict)  # files beside the model (a vocabulary)
    answers: dict[str, Any] = field(default_factory=dict)  # answers that never change, computed once
    # The model's own call, when the task serves it through something better than the
    # whole model compiled as one (`app.worlds.shapes.forward`); None: the registry's.
    forward: Callable[[Any], np.ndarray] | None = None


Hook = Callable[[Any, dict, Path], Prepared]


@cache
def hooks() -> dict[str, Hook]:
    """Task name -> its `prepare` hook, from every module of this package that serves."""
    import app.worlds  # the worlds' models are served through the same hooks

    found: dict[str, Hook] = {}
    for package in (__path__, app.worlds.__path__):
        prefix = __name__ if package is __path__ else app.worlds.__name__
        for module_info in pkgutil.walk_packages(package, prefix=f"{prefix}."):
            module = importlib.import_module(module_info.name)
            for task in getattr(module, "SERVES", ()):
                found[task] = module.prepare
    return found


def hook_for(task: str | None) -> Hook | None:
    return hooks().get(task or "")
