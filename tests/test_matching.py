"""Matching: the drift's inverse, estimates on shared and on unrelated content, references.

Pictures are real photographs shipped with scikit-image, framed as the generator frames shots
(:func:`cinegrade.demo.footage.render_view`) and drifted by the generator's own
:func:`~cinegrade.colour.drift.apply_drift`; quality is CIEDE2000 to the undrifted truth.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from cinegrade.analysis.stats import ShotStats, shot_stats
from cinegrade.colour.cdl import CDL
from cinegrade.colour.difference import delta_e_2000
from cinegrade.colour.drift import (
    COMPONENTS,
    Drift,
    apply_drift,
    components_of,
    fit_drift_parameters,
    predict_drift,
    undo_drift,
)
from cinegrade.demo.footage import load_still, render_view
from cinegrade.errors import InputError
from cinegrade.matching.match import (
    ALIGNED,
    BOUNDS,
    GLOBAL,
    REFERENCE,
    SCENE,
    SCENE_THRESHOLD,
    UNCERTAIN,
    Match,
    choose_references,
    clamp_drift,
    match_scene,
    match_shot,
    scene_median_reference,
)

SIZE = (320, 180)
# darker, so that little clips: what clipped cannot be restored
DRIFT = Drift(white_balance_k=5200.0, exposure_stops=-0.3, contrast=1.08, gamma=0.94, lift=0.02,
              saturation=1.15)


def delta_e(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(delta_e_2000(a, b)))


def framings(still: str, views) -> list[np.ndarray]:
    picture = load_still(still)
    return [render_view(picture, SIZE, view) for view in views]


@pytest.fixture(scope="module")
def astronaut():
    """Reference frames (wide), and the truth and drifted frames of a push-in on the same scene."""
    reference = framings("astronaut", [(0.5, 0.3, 1.0), (0.5, 0.32, 1.05)])
    truth = framings("astronaut", [(0.48, 0.3, 1.4), (0.46, 0.31, 1.6)])
    drifted = [apply_drift(f, DRIFT) for f in truth]
    return reference, truth, drifted


def test_undo_drift_inverts_the_drift_model() -> None:
    """undo_drift(predict_drift(x, p), p) = x for pixels that stay in range."""
    rng = np.random.default_rng(3)
    pixels = 0.45 + rng.uniform(-0.2, 0.2, (500, 1)) + rng.uniform(-0.06, 0.06, (500, 3))
    for _ in range(5):
        parameters = rng.uniform(-1, 1, 6) * np.array([0.15, 0.15, 0.15, 0.08, 0.02, 0.15])
        drifted = predict_drift(pixels, parameters)
        assert np.all((drifted > 0) & (drifted < 1))
        np.testing.assert_allclose(undo_drift(drifted, parameters), pixels, atol=1e-6)  # float32 EOTF


def test_aligned_match_restores_the_truth(astronaut) -> None:
    """Another framing of the scene, drifted: corrected to within ΔE2000 1.5 of its truth (both
    methods), far better than uncorrected, and the match says what the drift was."""
    reference, truth, drifted = astronaut
    before = delta_e(np.stack(drifted), np.stack(truth))
    for method in ("lut", "cdl"):
        match = match_shot(1, "push-in", "s", 0, "wide", method, frames=drifted,
                           reference_frames=reference)
        assert match.evidence == ALIGNED and match.confidence > 0.9 and not match.uncertain
        after = delta_e(match.correct(np.stack(drifted)), np.stack(truth))
        assert after <= 1.5 and after < before / 3, (method, before, after)
        if method == "lut":
            summary = match.summary()
            assert summary["mired"] == pytest.approx(1e6 / 5200 - 1e6 / 6504, abs=8)
            assert summary["saturation"] == pytest.approx(1.15, abs=0.06)
        else:
            assert isinstance(match.cdl, CDL) and not match.cdl.is_identity


def test_strength_scales_toward_no_correction(astronaut) -> None:
    reference, _, drifted = astronaut
    full = match_shot(1, "b", "s", 0, "a", "lut", frames=drifted, reference_frames=reference)
    none = Match(**{**full.__dict__, "strength": 0.0})
    half = Match(**{**full.__dict__, "strength": 0.5})
    frame = drifted[0]
    np.testing.assert_allclose(none.correct(frame), np.clip(frame, 0, 1), atol=1e-6)
    assert 0.3 < delta_e(half.correct(frame), frame) / delta_e(full.correct(frame), frame) < 0.7


def test_unrelated_content_does_little_harm() -> None:
    """A shot with nothing in common with its reference (coffee against the astronaut): matched
    on whole-shot statistics only, flagged uncertain, and the correction stays small — colour
    transfer would pull the coffee toward the astronaut's colours."""
    reference = framings("astronaut", [(0.5, 0.3, 1.0)])
    shot = framings("coffee", [(0.5, 0.5, 1.0)])
    match = match_shot(1, "coffee", "s", 0, "astronaut", "lut", frames=shot,
                       reference_frames=reference, stats=shot_stats(shot),
                       reference_stats=shot_stats(reference))
    assert match.evidence == GLOBAL and match.uncertain and match.confidence < UNCERTAIN
    assert delta_e(match.correct(shot[0]), shot[0]) < 2.0


