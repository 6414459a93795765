"""Write → read gives the same values, for any valid input (hypothesis): ASC CDL files (.cc, .ccc,
.cdl) and EDL ``*ASC_SOP``/``*ASC_SAT`` (number for number, also through OpenColorIO), .cube LUTs
(3D, 1D, with a domain, 1D shaper + 3D: the same table), Kdenlive projects carrying grades (the
same effects and properties)."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import opentimelineio as otio
import PyOpenColorIO as ocio
import pytest
from colour import LUT3D, LUT3x1D, LUTSequence
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cinegrade.colour.cdl import CDL
from cinegrade.errors import InputError
from cinegrade.media.cdl_files import CDLDocument, ColorCorrection, Notes, read_cdl_file, write_cdl_file
from cinegrade.media.cube import read_cube, write_cube
from cinegrade.media.numbers import decimal_text
from cinegrade.timeline.effects import attach_effect, cdl_from_otio_metadata, cdl_to_otio_metadata, clip_grade
from cinegrade.timeline.files import read_timeline, write_timeline

ocio.SetLoggingLevel(ocio.LOGGING_LEVEL_NONE)

BOUNDED = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
EXPONENT = re.compile(r"\d[eE][-+]?\d")
#: Values people hit: the issue's 4.4e-05, below Python's positional repr (1e-4) and above it (1e16).
EDGES = [0.0, 4.4e-05, 1e-05, 9.999e-05, 1e-7, 1e-12, 1.0, 0.1 + 0.2, 1e16, 2.5e17, 123456.789]


def magnitudes(low: float = 0.0) -> st.SearchStrategy[float]:
    """Finite floats >= ``low``, tiny and large ones included (up to 1e20: larger slopes exist in
    cdl_convert's test files at 4e6)."""
    return st.one_of(st.sampled_from([v for v in EDGES if v >= low]),
                     st.floats(min_value=low, max_value=1e20, allow_nan=False, allow_subnormal=False),
                     st.floats(min_value=low, max_value=1e-4, allow_nan=False, allow_subnormal=False))


def signed() -> st.SearchStrategy[float]:
    return st.one_of(magnitudes(), magnitudes().map(lambda v: -v))


def triples(values: st.SearchStrategy[float]) -> st.SearchStrategy[tuple]:
    return st.tuples(values, values, values)


#: Any CDL in ASC CDL v1.2's ranges: slope >= 0, power > 0, saturation >= 0, offset any.
cdls = st.builds(CDL, slope=triples(magnitudes()), offset=triples(signed()),
                 power=triples(magnitudes().filter(lambda v: v > 0)), saturation=magnitudes())
#: Free text as the reader gives it back: whitespace between words is one space (XML text is read so).
words = st.lists(st.from_regex(r"[A-Za-z0-9_.,/&<>'\"é-]{1,8}", fullmatch=True), min_size=1, max_size=3).map(" ".join)
ids = st.from_regex(r"[A-Za-z0-9_.-]{1,16}", fullmatch=True)
corrections = st.builds(
    ColorCorrection, cdl=cdls, id=st.one_of(st.none(), ids),
    notes=st.builds(Notes, st.lists(words, max_size=2).map(tuple), st.one_of(st.none(), words)),
    sop_descriptions=st.lists(words, max_size=2).map(tuple), media_ref=st.one_of(st.none(), words))


def ocio_cdl(path, cccid: str) -> CDL:
    ocio.ClearAllCaches()
    transform = ocio.CDLTransform.CreateFromFile(str(path), cccid)
    return CDL(tuple(transform.getSlope()), tuple(transform.getOffset()), tuple(transform.getPower()),
               transform.getSat())


# --- ASC CDL XML ----------------------------------------------------------------------------------


@BOUNDED
@given(found=st.lists(corrections, min_size=1, max_size=4, unique_by=lambda c: c.id or object()),
       kind=st.sampled_from(["cc", "ccc", "cdl"]))
def test_cdl_files_read_back_the_same_values(tmp_path, found, kind):
    found = found[:1] if kind == "cc" else found
    path = write_cdl_file(tmp_path / f"grades.{kind}", CDLDocument(tuple(found), Notes(("any",))), kind)
    text = path.read_text(encoding="utf-8")
    numbers = re.findall(r"<(?:Slope|Offset|Power|Saturation)>([^<]*)<", text)
    assert numbers and all(re.fullmatch(r"-?\d+\.\d+", v) for n in numbers for v in n.split())
    again = read_cdl_file(path).corrections
    assert [c.cdl for c in again] == [c.cdl for c in found]
    assert [(c.id, c.notes, c.sop_descriptions) for c in again] == \
        [(c.id, c.notes, c.sop_descriptions) for c in found]
    if kind == "cdl":
        assert [c.media_ref for c in again] == [c.media_ref for c in found]
    first = found[0]
    if kind == "cc" or first.id:  # OpenColorIO finds corrections by id; a .cc has one
        assert ocio_cdl(path, "" if kind == "cc" else first.id) == \
            next(c.cdl for c in found if c.id == first.id)


@BOUNDED
@given(grades=st.lists(cdls, min_size=1, max_size=3))
def test_edl_asc_sop_reads_back_the_same_values(tmp_path, grades):
    timeline = otio.schema.Timeline(name="grades")
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    for index, cdl in enumerate(grades):
        clip = otio.schema.Clip(name=f"shot{index}", source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(12, 24)))
        clip.metadata["cdl"] = cdl_to_otio_metadata(cdl)
        track.append(clip)
    timeline.tracks.append(track)
    path = tmp_path / "grades.edl"
    write_timeline(timeline, path, rate=24, overwrite=True)
    assert not EXPONENT.search(path.read_text())
    back = [cdl_from_otio_metadata(c.metadata) for c in read_timeline(path, rate=24).find_clips()]
    assert back == grades


