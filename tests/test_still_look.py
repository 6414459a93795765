"""A look from a master's still (:mod:`cinegrade.colour.still_look`): on stills built here — a warm
teal-orange grade, a monochrome, a hard contrast, and two that would turn skin (cold, green) —
the LUT is monotone and smooth along the grey axis and has no bands or folds across colours,
skin stays on the vectorscope's skin line (123° ± 20°), photographs of other content move toward
the still's tone and hue distributions, strength 0 is the identity and 0.5 lies between. Then
end to end: ``cinegrade look --from-still`` on a generated timeline (the report shows the still,
the shots before and after and the distances), a look kept with ``cinegrade looks --from-still
--name`` used by name and installed in Kdenlive, and a bad still: one line, exit 2, nothing
written."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import colour
import numpy as np
import opentimelineio as otio
import pytest
import skimage.data as skimage_data
from click.testing import CliRunner
from colour import LUT3D
from PIL import Image

from cinegrade.cli.main import cinegrade
from cinegrade.colour import still_look
from cinegrade.colour.difference import delta_e_2000, lab_of_display
from cinegrade.colour.encodings import luma
from cinegrade.colour.lut import apply_lut
from cinegrade.colour.still_look import (
    SKIN_VECTORSCOPE_RANGE,
    Palette,
    bake_still_look,
    derive_still_look,
    look_distance,
    palette_of,
    vectorscope_angle,
)
from cinegrade.demo.footage import Framing, SceneSpec, ShotSpec, build_scene_set, load_still
from cinegrade.luts.looks import LOOKS, _s_curve
from cinegrade.media.cube import read_cube
from cinegrade.timeline.effects import clip_grade

_YCBCR = colour.WEIGHTS_YCBCR["ITU-R BT.709"]


def _recipe(name: str, rgb: np.ndarray) -> np.ndarray:
    return np.clip(LOOKS[name].recipe(rgb), 0.0, 1.0)


@pytest.fixture(scope="module")
def shots() -> list[np.ndarray]:
    """Demo-like shots: four photographs (people, an animal, food, a city), 256 px wide."""
    return [getattr(skimage_data, name)()[::2, ::2, :3].astype(np.float32) / 255.0
            for name in ("astronaut", "chelsea", "coffee", "rocket")]


@pytest.fixture(scope="module")
def stills() -> dict[str, np.ndarray]:
    """Stills of other content (the Middlebury motorcycle) graded here, as a master's frame is."""
    base = load_still("motorcycle_left")[::3, ::3].astype(np.float64)
    return {
        "warm teal-orange": _recipe("warm", _recipe("teal-orange", _s_curve(base, 1.5))),
        "monochrome": _s_curve(_recipe("bw-red", base), 1.4),
        "strong contrast": _s_curve(base, 1.9),
        "cold night": _recipe("day-for-night", base),
        "green cast": np.clip(base * np.array([0.8, 1.05, 0.75]) + np.array([0.0, 0.04, 0.0]), 0, 1),
    }


@pytest.fixture(scope="module")
def luts(stills, shots) -> dict[str, LUT3D]:
    """Each still's look fitted to the shots (as ``cinegrade look --from-still`` fits it to a
    timeline's shots), baked into a 33³ LUT."""
    source = Palette.pooled([palette_of(s) for s in shots])
    return {name: bake_still_look(derive_still_look(palette_of(still), source), 33)
            for name, still in stills.items()}


def _constant_luma_ramps() -> list[np.ndarray]:
    """From grey outward at constant luma (Y' 0.3, 0.5, 0.7) in 12 vectorscope directions, to
    the gamut's edge: 200 steps of 0.00125 in Cb-Cr."""
    ramps = []
    for y in (0.3, 0.5, 0.7):
        for angle in range(0, 360, 30):
            radius = np.linspace(0.0, 0.25, 200)
            ycbcr = np.stack([np.full_like(radius, y), radius * np.cos(np.radians(angle)),
                              radius * np.sin(np.radians(angle))], -1)
            rgb = colour.YCbCr_to_RGB(ycbcr, K=_YCBCR, in_legal=False, out_legal=False, in_int=False)
            inside = np.all((rgb >= 0) & (rgb <= 1), axis=-1)
            end = len(inside) if inside.all() else int(np.argmin(inside))
            if end > 20:
                ramps.append(rgb[:end])
    return ramps


