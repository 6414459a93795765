"""The shipped looks: reproducible files, what each recipe promises, blending, resolving, the CLI."""

from __future__ import annotations

import colour
import numpy as np
import PyOpenColorIO as ocio
import pytest
import skimage.data as skimage_data
from click.testing import CliRunner
from colour import LUT3D
from PIL import Image

from cinegrade.cli.main import cinegrade
from cinegrade.colour.cdl import CDL, apply_cdl
from cinegrade.colour.lut import apply_lut, bake_lut3d
from cinegrade.errors import InputError
from cinegrade.luts.looks import (
    LOOKS,
    LUMINANCE_WEIGHTS,
    blend_look,
    resolve_look,
    shipped_lut,
    write_look_luts,
)
from cinegrade.media.cube import read_cube, write_cube


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return skimage_data.astronaut()[::2, ::2].astype(np.float32) / 255.0


@pytest.fixture(scope="module")
def luts() -> dict[str, LUT3D]:
    return {name: resolve_look(name) for name in LOOKS}


def _lightness(rgb: np.ndarray) -> np.ndarray:
    """CIE L* of display-referred Rec.709 (BT.1886 decoding), via colour-science."""
    linear = colour.models.eotf_BT1886(np.clip(rgb, 0, 1))
    xyz = colour.RGB_to_XYZ(linear, colour.models.RGB_COLOURSPACE_BT709)
    return colour.XYZ_to_Lab(xyz)[..., 0]


def test_regenerating_gives_the_shipped_files_byte_for_byte(tmp_path):
    written = write_look_luts(tmp_path)
    assert {p.stem for p in written} == set(LOOKS)
    for path in written:
        shipped = shipped_lut(path.stem)
        assert shipped.is_file(), f"{shipped} is not shipped: run python -m cinegrade.luts.looks"
        assert path.read_bytes() == shipped.read_bytes(), f"{path.name} differs from the shipped file"


def test_catalogue_has_every_family():
    names = set(LOOKS)
    assert {"bw", "bw-panchromatic", "bw-red", "bw-orange", "bw-yellow", "bw-green", "bw-high-contrast",
            "sepia", "selenium", "cyanotype", "split-tone",
            "bleach-bypass", "teal-orange", "warm", "cool", "day-for-night"} <= names
    for look in LOOKS.values():
        assert look.description and "\n" not in look.description and look.recipe.__doc__


def test_shipped_luts_are_33_cubes_in_range_and_opencolorio_reads_them(luts, photo):
    for name, lut in luts.items():
        assert isinstance(lut, LUT3D) and lut.size == 33
        assert lut.table.min() >= 0 and lut.table.max() <= 1
        processor = ocio.Config.CreateRaw().getProcessor(
            ocio.FileTransform(src=str(shipped_lut(name)), interpolation=ocio.INTERP_TETRAHEDRAL))
        theirs = photo.reshape(-1, 3).copy()
        processor.getDefaultCPUProcessor().applyRGB(theirs)
        np.testing.assert_allclose(apply_lut(photo, lut).reshape(-1, 3), theirs, atol=1e-5, err_msg=name)


def test_monochrome_looks_are_neutral_and_keep_greys(luts, photo):
    grey_ramp = np.repeat(np.linspace(0, 1, 50)[:, None], 3, axis=1)
    for name in ("bw", "bw-panchromatic", "bw-red", "bw-orange", "bw-yellow", "bw-green", "bw-high-contrast"):
        out = apply_lut(photo, luts[name])
        assert np.abs(out - out[..., :1]).max() < 1e-5, name
        if name != "bw-high-contrast":  # filters are normalised: a grey stays the same grey
            np.testing.assert_allclose(apply_lut(grey_ramp, luts[name]), grey_ramp, atol=2e-3, err_msg=name)
    # Neutral black-and-white keeps the photograph's lightness (Rec.709 luminance).
    bw = apply_lut(photo, luts["bw"])
    assert np.abs(_lightness(bw) - _lightness(photo)).mean() < 0.5
    y_weights = colour.models.RGB_COLOURSPACE_BT709.matrix_RGB_to_XYZ[1]
    np.testing.assert_allclose(LUMINANCE_WEIGHTS, y_weights)


def test_filters_render_colours_as_the_filters_do(luts):
    sky, foliage, skin = np.array([[0.35, 0.55, 0.85]]), np.array([[0.25, 0.55, 0.2]]), np.array([[0.85, 0.6, 0.5]])
    value = {name: apply_lut(np.concatenate([sky, foliage, skin]), luts[name])[:, 0] for name in luts}
    # Blue sky darkens from no filter to yellow, orange and red.
    skies = [value[n][0] for n in ("bw-panchromatic", "bw-yellow", "bw-orange", "bw-red")]
    assert skies == sorted(skies, reverse=True) and skies[0] - skies[-1] > 0.15
    # Red and orange filters lighten skin; the green filter lightens foliage and darkens skin.
    assert value["bw-red"][2] > value["bw-orange"][2] > value["bw"][2]
    assert value["bw-green"][1] > value["bw"][1] and value["bw-green"][2] < value["bw"][2]
    # Panchromatic film sees blue lighter than the eye does.
    assert value["bw-panchromatic"][0] > value["bw"][0]
    # High contrast: darker shadows, brighter highlights than neutral.
    ramp = np.repeat(np.array([[0.2], [0.8]]), 3, axis=1)
    low, high = apply_lut(ramp, luts["bw-high-contrast"])[:, 0]
    assert low < 0.2 - 0.03 and high > 0.8 + 0.03


