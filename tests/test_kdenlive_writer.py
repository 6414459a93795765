"""OTIO → Kdenlive: write-back losing nothing, grades as Apply LUT, cinegrade guides, new projects."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import opentimelineio as otio
import pytest
from test_kdenlive_reader import SAMPLE_NAMES

from cinegrade.errors import InputError
from cinegrade.otio_plugins import kdenlive_adapter
from cinegrade.otio_plugins.kdenlive_version import resolve_document_version


def canonical(text: str) -> str:
    return ET.canonicalize(text, strip_text=True)


def _props(element: ET.Element) -> dict[str, str]:
    return {p.get("name"): p.text or "" for p in element.findall("property")}


def _via_otio_file(timeline: otio.schema.Timeline, tmp_path) -> otio.schema.Timeline:
    """Save as .otio and load again, as a user between two cinegrade steps would."""
    path = tmp_path / "between.otio"
    otio.adapters.write_to_file(timeline, str(path))
    return otio.adapters.read_from_file(str(path))


def test_unchanged_write_back_of_every_sample(samples, tmp_path) -> None:
    """All 16 projects: read, save as .otio, load, write: canonically the same document."""
    equal = []
    for name in SAMPLE_NAMES:
        path = samples / "kdenlive" / f"{name}.kdenlive"
        timeline = _via_otio_file(kdenlive_adapter.read_from_file(path), tmp_path)
        if canonical(kdenlive_adapter.write_to_string(timeline)) == canonical(path.read_text(encoding="utf-8")):
            equal.append(name)
    assert equal == SAMPLE_NAMES


def test_written_elsewhere_keeps_media_resolving(samples, tmp_path) -> None:
    """root="" resolves against the project folder; a copy written elsewhere names that folder
    where the media is there, and is left unchanged where the media resolves nowhere."""
    import shutil

    sample = samples / "kdenlive" / "ts_avfilter-curves.kdenlive"
    project = tmp_path / "project"
    (project / "footage").mkdir(parents=True)
    (project / "footage" / "stock_flags.mp4").write_bytes(b"")  # what the project reads
    path = Path(shutil.copy(sample, project))
    timeline = kdenlive_adapter.read_from_file(path)
    (tmp_path / "elsewhere").mkdir()
    out = tmp_path / "elsewhere" / "copy.kdenlive"
    kdenlive_adapter.write_to_file(timeline, out)
    written = ET.parse(out).getroot()
    assert written.get("root") == str(project)
    original = ET.fromstring(path.read_text())
    written.set("root", "")
    assert canonical(ET.tostring(written, encoding="unicode")) == canonical(ET.tostring(original, encoding="unicode"))
    again = kdenlive_adapter.read_from_file(out)
    assert [c.media_reference.target_url for c in again.find_clips()] == \
        [c.media_reference.target_url for c in timeline.find_clips()]
    # media found neither at the original folder nor beside the copy: nothing to keep, no change
    lost = tmp_path / "elsewhere" / "lost.kdenlive"
    kdenlive_adapter.write_to_file(kdenlive_adapter.read_from_file(sample), lost)
    assert canonical(lost.read_text()) == canonical(sample.read_text())


def test_never_overwrites_its_input(samples, tmp_path) -> None:
    source = tmp_path / "p.kdenlive"
    source.write_text((samples / "kdenlive" / "ts_transform.kdenlive").read_text())
    timeline = kdenlive_adapter.read_from_file(source)
    with pytest.raises(InputError, match="refusing to overwrite"):
        kdenlive_adapter.write_to_file(timeline, source)


def _grade(cube) -> otio.schema.Effect:
    return otio.schema.Effect(name="grade", effect_name="cinegrade.grade", metadata={"cinegrade": {"cube": str(cube)}})


def _entry_filters(text: str, playlist: str, index: int) -> list[ET.Element]:
    root = ET.fromstring(text)
    element = next(e for e in root if e.get("id") == playlist)
    return element.findall("entry")[index].findall("filter")


def test_grade_becomes_apply_lut_and_replaces_on_rerun(samples, tmp_path) -> None:
    path = samples / "kdenlive" / "ts_avfilter-colorbalance.kdenlive"
    original = path.read_text()
    timeline = kdenlive_adapter.read_from_file(path)
    clip = timeline.find_clips()[0]
    locator = clip.metadata["kdenlive"]
    before = _entry_filters(original, locator["playlist"], locator["entry"])
    clip.effects.append(_grade(tmp_path / "a.cube"))
    first = kdenlive_adapter.write_to_string(_via_otio_file(timeline, tmp_path))

    filters = _entry_filters(first, locator["playlist"], locator["entry"])
    luts = [f for f in filters if _props(f).get("mlt_service") == "avfilter.lut3d"]
    assert len(luts) == 1 and len(filters) == len(before) + 1
    lut = _props(luts[0])
    assert lut["kdenlive_id"] == "avfilter.lut3d"  # Kdenlive's id of its "Apply LUT" effect
    assert lut["av.file"] == str(tmp_path / "a.cube")
    assert lut["av.interp"] == "tetrahedral"
    ids = [e.get("id") for e in ET.fromstring(first).iter() if e.get("id")]
    assert len(ids) == len(set(ids))
    # The user's own effects keep their properties and order; the grade follows the built-ins.
    kept = [f for f in filters if f is not luts[0]]
    assert [canonical(ET.tostring(f, encoding="unicode")) for f in kept] == \
        [canonical(ET.tostring(f, encoding="unicode")) for f in before]
    builtins = [i for i, f in enumerate(filters) if _props(f).get("kdenlive:builtin") == "1"]
    assert filters.index(luts[0]) == max(builtins) + 1

    # Re-run: read the graded project, replace the grade, write: one LUT, the new one.
    graded_path = tmp_path / "graded.kdenlive"
    graded_path.write_text(first)
    rerun = kdenlive_adapter.read_from_file(graded_path)
    clip = rerun.find_clips()[0]
    assert [e.metadata["cinegrade"]["cube"] for e in clip.effects if e.effect_name == "cinegrade.grade"] == \
        [str(tmp_path / "a.cube")]
    assert canonical(kdenlive_adapter.write_to_string(rerun)) == canonical(first)  # idempotent
    clip.effects[:] = [e for e in clip.effects if e.effect_name != "cinegrade.grade"] + [_grade(tmp_path / "b.cube")]
    second = kdenlive_adapter.write_to_string(rerun)
    luts = [f for f in _entry_filters(second, locator["playlist"], locator["entry"])
            if _props(f).get("mlt_service") == "avfilter.lut3d"]
    assert [_props(f)["av.file"] for f in luts] == [str(tmp_path / "b.cube")]

    # Without a grade the document is the user's own again.
    clip.effects[:] = [e for e in clip.effects if e.effect_name != "cinegrade.grade"]
    assert canonical(kdenlive_adapter.write_to_string(rerun)) == canonical(original)


def _cinegrade_marker(name: str, frame: int, rate: float) -> otio.schema.Marker:
    return otio.schema.Marker(
        name=name, marked_range=otio.opentime.TimeRange(otio.opentime.RationalTime(frame, rate)),
        metadata={"cinegrade": {"rule": "white_balance", "severity": "warning"}})


def test_cinegrade_markers_become_guides_in_their_own_category(samples, tmp_path) -> None:
    path = samples / "kdenlive" / "kdenlive_example_v240770.kdenlive"
    original = ET.fromstring(path.read_text())
    timeline = kdenlive_adapter.read_from_file(path)
    rate = timeline.global_start_time.rate
    user_guides = sorted((m.marked_range.start_time.value, m.name) for m in timeline.tracks.markers)
    assert user_guides
    clip = next(c for c in timeline.find_clips() if c.range_in_parent().start_time.value > 0)
    at_clip = clip.range_in_parent().start_time.value + 3
    clip.markers.append(_cinegrade_marker("WB drift", clip.source_range.start_time.value + 3, rate))
    timeline.tracks.markers.append(_cinegrade_marker("exposure jump", 17, rate))
    text = kdenlive_adapter.write_to_string(_via_otio_file(timeline, tmp_path))

    root = ET.fromstring(text)
    main_bin = next(e for e in root if e.get("id") == "main_bin")
    categories = json.loads(_props(main_bin)["kdenlive:docproperties.guidesCategories"])
    ours = [c for c in categories if c["comment"] == "cinegrade"]
    assert len(ours) == 1
    assert {c["index"] for c in categories} == {c["index"] for c in json.loads(
        _props(next(e for e in original if e.get("id") == "main_bin"))["kdenlive:docproperties.guidesCategories"])} | {
        ours[0]["index"]}
    sequence_id = timeline.metadata["kdenlive"]["sequence_element"]
    sequence = next(e for e in root if e.get("id") == sequence_id)
    guides = json.loads(_props(sequence)["kdenlive:sequenceproperties.guides"])
    assert sorted((g["pos"], g["comment"]) for g in guides if g["type"] == ours[0]["index"]) == \
        [(17, "exposure jump"), (at_clip, "WB drift")]
    assert sorted((g["pos"], g["comment"]) for g in guides if g["type"] != ours[0]["index"]) == user_guides

    # A re-run replaces cinegrade's guides and leaves the user's alone.
    rerun = kdenlive_adapter.read_from_string(text)
    for item in [rerun.tracks, *rerun.tracks, *rerun.find_clips()]:
        item.markers[:] = [m for m in item.markers if "cinegrade" not in m.metadata]
    rerun.tracks.markers.append(_cinegrade_marker("flicker", 40, rate))
    again = ET.fromstring(kdenlive_adapter.write_to_string(rerun))
    guides = json.loads(_props(next(e for e in again if e.get("id") == sequence_id))["kdenlive:sequenceproperties.guides"])
    assert sorted((g["pos"], g["comment"]) for g in guides if g["type"] == ours[0]["index"]) == [(40, "flicker")]
    assert sorted((g["pos"], g["comment"]) for g in guides if g["type"] != ours[0]["index"]) == user_guides


def test_guides_in_a_1_04_document(samples) -> None:
    """Before 1.1 categories are fixed: cinegrade's guides are found again by their comment prefix."""
    path = samples / "kdenlive" / "kdenlive_example_v221170.kdenlive"
    timeline = kdenlive_adapter.read_from_file(path)
    users = len(timeline.tracks.markers)
    timeline.tracks.markers.append(_cinegrade_marker("contrast", 5, timeline.global_start_time.rate))
    text = kdenlive_adapter.write_to_string(timeline)
    rerun = kdenlive_adapter.read_from_string(text)
    rerun.metadata["kdenlive"]["path"] = str(path)
    ours = [m for m in rerun.tracks.markers if "cinegrade" in m.metadata]
    assert [(m.name, m.marked_range.start_time.value) for m in ours] == [("contrast", 5)]
    assert len(rerun.tracks.markers) == users + 1
    assert canonical(kdenlive_adapter.write_to_string(rerun)) == canonical(text)  # unchanged: stays
    rerun.tracks.markers[:] = [m for m in rerun.tracks.markers if "cinegrade" not in m.metadata]
    assert canonical(kdenlive_adapter.write_to_string(rerun)) == canonical(path.read_text())


