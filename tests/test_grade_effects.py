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


def _timeline(tmp_path, start: int = 0) -> tuple[otio.schema.Timeline, otio.schema.Clip]:
    """One clip of 25 frames from media frame ``start`` of a 50-frame file."""
    rate = 25
    clip = otio.schema.Clip(
        name="b", media_reference=otio.schema.ExternalReference(
            target_url=str(tmp_path / "b.mp4"), available_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(50, rate))),
        source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(start, rate),
                                             otio.opentime.RationalTime(25, rate)))
    timeline = otio.schema.Timeline(name="t", global_start_time=otio.opentime.RationalTime(0, rate))
    timeline.tracks.append(otio.schema.Track(name="V1", children=[clip]))
    return timeline, clip


def _ours(filters: list[dict]) -> list[str]:
    return [f["mlt_service"] for f in filters if "cinegrade:grade" in f or "cinegrade:cdl" in f]


def test_live_cdl_metadata_says_what_is_live() -> None:
    """Method cdl asked live: the CDL is live, the .cube after it holds the rest (the look);
    without the .cube after it (a look to carry) the single .cube carries the grade; a lut
    match is never live."""
    clip = _clip()
    attach_grade(clip, _grade("cdl"), "o.grades/002-b.cube", "o.grades/002-b-after-cdl.cube", live=True)
    meta = clip_grade(clip)
    assert (meta["live"], meta["cube_after_cdl"], meta["cube"]) == \
        ("cdl", "o.grades/002-b-after-cdl.cube", "o.grades/002-b.cube")
    assert meta["keyframes"] is None and clip_cdl(clip) == CDL_FIT
    attach_grade(clip, _grade("cdl"), "o.grades/002-b.cube", live=True)  # the look has no .cube
    assert clip_grade(clip)["live"] is None and clip_grade(clip)["cube_after_cdl"] is None
    attach_grade(clip, _grade("cdl"), "o.grades/002-b.cube", "after.cube")  # live not asked for
    assert clip_grade(clip)["live"] is None
    no_look = Grade(1, "b", _grade("cdl").match)
    attach_grade(clip, no_look, "o.grades/002-b.cube", live=True)  # nothing follows the CDL
    assert clip_grade(clip)["live"] == "cdl" and clip_grade(clip)["cube_after_cdl"] is None
    attach_grade(clip, _grade("lut"), "o.grades/002-b.cube", "x.cube", live=True)
    assert clip_grade(clip)["live"] is None


def test_kdenlive_gets_a_live_sop_sat_then_the_look(tmp_path) -> None:
    """Through the Kdenlive adapter a live cdl grade becomes an enabled SOP/Sat with the CDL in
    frei0r's 0..1 units (slope/20, offset/8 + 0.5, power/20, saturation/10; the offsets carry
    one code value that makes frei0r's two truncations round, saturation 0.9 running its
    saturation stage), then Apply LUT with the look alone; without a look, no Apply LUT at all."""
    from cinegrade.otio_plugins import kdenlive_adapter

    timeline, clip = _timeline(tmp_path)
    attach_grade(clip, _grade("cdl"), "t.grades/002-b.cube", "t.grades/002-b-after-cdl.cube", live=True)
    first = tmp_path / "t.kdenlive"
    kdenlive_adapter.write_to_file(timeline, first)
    filters = _filters(first)
    assert _ours(filters) == ["frei0r.sopsat", "avfilter.lut3d"]
    sopsat, lut = filters
    assert lut["av.file"] == str(tmp_path / "t.grades" / "002-b-after-cdl.cube")
    unit = pytest.approx
    assert "disable" not in sopsat and sopsat["cinegrade:cdl"] == "live"
    assert float(sopsat["rSlope"]) == unit(1.1 / 20, abs=1e-9)
    assert float(sopsat["bOffset"]) == unit((-0.02 + 1 / 255) / 8 + 0.5, abs=1e-9)
    assert sopsat["cinegrade:cdl.bias"] == "frei0r-truncation"
    assert float(sopsat["saturation"]) == unit(0.09, abs=1e-9)
    assert float(sopsat["aSlope"]) == 0.05 and float(sopsat["bPower"]) == unit(1.1 / 20, abs=1e-9)

    attach_grade(clip, Grade(1, "b", _grade("cdl").match), "t.grades/002-b.cube", live=True)
    bare = tmp_path / "bare.kdenlive"
    kdenlive_adapter.write_to_file(timeline, bare)
    assert _ours(_filters(bare)) == ["frei0r.sopsat"]
    back = kdenlive_adapter.read_from_file(bare).find_clips()[0]
    assert [e.effect_name for e in back.effects] == [EFFECT_NAME]  # the SOP/Sat is the grade
    assert clip_cdl(back) == CDL_FIT and clip_grade(back)["cube_after_cdl"] is None


