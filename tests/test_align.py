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
