"""LUT baking, .cube IO and application, against colour-science and OpenColorIO."""

from __future__ import annotations

import itertools
import pickle
from pathlib import Path

import colour
import numpy as np
import PyOpenColorIO as ocio
import pytest
import skimage.data as skimage_data
from colour import LUT3D, LUT3x1D, LUTSequence
from colour.algebra import table_interpolation_tetrahedral

from cinegrade.colour.cdl import CDL, apply_cdl
from cinegrade.colour.lut import apply_lut, bake_lut3d, bake_lut3x1d, bake_shaper_lut3d, log2_shaper
from cinegrade.errors import InputError
from cinegrade.media.cube import read_cube, write_cube

ocio.SetLoggingLevel(ocio.LOGGING_LEVEL_NONE)

_unique = itertools.count()
GRADE = CDL((1.15, 1.0, 0.85), (0.02, 0.0, -0.03), (0.9, 1.0, 1.2), 1.3)


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    """A real photograph (scikit-image), display-referred float32 in [0, 1]."""
    return skimage_data.coffee().astype(np.float32) / 255.0


@pytest.fixture(scope="module")
def probes(photo) -> np.ndarray:
    rng = np.random.default_rng(2)
    return np.concatenate([photo.reshape(-1, 3)[::7], rng.uniform(-0.5, 1.5, (20000, 3)).astype(np.float32)])


def _ocio_apply(path: Path, rgb: np.ndarray) -> np.ndarray:
    ocio.ClearAllCaches()
    transform = ocio.FileTransform(src=str(path), interpolation=ocio.INTERP_BEST)
    processor = ocio.Config.CreateRaw().getProcessor(transform).getDefaultCPUProcessor()
    out = np.ascontiguousarray(rgb, dtype=np.float32).copy()
    processor.applyRGB(out)
    return out


def _random_lut(size: int, domain=None, seed: int = 0) -> LUT3D:
    rng = np.random.default_rng(seed)
    lut = LUT3D(size=size, domain=domain)
    lut.table = lut.table ** np.array([0.8, 1.0, 1.3]) + rng.normal(0, 0.05, lut.table.shape)
    return lut


# --- application -------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [2, 17, 33, 65])
def test_apply_equals_colour_tetrahedral(size, probes):
    lut = _random_lut(size, seed=size)
    reference = lut.apply(probes.astype(np.float64), interpolator=table_interpolation_tetrahedral)
    assert np.abs(apply_lut(probes, lut) - reference).max() < 1e-5
    assert np.abs(apply_lut(probes.astype(np.float64), lut) - reference).max() < 1e-5


def test_apply_with_a_domain_equals_colour(probes):
    domain = np.array([[-0.1, -0.2, 0.0], [1.5, 2.0, 3.0]])
    lut = LUT3D(np.abs(LUT3D.linear_table(9, domain)) ** 1.5 / 3.0, domain=domain)
    inputs = probes * 3.0
    reference = lut.apply(inputs.astype(np.float64), interpolator=table_interpolation_tetrahedral)
    assert np.abs(apply_lut(inputs, lut) - reference).max() < 1e-5


def test_applied_lut_stays_picklable_and_a_new_table_is_seen(photo):
    lut = bake_lut3d(lambda rgb: apply_cdl(rgb, GRADE), 17)
    before = apply_lut(photo, lut)
    copy = pickle.loads(pickle.dumps(lut))  # what a process pool does with it
    np.testing.assert_array_equal(apply_lut(photo, copy), before)
    lut.table = 1.0 - lut.table
    np.testing.assert_allclose(apply_lut(photo, lut), 1.0 - before, atol=1e-6)


