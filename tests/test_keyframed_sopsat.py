"""A CDL that changes along a clip (issue 15): keyframes in the grade effect's metadata
(``metadata["cinegrade"]["keyframes"]``, frames from the clip's in-point) become Kdenlive's
SOP/Sat with all 13 parameters animated in MLT's keyframe syntax (``POS=VALUE;…``, ``=`` linear;
Kdenlive 22.12's data/effects/frei0r_sopsat.xml declares them ``animated``), POS the clip's
media frame.

- The keyframes go through OTIO and Kdenlive and come back as they were (also across a mix,
  which moves the clip's in-point, and in the form Kdenlive saves them); bad keyframes are an
  InputError; exports to EDL and ASC CDL files say the change over time is not carried.
- melt renders the clip, on keyframes and between them, as the linearly interpolated CDL's
  maths within 2.5 code values at the 99th percentile.
- Kdenlive 22.12 opens the project with the keyframes on the clip: the project it saves holds them.
"""

from __future__ import annotations

import doctest
import shutil
import subprocess
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest
from kdenlive_clip_session import clip_session, effect_stack_sliders, keyframe_marks

from cinegrade.colour.cdl import CDL, apply_cdl
from cinegrade.errors import InputError
from cinegrade.grade.effects import attach_grade, keyframes_from_metadata
from cinegrade.grade.grade import CDLKeyframe, Grade, cdl_at, write_after_cdl_cubes, write_grade_cubes
from cinegrade.otio_plugins import kdenlive_adapter, kdenlive_sopsat
from cinegrade.otio_plugins.kdenlive_document import time_to_frames
from cinegrade.timeline.effects import clip_grade, relative_cube

RATE, FRAMES, SIZE = 25, 160, (160, 90)
START, LENGTH = 7, 150  # the clip: media frames 7..156 (6 s: long enough to click on the timeline)
KEYFRAMES = (CDLKeyframe(0, CDL((1.1, 1.0, 0.9), (0.02, 0.0, -0.02), (1.0, 1.0, 1.0), 1.0)),
             CDLKeyframe(24, CDL((0.8, 1.1, 1.3), (-0.03, 0.02, 0.05), (1.2, 0.9, 1.0), 1.3)),
             CDLKeyframe(60, CDL((1.3, 0.9, 1.0), (0.0, 0.0, 0.0), (0.9, 1.1, 1.0), 0.7)))
#: Frames of the clip compared: on each keyframe, between them, and after the last (held).
COMPARED = (0, 12, 24, 40, 60, 80)


def _media(folder: Path) -> Path:
    from cinegrade.media.frames import encode_clip

    y, x = np.mgrid[0:SIZE[1], 0:SIZE[0]]
    frames = [np.stack([x / (SIZE[0] - 1), y / (SIZE[1] - 1), 0.5 + 0.45 * np.sin(x / 7.0 + y / 11.0 + 0.05 * i)],
                       -1).clip(0, 1).astype(np.float32) for i in range(FRAMES)]
    encode_clip(folder / "media.mp4", frames, fps=RATE)
    return folder / "media.mp4"


def _timeline(media: Path, name: str = "keyframes") -> tuple[otio.schema.Timeline, otio.schema.Clip]:
    whole = otio.opentime.TimeRange(otio.opentime.RationalTime(0, RATE), otio.opentime.RationalTime(FRAMES, RATE))
    clip = otio.schema.Clip(name="shot", media_reference=otio.schema.ExternalReference(
        target_url=str(media), available_range=whole), source_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(START, RATE), otio.opentime.RationalTime(LENGTH, RATE)))
    timeline = otio.schema.Timeline(name=name, global_start_time=otio.opentime.RationalTime(0, RATE))
    timeline.tracks.append(otio.schema.Track(name="V1", children=[clip]))
    return timeline, clip


def _graded(path: Path, timeline: otio.schema.Timeline, clip: otio.schema.Clip, grade: Grade) -> Path:
    """``timeline`` written to ``path`` with ``grade`` on ``clip``, as ``grade_timeline`` writes it."""
    cubes, after = write_grade_cubes([grade], path), write_after_cdl_cubes([grade], path)
    attach_grade(clip, grade, relative_cube(cubes[grade.shot_index], path),
                 relative_cube(after[grade.shot_index], path) if grade.shot_index in after else None, live=True)
    kdenlive_adapter.write_to_file(timeline, path)
    return path


