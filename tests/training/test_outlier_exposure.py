"""Outlier exposure: the loss, the batches that mix outliers in, the checkpoint keeper."""

import keras
import numpy as np

from training.outlier_exposure import AutoencoderBatches, OutlierExposureLoss, mark_outliers


def test_outlier_exposure_loss_is_mse_on_digits_and_a_hinge_on_outliers():
    loss = OutlierExposureLoss(margin=10.0)
    x = np.random.default_rng(0).uniform(0, 1, (2, 28, 28, 1)).astype(np.float32)
    rebuilt = np.clip(x + 0.1, 0, 1)
    digits = keras.ops.convert_to_numpy(loss.call(x, rebuilt))
    np.testing.assert_allclose(digits, ((x - rebuilt) ** 2).reshape(2, -1).mean(axis=1), rtol=1e-5)
    # an outlier rebuilt perfectly costs margin / pixels; one rebuilt far away costs nothing
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loss.call(mark_outliers(x), x)), [10 / 784] * 2, rtol=1e-5)
    assert np.all(keras.ops.convert_to_numpy(loss.call(mark_outliers(x), 1 - x)) == 0)
    assert OutlierExposureLoss.from_config(loss.get_config()).margin == 10.0


def test_batches_show_every_digit_once_an_epoch_among_marked_outliers():
    digits = np.arange(1, 201, dtype=np.float32).reshape(200, 1, 1, 1) / 1000  # each picture its own value
    outliers = np.full((50, 1, 1, 1), 0.9, np.float32)
    batches = AutoencoderBatches(digits, 32, seed=0, outliers=outliers, fraction=0.2)
    for _ in range(2):
        inputs, targets = (np.concatenate(part) for part in zip(*(batches[i] for i in range(len(batches))), strict=False))
        is_outlier = inputs.ravel() == np.float32(0.9)
        assert sorted(inputs.ravel()[~is_outlier]) == sorted(digits.ravel())  # every digit, once
        assert is_outlier.sum() == 50  # 20 % of the epoch
        np.testing.assert_allclose(targets[is_outlier], mark_outliers(inputs[is_outlier]))
        np.testing.assert_array_equal(targets[~is_outlier], inputs[~is_outlier])
        batches.on_epoch_end()
    noisy = AutoencoderBatches(np.full((8, 28, 28, 1), 0.5, np.float32), 8, seed=0, noisy=True)
    noisy_input, clean = noisy[0]
    assert np.all(clean == 0.5) and np.abs(noisy_input - 0.5).mean() > 0.1