def test_apply_keeps_shape_and_dtype_and_handles_nan(photo):
    lut = bake_lut3d(lambda rgb: apply_cdl(rgb, GRADE))
    out = apply_lut(photo, lut)
    assert out.shape == photo.shape and out.dtype == np.float32
    assert apply_lut(photo[:3, :5].astype(np.float64), lut).dtype == np.float64
    assert apply_lut(np.zeros((0, 3), np.float32), lut).shape == (0, 3)
    nan = apply_lut(np.array([[np.nan, 0.5, 0.5]], np.float32), lut)
    np.testing.assert_allclose(nan, apply_lut(np.array([[0.0, 0.5, 0.5]], np.float32), lut), atol=1e-6)


def test_apply_1d_and_sequence_clamp_to_the_domain_like_opencolorio(samples, probes):
    for name in ("iridas_1d.cube", "resolve_1d3d.cube", "iridas_Demo.cube"):
        path = samples / "cube" / name
        np.testing.assert_allclose(apply_lut(probes * 3 - 1, read_cube(path)), _ocio_apply(path, probes * 3 - 1),
                                   atol=1e-5, rtol=1e-5)


# --- baking ------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [33, 65])
def test_bake_samples_the_grade_on_the_lattice(size, photo):
    lut = bake_lut3d(lambda rgb: apply_cdl(rgb, GRADE), size)
    assert lut.table.shape == (size, size, size, 3)
    lattice = LUT3D.linear_table(size)
    np.testing.assert_allclose(apply_lut(lattice, lut), apply_cdl(lattice, GRADE), atol=1e-6)
    # Between lattice points the LUT approximates the grade; 65³ more closely than 33³.
    error = np.abs(apply_lut(photo, lut) - apply_cdl(photo, GRADE)).max()
    assert error < (0.01 if size == 33 else 0.005)


def test_bake_1d_needs_a_channel_independent_grade():
    curve = bake_lut3x1d(lambda rgb: np.clip(rgb, 0, 1) ** 0.7, 1024)
    x = np.random.default_rng(0).uniform(0, 1, (1000, 3))
    np.testing.assert_allclose(apply_lut(x, curve), x ** 0.7, atol=2e-3)
    assert isinstance(bake_lut3x1d(lambda rgb: np.clip(rgb, 0, 1) ** 0.45, 8), LUT3x1D)  # coarse is fine
    with pytest.raises(ValueError, match="mixes channels"):
        bake_lut3x1d(lambda rgb: apply_cdl(rgb, CDL(saturation=0.5)))


def test_shaper_lut_covers_scene_linear_range():
    def exposure_and_gamma(rgb):
        return np.clip(rgb * 0.5, 0, None) ** (1 / 2.4)

    shaper = log2_shaper()
    lut = bake_shaper_lut3d(exposure_and_gamma, shaper, 33)
    assert isinstance(lut, LUTSequence)
    hdr = 0.18 * 2.0 ** np.random.default_rng(1).uniform(-6, 6, (5000, 3))
    np.testing.assert_allclose(apply_lut(hdr, lut), exposure_and_gamma(hdr), rtol=0.02, atol=1e-3)


def test_bake_rejects_broken_grades():
    with pytest.raises(ValueError):
        bake_lut3d(lambda rgb: rgb[..., :2])
    with pytest.raises(ValueError):
        bake_lut3d(lambda rgb: rgb / 0.0)
    with pytest.raises(InputError):
        bake_lut3d(lambda rgb: rgb, 1)


# --- .cube reading -----------------------------------------------------------------------------


def test_every_sample_reads_like_colour_science_and_opencolorio(samples, tmp_path, probes):
    files = sorted((samples / "cube").glob("*.cube"))
    assert len(files) >= 12
    for path in files:
        ours = read_cube(path)
        reference = colour.read_LUT(str(path))
        for a, b in zip(ours if isinstance(ours, LUTSequence) else [ours],
                        reference if isinstance(reference, LUTSequence) else [reference]):
            assert type(a) is type(b)
            np.testing.assert_allclose(a.table, b.table)
            np.testing.assert_allclose(a.domain, b.domain)
        # OpenColorIO refuses a TITLE line in Resolve-flavoured files; it reads them without it.
        text = path.read_text()
        readable = tmp_path / f"{next(_unique)}.cube"
        resolve_flavour = "INPUT_RANGE" in text or ("LUT_1D_SIZE" in text and "LUT_3D_SIZE" in text)
        readable.write_text("\n".join(line for line in text.splitlines()
                                      if not (resolve_flavour and line.startswith("TITLE"))))
        inputs = probes * 4 - 1
        np.testing.assert_allclose(apply_lut(inputs, ours), _ocio_apply(readable, inputs), rtol=1e-5, atol=1e-5,
                                   err_msg=path.name)


