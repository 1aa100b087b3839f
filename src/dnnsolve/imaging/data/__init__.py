"""Small CC0 / public-domain example images shipped with dnnsolve (taken from scikit-image).

``EXAMPLES`` maps each name to its provenance and licence; :func:`example_image` gives the path.
"""

from __future__ import annotations

from pathlib import Path

from dnnsolve.core.errors import InputError

_HERE = Path(__file__).resolve().parent

EXAMPLES: dict[str, str] = {
    "camera": (
        "512x512 gray; skimage.data.camera() (scikit-image >= 0.18), photo by Lav Varshney, "
        "CC0 (see scikit-image issue #3927); stored unchanged"
    ),
    "astronaut": (
        "256x256 RGB; skimage.data.astronaut(), Eileen Collins, NASA Great Images database, "
        "public domain (no known copyright restrictions); resized from 512x512 (bicubic, "
        "anti-aliased)"
    ),
    "coffee": (
        "256x256 RGB; skimage.data.coffee(), photo by Rachel Michetti courtesy of Pikolo Espresso "
        "Bar, CC0; centre 400x400 crop resized (bicubic, anti-aliased)"
    ),
    "chelsea": (
        "256x256 RGB; skimage.data.chelsea(), Chelsea the cat, photo by Stefan van der Walt, CC0; "
        "centre 300x300 crop resized (bicubic, anti-aliased)"
    ),
}


def example_image(name: str) -> Path:
    """Path of the bundled example image ``name`` (a key of :data:`EXAMPLES`), a PNG file.

    >>> example_image("camera").name
    'camera.png'
    >>> sorted(EXAMPLES)
    ['astronaut', 'camera', 'chelsea', 'coffee']
    """
    if name not in EXAMPLES:
        raise InputError(f"unknown example image {name!r}; choose one of {', '.join(EXAMPLES)}")
    return _HERE / f"{name}.png"
