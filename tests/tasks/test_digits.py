import subprocess
import sys

import keras
import numpy as np
import pytest
from PIL import Image

from app.tasks import digits as task
from training.datasets.mnist import drawn_like


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


@pytest.mark.parametrize(
    "images",
    [
        np.zeros((28, 28), np.uint8),
        np.zeros((3, 28, 28), np.float32),
        np.zeros((3, 784), np.float64),
        np.zeros((3, 28, 28, 1), np.float32),
    ],
)
def test_to_model_input_gives_float_batches(images):
    x = task.to_model_input(images)
    assert x.dtype == np.float32
    assert x.shape[1:] == (28, 28, 1)


def test_to_model_input_scales_bytes_to_unit_range():
    x = task.to_model_input(np.full((28, 28), 255, np.uint8))
    assert x.max() == pytest.approx(1.0)


def test_upload_path_gives_back_the_mnist_digit(mnist_test):
    """Parity: a test digit drawn large, off-centre, as dark ink on white, through the
    same preprocessing the server uses, comes back close to the original 28 x 28."""
    x_test, _ = mnist_test
    rng = np.random.default_rng(7)
    scores = []
    for digit in x_test[:200]:
        restored = task.image_to_mnist(drawn_like(digit, rng))
        scores.append(_correlation(restored, digit / 255.0))
    assert np.median(scores) > 0.97
    assert np.mean(scores) > 0.95


def test_polarity_does_not_matter(mnist_test):
    digit = mnist_test[0][3]
    dark_on_light = Image.fromarray(255 - digit).resize((140, 140))
    light_on_dark = Image.fromarray(digit).resize((140, 140))
    a, b = task.image_to_mnist(dark_on_light), task.image_to_mnist(light_on_dark)
    assert np.abs(a - b).max() < 1e-5


def test_transparent_canvas_uses_the_alpha_as_ink(mnist_test):
    digit = mnist_test[0][1]
    rgba = np.zeros((28, 28, 4), np.uint8)
    rgba[..., 3] = digit  # black strokes on a transparent canvas
    restored = task.image_to_mnist(Image.fromarray(rgba, "RGBA").resize((112, 112)))
    assert _correlation(restored, digit / 255.0) > 0.9


def test_result_is_centred_like_mnist(mnist_test):
    page = Image.new("L", (300, 200), 255)
    page.paste(Image.fromarray(255 - mnist_test[0][0]).resize((60, 60)), (5, 130))  # bottom-left corner
    x = task.image_to_mnist(page)
    rows = (x.sum(axis=1) * np.arange(28)).sum() / x.sum()
    cols = (x.sum(axis=0) * np.arange(28)).sum() / x.sum()
    assert abs(rows - task.CENTRE) <= 0.5 and abs(cols - task.CENTRE) <= 0.5
    assert x.min() >= 0 and x.max() <= 1


def test_blank_image_has_no_digit():
    with pytest.raises(task.NoInkError):
        task.image_to_mnist(Image.new("RGB", (50, 50), (250, 250, 250)))


def test_cnn_uses_only_builtin_layers_and_reloads(tmp_path):
    """Plain Keras, without this project on the path, opens the saved file."""
    path = tmp_path / "digits.keras"
    task.build_cnn().save(path)
    script = f"import keras; m = keras.saving.load_model({str(path)!r}); print(m.output_shape)"
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "(None, 10)" in out.stdout


def test_mlp_with_and_without_dropout_differ_only_in_regularisation():
    with_dropout, without = task.build_mlp(dropout=True), task.build_mlp(dropout=False)
    assert task.has_dropout(with_dropout) and not task.has_dropout(without)
    dense = lambda m: [layer for layer in m.layers if isinstance(layer, keras.layers.Dense)]  # noqa: E731
    assert [d.units for d in dense(with_dropout)] == [d.units for d in dense(without)] == [1024, 1024, 1024, 10]
    assert with_dropout.count_params() == without.count_params()
    assert isinstance(dense(with_dropout)[0].kernel_constraint, keras.constraints.MaxNorm)


def test_mc_dropout_varies_but_keeps_batch_norm_in_inference_mode():
    model = task.build_cnn()
    x = np.random.default_rng(0).random((1, 28, 28, 1), dtype=np.float32).repeat(16, axis=0)
    deterministic = keras.ops.convert_to_numpy(model(x, training=False))
    stochastic = keras.ops.convert_to_numpy(task.mc_dropout_forward(model, x))
    assert stochastic.std(axis=0).max() > 0  # the passes differ
    no_dropout = task.build_cnn(dropout=False)
    no_dropout.set_weights(model.get_weights())
    same = keras.ops.convert_to_numpy(task.mc_dropout_forward(no_dropout, x))
    np.testing.assert_allclose(same, deterministic, atol=1e-5)  # batch norm untouched


def test_summarise_without_samples_reports_softmax_entropy():
    answer = task.summarise(np.eye(10)[3] * 0.95 + 0.005)
    assert answer["digit"] == 3
    assert sum(answer["probabilities"]) == pytest.approx(1.0)
    assert answer["uncertainty"]["method"] == "softmax"
    assert answer["uncertainty"]["unsure"] is False


def test_summarise_with_disagreeing_samples_is_unsure():
    samples = np.stack([np.eye(10)[i % 3] * 0.97 + 0.003 for i in range(30)])
    u = task.summarise(samples.mean(axis=0), samples)["uncertainty"]
    assert u["method"] == "mc_dropout" and u["samples"] == 30
    assert u["unsure"] is True
    assert u["mutual_information"] > 0.5
    assert u["agreement"] == pytest.approx(10 / 30)
    assert len(u["std"]) == len(u["mean_probabilities"]) == 10
