"""Shots → continuity warnings for a whole timeline: the steps of ``cinegrade check`` in order.

shots ─► statistics (:func:`cinegrade.analysis.run.analyse_shots`, cached) and small views of
         each shot (:data:`VIEW_SETTINGS`: a few frames at 320 px and a run of consecutive
         ones), sampled in one decoding sweep
         (:func:`cinegrade.correspondence.views.analysed_with_views`), with their ORB features
         and their flicker on registered content (:mod:`cinegrade.analysis.flicker`)
         ─► a :class:`~cinegrade.continuity.measure.CutMeasure` for each pair of consecutive
         shots ─► scenes (:mod:`cinegrade.timeline.scenes`)
      ─► each shot's drift along its length (:func:`along_shots`: frames along the shot against
         its first frames, :mod:`cinegrade.continuity.creep`), cached; not for a shot whose view
         frames agree (:func:`steady_shots`)
      ─► rules (:mod:`cinegrade.continuity.rules`) ─► warnings, worst first.

Views are sampled per media file, and shots measured along their length one a task, through any
``concurrent.futures.Executor`` (each task a pure function of media identity, ranges and
settings), like the statistics.
"""

from __future__ import annotations

import concurrent.futures
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

from cinegrade.analysis.along import AlongFrames, AlongSettings, AlongShot, unmeasurable
from cinegrade.analysis.cache import cache_key
from cinegrade.analysis.sampler import SampleSettings, shot_identity
from cinegrade.analysis.stats import ShotStats
from cinegrade.continuity.creep import (
    ALONG_VERSION,
    ERROR_FLOOR,
    ERROR_INFLATION,
    READINGS,
    STEADY_FLICKER_SHARE,
    STEADY_SHARE,
    measure_frames,
    measure_shot,
    read_series,
    steady,
)
from cinegrade.continuity.measure import CutMeasure, measure_cut, measure_from_scene
from cinegrade.continuity.rules import (
    CheckInput,
    ContinuitySettings,
    ContinuityWarning,
    Cut,
    check_continuity,
)
from cinegrade.correspondence.align import MeasureSettings
from cinegrade.correspondence.views import (
    DETAIL_WIDTH,
    VIEW_SETTINGS,
    ShotView,
    analysed_with_views,
    shot_views,
)
from cinegrade.correspondence.within_shot import ALONG_MEASURE
from cinegrade.evidence.run import default_sources, scene_evidence, shot_inputs
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
    #: each shot's drift along its length, by shot index, where measured
    along: Mapping[int, AlongShot] = field(default_factory=dict)
    #: shots not measured along their length since their view frames agree
    #: (:func:`steady_shots`): why, by shot index
    steady: Mapping[int, str] = field(default_factory=dict)


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
                   progress: Callable[[int], None] | None = None, all_views: bool = False,
                   evidence: Sequence[str] | None = None, within_shot: bool = True,
                   along_settings: AlongSettings = AlongSettings()) -> ContinuityResult:
    """Check ``shots`` (video shots of one timeline): see the module docstring. Every cut is
    measured (grouping by content needs that), but only cuts within one scene are judged by the
    rules. Bad media never raises (those shots go unanalysed);
    :class:`~cinegrade.errors.ChoiceError` (field ``scene_by``) for an unknown grouping.

    With a ``cache`` (:class:`~cinegrade.analysis.cache.StatsCache`) each cut's measure and each
    shot's flicker are kept too, so that a second check decodes nothing; ``views`` of the result
    then hold only the shots that had to be measured, unless ``all_views`` (a report's
    thumbnails).

    Cuts within a scene that share no pixels are then measured from the scene's joint solve
    over the ``evidence`` sources (:func:`measure_scenes`; None: every registered source,
    empty: none, the cut stays a whole-frame one).

    ``within_shot``: each shot is also measured along its length (:func:`along_shots`, with
    ``along_settings``; cached like the cuts) for the within-shot rules (``creep_within_shot``,
    ``flicker_along``) — but for steady shots, whose view frames leave those rules nothing to
    find (:func:`steady_shots`; the result's ``steady``); off, those rules see nothing."""
    shots = tuple(shots)
    pairs = consecutive_pairs(shots)
    keys = _view_keys(shots) if cache is not None else {}
    measures = _cached_measures(pairs, keys, cache)
    flicker = _cached_flicker(shots, keys, cache)
    needed = {s.index for s in shots if s.index not in flicker} | \
        {i for a, b in pairs if (a.index, b.index) not in measures for i in (a.index, b.index)}
    if all_views:
        needed = {s.index for s in shots}
    along_in_sweep = (along_settings, partial(within_sweep, settings=settings, share=STEADY_SHARE)) \
        if within_shot else None
    analysed, views = analysed_with_views(shots, sample_settings, executor, cache, progress, needed,
                                          along=along_in_sweep)
    stats = {result.shot.index: result.stats for result in analysed}
    todo = [(a, b) for a, b in pairs if (a.index, b.index) not in measures]
    measured = measure_pairs(todo, views, stats, executor)
    measures.update(measured)
    for index, view in views.items():
        if view.flicker is not None:
            flicker[index] = view.flicker
    if cache is not None:
        _store(cache, keys, measured, views, stats)
    scenes = group_scenes(shots, scene_by, {key: m.aligned for key, m in measures.items()})
    if evidence is None or evidence:
        scene_measures = measure_scenes(shots, pairs, measures, scenes, stats, views, evidence,
                                        executor, keys, cache)
        measures.update(scene_measures)
    cuts = tuple(Cut(before, after, measures[(before.index, after.index)], scenes[after.index])
                 for before, after in pairs if scenes[before.index] == scenes[after.index])
    quiet, along = {}, {}
    if within_shot:
        judged, measured = within_of(views)
        quiet = steady_shots(shots, views, settings, along_settings, executor, cache, judged=judged)
        if progress is not None and quiet:
            progress(len(quiet))
        along = along_shots([s for s in shots if s.index not in quiet], along_settings, executor,
                            cache, progress, measured)
        read_series(list(along.values()))  # every shot's readings at once, for the rules to read
    data = CheckInput(shots, stats, cuts, probes or {}, scenes, flicker, along)
    warnings = tuple(check_continuity(data, settings))
    return ContinuityResult(shots, stats, views, cuts, scenes, warnings, probes or {}, along, quiet)


