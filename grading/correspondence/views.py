"""Shots → small views for correspondence: a few frames of each shot and their features, sampled
per media file through any ``concurrent.futures.Executor`` (each task a pure function of media
identity, ranges and settings), and their flicker on registered content. Continuity measures cuts
on them; matching fits corrections on them.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cinegrade.analysis.flicker import registered_flicker
from cinegrade.analysis.sampler import SampleSettings, sample_shots
from cinegrade.correspondence.align import MeasureSettings, ShotFeatures, shot_features
from cinegrade.timeline.shots import IMAGE_SEQUENCE, MOVIE, STILL, Shot

#: Frames compared across cuts: three per shot (at 1/6, 1/2, 5/6 of it) at 320 px — enough for
#: ORB to align a 2.6× close-up with its wide shot, small enough to stay fast — and a run of 12
#: consecutive frames at 160 px for flicker on registered content.
VIEW_SETTINGS = SampleSettings(samples=3, width=320, dense=12, dense_width=160)


@dataclass(frozen=True)
class ShotView:
    """A shot's small frames and their features. Frames are kept as 8-bit display-referred
    Rec.709 R'G'B' (H, W, 3) uint8 (a quarter of float32's memory; the source video is 8-bit
    anyway): :attr:`frames` gives them back as float32 in [0, 1]."""

    frames8: tuple[np.ndarray, ...]
    features: ShotFeatures
    #: frame-to-frame exposure wobble on registered content (stops RMS), None when not measured
    flicker: float | None = None

    @property
    def frames(self) -> tuple[np.ndarray, ...]:
        """The frames as float32 (H, W, 3) display-referred R'G'B' in [0, 1] (code / 255)."""
        return tuple(f.astype(np.float32) / 255 for f in self.frames8)

    @classmethod
    def of(cls, frames: Sequence[np.ndarray], features: ShotFeatures,
           flicker: float | None = None) -> ShotView:
        """A view of float frames (H, W, 3) in [0, 1] (clipped), rounded to 8-bit codes."""
        return cls(tuple(np.clip(np.asarray(f) * 255 + 0.5, 0, 255).astype(np.uint8)
                         for f in frames), features, flicker)


def view_group(shots: Sequence[Shot], settings: SampleSettings = VIEW_SETTINGS,
               measure: MeasureSettings = MeasureSettings()) -> list[tuple[int, ShotView | None]]:
    """Views of shots of one media file (one open): ``(shot.index, view or None)`` each, None
    where the media could not be sampled (the sampler never raises for bad media; ``ValueError``
    for shots of several files)."""
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
