"""Statistics of frames made from real photographs (scikit-image) pushed through known changes
(the drift generator's own functions, colour-science's chromatic adaptation)."""

from __future__ import annotations

import json

import colour
import numpy as np
import pytest

from cinegrade.analysis.stats import (
    HUE_BINS,
    ShotStats,
    estimate_illuminant,
    flicker_stops,
    illuminant_from_xy,
    shot_stats,
)
from cinegrade.colour.adaptation import white_balance_matrix
from cinegrade.colour.drift import Drift, apply_drift
from cinegrade.colour.encodings import display_encoded, display_linear

_BT709 = colour.RGB_COLOURSPACES["ITU-R BT.709"]


def photo(name: str, width: int = 240) -> np.ndarray:
    """A photograph bundled with scikit-image (the demo's names) as display-referred float32
    RGB, box-downscaled to ``width``."""
    from PIL import Image

    from cinegrade.demo.footage import source_path

    image = Image.open(source_path(name)).convert("RGB")
    height = round(image.height * width / image.width)
    return np.asarray(image.resize((width, height), Image.Resampling.BOX), np.float32) / 255


def predicted_cct(xy, cct: float) -> float:
    """CCT of chromaticity ``xy`` after the drift generator's white-balance matrix to ``cct``."""
    rgb = _BT709.matrix_XYZ_to_RGB @ colour.xy_to_XYZ(xy)
    moved = _BT709.matrix_RGB_to_XYZ @ (white_balance_matrix(cct) @ rgb)
    return illuminant_from_xy(colour.XYZ_to_xy(moved)).cct_kelvin


def test_display_light_is_colour_sciences_bt1886_and_back():
    rgb = photo("astronaut", 64)
    np.testing.assert_allclose(display_linear(rgb), colour.models.eotf_BT1886(rgb), atol=1e-6)
    np.testing.assert_allclose(display_linear(np.float32(0.5)), 0.5**2.4, rtol=1e-5)
    linear = colour.models.eotf_BT1886(rgb)
    np.testing.assert_allclose(display_encoded(linear), colour.models.eotf_inverse_BT1886(linear),
                               atol=1e-6)
    np.testing.assert_allclose(display_encoded(display_linear(rgb)), rgb, atol=1e-5)


def test_exposure_of_middle_grey_and_one_stop_over():
    grey = np.full((20, 30, 3), display_encoded(np.float32(0.18)), np.float32)
    brighter = np.full((20, 30, 3), display_encoded(np.float32(0.36)), np.float32)
    assert shot_stats([grey]).exposure_stops == pytest.approx(0.0, abs=1e-3)
    assert shot_stats([brighter]).exposure_stops == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("stops", [-1.0, -0.33, 0.5])
def test_exposure_drift_is_measured_in_stops(stops):
    base = photo("chelsea")
    measured = shot_stats([apply_drift(base, Drift(exposure_stops=stops))]).exposure_stops
    assert measured - shot_stats([base]).exposure_stops == pytest.approx(stops, abs=0.03)


WARM_REPEAT = 1


def warm_chart() -> np.ndarray:
    """Display-referred patches of the X-Rite ColorChecker (colour-science's measured
    "ColorChecker24 - After November 2014", adapted D50 → D65 by CAT02): its six greys and its
    seven warm patches (skins, orange, reds, yellows), so warm colours fill over half the frame,
    pull a plain average towards orange, and the skins sit right at that average."""
    chart = colour.CCS_COLOURCHECKERS["ColorChecker24 - After November 2014"]
    def patch(name: str) -> np.ndarray:
        linear = colour.XYZ_to_RGB(colour.xyY_to_XYZ(chart.data[name]), _BT709,
                                   illuminant=chart.illuminant,
                                   chromatic_adaptation_transform="CAT02")
        return np.full((12, 12, 3), display_encoded(np.clip(linear, 0, 1)), np.float32)
    names = list(chart.data)
    warm = ["dark skin", "light skin", "orange", "moderate red", "orange yellow", "red",
            "yellow"] * WARM_REPEAT
    greys = names[18:24]
    tiles = [patch(name) for name in warm + greys]
    return np.concatenate(tiles, axis=1)


@pytest.mark.parametrize("cct", [4000.0, 5000.0, 8000.0, 10000.0])
def test_illuminant_of_neutrals_among_strong_colours(cct):
    """The chart lit by daylight at ``cct`` (the drift generator's von Kries matrix): the
    estimate finds the greys' light within 150 K; grey world is fooled by the warm patches."""
    lit = apply_drift(warm_chart(), Drift(white_balance_k=cct))
    estimate = estimate_illuminant(display_linear(lit), lit)
    assert estimate.cct_kelvin == pytest.approx(cct, abs=150)
    assert abs(estimate.duv) < 0.006
    grey_world = illuminant_from_xy(colour.XYZ_to_xy(
        _BT709.matrix_RGB_to_XYZ @ display_linear(lit).reshape(-1, 3).mean(axis=0)))
    assert abs(grey_world.mired - estimate.mired) > 30  # the content fools a plain mean


@pytest.mark.parametrize("name", ["astronaut", "chelsea"])
@pytest.mark.parametrize("cct", [4000.0, 10000.0])
def test_white_balance_drift_moves_the_estimate_with_it(name, cct):
    base = photo(name)
    before = shot_stats([base])
    after = shot_stats([apply_drift(base, Drift(white_balance_k=cct))])
    assert after.cct_kelvin == pytest.approx(predicted_cct(before.illuminant_xy, cct), abs=150)
    assert after.mired == pytest.approx(1e6 / after.cct_kelvin)


