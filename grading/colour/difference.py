"""Colour difference of display-referred pixels: CIEDE2000 on CIELAB (D65), the one definition.

Display-referred Rec.709 R'G'B' is decoded to display light by the BT.1886 EOTF
(:func:`cinegrade.colour.encodings.display_linear`), taken to CIE XYZ by the Rec.709 primaries
and to CIELAB with the D65 white; the difference is CIEDE2000 (colour-science's
``delta_E(method="CIE 2000")``). A ΔE2000 of about 1 is a just-noticeable difference.

References: CIE 142-2001, "Improvement to industrial colour-difference evaluation"; Sharma, Wu
& Dalal (2005), "The CIEDE2000 color-difference formula", Color Res. Appl. 30(1).
"""

from __future__ import annotations

import colour
import numpy as np

from cinegrade.colour.encodings import display_linear

_BT709 = colour.models.RGB_COLOURSPACE_BT709


def lab_of_display(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of display-referred Rec.709 R'G'B' (..., 3) in [0, 1] (clipped to it, as
    :func:`~cinegrade.colour.encodings.display_linear` does): (..., 3) float64, L* in [0, 100].

    >>> lab_of_display(np.array([1.0, 1.0, 1.0])).round(3)
    array([ 100.,    0.,    0.])
    """
    xyz = colour.RGB_to_XYZ(display_linear(rgb).astype(np.float64), _BT709)
    return colour.XYZ_to_Lab(xyz, _BT709.whitepoint)


def delta_e_2000(rgb_a: np.ndarray, rgb_b: np.ndarray) -> np.ndarray:
    """CIEDE2000 (CIE 142-2001) between display-referred Rec.709 pixels (..., 3) of equal shape:
    shape (...), float64; about 1 is a just-noticeable difference.

    >>> float(delta_e_2000(np.array([0.5, 0.5, 0.5]), np.array([0.5, 0.5, 0.5])))
    0.0
    >>> round(float(delta_e_2000(np.array([0.5, 0.5, 0.5]), np.array([0.52, 0.5, 0.5]))), 2)
    2.98
    """
    return colour.delta_E(lab_of_display(rgb_a), lab_of_display(rgb_b), method="CIE 2000")
