"""Shots → scenes: which consecutive shots continuity compares (pure; no I/O).

Three ways, as ``cinegrade check --scene-by`` names them:

- ``markers``: the editor's markers or guides whose name starts with "scene" (the latest one at
  or before a shot, :attr:`cinegrade.timeline.shots.Shot.scene`); a timeline without any is one
  scene.
- ``auto``: consecutive shots on a track stay in one scene while their content is alike: they
  share matched content (ORB features that align under one similarity transform and correlate
  pixel by pixel, :mod:`cinegrade.continuity.measure`), which no drift of exposure, white
  balance or saturation can hide. Colour statistics are no cue: measured on the demo, the
  chroma-weighted hue histograms of two framings of one photograph overlapped as little as
  0.28, of different photographs (coffee and a red motorcycle) as much as 0.97.
- ``none``: the whole timeline is one scene.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cinegrade.errors import InputError
from cinegrade.timeline.shots import Shot

MODES = ("markers", "auto", "none")
#: Label of a timeline that is one scene.
WHOLE_TIMELINE = "(whole timeline)"
#: Label of shots before the first scene marker.
BEFORE_FIRST = "(before the first scene marker)"
def group_scenes(shots: Sequence[Shot], mode: str = "markers",
                 alike: Mapping[tuple[int, int], bool] | None = None) -> dict[int, str]:
    """Scene label of every shot, by shot index. ``alike`` (``auto`` only): for consecutive shots
    (index before, index after) on one track, whether they share content."""
    if mode not in MODES:
        raise InputError(f"--scene-by must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "none" or (mode == "markers" and not any(s.scene for s in shots)):
        return {shot.index: WHOLE_TIMELINE for shot in shots}
    if mode == "markers":
        return {shot.index: shot.scene or BEFORE_FIRST for shot in shots}
    alike = alike or {}
    labels: dict[int, str] = {}
    number = 0
    for track in sorted({s.track_index for s in shots}):
        previous: Shot | None = None
        for shot in sorted((s for s in shots if s.track_index == track),
                           key=lambda s: s.record.start):
            if previous is None or not alike.get((previous.index, shot.index), False):
                number += 1
            labels[shot.index] = f"auto scene {number}"
            previous = shot
    return labels


def consecutive_pairs(shots: Sequence[Shot]) -> list[tuple[Shot, Shot]]:
    """(before, after) for each pair of shots next to each other on one track, in record order
    (enabled shots only: a disabled clip is not seen)."""
    pairs = []
    for track in sorted({s.track_index for s in shots}):
        on_track = sorted((s for s in shots if s.track_index == track and s.enabled),
                          key=lambda s: s.record.start)
        pairs.extend(zip(on_track, on_track[1:]))
    return pairs