def _skin_tones() -> np.ndarray:
    """X-Rite ColorChecker's dark and light skin (colour-science's 2014 data, adapted to D65)
    and skin-like colours along the vectorscope's skin line ±10°, Y' 0.25-0.8, C*ab ≥ 10."""
    checker = colour.CCS_COLOURCHECKERS["ColorChecker24 - After November 2014"]
    bt709 = colour.models.RGB_COLOURSPACE_BT709
    tones = []
    for name in ("dark skin", "light skin"):
        xyz = colour.chromatic_adaptation(colour.xyY_to_XYZ(checker.data[name]),
                                          colour.xy_to_XYZ(checker.illuminant), colour.xy_to_XYZ(bt709.whitepoint))
        tones.append(np.clip(colour.XYZ_to_RGB(xyz, bt709), 0, 1) ** (1 / 2.4))
    for angle in (113, 118, 123, 128, 133):
        for y in (0.25, 0.4, 0.55, 0.7, 0.8):
            for radius in (0.06, 0.1, 0.14):
                cb, cr = radius * np.cos(np.radians(angle)), radius * np.sin(np.radians(angle))
                tones.append(colour.YCbCr_to_RGB(np.array([y, cb, cr]), K=_YCBCR, in_legal=False,
                                                 out_legal=False, in_int=False))
    tones = np.clip(np.array(tones), 0, 1)
    return tones[np.hypot(*lab_of_display(tones)[:, 1:].T) >= 10]


def _chroma(rgb: np.ndarray) -> np.ndarray:
    return np.hypot(*np.moveaxis(lab_of_display(rgb)[..., 1:], -1, 0))


# --------------------------------------------------------------------------------------------
# The LUT


def test_docstring_examples() -> None:
    import doctest

    assert doctest.testmod(still_look, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE).failed == 0


@pytest.mark.parametrize("name", ["warm teal-orange", "monochrome", "strong contrast", "cold night", "green cast"])
def test_lut_is_monotone_and_smooth_along_the_grey_axis(luts, name) -> None:
    greys = np.repeat(np.linspace(0.0, 1.0, 1025)[:, None], 3, axis=1)
    out = luma(apply_lut(greys, luts[name])).astype(np.float64)
    slopes = np.diff(out) / np.diff(greys[:, 0])
    mean = (out[-1] - out[0])
    assert slopes.min() > 0.25 * mean, f"a flat run: slope {slopes.min():.3f} (mean {mean:.3f})"
    assert slopes.max() < 4.0 * mean, f"a stretched run: slope {slopes.max():.3f} (mean {mean:.3f})"
    per_cell = np.diff(out[::32]) * 32  # one slope per lattice cell of the 33³ LUT
    steps = np.maximum(per_cell[1:] / per_cell[:-1], per_cell[:-1] / per_cell[1:])
    assert steps.max() < 2.0, f"the slope jumps ×{steps.max():.2f} from one cell to the next"


@pytest.mark.parametrize("name", ["warm teal-orange", "monochrome", "strong contrast", "cold night", "green cast"])
def test_lut_has_no_bands_or_folds_across_colours(luts, name) -> None:
    """Along every ramp from grey to the gamut's edge, the output never comes back toward where
    it started (a fold) by more than about one ΔE, and no step is more than 5 times the input's
    (a band's edge)."""
    for ramp in _constant_luma_ramps():
        out = apply_lut(ramp, luts[name])
        lab = lab_of_display(out)
        away = np.linalg.norm(lab - lab[0], axis=1)
        retreat = float((np.maximum.accumulate(away) - away).max())
        assert retreat < 1.0, f"folds back by {retreat:.2f} along the ramp through {ramp[-1].round(2)}"
        amplification = delta_e_2000(out[1:], out[:-1]) / delta_e_2000(ramp[1:], ramp[:-1])
        assert amplification.max() < 5.0, f"a step ×{amplification.max():.1f} toward {ramp[-1].round(2)}"


@pytest.mark.parametrize("name", ["warm teal-orange", "monochrome", "strong contrast", "cold night", "green cast"])
def test_skin_stays_on_the_skin_line(luts, name) -> None:
    tones = _skin_tones()
    assert len(tones) > 40
    assert np.all(np.abs(vectorscope_angle(tones) - 123) <= 10.5)
    out = apply_lut(tones, luts[name])
    coloured = _chroma(out) >= 4.0  # a skin the look makes grey has no hue to judge
    angles = vectorscope_angle(out[coloured])
    low, high = SKIN_VECTORSCOPE_RANGE
    assert np.all((angles >= low) & (angles <= high)), \
        f"skin at {angles.min():.1f}°..{angles.max():.1f}° on the vectorscope under {name}"
    if name == "monochrome":
        assert not coloured.any()
    elif name in ("warm teal-orange", "strong contrast"):
        assert coloured.all()


