"""Flicker on registered content: a gain wobble is found through a pan and a moving object,
and motion without a wobble is not flicker."""

from __future__ import annotations

import numpy as np
import pytest

from cinegrade.analysis.flicker import frame_gains, registered_flicker


def panned_frames(gains_stops, seed: int = 0):
    """A real photograph panned 2 px a frame with a dark square crossing it, each frame's linear
    light times 2 ** gain (display-referred Rec.709, BT.1886)."""
    from cinegrade.demo.footage import load_still

    picture = load_still("chelsea")[::2, ::2]
    frames = []
    for i, gain in enumerate(gains_stops):
        frame = picture[20:110, 10 + 2 * i:170 + 2 * i].copy()
        frame[30:50, 5 + 8 * i:25 + 8 * i] = 0.15  # an object moving faster than the pan
        frames.append(np.clip(frame * 2 ** (gain / 2.4), 0, 1).astype(np.float32))
    return frames


def test_gains_are_read_through_pan_and_motion():
    gains = [0.0, 0.05, -0.03, 0.04, 0.0, -0.05, 0.02, 0.0]
    measured = frame_gains(panned_frames(gains))
    assert measured == pytest.approx(np.diff(gains), abs=0.01)


def test_flicker_against_steady_motion():
    rng = np.random.default_rng(3)
    wobble = registered_flicker(panned_frames(rng.normal(0, 0.04, 12)))
    steady = registered_flicker(panned_frames(np.zeros(12)))
    assert steady < 0.004
    assert 0.02 < wobble < 0.07
    assert registered_flicker(panned_frames([0.0, 0.0])) is None