def test_scene_match_undoes_a_drift_that_stands_clear_of_its_error(astronaut) -> None:
    """A scene's solve gives a shot's white balance (D65 → 10600 K, 94 mired) with an error of a
    third of its warmth (as light colour measures it across angles; tint ±0.05): the match
    undoes most of it — the
    garrote keeps 1 − (1.5/3)² of the reading, where subtracting 1.5 errors kept half — and a
    reading within SCENE_THRESHOLD errors of none (an undrifted shot read off by noise) is left
    alone."""
    _, truth, _ = astronaut
    drifted = [apply_drift(f, Drift(white_balance_k=10600.0)) for f in truth]
    pixels = [np.stack(frames).reshape(-1, 3) for frames in (truth, drifted)]
    components = components_of(fit_drift_parameters(*pixels)[0])
    warmth, tint = COMPONENTS.index("warmth"), COMPONENTS.index("tint")
    error = np.full(6, np.inf)
    error[warmth], error[tint] = abs(components[warmth]) / 3, 0.05
    placeholder = Match(1, "close-up", "s", 0, "wide", "lut", UNCERTAIN, (0.0,) * 6, 0.0)
    before = delta_e(np.stack(drifted), np.stack(truth))
    for method in ("lut", "cdl"):
        match = match_scene(dataclasses.replace(placeholder, method=method), components, error,
                            ["light-colour"], drifted)
        assert match.evidence == SCENE and match.sources == ("light-colour",)
        after = delta_e(match.correct(np.stack(drifted)), np.stack(truth))
        assert after < 0.45 * before, (method, before, after)  # subtracting 1.5 errors: 0.55
    noise = np.where(np.arange(6) == warmth, 0.9 * SCENE_THRESHOLD * error[warmth], 0.0)
    left = match_scene(placeholder, noise, error, ["light-colour"], truth)
    assert left.is_identity


def test_reference_shot_is_left_alone(astronaut) -> None:
    reference, _, _ = astronaut
    match = match_shot(0, "wide", "s", 0, "wide", "cdl", frames=reference, reference_frames=reference)
    assert match.evidence == REFERENCE and match.is_identity
    np.testing.assert_allclose(match.correct(reference[0]), reference[0], atol=1e-6)


def test_estimates_are_clamped_to_plausible_ranges() -> None:
    wild = clamp_drift([5, -5, 0, 2, -0.5, 3])
    assert np.all(wild >= BOUNDS[0]) and np.all(wild <= BOUNDS[1])
    assert wild[0] == BOUNDS[1][0] and wild[4] == BOUNDS[0][4]


def test_bad_options_are_input_errors() -> None:
    with pytest.raises(InputError):
        match_shot(1, "a", None, 0, "b", "histogram")
    with pytest.raises(InputError):
        match_shot(1, "a", None, 0, "b", "lut", strength=1.5)


def _stats(exposure: float, mired: float, reliable: bool = True) -> ShotStats:
    return ShotStats(frame_count=1, exposure_stops=exposure, mired=mired, saturation=0.2,
                     contrast=1.5, illuminant_reliable=reliable)


