"""The model registry: which models exist, what state each is in, and how to call them.

Each model folder under `models/` holds `model.keras` and `card.json`. A model can be
`absent` (not on disk: listed, never holds readiness back), `loading`, `ready`, or
`failed` (present but unloadable: the reason is kept, readiness is false, the other
models serve on). Loading compiles the forward pass and warms it up for the batch
sizes the batcher will use, so the first request is as fast as the rest.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import keras
import numpy as np

from app import integrity, runtime, tasks
from app.batching import MicroBatcher, Rows
from app.config import Settings
from app.errors import ModelNotReady, NotFound
from app.metrics import Metrics

log = logging.getLogger(__name__)
FEW_ROWS = 8  # a batch limit this low is warmed at every size


class ModelState(str, enum.Enum):
    ABSENT = "absent"
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"


@dataclass
class ServedModel:
    name: str
    task: str | None  # from the card; None for a model not on disk
    path: Path
    state: ModelState = ModelState.ABSENT
    reason: str | None = None
    card: dict = field(default_factory=dict)
    load_seconds: float | None = None
    precision: str = "float32"
    verified: bool = False  # its files matched the sha256 its card lists (app.integrity)
    ready_changed: Callable[[], None] | None = None  # with several workers: writes the ready gauge down
    model: keras.Model | None = None
    batcher: MicroBatcher | None = None
    # Compiled calls besides the model's own: "mc_dropout" (digits with dropout),
    # "encode" (autoencoders: image -> code). Run them on the batcher's thread.
    forwards: dict[str, Callable[[np.ndarray], np.ndarray]] = field(default_factory=dict)
    answers: dict = field(default_factory=dict)  # answers that never change, computed at load
    # Files beside the model that serving needs: VQA's "encoder" (vocabulary) and "labels".
    assets: dict = field(default_factory=dict)

    @property
    def input_shape(self) -> tuple:
        return tuple(self.model.inputs[0].shape[1:]) if self.model is not None else ()

    @property
    def version(self) -> str:
        return str(self.card.get("version", 1))

    @cached_property
    def v2_metadata(self) -> dict:
        """Open Inference Protocol metadata: FP32 (or INT32) inputs, one FP32 output
        (asked only of loaded models, so computed once)."""
        model = self.model
        assert model is not None, "metadata is asked only of loaded models"
        return {
            "name": self.name,
            "versions": [self.version],
            "platform": f"keras_{keras.backend.backend()}",
            "inputs": [
                {"name": t.name, "datatype": "INT32" if "int" in str(t.dtype) else "FP32", "shape": [-1, *t.shape[1:]]}
                for t in model.inputs
            ],
            "outputs": [{"name": model.layers[-1].name, "datatype": "FP32", "shape": [-1, *model.outputs[0].shape[1:]]}],
        }

    def describe(self) -> dict:
        return {
            "name": self.name,
            "task": self.task,
            "state": self.state.value,
            "reason": self.reason,
            "load_seconds": self.load_seconds,
            "precision": self.precision,
            "verified": self.verified,
            "card": self.card,
        }


class ModelRegistry:
    def __init__(self, settings: Settings, metrics: Metrics | None = None) -> None:
        self.settings = settings
        self.metrics = metrics
        self.models: dict[str, ServedModel] = {}
        self.started = False
        self.draining = False  # set on SIGTERM: finish what is in flight, take nothing new
        self.device = "unknown"
        self.precision = "float32"  # the deployment's, from the settings and the device

    # -- discovery and loading ---------------------------------------------------------

    def discover(self) -> None:
        """Every folder with a model and a card whose task has a hook, plus the expected
        models that are not on disk (listed as absent)."""
        root = self.settings.models_dir
        folders = sorted(f for f in root.iterdir() if (f / "model.keras").is_file()) if root.is_dir() else []
        names = dict.fromkeys([*self.settings.expected_model_names, *(f.name for f in folders)])
        allow = self.settings.model_allowlist
        for name in names:
            path = root / name
            card = _read_card(path)
            on_disk = (path / "model.keras").is_file()
            if allow and name not in allow:
                continue
            if name not in self.settings.expected_model_names and tasks.hook_for(card.get("task")) is None:
                continue  # some other folder: not a model this server can serve
            model = ServedModel(name=name, task=card.get("task"), path=path, card=card)
            model.state = ModelState.LOADING if on_disk else ModelState.ABSENT
            self.models[name] = model
            if self.metrics is not None:
                model.ready_changed = self.metrics.live(
                    self.metrics.model_ready.labels(name), functools.partial(_is_ready, model)
                )

    async def load_all(self) -> None:
        self.device = runtime.configure_backend(self.settings)
        self.precision = runtime.compute_precision(self.settings, self.device)
        self.discover()
        for served in self.models.values():
            if served.state is ModelState.LOADING:
                # Loading and warm-up are blocking TensorFlow work: keep them off the loop.
                await asyncio.to_thread(self._load, served)
                if served.ready_changed is not None:
                    served.ready_changed()
                if served.state is ModelState.READY:
                    served.batcher.start()
        self.started = True

    def _load(self, served: ServedModel) -> None:
        start = time.perf_counter()
        try:
            hook = tasks.hook_for(served.card.get("task"))
            if hook is None:
                raise ValueError(f"card.json names no task this server knows (task: {served.card.get('task')!r})")
            served.verified = integrity.verify(served.path, served.card)
            model = keras.saving.load_model(served.path / "model.keras", compile=False, safe_mode=True)
            served.precision = self._precision(served)
            if served.precision == "bfloat16":
                model = runtime.in_bfloat16(model)
            prepared = hook(model, served.card, served.path)
            forward = prepared.forward or runtime.inference_forward(model, jit_compile=self.settings.jit_compile)
            for size in self._warmup_sizes(served):
                forward(runtime.zeros_rows(model, size))
            for extra in prepared.forwards.values():
                extra(runtime.zeros_rows(model, 2))
            threads = self._threads(forward, model)
        except Exception as exc:  # a broken file must not take the service down
            log.exception("model %s failed to load", served.name)
            served.state, served.reason = ModelState.FAILED, f"{exc.__class__.__name__}: {exc}"[:500]
            return
        served.model, served.forwards = model, prepared.forwards
        served.assets, served.answers = prepared.assets, prepared.answers
        served.batcher = MicroBatcher(
            served.name,
            forward,
            max_batch_size=self._max_batch(served),
            max_wait_ms=self.settings.max_batch_wait_ms,
            max_queue_depth=self.settings.max_queue_depth,
            metrics=self.metrics,
            threads=threads,
        )
        served.load_seconds = round(time.perf_counter() - start, 3)
        served.state, served.reason = ModelState.READY, None
        log.info("model %s ready in %.2f s, %d call(s) at once", served.name, served.load_seconds, served.batcher.threads)

    def _precision(self, served: ServedModel) -> str:
        """bfloat16 where this deployment computes in it and the model's card says it may:
        `serving.bfloat16.serve`, written by benchmarks/precision.py when the model gave
        the same answers in bfloat16 and was faster; float32 otherwise."""
        checked = served.card.get("serving", {}).get("bfloat16", {})
        return "bfloat16" if self.precision == "bfloat16" and checked.get("serve") is True else "float32"

    def _threads(self, forward: runtime.Forward, model: keras.Model) -> int:
        """Calls at once: `model_threads` for a model whose call on one row takes at least
        `parallel_calls_from_ms`; one for a quicker model, whose queue a second call would
        mostly split into smaller batches, each costing more per row. Where one call is
        all the settings allow (the default), nothing is timed."""
        most = runtime.model_threads(self.settings)
        if most == 1:
            return 1
        return most if runtime.call_ms(forward, runtime.zeros_rows(model, 1)) >= self.settings.parallel_calls_from_ms else 1

    def _max_batch(self, served: ServedModel) -> int:
        """The setting, or less where the card says larger batches gain nothing (a big
        convolutional model is compute-bound from a few rows on, and a batch of 32 only
        makes every request in it wait for the slowest)."""
        card_limit = served.card.get("serving", {}).get("max_batch_size")
        return min(self.settings.max_batch_size, int(card_limit)) if card_limit else self.settings.max_batch_size

    def _warmup_sizes(self, served: ServedModel) -> list[int]:
        """The settings' sizes, capped at the model's batch limit; a model that batches
        only a few rows (the photo models) is warmed at every size it will see, so the
        memory its calls need is taken at start-up, not under the first traffic."""
        limit = self._max_batch(served)
        sizes = {min(size, limit) for size in self.settings.warmup_sizes}
        return sorted(sizes | set(range(1, limit + 1)) if limit <= FEW_ROWS else sizes)

    async def close(self) -> None:
        for served in self.models.values():
            if served.batcher is not None:
                await served.batcher.stop()

    # -- lookup ------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """Start-up finished, not shutting down, and every model on disk is serving."""
        return (
            self.started
            and not self.draining
            and all(m.state in (ModelState.READY, ModelState.ABSENT) for m in self.models.values())
        )

    def get(self, name: str) -> ServedModel:
        try:
            return self.models[name]
        except KeyError:
            raise NotFound(f"no model named {name!r}; GET /api/models lists them") from None

    def require_ready(self, name: str, task: str | None = None) -> ServedModel:
        served = self.get(name)
        if task is not None and served.task is not None and served.task != task:
            article = "an" if task[0] in "aeiou" else "a"
            raise NotFound(f"model {name!r} is a {served.task} model, not {article} {task} model")
        if served.state is not ModelState.READY:
            detail = {
                ModelState.ABSENT: "is not installed (train it, see the README)",
                ModelState.LOADING: "is still loading",
                ModelState.FAILED: f"failed to load ({served.reason})",
            }[served.state]
            raise ModelNotReady(f"model {name!r} {detail}", retry_after_s=5 if served.state is ModelState.LOADING else 60)
        return served

    def card(self, name: str) -> dict:
        """A model's card as loaded ({} for a model this server does not know)."""
        served = self.models.get(name)
        return served.card if served is not None else {}

    def ready_model(self, name: str) -> ServedModel | None:
        """The model if it is serving, else None (for optional helpers such as the scene check)."""
        served = self.models.get(name)
        return served if served is not None and served.state is ModelState.READY else None

    async def infer_alone(self, served: ServedModel, rows: Rows, forward: str | None = None) -> np.ndarray:
        """One large call (a heatmap's occluded copies, Monte-Carlo samples) on the model's
        thread between batches, through the model itself or one of its extra forwards."""
        batcher = _batcher(served)
        call = served.forwards[forward] if forward else batcher.forward
        return await batcher.run_alone(call, rows, deadline_s=self.settings.request_deadline_s)

    async def infer(self, served: ServedModel, rows: Rows) -> np.ndarray:
        if not isinstance(rows, tuple):  # several inputs arrive already typed, one per input
            rows = rows.astype(np.float32, copy=False)
        return await _batcher(served).infer(rows, self.settings.request_deadline_s)

    def describe(self) -> list[dict]:
        return [m.describe() for m in self.models.values()]


def _batcher(served: ServedModel) -> MicroBatcher:
    """A ready model's batcher (routers ask `require_ready` first)."""
    if served.batcher is None:
        raise ModelNotReady(f"model {served.name!r} is not loaded", retry_after_s=5)
    return served.batcher


def _is_ready(served: ServedModel) -> float:
    return float(served.state is ModelState.READY)


def _read_card(folder: Path) -> dict:
    try:
        return json.loads((folder / "card.json").read_text())
    except (OSError, ValueError):
        return {}
