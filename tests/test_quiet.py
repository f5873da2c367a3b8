"""The native start-up chatter filter: known TensorFlow noise dropped, the rest kept."""

import os

from app.quiet import native_noise_filtered


def test_known_noise_is_dropped_and_everything_else_passes(capfd):
    with native_noise_filtered():
        os.write(2, b"I0000 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.\n")
        os.write(2, b"model digits failed to load: OSError\n")
        os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n")
    assert capfd.readouterr().err == "model digits failed to load: OSError\n"


def test_the_setting_shows_them(capfd, monkeypatch):
    monkeypatch.setenv("VQADEMO_NATIVE_LOGS", "1")
    with native_noise_filtered():
        os.write(2, b"oneDNN custom operations are on\n")
    assert "oneDNN" in capfd.readouterr().err
