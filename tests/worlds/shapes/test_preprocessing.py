import numpy as np
from PIL import Image

from app.worlds.shapes import preprocessing as vqa


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


def test_pixels_and_array_are_one_path():
    image = Image.new("RGB", (120, 80), (225, 225, 225))
    pixels = vqa.image_to_pixels(image, side=32)
    assert pixels.dtype == np.uint8 and pixels.shape == (32, 32, 3)
    assert np.array_equal(vqa.pixels_to_input(pixels), vqa.image_to_array(image, side=32))


def test_top_answers_are_sorted_and_cut_at_k():
    labels = ["yes", "no", "red"]
    answers = vqa.top_answers(np.array([0.2, 0.7, 0.1], np.float32), labels, k=2)
    assert [a["answer"] for a in answers] == ["no", "yes"]
    assert answers[0]["probability"] == 0.7 or abs(answers[0]["probability"] - 0.7) < 1e-6


def test_occlusion_covers_each_patch_with_the_background():
    pixels = np.full((32, 32, 3), 230, np.uint8)
    pixels[0:8, 0:8] = (200, 30, 30)  # an object in the top-left corner
    copies = vqa.occluded_copies(pixels, patch=8, stride=8)
    assert copies.shape == (16, 32, 32, 3)
    assert (copies[0, 0:8, 0:8] == 230).all()  # the first patch hides the object
    assert (copies[1, 0:8, 0:8] == (200, 30, 30)).all()


def test_occlusion_map_peaks_where_the_answer_drops():
    drops = np.full(16, 0.9, np.float32)
    drops[0] = 0.1  # covering the top-left patch changes the answer
    heat = vqa.occlusion_map(0.9, drops, side=32, patch=8, stride=8)
    assert heat.shape == (32, 32) and heat.max() == 1.0
    assert heat[2, 2] == 1.0 and heat[30, 30] < 1e-6
    assert vqa.occlusion_map(0.9, np.full(16, 0.95), side=32, patch=8, stride=8).max() == 0.0  # no drop anywhere
    overlay = vqa.heatmap_image(heat)
    assert overlay.mode == "RGBA" and overlay.size == (32, 32)


def test_reconstruction_error_is_per_image():
    x = np.zeros((2, 4, 4, 3), np.float32)
    rebuilt = x.copy()
    rebuilt[1] = 0.5
    assert np.allclose(vqa.reconstruction_error(x, rebuilt), [0.0, 0.25])


def test_letterbox_of_a_sliver_stays_small():
    square = vqa.letterbox(Image.new("RGB", (16_000, 2), (10, 200, 10)))
    assert square.size == (vqa.LETTERBOX_MAX_SIDE, vqa.LETTERBOX_MAX_SIDE)
    assert vqa.image_to_pixels(Image.new("RGB", (1, 9_000), 0)).shape == (64, 64, 3)
