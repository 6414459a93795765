"""Evidence from the light (cinegrade.evidence.light) on real photographs (scikit-image's), two
framings of one picture standing for two shots of one scene, the drift model applied to one."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from cinegrade.colour.adaptation import LMS_TO_RGB, RGB_TO_LMS, white_balance_matrix
from cinegrade.colour.drift import COMPONENTS, Drift, apply_drift
from cinegrade.evidence.base import EVIDENCE_SOURCES, ShotEvidenceInput, evidence_source
from cinegrade.evidence.light import BlackLevel, LightColour, Tone

pytest.importorskip("skimage")
from cinegrade.demo.footage import load_still, render_view  # noqa: E402

SIZE = (320, 180)
LIFT, WARMTH, TINT, EXPOSURE = (COMPONENTS.index(c) for c in ("lift", "warmth", "tint", "exposure_stops"))
#: (picture, framing (cx, cy, zoom)) pairs: different content of one scene (a wide and a close-up,
#: the two cameras of the Middlebury motorcycle)
PAIRS = {
    "astronaut": (("astronaut", (0.5, 0.45, 1.0)), ("astronaut", (0.45, 0.4, 2.6))),
    "coffee": (("coffee", (0.5, 0.5, 1.0)), ("coffee", (0.6, 0.62, 2.6))),
    "motorcycle": (("motorcycle_left", (0.5, 0.5, 1.0)), ("motorcycle_right", (0.45, 0.4, 2.6))),
}


def shot_frames(picture: str, view: tuple[float, float, float], drift: Drift = Drift()) -> tuple[np.ndarray, ...]:
    """Three 8-bit frames of a slow pan across ``view`` of ``picture``, drifted."""
    still = load_still(picture)
    frames = [render_view(still, SIZE, (view[0] + dx, view[1], view[2])) for dx in (-0.03, 0.0, 0.03)]
    return tuple(np.clip(apply_drift(f, drift) * 255 + 0.5, 0, 255).astype(np.uint8) for f in frames)


def evidence(source: str, a: tuple, b: tuple, drift: Drift = Drift()):
    found = evidence_source(source)
    return found.compare(found.describe(ShotEvidenceInput(shot_frames(*a))),
                         found.describe(ShotEvidenceInput(shot_frames(*b, drift))))


def wb_components(cct: float) -> tuple[float, float]:
    """Warmth and tint of the drift generator's white balance to ``cct`` (its cone gains)."""
    gains = np.log(np.diag(RGB_TO_LMS @ white_balance_matrix(cct).astype(np.float64) @ LMS_TO_RGB))
    return gains[0] - gains[2], gains[1] - (gains[0] + gains[2]) / 2


def test_sources_are_registered():
    assert {"black-level", "light-colour", "tone"} <= set(EVIDENCE_SOURCES)


@pytest.mark.parametrize("scene", ["astronaut", "motorcycle"])
def test_a_known_lift_is_recovered_within_its_error(scene):
    # scenes that hold black (a space suit's shadow, a tyre): where the black level can tell
    a, b = PAIRS[scene]
    found = evidence("black-level", a, b, Drift(lift=0.06))
    assert abs(found.drift[LIFT] - 0.06) <= 2 * found.error[LIFT]
    assert found.drift[LIFT] > 2 * found.error[LIFT]  # told apart from no lift
    assert all(math.isinf(e) for k, e in enumerate(found.error) if k != LIFT)


def test_a_lift_under_more_saturation_is_still_covered():
    # saturation after a lift pushes the darkest channel of dark colours back toward 0; the error
    # must then widen (the luma floor, which saturation keeps, still sees the lift)
    a, b = PAIRS["astronaut"]
    found = evidence("black-level", a, b, Drift(lift=0.05, saturation=1.47))
    assert abs(found.drift[LIFT] - 0.05) <= 2 * found.error[LIFT]


@pytest.mark.parametrize("scene,cct", [("coffee", 4500.0), ("motorcycle", 4500.0), ("astronaut", 9000.0),
                                       ("motorcycle", 11000.0)])
