"""Continuity rules, settings and the judging of cuts on real photographs with known drifts."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest
from continuity_media import DRIFTED_EXPOSURE, DRIFTED_SATURATION, UNDRIFTED, check_result

from cinegrade.analysis.stats import ShotStats
from cinegrade.continuity.measure import ALIGNED, GLOBAL, CutMeasure, measure_cut
from cinegrade.continuity.rules import (
    ERROR,
    INFO,
    WARNING,
    CheckInput,
    ContinuitySettings,
    Cut,
    SaturationJump,
    check_continuity,
    failing,
    load_settings,
    worst_first,
)
from cinegrade.errors import InputError
from cinegrade.timeline.shots import FrameRange, Shot


def make_shot(index: int, start: int, frames: int = 24, name: str | None = None,
              kind: str = "movie", path: str | None = "/nowhere.mp4") -> Shot:
    return Shot(index=index, track_index=0, track_name="V1", track_kind="video",
                index_in_track=index, clip_name=name or f"shot{index}", media_kind=kind,
                media_path=path, media_url=path, source=FrameRange(0, frames, 24.0),
                record=FrameRange(start, frames, 24.0), available=None, scene=None,
                enabled=True, sequence_start=None, item_path=(0, index))


def cut_with(measure: CutMeasure) -> CheckInput:
    a, b = make_shot(0, 0), make_shot(1, 24)
    return CheckInput((a, b), cuts=(Cut(a, b, measure),))


def test_cut_rule_thresholds_and_severity():
    settings = ContinuitySettings()
    below = check_continuity(cut_with(CutMeasure(ALIGNED, exposure_stops=0.2)), settings)
    assert not [w for w in below if w.rule == "exposure_jump"]
    warned = check_continuity(cut_with(CutMeasure(ALIGNED, exposure_stops=-0.3)), settings)
    (jump,) = [w for w in warned if w.rule == "exposure_jump"]
    assert jump.severity == WARNING and jump.value == pytest.approx(-0.3)
    assert jump.clip == "shot1" and jump.other_clip == "shot0" and jump.record_frame == 24
    errors = check_continuity(cut_with(CutMeasure(ALIGNED, exposure_stops=0.8)), settings)
    assert [w.severity for w in errors if w.rule == "exposure_jump"] == [ERROR]
    # without shared content the same jump is judged with a wider tolerance, never an error
    unaligned = check_continuity(cut_with(CutMeasure(GLOBAL, exposure_stops=0.3)), settings)
    assert not [w for w in unaligned if w.rule == "exposure_jump"]
    unaligned = check_continuity(cut_with(CutMeasure(GLOBAL, exposure_stops=3.0)), settings)
    uncertain = [w for w in unaligned if w.rule == "exposure_jump"]
    assert [w.severity for w in uncertain] == [INFO] and "uncertain" in uncertain[0].message
    assert not failing(uncertain, "warning")


def test_saturation_is_symmetric_in_log():
    rule = SaturationJump()
    up = list(rule.check(cut_with(CutMeasure(ALIGNED, saturation_ratio=1.15)), ContinuitySettings()))
    down = list(rule.check(cut_with(CutMeasure(ALIGNED, saturation_ratio=1 / 1.15)),
                           ContinuitySettings()))
    assert up[0].value == pytest.approx(15.0, abs=0.01)
    assert down[0].value == pytest.approx(-15.0, abs=0.01)


def test_shot_and_timeline_rules():
    stats = ShotStats(flicker=0.05, frame_mired=(150.0, 200.0), illuminant_reliable=True,
                      clip_high=0.2, clip_low=0.0,
                      luminance_display={"p1": 0.0, "p5": 0.0, "p50": 0.01, "p95": 0.01, "p99": 0.01},
                      frame_exposure_stops=(-12.0,))
    shots = (make_shot(0, 0), make_shot(1, 24, frames=2), make_shot(2, 26, kind="missing", path=None))
    found = check_continuity(CheckInput(shots, stats={0: stats}))
    rules = {(w.rule, w.clip_index) for w in found}
    assert {("flicker", 0), ("colour_wobble", 0), ("clipping", 0), ("black_frames", 0),
            ("flash_frame", 1), ("offline_media", 2)} <= rules
    assert found == worst_first(found) and found[0].severity == ERROR
    assert failing(found, "error") and failing(found, "warning")
    assert not failing([w for w in found if w.severity == WARNING], "error")
    # the same wobble in a shot without neutral surfaces is its content moving, not its light
    skyline = dataclasses.replace(stats, illuminant_reliable=False)
    assert not [w for w in check_continuity(CheckInput(shots, stats={0: skyline}))
                if w.rule == "colour_wobble"]


def test_mixed_formats_flags_the_odd_clip():
    from cinegrade.media.probe import MediaProbe

    usual = MediaProbe("/a.mp4", True, codec="h264", width=1920, height=1080, frame_rate=24.0,
                       color_primaries="bt709", color_matrix="bt709", color_range="tv")
    odd = MediaProbe("/b.mp4", True, codec="h264", width=1920, height=1080, frame_rate=25.0,
                     color_primaries="bt709", color_matrix="smpte170m", color_range="tv")
    shots = tuple(make_shot(i, 24 * i) for i in range(3))
    found = check_continuity(CheckInput(shots, probes={0: usual, 1: odd, 2: usual}))
    assert {w.clip_index for w in found if w.rule == "mixed_formats"} == {1}
    assert any("frame rate 25.0" in w.message for w in found)
    assert any("colour matrix smpte170m" in w.message for w in found)


def test_settings_from_toml_json_and_errors(tmp_path):
    toml = tmp_path / "c.toml"
    toml.write_text("[continuity]\nexposure_stops = 0.5\nflash_frames = 2\n", encoding="utf-8")
    settings = load_settings(toml)
    assert settings.exposure_stops == 0.5 and settings.flash_frames == 2
    assert settings.white_balance_mired == ContinuitySettings().white_balance_mired
    js = tmp_path / "c.json"
    js.write_text(json.dumps({"white_balance_mired": 25}), encoding="utf-8")
    assert load_settings(js).white_balance_mired == 25
    bad = tmp_path / "bad.toml"
    bad.write_text("exposure_stopz = 1\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown continuity setting"):
        load_settings(bad)
    broken = tmp_path / "broken.json"
    broken.write_text("{\n\"a\": \n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_settings(broken)
    assert error.value.path == str(broken)
    with pytest.raises(InputError):
        ContinuitySettings().replace({"exposure_stops": "-1"})
    assert ContinuitySettings().replace({"exposure-stops": "0.4"}).exposure_stops == 0.4


def test_measure_cut_separates_drifts_on_reframed_photographs():
    """In memory (no coding): a wide shot and a 2× close-up of one photograph, the close-up
    drifted in one component at a time by the targets; each drift is read back in its own
    measure and barely in the others, and the undrifted reframing reads as nothing."""
    from cinegrade.colour.adaptation import NEUTRAL_CCT
    from cinegrade.colour.drift import Drift, apply_drift
    from cinegrade.demo.footage import Framing, ShotSpec, render_shot

    wide = render_shot(ShotSpec("chelsea", Framing("wide")), (320, 180), 1)
    close = render_shot(ShotSpec("chelsea", Framing("close", (0.42, 0.38, 2.2))), (320, 180), 1)
    cases = {
        "none": (Drift(), {}),
        "exposure": (Drift(exposure_stops=1 / 3), {"exposure_stops": 1 / 3}),
        "white balance": (Drift(white_balance_k=1e6 / (1e6 / NEUTRAL_CCT + 20)), {"mired": 20}),
        "saturation": (Drift(saturation=1.15), {"saturation_ratio": 1.15}),
    }
    for name, (drift, expected) in cases.items():
        measure = measure_cut(wide, [apply_drift(f, drift) for f in close])
        assert measure.aligned, name
        assert measure.exposure_stops == pytest.approx(expected.get("exposure_stops", 0), abs=0.06), name
        assert measure.mired == pytest.approx(expected.get("mired", 0), abs=4), name
        assert measure.saturation_ratio == pytest.approx(expected.get("saturation_ratio", 1), abs=0.03), name


def test_unrelated_shots_do_not_align():
    from cinegrade.demo.footage import WIDE, ShotSpec, render_shot

    coffee = render_shot(ShotSpec("coffee", WIDE), (320, 180), 2)
    rocket = render_shot(ShotSpec("rocket", WIDE), (320, 180), 2)
    assert measure_cut(coffee, rocket).method == GLOBAL


def test_check_flags_drifted_cuts_and_spares_the_reframing():
    """Through the whole pipeline (H.264 files from the generator): the drifted cuts are
    flagged by the rule of their drift, the undrifted reframing by no cut rule."""
    result = check_result()
    names = {shot.index: shot.clip_name for shot in result.shots}
    by_cut = {}
    for warning in result.warnings:
        if warning.other_index is not None:
            by_cut.setdefault((names[warning.other_index], names[warning.clip_index]),
                              set()).add(warning.rule)
    cuts = {(c.before.clip_name, c.after.clip_name): c for c in result.cuts}
    assert set(cuts) == {DRIFTED_EXPOSURE, UNDRIFTED, DRIFTED_SATURATION}  # scenes from markers
    assert all(c.measure.aligned for c in cuts.values())
    assert "exposure_jump" in by_cut.get(DRIFTED_EXPOSURE, set())
    assert cuts[DRIFTED_EXPOSURE].measure.exposure_stops == pytest.approx(0.5, abs=0.1)
    assert "saturation_jump" in by_cut.get(DRIFTED_SATURATION, set())
    assert math.log(cuts[DRIFTED_SATURATION].measure.saturation_ratio) == \
        pytest.approx(math.log(1.3), abs=0.05)
    assert UNDRIFTED not in by_cut
