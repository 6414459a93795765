"""Measure a drift back from a drifted frame and its undrifted twin, independently of
``cinegrade.colour.drift`` (colour-science directly), for test_drifts and test_footage.

All inputs are display-referred Rec.709 R'G'B' float arrays (..., 3); linear light is the BT.1886
EOTF (L_W 1, L_B 0), the linearisation cinegrade documents.
"""

from __future__ import annotations

import colour
import numpy as np
import scipy.ndimage

LUMA = np.array([0.2126, 0.7152, 0.0722])


def _usable(*frames: np.ndarray, low: float = 0.04, high: float = 0.96) -> np.ndarray:
    """Pixels away from clipping in every frame (all channels inside [low, high])."""
    mask = np.ones(frames[0].shape[:-1], bool)
    for frame in frames:
        mask &= (frame.min(axis=-1) > low) & (frame.max(axis=-1) < high)
    return mask


def linear(rgb: np.ndarray) -> np.ndarray:
    return colour.models.eotf_BT1886(np.clip(np.asarray(rgb, float), 0, 1))


def exposure_stops(reference: np.ndarray, drifted: np.ndarray) -> float:
    """log2 of the median ratio of linear Rec.709 luminance, drifted over reference."""
    usable = _usable(reference, drifted)
    ratio = (linear(drifted[usable]) @ LUMA) / (linear(reference[usable]) @ LUMA)
    return float(np.log2(np.median(ratio)))


def white_balance_cct(reference: np.ndarray, drifted: np.ndarray, neutral: float = 0.06) -> float:
    """CCT (K) that the reference's neutrals take in the drifted frame: over unclipped pixels
    whose 5×5 neighbourhood is near-neutral in the reference (R'G'B' spread under ``neutral``;
    the neighbourhood keeps out chroma that 4:2:0 coding bleeds across edges), the per-channel
    ratio of summed linear light, drifted over reference, is the drifted white; to xy, to CCT."""
    usable = _usable(reference, drifted)
    spread = np.ptp(reference, axis=-1)
    window = (1,) * (spread.ndim - 2) + (5, 5)
    usable &= scipy.ndimage.maximum_filter(spread, size=window) < neutral
    assert usable.sum() > 200, "too few near-neutral pixels to measure white balance"
    white = linear(drifted[usable]).sum(axis=0) / linear(reference[usable]).sum(axis=0)
    space = colour.RGB_COLOURSPACES["ITU-R BT.709"]
    xy = colour.XYZ_to_xy(space.matrix_RGB_to_XYZ @ white)
    return float(colour.xy_to_CCT(xy))


def saturation_ratio(reference: np.ndarray, drifted: np.ndarray) -> float:
    """Least-squares slope of display-encoded chroma (R'G'B' minus Rec.709 luma), drifted on
    reference."""
    usable = _usable(reference, drifted)
    ref, drift = reference[usable].astype(float), drifted[usable].astype(float)
    ref_chroma = ref - (ref @ LUMA)[:, None]
    drift_chroma = drift - (drift @ LUMA)[:, None]
    return float((ref_chroma * drift_chroma).sum() / (ref_chroma**2).sum())
