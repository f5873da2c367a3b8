import numpy as np
import pytest

from training.datasets.shapes.scenes import COLORS, SIZES, Scene, check_scene, render, sample_scene


@pytest.fixture(scope="module")
def scenes():
    rng = np.random.default_rng(0)
    return [sample_scene(rng) for _ in range(2000)]


def test_scenes_keep_the_contract(scenes):
    for scene in scenes:
        assert check_scene(scene) == []
    counts = {len(s.objects) for s in scenes}
    assert counts == {3, 4, 5, 6}
    assert {o.shape for s in scenes for o in s.objects} == {"circle", "square", "triangle"}
    assert {o.color for s in scenes for o in s.objects} == set(COLORS)


def test_the_checker_sees_a_broken_scene(scenes):
    scene = scenes[0]
    a, b = scene.objects[:2]
    overlapping = Scene(
        (a, b.__class__(b.shape, b.color, b.size, a.x, a.y, b.side, b.rgb), *scene.objects[2:]),
        scene.background,
        scene.noise_std,
        scene.seed,
    )
    assert any("too close" in p for p in check_scene(overlapping))


def test_same_seed_same_scene():
    a = sample_scene(np.random.default_rng(42))
    b = sample_scene(np.random.default_rng(42))
    assert a == b
    assert np.array_equal(np.asarray(render(a)), np.asarray(render(b)))


@pytest.mark.parametrize("size", [32, 64, 128, 300])
def test_renders_at_any_size_with_the_right_colours(scenes, size):
    scene = next(s for s in scenes if any(o.size == "large" and o.shape == "square" for o in s.objects))
    image = np.asarray(render(scene, size))
    assert image.shape == (size, size, 3)
    square = next(o for o in scene.objects if o.size == "large" and o.shape == "square")
    centre = image[int(square.y * size), int(square.x * size)].astype(int)
    assert np.abs(centre - np.array(square.rgb)).max() <= 3 * scene.noise_std + 2
    corner_free = [image[0, 0], image[-1, -1], image[0, -1], image[-1, 0]]
    assert any(np.abs(c.astype(int) - scene.background).max() <= 3 * scene.noise_std + 2 for c in corner_free)


def test_object_sizes_on_the_image(scenes):
    size = 200
    for scene in scenes[:50]:
        image = np.asarray(render(scene, size)).astype(int)
        for o in scene.objects:
            if o.shape != "square":
                continue
            row = image[int(o.y * size)]
            inked = np.abs(row - np.array(o.rgb)).max(axis=1) <= 3 * scene.noise_std + 2
            x0 = int(o.box[0] * size)
            width = inked[max(0, x0 - 2) : int(o.box[2] * size) + 3].sum()
            lo, hi = SIZES[o.size]
            assert lo * size - 2 <= width <= hi * size + 2


def test_antialiased_rendering_is_smoother(scenes):
    plain, smooth = np.asarray(render(scenes[1], 96)), np.asarray(render(scenes[1], 96, antialias=4))
    assert len(np.unique(smooth.reshape(-1, 3), axis=0)) > len(np.unique(plain.reshape(-1, 3), axis=0))


def test_json_round_trip(scenes):
    data = scenes[3].to_json(128, 3, "train", "train_000003.png")
    assert Scene.from_json(data) == scenes[3]
    for obj in data["objects"]:
        x, y, w, h = obj["bbox"]
        assert obj["pixel_coords"] == pytest.approx([x + w / 2, y + h / 2], abs=0.01)