def test_references_by_option_marker_and_median() -> None:
    names = {0: "a", 1: "b", 2: "c", 3: "d", 4: "e"}
    scenes = {0: "s1", 1: "s1", 2: "s1", 3: "s2", 4: "s2"}
    stats = {0: _stats(1.0, 150), 1: _stats(0.0, 155), 2: _stats(-0.8, 160), 3: _stats(0, 150),
             4: _stats(0.1, 150)}
    assert scene_median_reference([0, 1, 2], stats) == 1
    # white balance decides between equal exposures, unless a shot's illuminant is unreliable
    tied = {0: _stats(0.0, 150), 1: _stats(0.0, 170), 2: _stats(0.0, 172), 3: _stats(0.0, 10, False)}
    assert scene_median_reference([0, 1, 2], tied) == 1
    assert scene_median_reference([3, 0, 1, 2], tied) == 1
    assert scene_median_reference([3], tied) == 3
    assert choose_references(names, scenes, stats) == {"s1": 1, "s2": 3}
    assert choose_references(names, scenes, stats, "c")["s1"] == 2
    assert choose_references(names, scenes, stats, marked=[4]) == {"s1": 1, "s2": 4}
    with pytest.raises(InputError, match="no clip"):
        choose_references(names, scenes, stats, "zz")


def test_reference_markers_on_clips_and_tracks() -> None:
    import opentimelineio as otio

    from cinegrade.timeline.markers import reference_markers
    from cinegrade.timeline.shots import shots_from_timeline

    rate = 24
    track = otio.schema.Track(name="V1")
    for name in "abcd":
        track.append(otio.schema.Clip(name=name, source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(10, rate))))
    track[1].markers.append(otio.schema.Marker(name="Reference", marked_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(2, rate), otio.opentime.RationalTime(0, rate))))
    track.markers.append(otio.schema.Marker(name="reference", marked_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(35, rate), otio.opentime.RationalTime(1, rate))))
    track.markers.append(otio.schema.Marker(name="scene 2", marked_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(20, rate), otio.opentime.RationalTime(1, rate))))
    timeline = otio.schema.Timeline(tracks=[track])
    assert sorted(reference_markers(timeline, shots_from_timeline(timeline))) == [1, 3]


def test_match_through_a_shot_both_share_content_with() -> None:
    """A close-up of the right half shares nothing with a close-up of the left half (the
    reference), but both overlap a medium shot: matched through it, the right close-up comes to
    within ΔE 1.5 of its truth, where whole-shot statistics could not help."""
    from cinegrade.matching.match import match_via

    reference = framings("astronaut", [(0.3, 0.35, 2.4)])
    medium_truth = framings("astronaut", [(0.5, 0.35, 1.5)])
    right_truth = framings("astronaut", [(0.7, 0.4, 2.4)])
    medium = [apply_drift(f, Drift(white_balance_k=7200.0, exposure_stops=0.2, saturation=0.9))
              for f in medium_truth]
    right = [apply_drift(f, DRIFT) for f in right_truth]
    direct = match_shot(2, "right", "s", 0, "ref", "cdl", frames=right, reference_frames=reference,
                        stats=shot_stats(right), reference_stats=shot_stats(reference))
    assert direct.evidence == GLOBAL
    via = match_shot(1, "medium", "s", 0, "ref", "lut", frames=medium, reference_frames=reference)
    assert via.evidence == ALIGNED
    for method in ("lut", "cdl"):
        chained = match_via(Match(**{**direct.__dict__, "method": method}), via, right, medium)
        assert chained.evidence == ALIGNED and chained.via is not None
        after = delta_e(chained.correct(right[0]), right_truth[0])
        assert after <= 1.5 < delta_e(right[0], right_truth[0]) / 4, (method, after)
    assert chained.summary()["via"] == "medium"


def test_global_estimate_leaves_white_balance_to_reliable_illuminants() -> None:
    """Whole-shot statistics: a white-balance difference between two shots counts only when
    both illuminants are reliable; exposure counts either way."""
    import colour

    from cinegrade.analysis.stats import illuminant_from_xy
    from cinegrade.matching.match import estimate_global

    def stats(cct: float, exposure: float, reliable: bool) -> ShotStats:
        light = illuminant_from_xy(colour.temperature.CCT_to_xy_CIE_D(cct), 0.3)
        return ShotStats(frame_count=1, exposure_stops=exposure, illuminant_xy=light.xy,
                         mired=light.mired, neutral_share=0.3, illuminant_reliable=reliable)

    warm = estimate_global(stats(6504, 0.0, True), stats(5600, 0.5, True))[0]
    blind = estimate_global(stats(6504, 0.0, True), stats(5600, 0.5, False))[0]
    assert warm[0] > warm[2] + 0.02  # red gain over blue: the shot is warmer
    assert blind[0] == pytest.approx(blind[2]) and blind[0] > 0  # exposure only
