"""``cinegrade apply``: grades coming back from a grading suite.

The round trip on generated footage: ``grade --method cdl`` → ``export`` (.ccc, EDL) → the
colourist's edits → ``apply`` → the Kdenlive project rendered by MLT's ``melt`` equals OpenColorIO's
``CDLTransform`` (ASC style) on the decoded frames within a code value; the same on OTIO and EDL
timelines (the grade effect's metadata, ``*ASC_SOP``); matching by id, clip name, reel and file
name, what did not match, and bad input (one line, exit 2, nothing written).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import colour
import numpy as np
import opentimelineio as otio
import PyOpenColorIO as ocio
import pytest
from click.testing import CliRunner
from melt_render import melt_frame

import cinegrade
from cinegrade.cli.main import cinegrade as cinegrade_command
from cinegrade.colour.cdl import CDL, apply_cdl
from cinegrade.colour.drift import Drift
from cinegrade.colour.lut import apply_lut
from cinegrade.demo.footage import Framing, SceneSpec, ShotSpec, build_scene_set
from cinegrade.grade.apply import IncomingGrade, TimelineClip, map_grades
from cinegrade.grade.effects import attach_grade
from cinegrade.grade.grade import Grade, write_after_cdl_cubes, write_grade_cubes
from cinegrade.matching.match import Match
from cinegrade.media.cdl_files import CDLDocument, ColorCorrection, read_cdl_file, write_cdl_file
from cinegrade.media.cube import read_cube
from cinegrade.timeline.effects import cdl_from_otio_metadata, clip_grade, cube_path, relative_cube

ocio.SetLoggingLevel(ocio.LOGGING_LEVEL_NONE)
RATE = 24
SHOT_FRAMES = 12  # 0.5 s at 24 fps
WIDE, CLOSE = "astronaut-01-wide", "astronaut-02-close"
DRIFT = Drift(white_balance_k=5600.0, exposure_stops=-0.3, saturation=1.2, gamma=1.05)
SCENES = (SceneSpec("astronaut", (ShotSpec("astronaut", Framing("wide", (0.5, 0.3, 1.0))),
                                  ShotSpec("astronaut", Framing("close", (0.47, 0.3, 1.5))))),)
# the colourist's grades: the close-up's exported CDL refined, and a new one for the wide shot
EDITED = {CLOSE: CDL((1.12, 1.03, 0.9), (0.015, -0.01, 0.02), (0.9, 1.05, 1.1), 1.25),
          WIDE: CDL((0.95, 1.0, 1.08), (-0.02, 0.005, 0.0), (1.1, 0.97, 0.92), 0.8)}


def cli(*args: str):
    return CliRunner().invoke(cinegrade_command, [str(a) for a in args], catch_exceptions=False)


def run(*args: str):
    result = cli(*args)
    assert result.exit_code == 0, result.output + result.stderr
    return result


def ocio_cdl(rgb: np.ndarray, cdl: CDL) -> np.ndarray:
    """OpenColorIO's CDLTransform, style CDL_ASC (ASC CDL v1.2, clamped), on RGB (..., 3)."""
    transform = ocio.CDLTransform()
    transform.setSlope(list(cdl.slope))
    transform.setOffset(list(cdl.offset))
    transform.setPower(list(cdl.power))
    transform.setSat(cdl.saturation)
    transform.setStyle(ocio.CDL_ASC)
    out = np.ascontiguousarray(rgb, dtype=np.float32).reshape(-1, 3).copy()
    ocio.Config.CreateRaw().getProcessor(transform).getDefaultCPUProcessor().applyRGB(out)
    return out.reshape(np.shape(rgb)).astype(np.float64)


def assert_nodes(cube, exact) -> None:
    """The .cube's lattice holds ``exact`` (display-referred RGB → RGB) at its nodes."""
    nodes = colour.LUT3D.linear_table(cube.size)
    np.testing.assert_allclose(cube.table, exact(nodes), atol=2e-5)


def _text(values) -> str:
    return " ".join(f"{v:.6f}" for v in values)


