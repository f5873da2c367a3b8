import numpy as np

from app.tasks import autoencoder as task


def rows(codes, rebuilt):
    return [
        {"input": x.tolist(), "code": list(c), "reconstruction": list(r)}
        for x, c, r in zip(task.TOY_INPUTS, codes, rebuilt, strict=False)
    ]


def test_toy_is_the_articles_network():
    model = task.build_toy()
    assert [layer.units for layer in model.layers] == [2, 4]
    assert all(layer.activation.__name__ == "sigmoid" for layer in model.layers)
    assert model.count_params() == 4 * 2 + 2 + 2 * 4 + 4


def test_toy_table_has_one_row_per_input():
    table = task.toy_table(task.build_toy())
    assert [r["input"] for r in table] == task.TOY_INPUTS.tolist()
    assert all(len(r["code"]) == 2 and len(r["reconstruction"]) == 4 for r in table)


def test_solved_means_rebuilt_and_four_corners():
    corners = [(0.05, 0.1), (0.9, 0.05), (0.1, 0.95), (0.95, 0.9)]
    good = task.TOY_INPUTS * 0.8 + 0.05
    assert task.toy_solved(rows(corners, good))
    assert not task.toy_solved(rows([(0.05, 0.1), (0.9, 0.05), (0.1, 0.95), (0.5, 0.9)], good))  # off a corner
    assert not task.toy_solved(rows([(0.05, 0.1), (0.05, 0.1), (0.1, 0.95), (0.95, 0.9)], good))  # a corner twice
    assert not task.toy_solved(rows(corners, np.roll(good, 1, axis=1)))  # rebuilt wrong


def test_map_position_is_a_fraction_of_the_map():
    bounds = [-1.0, 1.0, -2.0, 2.0]
    assert task.map_position(np.array([0.0, 0.0]), bounds, None) == [0.5, 0.5]
    assert task.map_position(np.array([1.0, 2.0]), bounds, None) == [1.0, 0.0]  # right, top
    assert task.map_position(np.array([50.0, -50.0]), bounds, None) == [1.0, 1.0]  # clipped
    assert task.map_position(np.array([np.sinh(0.5), 0.0]), bounds, "asinh")[0] == 0.75


def test_sse_psnr_and_percentiles():
    clean = np.zeros((3, 28, 28, 1), np.float32)
    noisy = task.add_noise(clean, np.random.default_rng(0))
    assert task.sse(clean, clean).tolist() == [0, 0, 0]
    assert task.psnr(noisy, clean) < 20 < task.psnr(clean + 0.01, clean)
    quantiles = task.error_quantiles(np.arange(1, 101, dtype=float))
    assert task.percentile_of(0.5, quantiles) == 0.0 and task.percentile_of(1000, quantiles) == 100.0
    assert 45 < task.percentile_of(50.0, quantiles) < 55


def test_mnist_autoencoder_has_a_named_code():
    model = task.build_autoencoder(code_dim=5)
    assert model.output_shape == (None, 28, 28, 1)
    assert task.encoder_of(model).output_shape == (None, 5)


def test_input_noise_acts_only_while_training():
    model = task.build_autoencoder(code_dim=4, hidden=(8,), input_noise=0.1)
    assert model.get_layer("input_noise").stddev == 0.1
    x = np.full((2, 28, 28, 1), 0.5, np.float32)
    assert np.array_equal(np.asarray(model(x, training=False)), np.asarray(model(x, training=False)))
    assert not np.allclose(np.asarray(model(x, training=True)), np.asarray(model(x, training=False)))
