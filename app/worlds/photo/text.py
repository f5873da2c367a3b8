"""Photos, what text they show: the Tesseract OCR engine (`app.ocr`), when it is installed.

Without it, questions about text are out of scope and say so. Only words it is sure of
(`MIN_CONFIDENCE`) and that look like words are kept: on photos without text it reads
shadows as letters.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from app import ocr
from app.tasks.imaging import upload_box

MIN_CONFIDENCE = 80.0  # Tesseract's own 0-100 word confidence
MAX_SIDE = 1600  # a larger photo is shrunk first: more pixels cost time, not words (and OCR is bounded)


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in the image's pixels

    def as_dict(self, upload_scale: float = 1.0) -> dict:
        return {"text": self.text, "confidence": round(self.confidence / 100, 3), "box": upload_box(self.box, upload_scale)}


def available() -> bool:
    return ocr.available()


def looks_like_a_word(text: str) -> bool:
    letters = sum(ch.isalnum() for ch in text)
    return letters >= 2 and letters >= 0.6 * len(text)


def parse_tsv(tsv: str, scale: float) -> list[Word]:
    """Tesseract's TSV (one row per word: ... left top width height conf text)."""
    words = []
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) != 12 or not cells[11].strip():
            continue
        confidence, text = float(cells[10]), cells[11].strip()
        if confidence >= MIN_CONFIDENCE and looks_like_a_word(text):
            left, top, width, height = (int(v) / scale for v in cells[6:10])
            words.append(Word(text, confidence, (left, top, left + width, top + height)))
    return words


def read_text(image: Image.Image) -> list[Word]:
    """The words Tesseract is sure of, in reading order; blocks its thread (run it in one)."""
    if not ocr.available():
        return []
    gray = image.convert("L")
    scale = min(1.0, MAX_SIDE / max(gray.size))
    if scale < 1.0:
        gray = gray.resize((round(gray.width * scale), round(gray.height * scale)), Image.Resampling.BILINEAR)
    return parse_tsv(ocr.tsv(gray), scale)
