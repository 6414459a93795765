"""Drift inside one shot, end to end (issue 15), on a real H.264 shot — a demo photograph with a
slow push-in, its exposure creeping down half a stop from frame 12 to its last — cut after the
same shot undrifted (the truth, and the scene's reference):

- ``check`` finds the creep (size, unit, the frame it starts) and nothing on the undrifted shot,
  puts its marker where the creep starts, lists the curve in its JSON, and caches the
  measurement: a second check decodes nothing;
- ``grade`` holds the shot to its start with a few CDL keyframes, which melt renders back to the
  truth; ``look`` keeps them; ``--no-within-shot`` turns all of it off;
- Kdenlive 22.12 opens the graded project with the keyframes on the clip.
"""

from __future__ import annotations

import json

import numpy as np
import opentimelineio as otio
import pytest
from click.testing import CliRunner

import cinegrade
from cinegrade.analysis.along import along_offsets
from cinegrade.colour.drift import Drift, apply_drift
from cinegrade.grade.effects import keyframes_from_metadata
from cinegrade.timeline.contract import NAMESPACE
from cinegrade.timeline.effects import clip_grade

FRAMES, FPS, SIZE = 48, 24, (320, 180)
#: the creep starts here and ramps linearly to the last frame
START, CREEP = 12, -0.5
#: the hinge's start is one of the sampled frames
STEP = along_offsets(FRAMES)[1]
WITHIN = ("creep_within_shot", "flicker_along")


@pytest.fixture(scope="module")
def cut(tmp_path_factory) -> dict:
    from cinegrade.demo.footage import Framing, ShotSpec, render_shot
    from cinegrade.media.frames import encode_clip

    folder = tmp_path_factory.mktemp("within")
    frames = render_shot(ShotSpec("astronaut", Framing("push-in", (0.5, 0.3, 1.0), (0.47, 0.3, 1.3))),
                         SIZE, FRAMES)
    share = np.clip((np.arange(FRAMES) - START) / (FRAMES - 1 - START), 0.0, 1.0)
    encode_clip(folder / "clean.mp4", frames, FPS)
    encode_clip(folder / "creep.mp4", (apply_drift(f, Drift(exposure_stops=CREEP * s))
                                       for f, s in zip(frames, share)), FPS)
    whole = otio.opentime.TimeRange(otio.opentime.RationalTime(0, FPS), otio.opentime.RationalTime(FRAMES, FPS))
    timeline = otio.schema.Timeline(name="within", global_start_time=otio.opentime.RationalTime(0, FPS))
    timeline.tracks.append(otio.schema.Track(name="V1", children=[
        otio.schema.Clip(name=name, media_reference=otio.schema.ExternalReference(
            target_url=str(folder / f"{name}.mp4"), available_range=whole), source_range=whole)
        for name in ("clean", "creep")]))
    otio.adapters.write_to_file(timeline, str(folder / "cut.otio"))
    return {"folder": folder, "timeline": folder / "cut.otio",
            "work": cinegrade.ShotWork(jobs=1, cache_dir=folder / "cache")}


