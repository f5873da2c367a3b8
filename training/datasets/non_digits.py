"""Pictures that are not handwritten digits, for the autoencoder's anomaly score.

Three disjoint sets, so the score is measured on things it never trained against, and
training picks its checkpoint on things the score is not measured on:

* `evaluation_set`: what the card's "flagged" rates are measured on: A-Z and a-z in six
  DejaVu faces, random pen scribbles and noise, drawn from the run's seed.
* `validation_set`: what training keeps its best checkpoint on: A-Z and a-z in the
  other six DejaVu faces, and scribbles from a seed of their own.
* `outlier_examples`: what `autoencoder` is taught to rebuild badly (outlier exposure,
  Hendrycks et al. 2019): letters and symbols in the STIX and Computer Modern faces
  (never DejaVu), distorted; the same drawn with a round pen along the strokes of
  Hershey's vector fonts, as a hand would draw them on the page; and pen strokes.

And two ways of writing real digits that are not MNIST's, to check the score does not
flag them: `font_digits` (0-9 in the evaluation faces) and `pen_digits` (MNIST digits
retraced with the page's round pen). Every picture goes through the serving
preprocessing (`image_to_mnist`), as an upload would.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from app.tasks.digits import NoInkError, image_to_mnist

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SYMBOLS = "#$%&@?!*+=<>{}[]()/\\~^"
# Faces shipped with matplotlib; the evaluation's DejaVu faces are not among them.
TRAINING_FACES = (
    "STIXGeneral.ttf",
    "STIXGeneralBol.ttf",
    "STIXGeneralBolIta.ttf",
    "STIXGeneralItalic.ttf",
    "cmr10.ttf",
    "cmss10.ttf",
    "cmtt10.ttf",
    "cmb10.ttf",
    "cmti10.ttf",
)
# Hershey's stroke fonts (the Hershey-Fonts package), drawn with a round pen. Left out:
# faces whose glyphs are digits or bars (Cyrillic's Ze is a 3, the math faces' parentheses
# are 1s), and glyphs that a pen draws as a digit (l and I are 1s, O and o are 0s).
PEN_FACES = (
    "futural",
    "futuram",
    "rowmans",
    "rowmand",
    "timesr",
    "timesi",
    "timesrb",
    "scripts",
    "scriptc",
    "cursive",
    "greek",
    "timesg",
    "gothiceng",
)
PEN_GLYPHS = "".join(g for g in LETTERS + SYMBOLS if g not in "IlOo/\\()[]!")
PAGE_PEN_WIDTH = 22  # static/app.js draws on a 280 x 280 canvas with this round pen


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _dejavu_faces() -> list[Path]:
    return [f for f in sorted(_font_dir().glob("DejaVu*.ttf")) if "Display" not in f.name]


def evaluation_faces() -> list[Path]:
    return _dejavu_faces()[:6]


def validation_faces() -> list[Path]:
    return _dejavu_faces()[6:]


def _fonts(faces: list[Path], size: int) -> list[ImageFont.FreeTypeFont]:
    """The faces at the size a glyph fills 60 % of a `size` x `size` canvas."""
    return [ImageFont.truetype(str(path), int(size * 0.6)) for path in faces]


def _text_image(text: str, font: ImageFont.FreeTypeFont, size: int) -> Image.Image:
    image = Image.new("L", (size, size), 255)
    ImageDraw.Draw(image).text((size / 2, size / 2), text, fill=0, font=font, anchor="mm")
    return image


def _to_mnist(images: list[Image.Image]) -> np.ndarray:
    return np.stack([image_to_mnist(im) for im in images]).astype(np.float32)


def _inked(image: Image.Image) -> np.ndarray | None:
    try:
        return image_to_mnist(image)
    except NoInkError:  # a thin glyph (~, ^) thinned away
        return None


# ----------------------------------------------------------------------------------
# The evaluation set
# ----------------------------------------------------------------------------------


def letter_images(size: int = 280, faces: list[Path] | None = None) -> list[Image.Image]:
    """A-Z and a-z in six DejaVu faces (the evaluation's unless `faces`), dark on white."""
    return [_text_image(letter, font, size) for font in _fonts(faces or evaluation_faces(), size) for letter in LETTERS]


def scribble_images(rng: np.random.Generator, n: int, size: int = 280) -> list[Image.Image]:
    """Random pen strokes: 4-10 points joined by a thick line."""
    images = []
    for _ in range(n):
        image = Image.new("L", (size, size), 255)
        points = [tuple(map(float, rng.uniform(0.1, 0.9, 2) * size)) for _ in range(int(rng.integers(4, 11)))]
        ImageDraw.Draw(image).line(points, fill=0, width=int(rng.integers(10, 24)), joint="curve")
        images.append(image)
    return images


def noise_images(rng: np.random.Generator, n: int, size: int = 280) -> list[Image.Image]:
    """Uniform noise, and blobs of it on white paper."""
    images = []
    for i in range(n):
        pixels = rng.integers(0, 256, (size, size), dtype=np.uint8)
        if i % 2:
            paper = np.full((size, size), 255, np.uint8)
            x0, y0 = rng.integers(0, size // 2, 2)
            paper[y0 : y0 + size // 2, x0 : x0 + size // 2] = pixels[: size // 2, : size // 2]
            pixels = paper
        images.append(Image.fromarray(pixels))
    return images


def evaluation_set(rng: np.random.Generator, n_each: int) -> dict[str, np.ndarray]:
    """Each kind as [N, 28, 28] in 0..1, through the serving preprocessing."""
    return {
        "letters": _to_mnist(letter_images()),
        "scribbles": _to_mnist(scribble_images(rng, n_each)),
        "noise": _to_mnist(noise_images(rng, n_each)),
    }


def validation_set(rng: np.random.Generator, n_scribbles: int) -> dict[str, np.ndarray]:
    """Letters in the six DejaVu faces the evaluation leaves out, and scribbles (give
    it a generator of its own): what training selects its checkpoint on. Noise is left
    out: every model flags all of it."""
    return {
        "letters": _to_mnist(letter_images(faces=validation_faces())),
        "scribbles": _to_mnist(scribble_images(rng, n_scribbles)),
    }


# ----------------------------------------------------------------------------------
# Outlier exposure: what training pushes away
# ----------------------------------------------------------------------------------


def glyph_image(rng: np.random.Generator, font_path: Path, glyph: str, size: int = 112) -> Image.Image:
    """One glyph at a random size, stroke weight, slant and tilt."""
    font = ImageFont.truetype(str(font_path), int(size * rng.uniform(0.35, 0.7)))
    image = _text_image(glyph, font, size)
    weight = int(rng.choice([-3, 0, 0, 3, 3, 5]))  # dark ink: MinFilter thickens, MaxFilter thins
    if weight:
        image = image.filter(ImageFilter.MinFilter(weight) if weight > 0 else ImageFilter.MaxFilter(-weight))
    shear = float(rng.uniform(-0.3, 0.3))
    image = image.transform(image.size, Image.Transform.AFFINE, (1, shear, -shear * size / 2, 0, 1, 0), fillcolor=255)
    return image.rotate(float(rng.uniform(-15, 15)), fillcolor=255)


@cache
def _hershey_face(name: str):
    from HersheyFonts import HersheyFonts

    face = HersheyFonts()
    face.load_default_font(name)
    face.normalize_rendering(100)
    return face


def pen_glyph_image(rng: np.random.Generator, face: str, glyph: str, size: int = 112) -> Image.Image:
    """One Hershey glyph drawn with a round pen at a random size, pen width, slant and
    tilt: a letter as a hand draws it, which no outline font looks like."""
    segments = np.array(list(_hershey_face(face).lines_for_text(glyph)), np.float64).reshape(-1, 2, 2)
    image = Image.new("L", (size, size), 255)
    if not len(segments):  # a glyph the face lacks: blank, dropped by `_inked`
        return image
    segments[..., 1] *= -1  # Hershey's y grows upwards
    lo, hi = segments.reshape(-1, 2).min(axis=0), segments.reshape(-1, 2).max(axis=0)
    height = size * rng.uniform(0.45, 0.75)
    shear, angle = rng.uniform(-0.3, 0.3), np.deg2rad(rng.uniform(-15, 15))
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    warp = np.array([[1.0, shear], [0.0, 1.0]]) @ turn
    points = (segments - (lo + hi) / 2) / max(float((hi - lo).max()), 1e-6) * height @ warp.T + size / 2
    width = max(2, round(height * rng.uniform(0.07, 0.16)))
    draw = ImageDraw.Draw(image)
    for (x1, y1), (x2, y2) in points:
        draw.line((x1, y1, x2, y2), fill=0, width=width)
        for x, y in ((x1, y1), (x2, y2)):  # round caps and joins
            draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=0)
    return image


def pen_strokes(rng: np.random.Generator, size: int = 112) -> Image.Image:
    """One or two random polylines, thin to thick."""
    image = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(1, 3))):
        points = [tuple(map(float, rng.uniform(0.1, 0.9, 2) * size)) for _ in range(int(rng.integers(3, 12)))]
        draw.line(points, fill=0, width=int(rng.integers(2, 11)), joint="curve")
    return image


