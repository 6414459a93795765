"""Chromatic adaptation in CAT02 cone space: the one definition of white balance (no I/O).

A white balance is a von Kries transform: per-channel gains of the CAT02 "sharpened cone"
responses LMS (CIE 159:2004), applied to linear Rec.709 RGB as
``LMS_TO_RGB @ diag(gains) @ RGB_TO_LMS``. In this space a change of illuminant is (nearly) a
gain per channel, so estimates made in it move exactly with a drift. The matrices come from
colour-science (``colour.adaptation.CAT_CAT02``, ``RGB_COLOURSPACE_BT709``); CCT from chromaticity
by Ohno (2013), the CIE daylight locus from CCT by CIE 015:2018.

References: CIE 159:2004, "A colour appearance model for colour management systems: CIECAM02";
Ohno, Y. (2014), "Practical use and calculation of CCT and Duv", LEUKOS 10(1); CIE 015:2018,
"Colorimetry", 4th edition (daylight locus).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import colour
import numpy as np

_BT709 = colour.models.RGB_COLOURSPACE_BT709
#: CIE 1931 xy of D65, the Rec.709 white.
D65_XY = np.asarray(_BT709.whitepoint, dtype=np.float64)
#: Correlated colour temperature (K) of D65: the neutral white balance.
NEUTRAL_CCT = 6504.0
#: Linear Rec.709 RGB → CAT02 LMS, (3, 3) float64.
RGB_TO_LMS = colour.adaptation.CAT_CAT02 @ _BT709.matrix_RGB_to_XYZ
#: CAT02 LMS → linear Rec.709 RGB.
LMS_TO_RGB = np.linalg.inv(RGB_TO_LMS)
#: CAT02 LMS → CIE XYZ.
LMS_TO_XYZ = np.linalg.inv(colour.adaptation.CAT_CAT02)


def lms_of_xy(xy: Sequence[float]) -> np.ndarray:
    """CAT02 LMS (3,), float64, of the CIE 1931 chromaticity ``xy`` (2,) at luminance Y = 1.

    >>> lms_of_xy(D65_XY).round(4)
    array([ 0.9492,  1.0354,  1.0874])
    """
    return colour.adaptation.CAT_CAT02 @ colour.xy_to_XYZ(np.asarray(xy, dtype=np.float64))


#: CAT02 LMS of D65 at luminance 1: the white a balanced Rec.709 shot's neutrals show.
WHITE_LMS = lms_of_xy(D65_XY)


def luminance_of_lms(lms: np.ndarray) -> float:
    """Luminance Y of CAT02 LMS (3,).

    >>> round(luminance_of_lms(WHITE_LMS), 6)
    1.0
    """
    return float(LMS_TO_XYZ[1] @ np.asarray(lms, dtype=np.float64))


def xy_of_lms(lms: np.ndarray) -> np.ndarray:
    """CIE 1931 xy (..., 2), float64, of CAT02 LMS (..., 3).

    >>> xy_of_lms(WHITE_LMS).round(4)
    array([ 0.3127,  0.329 ])
    """
    return colour.XYZ_to_xy(np.asarray(lms, dtype=np.float64) @ LMS_TO_XYZ.T)


def mired_of_lms(lms: np.ndarray) -> float:
    """Reciprocal colour temperature (mired = 10⁶ / CCT in K, Ohno 2013) of the colour whose
    CAT02 response is ``lms`` (3,).

    >>> round(mired_of_lms(WHITE_LMS), 1)
    153.7
    """
    uv = colour.xy_to_UCS_uv(xy_of_lms(lms))
    with colour.utilities.suppress_warnings(colour_runtime_warnings=True):
        cct, _ = colour.temperature.uv_to_CCT_Ohno2013(uv)
    return 1e6 / float(cct)


def von_kries_matrix(gains: Sequence[float]) -> np.ndarray:
    """(3, 3) float64 matrix on linear Rec.709 RGB that multiplies the CAT02 responses by
    ``gains`` (3,): ``LMS_TO_RGB @ diag(gains) @ RGB_TO_LMS`` (von Kries; CIE 159:2004).

    >>> bool(np.allclose(von_kries_matrix([1.0, 1.0, 1.0]), np.eye(3)))
    True
    """
    return LMS_TO_RGB @ np.diag(np.asarray(gains, dtype=np.float64)) @ RGB_TO_LMS


@functools.lru_cache(maxsize=64)
def white_balance_matrix(cct: float) -> np.ndarray:
    """(3, 3) float32 matrix on linear Rec.709 RGB that moves D65 (the Rec.709 white) to CIE
    daylight at ``cct`` K by the von Kries transform in CAT02 cone space (colour-science's
    ``matrix_chromatic_adaptation_VonKries``), keeping the white's luminance Y = 1.

    ``cct`` should lie on the CIE daylight locus's domain, 4000-25000 K (CIE 015:2018); outside
    it colour-science only warns (``ColourUsageWarning``) and extrapolates. The daylight at
    :data:`NEUTRAL_CCT` is D65 only to about 1e-3, so this is not exactly the identity there.
    The matrix is cached: do not modify it in place.

    >>> (white_balance_matrix(4000.0) @ np.ones(3, np.float32)).round(3)  # D65 white, warmed
    array([ 1.388,  0.936,  0.496], dtype=float32)
    """
    source = colour.xy_to_XYZ(D65_XY)
    target = colour.xy_to_XYZ(colour.temperature.CCT_to_xy_CIE_D(cct))
    cat = colour.adaptation.matrix_chromatic_adaptation_VonKries(source, target, transform="CAT02")
    matrix = (_BT709.matrix_XYZ_to_RGB @ cat @ _BT709.matrix_RGB_to_XYZ).astype(np.float32)
    matrix.setflags(write=False)  # cached and shared: nobody may change it in place
    return matrix
