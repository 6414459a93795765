"""Shots → continuity warnings for a whole timeline: the steps of ``cinegrade check`` in order.

shots ─► statistics (:func:`cinegrade.analysis.run.analyse_shots`, cached)
      ─► small views of each shot (:data:`VIEW_SETTINGS`: a few frames at 320 px and a run of
         consecutive ones, by the sampler), their ORB features and their flicker on registered
         content (:mod:`cinegrade.analysis.flicker`)
         ─► a :class:`~cinegrade.continuity.measure.CutMeasure` for each pair of consecutive
         shots ─► scenes (:mod:`cinegrade.timeline.scenes`)
      ─► rules (:mod:`cinegrade.continuity.rules`) ─► warnings, worst first.

Views are sampled per media file through any ``concurrent.futures.Executor`` (each task a pure
function of media identity, ranges and settings), like the statistics.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from cinegrade.analysis.run import analyse_shots
from cinegrade.analysis.sampler import SampleSettings
from cinegrade.analysis.stats import ShotStats
from cinegrade.continuity.measure import CutMeasure, measure_cut
from cinegrade.continuity.rules import (
    CheckInput,
    ContinuitySettings,
    ContinuityWarning,
    Cut,
    check_continuity,
)
from cinegrade.correspondence.views import ShotView, shot_views
from cinegrade.timeline.scenes import consecutive_pairs, group_scenes
from cinegrade.timeline.shots import Shot


@dataclass(frozen=True)
class ContinuityResult:
    """What a check found: the inputs the rules saw and the warnings, worst first."""

    shots: tuple[Shot, ...]
    stats: Mapping[int, ShotStats]
    views: Mapping[int, ShotView]
    cuts: tuple[Cut, ...]
    scenes: Mapping[int, str]
    warnings: tuple[ContinuityWarning, ...]
    probes: Mapping[int, object] = field(default_factory=dict)


def measure_one(view_a: ShotView | None, view_b: ShotView | None, stats_a: ShotStats | None,
                stats_b: ShotStats | None) -> CutMeasure:
    """:func:`measure_cut` of two shots' views (either may be missing)."""
    return measure_cut(view_a.frames if view_a else (), view_b.frames if view_b else (),
                       stats_a, stats_b, view_a.features if view_a else None,
                       view_b.features if view_b else None)


def measure_pairs(pairs: Sequence[tuple[Shot, Shot]], views: Mapping[int, ShotView],
                  stats: Mapping[int, ShotStats],
                  executor: concurrent.futures.Executor | None = None
                  ) -> dict[tuple[int, int], CutMeasure]:
    """A :class:`CutMeasure` for each (before, after) pair, by (index, index)."""
    arguments = [[views.get(a.index) for a, _ in pairs], [views.get(b.index) for _, b in pairs],
                 [stats.get(a.index) for a, _ in pairs], [stats.get(b.index) for _, b in pairs]]
    if executor is None or len(pairs) < 2:
        results = list(map(measure_one, *arguments))
    else:
        results = list(executor.map(measure_one, *arguments, chunksize=4))
    return {(a.index, b.index): measure for (a, b), measure in zip(pairs, results)}


def content_alike(shots: Sequence[Shot], views: Mapping[int, ShotView],
                  stats: Mapping[int, ShotStats],
                  executor: concurrent.futures.Executor | None = None
                  ) -> dict[tuple[int, int], bool]:
    """Whether each pair of consecutive shots shares content (their cut measured on aligned
    pixels): what grouping scenes by content needs (:data:`~cinegrade.timeline.scenes.Alike`)."""
    measures = measure_pairs(consecutive_pairs(shots), views, stats, executor)
    return {key: measure.aligned for key, measure in measures.items()}


def run_continuity(shots: Sequence[Shot], settings: ContinuitySettings = ContinuitySettings(),
                   scene_by: str = "markers", probes: Mapping[int, object] | None = None,
                   sample_settings: SampleSettings = SampleSettings(),
                   executor: concurrent.futures.Executor | None = None, cache=None,
                   progress: Callable[[int], None] | None = None) -> ContinuityResult:
    """Check ``shots`` (video shots of one timeline): see the module docstring."""
    shots = tuple(shots)
    analysed = analyse_shots(shots, sample_settings, executor, cache, progress)
    stats = {result.shot.index: result.stats for result in analysed}
    views = shot_views(shots, executor)
    pairs = consecutive_pairs(shots)
    measures = measure_pairs(pairs, views, stats, executor)
    scenes = group_scenes(shots, scene_by, {key: m.aligned for key, m in measures.items()})
    cuts = tuple(Cut(before, after, measures[(before.index, after.index)], scenes[after.index])
                 for before, after in pairs if scenes[before.index] == scenes[after.index])
    flicker = {index: view.flicker for index, view in views.items() if view.flicker is not None}
    data = CheckInput(shots, stats, cuts, probes or {}, scenes, flicker)
    warnings = tuple(check_continuity(data, settings))
    return ContinuityResult(shots, stats, views, cuts, scenes, warnings, probes or {})
