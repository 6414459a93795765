"""A read timeline → what ``cinegrade info`` tells of it: tracks, clips, record and source
timecodes, and what each clip's media is (probed, never decoded). The document's schema is in
:mod:`cinegrade.cli.info`."""

from __future__ import annotations

import os

import opentimelineio as otio

from cinegrade.media.probe import probe_shots
from cinegrade.timeline.shots import shots_from_timeline, timeline_rate, timeline_start_frame


def describe(timeline, path: str, adapter: str) -> dict:
    """The ``--json`` document (schema: :mod:`cinegrade.cli.info`) for a read timeline: record
    ranges in frames at the timeline's rate (timecodes from its start frame), source ranges at
    each clip's rate; video media probed (:func:`~cinegrade.media.probe.probe_shots`), never
    decoded. ``path`` and ``adapter`` are reported as given."""

    rate = timeline_rate(timeline)
    start = timeline_start_frame(timeline)
    duration = round(timeline.duration().rescaled_to(rate).value)
    shots = shots_from_timeline(timeline, path, kind=None)
    probes = probe_shots(shot for shot in shots if shot.track_kind == "video")
    clips = []
    for shot in shots:
        probe = probes.get(shot.index)
        media = {"kind": shot.media_kind, "path": shot.media_path, "url": shot.media_url,
                 "exists": bool(probe.exists) if probe is not None else _exists(shot.media_path)}
        for field in ("codec", "container", "pixel_format", "width", "height", "frames",
                      "frame_rate", "duration", "color_primaries", "color_transfer",
                      "color_matrix", "color_range", "error"):
            media[field] = getattr(probe, field) if probe is not None else None
        clips.append({
            "index": shot.index, "track": shot.track_index, "track_name": shot.track_name,
            "track_kind": shot.track_kind, "index_in_track": shot.index_in_track,
            "name": shot.clip_name, "enabled": shot.enabled, "scene": shot.scene,
            "record": _span(shot.record.start, shot.record.duration, rate, start),
            "source": _span(shot.source.start, shot.source.duration, shot.source.rate),
            "media": media,
        })
    tracks = [{"index": i, "name": track.name, "kind": str(track.kind).lower(),
               "enabled": track.enabled,
               "clips": sum(1 for shot in shots if shot.track_index == i)}
              for i, track in enumerate(timeline.tracks)]
    return {"version": 1,
            "timeline": {"path": path, "adapter": adapter, "name": timeline.name, "rate": rate,
                         "start": timecode(start, rate), "duration": timecode(duration, rate),
                         "duration_frames": duration},
            "tracks": tracks, "clips": clips}


def _exists(path: str | None) -> bool:
    return path is not None and os.path.exists(path)


def _span(first: int, frames: int, rate: float, timecode_offset: int = 0) -> dict:
    return {"in": timecode(timecode_offset + first, rate),
            "out": timecode(timecode_offset + first + frames, rate), "in_frame": first,
            "frames": frames, "rate": rate}


def timecode(frames: int, rate: float) -> str:
    """SMPTE timecode of a frame count at ``rate`` frames per second (drop-frame at 29.97/59.94),
    or ``<n>f`` where SMPTE has no form for the rate.

    >>> timecode(25, 25.0), timecode(1800, 30000 / 1001), timecode(10, 7.5)
    ('00:00:01:00', '00:01:00;02', '10f')
    """
    try:
        return otio.opentime.to_timecode(otio.opentime.RationalTime(frames, rate), rate)
    except ValueError:
        return f"{frames}f"
