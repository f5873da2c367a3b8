import numpy as np
from PIL import Image

from app.tasks import vqa


def test_tokenize_ignores_case_and_punctuation():
    assert vqa.tokenize("Is there a BIG, red circle?!") == ["is", "there", "a", "big", "red", "circle"]


def test_encoder_pads_and_reports_unknown_words():
    encoder = vqa.QuestionEncoder(["is", "there", "a", "circle"], max_tokens=6)
    ids, unknown = encoder.encode("Is there a purple zebra circle?")
    assert ids.shape == (6,) and ids.dtype == np.int32
    assert unknown == ["purple", "zebra"]
    assert list(ids) == [2, 3, 4, 1, 1, 5]
    assert encoder.encode("")[0].sum() == 0


def test_letterbox_keeps_the_aspect_and_uses_the_border_colour():
    image = Image.new("RGB", (200, 100), (220, 220, 220))
    image.paste((200, 30, 30), (90, 40, 110, 60))  # a red square in the middle
    square = vqa.letterbox(image)
    assert square.size == (200, 200)
    pixels = np.asarray(square)
    assert tuple(pixels[5, 5]) == (220, 220, 220)  # padding in the border colour
    assert tuple(pixels[100, 100]) == (200, 30, 30)  # the square stays square, centred
    red = (pixels == (200, 30, 30)).all(axis=2)
    rows, cols = np.flatnonzero(red.any(axis=1)), np.flatnonzero(red.any(axis=0))
    assert len(rows) == len(cols) == 20


def test_image_to_array_gives_the_model_layout():
    array = vqa.image_to_array(Image.new("L", (30, 90), 128), side=48)
    assert array.shape == (48, 48, 3) and array.dtype == np.float32
    assert np.allclose(array, 128 / 255)
