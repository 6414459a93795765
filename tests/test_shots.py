"""Timeline → shots: positions, nesting, scenes and media paths, on timelines built by hand (so the
expected frames are worked out independently) and on real sample files."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import opentimelineio as otio
import pytest

from cinegrade.timeline.files import read_timeline
from cinegrade.timeline.shots import (
    GENERATOR,
    IMAGE_SEQUENCE,
    MISSING,
    MOVIE,
    STILL,
    clip_of,
    shots_from_timeline,
    timeline_start_frame,
)

RATE = 24


def rt(frames: float, rate: float = RATE) -> otio.opentime.RationalTime:
    return otio.opentime.RationalTime(frames, rate)


def tr(start: float, duration: float, rate: float = RATE) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(rt(start, rate), rt(duration, rate))


def clip(name: str, start: int, duration: int, url: str | None = None,
         markers: tuple[tuple[str, int], ...] = ()) -> otio.schema.Clip:
    reference = otio.schema.ExternalReference(target_url=url) if url else None
    made = otio.schema.Clip(name=name, media_reference=reference, source_range=tr(start, duration))
    for marker_name, at in markers:
        made.markers.append(otio.schema.Marker(name=marker_name, marked_range=tr(at, 0)))
    return made


def nested_timeline() -> otio.schema.Timeline:
    """V1: A (10 f) | stack trimmed to frames 5..15 of [B: 20 f from 100] | gap 5 | C (8 f),
    a transition between C and D; V2 above: gap 12 | E (6 f); A2: an audio clip."""
    inner = otio.schema.Track(name="inner", children=[clip("B", 100, 20)])
    stack = otio.schema.Stack(name="nest", children=[inner], source_range=tr(5, 10))
    v1 = otio.schema.Track(name="V1", children=[
        clip("A", 0, 10, "media/a.mov"), stack, otio.schema.Gap(source_range=tr(0, 5)),
        clip("C", 50, 8, "file:///footage/with%20space/c.mov"),
        otio.schema.Transition(in_offset=rt(2), out_offset=rt(2)),
        clip("D", 0, 4, "https://example.com/d.mov")])
    v2 = otio.schema.Track(name="V2", children=[otio.schema.Gap(source_range=tr(0, 12)),
                                                clip("E", 7, 6, "/abs/e.png")])
    a1 = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio,
                           children=[clip("sound", 0, 30, "a.wav")])
    timeline = otio.schema.Timeline(name="hand made")
    timeline.tracks.extend([v1, v2, a1])
    return timeline


def test_record_and_source_ranges_through_a_trimmed_nested_stack(tmp_path):
    timeline = nested_timeline()
    shots = shots_from_timeline(timeline, tmp_path / "cut.otio")
    by_name = {shot.clip_name: shot for shot in shots}
    assert [shot.clip_name for shot in shots] == ["A", "B", "C", "D", "E"]
    assert [shot.index for shot in shots] == [0, 1, 2, 3, 4]
    # A: record 0..10; the stack shows B's frames 5..15 (source 105..115) at record 10..20
    assert (by_name["A"].record.start, by_name["A"].record.duration) == (0, 10)
    assert (by_name["B"].record.start, by_name["B"].record.duration) == (10, 10)
    assert (by_name["B"].source.start, by_name["B"].source.duration) == (105, 10)
    # gap 20..25, then C at 25 for 8 frames, D after C (transitions take no record time)
    assert (by_name["C"].record.start, by_name["C"].source.start) == (25, 50)
    assert by_name["D"].record.start == 33
    assert (by_name["E"].track_index, by_name["E"].index_in_track, by_name["E"].record.start) == (1, 0, 12)
    assert [shot.index_in_track for shot in shots if shot.track_index == 0] == [0, 1, 2, 3]
    assert by_name["B"].track_name == "V1" and by_name["B"].track_kind == "video"
    assert all(shot.record.rate == RATE for shot in shots)


def test_kind_selects_tracks_and_clip_of_finds_the_clip(tmp_path):
    timeline = nested_timeline()
    audio = shots_from_timeline(timeline, kind="audio")
    assert [shot.clip_name for shot in audio] == ["sound"]
    assert len(shots_from_timeline(timeline, kind=None)) == 6
    for shot in shots_from_timeline(timeline):
        assert clip_of(timeline, shot).name == shot.clip_name
    assert clip_of(timeline, shots_from_timeline(timeline)[1]) is \
        timeline.tracks[0][1][0][0]


def test_media_paths_are_resolved(tmp_path):
    shots = {s.clip_name: s for s in shots_from_timeline(nested_timeline(), tmp_path / "cut.otio", kind=None)}
    assert shots["A"].media_path == str(tmp_path / "media" / "a.mov")
    assert shots["A"].media_kind == MOVIE and shots["A"].media_url == "media/a.mov"
    assert shots["C"].media_path == "/footage/with space/c.mov"
    assert shots["D"].media_path is None and shots["D"].media_url == "https://example.com/d.mov"
    assert shots["E"].media_kind == STILL and shots["E"].media_path == "/abs/e.png"
    assert shots["B"].media_kind == MISSING and shots["B"].media_path is None
    assert shots["sound"].media_path == str(tmp_path / "a.wav")


def test_image_sequence_and_generator_references(tmp_path):
    sequence = otio.schema.ImageSequenceReference(
        target_url_base="frames/", name_prefix="shot.", name_suffix=".exr", start_frame=1001,
        frame_zero_padding=4, rate=RATE, available_range=tr(0, 48))
    generator = otio.schema.GeneratorReference(generator_kind="SolidColor")
    track = otio.schema.Track(children=[
        otio.schema.Clip(name="seq", media_reference=sequence, source_range=tr(10, 20)),
        otio.schema.Clip(name="gen", media_reference=generator, source_range=tr(0, 5))])
    timeline = otio.schema.Timeline()
    timeline.tracks.append(track)
    seq, gen = shots_from_timeline(timeline, tmp_path / "t.otio")
    assert seq.media_kind == IMAGE_SEQUENCE
    assert seq.media_path == str(tmp_path / "frames" / "shot.%04d.exr")
    assert seq.sequence_start == 1001
    assert (seq.available.start, seq.available.duration) == (0, 48)
    assert gen.media_kind == GENERATOR and gen.media_path is None


def test_scene_is_the_latest_scene_marker_at_or_before_the_shot():
    timeline = nested_timeline()
    for name, at in (("Scene 1 - kitchen", 0), ("note: fix audio", 9), ("scene 2", 10)):
        timeline.tracks.markers.append(otio.schema.Marker(name=name, marked_range=tr(at, 0)))
    # a marker on C's first source frame (50) sits at C's record start, 25
    c = timeline.tracks[0][3]
    c.markers.append(otio.schema.Marker(name="SCENE 3", marked_range=tr(50, 0)))
    scenes = {shot.clip_name: shot.scene for shot in shots_from_timeline(timeline)}
    assert scenes == {"A": "Scene 1 - kitchen", "B": "scene 2", "E": "scene 2",
                      "C": "SCENE 3", "D": "SCENE 3"}
    assert {shot.scene for shot in shots_from_timeline(nested_timeline())} == {None}


def test_shots_are_frozen():
    shot = shots_from_timeline(nested_timeline())[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        shot.clip_name = "other"


def test_edl_record_start_and_positions_match_the_file(samples):
    path = samples / "edl/sample_cdl_edl.edl"
    timeline = read_timeline(path, rate=25)
    shots = shots_from_timeline(timeline, path)
    events = [line.split() for line in path.read_text().splitlines() if re.match(r"^\d{3,}\s", line)]
    assert len(shots) == len(events)

    def frames(timecode: str) -> int:
        h, m, s, f = (int(p) for p in timecode.split(":"))
        return ((h * 60 + m) * 60 + s) * 25 + f

    start = timeline_start_frame(timeline)
    assert start == frames(events[0][-2])
    for shot, event in zip(shots, events):
        assert shot.record.start + start == frames(event[-2])
        assert shot.record.end + start == frames(event[-1])
        assert shot.source.start == frames(event[-4])


@pytest.mark.parametrize("name", ["fcp7xml/premiere_example.xml", "otio/nested_example.otio",
                                  "otio/transition.otio", "otio/gaps.otio",
                                  "otio/image_sequence_example.otio", "fcpxml/fcpx_project.fcpxml"])
def test_sample_shots_match_otio_positions(samples, name):
    """Clips straight on a track are shots at OTIO's own range_in_parent; nested clips count only
    where the nesting stack's trim shows them."""
    timeline = read_timeline(samples / name)
    shots = shots_from_timeline(timeline, samples / name, kind=None)
    flat = [c for track in timeline.tracks for c in track if isinstance(c, otio.schema.Clip)]
    top = [shot for shot in shots if len(shot.item_path) == 2]
    assert len(top) == len(flat)
    assert len(shots) <= sum(1 for _ in timeline.find_clips())
    for shot in shots:
        assert shot.record.duration > 0
    for shot in top:
        item = clip_of(timeline, shot)
        assert shot.record.start == round(item.range_in_parent().start_time.value)
        assert shot.source.start == round(item.trimmed_range().start_time.value)
    for shot in shots:
        if shot.media_path is not None:
            assert Path(shot.media_path).is_absolute() or re.match(r"^[A-Za-z]:", shot.media_path)
