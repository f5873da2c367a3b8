import numpy as np
import pytest
from PIL import Image

from app.config import ROOT
from app.worlds.photo import classify as task
from app.worlds.photo import words as photo_words

LABELS = task.read_labels(ROOT / "models" / "photo_classifier")


def test_preprocessing_is_the_imagenet_centre_crop():
    image = Image.new("RGB", (512, 256), (255, 0, 127))
    image.paste((0, 0, 0), (0, 0, 100, 256))  # the left edge is cropped away
    x = task.photo_to_input(image)
    assert x.shape == (task.SIDE, task.SIDE, 3)
    np.testing.assert_allclose(x[0, 0], [(255 - 127) / 128, -127 / 128, 0.0])


@pytest.mark.parametrize("size", [(10, 3), (224, 224), (3000, 200)])
def test_any_size_gives_the_model_input(size):
    assert task.photo_to_pixels(Image.new("L", size)).shape == (task.SIDE, task.SIDE, 3)


def test_kinds_are_real_label_ranges_that_do_not_overlap():
    kinds = task.kind_indices(LABELS)
    assert set(kinds) == set(photo_words.KIND_RANGES)
    every = np.concatenate(list(kinds.values()))
    assert len(every) == len(set(every.tolist()))
    assert LABELS[kinds["cat"][0]] == "tabby" and len(kinds["dog"]) == 118


def test_every_category_and_word_names_a_kind():
    kinds = set(photo_words.KIND_RANGES)
    assert all(k in kinds for members in photo_words.CATEGORIES.values() for k in members)
    assert set(photo_words.KIND_NOUNS.values()) <= kinds


def test_room_classes_are_imagenet_labels():
    assert {c for names in photo_words.ROOM_CLASSES.values() for c in names} <= set(LABELS)
