"""Shots → continuity warnings for a whole timeline: the steps of ``cinegrade check`` in order.

shots ─► statistics (:func:`cinegrade.grading.analysis.analyse_shots`, cached)
      ─► small views of each shot (:data:`VIEW_SETTINGS`: a few frames at 320 px and a run of
         consecutive ones, by the sampler), their ORB features and their flicker on registered
         content (:mod:`cinegrade.grading.shot_flicker`)
         ─► a :class:`~cinegrade.grading.cut_measure.CutMeasure` for each pair of consecutive
         shots ─► scenes (:mod:`cinegrade.grading.scenes`)
      ─► rules (:mod:`cinegrade.grading.continuity`) ─► warnings, worst first.

Views are sampled per media file through any ``concurrent.futures.Executor`` (each task a pure
function of media identity, ranges and settings), like the statistics.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from cinegrade.grading.analysis import analyse_shots
from cinegrade.grading.continuity import (CheckInput, ContinuitySettings, ContinuityWarning, Cut,
                                          check_continuity)
from cinegrade.grading.cut_measure import (CutMeasure, MeasureSettings, ShotFeatures, measure_cut,
                                           shot_features)
from cinegrade.grading.sampler import SampleSettings, sample_shots
from cinegrade.grading.scenes import consecutive_pairs, group_scenes
from cinegrade.grading.shot_flicker import registered_flicker
from cinegrade.grading.shot_stats import ShotStats
from cinegrade.grading.shots import IMAGE_SEQUENCE, MOVIE, STILL, Shot
#: Frames compared across cuts: three per shot (at 1/6, 1/2, 5/6 of it) at 320 px — enough for
#: ORB to align a 2.6× close-up with its wide shot, small enough to stay fast — and a run of 12
#: consecutive frames at 160 px for flicker on registered content.
VIEW_SETTINGS = SampleSettings(samples=3, width=320, dense=12, dense_width=160)


@dataclass(frozen=True)
class ShotView:
    """A shot's small frames and their features. Frames are kept as 8-bit display-referred
    Rec.709 R'G'B' (a quarter of float32's memory; the source video is 8-bit anyway):
    :attr:`frames` gives them back as float32 in [0, 1]."""

    frames8: tuple[np.ndarray, ...]
    features: ShotFeatures
    #: frame-to-frame exposure wobble on registered content (stops RMS), None when not measured
    flicker: float | None = None

    @property
    def frames(self) -> tuple[np.ndarray, ...]:
        return tuple(f.astype(np.float32) / 255 for f in self.frames8)

    @classmethod
    def of(cls, frames: Sequence[np.ndarray], features: ShotFeatures,
           flicker: float | None = None) -> ShotView:
        return cls(tuple(np.clip(np.asarray(f) * 255 + 0.5, 0, 255).astype(np.uint8)
                         for f in frames), features, flicker)


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


def view_group(shots: Sequence[Shot], settings: SampleSettings = VIEW_SETTINGS,
               measure: MeasureSettings = MeasureSettings()) -> list[tuple[int, ShotView | None]]:
    """Views of shots of one media file (one open): ``(shot.index, view or None)`` each."""
    results = []
    for shot, samples in sample_shots(shots, settings):
        if isinstance(samples, str) or not samples.frames:
            results.append((shot.index, None))
            continue
        frames = tuple(np.asarray(f, dtype=np.float32) for f in samples.frames)
        flicker = registered_flicker(samples.dense_frames) if samples.dense_frames else None
        results.append((shot.index, ShotView.of(frames, shot_features(frames, measure), flicker)))
    return results


def shot_views(shots: Sequence[Shot], executor: concurrent.futures.Executor | None = None,
               settings: SampleSettings = VIEW_SETTINGS) -> dict[int, ShotView]:
    """Views of every shot with local media, by shot index (shots whose media cannot be read
    are left out)."""
    groups: dict[tuple, list[Shot]] = {}
    for shot in shots:
        if shot.media_kind in (MOVIE, STILL, IMAGE_SEQUENCE) and shot.media_path is not None:
            groups.setdefault((shot.media_kind, shot.media_path), []).append(shot)
    tasks = list(groups.values())
    views: dict[int, ShotView] = {}
    if executor is None:
        results = [view_group(task, settings) for task in tasks]
    else:
        results = list(executor.map(view_group, tasks, [settings] * len(tasks)))
    for result in results:
        for index, view in result:
            if view is not None:
                views[index] = view
    return views


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
    alike = {key: measure.aligned for key, measure in measures.items()}
    scenes = group_scenes(shots, scene_by, alike)
    cuts = tuple(Cut(before, after, measures[(before.index, after.index)], scenes[after.index])
                 for before, after in pairs if scenes[before.index] == scenes[after.index])
    flicker = {index: view.flicker for index, view in views.items() if view.flicker is not None}
    data = CheckInput(shots, stats, cuts, probes or {}, scenes, flicker)
    warnings = tuple(check_continuity(data, settings))
    return ContinuityResult(shots, stats, views, cuts, scenes, warnings, probes or {})
