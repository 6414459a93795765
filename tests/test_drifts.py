"""drifts: each drift injected and measured back independently; neutral is identity; JSON."""

from __future__ import annotations

import colour
import numpy as np
import pytest
from drift_measurements import LUMA, exposure_stops, saturation_ratio, white_balance_cct

from cinegrade.colour.drift import Drift, apply_drift, flicker_offset
from cinegrade.demo.drifts import ai_drift, random_drift


@pytest.fixture(scope="module")
def picture() -> np.ndarray:
    """A real photograph if scikit-image is there, else random colours; display-referred."""
    try:
        from skimage import data

        return data.astronaut()[::4, ::4].astype(np.float32) / 255
    except ImportError:
        return np.random.default_rng(0).uniform(0.05, 0.9, (128, 128, 3)).astype(np.float32)


GREY = np.linspace(0.0, 1.0, 256, dtype=np.float32)[:, None].repeat(3, axis=1)


def test_neutral_drift_is_identity(picture):
    out = apply_drift(picture, Drift(flicker_seed=99))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, picture)
    assert Drift().is_neutral and not Drift(lift=0.01).is_neutral


@pytest.mark.parametrize("stops", [-1.0, -0.3, 0.25, 0.8])
def test_exposure_measured_in_linear_light(picture, stops):
    drifted = apply_drift(picture, Drift(exposure_stops=stops))
    assert exposure_stops(picture, drifted) == pytest.approx(stops, abs=0.005)


@pytest.mark.parametrize("cct", [4000.0, 5200.0, 7500.0, 11000.0])
def test_white_balance_moves_white_to_the_cct(picture, cct):
    # a neutral (a grey ramp, unclipped part) takes the chromaticity of daylight at the CCT
    drifted_grey = apply_drift(GREY, Drift(white_balance_k=cct))
    unclipped = (drifted_grey.max(-1) < 1) & (GREY[:, 0] > 0.05)
    white = (colour.models.eotf_BT1886(drifted_grey[unclipped])
             / colour.models.eotf_BT1886(GREY[unclipped])).mean(axis=0)
    space = colour.RGB_COLOURSPACES["ITU-R BT.709"]
    xy = colour.XYZ_to_xy(space.matrix_RGB_to_XYZ @ white)
    assert colour.xy_to_CCT(xy, method="McCamy 1992") == pytest.approx(cct, rel=0.03)
    assert colour.xy_to_CCT(xy) == pytest.approx(cct, abs=1)
    # ... keeping its luminance (von Kries keeps Y of the white), warm below D65, cool above
    assert space.matrix_RGB_to_XYZ[1] @ white == pytest.approx(1.0, abs=1e-3)
    assert (white[0] > white[2]) == (cct < 6504)
    # on a photograph, its near-neutral surfaces measure about the same CCT (they are not
    # exactly neutral, and CAT02 is not diagonal in RGB)
    drifted = apply_drift(picture, Drift(white_balance_k=cct))
    assert white_balance_cct(picture, drifted) == pytest.approx(cct, rel=0.03)


@pytest.mark.parametrize("saturation", [0.6, 0.9, 1.25])
def test_saturation_scales_chroma(picture, saturation):
    drifted = apply_drift(picture, Drift(saturation=saturation))
    assert saturation_ratio(picture, drifted) == pytest.approx(saturation, rel=0.01)
    luma_before, luma_after = picture @ LUMA, drifted @ LUMA
    unclipped = (drifted.min(-1) > 0) & (drifted.max(-1) < 1)
    np.testing.assert_allclose(luma_after[unclipped], luma_before[unclipped], atol=1e-5)


@pytest.mark.parametrize("gamma", [0.8, 1.25])
def test_gamma_is_a_power_on_display_values(gamma):
    out = apply_drift(GREY, Drift(gamma=gamma))[1:, 0]
    measured = np.log(out[10:-10]) / np.log(GREY[11:-10, 0])
    np.testing.assert_allclose(measured, gamma, rtol=1e-3)


@pytest.mark.parametrize("lift", [-0.04, 0.05])
def test_lift_moves_black_keeps_white(lift):
    out = apply_drift(GREY, Drift(lift=lift))[:, 0]
    assert out[-1] == pytest.approx(1.0)
    if lift > 0:
        assert out[0] == pytest.approx(lift)
    else:  # crushed: the code that maps to 0 is -lift / (1 - lift)
        crossing = GREY[np.argmax(out > 0), 0]
        assert crossing == pytest.approx(-lift / (1 - lift), abs=1 / 255)


@pytest.mark.parametrize("contrast", [0.85, 1.2])
def test_contrast_is_a_log_slope_about_mid_grey(contrast):
    out = apply_drift(GREY, Drift(contrast=contrast))[:, 0]
    lin_in = colour.models.eotf_BT1886(GREY[:, 0])
    lin_out = colour.models.eotf_BT1886(out)
    usable = (out > 0.1) & (out < 0.9)
    slope = np.polyfit(np.log2(lin_in[usable]), np.log2(lin_out[usable]), 1)[0]
    assert slope == pytest.approx(contrast, rel=0.01)
    grey_in = colour.models.eotf_inverse_BT1886(0.18)
    grey_out = apply_drift(np.full(3, grey_in, np.float32), Drift(contrast=contrast))
    assert grey_out[1] == pytest.approx(grey_in, abs=1e-4)