def steady_shots(shots: Sequence[Shot], views: Mapping[int, ShotView], settings: ContinuitySettings,
                 along_settings: AlongSettings = AlongSettings(),
                 executor: concurrent.futures.Executor | None = None, cache=None,
                 share: float = STEADY_SHARE, judged: Mapping[int, str | None] | None = None
                 ) -> dict[int, str]:
    """The shots that need not be measured along their length, each with why
    (:func:`cinegrade.continuity.creep.steady`: their view frames agree within ``share`` of
    every creep threshold of ``settings`` and they do not flicker), by shot index: judged from
    their ``views`` (through ``executor``) or, with a ``cache``, read where judged before (keyed
    by media identity, source range, the view, the thresholds and ``share``:
    :func:`_steady_key`). Shots without a view or a verdict are not steady (they are measured);
    shots that cannot drift (:func:`~cinegrade.analysis.along.unmeasurable`) are left out. (A
    grade that holds creeps of half a finding's size would judge with half the share.)
    ``judged``: verdicts already made with these settings and share (:func:`within_sweep`), by
    shot index; they are cached like the rest."""
    todo = [s for s in shots if unmeasurable(s, along_settings) is None]
    keys = {s.index: _steady_key(s, settings, share) for s in todo} if cache is not None else {}
    found: dict[int, str] = {}
    judge = []
    for shot in todo:
        key = keys.get(shot.index)
        value = cache.get_json(key) if key is not None else None
        if value is not None:
            if value.get("steady"):
                found[shot.index] = value["steady"]
        elif judged is not None and shot.index in judged:
            if judged[shot.index] is not None:
                found[shot.index] = judged[shot.index]
            if key is not None:
                cache.put_json(key, {"steady": judged[shot.index]})
        elif shot.index in views:
            judge.append(shot)
    arguments = ([views[s.index].frames8 for s in judge], [views[s.index].flicker for s in judge],
                 [settings] * len(judge), [share] * len(judge))
    if executor is None or len(judge) < 2:
        verdicts = map(steady, *arguments)
    else:
        verdicts = executor.map(steady, *arguments)
    for shot, verdict in zip(judge, verdicts):
        if verdict is not None:
            found[shot.index] = verdict
        if keys.get(shot.index) is not None:
            cache.put_json(keys[shot.index], {"steady": verdict})
    return found


#: Bump when how a shot is judged steady changes (:func:`~cinegrade.continuity.creep.steady`).
STEADY_VERSION = 1


def _steady_key(shot: Shot, settings: ContinuitySettings, share: float) -> str | None:
    """The cache key of a shot's steadiness: media identity, source range, the view's sampling,
    the along measurement it is judged by and the thresholds it is judged against (None where
    the media cannot be stat'ed)."""
    identity = shot_identity(shot)
    if identity is None:
        return None
    thresholds = [getattr(settings, READINGS[name][0]) for name in READINGS]
    return cache_key(identity, shot.source, ("steady", STEADY_VERSION, VIEW_SETTINGS, DETAIL_WIDTH,
                                             MEASURE_VERSION, ALONG_MEASURE, ERROR_INFLATION,
                                             [float(v) for v in ERROR_FLOOR], thresholds,
                                             settings.flicker_along_stops, share,
                                             STEADY_FLICKER_SHARE))


