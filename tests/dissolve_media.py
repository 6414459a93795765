"""Shots joined by dissolves, as an EDL or FCP XML brings them: generated media and an OTIO
timeline, for the tests that write them into Kdenlive projects (melt renders, Kdenlive opens)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import opentimelineio as otio

MIX_COLOURS = {"A": (0.8, 0.2, 0.2), "B": (0.2, 0.3, 0.8), "C": (0.3, 0.75, 0.3)}


def dissolving_timeline(folder: Path, size: tuple[int, int] = (80, 48), head: int = 6,
                        rate: int = 24) -> otio.schema.Timeline:
    """Three solid-colour shots of 12 frames cut A → B → C with 8-frame dissolves centred on the
    cuts (OTIO transitions, as an EDL's or FCP XML's dissolves read); each source starts
    ``head`` frames into its 24-frame media, so the dissolves have handles when ``head`` ≥ 4."""
    from cinegrade.media.frames import encode_clip

    track = otio.schema.Track(name="V1")
    for index, (name, colour) in enumerate(MIX_COLOURS.items()):
        media = folder / f"{name}.mp4"
        encode_clip(media, [np.full((size[1], size[0], 3), colour, np.float32)] * 24, fps=rate)
        if index:
            track.append(otio.schema.Transition(
                transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                in_offset=otio.opentime.RationalTime(4, rate),
                out_offset=otio.opentime.RationalTime(4, rate)))
        track.append(otio.schema.Clip(name=name, media_reference=otio.schema.ExternalReference(
            target_url=str(media), available_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(24, rate))),
            source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(head, rate),
                                                 otio.opentime.RationalTime(12, rate))))
    timeline = otio.schema.Timeline(name="dissolves", global_start_time=otio.opentime.RationalTime(0, rate))
    timeline.tracks.append(track)
    return timeline