def test_the_look_matters_where_skin_is_not(luts) -> None:
    """The guard is skin's alone: the cold night still darkens a sky and takes most of its
    colour, and turns a grey wall blue; the green one turns it green."""
    sky, wall = np.array([[0.55, 0.6, 0.7]]), np.array([[0.5, 0.5, 0.5]])
    before, after = lab_of_display(sky)[0], lab_of_display(apply_lut(sky, luts["cold night"]))[0]
    assert after[0] < before[0] - 10 and np.hypot(*after[1:]) < 0.9 * np.hypot(*before[1:])
    assert lab_of_display(apply_lut(wall, luts["cold night"]))[0, 2] < -2.0
    assert lab_of_display(apply_lut(wall, luts["green cast"]))[0, 1] < -1.0


def test_graded_shots_move_toward_the_still(stills, luts, shots) -> None:
    for name, still in stills.items():
        before = look_distance(still, shots)
        after = look_distance(still, [apply_lut(s, luts[name]) for s in shots])
        assert after.tone < 0.7 * before.tone, (name, before, after)
        if before.hue is not None and after.hue is not None:
            assert after.hue < before.hue, (name, before, after)
    mono_before = look_distance(stills["monochrome"], shots)
    mono_after = look_distance(stills["monochrome"], [apply_lut(s, luts["monochrome"]) for s in shots])
    assert mono_after.hue is None and mono_after.chroma < 1.5 < 10 < mono_before.chroma


def test_strength_zero_is_the_identity_and_a_half_lies_between(stills, shots) -> None:
    look = derive_still_look(palette_of(stills["warm teal-orange"]), Palette.pooled([palette_of(s) for s in shots]))
    identity = bake_still_look(look, 17, strength=0.0)
    assert np.array_equal(identity.table, LUT3D.linear_table(17))
    full, half = bake_still_look(look, 17), bake_still_look(look, 17, strength=0.5)
    np.testing.assert_allclose(half.table, (identity.table + full.table) / 2, atol=1e-12)
    still = stills["warm teal-orange"]
    distances = [look_distance(still, [apply_lut(s, lut) for s in shots]).tone for lut in (identity, half, full)]
    assert distances[0] > distances[1] > distances[2]
    with pytest.raises(Exception, match="strength"):
        look.apply(still, 1.5)


# --------------------------------------------------------------------------------------------
# End to end

SCENES = (
    SceneSpec("astronaut", (ShotSpec("astronaut", Framing("wide", (0.5, 0.3, 1.0))),
                            ShotSpec("astronaut", Framing("close", (0.47, 0.3, 1.5))))),
    SceneSpec("coffee", (ShotSpec("coffee", Framing("wide")),
                         ShotSpec("coffee", Framing("close", (0.4, 0.5, 1.4))))),
)


@pytest.fixture(scope="module")
def scene_set(tmp_path_factory):
    return build_scene_set(tmp_path_factory.mktemp("still-scenes"), SCENES, size=(320, 180), seconds=0.5)


@pytest.fixture(scope="module")
def still_file(tmp_path_factory, stills) -> Path:
    path = tmp_path_factory.mktemp("still") / "master frame.png"
    Image.fromarray(np.round(stills["warm teal-orange"] * 255).astype(np.uint8)).save(path)
    return path


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A private XDG data home: where kept looks and Kdenlive's presets go."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path / "data"


