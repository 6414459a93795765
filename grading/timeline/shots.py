"""Timeline → shots: the first step of cinegrade's data flow.

A :class:`Shot` is one clip on a track as the later steps need it: where its media is (an absolute
local path where one can be made), which frames of that media it uses (source range) and where it
sits in the cut (record range, frames from the timeline's first frame, at the timeline's rate),
plus the scene it belongs to (the latest marker named ``scene...`` at or before it). Analysis,
continuity and grading all take shots from :func:`shots_from_timeline`.
"""

from __future__ import annotations

import os
import re
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import opentimelineio as otio

from cinegrade.timeline.contract import is_scene_marker

#: Media kinds a shot can have.
MOVIE, IMAGE_SEQUENCE, STILL, MISSING, GENERATOR = (
    "movie", "image_sequence", "still", "missing", "generator")

#: Suffixes of single-image files (one picture held for the clip's duration).
STILL_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".exr", ".dpx", ".bmp",
                            ".webp", ".tga", ".gif", ".jp2", ".hdr", ".psd"})

_SEQUENCE_PATTERN = re.compile(r"%0?\d*d|#+|@+")
_WINDOWS_PATH = re.compile(r"^[A-Za-z]:[\\/]")


@dataclass(frozen=True)
class FrameRange:
    """``duration`` frames from frame ``start`` at ``rate`` frames per second."""

    start: int
    duration: int
    rate: float

    @property
    def end(self) -> int:
        """The first frame after the range."""
        return self.start + self.duration

    @classmethod
    def from_otio(cls, time_range: otio.opentime.TimeRange, rate: float | None = None) -> "FrameRange":
        """Frames of an OTIO range at ``rate`` (default: the range's own rate), rounded."""
        rate = float(rate or time_range.duration.rate or time_range.start_time.rate)
        start = round(time_range.start_time.rescaled_to(rate).value)
        end = round(time_range.end_time_exclusive().rescaled_to(rate).value)
        return cls(start, end - start, rate)


@dataclass(frozen=True)
class Shot:
    """One clip of the timeline, as every later step sees it.

    ``record`` counts frames from the timeline's first frame (``global_start_time`` not added) at
    the timeline's rate; ``source`` is in the media's own time (e.g. a QuickTime starting at
    01:00:00:00 has sources near 86400 at 24 fps), at the clip's rate; ``available`` is the
    media's whole range where the timeline knows it. ``item_path`` are the child indices from
    ``timeline.tracks`` down to the clip (see :func:`clip_of`).
    """

    index: int
    track_index: int
    track_name: str
    track_kind: str
    index_in_track: int
    clip_name: str
    media_kind: str
    media_path: str | None
    media_url: str | None
    source: FrameRange
    record: FrameRange
    available: FrameRange | None
    scene: str | None
    enabled: bool
    sequence_start: int | None
    item_path: tuple[int, ...]


def shots_from_timeline(timeline: otio.schema.Timeline, timeline_path: str | os.PathLike | None = None,
                        kind: str | None = "video") -> tuple[Shot, ...]:
    """Every clip on the timeline's tracks of ``kind`` ("video", "audio"; None for all), in track
    order then time order, nested stacks descended (only their visible part counts).

    Relative media URLs are resolved against ``timeline_path``'s folder (else the working folder).
    Gaps, transitions and clips hidden by a nested stack's trim are not shots.
    """
    base = Path(timeline_path).resolve().parent if timeline_path is not None else Path.cwd()
    rate = timeline_rate(timeline)
    found = list(_walk(timeline.tracks))
    scenes = sorted(((time, order, name) for order, (what, name, time, *_)
                     in enumerate(found) if what == "marker" and is_scene_marker(name)))
    shots: list[Shot] = []
    per_track: dict[int, int] = {}
    for what, clip, _, record, source, path, track, enabled in found:
        if what != "clip" or kind is not None and str(track.kind).lower() != kind.lower():
            continue
        record_frames = FrameRange.from_otio(record, rate)
        scene = None
        for time, _, name in scenes:
            if time.rescaled_to(rate).value <= record_frames.start + 0.5:
                scene = name
        media_kind, media_path, media_url, sequence_start = resolve_media(
            clip.media_reference, base)
        available = clip.media_reference.available_range if clip.media_reference else None
        position = per_track.get(path[0], 0)
        per_track[path[0]] = position + 1
        shots.append(Shot(
            index=len(shots), track_index=path[0], track_name=track.name,
            track_kind=str(track.kind).lower(), index_in_track=position, clip_name=clip.name,
            media_kind=media_kind, media_path=media_path, media_url=media_url,
            source=FrameRange.from_otio(source), record=record_frames,
            available=FrameRange.from_otio(available) if available is not None else None,
            scene=scene, enabled=enabled, sequence_start=sequence_start, item_path=path))
    return tuple(shots)


#: Frame rate of a timeline that says none (OTIO's own default).
DEFAULT_RATE = 24.0


def timeline_rate(timeline: otio.schema.Timeline) -> float:
    """The timeline's frame rate: its start time's, else its duration's (its clips'), else
    :data:`DEFAULT_RATE` — the one default every reader and writer of cinegrade uses."""
    for time in (timeline.global_start_time, timeline.duration()):
        if time is not None and time.rate > 1:
            return float(time.rate)
    return DEFAULT_RATE


def timeline_start_frame(timeline: otio.schema.Timeline) -> int:
    """The record frame number of the timeline's first frame, at :func:`timeline_rate`: its
    ``global_start_time``, else the record start cmx_3600 keeps as a negative track start."""
    rate = timeline_rate(timeline)
    if timeline.global_start_time is not None:
        return round(timeline.global_start_time.rescaled_to(rate).value)
    for track in timeline.tracks:
        if track.source_range is not None and track.source_range.start_time.value < 0:
            return round(-track.source_range.start_time.rescaled_to(rate).value)
    return 0