def test_timeline_from_an_edl_becomes_a_new_project(samples, tmp_path) -> None:
    edl = otio.adapters.read_from_file(str(samples / "edl" / "premiere_example.edl"))
    out = tmp_path / "from_edl.kdenlive"
    kdenlive_adapter.write_to_file(edl, out)
    project = kdenlive_adapter.read_from_file(out)
    # The newest version the installed Kdenlive opens, else 1.1 (tests/test_kdenlive_version.py).
    assert project.metadata["kdenlive"]["version"] == resolve_document_version(None, edl)[0]
    clips, ours = edl.find_clips(), project.find_clips()
    assert [c.name for c in ours] == [c.name for c in clips]
    assert [c.source_range for c in ours] == [c.source_range for c in clips]
    assert [c.range_in_parent() for c in ours] == [c.range_in_parent() for c in clips]
    root = ET.parse(out).getroot()
    assert root.get("root") == str(tmp_path)
    profile = root.find("profile")
    assert (profile.get("frame_rate_num"), profile.get("frame_rate_den")) == ("24", "1")


def test_new_project_in_format_1_04(samples, tmp_path) -> None:
    """Optionally for Kdenlive ≤ 22.12: one timeline, guides in the document properties."""
    source = otio.adapters.read_from_file(str(samples / "otio" / "multitrack.otio"))
    source.tracks.markers.append(_cinegrade_marker("exposure", 12, source.tracks[0].duration().rate))
    out = tmp_path / "old.kdenlive"
    kdenlive_adapter.write_to_file(source, out, version="1.04")
    project = kdenlive_adapter.read_from_file(out)
    assert project.metadata["kdenlive"]["version"] == "1.04"
    assert [len(t.find_clips()) for t in project.tracks] == [len(t.find_clips()) for t in source.tracks]
    assert [(m.name, m.marked_range.start_time.value, "cinegrade" in m.metadata)
            for m in project.tracks.markers] == [("exposure", 12, True)]
    text = out.read_text()
    assert '"comment": "cinegrade: exposure"' in text
    root = ET.parse(out).getroot()
    # Before 1.1 the last tractor is the timeline: the black track plus one tractor per track.
    assert len(root.findall("tractor")[-1].findall("track")) == len(source.tracks) + 1
    assert "kdenlive:projectTractor" not in ET.tostring(root, encoding="unicode")
    with pytest.raises(InputError, match="document format"):
        kdenlive_adapter.write_to_string(source, version="0.98")