def along_shots(shots: Sequence[Shot], settings: AlongSettings = AlongSettings(),
                executor: concurrent.futures.Executor | None = None, cache=None,
                progress: Callable[[int], None] | None = None,
                measured: Mapping[int, AlongShot] | None = None) -> dict[int, AlongShot]:
    """Each of ``shots`` measured along its length (:func:`cinegrade.continuity.creep.measure_shot`),
    by shot index: from the ``cache`` (:class:`~cinegrade.analysis.cache.StatsCache`, keyed by
    media identity, source range and settings, :func:`_along_key`) where there, the rest through
    ``executor``, one shot a task, and cached; ``progress`` hears of every shot done. Shots that
    cannot drift (:func:`~cinegrade.analysis.along.unmeasurable`: stills, no local media, too
    short) and shots whose media cannot be read are left out (never raises for bad media; those
    are not cached: the media may be fixed). ``measured``: shots already measured with these
    settings where their frames were decoded (:func:`within_sweep`), by shot index; they are
    cached like the rest."""
    todo = [s for s in shots if unmeasurable(s, settings) is None]
    keys = {s.index: _along_key(s, settings) for s in todo} if cache is not None else {}
    found: dict[int, AlongShot] = {}
    for shot in todo:
        key = keys.get(shot.index)
        value = cache.get_json(key) if key is not None else None
        if value is not None:
            found[shot.index] = AlongShot.from_json(value)
    measured = measured or {}
    ready = [s for s in todo if s.index not in found and s.index in measured]
    missing = sorted((s for s in todo if s.index not in found and s.index not in measured),
                     key=lambda s: -s.source.duration)
    if progress is not None and len(shots) > len(missing) + len(ready):
        progress(len(shots) - len(missing) - len(ready))
    if executor is None or len(missing) < 2:
        results = (measure_shot(s, settings) for s in missing)
    else:
        results = executor.map(measure_shot, missing, [settings] * len(missing))
    for shot, result in itertools.chain(((s, measured[s.index]) for s in ready), zip(missing, results)):
        if progress is not None:
            progress(1)
        if isinstance(result, str):
            continue
        value = result.to_json()
        found[shot.index] = AlongShot.from_json(value)  # as the cache gives it back: a warm run finds the same
        if keys.get(shot.index) is not None:
            cache.put_json(keys[shot.index], value)
    return found


def within_sweep(view: ShotView, frames: AlongFrames | str, settings: ContinuitySettings,
                 share: float) -> tuple[str | None, AlongShot | None]:
    """What :func:`steady_shots` and :func:`along_shots` would find of one shot, made where its
    view and its frames along its length were just decoded (``analysed_with_views``' ``along``):
    (its steady verdict — :func:`~cinegrade.continuity.creep.steady` of its view with
    ``settings`` and ``share`` — and, where it is not steady, its measure along its length from
    ``frames`` (:func:`~cinegrade.continuity.creep.measure_frames`; None where ``frames`` is a
    string saying why there are none))."""
    verdict = steady(view.frames8, view.flicker, settings, share)
    if verdict is not None or isinstance(frames, str):
        return verdict, None
    return None, measure_frames(frames)


def within_of(views: Mapping[int, ShotView]) -> tuple[dict[int, str | None], dict[int, AlongShot]]:
    """The steady verdicts and measures along their length that :func:`within_sweep` made of
    ``views``' shots in the decoding sweep, by shot index."""
    judged = {i: v.along[0] for i, v in views.items() if isinstance(v.along, tuple)}
    measured = {i: v.along[1] for i, v in views.items()
                if isinstance(v.along, tuple) and v.along[1] is not None}
    return judged, measured


def _along_key(shot: Shot, settings: AlongSettings) -> str | None:
    """The cache key of a shot's measurement along its length: media identity, source range,
    sampling, alignment and error calibration (None where the media cannot be stat'ed)."""
    identity = shot_identity(shot)
    if identity is None:
        return None
    return cache_key(identity, shot.source, ("along", ALONG_VERSION, settings, ALONG_MEASURE,
                                             ERROR_INFLATION, [float(v) for v in ERROR_FLOOR]))