def _sopsat(project: Path) -> dict:
    return next({p.get("name"): p.text for p in f.findall("property")} for f in ET.parse(project).iter("filter")
                if any(p.text == "frei0r.sopsat" for p in f.findall("property")))


def _keyframes(meta: dict) -> list[tuple[int, CDL]]:
    return [(k.frame, k.cdl) for k in keyframes_from_metadata(meta)]


# --------------------------------------------------------------------------------------------
# Formats


def test_docstring_examples() -> None:
    """The SOP/Sat module's examples (tests/test_doctests.py walks only grading/)."""
    result = doctest.testmod(kdenlive_sopsat)
    assert result.attempted >= 4 and result.failed == 0


def test_keyframes_are_checked_and_interpolated() -> None:
    with pytest.raises(InputError, match="increasing order"):
        Grade(0, "a", keyframes=(CDLKeyframe(10, CDL()), CDLKeyframe(10, CDL())))
    with pytest.raises(InputError, match="increasing order"):
        keyframes_from_metadata({"keyframes": [{"frame": 3, "cdl": {}}, {"frame": 1, "cdl": {}}]})
    with pytest.raises(InputError, match="not a whole number"):
        keyframes_from_metadata({"keyframes": [{"frame": 1.5, "cdl": {"asc_sat": 1.0}}]})
    with pytest.raises(InputError, match="malformed"):
        keyframes_from_metadata({"keyframes": [{"cdl": {"asc_sat": 1.0}}]})
    grade = Grade(0, "a", keyframes=KEYFRAMES)
    assert grade.live_cdl and grade.after_cdl.is_identity and not grade.is_identity
    halfway = cdl_at(KEYFRAMES, 42)
    assert halfway.slope == pytest.approx((1.05, 1.0, 1.15)) and halfway.saturation == pytest.approx(1.0)
    rgb = np.random.default_rng(1).random((50, 3))
    assert np.allclose(grade.apply(rgb, 42), apply_cdl(rgb, halfway))


def test_keyframes_go_through_otio_and_kdenlive_and_come_back(tmp_path) -> None:
    """In OTIO the keyframes stay in the grade's metadata; in Kdenlive every SOP/Sat parameter
    is animated at the clip's media frames (in-point 7 + frame), linear; read back — also in
    the clock form Kdenlive saves — the same keyframes, frames from the in-point."""
    timeline, clip = _timeline(tmp_path / "media.mp4")
    path = _graded(tmp_path / "k.kdenlive", timeline, clip, Grade(0, "shot", keyframes=KEYFRAMES))
    meta = clip_grade(clip)
    assert meta["live"] == "cdl" and _keyframes(meta) == [(k.frame, k.cdl) for k in KEYFRAMES]
    json_back = otio.adapters.read_from_string(otio.adapters.write_to_string(timeline, "otio_json"), "otio_json")
    assert _keyframes(clip_grade(json_back.find_clips()[0])) == _keyframes(meta)

    sopsat = _sopsat(path)
    assert set(kdenlive_sopsat.PARAMETERS) <= set(sopsat) and "disable" not in sopsat
    assert sopsat["rSlope"] == "7=0.055000000;31=0.040000000;67=0.065000000"
    assert sopsat["aSlope"] == "7=0.050000000;31=0.050000000;67=0.050000000"
    early = [{"frame": -12, "cdl": {"asc_sat": 0.5}}, {"frame": -9, "cdl": {"asc_sat": 0.8}},
             {"frame": 3, "cdl": {"asc_sat": 1.0}}]  # before the media's start: MLT's 0, not its end
    assert dict(kdenlive_sopsat.sopsat_properties(keyframes=early, media_in=7))["saturation"] == \
        "0=0.080000000;10=0.100000000"
    back = clip_grade(kdenlive_adapter.read_from_file(path).find_clips()[0])
    assert back["method"] is None and _keyframes(back) == _keyframes(meta)

    clocked = path.read_text()  # as Kdenlive 22.12 saves them: clocks, a smooth key among them
    for frame, clock in ((7, "00:00:00.280"), (31, "00:00:01.240"), (67, "00:00:02.680")):
        clocked = clocked.replace(f">{frame}=", f">{clock}=").replace(f";{frame}=", f";{clock}=")
    clocked = clocked.replace(";00:00:01.240=0.040000000", ";00:00:01.240~=0.040000000")
    (tmp_path / "clocked.kdenlive").write_text(clocked)
    assert "00:00:01.240~=0.040000000" in clocked
    again = clip_grade(kdenlive_adapter.read_from_file(tmp_path / "clocked.kdenlive").find_clips()[0])
    assert _keyframes(again) == _keyframes(meta)


