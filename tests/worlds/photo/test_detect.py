import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from app.worlds.photo import detect as task

LABELS = ["person", "cat", "cup"]


def test_upsampling_matches_tensorflow_1_resize_bilinear():
    x = np.random.default_rng(0).random((2, 5, 7, 3)).astype("float32")
    ours = keras.ops.convert_to_numpy(task.UpsampleBilinearLegacy()(x))
    theirs = tf.compat.v1.image.resize_bilinear(x, [10, 14], align_corners=False, half_pixel_centers=False).numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_keep_peaks_keeps_only_local_maxima():
    heat = np.zeros((1, 5, 5, 1), "float32")
    heat[0, 2, 2, 0], heat[0, 2, 3, 0], heat[0, 0, 0, 0] = 0.9, 0.5, 0.3
    kept = keras.ops.convert_to_numpy(task.KeepPeaks()(heat))[0, ..., 0]
    assert kept[2, 2] == np.float32(0.9) and kept[0, 0] == np.float32(0.3) and kept[2, 3] == 0


def _maps(cells=8):
    peaks = np.zeros((1, cells, cells, len(LABELS)), "float32")
    distances = np.zeros((1, cells, cells, 4), "float32")
    peaks[0, 2, 3, 1] = 0.8  # a cat centred at cell (row 2, col 3)
    distances[0, 2, 3] = [4, 2, 8, 6]  # left, top, right, bottom distances in input pixels
    peaks[0, 5, 5, 0] = 0.1  # a weak person
    return peaks, distances


def test_peak_boxes_are_the_strongest_peaks_as_corners():
    out = keras.ops.convert_to_numpy(task.PeakBoxes(3)(list(_maps())))[0]
    x, y = 3 * task.STRIDE, 2 * task.STRIDE
    np.testing.assert_allclose(out[0], [x - 4, y - 2, x + 8, y + 6, 0.8, 1])
    np.testing.assert_allclose(out[1, 4:], [0.1, 0])  # the weak person, class 0
    assert out.shape == (3, 6)


def test_decode_scales_boxes_to_the_photos_pixels_and_keeps_the_sure_ones():
    out = keras.ops.convert_to_numpy(task.PeakBoxes(3)(list(_maps())))[0]
    found = task.decode(out, LABELS, size=(task.SIDE * 2, task.SIDE), min_score=0.2)
    x, y = 3 * task.STRIDE, 2 * task.STRIDE
    assert [d.label for d in found] == ["cat"] and abs(found[0].score - 0.8) < 1e-6
    assert found[0].box == ((x - 4) * 2, y - 2, (x + 8) * 2, y + 6)  # x scaled by 2: the photo is twice as wide
    assert [d.label for d in task.decode(out, LABELS, (task.SIDE, task.SIDE), min_score=0.05)] == ["cat", "person"]


def test_duplicates_of_one_object_are_suppressed_but_other_classes_kept():
    a = task.Detection("cup", 0.5, (0, 0, 10, 10))
    b = task.Detection("cup", 0.4, (1, 1, 10, 10))
    c = task.Detection("dining table", 0.4, (0, 0, 10, 10))
    d = task.Detection("cup", 0.3, (20, 20, 30, 30))
    assert task.suppress_duplicates([a, b, c, d]) == [a, c, d]


def test_a_model_with_the_custom_layers_saves_and_loads_safely(tmp_path):
    inputs = keras.Input((4, 4, 2))
    peaks = task.KeepPeaks()(task.UpsampleBilinearLegacy()(inputs))
    outputs = task.PeakBoxes(5)([peaks, keras.layers.Concatenate()([peaks, peaks])])
    model = keras.Model(inputs, outputs)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    x = np.random.default_rng(1).random((1, 4, 4, 2)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_preprocessing_stretches_to_the_model_input():
    x = task.photo_to_input(Image.new("RGB", (640, 480), (10, 20, 30)))
    assert x.shape == (task.SIDE, task.SIDE, 3) and x.dtype == np.float32 and x[0, 0].tolist() == [10, 20, 30]
