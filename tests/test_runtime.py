"""Compiled forward passes and the compute precision."""

import time

import numpy as np
import pytest

from app import runtime
from app.worlds.shapes import models as vqa_models
from tests.conftest import make_settings


def test_native_bfloat16_is_read_from_the_cpu_flags(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("flags\t\t: fpu sse avx2 avx512f avx512_bf16 avx512_vnni\n")
    assert runtime.native_bfloat16(cpuinfo)
    cpuinfo.write_text("flags\t\t: fpu sse avx2 avx512f avx512_vnni\n")  # no bfloat16 instructions
    assert not runtime.native_bfloat16(cpuinfo)
    assert not runtime.native_bfloat16(tmp_path / "missing")


@pytest.mark.parametrize("setting", ["float32", "bfloat16"])
def test_an_explicit_precision_is_kept(tmp_path, setting):
    assert runtime.compute_precision(make_settings(tmp_path, precision=setting), "tensorflow on GPU") == setting


def test_auto_precision_is_float32_off_the_cpu(tmp_path):
    assert runtime.compute_precision(make_settings(tmp_path), "tensorflow on GPU") == "float32"


@pytest.mark.parametrize(("native", "expected"), [(True, "bfloat16"), (False, "float32")])
def test_auto_precision_on_the_cpu_follows_its_instructions(tmp_path, monkeypatch, native, expected):
    monkeypatch.setattr(runtime, "native_bfloat16", lambda: native)
    assert runtime.compute_precision(make_settings(tmp_path), "tensorflow on CPU") == expected


def test_a_bfloat16_copy_answers_as_the_model_with_float32_outputs():
    model = vqa_models.build_vqa(40, width=16, blocks=1)
    copy = runtime.in_bfloat16(model)
    assert copy.get_layer("answers").compute_dtype == "float32"
    assert copy.get_layer("last_features").compute_dtype == "bfloat16"
    assert [w.dtype for w in copy.weights] == [w.dtype for w in model.weights]  # weights stay float32
    rng = np.random.default_rng(0)
    rows = rng.random((4, 64, 64, 3)).astype(np.float32), rng.integers(0, 40, (4, 24)).astype(np.int32)
    exact, rounded = runtime.inference_forward(model)(rows), runtime.inference_forward(copy)(rows)
    assert rounded.dtype == np.float32
    np.testing.assert_allclose(rounded.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(rounded, exact, atol=0.02)  # bfloat16 keeps 8 bits of mantissa


def test_a_model_with_several_outputs_gives_a_tuple():
    import keras

    model = vqa_models.build_vqa(40, width=16, blocks=1)
    two = keras.Model(model.inputs[1], [model.get_layer("question_encoder").output, model.get_layer("film_0").input[1]])
    encoding, conditioning = runtime.inference_forward(two)(np.ones((3, 24), np.int32))
    assert encoding.shape == (3, 32) and conditioning.shape == (3, 32)


@pytest.mark.parametrize(
    ("setting", "workers", "cores", "expected"),
    [(3, 1, 2, 3), (1, 1, 2, 1), (0, 1, 2, 2), (0, 1, 1, 1), (0, 1, 16, 16), (0, 2, 16, 8), (0, 4, 2, 1)],
)
def test_intra_op_threads_are_the_workers_share_of_the_cores(tmp_path, setting, workers, cores, expected):
    settings = make_settings(tmp_path, intra_op_threads=setting, workers=workers)
    assert runtime.intra_op_threads(settings, cores=cores) == expected


@pytest.mark.parametrize(
    ("setting", "intra", "workers", "cores", "expected"),
    [(3, 0, 1, 2, 3), (0, 0, 1, 2, 1), (0, 0, 1, 16, 1), (0, 1, 1, 2, 2), (0, 1, 2, 2, 1), (0, 4, 1, 16, 4), (0, 1, 8, 16, 2)],
)
def test_model_threads_fill_the_workers_share_of_cores_with_calls(tmp_path, setting, intra, workers, cores, expected):
    settings = make_settings(tmp_path, model_threads=setting, intra_op_threads=intra, workers=workers)
    assert runtime.model_threads(settings, cores=cores) == expected


def test_call_ms_is_the_quickest_of_its_calls():
    times = iter([0.02, 0.005, 0.01])
    assert 5 <= runtime.call_ms(lambda rows: time.sleep(next(times)), None) < 20
