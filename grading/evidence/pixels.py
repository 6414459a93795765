"""Evidence from pixels two shots share as reframings of one picture (crops, push-ins, pans):
the similarity alignment and shared pixels of :mod:`cinegrade.correspondence.align`, the drift
fitted on them (:func:`cinegrade.colour.drift.fit_drift_parameters`). The strongest evidence
there is: content cancels, so every component is found. Its standard error is the fit's formal
one inflated by :data:`ERROR_INFLATION` (neighbouring pixels are not independent) and floored by
:data:`ERROR_FLOOR` (measured on the generator's undrifted reframings).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from cinegrade.colour.drift import TO_COMPONENTS, fit_drift_parameters, plausible
from cinegrade.correspondence.align import MeasureSettings, ShotFeatures, alignments, shared_pixels, shot_features
from cinegrade.evidence.base import EvidenceSource, PairEvidence, ShotEvidenceInput, register_source

#: Frame pairs whose shared pixels are pooled.
MAX_ALIGNMENTS = 3
#: Per component (exposure stops, warmth, tint, log contrast, lift, log saturation).
ERROR_INFLATION = 10.0
ERROR_FLOOR = np.array([0.045, 0.004, 0.003, 0.02, 0.012, 0.008])
#: A fit looser than this in exposure (stops) is not of one picture's pixels: no evidence.
MAX_EXPOSURE_ERROR = 0.25


@dataclass(frozen=True)
class PixelShot:
    """A shot's frames (uint8 display R'G'B') and their ORB features."""

    frames8: tuple[np.ndarray, ...]
    features: ShotFeatures


@register_source
class SharedPixelEvidence(EvidenceSource):
    """Evidence from aligned shared pixels (see the module docstring). Uses the view's features
    when the shot input carries them (``extra["features"]``)."""

    name = "shared-pixels"
    family = "correspondence"

    def describe(self, shot: ShotEvidenceInput) -> PixelShot | None:
        if not shot.frames8:
            return None
        features = shot.extra.get("features") or shot_features(shot.frames, MeasureSettings())
        return PixelShot(shot.frames8, features)

    def compare(self, a: PixelShot | None, b: PixelShot | None) -> PairEvidence | None:
        if a is None or b is None:
            return None
        settings = MeasureSettings()
        with warnings.catch_warnings():  # RANSAC warns for every frame pair it cannot fit
            warnings.simplefilter("ignore")
            found = alignments(a.features, b.features, settings)
        pairs_a, pairs_b = [], []
        for alignment in found[:MAX_ALIGNMENTS]:
            shared = shared_pixels(a.frames8[alignment.frame_a].astype(np.float32) / 255,
                                   b.frames8[alignment.frame_b].astype(np.float32) / 255,
                                   np.asarray(alignment.matrix), settings)
            if shared is not None:
                pairs_a.append(shared[0])
                pairs_b.append(shared[1])
        if not pairs_a:
            return None
        pa, pb = np.concatenate(pairs_a), np.concatenate(pairs_b)
        fitted = fit_drift_parameters(pa, pb)
        if fitted is None or not plausible(fitted[0]):
            return None
        parameters, covariance = fitted
        formal = np.sqrt(np.maximum(np.diag(TO_COMPONENTS @ covariance @ TO_COMPONENTS.T), 0))
        error = np.hypot(ERROR_INFLATION * formal, ERROR_FLOOR)
        if error[0] > MAX_EXPOSURE_ERROR:
            return None  # pixels of one picture fit tightly; a loose fit is of other things
        return PairEvidence(self.name, tuple(float(v) for v in TO_COMPONENTS @ parameters),
                            tuple(float(v) for v in error), support=len(pa), unit="pixels",
                            note=f"{len(pa)} shared pixels")