@pytest.mark.parametrize("text, line, reason", [
    ("LUT_3D_SIZE 2\n" + "0 0 0\n" * 7, 8, "rows"),
    ("LUT_3D_SIZE 2\n" + "0 0 0\n" * 9, 10, "rows"),
    ("LUT_3D_SIZE 2\n0 0 0\n0 0\n" + "0 0 0\n" * 6, 3, "3 numbers"),
    ("LUT_3D_SIZE 2\n0 0 zero\n", 2, "neither"),
    ("LUT_3D_SIZE 2\nLUT_IN_VIDEO_RANGE\n" + "0 0 0\n" * 8, 2, "unsupported keyword LUT_IN_VIDEO_RANGE"),
    ("LUT_3D_SIZE 1\n0 0 0\n", 1, "2..256"),
    ("LUT_3D_SIZE 2\nDOMAIN_MIN 0 0 0\nDOMAIN_MAX 1 0 1\n" + "0 0 0\n" * 8, 3, "empty domain"),
    ("LUT_3D_SIZE 2\nLUT_3D_INPUT_RANGE 0\n" + "0 0 0\n" * 8, 2, "2 finite numbers"),
    ("LUT_3D_SIZE 2\n" + "0 0 0\n" * 4 + "0 nan 0\n" + "0 0 0\n" * 3, 6, "non-finite"),
    ("LUT_3D_SIZE 2\n" + "0 0 0\n" * 4 + "LUT_1D_SIZE 4\n", 6, "after the table"),
    ("# only a comment\n", None, "not a .cube"),
])
def test_corrupt_cube_names_file_and_line(tmp_path, text, line, reason):
    path = tmp_path / "bad.cube"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        read_cube(path)
    assert caught.value.path == str(path) and caught.value.line == line
    assert reason in caught.value.reason


def test_binary_file_is_not_a_cube(tmp_path):
    path = tmp_path / "photo.cube"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    with pytest.raises(InputError, match="not a text"):
        read_cube(path)


# --- .cube writing -----------------------------------------------------------------------------


def test_written_3d_1d_and_shaper_files_read_back_and_in_opencolorio(tmp_path, probes):
    cube = bake_lut3d(lambda rgb: apply_cdl(rgb, GRADE), 33, "grade")
    curve = bake_lut3x1d(lambda rgb: np.clip(rgb, 0, 1) ** 0.8, 4096, "curve")
    shaped = bake_shaper_lut3d(lambda rgb: np.clip(rgb, 0, None) ** (1 / 2.4), log2_shaper(), 33, "shaped")
    domain_cube = LUT3D(LUT3D.linear_table(5, np.array([[-0.5] * 3, [2.0] * 3])) * 0.5,
                        domain=np.array([[-0.5] * 3, [2.0] * 3]))
    for lut, inputs in ((cube, probes), (curve, probes), (shaped, np.abs(probes) * 8), (domain_cube, probes)):
        path = write_cube(lut, tmp_path / f"{next(_unique)}.cube")
        text = path.read_text()
        assert ("TITLE" in text) == (not isinstance(lut, LUTSequence))
        again = read_cube(path)
        assert type(again) is type(lut)
        # six decimals in the file: 5e-7 per entry, more after a steep shaper
        np.testing.assert_allclose(apply_lut(inputs, again), apply_lut(inputs, lut), atol=2e-5)
        np.testing.assert_allclose(_ocio_apply(path, inputs), apply_lut(inputs, lut), atol=1e-4, rtol=1e-5)
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".cube"] * 4  # nothing temporary left