def measure_scenes(shots: Sequence[Shot], pairs, measures: Mapping[tuple[int, int], CutMeasure],
                   scenes: Mapping[int, str], stats: Mapping[int, ShotStats],
                   views: Mapping[int, ShotView], sources: Sequence[str] | None,
                   executor: concurrent.futures.Executor | None = None,
                   keys: Mapping[int, str] | None = None, cache=None
                   ) -> dict[tuple[int, int], CutMeasure]:
    """Cuts within a scene that share no pixels (measure ``global``) measured again from the
    scene's joint solve (:func:`cinegrade.evidence.run.scene_evidence`, a vague prior: only
    differences are read), by (index, index). Views missing for a scene's shots (a warm cache)
    are made; with a ``cache`` each scene's measures are kept under a key of all its shots'
    views and the sources, and each pair's evidence under its frames' digest
    (:func:`~cinegrade.evidence.run.scene_evidence`)."""
    todo = [(a, b) for a, b in pairs if scenes[a.index] == scenes[b.index]
            and not measures[(a.index, b.index)].aligned]
    wanted = {scenes[a.index] for a, _ in todo}
    if not wanted:
        return {}
    sources = tuple(default_sources() if sources is None else sources)
    members = {label: [s for s in shots if scenes[s.index] == label] for label in wanted}
    found: dict[tuple[int, int], CutMeasure] = {}
    scene_keys = {}
    for label, group in members.items():
        key = _scene_key(keys or {}, group, sources) if cache is not None else None
        value = cache.get_json(key) if key is not None else None
        if value is not None:
            found.update({(int(a), int(b)): CutMeasure.from_json(m) for a, b, m in value["cuts"]})
        else:
            scene_keys[label] = key
    if scene_keys:
        group = [s for label in scene_keys for s in members[label]]
        missing = [s for s in group if s.index not in views]
        views = {**views, **shot_views(missing, executor)} if missing else views
        inputs = shot_inputs(group, views, stats)
        _, solutions = scene_evidence(inputs, scenes, {}, sources, executor, prior=None, cache=cache)
        for label, key in scene_keys.items():
            solution = solutions.get(label)
            measured = []
            for a, b in todo:
                if scenes[a.index] != label or solution is None or a.index not in solution.shots \
                        or b.index not in solution.shots:
                    continue
                drift, error = solution.difference(a.index, b.index)
                used = sorted(set(solution.shot_sources(a.index)) & set(solution.shot_sources(b.index)))
                measure = measure_from_scene(drift, error, used, solution.difference_covariance(a.index, b.index))
                if measure.errors:
                    found[(a.index, b.index)] = measure
                    measured.append([a.index, b.index, measure.to_json()])
            if key is not None and all(s.index in views for s in members[label]):
                cache.put_json(key, {"cuts": measured})
    return found


def _scene_key(keys: Mapping[int, str], group: Sequence[Shot], sources: Sequence[str]) -> str | None:
    if any(s.index not in keys for s in group):
        return None
    return cache_key(("scene", MEASURE_VERSION, tuple(keys[s.index] for s in group), tuple(sources)),
                     None, None)


#: Bump when how a cut or a shot's flicker is measured changes: cached measures of other
#: versions are not found.
MEASURE_VERSION = 3


def _view_keys(shots: Sequence[Shot]) -> dict[int, str]:
    """A cache key of each shot's view: media identity, source range, view and measure settings."""
    keys = {}
    for shot in shots:
        identity = shot_identity(shot)
        if identity is not None:
            keys[shot.index] = cache_key(identity, shot.source,
                                         ("views", MEASURE_VERSION, VIEW_SETTINGS, MeasureSettings()))
    return keys


def _pair_key(keys: Mapping[int, str], a: int, b: int) -> str | None:
    """The cache key of the cut between shots ``a`` and ``b`` (indices)."""
    if a not in keys or b not in keys:
        return None
    return cache_key(("cut", keys[a], keys[b]), None, None)


def _cached_measures(pairs, keys, cache) -> dict[tuple[int, int], CutMeasure]:
    found = {}
    for a, b in pairs:
        key = _pair_key(keys, a.index, b.index) if cache is not None else None
        value = cache.get_json(key) if key is not None else None
        if value is not None:
            found[(a.index, b.index)] = CutMeasure.from_json(value)
    return found


def _cached_flicker(shots, keys, cache) -> dict[int, float]:
    found = {}
    for shot in shots:
        value = cache.get_json(keys[shot.index]) if shot.index in keys else None
        if value is not None and value.get("flicker") is not None:
            found[shot.index] = float(value["flicker"])
    return found


def _store(cache, keys, measured, views, stats) -> None:
    """Keep what was measured on readable shots (a cut whose shots could not be read is
    measured again next time: the media may be fixed)."""
    for (a, b), measure in measured.items():
        if a in views and b in views:
            key = _pair_key(keys, a, b)
            if key is not None:
                cache.put_json(key, measure.to_json())
    for index, view in views.items():
        if index in keys and view.flicker is not None:
            cache.put_json(keys[index], {"flicker": view.flicker})

