"""Shots → scenes: which consecutive shots continuity compares (pure; no I/O).

Three ways, as ``cinegrade check --scene-by`` names them:

- ``markers``: the editor's markers or guides whose name starts with "scene" (the latest one at
  or before a shot, :attr:`cinegrade.timeline.shots.Shot.scene`); a timeline without any is one
  scene.
- ``auto``: consecutive shots on a track stay in one scene while their content is alike: they
  share matched content (ORB features that align under one similarity transform and correlate
  pixel by pixel, :mod:`cinegrade.correspondence.align`; the caller measures that and passes
  it as ``alike``), which no drift of exposure, white
  balance or saturation can hide. Colour statistics are no cue: measured on the demo, the
  chroma-weighted hue histograms of two framings of one photograph overlapped as little as
  0.28, of different photographs (coffee and a red motorcycle) as much as 0.97.
- ``none``: the whole timeline is one scene.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from cinegrade.errors import ChoiceError
from cinegrade.timeline.shots import Shot

#: Label of a timeline that is one scene.
WHOLE_TIMELINE = "(whole timeline)"
#: Label of shots before the first scene marker.
BEFORE_FIRST = "(before the first scene marker)"

#: ``alike[(before, after)]``: whether consecutive shots (by index) share content.
Alike = Mapping[tuple[int, int], bool]


def scenes_by_markers(shots: Sequence[Shot], alike: Alike | None = None) -> dict[int, str]:
    """The latest "scene…" marker at or before each shot (:attr:`Shot.scene`), shots before the
    first labelled :data:`BEFORE_FIRST`; without any, one scene (:data:`WHOLE_TIMELINE`)."""
    if not any(s.scene for s in shots):
        return scenes_none(shots)
    return {shot.index: shot.scene or BEFORE_FIRST for shot in shots}


def scenes_by_content(shots: Sequence[Shot], alike: Alike | None = None) -> dict[int, str]:
    """Consecutive shots on a track (in record order, disabled ones included) stay in one scene
    while ``alike`` says they share content; labels ``auto scene <n>``, numbered on through the
    tracks. A pair missing from ``alike`` starts a new scene."""
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


def scenes_none(shots: Sequence[Shot], alike: Alike | None = None) -> dict[int, str]:
    """The whole timeline is one scene."""
    return {shot.index: WHOLE_TIMELINE for shot in shots}


#: The ways of grouping shots into scenes, by the name ``--scene-by`` takes (a registry: add a
#: function of (shots, alike) → {shot index: scene label} to add one).
SCENE_GROUPINGS: dict[str, Callable[[Sequence[Shot], Alike | None], dict[int, str]]] = {
    "markers": scenes_by_markers,
    "auto": scenes_by_content,
    "none": scenes_none,
}
#: Names of :data:`SCENE_GROUPINGS`.
MODES = tuple(SCENE_GROUPINGS)
#: The groupings that need ``alike`` (content measured between consecutive shots).
NEEDS_CONTENT = frozenset({"auto"})


def group_scenes(shots: Sequence[Shot], mode: str = "markers", alike: Alike | None = None
                 ) -> dict[int, str]:
    """Scene label of every shot, by shot index, by the grouping :data:`SCENE_GROUPINGS` names
    ``mode``. Raises :class:`~cinegrade.errors.ChoiceError` (field ``scene_by``) for an unknown
    one."""
    if mode not in SCENE_GROUPINGS:
        raise ChoiceError("scene_by", mode, MODES)
    return SCENE_GROUPINGS[mode](shots, alike)


def consecutive_pairs(shots: Sequence[Shot]) -> list[tuple[Shot, Shot]]:
    """(before, after) for each pair of shots next to each other on one track, in record order
    (enabled shots only: a disabled clip is not seen)."""
    pairs = []
    for track in sorted({s.track_index for s in shots}):
        on_track = sorted((s for s in shots if s.track_index == track and s.enabled),
                          key=lambda s: s.record.start)
        pairs.extend(zip(on_track, on_track[1:]))
    return pairs