def test_check_finds_the_creep_where_it_starts_and_a_second_check_decodes_nothing(cut, monkeypatch) -> None:
    import cinegrade.analysis.run as analysis_run
    import cinegrade.continuity.creep as creep_module
    import cinegrade.correspondence.views as views_module

    folder = cut["folder"]
    check = cinegrade.check_timeline(cut["timeline"], work=cut["work"], output=folder / "checked.otio")
    within = [w for w in check.warnings if w.rule in WITHIN]
    assert [(w.rule, w.clip, w.unit) for w in within] == [("creep_within_shot", "creep", "stops")], \
        [w.message for w in within]
    (creep,) = within
    assert creep.value == pytest.approx(CREEP, abs=0.05) and creep.severity == "warning"
    assert abs(creep.record_frame - (FRAMES + START)) <= STEP  # the creep clip starts at 48
    assert "from its frame" in creep.message

    # the marker sits on the creep clip where the creep starts (source frames of the clip)
    clips = otio.adapters.read_from_file(str(folder / "checked.otio")).find_clips()
    (marker,) = [m for m in clips[1].markers if m.metadata.get(NAMESPACE, {}).get("rule") == "creep_within_shot"]
    assert abs(marker.marked_range.start_time.value - START) <= STEP
    assert not [m for m in clips[0].markers if NAMESPACE in m.metadata]

    document = check.to_json()
    assert document["version"] == 1
    curves = {entry["clip"]: entry for entry in document["within_shot"]}
    # the clean shot's view frames agree: it is steady, and not measured along its length
    assert set(curves) == {"creep"} and list(check.result.steady) == [0]
    assert curves["creep"]["readings"]["exposure"]["values"][-1] == pytest.approx(CREEP, abs=0.06)

    # a second check reads every measurement from the cache: nothing is decoded
    def no_decoding(*args, **kwargs):
        raise AssertionError("a warm check decoded frames")

    monkeypatch.setattr(analysis_run, "analyse_group", no_decoding)
    monkeypatch.setattr(views_module, "view_of", no_decoding)
    monkeypatch.setattr(creep_module, "sample_along", no_decoding)
    assert cinegrade.check_timeline(cut["timeline"], work=cut["work"]).to_json() == document


def test_a_cold_check_decodes_the_frames_along_a_shot_in_its_one_sweep(cut, tmp_path, monkeypatch) -> None:
    """The frames along the creeping shot come from the sweep that samples its statistics and
    view (no second decoding: ``sample_along`` is never called), and measure it exactly as
    sampling it apart does."""
    import cinegrade.continuity.creep as creep_module
    from cinegrade.analysis.along import AlongSettings
    from cinegrade.continuity.creep import measure_shot
    from cinegrade.timeline.shots import shots_from_timeline

    shots = shots_from_timeline(otio.adapters.read_from_file(str(cut["timeline"])), cut["timeline"])
    apart = measure_shot(shots[1], AlongSettings())

    def no_second_decoding(*args, **kwargs):
        raise AssertionError("the frames along the shot were decoded again")

    monkeypatch.setattr(creep_module, "sample_along", no_second_decoding)
    work = cinegrade.ShotWork(jobs=1, cache_dir=tmp_path / "cache")
    check = cinegrade.check_timeline(cut["timeline"], work=work)
    assert list(check.result.steady) == [0]
    assert check.result.along[1].to_json() == apart.to_json()


def test_no_within_shot_turns_it_off(cut) -> None:
    from cinegrade.cli.main import cinegrade as command

    folder, cache = cut["folder"], str(cut["folder"] / "cache")
    checked = CliRunner().invoke(command, ["check", str(cut["timeline"]), "--no-within-shot", "--json", "-",
                                           "--cache-dir", cache, "--jobs", "1"], catch_exceptions=False)
    assert checked.exit_code == 0, checked.output
    document = json.loads(checked.output)
    assert document["within_shot"] == [] and not [w for w in document["warnings"] if w["rule"] in WITHIN]

    matched = CliRunner().invoke(command, ["match", str(cut["timeline"]), "-o", str(folder / "static.otio"),
                                           "--reference", "clean", "--no-within-shot", "--cache-dir", cache,
                                           "--jobs", "1", "--quiet"], catch_exceptions=False)
    assert matched.exit_code == 0, matched.output
    grades = [clip_grade(c) or {} for c in otio.adapters.read_from_file(str(folder / "static.otio")).find_clips()]
    assert not any(g.get("keyframes") for g in grades)


def _delta_e(a: np.ndarray, b: np.ndarray) -> float:
    """Mean CIEDE2000 between two 8-bit frames (float code values)."""
    from cinegrade.colour.difference import delta_e_2000

    return float(np.mean(delta_e_2000(a / 255.0, b / 255.0)))


