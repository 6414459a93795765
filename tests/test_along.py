"""Drift inside one shot: real H.264 shots made from a demo photograph with a camera move, a known
creep injected frame by frame, decoded with PyAV along the shot, measured on the content the
frames share and judged by the rule ``creep_within_shot`` (the docstring examples of
:mod:`cinegrade.analysis.along`, :mod:`cinegrade.continuity.creep` and
:mod:`cinegrade.grade.hold` run in test_doctests.py; the whole check and grade:
test_within_shot.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cinegrade.analysis.along import AlongSettings, along_offsets, fit_creep, sample_along
from cinegrade.colour.adaptation import NEUTRAL_CCT
from cinegrade.colour.drift import Drift, apply_drift
from cinegrade.continuity.creep import measure_frames
from cinegrade.continuity.rules import CheckInput, CreepWithinShot, check_continuity
from cinegrade.demo.footage import Framing, ShotSpec, render_shot
from cinegrade.media.frames import encode_clip
from cinegrade.timeline.shots import MOVIE, STILL, FrameRange, Shot

FRAMES, FPS = 48, 24
#: the creeps start here and ramp linearly to the last frame
START = 12
#: the hinge's start is searched over the sampled frames: every 4th frame of a 48-frame shot
STEP = along_offsets(FRAMES)[1]


def _shot(path, kind=MOVIE, record_start=100) -> Shot:
    return Shot(0, 0, "V1", "video", 0, path.stem, kind, str(path), None, FrameRange(0, FRAMES, FPS),
                FrameRange(record_start, FRAMES, FPS), None, "scene", True, None, (0,))


@pytest.fixture(scope="module")
def frames() -> list[np.ndarray]:
    """A slow push-in on the astronaut photograph at 320×180."""
    spec = ShotSpec("astronaut", Framing("push-in", (0.5, 0.3, 1.0), (0.47, 0.3, 1.3)))
    return render_shot(spec, (320, 180), FRAMES)


def _write(folder, name, frames, drift_of) -> Shot:
    path = folder / f"{name}.mp4"
    encode_clip(path, (apply_drift(f, drift_of(i), frame_index=i) for i, f in enumerate(frames)), FPS)
    return _shot(path)


def _share(frame: int) -> float:
    return min(max((frame - START) / (FRAMES - 1 - START), 0.0), 1.0)


def _findings(shot: Shot):
    sampled = sample_along(shot, AlongSettings())
    assert not isinstance(sampled, str), sampled
    along = measure_frames(sampled)
    assert along.measured == len(along.offsets)  # every frame shares the picture with the start
    found = check_continuity(CheckInput((shot,), scenes={shot.index: "scene"}, along={shot.index: along}),
                             rules=(CreepWithinShot(),))
    return along, found


def test_clean_shot_has_no_creep(tmp_path, frames) -> None:
    along, found = _findings(_write(tmp_path, "clean", frames, lambda i: Drift()))
    assert found == []
    creep = fit_creep(along, "exposure_stops")
    assert abs(creep.size) < 0.05  # a camera move alone: measured ±0.02 stop


def test_exposure_creep_is_found_with_its_sign_size_and_start(tmp_path, frames) -> None:
    shot = _write(tmp_path, "exposure", frames, lambda i: Drift(exposure_stops=-0.5 * _share(i)))
    _, found = _findings(shot)
    assert [w.unit for w in found] == ["stops"], [w.message for w in found]
    (warning,) = found
    assert warning.rule == "creep_within_shot" and warning.clip_index == 0 and warning.scene == "scene"
    # size: linear ramps measure within 0.01 stop on the benchmark's stills; 10 % leaves room for
    # the codec and the fewer frames of a short shot
    assert warning.value == pytest.approx(-0.5, abs=0.05)
    assert warning.severity == "warning"  # 0.5 stop: past 0.2, short of the error at 0.67
    # start: the hinge's start is one of the sampled frames, so within one sampling step
    assert abs(warning.record_frame - (100 + START)) <= STEP


def test_white_balance_creep_is_found_with_its_sign_size_and_start(tmp_path, frames) -> None:
    mired = 1e6 / NEUTRAL_CCT

    shot = _write(tmp_path, "warm", frames,
                  lambda i: Drift(white_balance_k=1e6 / (mired + 40.0 * _share(i))))
    _, found = _findings(shot)
    assert [w.unit for w in found] == ["mired"], [w.message for w in found]
    (warning,) = found
    assert warning.value == pytest.approx(40.0, abs=4.0)  # warmer is positive; 10 % as above
    assert warning.severity == "error"  # 40 mired: past the error threshold of 30
    assert abs(warning.record_frame - (100 + START)) <= STEP
    assert "from its frame" in warning.message


def test_a_still_a_short_shot_or_missing_media_is_not_measured(tmp_path) -> None:
    assert "one picture" in sample_along(_shot(tmp_path / "x.png", STILL))
    assert isinstance(sample_along(_shot(tmp_path / "missing.mp4")), str)
    short = AlongSettings(min_duration=FRAMES + 1)
    assert "too short to creep" in sample_along(_shot(tmp_path / "missing.mp4"), short)


def test_saturation_creep_reads_as_a_percent_change(tmp_path, frames) -> None:
    shot = _write(tmp_path, "sat", frames, lambda i: Drift(saturation=math.exp(math.log(1.3) * _share(i))))
    _, found = _findings(shot)
    assert [w.unit for w in found] == ["%"], [w.message for w in found]
    assert found[0].value == pytest.approx(30.0, abs=4.0)
