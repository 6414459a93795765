"""Grades on OTIO clips: cinegrade's effect, the CDL in OTIO's EDL layout, replacement."""

from __future__ import annotations

import json

import opentimelineio as otio
import pytest

from cinegrade.colour.cdl import CDL
from cinegrade.grade.effects import attach_grade, match_from_metadata
from cinegrade.grade.grade import Grade
from cinegrade.matching.match import Match
from cinegrade.timeline.contract import GRADE_EFFECT as EFFECT_NAME
from cinegrade.timeline.effects import clip_cdl, clip_grade, relative_cube, remove_grade

CDL_FIT = CDL((1.1, 1.0, 0.95), (0.01, 0.0, -0.02), (0.9, 1.0, 1.1), 0.9)


def _grade(method: str) -> Grade:
    match = Match(1, "b", "s", 0, "a", method, "aligned", (0.1, 0.0, -0.1, 0.0, 0.01, 0.05), 0.8,
                  0.9, CDL_FIT if method == "cdl" else None)
    return Grade(1, "b", match, "warm", 0.5)


def _clip() -> otio.schema.Clip:
    clip = otio.schema.Clip(name="b")
    clip.effects.append(otio.schema.Effect(name="mine", effect_name="user.sharpen"))
    return clip


def test_cdl_grade_sets_effect_and_edl_cdl() -> None:
    clip = _clip()
    attach_grade(clip, _grade("cdl"), "out.grades/002-b.cube")
    assert [e.effect_name for e in clip.effects] == ["user.sharpen", EFFECT_NAME]
    meta = clip_grade(clip)
    assert meta["cube"] == "out.grades/002-b.cube" and meta["look"] == "warm"
    assert meta["reference"] == "a" and meta["method"] == "cdl" and meta["strength"] == 0.9
    assert meta["confidence"] == 0.8 and meta["version"] == 1
    assert clip_cdl(clip) == CDL_FIT
    assert clip.metadata["cdl"]["asc_sat"] == 0.9
    # what the EDL adapter writes from it
    timeline = otio.schema.Timeline(tracks=[otio.schema.Track(children=[otio.schema.Clip(
        name="b", source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, 24),
                                                       otio.opentime.RationalTime(24, 24)),
        metadata={"cdl": clip.metadata["cdl"]})])])
    edl = otio.adapters.write_to_string(timeline, "cmx_3600")
    assert "*ASC_SOP (1.1 1.0 0.95) (0.01 0.0 -0.02) (0.9 1.0 1.1)" in edl
    assert "*ASC_SAT 0.9" in edl


def test_rerun_replaces_only_cinegrades_grade() -> None:
    clip = _clip()
    attach_grade(clip, _grade("cdl"), "x.cube")
    attach_grade(clip, _grade("lut"), "y.cube")
    assert [e.effect_name for e in clip.effects] == ["user.sharpen", EFFECT_NAME]
    assert clip_grade(clip)["cube"] == "y.cube" and "cdl" not in clip.metadata
    users = {"asc_sop": {"slope": [2, 2, 2], "offset": [0, 0, 0], "power": [1, 1, 1]}, "asc_sat": 1}
    clip.metadata["cdl"] = users
    remove_grade(clip)
    assert [e.effect_name for e in clip.effects] == ["user.sharpen"]
    assert clip_cdl(clip) == CDL((2, 2, 2))  # the user's own CDL stays


def test_metadata_survives_otio_json_and_rebuilds_the_match() -> None:
    clip = _clip()
    grade = _grade("lut")
    attach_grade(clip, grade, "g.cube")
    back = otio.adapters.read_from_string(otio.adapters.write_to_string(clip, "otio_json"), "otio_json")
    meta = clip_grade(back)
    json.dumps(meta)  # plain data
    match = match_from_metadata(1, "b", meta)
    assert match.drift == grade.match.drift and match.confidence == 0.8 and match.strength == 0.9
    assert match_from_metadata(1, "b", {"method": "lut"}) is None


def test_cube_path_is_relative_to_the_timeline(tmp_path) -> None:
    assert relative_cube(tmp_path / "edit.grades" / "a.cube", tmp_path / "edit.otio") == "edit.grades/a.cube"
    assert relative_cube(tmp_path / "a.cube", tmp_path / "sub" / "edit.otio") == "../a.cube"


def _filters(path) -> list[dict]:
    import xml.etree.ElementTree as ET

    return [{p.get("name"): p.text for p in f.findall("property")}
            for entry in ET.parse(path).iter("entry") for f in entry.findall("filter")]


def test_kdenlive_gets_apply_lut_and_a_disabled_sop_sat(tmp_path) -> None:
    """Through the Kdenlive adapter a cdl grade becomes Apply LUT plus a disabled SOP/Sat with the
    CDL in frei0r's 0..1 units (slope/20, offset/8 + 0.5, power/20, saturation/10); a re-run
    updates both in place and a lut grade drops the SOP/Sat."""
    from cinegrade.otio_plugins import kdenlive_adapter

    rate = 25
    clip = otio.schema.Clip(
        name="b", media_reference=otio.schema.ExternalReference(
            target_url=str(tmp_path / "b.mp4"), available_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(50, rate))),
        source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, rate),
                                             otio.opentime.RationalTime(25, rate)))
    timeline = otio.schema.Timeline(name="t", global_start_time=otio.opentime.RationalTime(0, rate))
    timeline.tracks.append(otio.schema.Track(name="V1", children=[clip]))
    attach_grade(clip, _grade("cdl"), "t.grades/002-b.cube")
    first = tmp_path / "t.kdenlive"
    kdenlive_adapter.write_to_file(timeline, first)
    lut, sopsat = [f for f in _filters(first) if f["mlt_service"] in ("avfilter.lut3d", "frei0r.sopsat")]
    assert lut["av.file"] == str(tmp_path / "t.grades" / "002-b.cube")
    unit = pytest.approx
    assert sopsat["disable"] == "1" and float(sopsat["rSlope"]) == unit(1.1 / 20, abs=1e-9)
    assert float(sopsat["bOffset"]) == unit(-0.02 / 8 + 0.5, abs=1e-9)
    assert float(sopsat["saturation"]) == unit(0.09, abs=1e-9)
    assert float(sopsat["aSlope"]) == 0.05 and float(sopsat["bPower"]) == unit(1.1 / 20, abs=1e-9)

    back = kdenlive_adapter.read_from_file(first)
    other = Grade(1, "b", Match(1, "b", "s", 0, "a", "cdl", "aligned", (0,) * 6, 1.0,
                                cdl=CDL(saturation=1.5)), None)
    attach_grade(back.find_clips()[0], other, "t.grades/002-b.cube")
    second = tmp_path / "t2.kdenlive"
    kdenlive_adapter.write_to_file(back, second)
    sopsats = [f for f in _filters(second) if f["mlt_service"] == "frei0r.sopsat"]
    assert len(sopsats) == 1 and float(sopsats[0]["saturation"]) == pytest.approx(0.15, abs=1e-9)
    attach_grade(back.find_clips()[0], _grade("lut"), "t.grades/002-b.cube")
    third = tmp_path / "t3.kdenlive"
    kdenlive_adapter.write_to_file(back, third)
    assert [f["mlt_service"] for f in _filters(third)].count("frei0r.sopsat") == 0
