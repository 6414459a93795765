"""Shots → small views for correspondence: a few frames of each shot and their features, sampled
per media file through any ``concurrent.futures.Executor`` (each task a pure function of media
identity, ranges and settings), and their flicker on registered content. Continuity measures cuts
on them; matching fits corrections on them.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from cinegrade.analysis.along import AlongSampling, AlongSettings, along_from_samples
from cinegrade.analysis.flicker import registered_flicker
from cinegrade.analysis.run import Also, analyse_shots
from cinegrade.analysis.sampler import SampleSettings, sample_shots
from cinegrade.correspondence.align import MeasureSettings, ShotFeatures, shot_features
from cinegrade.media.spill import spilled
from cinegrade.timeline.shots import IMAGE_SEQUENCE, MOVIE, STILL, Shot

#: Frames compared across cuts: three per shot (at 1/6, 1/2, 5/6 of it) at 320 px — enough for
#: ORB to align a 2.6× close-up with its wide shot, small enough to stay fast — and a run of 12
#: consecutive frames at 160 px for flicker on registered content.
VIEW_SETTINGS = SampleSettings(samples=3, width=320, dense=12, dense_width=160)
#: Width (pixels) of the same frames as the evidence sources (:mod:`cinegrade.evidence`) see them:
#: a face in a medium shot or an over-the-shoulder is ~40–70 px wide here and under the
#: cascades' 20 px at 320; SIFT finds a wide's surfaces in its ×4 close-up. Sampled once at this
#: width, the views' frames are these reduced by area averaging.
DETAIL_WIDTH = 640


@dataclass(frozen=True)
class ShotView:
    """A shot's small frames and their features. Frames are kept as 8-bit display-referred
    Rec.709 R'G'B' (H, W, 3) uint8 (a quarter of float32's memory; the source video is 8-bit
    anyway): :attr:`frames` gives them back as float32 in [0, 1]. ``detail8``: the same frames
    at :data:`DETAIL_WIDTH` (or the source's width, if smaller), for the evidence sources; empty
    when not sampled. Both are tuples, or files read back on use once the view is
    :func:`kept_on_disk` (as every view of a timeline is)."""

    frames8: Sequence[np.ndarray]
    features: ShotFeatures
    #: frame-to-frame exposure wobble on registered content (stops RMS), None when not measured
    flicker: float | None = None
    detail8: Sequence[np.ndarray] = ()
    #: what :func:`analysed_with_views`' ``along`` function made of the view and the shot's
    #: frames along its length, in the sweep that sampled both (None: not asked)
    along: object = None

    @property
    def frames(self) -> tuple[np.ndarray, ...]:
        """The frames as float32 (H, W, 3) display-referred R'G'B' in [0, 1] (code / 255)."""
        return tuple(f.astype(np.float32) / 255 for f in self.frames8)

    @classmethod
    def of(cls, frames: Sequence[np.ndarray], features: ShotFeatures,
           flicker: float | None = None, detail: Sequence[np.ndarray] = ()) -> ShotView:
        """A view of float frames (H, W, 3) in [0, 1] (clipped), rounded to 8-bit codes;
        ``detail``: the same frames larger (float, or already uint8)."""
        return cls(tuple(_codes(f) for f in frames), features, flicker, tuple(_codes(f) for f in detail))


def kept_on_disk(view: ShotView) -> ShotView:
    """``view`` with its frames and its features' keypoints and descriptors kept in files
    instead of memory (:class:`~cinegrade.media.spill.SpilledFrames`: read back on each use,
    carried as arrays to workers), so that a whole timeline's views do not grow the process
    with its length."""
    features = view.features
    if features is not None:
        features = replace(features, keypoints=spilled(features.keypoints),
                           descriptors=spilled(features.descriptors))
    return replace(view, frames8=spilled(view.frames8), detail8=spilled(view.detail8), features=features)


def _codes(frame: np.ndarray) -> np.ndarray:
    frame = np.asarray(frame)
    return frame if frame.dtype == np.uint8 else np.clip(frame * 255 + 0.5, 0, 255).astype(np.uint8)


def reduced(frame: np.ndarray, width: int) -> np.ndarray:
    """A frame (H, W, 3), float or uint8, reduced to ``width`` by area averaging (as is, when not wider)."""
    import cv2

    if frame.shape[1] <= width:
        return frame
    height = max(1, round(frame.shape[0] * width / frame.shape[1]))
    return cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)


