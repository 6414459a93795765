"""Evidence across content (cinegrade.evidence): SIFT correspondence across scale, shared pixels,
the joint scene solve, and how continuity and matching read them."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from cinegrade.colour.drift import components_of, predict_drift
from cinegrade.continuity.measure import SCENE, measure_from_scene
from cinegrade.continuity.rules import CheckInput, ContinuitySettings, Cut, ExposureJump
from cinegrade.errors import ChoiceError
from cinegrade.evidence.base import UNKNOWN, PairEvidence, ShotEvidenceInput, combine, evidence_source
from cinegrade.evidence.features import FeatureEvidence
from cinegrade.evidence.pixels import SharedPixelEvidence
from cinegrade.evidence.run import compare_shots, scene_evidence
from cinegrade.evidence.scene import PRIOR_ERROR, solve_scene

pytest.importorskip("skimage")
from cinegrade.demo.footage import load_still, render_view  # noqa: E402

SIZE = (320, 180)
DRIFT = np.array([0.15, 0.05, -0.1, 0.1, 0.03, 0.2])  # warmer, brighter, lifted, more saturated


def _u8(frames):
    return tuple(np.clip(np.asarray(f) * 255 + 0.5, 0, 255).astype(np.uint8) for f in frames)


def _shot(name, view, drift=None, frames=3):
    picture = load_still(name)
    rendered = [render_view(picture, SIZE, (view[0], view[1], view[2] * (1 + 0.04 * i))) for i in range(frames)]
    if drift is not None:
        rendered = [np.clip(predict_drift(f.reshape(-1, 3), drift).reshape(f.shape), 0, 1) for f in rendered]
    return ShotEvidenceInput(_u8(rendered))


# errors (exposure, warmth, tint) at most: the floors measured on the rendered scenes (FEATURES'
# PIXEL_FLOOR, ERROR_FLOOR) bound them from below
@pytest.mark.parametrize("name, most", [("chelsea", [0.3, 0.2, 0.06]),  # a textured cat: tight
                                        ("rocket", [0.6, 0.3, 0.08])])  # sky and a tower: few discs
def test_features_recover_a_drift_across_a_three_times_close_up(name, most):
    source = FeatureEvidence()
    wide = source.describe(_shot(name, (0.5, 0.45, 1.0)))
    close = source.describe(_shot(name, (0.45, 0.4, 3.0), DRIFT))
    found = source.compare(wide, close)
    assert found is not None and found.source == "features"
    truth = components_of(DRIFT)
    error = np.asarray(found.error)
    # every component within three of the errors the source claims, and the errors informative
    assert np.all(np.abs(np.asarray(found.drift) - truth) <= 3 * error), (found.drift, truth, error)
    assert np.all(error[:3] < most)
    assert pickle.loads(pickle.dumps(close)).keypoints[0].points.shape[1] == 2


def test_features_find_nothing_between_different_pictures():
    source = FeatureEvidence()
    a = source.describe(_shot("astronaut", (0.5, 0.5, 1.0)))
    b = source.describe(_shot("coffee", (0.5, 0.5, 1.0)))
    assert source.compare(a, b) is None
    assert source.compare(a, None) is None


def test_shared_pixels_measure_a_reframing_tightly():
    source = SharedPixelEvidence()
    a = source.describe(_shot("chelsea", (0.5, 0.5, 1.0)))
    b = source.describe(_shot("chelsea", (0.45, 0.42, 1.7), DRIFT))
    found = source.compare(a, b)
    assert found is not None and found.unit == "pixels"
    assert np.all(np.abs(np.asarray(found.drift) - components_of(DRIFT)) <= 3 * np.asarray(found.error))
    assert found.error[0] < 0.06


def test_one_family_counts_once_per_pair():
    a = _shot("chelsea", (0.5, 0.5, 1.0))
    b = _shot("chelsea", (0.45, 0.42, 1.7), DRIFT)
    names = ("shared-pixels", "features")
    found = compare_shots({n: evidence_source(n).describe(a) for n in names},
                          {n: evidence_source(n).describe(b) for n in names}, names)
    assert len(found) == 1  # pixels through one alignment or the other: the same pixels


def test_an_unknown_source_is_a_choice_error():
    with pytest.raises(ChoiceError):
        evidence_source("telepathy")


def _evidence(value, error, component=0):
    drift, errors = [0.0] * 6, [UNKNOWN] * 6
    drift[component], errors[component] = value, error
    return PairEvidence("test", tuple(drift), tuple(errors))


def test_combine_weighs_by_inverse_variance():
    drift, error = combine([_evidence(0.0, 0.1), _evidence(1.0, 0.2)])
    assert drift[0] == pytest.approx(0.2)
    assert error[0] == pytest.approx(1 / math.sqrt(100 + 25))
    assert math.isinf(error[1])


def test_the_scene_solve_chains_evidence_and_outvotes_a_bad_pair():
    # wide (0) → medium (1) → close-up (2) → reverse (3); the close-up shares nothing with
    # the wide; the wide's pair with the reverse is wrong (0.5 by the three chains through
    # other shots)
    pairs = {(0, 1): [_evidence(0.4, 0.05)], (1, 2): [_evidence(-0.7, 0.05)],
             (1, 3): [_evidence(0.1, 0.05)], (2, 3): [_evidence(0.8, 0.05)],
             (0, 4): [_evidence(0.2, 0.05)], (4, 3): [_evidence(0.3, 0.05)],
             (0, 3): [_evidence(2.0, 0.05)]}
    solution = solve_scene([0, 1, 2, 3, 4], 0, pairs, prior=None)
    assert solution.shot_drift(2)[0][0] == pytest.approx(-0.3, abs=0.02)
    assert solution.shot_drift(3)[0][0] == pytest.approx(0.5, abs=0.03)
    drift, error = solution.difference(1, 2)
    assert drift[0] == pytest.approx(-0.7, abs=0.02) and error[0] < 0.06
    # no evidence on a component: unknown, and the drift stays none
    assert math.isinf(solution.shot_drift(2)[1][3]) and solution.shot_drift(2)[0][3] == 0


def test_a_fit_carries_the_correlation_of_its_components():
    """A fit on a narrow range of colours pins a combination of exposure and contrast, not each:
    the evidence keeps the correlation, its errors are the fit's marginal ones, and it survives
    JSON and reversal."""
    rng = np.random.default_rng(3)
    pa = rng.uniform(0.35, 0.5, (400, 3))
    pb = predict_drift(pa, DRIFT) + rng.normal(0, 0.004, pa.shape)
    from cinegrade.colour.drift import fit_drift_parameters

    parameters, covariance = fit_drift_parameters(pa, pb)
    found = PairEvidence.fitted("t", parameters, covariance, 2.0, [0.01] * 6, len(pa), "pixels")
    correlation = np.asarray(found.correlation).reshape(6, 6)
    assert abs(correlation[0, 3]) > 0.5  # exposure and log contrast trade off on mid-greys
    assert np.allclose(np.sqrt(np.diag(found.covariance)), found.error)
    assert np.allclose(found.information @ found.covariance, np.eye(6), atol=1e-6)
    again = PairEvidence.from_json(found.to_json())
    assert np.allclose(again.correlation, found.correlation, atol=1e-4)
    assert found.reversed().correlation == found.correlation


def test_the_scene_solve_uses_the_correlation_of_a_pair():
    """One pair knows exposure + contrast closely but each loosely (correlation −0.99); another
    knows contrast: jointly they give exposure, which neither gives alone."""
    error = (0.5, UNKNOWN, UNKNOWN, 0.5, UNKNOWN, UNKNOWN)
    correlation = np.eye(6)
    correlation[0, 3] = correlation[3, 0] = -0.99
    tied = PairEvidence("a", (0.6, 0, 0, 0.2, 0, 0), error, correlation=tuple(correlation.ravel()))
    contrast = PairEvidence("b", (0, 0, 0, 0.2, 0, 0), (UNKNOWN, UNKNOWN, UNKNOWN, 0.02, UNKNOWN, UNKNOWN))
    joint = solve_scene([0, 1], 0, {(0, 1): [tied, contrast]}, prior=None)
    drift, error_of = joint.shot_drift(1)
    assert drift[0] == pytest.approx(0.6, abs=0.03) and error_of[0] < 0.1
    alone = solve_scene([0, 1], 0, {(0, 1): [replace_correlation(tied), contrast]}, prior=None)
    assert alone.shot_drift(1)[1][0] > 0.4  # without the correlation exposure stays loose
    assert joint.shot_covariance(1).shape == (6, 6)


def replace_correlation(evidence: PairEvidence) -> PairEvidence:
    from dataclasses import replace

    return replace(evidence, correlation=None)


def test_the_prior_shrinks_weak_evidence_toward_none():
    weak = solve_scene([0, 1], 0, {(0, 1): [_evidence(0.5, PRIOR_ERROR[0])]})
    strong = solve_scene([0, 1], 0, {(0, 1): [_evidence(0.5, 0.05)]})
    assert weak.shot_drift(1)[0][0] == pytest.approx(0.25, abs=0.01)
    assert strong.shot_drift(1)[0][0] == pytest.approx(0.5, abs=0.01)


def test_scene_evidence_solves_a_scene_of_reframings_and_a_close_up():
    inputs = {0: _shot("chelsea", (0.5, 0.5, 1.0)), 1: _shot("chelsea", (0.45, 0.42, 1.7), DRIFT),
              2: _shot("chelsea", (0.45, 0.4, 3.0))}
    evidence, solutions = scene_evidence(inputs, {0: "s", 1: "s", 2: "s"}, {"s": 0},
                                         ("shared-pixels", "features"), prior=None)
    assert (0, 1) in evidence
    drift, error = solutions["s"].difference(1, 2)
    assert abs(drift[0] + components_of(DRIFT)[0]) <= 3 * error[0]


def test_more_shots_read_on_their_own_do_not_make_a_cut_surer():
    """The colour of each shot's light is one reading per shot: five shots of one scene give ten
    pairs but five readings, so a cut between two of them is no better known than the two shots'
    own pair says (counted as independent pairs, it read √(5/2) surer, and one shot whose
    content looks warm was flagged sure on both its cuts: the demo's bikes montage)."""
    frames = [_shot(name, (0.5, 0.5, 1.0)) for name in ("chelsea", "coffee", "astronaut", "rocket", "motorcycle_left")]
    source = evidence_source("light-colour")
    assert source.per_shot
    pair = source.compare(source.describe(frames[0]), source.describe(frames[1]))
    for count in (2, 5):
        inputs = dict(enumerate(frames[:count]))
        _, solutions = scene_evidence(inputs, dict.fromkeys(inputs, "s"), {"s": 0}, ("light-colour",), prior=None)
        warmth_error = solutions["s"].difference(0, 1)[1][1]
        assert warmth_error >= 0.85 * pair.error[1], (count, warmth_error, pair.error[1])


def test_a_scene_measure_warns_only_when_the_evidence_is_sure():
    sure = measure_from_scene([0.6, 0, 0, 0, 0, 0], [0.1] + [UNKNOWN] * 5, ["faces"])
    unsure = measure_from_scene([0.6, 0, 0, 0, 0, 0], [0.5] + [UNKNOWN] * 5, ["light-colour"])
    assert sure.method == SCENE and sure.mired is None
    a, b = _timeline_shot(0), _timeline_shot(1)
    for measure, severity in ((sure, "warning"), (unsure, "info")):
        data = CheckInput((a, b), cuts=(Cut(a, b, measure, "s"),))
        found = list(ExposureJump().check(data, ContinuitySettings()))
        assert [w.severity for w in found] == [severity]
        assert "across the scene" in found[0].message


def test_a_scene_measure_reads_exposure_at_grey_through_the_covariance():
    """Exposure and lift known only together (a fit on bright surfaces: more gain or more lift,
    correlation −0.97): the gains' exposure alone is unsure, 18 % grey's — what the viewer sees
    get brighter — is sure, and it is the exposure the rule reads."""
    from cinegrade.colour.drift import grey_exposure

    drift = np.array([0.3, 0, 0, 0.1, 0.02, 0])
    error = np.array([0.4, UNKNOWN, UNKNOWN, 0.2, 0.1, UNKNOWN])
    covariance = np.diag(np.where(np.isfinite(error), error, 0.0) ** 2)
    covariance[0, 4] = covariance[4, 0] = -0.97 * 0.4 * 0.1
    plain = measure_from_scene(drift, error, ["features"])
    at_grey = measure_from_scene(drift, error, ["features"], covariance)
    assert plain.exposure_stops == pytest.approx(0.3) and plain.errors["exposure_stops"] == pytest.approx(0.4)
    assert at_grey.exposure_stops == pytest.approx(grey_exposure(drift))
    assert at_grey.errors["exposure_stops"] < 0.2
    # a component the evidence does not know leaves the plain reading
    unknown_lift = measure_from_scene(drift, np.where(np.arange(6) == 4, UNKNOWN, error), ["x"], covariance)
    assert unknown_lift.exposure_stops == pytest.approx(0.3)


def _timeline_shot(index):
    from cinegrade.timeline.shots import FrameRange, Shot

    return Shot(index=index, track_index=0, track_name="V1", track_kind="video",
                index_in_track=index, clip_name=f"shot{index}", media_kind="movie",
                media_path="/nowhere.mp4", media_url="/nowhere.mp4", source=FrameRange(0, 24, 24.0),
                record=FrameRange(24 * index, 24, 24.0), available=None, scene=None,
                enabled=True, sequence_start=None, item_path=(0, index))


def test_views_keep_detail_frames_for_the_evidence(tmp_path):
    """A view is sampled once, at DETAIL_WIDTH: the evidence sources get those frames, the
    alignment their reduction to the view's 320 px (area averaging), which is what sampling at
    320 px gives within a few codes."""
    from cinegrade.analysis.sampler import sample_shots
    from cinegrade.correspondence.views import DETAIL_WIDTH, VIEW_SETTINGS, view_group
    from cinegrade.evidence.run import shot_inputs
    from cinegrade.media.frames import encode_clip
    from cinegrade.timeline.shots import MOVIE, FrameRange, Shot

    picture = load_still("chelsea")
    frames = [render_view(picture, (960, 540), (0.5, 0.5, 1.0 + 0.01 * i)) for i in range(12)]
    path = tmp_path / "wide.mp4"
    encode_clip(path, frames, 24)
    shot = Shot(0, 0, "V1", "video", 0, "wide", MOVIE, str(path), None, FrameRange(0, 12, 24),
                FrameRange(0, 12, 24), None, "s", True, None, (0,))
    (index, view), = view_group([shot])
    assert index == 0 and len(view.detail8) == len(view.frames8) == VIEW_SETTINGS.samples
    assert view.detail8[0].shape == (360, DETAIL_WIDTH, 3) and view.frames8[0].shape == (180, 320, 3)
    (_, direct), = sample_shots([shot], VIEW_SETTINGS)
    difference = np.abs(view.frames[1] - direct.frames[1]) * 255
    assert np.percentile(difference, 99) < 6 and np.mean(difference) < 1.5
    inputs = shot_inputs([shot], {0: view}, {})
    assert inputs[0].frames8 is view.detail8 and inputs[0].extra["view8"] is view.frames8
    (_, plain), = view_group([shot], detail_width=None)
    assert plain.detail8 == () and shot_inputs([shot], {0: plain}, {})[0].frames8 is plain.frames8


def test_the_graded_check_grades_the_detail_frames_too(tmp_path):
    """The check of a graded timeline sees each view's frames and its detail frames through the
    grade alike (the evidence sources read the detail frames)."""
    from cinegrade.correspondence.views import view_group
    from cinegrade.grade.grade import Grade
    from cinegrade.grade.pipeline import TimelineMatch, graded_continuity
    from cinegrade.media.frames import encode_clip
    from cinegrade.timeline.shots import MOVIE, FrameRange, Shot

    picture = load_still("chelsea")
    path = tmp_path / "wide.mp4"
    encode_clip(path, [render_view(picture, (960, 540), (0.5, 0.5, 1.0 + 0.01 * i)) for i in range(12)], 24)
    shots = tuple(Shot(i, 0, "V1", "video", i, f"s{i}", MOVIE, str(path), None, FrameRange(0, 12, 24),
                       FrameRange(12 * i, 12, 24), None, "s", True, None, (0, i)) for i in range(2))
    views = dict(view_group(list(shots)))
    found = TimelineMatch(shots, {}, views, {0: "s", 1: "s"}, {"s": 0}, {})
    result = graded_continuity(found, {1: Grade(1, "s1", look="sepia")})
    for index in (0, 1):
        graded = result.views[index]
        assert graded.detail8[0].shape == views[index].detail8[0].shape
    assert np.array_equal(result.views[0].detail8[1], views[0].detail8[1])
    sepia = Grade(1, "s1", look="sepia").apply(views[1].detail8[1].astype(np.float32) / 255)
    assert np.abs(result.views[1].detail8[1] / 255 - sepia).max() < 1 / 255 + 1e-6


def test_the_graded_check_on_a_pool_finds_what_it_finds_here(tmp_path):
    """Grading the views, measuring the cuts and comparing the scene's evidence on a process
    pool (memory bounded, every shot's frames in files) gives the graded views, statistics and
    findings of the check run in one process."""
    from cinegrade.correspondence.views import kept_on_disk, view_group
    from cinegrade.grade.grade import Grade
    from cinegrade.grade.pipeline import TimelineMatch, graded_continuity
    from cinegrade.media.frames import encode_clip
    from cinegrade.media.spill import SpilledFrames
    from cinegrade.timeline.shots import MOVIE, FrameRange, Shot
    from cinegrade.work import ShotWork

    paths = []
    for n, (name, centre) in enumerate((("chelsea", (0.4, 0.5)), ("astronaut", (0.5, 0.5)),
                                        ("chelsea", (0.6, 0.5)))):
        picture = load_still(name)
        paths.append(tmp_path / f"take{n}.mp4")
        encode_clip(paths[-1], [render_view(picture, (640, 360), (*centre, 1.6 + 0.02 * i)) for i in range(8)], 24)
    shots = tuple(Shot(i, 0, "V1", "video", i, f"s{i}", MOVIE, str(paths[i]), None, FrameRange(0, 8, 24),
                       FrameRange(8 * i, 8, 24), None, "s", True, None, (0, i)) for i in range(3))
    views = {i: kept_on_disk(view) for shot in shots for i, view in view_group([shot])}
    # every evidence source: the cuts into and out of the other picture share no pixels
    found = TimelineMatch(shots, {}, views, {i: "s" for i in range(3)}, {"s": 0}, {}, evidence=None)
    grades = {1: Grade(1, "s1", look="sepia"), 2: Grade(2, "s2", look="cool")}
    here = graded_continuity(found, grades)
    done = []
    # here has run the face detector (OpenMP): the pool's workers must not be forked from here
    with ShotWork(jobs=2).pool(3) as pool:
        pooled = graded_continuity(found, grades, executor=pool, progress=done.append)
    assert sum(done) == 3
    for index in range(3):
        assert isinstance(pooled.views[index].detail8, SpilledFrames)
        # a grade moves no pixel: the ungraded view's features, not a copy written again
        graded, ungraded = pooled.views[index].features, views[index].features
        assert graded.keypoints is ungraded.keypoints and graded.descriptors is ungraded.descriptors
        assert all(np.array_equal(a, b) for a, b in zip(pooled.views[index].detail8, here.views[index].detail8))
        assert pooled.stats[index] == here.stats[index]
    assert [c.measure.method for c in here.cuts] == [SCENE, SCENE]
    assert [c.measure for c in pooled.cuts] == [c.measure for c in here.cuts]
    assert pooled.warnings == here.warnings
