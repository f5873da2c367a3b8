"""The committed MNIST autoencoder through the API: digits pass, non-digits are flagged."""

import numpy as np

from tests.conftest import png_bytes
from training.datasets import non_digits


def anomaly_rate(client, uploads: list[bytes]) -> float:
    flags = []
    for data in uploads:
        r = client.post("/api/autoencoder", files={"image": ("x.png", data, "image/png")})
        assert r.status_code == 200, r.text
        flags.append(r.json()["anomaly"])
    return float(np.mean(flags))


def test_committed_autoencoder_passes_mnist_digits(committed_client, mnist_test):
    x_test, _ = mnist_test
    flags = []
    for digit in x_test[:60]:
        body = committed_client.post("/api/autoencoder", json={"pixels": (digit / 255.0).round(4).tolist()}).json()
        assert 0 <= body["percentile"] <= 100
        flags.append(body["anomaly"])
    assert np.mean(flags) <= 0.05


def test_committed_autoencoder_flags_letters_and_scribbles(committed_client):
    """Uploads the evaluation kinds the card measures (letters in faces training never
    used, scribbles from another seed): most must come back `anomaly: true`."""
    letters = non_digits.letter_images()
    clear = [im for im, letter in zip(letters, non_digits.LETTERS * 6, strict=False) if letter in "AEFHKMNRTWXYkmtwx"]
    assert anomaly_rate(committed_client, [png_bytes(im) for im in clear[::2]]) >= 0.8
    scribbles = non_digits.scribble_images(np.random.default_rng(11), 30)
    assert anomaly_rate(committed_client, [png_bytes(im) for im in scribbles]) >= 0.75
