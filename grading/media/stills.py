"""A still image (a frame grab, a photograph) read as display-referred pixels, with Pillow.

The file's code values are taken as display-referred Rec.709 R'G'B' (an sRGB file shares the
primaries; its slightly different curve is not converted, as an NLE does with a still on a
Rec.709 timeline). Any format Pillow reads: 8-bit, 16-bit greyscale, float; alpha is dropped,
greyscale repeated on the three channels.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from cinegrade.errors import InputError

#: Widest still kept (larger ones are reduced with a box filter: a look reads distributions).
STILL_WIDTH = 1024


def read_still(path: str | os.PathLike, width: int = STILL_WIDTH) -> np.ndarray:
    """The image at ``path`` as float32 (H, W, 3) display-referred R'G'B' in [0, 1], reduced
    (box filter) to at most ``width`` pixels wide. :class:`InputError` naming the file for a
    missing, unreadable or empty image, or one too large to be safe to decode (Pillow's
    decompression-bomb limit)."""
    from PIL import Image

    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image.load()
                rgb = _rgb(image)
    except FileNotFoundError:
        raise InputError("no such image file", path) from None
    except IsADirectoryError:
        raise InputError("is a folder, not an image file", path) from None
    except Exception as error:  # noqa: BLE001 - Pillow raises many types for bad files
        reason = " ".join(str(error).split()) or type(error).__name__
        raise InputError(f"cannot read the image ({reason})", path) from None
    if rgb.size == 0:
        raise InputError("the image is empty", path)
    height, full_width = rgb.shape[:2]
    if full_width > width:
        size = (width, max(1, round(height * width / full_width)))
        rgb = np.stack([np.asarray(Image.fromarray(rgb[..., c], mode="F").resize(size, Image.Resampling.BOX))
                        for c in range(3)], axis=-1)
    return np.clip(rgb, 0.0, 1.0).astype(np.float32, copy=False)


def _rgb(image) -> np.ndarray:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        values = np.asarray(image, dtype=np.float32) / 65535.0
        return np.repeat(values[..., None], 3, axis=2)
    if image.mode == "F":
        return np.repeat(np.asarray(image, dtype=np.float32)[..., None], 3, axis=2)
    return np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