def clip_of(timeline: otio.schema.Timeline, shot: Shot) -> otio.schema.Clip:
    """The timeline's clip a shot came from (``shot.item_path`` walked from ``timeline.tracks``;
    ``shot`` must come from this timeline, or from an unedited copy of it)."""
    item = timeline.tracks
    for index in shot.item_path:
        item = item[index]
    return item


def _walk(composition: otio.core.Composition, offset: otio.opentime.RationalTime | None = None,
          window: otio.opentime.TimeRange | None = None, path: tuple[int, ...] = (),
          track: otio.schema.Track | None = None, enabled: bool = True) -> Iterator[tuple]:
    """Clips and markers below ``composition`` in top-level record time.

    ``offset`` maps the composition's internal time to record time (record = internal + offset);
    ``window`` is the part of record time the composition shows. Yields
    ``("clip", clip, None, record_range, source_range, path, top_track, enabled)`` and
    ``("marker", name, record_time, None, None, path, top_track, enabled)``.
    """
    trimmed = composition.trimmed_range()
    if offset is None:
        offset = -trimmed.start_time
        window = otio.opentime.TimeRange(trimmed.start_time + offset, trimmed.duration)
    for marker in composition.markers:
        yield ("marker", marker.name, marker.marked_range.start_time + offset, None, None, path,
               track, enabled)
    for index, child in enumerate(composition):
        if isinstance(child, otio.schema.Transition):
            continue
        local = composition.range_of_child_at_index(index)
        child_trim = child.trimmed_range()
        if not path and child_trim.start_time.value < 0:
            # cmx_3600 stores the record start as a negative start of the track's range
            child_trim = otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, child_trim.start_time.rate), child_trim.duration)
        child_offset = offset + local.start_time - child_trim.start_time
        child_window = _intersect(window, otio.opentime.TimeRange(local.start_time + offset,
                                                                  local.duration))
        child_track = track if track is not None else child
        child_enabled = enabled and child.enabled
        for marker in child.markers if not isinstance(child, otio.core.Composition) else ():
            yield ("marker", marker.name, marker.marked_range.start_time + child_offset, None,
                   None, (*path, index), child_track, child_enabled)
        if child_window is None:
            continue
        if isinstance(child, otio.core.Composition):
            yield from _walk(child, child_offset, child_window, (*path, index), child_track,
                             child_enabled)
        elif isinstance(child, otio.schema.Clip):
            record = otio.opentime.TimeRange(local.start_time + offset, local.duration)
            cut_front = child_window.start_time - record.start_time
            source = otio.opentime.TimeRange(child_trim.start_time + cut_front,
                                             child_window.duration)
            yield ("clip", child, None, child_window, source, (*path, index), child_track,
                   child_enabled)


def _intersect(a: otio.opentime.TimeRange | None,
               b: otio.opentime.TimeRange) -> otio.opentime.TimeRange | None:
    if a is None:
        return b
    start = max(a.start_time, b.start_time)
    end = min(a.end_time_exclusive(), b.end_time_exclusive())
    if end <= start:
        return None
    return otio.opentime.range_from_start_end_time(start, end)


def resolve_media(reference: otio.core.MediaReference | None,
                  base: Path) -> tuple[str, str | None, str | None, int | None]:
    """(media kind, absolute local path or None, the URL as written, first sequence frame).

    ``file://`` URLs are decoded; relative paths are joined to ``base``; other schemes (http,
    s3) keep their URL and get no path. An image sequence's path is a printf pattern
    (``/shots/a.%04d.exr``), which FFmpeg's image2 demuxer reads directly.
    """
    if reference is None or isinstance(reference, otio.schema.MissingReference):
        return MISSING, None, None, None
    if isinstance(reference, otio.schema.GeneratorReference):
        return GENERATOR, None, None, None
    if isinstance(reference, otio.schema.ImageSequenceReference):
        folder = url_to_path(reference.target_url_base, base)
        padding = reference.frame_zero_padding
        number = f"%0{padding}d" if padding else "%d"
        name = f"{reference.name_prefix}{number}{reference.name_suffix}"
        path = os.path.join(folder, name) if folder is not None else None
        return IMAGE_SEQUENCE, path, reference.target_url_base, int(reference.start_frame)
    url = getattr(reference, "target_url", None)
    if not url:
        return MISSING, None, None, None
    path = url_to_path(url, base)
    if path is not None and _SEQUENCE_PATTERN.search(Path(path).name):
        return IMAGE_SEQUENCE, path, url, None
    if Path(urllib.parse.urlparse(url).path if "://" in url else url).suffix.lower() in STILL_SUFFIXES:
        return STILL, path, url, None
    return MOVIE, path, url, None


def url_to_path(url: str, base: Path) -> str | None:
    """A local absolute path for a media URL or path (``file://`` decoded, UNC hosts kept,
    relative paths joined to ``base``, ``~`` expanded), or None for remote URLs (http, s3...)."""
    if not url:
        return None
    if _WINDOWS_PATH.match(url):
        return url
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "file":
        local = urllib.request.url2pathname(parsed.path)
        if re.match(r"^/[A-Za-z]:/", local):  # file:///D:/media/a.mov written on Windows
            return local[1:]
        if parsed.netloc and parsed.netloc != "localhost":
            local = f"//{parsed.netloc}{local}"
        return os.path.normpath(local) if os.path.isabs(local) else os.path.normpath(base / local)
    if parsed.scheme and len(parsed.scheme) > 1:
        return None
    return os.path.normpath(os.path.join(base, os.path.expanduser(url)))
