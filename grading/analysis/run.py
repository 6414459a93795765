"""Shots → statistics for a whole timeline: cache look-up, then sampling and statistics of the
rest through a :class:`concurrent.futures.Executor` (a local process pool today; any executor,
e.g. Dask's ``Client.get_executor()``, works, since each task is a pure function of media
identity, source range and settings).

Shots are grouped by media file, so that one task opens each file once and samples its shots
in one forward decoding sweep; a group is cut into several tasks only when there are too few
groups to keep every worker busy (one long take cut into many shots). At most
:data:`MAX_IN_FLIGHT` tasks are in flight, so memory stays bounded whatever the timeline's length.
"""

from __future__ import annotations

import collections
import concurrent.futures
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from cinegrade.analysis.cache import StatsCache, cache_key
from cinegrade.analysis.sampler import SampleSettings, ShotSamples, sample_shots, sample_shots_twice, shot_identity
from cinegrade.analysis.stats import ShotStats, shot_stats
from cinegrade.timeline.shots import IMAGE_SEQUENCE, MOVIE, STILL, Shot

#: A task samples at most this many shots (progress granularity; memory stays bounded anyway,
#: as the sampler drops frames as soon as their shots are done).
MAX_SHOTS_PER_TASK = 64
#: Tasks in flight per call (bounds memory: each holds a few shots' frames at most).
MAX_IN_FLIGHT = 16


@dataclass(frozen=True)
class ShotAnalysis:
    """One shot's statistics (or why there are none), the media frames they come from, and
    whether they came from the cache."""

    shot: Shot
    stats: ShotStats
    frames: tuple[int, ...] = ()
    cached: bool = False
    #: what :class:`Also`'s ``make`` gave for the shot's second sampling (None: not asked, cached
    #: statistics, or media that could not be read)
    extra: object = None


@dataclass(frozen=True)
class Also:
    """A second sampling of some shots, made in the same decoding sweep as their statistics'
    (:func:`~cinegrade.analysis.sampler.sample_shots_twice`): ``make(shot, samples)`` (a
    picklable, module-level function, run where the sampling runs) turns each wanted shot's
    samples at ``settings`` into what the caller needs (e.g. a view for correspondence);
    ``settings`` may be a tuple of samplings (``make`` then gets a tuple of samples:
    :func:`~cinegrade.analysis.sampler.sample_shots_twice`); ``keep`` (module-level too), where
    given, is applied in the calling process to each such result as it arrives (e.g. to keep a
    view's frames on disk rather than in memory)."""

    settings: SampleSettings | tuple
    make: Callable[[Shot, ShotSamples], object]
    wanted: frozenset[int]
    keep: Callable[[object], object] | None = None


def analyse_group(shots: Sequence[Shot], settings: SampleSettings, also: Also | None = None
                  ) -> list[tuple[int, ShotStats, tuple[int, ...], object]]:
    """Sample and measure shots of one media file (one open): ``(shot.index, stats, media
    frames, extra)`` each, ``extra`` being ``also.make``'s result for the shots ``also`` wants
    (sampled in the same sweep), else None. Never raises for a bad shot: its stats carry the
    reason."""
    results = []
    twice = [s for s in shots if also is not None and s.index in also.wanted]
    once = [s for s in shots if also is None or s.index not in also.wanted]
    sampled = [(shot, samples, None) for shot, samples in sample_shots(once, settings)]
    if twice:
        sampled += list(sample_shots_twice(twice, settings, also.settings))
    for shot, samples, second in sampled:
        extra = None if second is None or isinstance(second, str) else also.make(shot, second)
        if isinstance(samples, str):
            results.append((shot.index, ShotStats.not_analysed(samples), (), extra))
            continue
        try:
            stats = shot_stats(samples.frames, samples.dense_frames)
        except (ValueError, ArithmeticError, MemoryError) as error:
            stats = ShotStats.not_analysed(f"statistics failed ({error})")
        results.append((shot.index, stats, samples.frame_numbers, extra))
    return results


