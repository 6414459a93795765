"""Grades: match then look composed into one LUT, baked and written beside the timeline, read
back by OpenColorIO with the same pixels."""

from __future__ import annotations

import dataclasses

import numpy as np
import PyOpenColorIO as ocio
import pytest

from cinegrade.colour.drift import undo_drift
from cinegrade.colour.lut import apply_lut
from cinegrade.errors import InputError
from cinegrade.grade.grade import Grade, bake_grade, cube_name, grades_folder, write_grade_cubes
from cinegrade.luts.looks import LOOKS
from cinegrade.matching.match import Match
from cinegrade.media.cube import read_cube

ocio.SetLoggingLevel(ocio.LOGGING_LEVEL_NONE)
DRIFT = (0.05, 0.02, -0.06, 0.04, 0.01, 0.1)


def _match(method: str = "lut", strength: float = 1.0) -> Match:
    return Match(2, "shot b", "scene", 0, "shot a", method, "aligned", DRIFT, 1.0, strength)


def _pixels(count: int = 2000) -> np.ndarray:
    return np.random.default_rng(7).uniform(0, 1, (count, 3))


def test_grade_is_match_then_look() -> None:
    grade = Grade(2, "shot b", _match(), "sepia", 0.6)
    rgb = _pixels()
    corrected = undo_drift(rgb, DRIFT)
    looked = np.clip(LOOKS["sepia"].recipe(corrected), 0, 1)
    expected = 0.4 * corrected + 0.6 * looked
    # the shipped sepia is a 33³ bake of the recipe: lattice error only
    assert np.percentile(np.abs(grade.apply(rgb) - expected), 99) < 2 / 255


def test_baked_lut_follows_the_grade_and_opencolorio_reads_it(tmp_path) -> None:
    grade = Grade(2, "shot b/1: close", _match(), "warm", 1.0)
    paths = write_grade_cubes([grade, Grade(0, "ref", None)], tmp_path / "edit.kdenlive", 33)
    assert list(paths) == [2]  # the identity grade writes nothing
    path = paths[2]
    assert path.parent == tmp_path / "edit.grades" == grades_folder(tmp_path / "edit.kdenlive")
    assert path.name == cube_name(grade) == "003-shot_b_1_close.cube"
    lut = read_cube(path)
    rgb = _pixels().astype(np.float32)
    assert np.percentile(np.abs(apply_lut(rgb, lut) - grade.apply(rgb)), 99) < 1.5 / 255
    ocio.ClearAllCaches()
    processor = ocio.Config.CreateRaw().getProcessor(
        ocio.FileTransform(src=str(path), interpolation=ocio.INTERP_TETRAHEDRAL)).getDefaultCPUProcessor()
    theirs = rgb.copy()
    processor.applyRGB(theirs)
    np.testing.assert_allclose(theirs, apply_lut(rgb, lut), atol=1e-4)
    assert "Match to 'shot a'" in path.read_text()


def test_cdl_grade_bakes_its_cdl() -> None:
    from cinegrade.colour.cdl import CDL, apply_cdl

    cdl = CDL((1.1, 1.0, 0.9), (0.01, 0.0, -0.01), (1.0, 1.05, 0.95), 1.1)
    match = dataclasses.replace(_match("cdl"), cdl=cdl)
    rgb = _pixels()
    lut = bake_grade(Grade(1, "c", match), 65)
    assert lut.size == 65
    assert np.percentile(np.abs(apply_lut(rgb, lut) - apply_cdl(rgb, cdl)), 99) < 1 / 255


def test_grades_are_values_and_check_their_inputs() -> None:
    grade = Grade(1, "c", _match())
    with pytest.raises(dataclasses.FrozenInstanceError):
        grade.look = "bw"  # type: ignore[misc]
    with pytest.raises(InputError):
        Grade(1, "c", None, "bw", 1.5)
    with pytest.raises(InputError):
        Grade(1, "c", None, "no-such-look")
    with pytest.raises(InputError):
        bake_grade(grade, 17)
    assert Grade(1, "c", _match(strength=0.0)).is_identity and not grade.is_identity
