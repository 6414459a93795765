"""Shots of a whole timeline → their matches, and the graded result checked: the steps of
``cinegrade grade`` between reading the timeline and writing it.

shots ─► statistics (cached) and views (:mod:`cinegrade.correspondence.views`)
      ─► scenes (markers, or content shared across cuts) and each scene's reference
      ─► one match per shot (:func:`cinegrade.matching.match.match_shot`), chained through a
         shot that shares content with both where the shot shares none with its reference
graded views ─► the continuity rules (:func:`graded_continuity`), as ``check`` would find the
render.
"""

from __future__ import annotations

import concurrent.futures
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np

from cinegrade.analysis.along import AlongSettings
from cinegrade.analysis.run import bounded_map
from cinegrade.analysis.sampler import SampleSettings
from cinegrade.analysis.stats import shot_stats
from cinegrade.continuity.creep import STEADY_SHARE
from cinegrade.continuity.rules import CheckInput, ContinuitySettings, Cut, check_continuity
from cinegrade.continuity.run import (
    ContinuityResult,
    along_shots,
    content_alike,
    measure_pairs,
    measure_scenes,
    steady_shots,
    within_of,
    within_sweep,
)
from cinegrade.correspondence.views import ShotView, analysed_with_views, kept_on_disk
from cinegrade.evidence.run import scene_evidence, shot_inputs
from cinegrade.grade.grade import Grade
from cinegrade.grade.hold import Hold, clip_frame, held_views, shot_holds, view_offsets
from cinegrade.matching.match import (
    ALIGNED,
    GLOBAL,
    NONE,
    Match,
    choose_references,
    match_scene,
    match_shot,
    match_via,
)
from cinegrade.timeline.markers import reference_markers
from cinegrade.timeline.scenes import NEEDS_CONTENT, consecutive_pairs, group_scenes


@dataclass(frozen=True)
class TimelineMatch:
    """What :func:`measure_and_match` found: statistics and views of every shot, scenes, the
    reference of each scene and each shot's match."""

    shots: tuple
    stats: Mapping[int, object]
    views: Mapping[int, object]
    scenes: Mapping[int, str]
    references: Mapping[str, int | None]
    matches: Mapping[int, Match]
    #: the evidence sources asked for (None: all)
    evidence: Sequence[str] | None = ()
    #: each shot's drift along its length (:class:`~cinegrade.analysis.along.AlongShot`) and,
    #: where it creeps, how it is held to its start (:class:`~cinegrade.grade.hold.Hold`)
    along: Mapping[int, object] = field(default_factory=dict)
    holds: Mapping[int, Hold] = field(default_factory=dict)


