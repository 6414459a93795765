"""A shot's readings along its length are read fast and to the same numbers (issue 12): the CCT
search for many colours at once against colour-science's own, one point at a time; the drift's
grey exposure and white balance of many frames against one frame at a time; the hinge fit
against the exhaustive search it replaces; and a shot whose view frames agree is left
unmeasured (the steady gate), on real H.264 shots made from a demo photograph with a camera
move — a clean one, one whose exposure creeps, one that flickers.
"""

from __future__ import annotations

import math
import warnings

import colour
import numpy as np
import pytest

from cinegrade.analysis.along import AlongShot, Creep, _hinge_design, fit_hinge
from cinegrade.colour.adaptation import WHITE_LMS, cct_of_uv, mired_of_lms
from cinegrade.colour.drift import grey_exposure, white_balance_mired
from cinegrade.continuity.creep import (
    READINGS,
    creep_readings,
    frame_readings,
    read_series,
    reading_series,
    steady,
)
from cinegrade.continuity.measure import measure_from_scene
from cinegrade.continuity.rules import ContinuitySettings


def _colour_cct(uv: np.ndarray) -> np.ndarray:
    with colour.utilities.suppress_warnings(colour_runtime_warnings=True), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.array([colour.temperature.uv_to_CCT_Ohno2013(p)[0] for p in uv])


def test_cct_of_many_points_is_colour_sciences_to_the_last_digit() -> None:
    rng = np.random.default_rng(3)
    near = np.column_stack([rng.uniform(0.18, 0.27, 300), rng.uniform(0.29, 0.34, 300)])
    wide = np.column_stack([rng.uniform(0.02, 0.6, 300), rng.uniform(0.05, 0.5, 300)])
    table = colour.temperature.ohno2013.planckian_table(
        colour.colorimetry.handle_spectral_arguments(None)[0], 1000, 100000, 1.001)
    on_table = table[[0, 1, 2, 500, -3, -2, -1], 1:]  # on the locus, at both ends too
    uv = np.concatenate([near, wide, on_table, on_table + [0.0, 0.003]])
    assert np.array_equal(cct_of_uv(uv), _colour_cct(uv), equal_nan=True)
    assert cct_of_uv(uv[:3].reshape(3, 1, 2)).shape == (3, 1)
    assert isinstance(cct_of_uv(uv[0]), float)


def test_mired_of_many_colours_is_each_colours_alone() -> None:
    lms = WHITE_LMS * np.exp(np.random.default_rng(4).normal(0, 0.15, (200, 3)))
    assert mired_of_lms(lms).tolist() == [mired_of_lms(row) for row in lms]


def test_grey_exposure_and_white_balance_of_many_drifts_are_each_drifts_alone() -> None:
    components = np.random.default_rng(5).normal(0, 0.08, (300, 6))
    alone = np.array([grey_exposure(c) for c in components])
    np.testing.assert_allclose(grey_exposure(components), alone, rtol=0, atol=1e-12)
    mired = [measure_from_scene(c, [0.01] * 6, ()).mired for c in components]
    assert white_balance_mired(components).tolist() == mired


def _along(rng: np.random.Generator, frames: int = 15) -> AlongShot:
    offsets = tuple(int(v) for v in np.linspace(0, 59, frames))
    rows = rng.normal(0, 0.03, (frames, 6))
    rows[:3] = 0.0
    errors = np.abs(rng.normal(0.01, 0.003, (frames, 6))) + 1e-3
    rows[5] = math.nan  # a frame not measured
    errors[7, 1:5] = math.inf  # a chained frame: only some components known
    return AlongShot(offsets, tuple(map(tuple, rows)), tuple(map(tuple, errors)),
                     (False,) * frames, 60)


def test_reading_series_is_frame_readings_frame_by_frame() -> None:
    rng = np.random.default_rng(6)
    alongs = [_along(rng) for _ in range(4)]
    read_series(alongs[:2])  # two read together, two alone: the same numbers
    for along in alongs:
        series = reading_series(along)
        rows = [(o, frame_readings(c, e)) for o, c, e in zip(along.offsets, along.components, along.errors)
                if np.all(np.isfinite(c))]
        for name in READINGS:
            t, values, errors = series[name]
            assert t.tolist() == [o for o, _ in rows]
            expected = np.array([r[name] for _, r in rows], dtype=np.float64)
            np.testing.assert_allclose(values, expected[:, 0], rtol=0, atol=1e-12)
            np.testing.assert_array_equal(errors, expected[:, 1])
            assert not values.flags.writeable
    assert [r.what for r in creep_readings(alongs[0])] == list(READINGS)


