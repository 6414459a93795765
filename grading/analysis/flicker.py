"""Consecutive frames of a shot → its frame-to-frame exposure wobble, on registered content
(pure; no I/O).

A frame mean moves when a car drives through or the camera pans onto a brighter wall; flicker
is a change of the whole picture's gain. So each frame is compared with the one before on the
content both show: the translation between them is found by phase correlation (Kuglin & Hines
1975; scikit-image's ``phase_cross_correlation``, which normalises the spectrum and so ignores a
gain), the earlier frame shifted onto the later, and the gain read as the median log2 ratio of
linear luminance over the overlapping pixels that are neither dark nor clipped — a moving object
covering less than half the frame does not move a median. Summed, the gains give each frame's
exposure, whose wobble :func:`cinegrade.analysis.stats.flicker_stops` measures (second
differences: a steady fade or a slow pan into light is not flicker).

Frames: display-referred Rec.709 R'G'B' float (H, W, 3) in [0, 1]; linear light by the BT.1886
EOTF (:func:`cinegrade.colour.encodings.display_linear`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cinegrade.analysis.stats import flicker_stops
from cinegrade.colour.encodings import REC709_LUMA, display_linear

#: Pixels used for a gain must be brighter than this (linear; display ≈ 0.1: coding noise) and
#: below :data:`BRIGHT` (display ≈ 0.95: a gain cannot show in clipped pixels).
DARK, BRIGHT = 0.004, 0.88


def frame_gains(frames: Sequence[np.ndarray]) -> list[float]:
    """log2 gain (stops) of each frame over the one before (``len(frames) - 1`` values; 0 where
    two frames share too little to tell). ``frames``: display-referred Rec.709 R'G'B' (H, W, 3)
    in [0, 1], all the same size; translation only (phase correlation, Kuglin & Hines 1975)."""
    from scipy.ndimage import shift as shift_image
    from skimage.registration import phase_cross_correlation

    luminance = [display_linear(f) @ REC709_LUMA for f in frames]
    gains = []
    for before, after in zip(luminance, luminance[1:]):
        try:
            offset, _, _ = phase_cross_correlation(after, before, normalization="phase")
        except (ValueError, RuntimeError):
            offset = np.zeros(2)
        moved = shift_image(before, offset, order=1, mode="constant", cval=-1.0)
        usable = (moved > DARK) & (after > DARK) & (moved < BRIGHT) & (after < BRIGHT)
        if usable.sum() < 0.1 * usable.size:
            gains.append(0.0)
            continue
        gains.append(float(np.median(np.log2(after[usable] / moved[usable]))))
    return gains


def registered_flicker(frames: Sequence[np.ndarray]) -> float | None:
    """Frame-to-frame exposure wobble (stops, RMS; see the module docstring) of consecutive
    frames, or None with fewer than 3."""
    if len(frames) < 3:
        return None
    exposures = np.concatenate([[0.0], np.cumsum(frame_gains(frames))])
    return flicker_stops(exposures)
