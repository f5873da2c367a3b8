"""The compute side of serving: backend set-up and compiled forward passes.

`model.predict` costs tens of milliseconds of fixed overhead per call and an eager
`model(x)` runs op by op, so every model is served through a function compiled once
(`tf.function` on TensorFlow, `jax.jit` on JAX) and warmed up at start-up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import keras
import numpy as np

from app.config import Settings

log = logging.getLogger(__name__)

Forward = Callable[[np.ndarray], np.ndarray]


def configure_backend(settings: Settings) -> str:
    """Apply thread counts and device choice. Returns a description of the device."""
    backend = keras.backend.backend()
    if backend != "tensorflow":
        return backend
    import tensorflow as tf

    try:
        if settings.intra_op_threads:
            tf.config.threading.set_intra_op_parallelism_threads(settings.intra_op_threads)
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


def compile_forward(call: Callable, input_shape: tuple, *, jit_compile: bool = False) -> Forward:
    """Compile `call(x)` (a tensor function of one float32 batch) for any batch size."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        spec = tf.TensorSpec((None, *input_shape), tf.float32)
        compiled = tf.function(call, input_signature=[spec], jit_compile=jit_compile, reduce_retracing=True)
        return lambda x: compiled(x).numpy()
    if backend == "jax":
        import jax

        compiled = jax.jit(call)  # one trace per batch size; warm-up covers the usual ones
        return lambda x: np.asarray(compiled(x))
    import torch

    def torch_forward(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return keras.ops.convert_to_numpy(call(keras.ops.convert_to_tensor(x)))

    return torch_forward


def inference_forward(model: keras.Model, *, jit_compile: bool = False) -> Forward:
    return compile_forward(lambda x: model(x, training=False), tuple(model.inputs[0].shape[1:]), jit_compile=jit_compile)