def measure_and_match(timeline, shots: Sequence, reference: str | None = None, method: str = "lut",
                   strength: float = 1.0, scene_by: str = "markers",
                   executor: concurrent.futures.Executor | None = None, cache=None,
                   progress=None, match: bool = True,
                   evidence: Sequence[str] | None = (), within_shot: bool = True) -> TimelineMatch:
    """Match every shot of ``timeline`` to its scene's reference: statistics (cached), views
    (a few frames at 320 px and their ORB features), scenes (markers, as ``check``), references
    (``reference`` clip, "reference" markers, else automatic), then one
    :func:`~cinegrade.matching.match.match_shot` per shot; a shot without content shared with
    its reference is then matched through another aligned shot of the scene it shares content
    with (:func:`~cinegrade.matching.match.match_via`), where there is one. With ``match`` False only the
    measurements are made (``matches`` empty).

    ``within_shot``: each shot is also measured along its length (cached, as ``check`` does),
    and a shot that creeps is held to its start (:func:`~cinegrade.grade.hold.shot_holds`; with
    ``match`` only): its frames are brought back to its start before it is matched, or matched
    to, so that the match is its start's.

    Bad media never raises (those shots are matched on what there is, or not at all).
    :class:`~cinegrade.errors.ChoiceError` for an unknown ``scene_by`` or ``method``,
    :class:`~cinegrade.errors.RangeError` (field ``strength``) outside 0..1,
    :class:`~cinegrade.errors.InputError` (field ``reference``) for an unknown reference clip;
    ``method`` and ``strength`` are checked only when there is a shot to match."""

    shots = tuple(shots)
    # a hold is worth half a finding: steady within half the share; judged, and the others
    # measured along their length, where the sweep decodes their frames
    share = STEADY_SHARE / 2
    along_in_sweep = (AlongSettings(), partial(within_sweep, settings=ContinuitySettings(), share=share)) \
        if within_shot else None
    analysed, views = analysed_with_views(shots, SampleSettings(), executor, cache, progress,
                                          along=along_in_sweep)
    stats = {a.shot.index: a.stats for a in analysed}
    alike = content_alike(shots, views, stats, executor) if scene_by in NEEDS_CONTENT else None
    scenes = group_scenes(shots, scene_by, alike)
    references = choose_references({s.index: s.clip_name for s in shots}, scenes, stats,
                                   reference, reference_markers(timeline, shots))
    matches: dict[int, Match] = {}
    along = {}
    if within_shot:
        judged, measured = within_of(views)
        quiet = steady_shots(shots, views, ContinuitySettings(), executor=executor, cache=cache,
                             share=share, judged=judged)
        along = along_shots([s for s in shots if s.index not in quiet], executor=executor, cache=cache,
                            measured=measured)
    holds = shot_holds(shots, along) if match else {}
    if match:
        names = {s.index: s.clip_name for s in shots}
        held = held_views(shots, views, holds)
        jobs = []
        for shot in shots:
            ref = references.get(scenes[shot.index])
            view, ref_view = held.get(shot.index), held.get(ref) if ref is not None else None
            jobs.append(dict(
                shot_index=shot.index, clip_name=shot.clip_name, scene=scenes[shot.index],
                reference_index=ref, reference_name=names.get(ref), method=method,
                strength=strength, frames=view.frames8 if view else (),
                reference_frames=ref_view.frames8 if ref_view else (),
                stats=stats.get(shot.index), reference_stats=stats.get(ref),
                features=view.features if view else None,
                reference_features=ref_view.features if ref_view else None))
        if executor is None:
            results = [_match_job(job) for job in jobs]
        else:
            results = list(executor.map(_match_job, jobs))
        matches = {m.shot_index: m for m in results}
        matches.update(matches_via(matches, held, scenes))
        if evidence is None or evidence:
            matches.update(matches_from_scenes(shots, matches, held, stats, scenes, references,
                                               evidence, executor, cache))
    return TimelineMatch(shots, stats, views, scenes, references, matches, evidence, along, holds)


def matches_via(matches: Mapping[int, Match], views: Mapping, scenes: Mapping[int, str]
                 ) -> dict[int, Match]:
    """Shots that share no content with their reference, matched instead through a shot of the
    scene that does and that they share content with (the one with the most shared pixels), when
    there is one: the new matches by shot index (:func:`~cinegrade.matching.match.match_via`)."""

    redone = {}
    for index, match in matches.items():
        if match.evidence not in (GLOBAL, NONE) or match.reference_index is None \
                or index not in views:
            continue
        best = None
        for other, candidate in matches.items():
            if other == index or candidate.evidence != ALIGNED or candidate.via is not None \
                    or scenes.get(other) != scenes.get(index) or other not in views:
                continue
            chained = match_via(match, candidate, views[index].frames, views[other].frames,
                                views[index].features, views[other].features)
            if chained is not None and (best is None or chained.pixels > best.pixels):
                best = chained
        if best is not None:
            redone[index] = best
    return redone


def matches_from_scenes(shots: Sequence, matches: Mapping[int, Match], views: Mapping,
                        stats: Mapping, scenes: Mapping[int, str],
                        references: Mapping[str, int | None], sources: Sequence[str] | None,
                        executor: concurrent.futures.Executor | None = None, cache=None) -> dict[int, Match]:
    """Shots whose match has no shared content (evidence ``global`` or ``none``) matched from
    their scene's joint solve (:func:`~cinegrade.matching.match.match_scene`), each pair's
    evidence read from ``cache`` where measured before: the new matches by shot index."""
    todo = {i for i, m in matches.items() if m.evidence in (GLOBAL, NONE) and m.reference_index is not None}
    wanted = {scenes[i] for i in todo}
    if not wanted:
        return {}
    inputs = shot_inputs([s for s in shots if scenes[s.index] in wanted], views, stats)
    _, solutions = scene_evidence(inputs, scenes, references, sources, executor, cache=cache)
    redone = {}
    for index in sorted(todo):
        solution = solutions.get(scenes[index])
        if solution is None or index not in solution.shots or solution.reference != matches[index].reference_index:
            continue
        components, error = solution.shot_drift(index)
        redone[index] = match_scene(matches[index], components, error, solution.shot_sources(index),
                                    views[index].frames if index in views else (),
                                    solution.shot_covariance(index))
    return redone