def edit_ccc(exported: Path, edited: Path) -> None:
    """What the colourist does in the grading suite: new values for the exported close-up, and a
    new ColorCorrection for the wide shot (named by clip, as suites name them)."""
    ET.register_namespace("", "urn:ASC:CDL:v1.01")
    tree = ET.parse(exported)
    root = tree.getroot()
    ns = {"c": "urn:ASC:CDL:v1.01"}
    (close,) = root.findall("c:ColorCorrection", ns)
    assert close.get("id") == CLOSE
    wide = ET.fromstring(ET.tostring(close))
    wide.set("id", WIDE)
    root.append(wide)
    for element in (close, wide):
        cdl = EDITED[element.get("id")]
        for name, values in (("Slope", cdl.slope), ("Offset", cdl.offset), ("Power", cdl.power)):
            element.find(f"c:SOPNode/c:{name}", ns).text = _text(values)
        element.find("c:SatNode/c:Saturation", ns).text = f"{cdl.saturation:.6f}"
    tree.write(edited, xml_declaration=True, encoding="UTF-8")


def edit_edl(exported: Path, edited: Path) -> None:
    """The colourist's EDL: every event's ``*ASC_SOP``/``*ASC_SAT`` set (the wide shot had none)."""
    out = []
    for line in exported.read_text().splitlines():
        if line.startswith(("*ASC_SOP", "*ASC_SAT")):
            continue
        out.append(line)
        found = re.match(r"\* FROM CLIP NAME:\s+(\S+)", line)
        if found:
            cdl = EDITED[found.group(1)]
            out.append("*ASC_SOP ({}) ({}) ({})".format(*(_text(v) for v in (cdl.slope, cdl.offset, cdl.power))))
            out.append(f"*ASC_SAT {cdl.saturation:.6f}")
    edited.write_text("\n".join(out) + "\n")


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    """A demo-like scene graded with --method cdl (OTIO), its .ccc and EDL exported and edited,
    the graded timeline as a Kdenlive project, and the ungraded project to render against."""
    from cinegrade.otio_plugins import kdenlive_adapter

    folder = tmp_path_factory.mktemp("apply")
    scene_set = build_scene_set(folder / "set", SCENES, size=(160, 90), seconds=0.5,
                                drifts={CLOSE: DRIFT})
    graded = folder / "graded.otio"
    run("grade", scene_set.timeline_path, "-o", graded, "--method", "cdl", "--jobs", "1",
        "--no-cache", "--reference", WIDE)
    run("export", graded, "--ccc", folder / "exported.ccc")
    run("export", graded, "--edl", folder / "exported.edl")
    edit_ccc(folder / "exported.ccc", folder / "edited.ccc")
    edit_edl(folder / "exported.edl", folder / "edited.edl")
    project = folder / "graded.kdenlive"
    run("convert", graded, project)
    plain = folder / "plain.kdenlive"
    kdenlive_adapter.write_to_file(otio.adapters.read_from_file(str(scene_set.timeline_path)), plain)
    return SimpleNamespace(folder=folder, graded=graded, project=project, plain=plain)


