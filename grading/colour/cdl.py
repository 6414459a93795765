"""The ASC Color Decision List (CDL) v1.2: slope, offset, power per channel, then saturation.

Reference: American Society of Cinematographers Technology Committee, "ASC Color Decision List
(ASC CDL) Transfer Functions and Interchange Syntax", ASC-CDL_Release1.2 (2009), sections on the
SOP and SAT functions. The maths, per channel, on values the spec calls "normalised" (here:
display-referred Rec.709 code values in [0, 1]):

    sop  = clamp(in * slope + offset) ** power        clamp to [0, 1]
    luma = 0.2126 R + 0.7152 G + 0.0722 B             Rec.709 weights (ITU-R BT.709-6 item 3.2)
    out  = clamp(luma + sat * (sop - luma))

This is OpenColorIO's ``CDLTransform`` with style ``CDL_ASC``. OpenColorIO's default style,
``CDL_NO_CLAMP`` (also what it uses when it reads .cc/.ccc/.cdl files), clamps nothing; it is
available as ``apply_cdl(..., clamp=False)``. The file formats live in
:mod:`cinegrade.media.cdl_files`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cinegrade.colour.encodings import REC709_LUMA_WEIGHTS  # as ASC CDL v1.2 prescribes
from cinegrade.errors import InputError

Triple = tuple[float, float, float]


@dataclass(frozen=True)
class CDL:
    """One ASC CDL: three slopes, offsets and powers (R, G, B) and one saturation.

    The spec's ranges are enforced (slope >= 0, power > 0, saturation >= 0, all finite), as
    OpenColorIO enforces them, so every CDL that exists here can be written and read back by any
    grading system. Invalid values raise :class:`InputError` (the values usually come from a file
    or an option; readers add the file and line). Values are stored as float tuples.

    >>> CDL(slope=(1, 1, 1)).is_identity
    True
    >>> CDL(power=(0.0, 1.0, 1.0))
    Traceback (most recent call last):
    ...
    cinegrade.errors.InputError: CDL power 0 1 1 must be greater than 0 (ASC CDL v1.2)
    """

    slope: Triple = (1.0, 1.0, 1.0)
    offset: Triple = (0.0, 0.0, 0.0)
    power: Triple = (1.0, 1.0, 1.0)
    saturation: float = 1.0

    def __post_init__(self) -> None:
        for name in ("slope", "offset", "power"):
            values = tuple(float(v) for v in getattr(self, name))
            if len(values) != 3:
                raise InputError(f"CDL {name} needs 3 values (R G B), got {len(values)}")
            if not all(math.isfinite(v) for v in values):
                raise InputError(f"CDL {name} {_format(values)} is not finite")
            object.__setattr__(self, name, values)
        object.__setattr__(self, "saturation", float(self.saturation))
        if not math.isfinite(self.saturation):
            raise InputError(f"CDL saturation {self.saturation} is not finite")
        if min(self.slope) < 0:
            raise InputError(f"CDL slope {_format(self.slope)} must not be negative (ASC CDL v1.2)")
        if min(self.power) <= 0:
            raise InputError(f"CDL power {_format(self.power)} must be greater than 0 (ASC CDL v1.2)")
        if self.saturation < 0:
            raise InputError(f"CDL saturation {self.saturation:g} must not be negative (ASC CDL v1.2)")

    @property
    def is_identity(self) -> bool:
        """True when the CDL leaves every value in [0, 1] unchanged.

        >>> CDL(saturation=0.9).is_identity
        False
        """
        return self == CDL()


def apply_cdl(rgb: np.ndarray, cdl: CDL, *, clamp: bool = True) -> np.ndarray:
    """Apply ``cdl`` to display-referred Rec.709 R'G'B' (..., 3) (float, last axis R, G, B), per
    ASC CDL v1.2; the same shape back. ``ValueError`` when the last axis is not 3.

    With ``clamp`` (the spec, OpenColorIO's ``CDL_ASC``) the SOP result is clamped to [0, 1]
    before the power and the output after saturation, so the result is in [0, 1]. Without it
    (OpenColorIO's ``CDL_NO_CLAMP``, what its FileTransform uses for .cc/.ccc/.cdl files, meant for
    scene-linear or log data) nothing is clamped and negative values skip the power. Computed in
    float64; returns float32 for float32 input, else float64.

    >>> apply_cdl(np.array([0.5, 0.5, 0.5]), CDL(slope=(1.2, 1.0, 0.8), saturation=0.5))
    array([ 0.55702,  0.50702,  0.45702])
    >>> apply_cdl(np.array([0.9, 0.5, 0.1]), CDL(offset=(0.2, 0.0, -0.2)))  # clamped
    array([ 1. ,  0.5,  0. ])
    """
    rgb = np.asarray(rgb)
    if rgb.shape[-1:] != (3,):
        raise ValueError(f"apply_cdl needs RGB in the last axis, got shape {rgb.shape}")
    out_dtype = np.float32 if rgb.dtype == np.float32 else np.float64
    sop = rgb.astype(np.float64) * cdl.slope + cdl.offset
    if clamp:
        sop = np.clip(sop, 0.0, 1.0) ** cdl.power
    else:
        sop = np.where(sop >= 0, np.abs(sop) ** cdl.power, sop)
    luma = sop @ np.asarray(REC709_LUMA_WEIGHTS)
    out = luma[..., None] + cdl.saturation * (sop - luma[..., None])
    if clamp:
        out = np.clip(out, 0.0, 1.0)
    return out.astype(out_dtype, copy=False)


def _format(values: Triple) -> str:
    return " ".join(f"{v:g}" for v in values)
