"""Warnings → OTIO markers: on the right clip, coloured, measurement kept, re-runs replace."""

from __future__ import annotations

import opentimelineio as otio

from cinegrade.continuity.rules import ERROR, WARNING, ContinuityWarning
from cinegrade.timeline.contract import NAMESPACE
from cinegrade.timeline.markers import add_markers, is_cinegrade_marker, remove_markers
from cinegrade.timeline.shots import shots_from_timeline


def timeline() -> otio.schema.Timeline:
    result = otio.schema.Timeline(name="t")
    track = otio.schema.Track(name="V1")
    result.tracks.append(track)
    for i in range(3):
        clip = otio.schema.Clip(
            name=f"c{i}", media_reference=otio.schema.ExternalReference(target_url=f"/m{i}.mp4"),
            source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(100 + i, 24),
                                                 otio.opentime.RationalTime(24, 24)))
        track.append(clip)
    track[1].markers.append(otio.schema.Marker(
        name="editor's note", marked_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(110, 24)), metadata={"mine": 1}))
    result.tracks.markers.append(otio.schema.Marker(name="scene: one"))
    return result


def warnings_for(shots):
    return [ContinuityWarning("exposure_jump", ERROR, shots[1].clip_name, 1, 24, "jump", 0.8,
                              0.22, "stops", shots[0].clip_name, 0, "aligned"),
            ContinuityWarning("flicker", WARNING, shots[2].clip_name, 2, 48, "wobble", 0.03,
                              0.025, "stops")]


def markers_of(item):
    return [m for m in item.markers if is_cinegrade_marker(m)]


def test_markers_go_on_the_clip_at_its_first_frame_with_the_measurement():
    t = timeline()
    shots = shots_from_timeline(t)
    assert add_markers(t, shots, warnings_for(shots)) == 2
    track = t.tracks[0]
    (jump,) = markers_of(track[1])
    assert jump.marked_range.start_time == otio.opentime.RationalTime(101, 24)
    assert jump.color == otio.schema.MarkerColor.RED
    data = jump.metadata[NAMESPACE]
    assert (data["rule"], data["severity"], data["value"], data["threshold"], data["unit"]) == \
        ("exposure_jump", "error", 0.8, 0.22, "stops")
    (flicker,) = markers_of(track[2])
    assert flicker.color == otio.schema.MarkerColor.ORANGE
    assert not markers_of(track[0])


def test_rerun_replaces_and_keeps_the_editors_markers():
    t = timeline()
    shots = shots_from_timeline(t)
    add_markers(t, shots, warnings_for(shots))
    # through a file and back, as a second `check -o` run would see it
    again = otio.adapters.read_from_string(otio.adapters.write_to_string(t))
    shots = shots_from_timeline(again)
    add_markers(again, shots, warnings_for(shots)[:1])
    track = again.tracks[0]
    assert [m.name for m in track[1].markers if not is_cinegrade_marker(m)] == ["editor's note"]
    assert len(markers_of(track[1])) == 1 and not markers_of(track[2])
    assert [m.name for m in again.tracks.markers] == ["scene: one"]
    assert remove_markers(again) == 1
    assert [m.name for m in track[1].markers] == ["editor's note"]
