"""Kdenlive → OTIO on the 16 real projects: tracks, clips, gaps, mixes, effects, guides, markers.

Expected values are counted from each document's XML here, independently of the reader.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import opentimelineio as otio
import pytest

from cinegrade.otio_plugins import kdenlive_adapter

SAMPLE_NAMES = [
    "kdenlive_example_v191180", "kdenlive_example_v221170", "kdenlive_example_v240770",
    "kdenlive_mixes_markers", "ts_alpha", "ts_audio-mix", "ts_avfilter-colorbalance", "ts_avfilter-curves",
    "ts_effect-zones", "ts_mix-luma", "ts_mix-slide", "ts_mlt-core-video-effects", "ts_qtblend-transition",
    "ts_sequences", "ts_transform", "ts_typewriter-effect",
]


def _props(element: ET.Element) -> dict[str, str]:
    return {p.get("name"): p.text or "" for p in element.findall("property")}


def _played_tracks(root: ET.Element) -> tuple[ET.Element, list[ET.Element]]:
    """The sequence melt plays (the last tractor, unwrapped if it is Kdenlive's project tractor)
    and its Kdenlive track tractors (the black track left out)."""
    by_id = {e.get("id"): e for e in root}
    sequence = root.findall("tractor")[-1]
    if _props(sequence).get("kdenlive:projectTractor") == "1":
        sequence = by_id[sequence.find("track").get("producer")]
    tracks = [by_id[t.get("producer")] for t in sequence.findall("track")]
    tracks = [t for t in tracks if _props(t).get("kdenlive:playlistid") != "black_track" and t.get("id") != "black_track"]
    return sequence, tracks


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_every_sample_reads(samples, name: str) -> None:
    path = samples / "kdenlive" / f"{name}.kdenlive"
    root = ET.parse(path).getroot()
    by_id = {e.get("id"): e for e in root}
    sequence, tracks = _played_tracks(root)
    timeline = kdenlive_adapter.read_from_file(path)

    # Tracks in Kdenlive (MLT) order, audio flagged by kdenlive:audio_track.
    assert len(timeline.tracks) == len(tracks)
    for track, element in zip(timeline.tracks, tracks):
        is_audio = _props(element).get("kdenlive:audio_track") == "1"
        assert track.kind == (otio.schema.TrackKind.Audio if is_audio else otio.schema.TrackKind.Video)
        playlists = [by_id[t.get("producer")] for t in element.findall("track")]
        entries = [e for p in playlists for e in p.findall("entry")]
        clips = [i for i in track if isinstance(i, otio.schema.Clip)]
        assert len(clips) == len(entries)
        # Every entry filter is an effect, named from kdenlive_id or mlt_service.
        expected_names = sorted(_props(f).get("kdenlive_id") or _props(f)["mlt_service"]
                                for e in entries for f in e.findall("filter"))
        assert sorted(fx.effect_name for c in clips for fx in c.effects) == expected_names
        mixes = [t for t in element.findall("transition") if "kdenlive:mixcut" in _props(t)]
        transitions = [i for i in track if isinstance(i, otio.schema.Transition)]
        assert len(transitions) == len(mixes)
        # The track ends where the last entry of its playlists ends (blanks and clips add up).
        ends = []
        for playlist in playlists:
            end = 0
            fps = int(root.find("profile").get("frame_rate_num")) / int(root.find("profile").get("frame_rate_den"))
            for child in playlist:
                if child.tag == "blank":
                    end += _frames(child.get("length"), fps)
                elif child.tag == "entry":
                    end += _frames(child.get("out"), fps) - _frames(child.get("in"), fps) + 1
            ends.append(end)
        assert round(track.duration().value) == max(ends)

    # Guides of the played sequence (1.1) or of the document (older) are timeline markers.
    holder = sequence if "kdenlive:sequenceproperties.guides" in _props(sequence) else by_id["main_bin"]
    key = "kdenlive:sequenceproperties.guides" if holder is sequence else "kdenlive:docproperties.guides"
    guides = json.loads(_props(holder).get(key) or "[]")
    assert sorted((m.name, m.marked_range.start_time.value) for m in timeline.tracks.markers) == sorted(
        (g["comment"], g["pos"]) for g in guides)
    # The document travels with the timeline for write-back.
    assert timeline.metadata["kdenlive"]["document"] == path.read_text(encoding="utf-8")


def _frames(value: str, fps: float) -> int:
    if ":" not in value:
        return int(value)
    h, m, s = value.split(":")
    return round((int(h) * 3600 + int(m) * 60 + float(s)) * fps)


def test_mixes_become_transitions_at_the_cut(samples) -> None:
    """kdenlive_mixes_markers: each mix is a transition whose offsets add up to the mix length,
    split ``kdenlive:mixcut`` frames before the mix ends (where Kdenlive draws the cut), and the
    clips around it abut at the cut."""
    path = samples / "kdenlive" / "kdenlive_mixes_markers.kdenlive"
    timeline = kdenlive_adapter.read_from_file(path)
    track = next(t for t in timeline.tracks if t.name == "With Mix")
    transitions = [i for i in track if isinstance(i, otio.schema.Transition)]
    assert transitions
    for transition in transitions:
        info = transition.metadata["kdenlive"]
        assert transition.in_offset.value + transition.out_offset.value == info["out"] - info["in"]
        assert transition.out_offset.value == info["mixcut"]
        index = list(track).index(transition)
        before, after = track[index - 1], track[index + 1]
        assert isinstance(before, otio.schema.Clip) and isinstance(after, otio.schema.Clip)
        cut = info["out"] - info["mixcut"]
        assert before.range_in_parent().end_time_exclusive().value == cut
        assert after.range_in_parent().start_time.value == cut


def test_clip_markers_and_colours(samples) -> None:
    """Bin-clip markers show on every use of the clip, coloured by their category."""
    timeline = kdenlive_adapter.read_from_file(samples / "kdenlive" / "kdenlive_mixes_markers.kdenlive")
    clip = timeline.find_clips()[0]
    by_name = {m.name: m for m in clip.markers}
    assert by_name["Lila"].color == otio.schema.MarkerColor.PURPLE
    assert by_name["Orange"].color == otio.schema.MarkerColor.ORANGE
    assert by_name["Orange"].marked_range.start_time.value == 2899


def test_relative_media_resolves_against_root(samples) -> None:
    """root="" means the project folder (as Kdenlive reads it); root="/opt/kdenlive" is used as is."""
    timeline = kdenlive_adapter.read_from_file(samples / "kdenlive" / "ts_avfilter-curves.kdenlive")
    url = timeline.find_clips()[0].media_reference.target_url
    assert url == str(samples / "kdenlive" / "footage" / "stock_flags.mp4")
    timeline = kdenlive_adapter.read_from_file(samples / "kdenlive" / "kdenlive_mixes_markers.kdenlive")
    assert timeline.find_clips()[0].media_reference.target_url == "/opt/kdenlive/myClip.mp4"


def test_hidden_track_is_disabled(samples) -> None:
    text = (samples / "kdenlive" / "ts_mix-slide.kdenlive").read_text()
    root = ET.fromstring(text)
    _, tracks = _played_tracks(root)
    video = next(t for t in tracks if _props(t).get("kdenlive:audio_track") != "1")
    hidden = text.replace(f'<track producer="{video.get("id")}"/>', f'<track producer="{video.get("id")}" hide="video"/>')
    assert hidden != text
    timeline = kdenlive_adapter.read_from_string(hidden)
    states = {t.metadata["kdenlive"]["id"]: t.enabled for t in timeline.tracks}
    assert states[video.get("id")] is False
    assert sum(1 for v in states.values() if not v) == 1


def test_sequence_argument_picks_another_sequence(samples) -> None:
    path = samples / "kdenlive" / "ts_sequences.kdenlive"
    names = {kdenlive_adapter.read_from_file(path, sequence=n).name for n in ("Sequence 1", "Sequence 2")}
    assert names == {"Sequence 1", "Sequence 2"}
    first = kdenlive_adapter.read_from_file(path, sequence="Sequence 1")
    second = kdenlive_adapter.read_from_file(path, sequence="Sequence 2")
    colours = [{c.media_reference.parameters["resource"] for c in t.find_clips()} for t in (first, second)]
    assert colours[0] and colours[1] and colours[0] != colours[1]


def test_otioconvert_reads_kdenlive(samples, tmp_path) -> None:
    """The manifest registers the adapter: OTIO's own otioconvert converts a project."""
    out = tmp_path / "x.otio"
    tool = Path(sys.executable).with_name("otioconvert")
    result = subprocess.run([str(tool), "-i", str(samples / "kdenlive" / "ts_mix-luma.kdenlive"), "-o", str(out)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    timeline = otio.adapters.read_from_file(str(out))
    assert len([i for t in timeline.tracks for i in t if isinstance(i, otio.schema.Transition)]) == 2