def test_keyframes_keep_their_frames_across_a_mix(tmp_path) -> None:
    """The incoming clip of a dissolve starts on the track before its in-point (Kdenlive's
    same-track mix): its keyframes still count from the in-point when read back."""
    from dissolve_media import dissolving_timeline

    timeline = dissolving_timeline(tmp_path, rate=RATE)
    incoming = timeline.find_clips()[1]
    keyframes = (CDLKeyframe(0, CDL(saturation=0.5)), CDLKeyframe(8, CDL(saturation=1.5)))
    path = _graded(tmp_path / "mix.kdenlive", timeline, incoming, Grade(1, incoming.name, keyframes=keyframes))
    entry_in = next(time_to_frames(e.get("in"), Fraction(RATE)) for e in ET.parse(path).iter("entry")
                    if e.findall("filter"))
    assert entry_in == 2  # the entry starts 4 frames before the in-point (media frame 6)
    assert _sopsat(path)["saturation"] == "6=0.050000000;14=0.150000000"
    back = kdenlive_adapter.read_from_file(path).find_clips()[1]
    assert _keyframes(clip_grade(back)) == [(k.frame, k.cdl) for k in keyframes]


@pytest.mark.parametrize("target", ["ccc", "edl"])
def test_exports_say_the_change_over_time_is_not_carried(tmp_path, target) -> None:
    import cinegrade

    timeline, clip = _timeline(tmp_path / "media.mp4")
    grade = Grade(0, "shot", keyframes=KEYFRAMES)
    write_grade_cubes([grade], tmp_path / "k.otio")
    attach_grade(clip, grade, relative_cube(tmp_path / "k.grades" / "001-shot.cube", tmp_path / "k.otio"))
    clip_grade_meta = clip.effects[-1].metadata["cinegrade"]
    clip_grade_meta["cdl"] = {"asc_sop": {"slope": [1.1, 1, 0.9], "offset": [0.02, 0, -0.02],
                                          "power": [1, 1, 1]}, "asc_sat": 1.0}  # its static CDL
    otio.adapters.write_to_file(timeline, str(tmp_path / "k.otio"))
    heard = []
    exported = cinegrade.export_grades(tmp_path / "k.otio", **{target: tmp_path / f"out.{target}"},
                                       on_note=heard.append)
    assert exported.count == 1 and len(exported.not_carried) == 1 and heard == list(exported.not_carried)
    assert "changes over time (keyframes), which is not carried" in heard[0] and "shot" in heard[0]


# --------------------------------------------------------------------------------------------
# melt and Kdenlive


def _melt_frames(project: Path, frames: tuple[int, ...], out: Path) -> dict[int, np.ndarray]:
    """Timeline frames ``frames`` of ``project`` rendered by melt in one run (8-bit RGB, float)."""
    from PIL import Image

    first, last = min(frames), max(frames)
    for _ in range(3):  # a loaded machine sometimes stops melt before its last frame is written
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        run = subprocess.run([shutil.which("melt"), str(project), "-consumer", f"avformat:{out / 'f_%04d.png'}",
                              "vcodec=png", "real_time=-1", f"in={first}", f"out={last + 1}"],
                             cwd=out, capture_output=True, text=True, timeout=120, check=False)
        rendered = sorted(out.glob("f_*.png"))
        if len(rendered) > last - first:
            break
    assert len(rendered) > last - first, f"melt wrote {len(rendered)} frames: {run.stderr[-2000:]}"
    return {f: np.asarray(Image.open(rendered[f - first]).convert("RGB")).astype(np.float64) for f in frames}