def test_a_known_white_balance_is_recovered_within_its_error(scene, cct):
    a, b = PAIRS[scene]
    found = evidence("light-colour", a, b, Drift(white_balance_k=cct))
    for k, truth in zip((WARMTH, TINT), wb_components(cct)):
        assert abs(found.drift[k] - truth) <= 2 * found.error[k], (COMPONENTS[k], found)
    assert all(math.isinf(found.error[k]) for k in (EXPOSURE, LIFT))


def test_a_warm_shift_under_daylight_stands_out_and_under_a_warm_light_less():
    # the motorcycle garage is lit near daylight, the coffee table by a warm lamp: under a coloured
    # light the error also covers what saturation or gamma would do to the light's colour
    daylight = evidence("light-colour", *PAIRS["motorcycle"], Drift(white_balance_k=4500.0))
    warm = evidence("light-colour", *PAIRS["coffee"], Drift(white_balance_k=4500.0))
    assert daylight.drift[WARMTH] > 2 * daylight.error[WARMTH]
    assert warm.error[WARMTH] > daylight.error[WARMTH]


@pytest.mark.parametrize("scene", sorted(PAIRS))
def test_undrifted_framings_of_one_scene_read_as_no_drift(scene):
    a, b = PAIRS[scene]
    for source in ("black-level", "light-colour", "tone"):
        found = evidence(source, a, b)
        assert found is not None, source
        for value, error in zip(found.drift, found.error):
            assert abs(value) <= 2 * error or math.isinf(error), (source, found)


def test_a_shot_without_dark_pixels_gives_no_lift():
    # the astronaut seen through fog: nothing darker than 0.45 in any channel
    foggy = tuple((0.45 * 255 + 0.55 * f).astype(np.uint8) for f in shot_frames(*PAIRS["astronaut"][0]))
    black = evidence_source("black-level")
    assert black.describe(ShotEvidenceInput(foggy)) is None
    assert black.compare(None, black.describe(ShotEvidenceInput(shot_frames(*PAIRS["astronaut"][1])))) is None
    assert black.describe(ShotEvidenceInput(shot_frames(*PAIRS["astronaut"][1]))).floor < 0.02


def test_a_flat_shot_gives_no_light_colour():
    flat = (np.full((180, 320, 3), 128, np.uint8),) * 3
    assert evidence_source("light-colour").describe(ShotEvidenceInput(flat)) is None


@pytest.mark.parametrize("stops", [-0.8, 0.8])
def test_an_exposure_change_is_not_read_as_a_change_of_light(stops):
    a, b = PAIRS["coffee"]
    found = evidence("light-colour", a, b, Drift(exposure_stops=stops))
    assert abs(found.drift[WARMTH]) <= 2 * found.error[WARMTH] and abs(found.drift[TINT]) <= 2 * found.error[TINT]


def test_descriptions_are_small_and_picklable():
    shot = ShotEvidenceInput(shot_frames(*PAIRS["coffee"][0]))
    for name, kind in (("black-level", BlackLevel), ("light-colour", LightColour), ("tone", Tone)):
        description = evidence_source(name).describe(shot)
        assert isinstance(description, kind)
        data = pickle.dumps(description)
        assert pickle.loads(data) == description and len(data) < 1000


@pytest.mark.parametrize("source, read", [("black-level", "black_level"), ("light-colour", "light_colour")])
def test_larger_frames_are_read_at_the_size_the_errors_were_calibrated_at(source, read):
    """The sources' errors are fitted on 320-px frames; the check hands them its 640-px detail
    frames (for faces), which they read reduced to the views' 320 px."""
    import cv2

    from cinegrade.correspondence.views import VIEW_SETTINGS, reduced
    from cinegrade.evidence import light

    large = tuple(cv2.resize(f, (640, 360), interpolation=cv2.INTER_CUBIC) for f in shot_frames("coffee", (0.5, 0.5, 1.0)))
    found = evidence_source(source)
    described = found.describe(ShotEvidenceInput(large))
    assert described == found.describe(ShotEvidenceInput(tuple(reduced(f, VIEW_SETTINGS.width) for f in large)))
    assert described != getattr(light, read)(large)  # as they are, the larger frames read otherwise