def _exhaustive_hinge(t, y, e, duration, min_frames, latest_start=0.75):
    """fit_hinge as it was: every candidate start fitted by the exact solver."""
    t, y, e = (np.asarray(v, dtype=np.float64) for v in (t, y, e))
    known = np.isfinite(y) & np.isfinite(e)
    t, y, e = t[known], y[known], e[known]
    if len(t) < min_frames:
        return None
    end = float(duration - 1)
    keep = np.ones(len(t), dtype=bool)
    for _ in range(2):
        best = None
        for start in [s for s in t[keep] if s <= latest_start * end] or [float(t[keep][0])]:
            design = _hinge_design(t[keep], start, end)
            coefficients, *_ = np.linalg.lstsq(design, y[keep], rcond=None)
            rss = float(np.sum((y[keep] - design @ coefficients) ** 2))
            if best is None or rss < best[0]:
                best = (rss, start, coefficients)
        _, start, coefficients = best
        residual = y - _hinge_design(t, start, end) @ coefficients
        spread = 1.4826 * float(np.median(np.abs(residual[keep]))) + 1e-12
        outliers = np.abs(residual) > 3.5 * max(spread, float(np.median(e)))
        if not outliers.any() or (keep & ~outliers).sum() < min_frames:
            break
        keep = ~outliers
    _, start, coefficients = best
    design = _hinge_design(t[keep], start, end)
    residual = y[keep] - design @ coefficients
    scale = max(math.sqrt(float(residual @ residual) / max(int(keep.sum()) - 3, 1)), float(np.median(e[keep])))
    error = math.sqrt(max(float((np.linalg.pinv(design.T @ design) * scale**2)[1, 1]), 0.0))
    size = float(coefficients[1])
    return Creep("x", size, "u", int(start), error, abs(size) / error if error > 0 else math.inf,
                 float(np.sqrt(np.mean(residual**2))), float(coefficients[0]), int(end), int(keep.sum()))


def test_hinge_fit_finds_what_the_exhaustive_search_finds() -> None:
    rng = np.random.default_rng(7)
    for case in range(300):
        n = int(rng.integers(6, 25))
        t = np.sort(rng.choice(np.arange(80), n, replace=False)).astype(float)
        y = rng.normal(0, 0.01, n) + (case % 3 == 0) * rng.normal(0, 0.4) * np.clip((t - rng.uniform(0, 60)) / 40, 0, 1)
        if case % 4 == 0:
            y[rng.integers(n)] += 0.3  # a misregistered frame
        if case % 50 == 0:
            y[:] = 0.125  # flat: every start fits alike
        if case % 7 == 0:
            y[rng.integers(n)] = math.nan
        e = np.abs(rng.normal(0.01, 0.003, n)) + 1e-3
        assert fit_hinge(t, y, e, 80, "x", "u", 5) == _exhaustive_hinge(t, y, e, 80, 5), case


# --- the steady gate, on real H.264 shots -----------------------------------------------------

FRAMES, FPS = 48, 24


@pytest.fixture(scope="module")
def views(tmp_path_factory) -> dict:
    """The views (three frames at ¼, ½, ¾ and a run of consecutive ones) of a slow push-in on
    the astronaut photograph: clean, with its exposure creeping 0.3 stop from frame 20, and
    flickering 0.02 stop RMS."""
    from cinegrade.colour.drift import Drift, apply_drift
    from cinegrade.correspondence.views import shot_views
    from cinegrade.demo.footage import Framing, ShotSpec, render_shot
    from cinegrade.media.frames import encode_clip
    from cinegrade.timeline.shots import MOVIE, FrameRange, Shot

    folder = tmp_path_factory.mktemp("steady")
    frames = render_shot(ShotSpec("astronaut", Framing("push-in", (0.5, 0.3, 1.0), (0.47, 0.3, 1.3))),
                         (320, 180), FRAMES)
    drifts = {"clean": lambda i: Drift(),
              "creep": lambda i: Drift(exposure_stops=-0.3 * min(max((i - 20) / 27, 0.0), 1.0)),
              "flicker": lambda i: Drift(flicker_stops=0.02, flicker_seed=3)}
    shots = []
    for index, (name, drift_of) in enumerate(drifts.items()):
        path = folder / f"{name}.mp4"
        encode_clip(path, (apply_drift(f, drift_of(i), frame_index=i) for i, f in enumerate(frames)), FPS)
        shots.append(Shot(index, 0, "V1", "video", index, name, MOVIE, str(path), None,
                          FrameRange(0, FRAMES, FPS), FrameRange(index * FRAMES, FRAMES, FPS), None,
                          "scene", True, None, (index,)))
    found = shot_views(shots)
    return {shot.clip_name: found[shot.index] for shot in shots} | {"shots": shots}


def test_a_clean_shot_is_steady_a_creeping_or_flickering_one_is_not(views) -> None:
    settings = ContinuitySettings()
    reason = steady(views["clean"].frames8, views["clean"].flicker, settings)
    assert reason is not None and "agree within" in reason
    assert steady(views["creep"].frames8, views["creep"].flicker, settings) is None
    assert steady(views["flicker"].frames8, views["flicker"].flicker, settings) is None
    # thresholds ten times tighter: the clean shot's own noise no longer proves it steady
    tight = ContinuitySettings(**{field: getattr(settings, field) / 10 for field, *_ in READINGS.values()})
    assert steady(views["clean"].frames8, views["clean"].flicker, tight) is None
    assert steady(views["clean"].frames8, None, settings) is None  # flicker not measured


def test_steady_shots_are_judged_once_and_read_back(views, tmp_path, monkeypatch) -> None:
    import cinegrade.continuity.run as run
    from cinegrade.analysis.cache import StatsCache

    cache = StatsCache(tmp_path)
    shots = views["shots"]
    by_index = {s.index: views[s.clip_name] for s in shots}
    first = run.steady_shots(shots, by_index, ContinuitySettings(), cache=cache)
    assert [shots[i].clip_name for i in first] == ["clean"]

    def no_judging(*args, **kwargs):
        raise AssertionError("a verdict was judged again")

    monkeypatch.setattr(run, "steady", no_judging)
    assert run.steady_shots(shots, {}, ContinuitySettings(), cache=cache) == first
    # other thresholds are another verdict: without views, nothing is steady
    assert run.steady_shots(shots, {}, ContinuitySettings(creep_exposure_stops=0.1), cache=cache) == {}