def test_flicker_wobbles_exposure_per_frame_reproducibly(picture):
    drift = Drift(flicker_stops=0.05, flicker_seed=7)
    offsets = [flicker_offset(drift, i) for i in range(400)]
    assert np.std(offsets) == pytest.approx(0.05, rel=0.15)
    assert abs(np.mean(offsets)) < 0.01
    for index in (0, 3, 17):
        measured = exposure_stops(picture, apply_drift(picture, drift, frame_index=index))
        assert measured == pytest.approx(offsets[index], abs=0.005)
    assert flicker_offset(Drift(flicker_stops=0.05, flicker_seed=8), 3) != offsets[3]
    assert flicker_offset(drift, 3) == offsets[3]  # any frame, any order


def test_combined_drift_keeps_range_and_dtype(picture):
    drift = Drift(4500, 0.7, 1.1, 0.9, 0.02, 1.3, 0.03, 1)
    out = apply_drift(picture.astype(np.float64), drift, frame_index=5)
    assert out.dtype == np.float32 and out.shape == picture.shape
    assert 0.0 <= out.min() and out.max() <= 1.0


def test_json_round_trip_and_rejections():
    drift = random_drift(np.random.default_rng(5))
    assert Drift.from_json(drift.to_json()) == drift
    with pytest.raises(ValueError):
        Drift.from_json('{"version": 99, "exposure_stops": 1}')
    with pytest.raises(ValueError):
        Drift.from_json('{"version": 1, "exposure": 1}')
    for bad in [dict(white_balance_k=2000), dict(gamma=0), dict(lift=0.7), dict(saturation=-1)]:
        with pytest.raises(ValueError):
            Drift(**bad)


def test_random_drift_is_seeded_and_plausible():
    first = [random_drift(np.random.default_rng(11)) for _ in range(2)]
    assert first[0] == first[1]
    drifts = [random_drift(np.random.default_rng(seed)) for seed in range(60)]
    assert len(set(drifts)) == 60
    assert all(5500 < d.white_balance_k < 7800 and abs(d.exposure_stops) <= 0.5 for d in drifts)
    assert 5 < sum(d.flicker_stops > 0 for d in drifts) < 40
    calm = random_drift(np.random.default_rng(3), strength=0)
    assert calm.is_neutral


def test_ai_drift_sizes_as_ai_models_drift():
    from cinegrade.colour.adaptation import NEUTRAL_CCT

    assert ai_drift(np.random.default_rng(4)) == ai_drift(np.random.default_rng(4))
    drifts = [ai_drift(np.random.default_rng(seed)) for seed in range(600)]
    undrifted = sum(d.is_neutral for d in drifts)
    assert 0.13 < undrifted / len(drifts) < 0.27  # about a fifth kept the scene's look
    seen = {"exposure": set(), "white balance": set(), "saturation": set(), "gamma": set()}
    counts = []
    for drift in (d for d in drifts if not d.is_neutral):
        assert drift.contrast == 1.0 and drift.flicker_stops == 0.0
        changed = {
            "exposure": drift.exposure_stops != 0, "white balance": drift.white_balance_k != NEUTRAL_CCT,
            "saturation": drift.saturation != 1, "gamma": drift.gamma != 1, "lift": drift.lift != 0}
        counts.append(sum(changed.values()))
        if changed["exposure"]:
            assert 0.6 <= abs(drift.exposure_stops) <= 1.2
            seen["exposure"].add(drift.exposure_stops > 0)
        if changed["white balance"]:
            assert 4000 <= drift.white_balance_k <= 5000 or 8500 <= drift.white_balance_k <= 11000
            seen["white balance"].add(drift.white_balance_k > NEUTRAL_CCT)
        if changed["saturation"]:
            assert 0.55 <= drift.saturation <= 0.75 or 1.3 <= drift.saturation <= 1.5
            seen["saturation"].add(drift.saturation > 1)
        if changed["gamma"]:
            assert 0.75 <= drift.gamma <= 0.85 or 1.18 <= drift.gamma <= 1.3
            seen["gamma"].add(drift.gamma > 1)
        if changed["lift"]:
            assert 0.04 <= drift.lift <= 0.08
    assert set(counts) == {1, 2, 3}
    assert all(both == {False, True} for both in seen.values())  # both ranges of each are drawn
    assert ai_drift(np.random.default_rng(0), undrifted=1.0).is_neutral
    assert not any(ai_drift(np.random.default_rng(s), undrifted=0.0).is_neutral for s in range(50))


def test_ai_drift_exposure_measured_back(picture):
    drift = next(d for d in (ai_drift(np.random.default_rng(s), undrifted=0.0) for s in range(200))
                 if d.exposure_stops and d.white_balance_k == 6504.0 and d.gamma == 1 and d.lift == 0)
    measured = exposure_stops(picture, apply_drift(picture, drift))
    assert 0.55 < abs(measured) < 1.25
    assert measured == pytest.approx(drift.exposure_stops, abs=0.05)