@pytest.fixture(scope="module")
def keyframed(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("keyframed")
    media = _media(folder)
    plain = folder / "plain.kdenlive"
    kdenlive_adapter.write_to_file(_timeline(media, "plain")[0], plain)
    timeline, clip = _timeline(media)
    project = _graded(folder / "keyframes.kdenlive", timeline, clip, Grade(0, "shot", keyframes=KEYFRAMES))
    return {"folder": folder, "plain": plain, "project": project, "written": project.read_text()}


@pytest.mark.slow
@pytest.mark.usefixtures("melt")
def test_melt_renders_the_interpolated_cdl(keyframed) -> None:
    """On keyframes, between them and after the last, melt's frame is the CDL interpolated
    linearly at that frame (:func:`cinegrade.grade.grade.cdl_at`) applied to the ungraded frame,
    within 2.5 code values at the 99th percentile; between keyframes it is neither neighbour."""
    folder = keyframed["folder"]
    plain = _melt_frames(keyframed["plain"], COMPARED, folder / "plain_out")
    graded = _melt_frames(keyframed["project"], COMPARED, folder / "graded_out")
    worst = []
    for frame in COMPARED:
        expected = apply_cdl(plain[frame] / 255.0, cdl_at(KEYFRAMES, frame)) * 255.0
        error = np.abs(expected - graded[frame])
        worst.append((frame, float(np.percentile(error, 99)), float(error.max())))
        assert np.percentile(error, 99) <= 2.5, f"frame {frame}: p99 {np.percentile(error, 99):.2f}"
    print("frame, p99, max code values:", [(f, round(p, 2), round(m, 2)) for f, p, m in worst])
    for frame, before, after in ((12, 0, 1), (40, 1, 2)):  # between: not a neighbour's CDL
        for neighbour in (KEYFRAMES[before].cdl, KEYFRAMES[after].cdl):
            off = np.abs(apply_cdl(plain[frame] / 255.0, neighbour) * 255.0 - graded[frame])
            assert np.percentile(off, 99) > 5


@pytest.mark.slow
def test_kdenlive_opens_the_project_with_the_keyframes_on_the_clip(keyframed, require_program) -> None:
    """Kdenlive 22.12 opens the project without a dialog, shows the clip's SOP/Sat when the clip
    is clicked — the screenshot (kept) has its 13 sliders and, on its keyframe ruler, a mark per
    keyframe, placed in proportion to the keyframes' frames (within 1.5 pixels) — and saves it,
    in its own form, with the keyframes: read back, the same ones."""
    for tool in ("kdenlive", "xvfb-run", "xdotool", "dbus-daemon", "dbus-send", "import-im6.q16"):
        require_program(tool)
    project = keyframed["folder"] / "opened.kdenlive"
    project.write_text(keyframed["written"])
    windows = clip_session(project, keyframed["folder"] / "gui")
    assert len(windows) == 1 and windows[0].startswith("opened"), f"Kdenlive showed a dialog: {windows}"
    screenshot = keyframed["folder"] / "gui" / "stack.png"
    sliders = effect_stack_sliders(screenshot)
    widths = [width for _, _, width in sliders]
    common = max(set(widths), key=widths.count)
    assert widths.count(common) == 13, sliders
    marks = keyframe_marks(screenshot, next(top for top, _, width in sliders if width == common))
    frames = [k.frame for k in KEYFRAMES]
    assert len(marks) == len(frames), marks
    scale, origin = np.polyfit(frames, marks, 1)
    print(f"keyframe marks at x {marks}: {scale:.2f} px per frame")
    assert scale > 1 and np.abs(scale * np.array(frames) + origin - marks).max() <= 1.5
    saved = project.read_text()
    assert saved != keyframed["written"], "Kdenlive did not save the project"
    sopsat = _sopsat(project)
    print(f"Kdenlive saved rSlope as {sopsat['rSlope']!r}")
    assert sopsat["cinegrade:cdl"] == "live" and sopsat.get("disable") in (None, "0")
    back = clip_grade(kdenlive_adapter.read_from_file(project).find_clips()[0])
    assert _keyframes(back) == [(k.frame, k.cdl) for k in KEYFRAMES]
