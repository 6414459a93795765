"""Rec.709 display encoding and the light it stands for: the one definition of each (no I/O).

cinegrade's pixels are display-referred Rec.709 R'G'B' (ITU-R BT.709-6) in [0, 1], float, last
axis the channels. Light is what a reference display emits for them: the ITU-R BT.1886 reference
EOTF at L_W = 1, L_B = 0, which is the pure power V ** 2.4 (:func:`display_linear`), and its
inverse (:func:`display_encoded`). That is what "stops" and "illuminant" mean for video that had
no camera behind it; the camera OETF (BT.709 part 1.2) is not used because AI footage was never
through one. Luma (Y') is the Rec.709 weighted sum of encoded R'G'B'; luminance (Y) the same
weights on linear light.

References: ITU-R BT.709-6 (2015), item 3.2 (luma weights); ITU-R BT.1886 (2011), Annex 1.
"""

from __future__ import annotations

import numpy as np

#: Exponent of the BT.1886 reference EOTF; with L_W = 1 and L_B = 0 the EOTF is V ** 2.4.
BT1886_GAMMA = np.float32(2.4)
#: Rec.709 luma weights (ITU-R BT.709-6, item 3.2): also the Y row of its RGB→XYZ matrix.
REC709_LUMA_WEIGHTS: tuple[float, float, float] = (0.2126, 0.7152, 0.0722)
#: The same as a float32 vector, for ``pixels @ REC709_LUMA``.
REC709_LUMA = np.array(REC709_LUMA_WEIGHTS, np.float32)
#: Linear light of 18 % grey: the pivot of contrast and the zero of exposure in stops.
MID_GREY_LINEAR = 0.18
#: Display value of 18 % grey under BT.1886: 0.18 ** (1 / 2.4) ≈ 0.4894.
MID_GREY_DISPLAY = MID_GREY_LINEAR ** (1 / 2.4)


def display_linear(rgb: np.ndarray, precision: type = np.float32) -> np.ndarray:
    """Display-referred Rec.709 R'G'B' (any shape, [0, 1]; clipped to it) → display light by
    the BT.1886 EOTF at L_W = 1, L_B = 0; float32, computed in ``precision`` (float32 for
    speed; the drift generator takes float64, as colour-science computes it).

    Equal to colour-science's ``colour.models.eotf_BT1886`` (a test holds it).

    >>> float(display_linear(np.array([0.5]))[0])  # doctest: +ELLIPSIS
    0.1894...
    >>> float(display_linear(np.array([MID_GREY_DISPLAY]))[0])  # doctest: +ELLIPSIS
    0.1799...
    """
    encoded = np.clip(np.asarray(rgb, dtype=precision), 0.0, 1.0)
    gamma = BT1886_GAMMA if precision is np.float32 else 2.4  # 2.4 in float64, as colour-science
    return np.power(encoded, gamma).astype(np.float32, copy=False)


def display_encoded(linear: np.ndarray) -> np.ndarray:
    """Display light (any shape; negative values clipped to 0) → display-referred Rec.709 R'G'B'
    by the inverse BT.1886 EOTF; float32, not clipped above (light over 1 encodes over 1).

    >>> float(display_encoded(np.array([0.18]))[0])  # doctest: +ELLIPSIS
    0.4894...
    """
    linear = np.clip(np.asarray(linear, dtype=np.float64), 0.0, None)
    return np.power(linear, 1 / 2.4).astype(np.float32)


def luma(rgb: np.ndarray) -> np.ndarray:
    """Rec.709 weighted sum over the last axis, float32: luma Y' of display-encoded R'G'B',
    luminance Y of linear RGB. Shape (..., 3) → (...).

    >>> float(luma(np.array([1.0, 1.0, 1.0])))  # doctest: +ELLIPSIS
    1.0...
    """
    return np.asarray(rgb, dtype=np.float32) @ REC709_LUMA