def test_writing_is_deterministic(tmp_path):
    lut = bake_lut3d(lambda rgb: apply_cdl(rgb, GRADE), 17, "grade")
    first = write_cube(lut, tmp_path / "a.cube").read_bytes()
    assert write_cube(lut, tmp_path / "b.cube").read_bytes() == first
    assert isinstance(read_cube(tmp_path / "a.cube"), LUT3D)
    with pytest.raises(TypeError):
        write_cube(LUTSequence(lut, lut), tmp_path / "c.cube")


def test_3x1d_class_is_kept():
    assert isinstance(bake_lut3x1d(lambda rgb: rgb, 16), LUT3x1D)


def test_sizes_beyond_opencolorio_fall_back_to_colour_science(probes):
    lut = bake_lut3d(lambda rgb: np.clip(rgb, 0, 1) ** 0.5, 130)
    reference = lut.apply(np.clip(probes, 0, 1).astype(np.float64), interpolator=table_interpolation_tetrahedral)
    assert np.abs(apply_lut(probes, lut) - reference).max() < 1e-6


@pytest.mark.parametrize("kind", ["3d", "3d-domain", "3x1d", "float32"])
def test_cube_writer_gives_colour_sciences_bytes_and_reads_back_as_written(kind, tmp_path):
    """The fast .cube writer is byte-identical to colour-science's Iridas writer; what it writes
    (six decimals, never an exponent) reads back as written, here and in colour-science."""
    import colour
    from colour.io import read_LUT_IridasCube, write_LUT_IridasCube

    from cinegrade.media.cube import DECIMALS

    rng = np.random.default_rng(7)
    if kind.startswith("3d"):
        domain = np.array([[-0.1, -0.2, -0.05], [1.5, 3.0, 1.2]]) if kind == "3d-domain" else None
        lut = colour.LUT3D(np.abs(colour.LUT3D.linear_table(17, domain)) ** 0.8 - 0.01 * rng.random((17,) * 3 + (3,)),
                           'a "quoted" look', domain if domain is not None else np.array([[0, 0, 0], [1, 1, 1]]),
                           comments=["first", "second"])
        lut.table[0, 0, 0] = (4.4e-05, 1e-9, -3e-7)  # "%g" would write exponents here
    elif kind == "3x1d":
        lut = colour.LUT3x1D(colour.LUT3x1D.linear_table(1024) ** 2.2, "curve")
    else:
        lut = colour.LUT3D(colour.LUT3D.linear_table(9).astype(np.float32) * np.float32(0.9), "f32")
    ours, theirs = tmp_path / "ours.cube", tmp_path / "theirs.cube"
    write_cube(lut, ours)
    reference = lut.copy()
    reference.name = reference.name.replace('"', "'")
    write_LUT_IridasCube(reference, str(theirs), decimals=DECIMALS)
    assert ours.read_bytes() == theirs.read_bytes()
    assert "e-" not in ours.read_text() and "e+" not in ours.read_text()
    for again in (read_LUT_IridasCube(str(ours)), read_cube(ours)):
        assert type(again) is type(lut)
        np.testing.assert_array_equal(again.table, np.round(lut.table, DECIMALS))
        assert again.name == reference.name and list(again.comments) == list(lut.comments)


def test_cube_writer_refuses_what_no_reader_holds(tmp_path):
    import colour

    lut = colour.LUT3D(colour.LUT3D.linear_table(3))
    lut.table[1, 1, 1] = (np.nan, 0, 0)
    with pytest.raises(ValueError, match="NaN"):
        write_cube(lut, tmp_path / "nan.cube")
    lut.table[1, 1, 1] = (1e39, 0, 0)
    with pytest.raises(InputError, match="float32"):
        write_cube(lut, tmp_path / "huge.cube")
    assert not list(tmp_path.iterdir())
