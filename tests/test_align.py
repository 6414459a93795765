"""Alignment between two framings of one photograph, by every registered detector: the
similarity transform the crop implies is found, whatever the drift."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data, transform

from cinegrade.colour.drift import Drift, apply_drift
from cinegrade.correspondence.align import DETECTORS, MeasureSettings, alignments, shot_features

WIDTH, HEIGHT = 320, 180


def _framings():
    picture = data.astronaut().astype(np.float32) / 255  # 512 x 512
    wide = transform.resize(picture[64:352], (HEIGHT, WIDTH), anti_aliasing=True)  # 288 x 512 → 0.625
    close = transform.resize(picture[120:300, 140:460], (HEIGHT, WIDTH), anti_aliasing=True)  # 1.0
    # close's (x, y) → picture (x + 140, y + 120) → wide ((x + 140) * 0.625, (y + 120 - 64) * 0.625)
    truth = np.array([[0.625, 0, 140 * 0.625], [0, 0.625, 56 * 0.625], [0, 0, 1]])
    return wide.astype(np.float32), close.astype(np.float32), truth


@pytest.mark.parametrize("detector", sorted(DETECTORS))
def test_every_detector_finds_the_crop_through_a_drift(detector):
    wide, close, truth = _framings()
    drifted = apply_drift(close, Drift(white_balance_k=4500.0, exposure_stops=-0.7, saturation=1.3))
    settings = MeasureSettings(detector=detector)
    found = alignments(shot_features([wide], settings), shot_features([drifted], settings), settings)
    assert found, detector
    best = np.asarray(found[0].matrix)
    corners = np.array([[0, 0, 1], [WIDTH - 1, 0, 1], [0, HEIGHT - 1, 1], [WIDTH - 1, HEIGHT - 1, 1]]).T
    error = np.abs((best @ corners)[:2] - (truth @ corners)[:2]).max()
    assert error < 2.0, (detector, error, best.round(3))
    assert found[0].inliers >= settings.min_inliers


def test_different_photographs_do_not_align():
    settings = MeasureSettings(detector="orb")
    coffee = transform.resize(data.coffee().astype(np.float32) / 255, (HEIGHT, WIDTH)).astype(np.float32)
    wide, _, _ = _framings()
    assert alignments(shot_features([wide], settings), shot_features([coffee], settings), settings) == []


def _parallax_pair():
    """Two cameras apart on one scene: a textured back wall (the astronaut, seen through the same
    crop in both) and a near object (the coffee cup) that moves across it between the views, as
    parallax moves what is near; the wall keeps a few keypoints in common."""
    wall = data.astronaut().astype(np.float32) / 255
    near = transform.resize(data.coffee().astype(np.float32) / 255, (150, 120), anti_aliasing=True)
    a = transform.resize(wall[64:352], (HEIGHT, WIDTH), anti_aliasing=True).astype(np.float32)
    b = a.copy()
    a[20:170, 40:160] = near
    b[20:170, 150:270] = near  # near things move 110 px, the wall none
    return a, b


def test_a_reframing_is_measured_pixel_for_pixel_and_cameras_apart_are_not():
    from cinegrade.continuity.measure import measure_aligned
    from cinegrade.correspondence.align import is_reframing, pooled_shared_pixels, shared_pixels

    settings = MeasureSettings()
    wide, close, truth = _framings()
    drifted = apply_drift(close, Drift(exposure_stops=-0.5))
    reframed = shared_pixels(wide, drifted, truth, settings)
    assert reframed is not None and is_reframing(reframed[3], 0, settings)
    measured = measure_aligned(wide, drifted, truth, settings, inliers=12)
    assert measured is not None and abs(measured.exposure_stops + 0.5) < 0.1

    a, b = _parallax_pair()
    identity = np.eye(3)  # the wall's alignment: the near object is misregistered by 110 px
    apart = shared_pixels(a, b, identity, settings)
    assert apart is not None, "the wall alone agrees: not a false match"
    assert not is_reframing(apart[3], 12, settings), apart[3]
    assert measure_aligned(a, b, identity, settings, inliers=12) is None
    assert measure_aligned(a, b, identity, settings, inliers=settings.reframing_inliers) is not None
    assert measure_aligned(a, b, identity, settings) is not None  # inliers unknown: as before
    # the wall keeps hundreds of keypoints in common: by its inliers the pair still counts as a
    # reframing; asked for more, it does not, and only the pooling that takes any pair uses it
    fa, fb = shot_features([a], settings), shot_features([b], settings)
    assert pooled_shared_pixels([a], [b], fa, fb, 1, settings, reframing_only=True) is not None
    stricter = MeasureSettings(reframing_inliers=10_000)
    assert pooled_shared_pixels([a], [b], fa, fb, 1, stricter, reframing_only=True) is None
    assert pooled_shared_pixels([a], [b], fa, fb, 1, stricter) is not None
