import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from app.tasks import photo_detect as task

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


def _output(cells=8):
    out = np.zeros((cells, cells, len(LABELS) + 4), "float32")
    out[2, 3, 1] = 0.8  # a cat centred at cell (row 2, col 3)
    out[2, 3, 3:] = [4, 2, 8, 6]  # left, top, right, bottom distances in input pixels
    out[5, 5, 0] = 0.1  # a weak person
    return out


def test_decode_turns_peaks_into_boxes_in_the_photos_pixels():
    found = task.decode(_output(), LABELS, size=(task.SIDE * 2, task.SIDE), min_score=0.2)
    assert len(found) == 1
    cat = found[0]
    x, y = 3 * task.STRIDE, 2 * task.STRIDE
    assert cat.label == "cat" and abs(cat.score - 0.8) < 1e-6
    assert cat.box == ((x - 4) * 2, y - 2, (x + 8) * 2, y + 6)  # x scaled by 2: the photo is twice as wide


def test_decode_with_a_low_threshold_returns_weaker_ones_after():
    found = task.decode(_output(), LABELS, size=(task.SIDE, task.SIDE), min_score=0.05)
    assert [d.label for d in found] == ["cat", "person"]


def test_duplicates_of_one_object_are_suppressed_but_other_classes_kept():
    a = task.Detection("cup", 0.5, (0, 0, 10, 10))
    b = task.Detection("cup", 0.4, (1, 1, 10, 10))
    c = task.Detection("dining table", 0.4, (0, 0, 10, 10))
    d = task.Detection("cup", 0.3, (20, 20, 30, 30))
    assert task.suppress_duplicates([a, b, c, d]) == [a, c, d]


def test_a_model_with_the_custom_layers_saves_and_loads_safely(tmp_path):
    inputs = keras.Input((4, 4, 2))
    outputs = task.KeepPeaks()(task.UpsampleBilinearLegacy()(inputs))
    model = keras.Model(inputs, outputs)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    x = np.random.default_rng(1).random((1, 4, 4, 2)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_preprocessing_stretches_to_the_model_input():
    x = task.photo_to_input(Image.new("RGB", (640, 480), (10, 20, 30)))
    assert x.shape == (task.SIDE, task.SIDE, 3) and x.dtype == np.float32 and x[0, 0].tolist() == [10, 20, 30]