def test_failed_write_writes_nothing(samples, tmp_path) -> None:
    timeline = kdenlive_adapter.read_from_file(samples / "kdenlive" / "ts_transform.kdenlive")
    timeline.find_clips()[0].effects.append(otio.schema.Effect(effect_name="cinegrade.grade"))
    target = tmp_path / "never.kdenlive"
    with pytest.raises(InputError):
        kdenlive_adapter.write_to_file(timeline, target)
    assert list(tmp_path.iterdir()) == []


def test_effect_without_cube_is_input_error(samples) -> None:
    timeline = kdenlive_adapter.read_from_file(samples / "kdenlive" / "ts_transform.kdenlive")
    broken = copy.deepcopy(timeline)
    broken.find_clips()[0].effects.append(otio.schema.Effect(effect_name="cinegrade.grade"))
    with pytest.raises(InputError, match="cube"):
        kdenlive_adapter.write_to_string(broken)


def test_track_markers_of_a_new_project_become_guides_and_keep_scenes() -> None:
    from cinegrade.timeline.shots import shots_from_timeline

    rate = 24
    timeline = otio.schema.Timeline(name="scenes")
    track = otio.schema.Track(name="V1")
    timeline.tracks.append(track)
    for index in range(4):
        track.append(otio.schema.Clip(
            name=f"shot {index}", media_reference=otio.schema.ExternalReference(
                target_url=f"/media/shot{index}.mp4"),
            source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, rate),
                                                 otio.opentime.RationalTime(10, rate))))
    for name, start in (("scene: kitchen", 0), ("scene: street", 20)):
        track.markers.append(otio.schema.Marker(name=name, marked_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(start, rate), otio.opentime.RationalTime(20, rate))))
    for version in ("1.1", "1.04"):
        back = kdenlive_adapter.read_from_string(kdenlive_adapter.write_to_string(timeline, version=version))
        assert [(m.name, m.marked_range.start_time.value) for m in back.tracks.markers] == \
            [("scene: kitchen", 0), ("scene: street", 20)], version
        assert [s.scene for s in shots_from_timeline(back)] == \
            [s.scene for s in shots_from_timeline(timeline)], version


