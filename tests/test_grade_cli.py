"""``cinegrade grade``, ``match`` and ``look`` end to end on generated footage, and the graded
Kdenlive project rendered by MLT's ``melt``: its frames equal our LUT engine applied to the
ungraded render (≤ 1 code value at the 99th percentile), and the match brings the drifted shot
toward its undrifted truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest
from click.testing import CliRunner
from melt_render import melt_frame

from cinegrade.cli.main import cinegrade
from cinegrade.colour.drift import Drift
from cinegrade.colour.lut import apply_lut
from cinegrade.demo.footage import Framing, SceneSpec, ShotSpec, build_scene_set
from cinegrade.media.cube import read_cube
from cinegrade.timeline.contract import GRADE_EFFECT as EFFECT_NAME
from cinegrade.timeline.effects import cdl_from_otio_metadata, clip_grade

DRIFT = Drift(white_balance_k=5600.0, exposure_stops=-0.3, saturation=1.2, gamma=1.05)
SCENES = (
    SceneSpec("astronaut", (ShotSpec("astronaut", Framing("wide", (0.5, 0.3, 1.0))),
                            ShotSpec("astronaut", Framing("close", (0.47, 0.3, 1.5))))),
    SceneSpec("coffee", (ShotSpec("coffee", Framing("wide")),
                         ShotSpec("coffee", Framing("pan", (0.4, 0.5, 1.4), (0.6, 0.5, 1.4))))),
)


@pytest.fixture(scope="module")
def scene_set(tmp_path_factory):
    folder = tmp_path_factory.mktemp("grade-scenes")
    return build_scene_set(folder, SCENES, size=(320, 180), seconds=0.5,
                           drifts={"astronaut-02-close": DRIFT, "coffee-02-pan": DRIFT})


def run(*args: str):
    result = CliRunner().invoke(cinegrade, [*args, "--jobs", "1", "--no-cache"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.slow
@pytest.mark.usefixtures("melt")
def test_graded_kdenlive_project_renders_our_grade(scene_set, tmp_path) -> None:
    graded = tmp_path / "graded.kdenlive"
    plain = tmp_path / "plain.kdenlive"
    report = tmp_path / "report.html"
    result = run("grade", str(scene_set.timeline_path), "-o", str(graded), "--look", "warm",
                 "--look-strength", "0.5", "--report", str(report),
                 "--reference", "astronaut-01-wide")
    assert "aligned" in result.output
    cubes = sorted((tmp_path / "graded.grades").glob("*.cube"))
    assert len(cubes) == 4  # every clip carries the look
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<h2>Grades</h2>" in page
    assert "astronaut-02-close" in page and "aligned" in page
    from cinegrade.otio_plugins import kdenlive_adapter

    kdenlive_adapter.write_to_file(otio.adapters.read_from_file(str(scene_set.timeline_path)), plain)

    frame = 12 + 6  # the middle of the drifted close-up (shots are 12 frames)
    ours = melt_frame(plain, frame, tmp_path / "plain")
    theirs = melt_frame(graded, frame, tmp_path / "graded")
    lut = read_cube(cubes[1])
    expected = apply_lut(ours / 255.0, lut) * 255.0
    error = np.abs(expected - theirs)
    assert np.percentile(error, 99) <= 1.0, f"p99 {np.percentile(error, 99):.2f} code values"
    assert np.percentile(np.abs(theirs - ours), 50) > 2  # the grade is really there


def test_grade_writes_effects_cdl_and_replaces_its_own(scene_set, tmp_path) -> None:
    source = otio.adapters.read_from_file(str(scene_set.timeline_path))
    user_effect = otio.schema.Effect(name="blur", effect_name="user.blur")
    source.find_clips()[1].effects.append(user_effect)
    source.find_clips()[2].metadata["cdl"] = {"asc_sop": {"slope": [1.1, 1, 1], "offset": [0, 0, 0],
                                                          "power": [1, 1, 1]}, "asc_sat": 1.0}
    timeline = tmp_path / "in.otio"
    otio.adapters.write_to_file(source, str(timeline))
    out = tmp_path / "out.otio"
    run("grade", str(timeline), "-o", str(out), "--method", "cdl")
    graded = otio.adapters.read_from_file(str(out))
    clips = list(graded.find_clips())
    close = clips[1]
    assert [e.effect_name for e in close.effects] == ["user.blur", EFFECT_NAME]
    meta = clip_grade(close)
    assert meta["method"] == "cdl" and meta["reference"] == "astronaut-01-wide"
    assert meta["evidence"] == "aligned" and meta["live"] == "cdl"
    assert meta["cube_after_cdl"] is None  # no look: nothing follows the live CDL
    assert cdl_from_otio_metadata(close.metadata) == cdl_from_otio_metadata({"cdl": meta["cdl"]})
    assert (out.parent / meta["cube"]).is_file() and not Path(meta["cube"]).is_absolute()
    assert clip_grade(clips[0]) is None  # the reference needs no grade
    # re-run with lut: one grade per clip still, our CDL gone, the user's CDL and effect kept
    run("grade", str(out), "-o", str(tmp_path / "again.otio"), "--method", "lut")
    again = list(otio.adapters.read_from_file(str(tmp_path / "again.otio")).find_clips())
    assert [e.effect_name for e in again[1].effects] == ["user.blur", EFFECT_NAME]
    assert "cdl" not in again[1].metadata
    assert list(again[2].metadata["cdl"]["asc_sop"]["slope"]) == [1.1, 1, 1]


def test_look_keeps_the_match_and_match_keeps_the_look(scene_set, tmp_path) -> None:
    matched = tmp_path / "matched.otio"
    run("match", str(scene_set.timeline_path), "-o", str(matched))
    first = clip_grade(list(otio.adapters.read_from_file(str(matched)).find_clips())[1])
    looked = tmp_path / "looked.otio"
    run("look", str(matched), "bw", "-o", str(looked), "--strength", "0.7")
    second = clip_grade(list(otio.adapters.read_from_file(str(looked)).find_clips())[1])
    assert second["look"] == "bw" and second["look_strength"] == 0.7
    assert second["correction"] == first["correction"] and second["method"] == "lut"
    cube = read_cube(looked.parent / second["cube"])
    grey = apply_lut(np.array([[0.6, 0.3, 0.2]]), cube)[0]
    assert np.ptp(grey) < 0.5 * 0.4  # mostly black and white now (input spread 0.4)
    rematched = tmp_path / "rematched.otio"
    run("match", str(looked), "-o", str(rematched), "--strength", "0.5")
    third = clip_grade(list(otio.adapters.read_from_file(str(rematched)).find_clips())[1])
    assert third["look"] == "bw" and third["strength"] == 0.5


def test_a_disabled_clip_keeps_its_grade_when_written_elsewhere(scene_set, tmp_path) -> None:
    (tmp_path / "first").mkdir()
    matched = tmp_path / "first" / "matched.otio"
    run("match", str(scene_set.timeline_path), "-o", str(matched))
    timeline = otio.adapters.read_from_file(str(matched))
    clip = list(timeline.find_clips())[1]
    clip.enabled = False
    otio.adapters.write_to_file(timeline, str(matched))
    (tmp_path / "second").mkdir()
    again = tmp_path / "second" / "again.otio"
    run("look", str(matched), "warm", "-o", str(again))
    kept = clip_grade(list(otio.adapters.read_from_file(str(again)).find_clips())[1])
    assert kept["look"] is None  # left as it was, but its .cube found from the new place
    assert (again.parent / kept["cube"]).resolve() == (matched.parent / clip_grade(clip)["cube"]).resolve()
    assert (again.parent / kept["cube"]).is_file()


def test_bad_input_is_one_line_and_exit_2(scene_set, tmp_path) -> None:
    result = CliRunner().invoke(cinegrade, ["grade", str(scene_set.timeline_path), "-o",
                                            str(tmp_path / "x.otio"), "--look", "no-such-look"])
    assert result.exit_code == 2 and "unknown look" in result.stderr
    result = CliRunner().invoke(cinegrade, ["grade", str(scene_set.timeline_path), "-o",
                                            str(tmp_path / "x.otio"), "--reference", "nope",
                                            "--no-cache", "--jobs", "1"])
    assert result.exit_code == 2 and "no clip" in result.stderr


@pytest.mark.slow
@pytest.mark.usefixtures("melt")
def test_cdl_grade_is_a_live_sop_sat_in_kdenlive(scene_set, tmp_path) -> None:
    """With --method cdl and no look each matched clip carries Kdenlive's SOP/Sat, enabled, with
    its CDL, and no Apply LUT; melt renders it as our CDL maths within the 8-bit truncation frei0r
    does (≤ 2.5 code values at the 99th percentile). Read back, the project gives each clip's
    CDL, which ``cinegrade look`` keeps: the clips then get an Apply LUT with the look alone after
    the SOP/Sat (melt renders the SOP/Sat's render through the look's .cube, ≤ 1.5 code values:
    two 8-bit roundings), and the reference only that."""
    import xml.etree.ElementTree as ET

    from cinegrade.colour.cdl import apply_cdl
    from cinegrade.otio_plugins import kdenlive_adapter

    def stacks(project: Path) -> list[list[dict]]:
        return [[{p.get("name"): p.text for p in f.findall("property")} for f in entry.findall("filter")]
                for entry in ET.parse(project).iter("entry") if entry.findall("filter")]

    graded = tmp_path / "cdl.kdenlive"
    run("grade", str(scene_set.timeline_path), "-o", str(graded), "--method", "cdl",
        "--reference", "astronaut-01-wide")
    assert [[f["mlt_service"] for f in stack] for stack in stacks(graded)] == [["frei0r.sopsat"]] * 2
    assert all("disable" not in f and f["cinegrade:cdl"] == "live" for stack in stacks(graded) for f in stack)
    meta = clip_grade(list(kdenlive_adapter.read_from_file(graded).find_clips())[1])
    assert meta["live"] == "cdl" and meta["method"] == "cdl"
    cdl = cdl_from_otio_metadata({"cdl": meta["cdl"]})
    assert not cdl.is_identity

    plain = tmp_path / "plain.kdenlive"
    kdenlive_adapter.write_to_file(otio.adapters.read_from_file(str(scene_set.timeline_path)), plain)
    frame = 12 + 6
    ours = melt_frame(plain, frame, tmp_path / "plain")
    rendered = melt_frame(graded, frame, tmp_path / "graded")
    error = np.abs(apply_cdl(ours / 255.0, cdl) * 255.0 - rendered)
    print(f"live SOP/Sat vs CDL maths: p99 {np.percentile(error, 99):.2f}, max {error.max():.0f}")
    assert np.percentile(error, 99) <= 2.5
    assert np.percentile(np.abs(rendered - ours), 50) > 2

    looked = tmp_path / "looked.kdenlive"
    run("look", str(graded), "warm", "-o", str(looked), "--strength", "0.5")
    assert sorted([f["mlt_service"] for f in stack] for stack in stacks(looked)) == \
        sorted([["avfilter.lut3d"]] * 2 + [["frei0r.sopsat", "avfilter.lut3d"]] * 2)
    after = read_cube(tmp_path / "looked.grades" / "002-astronaut-02-close-after-cdl.cube")
    with_look = melt_frame(looked, frame, tmp_path / "looked")
    error = np.abs(apply_lut(rendered / 255.0, after) * 255.0 - with_look)
    both = np.abs(apply_lut(apply_cdl(ours / 255.0, cdl), after) * 255.0 - with_look)
    print(f"+ look: vs the SOP/Sat render through the look's .cube p99 {np.percentile(error, 99):.2f}; "
          f"vs CDL maths and .cube p99 {np.percentile(both, 99):.2f}, max {both.max():.0f}")
    assert np.percentile(error, 99) <= 1.5
    assert cdl_from_otio_metadata(clip_grade(list(kdenlive_adapter.read_from_file(looked).find_clips())[1])) \
        == cdl


def test_graded_report_checks_the_graded_frames(scene_set, tmp_path) -> None:
    import base64
    import io
    import re

    from PIL import Image

    report = tmp_path / "graded.html"
    run("grade", str(scene_set.timeline_path), "-o", str(tmp_path / "out.otio"),
        "--report", str(report), "--look", "warm", "--look-strength", "0.5")
    page = report.read_text(encoding="utf-8")
    thumbnails = [np.asarray(Image.open(io.BytesIO(base64.b64decode(data)))).mean()
                  for data in re.findall(r'src="data:image/\w+;base64,([^"]+)"', page)]
    assert len(thumbnails) == 4
    assert min(thumbnails) > 40, thumbnails  # mid-toned photographs, not empty frames
    # framings of one photograph align after the grade as before it: no cut judged blind
    assert "share no matched content" not in page


def test_grade_names_the_shots_it_could_not_match(scene_set, tmp_path) -> None:
    """A clip whose media is gone is left ungraded, and the table says which clip and file."""
    timeline = otio.adapters.read_from_file(str(scene_set.timeline_path))
    clip = next(c for c in timeline.find_clips() if c.name == "coffee-02-pan")
    gone = tmp_path / "gone.mp4"
    clip.media_reference = otio.schema.ExternalReference(target_url=str(gone),
                                                         available_range=clip.media_reference.available_range)
    cut = tmp_path / "cut.otio"
    otio.adapters.write_to_file(timeline, str(cut))
    result = run("match", str(cut), "-o", str(tmp_path / "matched.otio"))
    line = next(x for x in result.output.splitlines() if "not matched" in x)
    assert "coffee-02-pan" in line and "gone.mp4" in line, line


def test_check_of_a_graded_timeline_says_it_measures_without_the_grades(scene_set, tmp_path) -> None:
    """``check`` on a graded timeline measures the media as they are; it says so on stderr, once."""
    import cinegrade

    graded = tmp_path / "matched.otio"
    run("match", str(scene_set.timeline_path), "-o", str(graded))
    notes: list[str] = []
    cinegrade.check_timeline(graded, within_shot=False, evidence=[], on_note=notes.append,
                             work=cinegrade.ShotWork(jobs=1, cache_dir=tmp_path / "cache"))
    said = [n for n in notes if "carry cinegrade's grade" in n]
    carrying = sum(1 for clip in otio.adapters.read_from_file(str(graded)).find_clips() if clip_grade(clip))
    assert carrying >= 1 and len(said) == 1 and said[0].startswith(f"{carrying} clip(s)"), notes
    notes.clear()
    cinegrade.check_timeline(scene_set.timeline_path, within_shot=False, evidence=[], on_note=notes.append,
                             work=cinegrade.ShotWork(jobs=1, cache_dir=tmp_path / "cache"))
    assert not [n for n in notes if "carry cinegrade's grade" in n]
