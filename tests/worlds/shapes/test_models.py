import keras
import numpy as np
import pytest

from app.worlds.shapes import models as vqa_models
from app.worlds.shapes.preprocessing import MAX_QUESTION_TOKENS


def _inputs(n: int = 2, side: int = 32) -> dict:
    rng = np.random.default_rng(0)
    return {
        "image": rng.random((n, side, side, 3), dtype=np.float32),
        "question": rng.integers(0, 20, (n, MAX_QUESTION_TOKENS)).astype(np.int32),
    }


@pytest.mark.parametrize("build", [vqa_models.build_vqa, vqa_models.build_vqa_baseline])
def test_vqa_builders_answer_with_a_softmax(build):
    model = build(20, 32, num_answers=5)
    probabilities = np.asarray(model(_inputs(), training=False))
    assert probabilities.shape == (2, 5)
    assert np.allclose(probabilities.sum(-1), 1.0, atol=1e-5)


def test_question_only_model_takes_no_image():
    model = vqa_models.build_question_only(20, num_answers=5)
    assert [t.name for t in model.inputs] == ["question"]
    assert model(_inputs()["question"]).shape == (2, 5)


def test_coordinate_channels_run_from_minus_one_to_one():
    out = np.asarray(vqa_models.CoordinateChannels()(np.zeros((2, 4, 5, 3), np.float32)))
    assert out.shape == (2, 4, 5, 5)
    assert np.allclose(out[0, 0, :, 3], np.linspace(-1, 1, 5))  # x across
    assert np.allclose(out[1, :, 0, 4], np.linspace(-1, 1, 4))  # y down


def test_film_scales_and_shifts_each_channel():
    x = np.ones((1, 2, 2, 2), np.float32)
    conditioning = np.array([[1.0, 0.0, 0.5, -1.0]], np.float32)  # gamma (1, 0), beta (0.5, -1)
    out = np.asarray(vqa_models.FiLM()([x, conditioning]))
    assert np.allclose(out[..., 0], 2.5) and np.allclose(out[..., 1], 0.0)


def test_custom_layers_survive_a_safe_mode_round_trip(tmp_path):
    model = vqa_models.build_vqa(20, 32, num_answers=5, width=16, blocks=1)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    inputs = _inputs()
    assert np.allclose(model(inputs, training=False), loaded(inputs, training=False), atol=1e-6)


def test_scene_autoencoder_rebuilds_the_input_shape():
    model = vqa_models.build_scene_autoencoder(32)
    assert model(np.zeros((1, 32, 32, 3), np.float32)).shape == (1, 32, 32, 3)
