"""``cinegrade export``: a graded timeline's grades as .ccc, .cdl per clip, EDL and .cube, each
read back by OpenColorIO (or OTIO's EDL adapter) with the same pixels or values."""

from __future__ import annotations

import numpy as np
import opentimelineio as otio
import PyOpenColorIO as ocio
import pytest
from click.testing import CliRunner

from cinegrade.cli.main import cinegrade
from cinegrade.colour.cdl import CDL, apply_cdl
from cinegrade.colour.lut import apply_lut
from cinegrade.grade.effects import attach_grade
from cinegrade.grade.grade import Grade, write_grade_cubes
from cinegrade.matching.match import Match
from cinegrade.media.cube import read_cube
from cinegrade.timeline.effects import relative_cube

ocio.SetLoggingLevel(ocio.LOGGING_LEVEL_NONE)
CDL_A = CDL((1.08, 1.0, 0.93), (0.012, -0.004, 0.02), (0.95, 1.0, 1.07), 1.12)
RATE = 24


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """edit.otio: clip "a" graded with a CDL, "b" with a LUT-method match, "c" ungraded."""
    folder = tmp_path_factory.mktemp("export")
    timeline = otio.schema.Timeline(name="edit")
    track = otio.schema.Track(name="V1")
    timeline.tracks.append(track)
    for name in "abc":
        track.append(otio.schema.Clip(
            name=name, media_reference=otio.schema.ExternalReference(target_url=f"/media/{name}.mov"),
            source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, RATE),
                                                 otio.opentime.RationalTime(RATE, RATE))))
    drift = (0.05, 0.0, -0.05, 0.0, 0.0, 0.1)
    grades = [Grade(0, "a", Match(0, "a", "s", 2, "c", "cdl", "aligned", drift, 1.0, cdl=CDL_A)),
              Grade(1, "b", Match(1, "b", "s", 2, "c", "lut", "aligned", drift, 1.0))]
    path = folder / "edit.otio"
    cubes = write_grade_cubes(grades, path)
    for grade in grades:
        attach_grade(track[grade.shot_index], grade, relative_cube(cubes[grade.shot_index], path))
    otio.adapters.write_to_file(timeline, str(path))
    return path, cubes


def export(*args: str):
    return CliRunner().invoke(cinegrade, ["export", *args], catch_exceptions=False)


def _ocio(path, rgb: np.ndarray, cccid: str = "") -> np.ndarray:
    ocio.ClearAllCaches()
    transform = ocio.FileTransform(src=str(path), cccId=cccid, interpolation=ocio.INTERP_TETRAHEDRAL)
    out = np.ascontiguousarray(rgb, dtype=np.float32).copy()
    ocio.Config.CreateRaw().getProcessor(transform).getDefaultCPUProcessor().applyRGB(out)
    return out


def _pixels() -> np.ndarray:
    return np.random.default_rng(5).uniform(0.02, 0.95, (500, 3)).astype(np.float32)


def test_ccc_and_cdl_files_read_by_opencolorio(graded, tmp_path) -> None:
    path, _ = graded
    ccc = tmp_path / "grades.ccc"
    result = export(str(path), "--ccc", str(ccc))
    assert result.exit_code == 0 and "exported 1 grade" in result.output
    assert "1 graded clip(s) have no CDL" in result.output and ": b" in result.output
    rgb = _pixels()
    # OpenColorIO applies CDL files unclamped (CDL_NO_CLAMP): our maths without the clamp
    np.testing.assert_allclose(_ocio(ccc, rgb, "a"), apply_cdl(rgb, CDL_A, clamp=False), atol=1e-4)
    folder = tmp_path / "cdls"
    assert export(str(path), "--cdl-dir", str(folder)).exit_code == 0
    assert sorted(p.name for p in folder.iterdir()) == ["a.cdl"]
    np.testing.assert_allclose(_ocio(folder / "a.cdl", rgb, "a"), apply_cdl(rgb, CDL_A, clamp=False),
                               atol=1e-4)
    assert "/media/a.mov" in (folder / "a.cdl").read_text()
    again = export(str(path), "--cdl-dir", str(folder))
    assert again.exit_code == 2 and "exists already" in again.stderr