def _run(*args: str, ok: bool = True):
    result = CliRunner().invoke(cinegrade, list(args), catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_cli_look_from_still_grades_reports_and_measures(scene_set, still_file, tmp_path) -> None:
    out, report = tmp_path / "looked.otio", tmp_path / "looked.html"
    result = _run("look", str(scene_set.timeline_path), "--from-still", str(still_file), "-o", str(out),
                  "--strength", "0.7", "--report", str(report), "--jobs", "1", "--no-cache")
    clips = list(otio.adapters.read_from_file(str(out)).find_clips())
    grades = [clip_grade(c) for c in clips]
    look_cube = tmp_path / "looked.grades" / "look-from-master-frame.cube"
    assert look_cube.is_file()
    assert all(g["look"] == str(look_cube) and g["look_strength"] == 0.7 for g in grades)
    # each clip's LUT is the still's look at 0.7, mixed with the ungraded picture
    look, clip_lut = read_cube(look_cube), read_cube(out.parent / grades[0]["cube"])
    probe = np.random.default_rng(1).uniform(0, 1, (500, 3))
    np.testing.assert_allclose(apply_lut(probe, clip_lut), 0.3 * probe + 0.7 * apply_lut(probe, look), atol=2e-3)
    distances = {when: [float(v) for v in re.findall(r"([\d.]+) (?:L\*|C\*|deg)", line)]
                 for when, line in re.findall(r"distance to the still (before|after): (.*)", result.output)}
    assert distances["after"][0] < distances["before"][0] and distances["after"][2] < distances["before"][2]
    page = report.read_text(encoding="utf-8")
    section = page[page.index('id="still-look"'):]
    assert "master frame.png" in section and "strength 0.7" in section
    assert section.count("before → after") == len(clips)
    pictures = re.findall(r'src="data:image/\w+;base64,([^"]+)"', section)
    assert len(pictures) == 1 + 2 * len(clips)  # the still, and each shot before and after
    still_thumb = np.asarray(Image.open(io.BytesIO(base64.b64decode(pictures[0]))))
    assert still_thumb.shape[1] == 240 and still_thumb.mean() > 30


@pytest.mark.parametrize("content, says", [(b"not an image", "cannot read the image"), (None, "no such image file")])
def test_cli_bad_still_is_one_line_exit_2_nothing_written(scene_set, tmp_path, home, content, says) -> None:
    still = tmp_path / "frame.png"
    if content is not None:
        still.write_bytes(content)
    out = tmp_path / "out.otio"
    for args in (["look", str(scene_set.timeline_path), "--from-still", str(still), "-o", str(out)],
                 ["looks", "--from-still", str(still), "--name", "Master"]):
        result = CliRunner().invoke(cinegrade, args)
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and str(still) in lines[0] and says in lines[0], lines
    assert not out.exists() and not (tmp_path / "out.grades").exists() and not home.exists()


def test_cli_asks_for_a_look_or_a_still(scene_set, still_file, tmp_path) -> None:
    for args in ([], ["sepia", "--from-still", str(still_file)]):
        result = CliRunner().invoke(cinegrade, ["look", str(scene_set.timeline_path), *args, "-o",
                                                str(tmp_path / "x.otio")])
        assert result.exit_code == 2 and "--from-still" in result.stderr


def test_cli_keeps_a_look_uses_it_by_name_and_installs_it_in_kdenlive(scene_set, still_file, tmp_path, home) -> None:
    _run("looks", "--from-still", str(still_file), "--name", "Master 1", "--strength", "0.8")
    kept = home / "cinegrade" / "looks" / "master-1.cube"
    assert kept.is_file() and read_cube(kept).name == "Master 1"
    listed = _run("looks").output
    assert any(line.startswith("Master 1 ") and "(yours)" in line and "master frame.png" in line
               for line in listed.splitlines())
    for args, says in ((["--name", "Master 1"], "exists already"), (["--name", "Sepia"], "shipped look"),
                       (["--name", "!!"], "letter or a digit")):
        result = CliRunner().invoke(cinegrade, ["looks", "--from-still", str(still_file), *args])
        assert result.exit_code == 2 and says in result.stderr, result.stderr
    assert (home / "cinegrade" / "looks" / "master-1.still.png").read_bytes() == still_file.read_bytes()
    # by name in `cinegrade look`: fitted to the timeline's shots as `--from-still` is, at the
    # kept strength (0.8) times the strength asked (0.5)
    out, direct = tmp_path / "kept.otio", tmp_path / "direct.otio"
    _run("look", str(scene_set.timeline_path), "Master 1", "--strength", "0.5", "-o", str(out))
    _run("look", str(scene_set.timeline_path), "--from-still", str(still_file), "--strength", "0.4",
         "-o", str(direct))
    grade = clip_grade(next(iter(otio.adapters.read_from_file(str(out)).find_clips())))
    assert grade["look"].endswith("look-master-1.cube") and grade["look_strength"] == pytest.approx(0.4)
    probe = np.random.default_rng(2).uniform(0, 1, (300, 3))
    fitted = clip_grade(next(iter(otio.adapters.read_from_file(str(direct)).find_clips())))
    np.testing.assert_allclose(apply_lut(probe, read_cube(out.parent / grade["cube"])),
                               apply_lut(probe, read_cube(direct.parent / fitted["cube"])), atol=1e-6)
    # into Kdenlive's Effects panel, and out again
    _run("looks", "--install-kdenlive", "--look", "Master 1")
    effect = home / "kdenlive" / "effects" / "cinegrade-master-1.xml"
    assert effect.is_file() and "cinegrade – Master 1" in effect.read_text(encoding="utf-8")
    installed = read_cube(home / "cinegrade" / "luts" / "master-1.cube")
    np.testing.assert_allclose(apply_lut(probe, installed), apply_lut(probe, read_cube(kept)), atol=2e-3)
    _run("looks", "--uninstall-kdenlive", "--look", "Master 1")
    assert not effect.exists() and kept.is_file()


def test_api_takes_a_look_or_a_still_and_names_the_field(scene_set, still_file, tmp_path) -> None:
    import cinegrade

    for look, still in (("sepia", still_file), (None, None)):
        with pytest.raises(cinegrade.InputError) as caught:
            cinegrade.look_timeline(scene_set.timeline_path, look, tmp_path / "x.otio", from_still=still)
        assert caught.value.field == "from_still"
    assert not (tmp_path / "x.otio").exists() and not (tmp_path / "x.grades").exists()
