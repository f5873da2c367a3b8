"""The compute side of serving: backend set-up and compiled forward passes.

`model.predict` costs tens of milliseconds of fixed overhead per call and an eager
`model(x)` runs op by op, so every model is served through a function compiled once
(`tf.function` on TensorFlow, `jax.jit` on JAX) and warmed up at start-up.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np

from app.batching import Rows
from app.config import Settings

log = logging.getLogger(__name__)

Forward = Callable[..., np.ndarray]


def _numpy(result) -> np.ndarray:
    """A model's output as numpy; a model with several outputs gives a tuple of them."""
    if isinstance(result, list | tuple):
        return tuple(np.asarray(r) for r in result)  # type: ignore[return-value]
    return np.asarray(result)


def _share_of_cores(settings: Settings, cores: int | None) -> int:
    return max(1, (cores or len(os.sched_getaffinity(0))) // settings.workers)


def intra_op_threads(settings: Settings, cores: int | None = None) -> int:
    """Threads TensorFlow may split one operation over: the setting, or for 0 (auto) the
    worker's share of the cores, so that a request alone computes on all of them. One
    thread serves more requests of a small model under load (the event loop keeps a
    core, and TensorFlow's threads cost less per request) but makes a big model's
    single request slower: a deployment's choice, measured in docs/benchmarks.md."""
    return settings.intra_op_threads or _share_of_cores(settings, cores)


def model_threads(settings: Settings, cores: int | None = None) -> int:
    """Calls one model may run at once (app.batching): the setting, or for 0 (auto) as
    many as the worker's share of the cores holds calls of `intra_op_threads` each, so
    a model that is the only one busy can still use every core: one call of all the
    cores by default, two calls of one thread each with one intra-op thread on two."""
    if settings.model_threads:
        return settings.model_threads
    return max(1, _share_of_cores(settings, cores) // intra_op_threads(settings, cores))


def configure_backend(settings: Settings) -> str:
    """Apply thread counts and device choice. Returns a description of the device."""
    backend = keras.backend.backend()
    if backend != "tensorflow":
        return backend
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(intra_op_threads(settings))
        if settings.inter_op_threads:
            tf.config.threading.set_inter_op_parallelism_threads(settings.inter_op_threads)
    except RuntimeError as exc:  # the runtime already started (a second app in one process)
        log.warning("thread settings not applied: %s", exc)

    gpus = tf.config.list_physical_devices("GPU")
    try:
        if settings.device == "cpu" and gpus:
            tf.config.set_visible_devices([], "GPU")
            gpus = []
        for gpu in gpus:  # share the card with other processes instead of taking all of it
            tf.config.experimental.set_memory_growth(gpu, True)
    except RuntimeError as exc:
        log.warning("device settings not applied: %s", exc)
    if settings.device == "gpu" and not gpus:
        raise RuntimeError("VQADEMO_DEVICE=gpu but TensorFlow sees no GPU")
    return f"tensorflow on {'GPU' if gpus else 'CPU'}"


def native_bfloat16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether the CPU has bfloat16 instructions (AVX512-BF16 or AMX), with which oneDNN
    runs bfloat16 convolutions faster than float32; elsewhere bfloat16 is emulated, slower."""
    try:
        return re.search(r"\b(avx512_bf16|amx_bf16)\b", cpuinfo.read_text()) is not None
    except OSError:
        return False


def compute_precision(settings: Settings, device: str) -> str:
    """The setting, or for `auto`: bfloat16 on a TensorFlow CPU that has it natively,
    float32 everywhere else (GPUs included: not measured)."""
    if settings.precision != "auto":
        return settings.precision
    on_cpu = keras.backend.backend() == "tensorflow" and device.endswith("CPU")
    return "bfloat16" if on_cpu and native_bfloat16() else "float32"


def in_bfloat16(model: keras.Model) -> keras.Model:
    """A copy of `model` that computes in bfloat16 with its float32 weights (Keras'
    `mixed_bfloat16`); the layers that give the model's outputs stay float32, so
    probabilities keep their precision."""
    output_layers = {id(t._keras_history[0]) for t in model.outputs}

    def clone(layer):
        config = layer.get_config()
        computes = isinstance(layer, keras.layers.Layer) and not isinstance(layer, keras.layers.InputLayer)
        if computes and "dtype" in config and id(layer) not in output_layers:
            config["dtype"] = "mixed_bfloat16"
        return layer.__class__.from_config(config)

    copy = keras.models.clone_model(model, clone_function=clone)
    copy.set_weights(model.get_weights())
    return copy


def _as_tuple(rows: Rows) -> tuple[np.ndarray, ...]:
    return rows if isinstance(rows, tuple) else (rows,)


def compile_forward(call: Callable, specs: list[tuple[tuple, str]], *, jit_compile: bool = False) -> Forward:
    """Compile `call(*inputs)` for any batch size; `specs` lists (shape without the
    batch, dtype) per input (`input_specs(model)`)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        signature = [tf.TensorSpec((None, *shape), dtype) for shape, dtype in specs]
        compiled = tf.function(call, input_signature=signature, jit_compile=jit_compile, reduce_retracing=True)
        # Traced once, here. Calling the concrete function skips tf.function's matching
        # of arguments to traces on every call, Python time the model thread would
        # otherwise spend holding the GIL the event loop needs.
        concrete = compiled.get_concrete_function()
        return lambda rows: _numpy(concrete(*_as_tuple(rows)))
    if backend == "jax":
        import jax

        compiled = jax.jit(call)  # one trace per batch size; warm-up covers the usual ones
        return lambda rows: _numpy(compiled(*_as_tuple(rows)))
    import torch

    def torch_forward(rows: Rows) -> np.ndarray:
        with torch.no_grad():
            result = call(*(keras.ops.convert_to_tensor(x) for x in _as_tuple(rows)))
            return _numpy(keras.tree.map_structure(keras.ops.convert_to_numpy, result))

    return torch_forward


def call_ms(forward: Forward, rows: Rows, repeats: int = 3) -> float:
    """The quickest of a few warm calls, in milliseconds (the quickest: the least disturbed)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        forward(rows)
        times.append(time.perf_counter() - start)
    return 1000 * min(times)


def input_specs(model: keras.Model) -> list[tuple[tuple, str]]:
    return [(tuple(t.shape[1:]), str(t.dtype)) for t in model.inputs]


def zeros_rows(model: keras.Model, batch_size: int) -> Rows:
    """A batch of zeros in the model's input layout (for warm-up)."""
    rows = tuple(np.zeros((batch_size, *shape), dtype) for shape, dtype in input_specs(model))
    return rows if len(rows) > 1 else rows[0]


def inference_forward(model: keras.Model, *, jit_compile: bool = False) -> Forward:
    specs = input_specs(model)
    if len(specs) == 1:
        return compile_forward(lambda x: model(x, training=False), specs, jit_compile=jit_compile)
    return compile_forward(lambda *xs: model(list(xs), training=False), specs, jit_compile=jit_compile)
