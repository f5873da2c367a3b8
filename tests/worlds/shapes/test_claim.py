import io

import numpy as np
import pytest
from PIL import Image

from app.config import ROOT
from app.worlds.shapes.claim import check_scene
from app.worlds.shapes.contract import PALETTE
from training.datasets.shapes import scenes as shapes

PHOTOS = sorted((ROOT / "static" / "photos").glob("*.jpg"))


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Image.open(buffer)


def test_the_generator_draws_with_the_world_checks_palette():
    assert shapes.COLORS is PALETTE


@pytest.mark.parametrize(("size", "quality"), [(32, None), (48, None), (128, None), (300, None), (128, 75), (128, 90), (300, 60)])
@pytest.mark.parametrize("antialias", [1, 4])
def test_scenes_rendered_any_way_are_shapes(size, antialias, quality):
    rng = np.random.default_rng(size + antialias)
    for i in range(8):
        scene = shapes.sample_scene(rng, n_objects=3 + i % 4, aspect=(1.0, 0.7)[i % 2])
        image = shapes.render(scene, size=size, antialias=antialias)
        image = _jpeg(image, quality) if quality else image
        checked = check_scene(image)
        assert checked.is_scene, checked


@pytest.mark.parametrize("path", PHOTOS, ids=lambda p: p.stem)
def test_photos_and_their_crops_are_photos(path):
    photo = Image.open(path)
    w, h = photo.size
    for variant in (
        photo,
        photo.crop((0, 0, w // 2, h // 2)),
        photo.crop((w // 4, h // 4, 3 * w // 4, 3 * h // 4)),
        photo.resize((64, 64)),
    ):
        assert check_scene(variant).is_scene is False


def test_flat_pictures():
    assert check_scene(Image.new("RGB", (100, 100), (255, 255, 255))).is_scene is False  # paper white
    assert check_scene(Image.new("RGB", (100, 100), (128, 128, 128))).is_scene is False
    assert check_scene(Image.new("RGB", (100, 100), (228, 228, 228))).is_scene  # an empty scene


def test_a_photo_on_scene_gray_is_a_photo():
    image = Image.new("RGB", (100, 100), (228, 228, 228))
    image.paste(Image.open(PHOTOS[0]).convert("RGB").resize((40, 40)), (30, 30))
    checked = check_scene(image)
    assert checked.is_scene is False and "palette" in checked.reason