@pytest.fixture(scope="module")
def graded(cut) -> dict:
    folder = cut["folder"]
    result = cinegrade.grade_timeline(cut["timeline"], folder / "graded.kdenlive", reference="clean",
                                      work=cut["work"], report=folder / "graded.html")
    return {"result": result, "project": folder / "graded.kdenlive", "text": (folder / "graded.kdenlive").read_text()}


def test_grade_holds_the_creeping_shot_with_few_keyframes(cut, graded) -> None:
    result = graded["result"]
    clean, creep = result.grades[0], result.grades[1]
    assert clean.keyframes == ()
    frames = [k.frame for k in creep.keyframes]
    # the hinge needs the start, the knee and the end
    assert frames[0] == 0 and frames[-1] == FRAMES - 1 and len(frames) <= 3
    assert any(abs(f - START) <= STEP for f in frames)
    assert creep.keyframes[0].cdl.is_identity  # the shot's start is left as it is
    assert np.mean(creep.keyframes[-1].cdl.slope) == pytest.approx(2 ** (-CREEP / 2.4), abs=0.03)
    # in the project: one SOP/Sat, animated, on the creeping clip; the report plots its curve
    assert graded["text"].count('"mlt_service">frei0r.sopsat<') == 1 and f";{FRAMES - 1}=" in graded["text"]
    page = (cut["folder"] / "graded.html").read_text(encoding="utf-8")
    assert "Drift inside shots" in page and 'id="along-1"' in page
    # `look` lays a look over the grade and keeps its keyframes
    looked = cinegrade.look_timeline(graded["project"], "warm", cut["folder"] / "looked.kdenlive")
    assert looked.grades[1].keyframes == creep.keyframes and looked.grades[1].look == "warm"


@pytest.mark.slow
@pytest.mark.usefixtures("melt")
def test_melt_renders_the_held_shot_back_to_the_truth(cut, graded, tmp_path) -> None:
    """melt's render of the graded creeping clip against its render of the undrifted clip, frame
    by frame: within the issue's ΔE2000 1.5 on every frame compared (the undrifted clip is the
    scene's reference, left ungraded), where the ungraded creep reaches 5."""
    from melt_render import melt_frame

    plain = tmp_path / "plain.kdenlive"
    cinegrade.convert_timeline(cut["timeline"], plain)
    for frame in (START, 30, FRAMES - 1):
        truth = melt_frame(graded["project"], frame, tmp_path / f"truth{frame}")
        held = melt_frame(graded["project"], FRAMES + frame, tmp_path / f"held{frame}")
        drifted = melt_frame(plain, FRAMES + frame, tmp_path / f"drifted{frame}")
        before, after = _delta_e(drifted, truth), _delta_e(held, truth)
        print(f"frame {frame}: ΔE2000 {before:.2f} ungraded, {after:.2f} held")
        assert after <= 1.5
        if frame == FRAMES - 1:
            assert before > 4.0 and after < 0.3 * before


@pytest.mark.slow
def test_kdenlive_opens_the_graded_project_with_the_keyframes_on_the_clip(cut, graded, require_program) -> None:
    """Kdenlive 22.12 opens the project ``grade`` wrote without a dialog and saves it with the
    creeping clip's keyframes: read back, the same ones."""
    from kdenlive_clip_session import clip_session

    for tool in ("kdenlive", "xvfb-run", "xdotool", "dbus-daemon", "dbus-send", "import-im6.q16"):
        require_program(tool)
    folder = cut["folder"] / "gui"
    folder.mkdir()
    project = folder / "opened.kdenlive"
    project.write_text(graded["text"])  # media and .cube paths are absolute
    windows = clip_session(project, folder / "session")
    assert len(windows) == 1 and windows[0].startswith("opened"), f"Kdenlive showed a dialog: {windows}"
    assert project.read_text() != graded["text"], "Kdenlive did not save the project"
    back = clip_grade(otio.adapters.read_from_file(str(project)).find_clips()[1])
    assert keyframes_from_metadata(back) == graded["result"].grades[1].keyframes
