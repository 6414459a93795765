"""Scene grouping: markers named "scene…", content likeness, or one scene."""

from __future__ import annotations

import opentimelineio as otio
import pytest

from cinegrade.errors import InputError
from cinegrade.timeline.scenes import BEFORE_FIRST, WHOLE_TIMELINE, consecutive_pairs, group_scenes
from cinegrade.timeline.shots import shots_from_timeline


def timeline_with(markers: list[tuple[str, int]], clips: int = 4) -> otio.schema.Timeline:
    timeline = otio.schema.Timeline(name="t")
    track = otio.schema.Track(name="V1")
    timeline.tracks.append(track)
    for i in range(clips):
        track.append(otio.schema.Clip(
            name=f"c{i}", media_reference=otio.schema.ExternalReference(target_url=f"/m{i}.mp4"),
            source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, 24),
                                                 otio.opentime.RationalTime(24, 24))))
    for name, frame in markers:
        timeline.tracks.markers.append(otio.schema.Marker(
            name=name, marked_range=otio.opentime.TimeRange(otio.opentime.RationalTime(frame, 24))))
    return timeline


def test_markers_named_scene_group_shots():
    shots = shots_from_timeline(timeline_with([("Scene: kitchen", 24), ("note", 48),
                                               ("scene 2", 72)]))
    labels = group_scenes(shots, "markers")
    assert [labels[s.index] for s in shots] == [BEFORE_FIRST, "Scene: kitchen",
                                                "Scene: kitchen", "scene 2"]


def test_without_scene_markers_the_timeline_is_one_scene():
    shots = shots_from_timeline(timeline_with([("note", 24)]))
    assert set(group_scenes(shots, "markers").values()) == {WHOLE_TIMELINE}
    shots = shots_from_timeline(timeline_with([("scene a", 0), ("scene b", 48)]))
    assert set(group_scenes(shots, "none").values()) == {WHOLE_TIMELINE}


def test_auto_chains_alike_neighbours():
    shots = shots_from_timeline(timeline_with([]))
    alike = {(0, 1): True, (1, 2): False, (2, 3): True}
    labels = group_scenes(shots, "auto", alike)
    assert labels[0] == labels[1] != labels[2] == labels[3]
    with pytest.raises(InputError):
        group_scenes(shots, "by-colour")


def test_consecutive_pairs_follow_record_order_per_track():
    shots = shots_from_timeline(timeline_with([]))
    assert [(a.index, b.index) for a, b in consecutive_pairs(shots)] == [(0, 1), (1, 2), (2, 3)]


def test_auto_scenes_on_generated_media():
    """Two photographs, framed as 3 + 2 shots, some drifted: auto keeps each photograph's
    framings together (they share content) and cuts between the photographs."""
    from continuity_media import scene_set

    from cinegrade.analysis.sampler import SampleSettings
    from cinegrade.continuity.run import run_continuity

    path = scene_set().timeline_path
    shots = shots_from_timeline(otio.adapters.read_from_file(str(path)), path)
    result = run_continuity(shots, scene_by="auto",
                            sample_settings=SampleSettings(samples=3, width=320))
    labels = [result.scenes[s.index] for s in shots]
    assert labels[0] == labels[1] == labels[2] != labels[3] == labels[4]