def test_mixes_on_video_and_audio_tracks_and_where_they_cannot_be(tmp_path) -> None:
    """Dissolves on a video and an audio track become mixes (Kdenlive's luma and mix
    services); one into a gap, one at the track's start and one without handles stay cuts."""
    def clip(name: str, start: int, length: int = 20) -> otio.schema.Clip:
        return otio.schema.Clip(name=name, media_reference=otio.schema.ExternalReference(
            target_url=f"/media/{name}.mov"), source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(start, 25), otio.opentime.RationalTime(length, 25)))

    def dissolve(before: int, after: int) -> otio.schema.Transition:
        return otio.schema.Transition(in_offset=otio.opentime.RationalTime(before, 25),
                                      out_offset=otio.opentime.RationalTime(after, 25))

    video = otio.schema.Track(name="V1", children=[
        dissolve(3, 3), clip("a", 10), dissolve(5, 5), clip("b", 10), dissolve(2, 6), clip("c", 0),
        clip("d", 10), dissolve(4, 4), otio.schema.Gap(source_range=otio.opentime.TimeRange(
            duration=otio.opentime.RationalTime(10, 25))), clip("e", 10)])
    audio = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio,
                              children=[clip("a", 10), dissolve(0, 8), clip("b", 10)])
    timeline = otio.schema.Timeline(name="mixes", global_start_time=otio.opentime.RationalTime(0, 25))
    timeline.tracks.extend([video, audio])
    project = tmp_path / "mixes.kdenlive"
    kdenlive_adapter.write_to_file(timeline, project)

    back = kdenlive_adapter.read_from_file(project)
    read_video = next(t for t in back.tracks if t.kind == otio.schema.TrackKind.Video)
    read_audio = next(t for t in back.tracks if t.kind == otio.schema.TrackKind.Audio)

    def shape(track):
        return [(type(i).__name__, i.in_offset.value, i.out_offset.value)
                if isinstance(i, otio.schema.Transition) else
                (type(i).__name__, i.trimmed_range().start_time.value, i.trimmed_range().duration.value)
                for i in track]

    assert shape(read_video) == [("Clip", 10, 20), ("Transition", 5, 5), ("Clip", 10, 20),
                                 ("Clip", 0, 20), ("Clip", 10, 20), ("Gap", 0, 10), ("Clip", 10, 20)]
    assert shape(read_audio) == [("Clip", 10, 20), ("Transition", 0, 8), ("Clip", 10, 20)]
    mixes = [t for t in ET.parse(project).getroot().iter("transition")
             if any(p.get("name") == "kdenlive:mixcut" for p in t.iter("property"))]
    kinds = sorted(next(p.text for p in t.iter("property") if p.get("name") == "mlt_service")
                   for t in mixes)
    assert kinds == ["luma", "mix"]