def test_toned_looks_keep_lightness_and_have_their_hue(luts, photo):
    mono = apply_lut(photo, luts["bw-panchromatic"])
    hues = {"sepia": (40, 100), "cyanotype": (230, 290)}
    for name in ("sepia", "split-tone", "cyanotype", "selenium"):
        toned = apply_lut(photo, luts[name])
        lab = colour.XYZ_to_Lab(colour.RGB_to_XYZ(colour.models.eotf_BT1886(toned),
                                                  colour.models.RGB_COLOURSPACE_BT709))
        chroma = np.hypot(lab[..., 1], lab[..., 2])
        mid = (lab[..., 0] > 30) & (lab[..., 0] < 80)
        assert np.median(chroma[mid]) > 3, name  # visibly toned
        if name in hues:
            hue = np.degrees(np.arctan2(lab[..., 2], lab[..., 1])) % 360
            low, high = hues[name]
            assert low < np.median(hue[mid]) < high, name
        if name in ("sepia", "split-tone"):  # same lightness as the monochrome they tone
            assert np.abs(lab[..., 0] - _lightness(mono))[mid].mean() < 1.0, name
    split = apply_lut(np.array([[0.1] * 3, [0.9] * 3]), luts["split-tone"])
    assert split[0, 2] > split[0, 0] and split[1, 0] > split[1, 2]  # cool shadows, warm highlights
    assert apply_lut(np.array([[0.0] * 3]), luts["cyanotype"])[0, 2] > 0.2  # no true black


def test_colour_looks_do_what_they_say(luts, photo):
    white = np.ones((1, 3))
    warm, cool = apply_lut(white, luts["warm"])[0], apply_lut(white, luts["cool"])[0]
    assert warm[0] == pytest.approx(1.0, abs=1e-4) and warm[0] > warm[1] > warm[2]
    assert cool[2] == pytest.approx(1.0, abs=1e-4) and cool[2] > cool[1] > cool[0]

    def saturation(rgb):
        return float(np.mean(rgb.max(-1) - rgb.min(-1)))

    assert saturation(apply_lut(photo, luts["bleach-bypass"])) < 0.7 * saturation(photo)
    night = apply_lut(photo, luts["day-for-night"])
    assert night.mean() < 0.6 * photo.mean() and night[..., 2].mean() > night[..., 0].mean()
    assert saturation(night) < saturation(photo)
    teal_orange = apply_lut(photo, luts["teal-orange"])
    assert np.abs(teal_orange - photo).mean() > 0.02


def test_blend_look_blends_outputs_exactly(luts, photo):
    lut = luts["sepia"]
    half = blend_look(lut, 0.5)
    np.testing.assert_allclose(apply_lut(photo, half), 0.5 * photo + 0.5 * apply_lut(photo, lut), atol=1e-5)
    np.testing.assert_allclose(apply_lut(photo, blend_look(lut, 0.0)), photo, atol=1e-5)
    assert blend_look(lut, 1.0) is lut
    for bad in (-0.1, 1.5):
        with pytest.raises(InputError):
            blend_look(lut, bad)


def test_resolve_look_takes_a_name_or_the_users_cube(tmp_path, photo, luts):
    user = bake_lut3d(lambda rgb: apply_cdl(rgb, CDL(slope=(1.2, 1.0, 0.8))), 17, "user grade")
    path = write_cube(user, tmp_path / "my grade.cube")
    resolved = resolve_look(str(path))
    np.testing.assert_allclose(apply_lut(photo, resolved), apply_lut(photo, user), atol=1e-5)
    blended = blend_look(resolved, 0.25)  # a user's .cube blends like a shipped look
    np.testing.assert_allclose(apply_lut(photo, blended), 0.75 * photo + 0.25 * apply_lut(photo, user), atol=1e-5)
    with pytest.raises(InputError, match="unknown look"):
        resolve_look("no-such-look")
    with pytest.raises(InputError, match="no such"):
        resolve_look(tmp_path / "missing.cube")
    (tmp_path / "broken.cube").write_text("LUT_3D_SIZE 2\n0 0 0\n")
    with pytest.raises(InputError) as caught:
        resolve_look(tmp_path / "broken.cube")
    assert caught.value.line == 2
    assert isinstance(read_cube(shipped_lut("warm")), LUT3D)


def test_cli_lists_every_look_with_its_description():
    result = CliRunner().invoke(cinegrade, ["looks"])
    assert result.exit_code == 0, result.output
    for name, look in LOOKS.items():
        assert any(line.split()[0] == name and look.description in line for line in result.output.splitlines())


def test_cli_preview_writes_a_swatch_per_look(tmp_path):
    result = CliRunner().invoke(cinegrade, ["looks", "--preview", str(tmp_path / "swatches"), "--strength", "0.8"])
    assert result.exit_code == 0, result.output
    pngs = sorted((tmp_path / "swatches").glob("*.png"))
    assert sorted(p.stem for p in pngs) == sorted(LOOKS)
    photo = skimage_data.astronaut()
    with Image.open(pngs[0]) as image:
        assert image.height == photo.shape[0] and image.width > 2 * photo.shape[1]