def test_rerun_replaces_exactly_cinegrades_filters(tmp_path) -> None:
    """Written into a Kdenlive project that carries the user's own SOP/Sat and Apply LUT: a
    re-run updates cinegrade's filters in place, puts an old project's LUT-then-disabled-copy
    into live order, and a lut grade leaves one Apply LUT; the user's filters never change."""
    import xml.etree.ElementTree as ET

    from cinegrade.otio_plugins import kdenlive_adapter

    timeline, clip = _timeline(tmp_path)
    attach_grade(clip, _grade("cdl"), "t.grades/002-b.cube")  # before live CDLs: LUT + disabled copy
    old = tmp_path / "old.kdenlive"
    kdenlive_adapter.write_to_file(timeline, old)
    tree = ET.parse(old)
    entry = next(e for e in tree.iter("entry") if e.findall("filter"))
    for service, name, value in (("frei0r.sopsat", "rSlope", "0.07"), ("avfilter.lut3d", "av.file", "mine.cube")):
        user = ET.SubElement(entry, "filter", {"id": f"user_{name}"})
        for key, text in (("mlt_service", service), ("kdenlive_id", service), (name, value)):
            ET.SubElement(user, "property", {"name": key}).text = text
    tree.write(old)
    users = [f for f in _filters(old) if "cinegrade:grade" not in f and "cinegrade:cdl" not in f]
    assert _ours(_filters(old)) == ["avfilter.lut3d", "frei0r.sopsat"] and len(users) == 2

    back = kdenlive_adapter.read_from_file(old)
    attach_grade(back.find_clips()[0], _grade("cdl"), "t.grades/002-b.cube",
                 "t.grades/002-b-after-cdl.cube", live=True)
    live = tmp_path / "live.kdenlive"
    kdenlive_adapter.write_to_file(back, live)
    filters = _filters(live)
    assert _ours(filters) == ["frei0r.sopsat", "avfilter.lut3d"]
    assert [f for f in filters if "cinegrade:grade" not in f and "cinegrade:cdl" not in f] == users
    assert "disable" not in filters[0] and filters[1]["av.file"].endswith("002-b-after-cdl.cube")

    again = kdenlive_adapter.read_from_file(live)
    kdenlive_adapter.write_to_file(again, tmp_path / "same.kdenlive")  # unchanged: the same text
    assert (tmp_path / "same.kdenlive").read_text() == live.read_text()
    other = Grade(1, "b", Match(1, "b", "s", 0, "a", "cdl", "aligned", (0,) * 6, 1.0,
                                cdl=CDL(saturation=1.5)), None)
    attach_grade(again.find_clips()[0], other, "t.grades/002-b.cube", live=True)
    kdenlive_adapter.write_to_file(again, tmp_path / "sat.kdenlive")
    filters = _filters(tmp_path / "sat.kdenlive")
    assert _ours(filters) == ["frei0r.sopsat"] and float(filters[0]["saturation"]) == pytest.approx(0.15)
    attach_grade(again.find_clips()[0], _grade("lut"), "t.grades/002-b.cube")
    kdenlive_adapter.write_to_file(again, tmp_path / "lut.kdenlive")
    filters = _filters(tmp_path / "lut.kdenlive")
    assert _ours(filters) == ["avfilter.lut3d"]
    assert [f for f in filters if "cinegrade:grade" not in f and "cinegrade:cdl" not in f] == users


def test_reading_back_recovers_the_cdl_the_editor_left(tmp_path) -> None:
    """The reader gives the live SOP/Sat back as the grade's CDL, also in the form Kdenlive
    saves it (a keyframe at the clip's in-point, as a clock) and with a value the editor changed;
    the match is rebuilt from it, and a rewrite keeps the editor's switch."""
    import xml.etree.ElementTree as ET

    from cinegrade.otio_plugins import kdenlive_adapter

    timeline, clip = _timeline(tmp_path, start=10)
    attach_grade(clip, _grade("cdl"), "t.grades/002-b.cube", "t.grades/002-b-after-cdl.cube", live=True)
    written = tmp_path / "t.kdenlive"
    kdenlive_adapter.write_to_file(timeline, written)
    back = clip_grade(kdenlive_adapter.read_from_file(written).find_clips()[0])
    assert back["live"] == "cdl" and back["method"] == "cdl" and back["keyframes"] is None
    assert back["cube"] is None and back["cube_after_cdl"] == str(tmp_path / "t.grades/002-b-after-cdl.cube")
    assert cdl_from(back) == CDL_FIT

    tree = ET.parse(written)  # as Kdenlive saves it, the editor having turned red's slope to 1.3
    sopsat = next(f for f in tree.iter("filter") if "sopsat" in ET.tostring(f, encoding="unicode"))
    for element in sopsat.findall("property"):
        if element.get("name") in ("rSlope", "gSlope", "saturation"):
            value = {"rSlope": "0.065"}.get(element.get("name"), element.text)
            element.text = f"00:00:00.400={value}"
    ET.SubElement(sopsat, "property", {"name": "disable"}).text = "1"
    tree.write(tmp_path / "edited.kdenlive")
    edited = kdenlive_adapter.read_from_file(tmp_path / "edited.kdenlive")
    meta = clip_grade(edited.find_clips()[0])
    assert cdl_from(meta) == CDL((1.3, 1.0, 0.95), CDL_FIT.offset, CDL_FIT.power, 0.9)
    assert clip_cdl(edited.find_clips()[0]) == cdl_from(meta)
    match = match_from_metadata(1, "b", meta)
    assert match.method == "cdl" and match.cdl == cdl_from(meta)
    kdenlive_adapter.write_to_file(edited, tmp_path / "rewritten.kdenlive")
    assert _filters(tmp_path / "rewritten.kdenlive") == _filters(tmp_path / "edited.kdenlive")
    attach_grade(edited.find_clips()[0], _grade("cdl"), "t.grades/002-b.cube",
                 "t.grades/002-b-after-cdl.cube", live=True)  # a re-run: new values, still off
    kdenlive_adapter.write_to_file(edited, tmp_path / "rerun.kdenlive")
    sopsat = _filters(tmp_path / "rerun.kdenlive")[0]
    assert sopsat["disable"] == "1" and float(sopsat["rSlope"]) == pytest.approx(0.055)


def cdl_from(meta: dict) -> CDL:
    from cinegrade.timeline.effects import cdl_from_otio_metadata

    return cdl_from_otio_metadata({"cdl": meta["cdl"]})
