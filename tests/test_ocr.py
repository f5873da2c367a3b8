"""Tesseract in this process and as a program: the same words and boxes from both,
variables kept per engine, and nothing at all (not an error) without it."""

from __future__ import annotations

import os
import threading

import pytest
from PIL import Image, ImageDraw, ImageFont

from app import ocr

needs_both = pytest.mark.skipif(
    not (ocr.in_process() and ocr.program()) and not os.environ.get("VQADEMO_REQUIRE_OCR"),
    reason="Tesseract's library and program are not both installed",
)


def _sign(text: str, inverted: bool = False) -> Image.Image:
    picture = Image.new("L", (520, 120), 0 if inverted else 255)
    font = ImageFont.load_default(size=44)
    ImageDraw.Draw(picture).text((20, 30), text, fill=255 if inverted else 0, font=font)
    return picture


def _words(tsv: str) -> list[tuple[str, ...]]:
    rows = [row.split("\t") for row in tsv.splitlines()[1:]]
    return [tuple(cells[6:10] + cells[11:]) for cells in rows if len(cells) == 12 and cells[11].strip()]


@needs_both
def test_the_library_and_the_program_read_the_same_words_in_the_same_boxes():
    picture = _sign("OPEN 24 HOURS")
    in_process, as_program = ocr.tsv(picture), ocr.tsv(picture, use_library=False)
    assert in_process.splitlines()[0] == as_program.splitlines()[0]  # the header the parsers skip
    assert _words(in_process) == _words(as_program)
    assert [w[-1] for w in _words(in_process)] == ["OPEN", "24", "HOURS"]


@needs_both
def test_variables_are_set_per_engine_and_not_carried_over():
    light_on_dark = _sign("EXIT", inverted=True)
    no_invert = (("tessedit_do_invert", "0"),)
    for use_library in (True, False):
        plain = _words(ocr.tsv(light_on_dark, use_library=use_library))
        without = _words(ocr.tsv(light_on_dark, variables=no_invert, use_library=use_library))
        again = _words(ocr.tsv(light_on_dark, use_library=use_library))
        assert plain != without  # the variable matters for this picture...
        assert plain == again and without == _words(
            ocr.tsv(light_on_dark, variables=no_invert, use_library=False)
        )  # ...and stays with its engine


@needs_both
def test_engines_are_reused_across_threads():
    picture = _sign("STOP")
    found: list[list[tuple[str, ...]]] = []
    threads = [threading.Thread(target=lambda: found.append(_words(ocr.tsv(picture)))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(found) == 6 and all(f == found[0] for f in found) and found[0][0][-1] == "STOP"
    assert len(ocr._engines._idle[()]) <= ocr.MAX_RUNNING  # at most one engine per slot


def test_without_tesseract_there_is_no_text(monkeypatch):
    monkeypatch.setattr(ocr, "in_process", lambda: False)
    monkeypatch.setattr(ocr, "program", lambda: None)
    assert ocr.tsv(_sign("STOP")) == "" and not ocr.available()