def _sampling(settings: SampleSettings, detail_width: int | None) -> SampleSettings:
    """The sampling a view needs: ``settings`` at ``detail_width`` where that is wider."""
    if not detail_width or detail_width <= settings.width:
        return settings
    return replace(settings, width=detail_width)


def view_of(shot: Shot, samples, settings: SampleSettings = VIEW_SETTINGS,
            measure: MeasureSettings = MeasureSettings(), detail_width: int | None = DETAIL_WIDTH
            ) -> ShotView | None:
    """A shot's view from its samples at :func:`_sampling` (``settings`` at ``detail_width``),
    or None where there are none (``samples`` a string saying why, or no frames)."""
    if isinstance(samples, str) or not samples.frames:
        return None
    detailed = _sampling(settings, detail_width) is not settings
    detail = tuple(np.asarray(f, dtype=np.float32) for f in samples.frames)
    frames = tuple(reduced(f, settings.width) for f in detail) if detailed else detail
    flicker = registered_flicker(samples.dense_frames) if samples.dense_frames else None
    return ShotView.of(frames, shot_features(frames, measure), flicker, detail if detailed else ())


def view_group(shots: Sequence[Shot], settings: SampleSettings = VIEW_SETTINGS,
               measure: MeasureSettings = MeasureSettings(), detail_width: int | None = DETAIL_WIDTH
               ) -> list[tuple[int, ShotView | None]]:
    """Views of shots of one media file (one open): ``(shot.index, view or None)`` each, None
    where the media could not be sampled (the sampler never raises for bad media; ``ValueError``
    for shots of several files). With ``detail_width``, frames are sampled that wide and
    reduced to ``settings.width`` (:attr:`ShotView.detail8` keeps them)."""
    return [(shot.index, view_of(shot, samples, settings, measure, detail_width))
            for shot, samples in sample_shots(shots, _sampling(settings, detail_width))]


def view_and_along(shot: Shot, samples, settings: SampleSettings, along: AlongSettings,
                   then: Callable) -> ShotView | None:
    """:func:`view_of` ``samples[0]``, with :attr:`ShotView.along` ``then(view, frames)``,
    ``frames`` the shot's :class:`~cinegrade.analysis.along.AlongFrames` from ``samples[1]``
    (:func:`~cinegrade.analysis.along.along_from_samples`; a string where there are none)."""
    view = view_of(shot, samples[0], settings)
    if view is None:
        return None
    return replace(view, along=then(view, along_from_samples(shot, samples[1], along)))


def analysed_with_views(shots: Sequence[Shot], sample_settings: SampleSettings,
                        executor: concurrent.futures.Executor | None = None, cache=None,
                        progress=None, viewed: Collection[int] | None = None,
                        settings: SampleSettings = VIEW_SETTINGS,
                        along: tuple[AlongSettings, Callable] | None = None):
    """Statistics of every shot (:func:`~cinegrade.analysis.run.analyse_shots`, cached) and
    the views of the shots ``viewed`` (default: all), by shot index: a shot whose statistics
    are not cached is sampled for both in one decoding sweep; the others are sampled for their
    view alone. Returns ``(analyses, views)``; shots whose media cannot be read have no view.

    ``along``: (settings, ``then``): the swept movies' shots are also sampled along their
    length (:class:`~cinegrade.analysis.along.AlongSampling`), and each view's
    :attr:`ShotView.along` is ``then(view, frames)`` — a picklable, module-level function run
    where the sampling runs (the within-shot measure: its frames are not decoded again)."""
    viewed = frozenset(s.index for s in shots) if viewed is None else frozenset(viewed)
    if along is None:
        also = Also(_sampling(settings, DETAIL_WIDTH), partial(view_of, settings=settings), viewed,
                    keep=kept_on_disk)
    else:
        also = Also((_sampling(settings, DETAIL_WIDTH), AlongSampling(along[0])),
                    partial(view_and_along, settings=settings, along=along[0], then=along[1]), viewed,
                    keep=kept_on_disk)
    analysed = analyse_shots(shots, sample_settings, executor, cache, progress, also=also)
    views = {a.shot.index: a.extra for a in analysed if a.extra is not None}
    missing = [a.shot for a in analysed if a.shot.index in viewed and a.cached]
    if missing:
        views.update(shot_views(missing, executor, settings))
    return analysed, views


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
                views[index] = kept_on_disk(view)
    return views