@settings(max_examples=200, deadline=None)
@given(value=st.floats(allow_nan=False, allow_infinity=False))
def test_decimal_text_is_plain_and_exact(value):
    text = decimal_text(value)
    assert re.fullmatch(r"-?\d+\.\d+", text) and float(text) == value and not math.isnan(float(text))


# --- .cube ----------------------------------------------------------------------------------------

#: What a .cube holds: readers parse float32 (OpenColorIO refuses a number outside its normal range).
FLOAT32 = np.finfo(np.float32)
values = st.one_of(st.sampled_from(EDGES), st.floats(-4.0, 4.0), st.floats(-1e6, 1e6), st.floats(0.0, 1e-4),
                   st.floats(-float(FLOAT32.max), float(FLOAT32.max))
                   ).filter(lambda v: v == 0 or abs(v) >= FLOAT32.tiny)


@st.composite
def domains(draw, per_channel: bool = True) -> np.ndarray | None:
    if not draw(st.booleans()):
        return None
    ends = st.floats(-8.0, 0.9).filter(lambda v: v == 0 or abs(v) >= FLOAT32.tiny)
    low = draw(st.lists(ends, min_size=3, max_size=3) if per_channel else ends.map(lambda v: [v] * 3))
    span = draw(st.lists(st.floats(0.01, 64.0), min_size=3, max_size=3) if per_channel
                else st.floats(0.01, 64.0).map(lambda v: [v] * 3))
    high = [a + b for a, b in zip(low, span)]
    return np.array([low, high]) if all(a < b for a, b in zip(low, high)) else None


def table(draw, shape) -> np.ndarray:
    return np.array(draw(st.lists(values, min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))).reshape(shape)


@st.composite
def luts(draw):
    kind = draw(st.sampled_from(["3d", "1d", "1d+3d"]))
    if kind == "1d+3d":
        shaper = LUT3x1D(table(draw, (draw(st.integers(2, 16)), 3)), "shaper", draw(domains(per_channel=False)))
        cube = LUT3D(table(draw, (draw(st.integers(2, 4)),) * 3 + (3,)), "cube", draw(domains(per_channel=False)))
        return LUTSequence(shaper, cube)
    if kind == "1d":
        return LUT3x1D(table(draw, (draw(st.integers(2, 64)), 3)), draw(words), draw(domains()))
    return LUT3D(table(draw, (draw(st.integers(2, 5)),) * 3 + (3,)), draw(words), draw(domains()))


def as_written(values: np.ndarray) -> np.ndarray:
    """``values`` as a .cube holds them: at six decimals."""
    values = np.asarray(values, dtype=np.float64)
    return np.array([float(f"{v:.6f}") for v in values.ravel()]).reshape(values.shape)


def _tables(lut) -> list:
    parts = list(lut) if isinstance(lut, LUTSequence) else [lut]
    return [(type(p), p.table, np.asarray(p.domain, dtype=np.float64)) for p in parts]


@BOUNDED
@given(lut=luts())
def test_cube_reads_back_the_same_table(tmp_path, lut):
    path = write_cube(lut, tmp_path / "lut.cube")
    text = path.read_text(encoding="utf-8")
    assert not EXPONENT.search(text.split("LUT_", 1)[1])  # after the title and comments
    again = read_cube(path)
    for (kind, ours, domain), (kind_again, theirs, domain_again) in zip(_tables(lut), _tables(again), strict=True):
        # what is written (six decimals, Resolve's precision) is what is read
        assert kind is kind_again and np.array_equal(theirs, as_written(ours))
        assert np.array_equal(domain_again, as_written(domain))
    if isinstance(lut, LUT3D) and lut.domain is not None and np.array_equal(lut.domain, [[0] * 3, [1] * 3]) \
            and lut.size in (2, 3, 5):
        # OpenColorIO (float32) at the lattice points gives the table as float32
        processor = ocio.Config.CreateRaw().getProcessor(
            ocio.FileTransform(src=str(path), interpolation=ocio.INTERP_TETRAHEDRAL)).getDefaultCPUProcessor()
        ocio.ClearAllCaches()
        grid = np.stack(np.meshgrid(*[np.linspace(0, 1, lut.size)] * 3, indexing="ij"), -1).astype(np.float32)
        out = grid.reshape(-1, 3).copy()
        processor.applyRGB(out)
        np.testing.assert_allclose(out, as_written(lut.table).reshape(-1, 3).astype(np.float32), rtol=1e-6, atol=1e-7)


