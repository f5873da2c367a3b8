"""Tesseract OCR (Debian's `tesseract-ocr` with `tesseract-ocr-eng`, Apache-2.0): its C API
in this process when `libtesseract.so.5` is installed, else the `tesseract` program.

Rules:
- In process, each engine is made once and kept: starting the program and loading
  its English model cost about 100 ms a call, as much as reading a chart's tick labels.
  An engine serves one call at a time; calls with other variables get their own engines.
- At most `MAX_RUNNING` reads at once, either way, so OCR never takes every core.
- One thread per read (`OMP_THREAD_LIMIT=1` unless set otherwise): Tesseract's OpenMP
  threads spin against each other and the models on a small machine, and a legend that
  takes 30 ms alone took 300 ms with them. Parallelism comes from `MAX_RUNNING` reads.
- Both ways give the same TSV for the same gray picture (a test pins it): the same
  page segmentation mode and variables, Tesseract's own resolution estimate, and the
  program's header line.
- The program is stopped after `TIMEOUT_S`; the library cannot be, so every caller
  shrinks its picture to a bounded size first (photos `MAX_SIDE`, charts 1,400 wide).
"""

from __future__ import annotations

import atexit
import ctypes
import io
import os
import shutil
import subprocess
import threading
from collections import defaultdict
from functools import cache

from PIL import Image

TIMEOUT_S = 5.0
MAX_RUNNING = 2
LIBRARY = "libtesseract.so.5"
OMP_LIMIT = "OMP_THREAD_LIMIT"
TSV_HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
_slots = threading.BoundedSemaphore(MAX_RUNNING)

Variables = tuple[tuple[str, str], ...]  # Tesseract's `-c name=value` settings, hashable


@cache
def program() -> str | None:
    return shutil.which("tesseract")


@cache
def library() -> ctypes.CDLL | None:
    """Tesseract's C API with its signatures declared, or None without it."""
    os.environ.setdefault(OMP_LIMIT, "1")  # read once, when OpenMP's runtime loads with the library
    try:
        lib = ctypes.CDLL(LIBRARY)
    except OSError:
        return None
    handle, text = ctypes.c_void_p, ctypes.c_char_p
    signatures = {
        "TessBaseAPICreate": ([], handle),
        "TessBaseAPIInit3": ([handle, text, text], ctypes.c_int),
        "TessBaseAPISetVariable": ([handle, text, text], ctypes.c_int),
        "TessBaseAPISetPageSegMode": ([handle, ctypes.c_int], None),
        "TessBaseAPISetImage": ([handle, text, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int], None),
        "TessBaseAPIGetTsvText": ([handle, ctypes.c_int], ctypes.c_void_p),  # freed with TessDeleteText
        "TessDeleteText": ([ctypes.c_void_p], None),
        "TessBaseAPIDelete": ([handle], None),
    }
    for name, (arguments, result) in signatures.items():
        function = getattr(lib, name)
        function.argtypes, function.restype = arguments, result
    return lib


class Engines:
    """Initialised engines, kept by the variables they were made with."""

    def __init__(self) -> None:
        self._idle: defaultdict[Variables, list[int]] = defaultdict(list)
        self._made: list[int] = []
        self._lock = threading.Lock()

    def take(self, variables: Variables) -> int | None:
        with self._lock:
            if self._idle[variables]:
                return self._idle[variables].pop()
        lib = library()
        if lib is None:
            return None
        engine = lib.TessBaseAPICreate()
        if lib.TessBaseAPIInit3(engine, None, b"eng") != 0:  # no English model installed
            lib.TessBaseAPIDelete(engine)
            return None
        lib.TessBaseAPISetVariable(engine, b"debug_file", b"/dev/null")  # its notes would fill the server's log
        for name, value in variables:
            lib.TessBaseAPISetVariable(engine, name.encode(), value.encode())
        with self._lock:
            self._made.append(engine)
        return engine

    def give_back(self, variables: Variables, engine: int) -> None:
        with self._lock:
            self._idle[variables].append(engine)

    def close(self) -> None:
        lib = library()
        with self._lock:
            for engine in self._made:
                lib.TessBaseAPIDelete(engine)  # type: ignore[union-attr]
            self._made.clear()
            self._idle.clear()


_engines = Engines()
atexit.register(_engines.close)


@cache
def in_process() -> bool:
    """Whether the library loads and its English model initialises."""
    engine = _engines.take(())
    if engine is None:
        return False
    _engines.give_back((), engine)
    return True


def available() -> bool:
    return in_process() or program() is not None


def tsv(gray: Image.Image, page_mode: int = 11, variables: Variables = (), use_library: bool = True) -> str:
    """Tesseract's TSV for a gray picture ("" without Tesseract); blocks its thread.
    Sparse text (page segmentation mode 11) by default: signs and labels are scattered,
    not a page. `use_library=False` runs the program even when the library is there."""
    gray = gray if gray.mode == "L" else gray.convert("L")
    with _slots:
        if use_library and in_process():
            return _library_tsv(gray, page_mode, variables)
        return _program_tsv(gray, page_mode, variables)


def _library_tsv(gray: Image.Image, page_mode: int, variables: Variables) -> str:
    lib, engine = library(), _engines.take(variables)
    if lib is None or engine is None:
        return _program_tsv(gray, page_mode, variables)
    try:
        lib.TessBaseAPISetPageSegMode(engine, page_mode)
        lib.TessBaseAPISetImage(engine, gray.tobytes(), gray.width, gray.height, 1, gray.width)
        found = lib.TessBaseAPIGetTsvText(engine, 0)
        if not found:
            return ""
        try:
            return TSV_HEADER + ctypes.string_at(found).decode("utf-8", "replace")
        finally:
            lib.TessDeleteText(found)
    finally:
        _engines.give_back(variables, engine)


def _program_tsv(gray: Image.Image, page_mode: int, variables: Variables) -> str:
    path = program()
    if path is None:
        return ""
    buffer = io.BytesIO()
    gray.save(buffer, "PNG")
    settings = [part for name, value in variables for part in ("-c", f"{name}={value}")]
    try:
        done = subprocess.run(
            [path, "stdin", "stdout", "--psm", str(page_mode), *settings, "tsv"],
            input=buffer.getvalue(),
            capture_output=True,
            timeout=TIMEOUT_S,
            env=os.environ | {OMP_LIMIT: os.environ.get(OMP_LIMIT, "1")},
        )
    except subprocess.TimeoutExpired:
        return ""
    return done.stdout.decode("utf-8", "replace")