def analyse_shots(
    shots: Sequence[Shot],
    settings: SampleSettings | None = None,
    executor: concurrent.futures.Executor | None = None,
    cache: StatsCache | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
    also: Also | None = None,
) -> list[ShotAnalysis]:
    """Statistics of every shot, in the order given.

    ``settings``: default :class:`SampleSettings`. ``executor``: where sampling runs (None:
    in this process); ``workers``: how many tasks it runs at once, which says how finely to
    cut the work (default: the executor's ``_max_workers`` where it has one, as the standard
    pools do, else the number of CPUs). ``cache``: read before, written after (None: no
    cache). ``progress(n)`` is called as n more shots are done.

    ``also``: a second sampling of the shots it wants, in the same sweep, for those whose
    statistics are not cached (:attr:`ShotAnalysis.extra`).

    Never raises for bad media or a worker that dies: those shots' stats are
    :meth:`~cinegrade.analysis.stats.ShotStats.not_analysed` with the reason.
    """
    settings = settings if settings is not None else SampleSettings()
    if workers is None:
        workers = 1 if executor is None else \
            getattr(executor, "_max_workers", None) or os.cpu_count() or 1
    done: dict[int, ShotAnalysis] = {}
    by_index = {shot.index: shot for shot in shots}
    keys: dict[int, str] = {}
    groups: dict[tuple, list[Shot]] = {}
    for shot in shots:
        if shot.media_kind not in (MOVIE, STILL, IMAGE_SEQUENCE) or shot.media_path is None:
            reason = f"no local media ({shot.media_kind}" + \
                (f": {shot.media_url})" if shot.media_url else ")")
            done[shot.index] = ShotAnalysis(shot, ShotStats.not_analysed(reason))
            continue
        identity = shot_identity(shot)
        if identity is None:
            done[shot.index] = ShotAnalysis(
                shot, ShotStats.not_analysed(f"missing media: {shot.media_path}"))
            continue
        if cache is not None:
            keys[shot.index] = cache_key(identity, shot.source, settings)
            hit = cache.get(keys[shot.index])
            if hit is not None:
                done[shot.index] = ShotAnalysis(shot, hit[0], hit[1], cached=True)
                continue
        groups.setdefault((shot.media_kind, shot.media_path), []).append(shot)
    if progress and done:
        progress(len(done))

    tasks = []
    remaining = sum(len(group) for group in groups.values())
    # one task per media file (one decoding sweep), cut finer only to keep every worker busy
    size = max(1, min(MAX_SHOTS_PER_TASK, -(-remaining // max(1, 2 * workers))))
    for group in groups.values():
        group.sort(key=lambda s: (s.source.start, s.index))
        pieces = max(1, -(-len(group) // size)) if len(groups) < 2 * workers else \
            max(1, -(-len(group) // MAX_SHOTS_PER_TASK))
        step = -(-len(group) // pieces)
        tasks.extend(group[i:i + step] for i in range(0, len(group), step))

    def finish(results: list[tuple[int, ShotStats, tuple[int, ...], object]]) -> None:
        for index, stats, frames, extra in results:
            if extra is not None and also is not None and also.keep is not None:
                extra = also.keep(extra)
            done[index] = ShotAnalysis(by_index[index], stats, frames, extra=extra)
            if cache is not None and stats.analysed:
                cache.put(keys[index], stats, frames)
        if progress:
            progress(len(results))

    if executor is None:
        for task in tasks:
            finish(analyse_group(task, settings, also))
    else:
        pending: dict[concurrent.futures.Future, list[Shot]] = {}
        queue = iter(tasks)
        while True:
            for task in queue:
                pending[executor.submit(analyse_group, task, settings, also)] = task
                if len(pending) >= MAX_IN_FLIGHT:
                    break
            if not pending:
                break
            finished, _ = concurrent.futures.wait(
                pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in finished:
                task = pending.pop(future)
                try:
                    results = future.result()
                except Exception as error:  # noqa: BLE001 - a worker died (e.g. a decoder crash)
                    reason = f"analysis failed ({type(error).__name__}: {error})"
                    results = [(s.index, ShotStats.not_analysed(reason), (), None) for s in task]
                finish(results)
    return [done[shot.index] for shot in shots]


def bounded_map(function: Callable, *iterables: Iterable,
                executor: concurrent.futures.Executor | None = None,
                in_flight: int = MAX_IN_FLIGHT) -> Iterator:
    """``map(function, *iterables)`` on ``executor`` (None: here), results in order, with at
    most ``in_flight`` calls submitted and not yet taken: unlike ``Executor.map``, which
    submits (and, on Dask, serialises) every call at once, memory holds only a few calls'
    arguments and results whatever the length.

    >>> list(bounded_map(pow, [2, 3, 4], [2, 2, 2]))
    [4, 9, 16]
    """
    if executor is None:
        yield from map(function, *iterables)
        return
    pending: collections.deque[concurrent.futures.Future] = collections.deque()
    for arguments in zip(*iterables):
        pending.append(executor.submit(function, *arguments))
        if len(pending) >= in_flight:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
