"""Frames of one shot compared on the pixels they share: the drift of each sampled frame from the
shot's first frames (:mod:`cinegrade.analysis.along` samples them and fits the creep; this is the
comparison it is handed, a :data:`~cinegrade.analysis.along.FrameDrift`).

A shot's frames share most of their content, so the aligned fit that measures cuts works here:
ORB keypoints, a similarity by RANSAC, the shared flat, unclipped, correlating pixels pooled over
the reference frames (:func:`~cinegrade.correspondence.align.pooled_shared_pixels`), the drift
model fitted there (:func:`~cinegrade.colour.drift.fit_drift_parameters`). Matching can use it
for any two sets of frames of one shot.

Frames: display-referred Rec.709 R'G'B' float (H, W, 3) in [0, 1], one size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from cinegrade.analysis.along import AlongFrames, AlongShot, measure_along
from cinegrade.colour.drift import COMPONENTS, components_of, fit_drift_parameters, plausible
from cinegrade.correspondence.align import (
    MeasureSettings,
    ShotFeatures,
    pooled_shared_pixels,
    shot_features,
)

#: Alignment inside one shot: OpenCV's ORB at 800 keypoints (the frames of one shot align
#: easily; half the time of the cuts' 1600) and the cut measure's other settings as they were
#: when the within-shot thresholds and errors were measured — pinned here, so that tuning the
#: cut measure does not move them (at 1600 keypoints bikes.mp4's tracking shot, whose content
#: leaves the start's, aligns more of its frames directly, on little shared content, and reads
#: black-level creeps that are not there).
ALONG_MEASURE = MeasureSettings(keypoints=800, min_inliers=10, residual=1 / 160, min_overlap=0.04,
                                min_agreement=0.3, detector="orb")
#: Largest change of log contrast and of lift (display) between two frames of one shot that is
#: read as a drift: beyond, the fit has traded gains, contrast and lift on content that spans
#: few tones or moved (bikes.mp4's tracking shot fits ×2.6 contrast and 0.3 lift on undrifted
#: frames), and the frame goes unmeasured or is chained through a nearer one.
WITHIN_SHOT_LIMITS = {"log_contrast": 0.4, "lift": 0.1}
#: Most pixel pairs one frame's fit uses (an even stride through the pooled pairs): the fit
#: dominates the measurement's time, and 4000 pairs of one picture pin the drift to ~0.005 stop.
FIT_PIXELS = 4000

#: A drift fit's parameter covariance (6, 6) → standard errors (6,) of the
#: :data:`~cinegrade.colour.drift.COMPONENTS` (the caller's calibration, e.g.
#: :func:`cinegrade.continuity.creep.frame_errors`).
Errors = Callable[[np.ndarray], np.ndarray]


class SharedPixelDrift:
    """A :data:`cinegrade.analysis.along.FrameDrift` over one shot's sampled frames: the drift of
    frame ``index`` relative to frames ``reference`` on the pixels they share (see the module
    docstring), as components (6,) and standard errors (6,) by ``errors``, or None when they
    share too little, the fit fails, runs to a bound or changes contrast or lift beyond
    :data:`WITHIN_SHOT_LIMITS`. ORB features of every frame are computed once."""

    def __init__(self, frames: Sequence[np.ndarray], errors: Errors,
                 settings: MeasureSettings = ALONG_MEASURE):
        self.frames = tuple(np.asarray(f, dtype=np.float32) for f in frames)
        self.errors = errors
        self.settings = settings
        self.features = shot_features(self.frames, settings)

    def _subset(self, indices: Sequence[int]) -> ShotFeatures:
        return ShotFeatures(tuple(self.features.keypoints[i] for i in indices),
                            tuple(self.features.descriptors[i] for i in indices),
                            self.features.width)

    def __call__(self, reference: Sequence[int], index: int
                 ) -> tuple[np.ndarray, np.ndarray] | None:
        reference = [i for i in reference if i != index]
        if not reference:
            return None
        pooled = pooled_shared_pixels([self.frames[i] for i in reference], [self.frames[index]],
                                      self._subset(reference), self._subset([index]),
                                      count=len(reference), settings=self.settings)
        if pooled is None:
            return None
        step = max(1, len(pooled[0]) // FIT_PIXELS)
        fitted = fit_drift_parameters(pooled[0][::step], pooled[1][::step])
        if fitted is None or not plausible(fitted[0]):
            return None
        parameters, covariance = fitted
        components = components_of(parameters)
        if any(abs(components[COMPONENTS.index(name)]) > limit
               for name, limit in WITHIN_SHOT_LIMITS.items()):
            return None
        return components, np.asarray(self.errors(covariance), dtype=np.float64)


def measure_frames(frames: AlongFrames, errors: Errors,
                   settings: MeasureSettings = ALONG_MEASURE) -> AlongShot:
    """:func:`~cinegrade.analysis.along.measure_along` of ``frames`` with :class:`SharedPixelDrift`
    (its standard errors by ``errors``)."""
    return measure_along(frames, SharedPixelDrift(frames.frames, errors, settings))