def test_edl_carries_the_cdl(graded, tmp_path) -> None:
    path, _ = graded
    edl = tmp_path / "grades.edl"
    assert export(str(path), "--edl", str(edl)).exit_code == 0
    text = edl.read_text()
    assert text.count("*ASC_SOP") == 1 and "*ASC_SAT 1.12" in text
    back = otio.adapters.read_from_file(str(edl))
    sop = back.find_clips()[0].metadata["cdl"]["asc_sop"]
    assert list(sop["slope"]) == list(CDL_A.slope)


def test_lut_dir_cubes_read_by_opencolorio(graded, tmp_path) -> None:
    path, cubes = graded
    folder = tmp_path / "luts"
    assert export(str(path), "--lut-dir", str(folder)).exit_code == 0
    assert sorted(p.name for p in folder.iterdir()) == ["a.cube", "b.cube"]
    assert (folder / "b.cube").read_bytes() == cubes[1].read_bytes()
    rgb = _pixels()
    for name in "ab":
        np.testing.assert_allclose(_ocio(folder / f"{name}.cube", rgb),
                                   apply_lut(rgb, read_cube(folder / f"{name}.cube")), atol=1e-4)


def test_exactly_one_target(graded, tmp_path) -> None:
    path, _ = graded
    result = export(str(path))
    assert result.exit_code == 2 and "exactly one" in result.stderr
    result = export(str(path), "--ccc", str(tmp_path / "a.ccc"), "--edl", str(tmp_path / "a.edl"))
    assert result.exit_code == 2


def test_lut_dir_bakes_a_live_cdl_read_back_from_kdenlive(tmp_path) -> None:
    """A Kdenlive project whose clip carries a live SOP/Sat and a look after it (as ``grade
    --method cdl`` writes it, read back with no whole .cube): the exported .cube is the CDL then
    the look, as OpenColorIO reads it."""
    from cinegrade.grade.grade import write_after_cdl_cubes
    from cinegrade.luts.looks import blend_look, resolve_look
    from cinegrade.media.frames import encode_clip
    from cinegrade.otio_plugins import kdenlive_adapter

    media = tmp_path / "a.mp4"
    encode_clip(media, [np.full((36, 64, 3), 0.2 + 0.01 * i, np.float32) for i in range(24)], fps=RATE)
    whole = otio.opentime.TimeRange(otio.opentime.RationalTime(0, RATE), otio.opentime.RationalTime(24, RATE))
    clip = otio.schema.Clip(name="a", media_reference=otio.schema.ExternalReference(
        target_url=str(media), available_range=whole), source_range=whole)
    timeline = otio.schema.Timeline(name="live", global_start_time=otio.opentime.RationalTime(0, RATE))
    timeline.tracks.append(otio.schema.Track(name="V1", children=[clip]))
    project = tmp_path / "live.kdenlive"
    grade = Grade(0, "a", Match(0, "a", "s", 1, "r", "cdl", "aligned", (0.0,) * 6, 1.0, cdl=CDL_A), "sepia", 0.5)
    cubes, after = write_grade_cubes([grade], project), write_after_cdl_cubes([grade], project)
    attach_grade(clip, grade, relative_cube(cubes[0], project), relative_cube(after[0], project), live=True)
    kdenlive_adapter.write_to_file(timeline, project)

    folder = tmp_path / "luts"
    result = export(str(project), "--lut-dir", str(folder))
    assert result.exit_code == 0, result.output
    assert [p.name for p in folder.iterdir()] == ["a.cube"]
    rgb = _pixels()
    expected = apply_lut(apply_cdl(rgb, CDL_A), blend_look(resolve_look("sepia"), 0.5))
    assert np.abs(_ocio(folder / "a.cube", rgb) - expected).max() < 1 / 255  # a 65³ lattice