def outlier_examples(rng: np.random.Generator, glyph_rounds: int, n_strokes: int, pen_rounds: int = 0) -> np.ndarray:
    """[N, 28, 28] training outliers: every training glyph `glyph_rounds` times (less
    the few that distortion erased), every pen glyph `pen_rounds` times, then
    `n_strokes` pen-stroke pictures."""
    faces = [_font_dir() / name for name in TRAINING_FACES]
    images = [glyph_image(rng, face, glyph) for _ in range(glyph_rounds) for face in faces for glyph in LETTERS + SYMBOLS]
    images += [pen_glyph_image(rng, face, glyph) for _ in range(pen_rounds) for face in PEN_FACES for glyph in PEN_GLYPHS]
    images += [pen_strokes(rng) for _ in range(n_strokes)]
    return np.stack([x for x in map(_inked, images) if x is not None]).astype(np.float32)


# ----------------------------------------------------------------------------------
# Digits written unlike MNIST
# ----------------------------------------------------------------------------------


def font_digits(size: int = 280) -> np.ndarray:
    """0-9 in the six evaluation faces."""
    return _to_mnist([_text_image(str(d), font, size) for font in _fonts(evaluation_faces(), size) for d in range(10)])


def pen_digits(digits: np.ndarray, canvas: int = 280) -> np.ndarray:
    """MNIST digits (uint8 [N, 28, 28]) thinned to their skeleton and retraced with the
    page's round pen on a white canvas: what drawing on the page looks like."""
    from skimage.morphology import skeletonize

    scale = canvas / 28
    images = []
    for digit in digits:
        ys, xs = np.nonzero(skeletonize(digit > 127))
        points = {(int(y), int(x)) for y, x in zip(ys, xs, strict=False)}
        image = Image.new("L", (canvas, canvas), 255)
        draw = ImageDraw.Draw(image)
        r = PAGE_PEN_WIDTH / 2
        for y, x in points:
            cx, cy = (x + 0.5) * scale, (y + 0.5) * scale
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=0)
            for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):  # join 8-connected neighbours
                if (y + dy, x + dx) in points:
                    draw.line((cx, cy, cx + dx * scale, cy + dy * scale), fill=0, width=PAGE_PEN_WIDTH)
        images.append(image)
    return _to_mnist(images)