@pytest.mark.parametrize("factor", [0.7, 1.2])
def test_saturation_drift_scales_saturation(factor):
    base = photo("astronaut")
    ratio = shot_stats([apply_drift(base, Drift(saturation=factor))]).saturation \
        / shot_stats([base]).saturation
    assert ratio == pytest.approx(factor, rel=0.02)


def test_contrast_drift_scales_log_luminance_spread():
    base = photo("chelsea")
    ratio = shot_stats([apply_drift(base, Drift(contrast=1.2))]).contrast \
        / shot_stats([base]).contrast
    assert ratio == pytest.approx(1.2, rel=0.05)


def test_flicker_is_the_wobble_not_a_fade():
    base = photo("astronaut", 64)
    drift = Drift(flicker_stops=0.05, flicker_seed=7)
    wobbly = [apply_drift(base, drift, frame_index=i) for i in range(60)]
    fade = [apply_drift(base, Drift(exposure_stops=-0.02 * i)) for i in range(60)]
    assert flicker_stops([0.0, 0.0]) is None
    assert shot_stats([base], wobbly).flicker == pytest.approx(0.05, rel=0.3)
    assert shot_stats([base], fade).flicker < 0.005


def test_clipping_and_hue():
    red = np.zeros((10, 10, 3), np.float32)
    red[..., 0] = 0.9
    white = np.ones((10, 10, 3), np.float32)
    stats = shot_stats([red, white])
    assert stats.clip_high == pytest.approx(0.5)
    assert stats.clip_low == 0.0
    lab_hue = colour.XYZ_to_Lab(colour.RGB_to_XYZ(display_linear(red[0, 0]), _BT709))
    hue = np.degrees(np.arctan2(lab_hue[2], lab_hue[1])) % 360
    assert np.argmax(stats.hue_histogram) == int(hue // (360 / HUE_BINS))
    assert sum(stats.hue_histogram) == pytest.approx(1.0)
    assert shot_stats([np.zeros((4, 4, 3), np.float32)]).clip_low == 1.0


def test_per_frame_values_and_lab_moments():
    a, b = photo("astronaut", 80), photo("chelsea", 80)
    stats = shot_stats([a, b])
    assert stats.frame_count == 2
    assert stats.frame_exposure_stops[0] == pytest.approx(shot_stats([a]).exposure_stops)
    assert stats.frame_exposure_stops[1] == pytest.approx(shot_stats([b]).exposure_stops)
    assert len(stats.frame_mired) == 2
    covariance = np.asarray(stats.lab_covariance)
    np.testing.assert_allclose(covariance, covariance.T)
    assert np.all(np.linalg.eigvalsh(covariance) > 0)
    assert 0 < stats.lab_mean[0] < 100
    p = stats.luminance_display
    assert p["p1"] <= p["p5"] <= p["p50"] <= p["p95"] <= p["p99"]


def test_json_round_trip_and_not_analysed():
    stats = shot_stats([photo("rocket", 64)], [photo("rocket", 32)] * 3)
    text = json.dumps(stats.to_json())
    assert ShotStats.from_json(json.loads(text)) == stats
    assert json.loads(text)["analysed"] is True
    failed = ShotStats.not_analysed("missing media:\n  /x.mp4")
    assert failed.reason == "missing media: /x.mp4" and not failed.analysed
    back = ShotStats.from_json(json.loads(json.dumps(failed.to_json())))
    assert back == failed and back.exposure_stops is None
    assert not shot_stats([]).analysed


@pytest.mark.parametrize("name", ["motorcycle_left", "coffee", "chelsea"])
@pytest.mark.parametrize("cct", [4000.0, 5000.0, 8000.0, 10000.0])
def test_illuminant_follows_drift_on_a_plateau_of_near_neutrals(name, cct):
    """Photographs whose near-neutral colours spread over a range rather than one cluster (the
    motorcycle's greys run from ~5600 to ~6100 K): the estimate stays on the same part of that
    range when the light changes, within 150 K and, unless the drift clips highlights (the
    coffee's warm whites at 4000 and 5000 K: 5-10 % of the frame), within 2 mired."""
    base = photo(name, 320)
    before = shot_stats([base])
    after = shot_stats([apply_drift(base, Drift(white_balance_k=cct))])
    expected = predicted_cct(before.illuminant_xy, cct)
    assert after.cct_kelvin == pytest.approx(expected, abs=150)
    if after.clip_high < 0.03:
        assert after.mired == pytest.approx(1e6 / expected, abs=2.0)


def test_illuminant_reliability():
    """Neutral surfaces under daylight give a reliable estimate; a frame of blue sky has no
    neutrals, its "illuminant" is its own colour (far off the Planckian locus, or beyond the
    CCT of any light), and it is flagged."""
    sky = np.zeros((40, 60, 3), np.float32)
    sky[...] = np.linspace(0.35, 0.75, 60)[None, :, None] * np.array([0.55, 0.75, 1.0], np.float32)
    for frame in (sky, photo("rocket")[:40]):  # rocket: the top rows are sky only
        stats = shot_stats([frame])
        assert stats.illuminant_reliable is False, stats.cct_kelvin
    for frame in (apply_drift(warm_chart(), Drift(white_balance_k=4500.0)), photo("astronaut")):
        assert shot_stats([frame]).illuminant_reliable is True
    assert illuminant_from_xy((0.3127, 0.3290), neutral_share=0.0).reliable is False
    assert illuminant_from_xy((0.3127, 0.3290), neutral_share=0.5).reliable is True