def _match_job(job: dict) -> Match:
    """:func:`match_shot` of a job whose frames travel as 8-bit (a quarter of float32's size,
    the views' own storage), made float where the job runs."""
    frames = {name: tuple(f.astype(np.float32) / 255 for f in job[name])
              for name in ("frames", "reference_frames")}
    return match_shot(**{**job, **frames})


def graded_continuity(found: TimelineMatch, grades: Mapping[int, Grade],
                      executor: concurrent.futures.Executor | None = None, cache=None,
                      progress=None):
    """The continuity check (:mod:`cinegrade.continuity.rules`) of the graded timeline, on the
    matching's views through each shot's grade: statistics, cut measures and warnings as
    ``cinegrade check`` would find them on the rendered result (flicker aside: the views hold no
    run of consecutive frames). The shots are graded, their cuts measured and their scenes'
    evidence compared on ``executor`` (None: here); ``cache``
    (:class:`~cinegrade.analysis.cache.StatsCache`) keeps the graded pairs' evidence under their
    frames' digest, so that the same grades are not compared twice; ``progress(n)`` is told of
    each shot graded. Returns a :class:`~cinegrade.continuity.run.ContinuityResult`."""

    views, stats = {}, {s.index: found.stats.get(s.index) for s in found.shots}
    todo = [s for s in found.shots if found.views.get(s.index) is not None]
    graded = bounded_map(graded_view, [found.views[s.index] for s in todo],
                         [grades.get(s.index) for s in todo],
                         [_view_frames(s, found.views[s.index]) for s in todo], executor=executor)
    for shot, (view, graded_stats) in zip(todo, graded):
        # the features came back from a worker as a copy: the view's own files stand for them
        views[shot.index] = kept_on_disk(replace(view, features=found.views[shot.index].features))
        stats[shot.index] = graded_stats
        if progress is not None:
            progress(1)
    pairs = consecutive_pairs(found.shots)
    with warnings.catch_warnings():  # RANSAC warns for every frame pair it cannot fit
        warnings.simplefilter("ignore")
        measures = measure_pairs(pairs, views, stats, executor)
    if found.evidence is None or found.evidence:
        measures.update(measure_scenes(found.shots, pairs, measures, found.scenes, stats, views,
                                       found.evidence, executor, cache=cache))
    cuts = tuple(Cut(b, a, measures[(b.index, a.index)], found.scenes[a.index])
                 for b, a in pairs if found.scenes[b.index] == found.scenes[a.index])
    # along each shot: as measured, less the hold its keyframes undo (predicted, not re-measured)
    along = {i: found.holds[i].held(a) if i in found.holds and grades.get(i) is not None
             and grades[i].keyframes else a for i, a in found.along.items()}
    data = CheckInput(found.shots, stats, cuts, {}, found.scenes, along=along)
    flagged = tuple(check_continuity(data))
    return ContinuityResult(found.shots, stats, views, cuts, found.scenes, flagged, {}, along)


def _view_frames(shot, view: ShotView) -> tuple[int, ...]:
    """The clip frame each of ``view``'s frames was sampled at (CDL keyframes change a grade
    along the clip)."""
    return tuple(clip_frame(shot, o) for o in view_offsets(shot, len(view.frames8))
                 or (0,) * len(view.frames8))


def graded_view(view: ShotView, grade: Grade | None, at: Sequence[int]) -> tuple[ShotView, object]:
    """``view`` through ``grade`` (None: as it is), each frame graded as at its clip frame in
    ``at``, and the statistics of the graded frames
    (:class:`~cinegrade.analysis.stats.ShotStats`). The detail frames the evidence sources
    see are graded alike; a grade moves no pixel, so the ungraded frames' keypoints stand for
    the graded ones'."""
    frames = tuple(grade.apply(f, t).astype(np.float32) if grade is not None else f
                   for f, t in zip(view.frames, at))
    detail = tuple(grade.apply(f.astype(np.float32) / 255, t).astype(np.float32) if grade is not None else f
                   for f, t in zip(view.detail8, at))
    return ShotView.of(frames, view.features, detail=detail), shot_stats(list(frames))
