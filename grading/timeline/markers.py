"""Continuity warnings → OTIO markers on the clips they concern (the timeline edited in place).

Each warning becomes an ``otio.schema.Marker`` on its clip, at the warning's frame (for a cut:
the cut, the clip's first frame; for a drift inside the shot: where it starts or shows most),
coloured by severity (:data:`MARKER_COLOURS`: error red, warning orange, info yellow),
named ``cinegrade: <rule> <value>``,
with the measurement in ``metadata["cinegrade"]`` = {rule, severity, value, threshold, unit,
message, other_clip, method, scene, record_frame}. Through cinegrade's Kdenlive adapter these
become timeline guides in its "cinegrade" category.

Re-running replaces: :func:`remove_markers` takes away every marker carrying
``metadata["cinegrade"]`` (and only those: the editor's own markers are never touched) before
:func:`add_markers` puts the new ones on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import opentimelineio as otio

from cinegrade.timeline.contract import ERROR, INFO, NAMESPACE, is_reference_marker
from cinegrade.timeline.shots import Shot, clip_of

if TYPE_CHECKING:  # warnings are read by their fields only
    from cinegrade.continuity.rules import ContinuityWarning

MARKER_COLOURS = {ERROR: otio.schema.MarkerColor.RED, INFO: otio.schema.MarkerColor.YELLOW}
DEFAULT_COLOUR = otio.schema.MarkerColor.ORANGE


def is_cinegrade_marker(marker: otio.schema.Marker) -> bool:
    """Whether ``marker`` was written by cinegrade (it carries ``metadata["cinegrade"]``)."""
    return NAMESPACE in marker.metadata


def remove_markers(timeline: otio.schema.Timeline) -> int:
    """Remove cinegrade's markers from every item of ``timeline`` (stack, tracks, clips, gaps,
    nested compositions); returns how many. Other markers stay, in their order."""
    removed = 0
    items = [timeline.tracks, *timeline.tracks.find_children()]
    for item in items:
        markers = getattr(item, "markers", None)
        if not markers:
            continue
        keep = [m for m in markers if not is_cinegrade_marker(m)]
        if len(keep) != len(markers):
            removed += len(markers) - len(keep)
            markers[:] = keep
    return removed


def source_frame(shot: Shot, record_frame: int) -> int:
    """The clip's source frame (at the source rate) shown at ``record_frame`` (frames from the
    timeline's first, at the record rate), held within the clip.

    >>> from cinegrade.timeline.shots import FrameRange
    >>> s = Shot(0, 0, "V1", "video", 0, "a", "movie", "/a.mp4", None, FrameRange(100, 50, 50.0),
    ...          FrameRange(1000, 25, 25.0), None, None, True, None, (0,))
    >>> source_frame(s, 1000), source_frame(s, 1012), source_frame(s, 5000)
    (100, 124, 149)
    """
    scale = shot.source.rate / shot.record.rate if shot.record.rate else 1.0
    offset = round((record_frame - shot.record.start) * scale)
    return shot.source.start + min(max(offset, 0), max(shot.source.duration - 1, 0))


def marker_for(warning: ContinuityWarning, shot: Shot) -> otio.schema.Marker:
    """The marker of one warning on ``shot``'s clip: a point at the warning's
    ``record_frame`` (:func:`source_frame`: the clip's first frame for a cut) in the clip's
    (source) time."""
    start = otio.opentime.RationalTime(source_frame(shot, warning.record_frame), shot.source.rate)
    value = "" if warning.value is None else f" {warning.value:+g} {warning.unit}".rstrip()
    return otio.schema.Marker(
        name=f"cinegrade: {warning.rule}{value}",
        marked_range=otio.opentime.TimeRange(start,
                                             otio.opentime.RationalTime(0, shot.source.rate)),
        color=MARKER_COLOURS.get(warning.severity, DEFAULT_COLOUR),
        metadata={NAMESPACE: {
            "rule": warning.rule, "severity": warning.severity, "value": warning.value,
            "threshold": warning.threshold, "unit": warning.unit, "message": warning.message,
            "other_clip": warning.other_clip, "method": warning.method, "scene": warning.scene,
            "record_frame": warning.record_frame,
        }},
    )


def add_markers(timeline: otio.schema.Timeline, shots: Sequence[Shot],
                warnings: Iterable[ContinuityWarning], replace: bool = True) -> int:
    """Put a marker for each warning on its clip (``shots`` must come from ``timeline``, see
    :func:`cinegrade.timeline.shots.shots_from_timeline`); with ``replace`` cinegrade's earlier
    markers go first. Returns the number added."""
    if replace:
        remove_markers(timeline)
    by_index = {shot.index: shot for shot in shots}
    added = 0
    for warning in warnings:
        shot = by_index.get(warning.clip_index)
        if shot is None:
            continue
        clip_of(timeline, shot).markers.append(marker_for(warning, shot))
        added += 1
    return added


def reference_markers(timeline, shots) -> list[int]:
    """Indices of the shots marked as their scene's reference: a marker named "reference" (any
    case) on the clip, or on a track or the timeline's stack within the shot's record range
    (that marks the first such shot of ``shots`` only)."""
    marked = []
    for shot in shots:
        clip = clip_of(timeline, shot)
        if any(is_reference_marker(m.name) for m in clip.markers):
            marked.append(shot.index)
    track_markers = list(timeline.tracks.markers)
    for track in timeline.tracks:
        track_markers.extend(getattr(track, "markers", []))
    for marker in track_markers:
        if not is_reference_marker(marker.name):
            continue
        for shot in shots:
            frame = marker.marked_range.start_time.rescaled_to(shot.record.rate).value
            if shot.record.start <= frame < shot.record.end and shot.index not in marked:
                marked.append(shot.index)
                break
    return marked