def test_cube_numbers_outside_float32_are_not_written(tmp_path):
    lut = LUT3x1D(np.array([[0.0, 1e-39, -1e-300], [1.0, 1.0, 1.0]]), "tiny")
    assert read_cube(write_cube(lut, tmp_path / "tiny.cube")).table.tolist() == [[0.0, 0.0, -0.0], [1.0, 1.0, 1.0]]
    ocio.Config.CreateRaw().getProcessor(ocio.FileTransform(src=str(tmp_path / "tiny.cube")))  # loads
    lut.table[1, 0] = 1e39
    with pytest.raises(InputError, match="float32"):
        write_cube(lut, tmp_path / "huge.cube")
    assert not (tmp_path / "huge.cube").exists()


# --- Kdenlive -------------------------------------------------------------------------------------

#: SOP/Sat's range (frei0r normalises to 0..1: slope, power 20·v, offset 8·(v − 0.5), saturation 10·v).
sopsat_cdls = st.builds(CDL, slope=triples(st.floats(0.0, 20.0)), offset=triples(st.floats(-4.0, 4.0)),
                        power=triples(st.floats(0.001, 20.0)), saturation=st.floats(0.0, 10.0))
file_names = st.from_regex(r"[A-Za-z0-9 _&<>'\"é-]{1,12}", fullmatch=True).map(lambda s: f"{s.strip() or 'x'}.cube")


def _filters(path) -> list[dict]:
    return [{p.get("name"): p.text or "" for p in f.findall("property")} for f in ET.parse(path).iter("filter")]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(grades=st.lists(st.tuples(file_names, st.one_of(st.none(), sopsat_cdls), st.booleans()), min_size=1,
                       max_size=3))
def test_kdenlive_project_with_grades_reads_back_equal(tmp_path, grades):
    timeline = otio.schema.Timeline(name="graded")
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    for index, (cube, cdl, live) in enumerate(grades):
        clip = otio.schema.Clip(name=f"shot{index}", media_reference=otio.schema.ExternalReference(
            target_url=str(tmp_path / f"shot{index}.mp4"), available_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, 25), otio.opentime.RationalTime(50, 25))),
            source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(5, 25), otio.opentime.RationalTime(20, 25)))
        layout = None if cdl is None else cdl_to_otio_metadata(cdl)
        grade = {"version": 1, "cube": cube, "cdl": layout}
        if live and cdl is not None:
            grade.update(cube=None, live="cdl", cube_after_cdl=cube)
        attach_effect(clip, grade)
        track.append(clip)
    timeline.tracks.append(track)
    first, second = tmp_path / "first.kdenlive", tmp_path / "second.kdenlive"
    write_timeline(timeline, first, overwrite=True)
    back = read_timeline(first)
    write_timeline(back, second, overwrite=True)
    # read back and written again: the same effects, the disabled SOP/Sat copy of a grade that
    # is not live included
    assert _filters(second) == _filters(first)
    for (cube, cdl, live), clip in zip(grades, back.find_clips(), strict=True):
        grade = clip_grade(clip)
        written = grade.get("cube_after_cdl") if live and cdl is not None else grade.get("cube")
        assert written == str(tmp_path / cube)
        if cdl is not None:  # exactly, live or copied (the exact numbers ride beside the sliders)
            assert cdl_from_otio_metadata({"cdl": grade["cdl"]}) == cdl
            assert cdl_from_otio_metadata(clip.metadata) == cdl
    for properties in _filters(first):  # every number cinegrade wrote is a plain decimal
        if properties.get("mlt_service") == "frei0r.sopsat":
            assert not any(EXPONENT.search(v) for v in properties.values())


def test_kdenlive_cdl_copy_survives_a_read_and_write(tmp_path):
    clip = otio.schema.Clip(name="shot", media_reference=otio.schema.ExternalReference(
        target_url=str(tmp_path / "shot.mp4"), available_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, 25), otio.opentime.RationalTime(50, 25))))
    attach_effect(clip, {"version": 1, "cube": "a.cube", "cdl": cdl_to_otio_metadata(CDL(saturation=0.5))})
    timeline = otio.schema.Timeline(name="graded")
    timeline.tracks.append(otio.schema.Track(kind=otio.schema.TrackKind.Video))
    timeline.tracks[0].append(clip)
    write_timeline(timeline, tmp_path / "first.kdenlive")
    write_timeline(read_timeline(tmp_path / "first.kdenlive"), tmp_path / "second.kdenlive")
    assert _filters(tmp_path / "second.kdenlive") == _filters(tmp_path / "first.kdenlive")
