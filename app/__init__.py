"""The VQA demo service (`app.main:app`)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("vqa-demo")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+unknown"