@pytest.fixture(scope="module")
def plain_frames(round_trip, melt):
    """The ungraded project's frames melt decodes, one in the middle of each shot."""
    return {name: melt_frame(round_trip.plain, frame, round_trip.folder / f"plain{frame}")
            for name, frame in ((WIDE, SHOT_FRAMES // 2), (CLOSE, SHOT_FRAMES + SHOT_FRAMES // 2))}


def _assert_renders_the_cdls(project: Path, plain: dict, out: Path, p99: float, worst: float) -> None:
    """Each shot of ``project`` rendered by melt = OpenColorIO's CDL on the ungraded decode,
    within ``p99`` code values at the 99th percentile and ``worst`` anywhere, and visibly graded."""
    for name, frame in ((WIDE, SHOT_FRAMES // 2), (CLOSE, SHOT_FRAMES + SHOT_FRAMES // 2)):
        rendered = melt_frame(project, frame, out / f"{project.stem}{frame}")
        expected = ocio_cdl(plain[name] / 255.0, EDITED[name]) * 255.0
        error = np.abs(rendered - expected)
        assert np.percentile(error, 99) <= p99, (name, np.percentile(error, 99), error.max())
        assert error.max() <= worst, (name, error.max())
        assert np.percentile(np.abs(rendered - plain[name]), 50) > 2  # the grade is really there


def _filters(project: Path) -> list[dict]:
    return [{p.get("name"): p.text for p in f.findall("property")} for f in ET.parse(project).iter("filter")]


@pytest.mark.slow
def test_ccc_back_onto_kdenlive_renders_the_cdls(round_trip, plain_frames) -> None:
    """The .ccc onto the Kdenlive project: each clip's Apply LUT (65³) renders the colourist's
    CDL within a code value of OpenColorIO's (99th percentile)."""
    applied = round_trip.folder / "applied-ccc.kdenlive"
    before = round_trip.project.read_bytes()
    result = run("apply", round_trip.project, "--cdl", round_trip.folder / "edited.ccc",
                 "-o", applied)
    assert re.search(rf"{CLOSE}\s+{CLOSE}\s+id '{CLOSE}'\s+edited.ccc", result.output)
    assert re.search(rf"{WIDE}\s+{WIDE}\s+id '{WIDE}'", result.output)
    assert "without a grade" not in result.output and "without a clip" not in result.output
    assert round_trip.project.read_bytes() == before  # the input is never written
    filters = _filters(applied)
    assert [f["mlt_service"] for f in filters if f.get("cinegrade:grade")] == ["avfilter.lut3d"] * 2
    assert [f.get("disable") for f in filters if f.get("cinegrade:cdl")] == ["1", "1"]
    _assert_renders_the_cdls(applied, plain_frames, round_trip.folder, p99=1.0, worst=2.5)


@pytest.mark.slow
def test_edl_back_onto_kdenlive_as_live_cdl_and_out_again(round_trip, plain_frames) -> None:
    """The EDL onto the Kdenlive project with --live-cdl: an enabled SOP/Sat per clip (frei0r's
    8-bit tables: within 2.5 code values), and exported from that project again, the same CDLs."""
    applied = round_trip.folder / "applied-edl.kdenlive"
    result = run("apply", round_trip.project, "--edl", round_trip.folder / "edited.edl",
                 "-o", applied, "--live-cdl", "--lut-size", "33")
    assert re.search(rf"{CLOSE}\s+{CLOSE}\s+clip name '{CLOSE}'\s+edited.edl", result.output)
    assert [(f["mlt_service"], f.get("disable")) for f in _filters(applied) if f.get("cinegrade:cdl")] \
        == [("frei0r.sopsat", None)] * 2
    _assert_renders_the_cdls(applied, plain_frames, round_trip.folder, p99=2.5, worst=3.5)
    again = round_trip.folder / "again.ccc"
    run("export", applied, "--ccc", again)
    back = {c.id: c.cdl for c in read_cdl_file(again).corrections}
    for name, cdl in EDITED.items():
        for part in ("slope", "offset", "power", "saturation"):
            np.testing.assert_allclose(getattr(back[name], part), getattr(cdl, part), atol=1e-6)


def test_ccc_back_onto_otio_sets_the_grade_effect(round_trip, tmp_path) -> None:
    out = tmp_path / "sub" / "applied.otio"
    out.parent.mkdir()
    result = run("apply", round_trip.graded, "--cdl", round_trip.folder / "edited.ccc", "-o", out,
                 "--json", "--lut-size", "33")
    document = json.loads(result.output)
    assert document["version"] == 1 and document["look"] == "keep"
    assert [(a["clip"], a["key"]) for a in document["applied"]] == [(WIDE, "id"), (CLOSE, "id")]
    assert document["clips_without_grade"] == [] and document["grades_without_clip"] == []
    clips = list(otio.adapters.read_from_file(str(out)).find_clips())
    for clip in clips:
        meta = clip_grade(clip)
        assert meta["method"] == "cdl" and meta["evidence"] == "applied" and meta["look"] is None
        assert meta["applied"] == {"source": str(round_trip.folder / "edited.ccc"),
                                   "grade": clip.name, "key": "id", "value": clip.name}
        assert cdl_from_otio_metadata(clip.metadata) == EDITED[clip.name]  # EDL's place too
        cube = read_cube(cube_path(meta["cube"], str(out.parent)))
        assert_nodes(cube, lambda rgb, name=clip.name: ocio_cdl(rgb, EDITED[name]))


def test_applied_onto_an_edl_timeline_writes_asc_sop(round_trip, tmp_path) -> None:
    out = tmp_path / "applied.edl"
    result = run("apply", round_trip.folder / "exported.edl", "--cdl",
                 round_trip.folder / "edited.ccc", "-o", out, "--rate", "24", "--lut-size", "33")
    assert f"id '{WIDE}'" in result.output
    text = out.read_text()
    assert text.count("*ASC_SOP") == 2 and text.count("*ASC_SAT") == 2
    back = otio.adapters.read_from_file(str(out), rate=RATE)
    for clip in back.find_clips():
        got = cdl_from_otio_metadata(clip.metadata)
        want = EDITED[clip.name]
        for name in ("slope", "offset", "power"):
            np.testing.assert_allclose(getattr(got, name), getattr(want, name), atol=1e-9)
        assert got.saturation == pytest.approx(want.saturation)
    # and the EDL's own grades back onto the EDL: matched by clip name
    again = tmp_path / "again.edl"
    result = run("apply", out, "--edl", round_trip.folder / "edited.edl", "-o", again,
                 "--rate", "24", "--lut-size", "33")
    assert f"clip name '{CLOSE}'" in result.output and again.read_text().count("*ASC_SOP") == 2


# --------------------------------------------------------------------------------------------
# matching


def _clip(index, name, reel=None, file=None, cid=None) -> TimelineClip:
    return TimelineClip(index, name, cid or name, reel, file)


def _grade(position, **names) -> IncomingGrade:
    return IncomingGrade(CDL(saturation=1 + position / 10), "g", position, **names)


def test_each_key_matches_in_order() -> None:
    clips = [_clip(0, "by id", cid="id_0"), _clip(1, "by name", cid="by_name"), _clip(2, "c", reel="R002"),
             _clip(3, "d", file="A003.mov"), _clip(4, "e", file="A004.mxf"), _clip(5, "lonely")]
    grades = [_grade(0, id="by name"), _grade(1, id="id_0"), _grade(2, reel="R002"),
              _grade(3, file="A003.mov"), _grade(4, id="A004"), _grade(5, id="nobody")]
    mapping = map_grades(clips, grades)
    assert [(m.clip.name, m.grade.position, m.key, m.value) for m in mapping.matched] == [
        ("by id", 1, "id", "id_0"), ("by name", 0, "clip name", "by name"),
        ("c", 2, "reel", "R002"), ("d", 3, "file name", "A003.mov"), ("e", 4, "file name", "A004")]
    assert [c.clip.name for c in mapping.without_grade] == ["lonely"]
    assert [g.position for g in mapping.unused] == [5]


def test_an_earlier_key_wins_and_used_grades_stay_used() -> None:
    # clip "a" is named by grade 1's id and by grade 0's file: the id wins; grade 1 is then
    # not given to "b" although b's file is its MediaRef
    clips = [_clip(0, "a", file="x.mov"), _clip(1, "b", file="shared.mov")]
    grades = [_grade(0, file="x.mov"), _grade(1, id="a", file="shared.mov")]
    mapping = map_grades(clips, grades)
    assert [(m.clip.name, m.grade.position, m.key) for m in mapping.matched] == [("a", 1, "id")]
    assert [c.clip.name for c in mapping.without_grade] == ["b"]
    assert [g.position for g in mapping.unused] == [0]


def test_a_whole_file_name_before_a_stem() -> None:
    """A .cdl whose second decision refers to the first one's correction (one id, two grades):
    the decision naming b.dpx goes on b, and a's file stem then names the other alone."""
    clips = [_clip(0, "shot a", file="a.dpx", cid="shot_a"), _clip(1, "shot b", file="b.dpx", cid="shot_b")]
    grades = [_grade(0, id="a"), _grade(1, id="a", file="b.dpx")]
    mapping = map_grades(clips, grades)
    assert [(m.clip.index, m.grade.position, m.value) for m in mapping.matched] == [(0, 0, "a"), (1, 1, "b.dpx")]
    assert not mapping.without_grade and not mapping.unused


def test_one_grade_per_source_many_clips_and_pairs_in_order() -> None:
    clips = [_clip(0, "s1", file="A001.mov", cid="s1"), _clip(1, "s2", file="A001.mov", cid="s2"),
             _clip(2, "dup", cid="dup"), _clip(3, "dup", cid="dup_2"), _clip(4, "tri"), _clip(5, "tri")]
    grades = [_grade(0, file="A001.mov"), _grade(1, name="dup"), _grade(2, name="dup"),
              _grade(3, name="tri"), _grade(4, name="tri"), _grade(5, name="tri")]
    mapping = map_grades(clips, grades)
    pairs = [(m.clip.index, m.grade.position) for m in mapping.matched]
    assert pairs == [(0, 0), (1, 0), (2, 1), (3, 2)]  # one grade for a source, repeats in order
    assert [(c.clip.index, "3 grades have clip name 'tri'" in c.reason)
            for c in mapping.without_grade] == [(4, True), (5, True)]
    assert [g.position for g in mapping.unused] == [3, 4, 5]


def _timeline(folder: Path, names: dict[str, str], reels: dict[str, str] | None = None) -> otio.schema.Timeline:
    timeline = otio.schema.Timeline(name="edit")
    track = otio.schema.Track(name="V1")
    timeline.tracks.append(track)
    for name, media in names.items():
        clip = otio.schema.Clip(
            name=name, media_reference=otio.schema.ExternalReference(target_url=str(folder / media)),
            source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, RATE),
                                                 otio.opentime.RationalTime(RATE, RATE)))
        if reels and name in reels:
            clip.metadata["cmx_3600"] = {"reel": reels[name]}
        track.append(clip)
    return timeline


def test_cdl_dir_matches_by_file_stem_media_ref_and_reel(tmp_path) -> None:
    """A folder of .cc/.cdl files: an id-less .cc named after the clip, a .cdl whose MediaRef is
    the clip's media (in another folder, as a URL) and a .cc whose id is a reel; the table says
    which key matched each, and lists the clip and the grade left over."""
    timeline = _timeline(tmp_path, {"shot 1": "one.mov", "shot 2": "A002_C004.mov",
                                    "shot 3": "three.mov", "shot 4": "four.mov"},
                         reels={"shot 3": "R003"})
    path = tmp_path / "edit.otio"
    otio.adapters.write_to_file(timeline, str(path))
    folder = tmp_path / "back"
    folder.mkdir()
    cdls = {name: CDL(slope=(1.1 + k / 10, 1, 1)) for k, name in enumerate(["s1", "s2", "s3", "x"])}
    write_cdl_file(folder / "shot 1.cc", ColorCorrection(cdls["s1"]))
    write_cdl_file(folder / "decision.cdl", CDLDocument((ColorCorrection(
        cdls["s2"], id="grade-7", media_ref="file:///mnt/suite/A002_C004.mov"),), kind="cdl"))
    write_cdl_file(folder / "reel.cc", ColorCorrection(cdls["s3"], id="R003"))
    write_cdl_file(folder / "unused.cc", ColorCorrection(cdls["x"], id="nobody"))
    (folder / "notes.txt").write_text("not a CDL")
    out = tmp_path / "out.otio"
    result = run("apply", path, "--cdl-dir", folder, "-o", out, "--lut-size", "33")
    assert re.search(r"shot 1\s+shot 1\s+clip name 'shot 1'\s+shot 1.cc", result.output)
    assert re.search(r"shot 2\s+grade-7\s+file name 'A002_C004.mov'\s+decision.cdl", result.output)
    assert re.search(r"shot 3\s+R003\s+reel 'R003'\s+reel.cc", result.output)
    assert "1 clip(s) without a grade" in result.output and "  shot 4: no grade" in result.output
    assert "1 grade(s) without a clip" in result.output and "  nobody (unused.cc)" in result.output
    clips = list(otio.adapters.read_from_file(str(out)).find_clips())
    assert [cdl_from_otio_metadata(c.metadata) for c in clips] == [cdls["s1"], cdls["s2"], cdls["s3"], None]
    assert clip_grade(clips[3]) is None


def _earlier_grades() -> list[Grade]:
    """What an earlier ``grade`` left on clips "a" (a CDL match under "warm" at 0.5) and "b" (a
    LUT match under "bw")."""
    drift = (0.05, 0.0, -0.05, 0.0, 0.0, 0.1)
    return [Grade(0, "a", Match(0, "a", "s", 1, "b", "cdl", "aligned", drift, 1.0,
                                cdl=CDL(slope=(1.2, 1, 1))), "warm", 0.5),
            Grade(1, "b", Match(1, "b", "s", 0, "a", "lut", "aligned", drift, 1.0), "bw", 1.0)]


def test_keep_or_replace_the_look(tmp_path) -> None:
    """A clip graded with a match and a look: --keep-look puts the applied CDL under the same
    look (the .cube = CDL then look), --replace-look leaves the CDL alone. A clip the grades do
    not name keeps its grade, its .cube path still valid from another folder."""
    timeline = _timeline(tmp_path, {"a": "a.mov", "b": "b.mov"})
    path = tmp_path / "graded.otio"
    grades = _earlier_grades()
    cubes = write_grade_cubes(grades, path)
    for clip, grade in zip(timeline.find_clips(), grades):
        attach_grade(clip, grade, relative_cube(cubes[grade.shot_index], path))
    otio.adapters.write_to_file(timeline, str(path))
    ccc = tmp_path / "back.ccc"
    applied = CDL((0.9, 1.0, 1.1), (0.01, 0.0, -0.01), (1.0, 1.1, 0.9), 0.7)
    write_cdl_file(ccc, CDLDocument((ColorCorrection(applied, id="a"),), kind="ccc"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for flag, look in (("--keep-look", "warm"), ("--replace-look", None)):
        out = elsewhere / f"{flag.strip('-')}.otio"
        result = cinegrade.apply_grades(path, out, cdl=ccc, look=flag[2:].split("-")[0], lut_size=33)
        assert result.look == flag[2:].split("-")[0]
        a, b = list(otio.adapters.read_from_file(str(out)).find_clips())
        meta = clip_grade(a)
        assert meta["look"] == look and meta["evidence"] == "applied"
        assert cdl_from_otio_metadata({"cdl": meta["cdl"]}) == applied
        exact = Grade(0, "a", Match(0, "a", None, None, None, "cdl", "applied", (0,) * 6, 1.0,
                                    cdl=applied), look, 0.5 if look else 1.0).apply
        assert_nodes(read_cube(cube_path(meta["cube"], str(out.parent))), exact)
        # "b" is not named: its grade stays, the .cube path rebased onto the new folder
        kept = clip_grade(b)
        assert kept["look"] == "bw" and Path(cube_path(kept["cube"], str(out.parent))) == cubes[1]
    assert [m.clip.name for m in result.mapping.matched] == ["a"]


def test_kdenlive_looks_kept_or_said_unknown(tmp_path) -> None:
    """From a Kdenlive project: a live CDL grade's look is the .cube after the SOP/Sat, kept under
    the applied CDL; a method-lut grade reads back as a bare .cube, whose look is unknown (said)."""
    from cinegrade.otio_plugins import kdenlive_adapter

    timeline = _timeline(tmp_path, {"a": "a.mov", "b": "b.mov"})
    source = tmp_path / "graded.kdenlive"
    grades = _earlier_grades()
    cubes = write_grade_cubes(grades, source)
    after = write_after_cdl_cubes(grades, source)
    clips = list(timeline.find_clips())
    attach_grade(clips[0], grades[0], relative_cube(cubes[0], source),
                 relative_cube(after[0], source), live=True)
    attach_grade(clips[1], grades[1], relative_cube(cubes[1], source))
    kdenlive_adapter.write_to_file(timeline, source)
    ccc = tmp_path / "back.ccc"
    applied = {"a": CDL((0.9, 1.0, 1.1), (0.01, 0.0, -0.01), (1.0, 1.1, 0.9), 0.7),
               "b": CDL(saturation=0.6)}
    write_cdl_file(ccc, CDLDocument(tuple(ColorCorrection(c, id=k) for k, c in applied.items()),
                                    kind="ccc"))
    out = tmp_path / "out.kdenlive"
    result = run("apply", source, "--cdl", ccc, "-o", out, "--lut-size", "33")
    assert "whose look cannot be kept: b" in result.output
    done = cinegrade.apply_grades(source, tmp_path / "again.kdenlive", cdl=ccc, lut_size=33)
    a, b = done.grades
    assert not a.look_unknown and Path(a.grade.look) == after[0]
    look = read_cube(after[0])
    assert_nodes(read_cube(a.cube), lambda rgb: apply_lut(apply_cdl(rgb, applied["a"]), look))
    assert b.look_unknown and b.grade.look is None


# --------------------------------------------------------------------------------------------
# bad input


def test_bad_input_is_one_line_exit_2_and_nothing_written(round_trip, tmp_path) -> None:
    graded = round_trip.graded
    broken = tmp_path / "broken.ccc"
    broken.write_text("<ColorCorrectionCollection><ColorCorrection id='a'><SOPNode>")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("no CDLs here")
    no_cdl_edl = tmp_path / "plain.edl"
    no_cdl_edl.write_text("TITLE: t\n\n001  AX V C 00:00:00:00 00:00:01:00 00:00:00:00 00:00:01:00\n"
                          "* FROM CLIP NAME:  a\n")
    exists = tmp_path / "exists.otio"
    exists.write_text("keep me")
    out = tmp_path / "out.otio"
    cases = [
        (["--cdl", tmp_path / "missing.ccc"], out, "missing.ccc"),
        (["--cdl", broken], out, "not well-formed"),
        (["--cdl-dir", empty], out, "holds no .cc, .cdl or .ccc file"),
        (["--cdl-dir", tmp_path / "nowhere"], out, "no such folder"),
        (["--edl", no_cdl_edl], out, "no event with *ASC_SOP"),
        ([], out, "exactly one of --cdl, --cdl-dir or --edl"),
        (["--cdl", broken, "--edl", no_cdl_edl], out, "exactly one of"),
        (["--cdl", round_trip.folder / "edited.ccc"], graded, "is the input timeline"),
        (["--cdl", round_trip.folder / "edited.ccc"], exists, "--force replaces it"),
    ]
    for options, output, message in cases:
        result = cli("apply", graded, *options, "-o", output)
        assert result.exit_code == 2, (options, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("cinegrade: error:") and message in lines[0], \
            (options, result.stderr)
        assert not out.exists() and not (tmp_path / "out.grades").exists()
    assert exists.read_text() == "keep me"
    missing_timeline = cli("apply", tmp_path / "nope.otio", "--cdl", broken, "-o", out)
    assert missing_timeline.exit_code == 2 and "nope.otio" in missing_timeline.stderr


def test_a_clip_whose_grade_went_elsewhere_is_told_so() -> None:
    """Two clips named "Wide" (export gave them the ids Wide and Wide_2) and one grade "Wide":
    it goes to the first by id; the second is told where its grade went, not that none has its
    name."""
    clips = [TimelineClip(0, "Wide", "Wide"), TimelineClip(1, "Wide", "Wide_2")]
    mapping = map_grades(clips, [IncomingGrade(CDL(saturation=0.9), "g.ccc", 0, id="Wide")])
    assert [(m.clip.index, m.key) for m in mapping.matched] == [(0, "id")]
    assert mapping.without_grade[0].reason.startswith("the grade with its clip name 'Wide' went to clip 'Wide' (by id)")
