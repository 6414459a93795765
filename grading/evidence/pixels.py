"""Evidence from pixels two shots share as reframings of one picture (crops, push-ins, pans):
the similarity alignment and shared pixels of :mod:`cinegrade.correspondence.align`, the drift
fitted on them (:func:`cinegrade.colour.drift.fit_drift_parameters`). The strongest evidence
there is: content cancels, so every component is found. Its standard error is the fit's formal
one inflated by :data:`ERROR_INFLATION` (neighbouring pixels are not independent) and floored by
:data:`ERROR_FLOOR` (measured on the generator's undrifted reframings).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cinegrade.colour.drift import fit_drift_parameters, plausible
from cinegrade.correspondence.align import MeasureSettings, ShotFeatures, pooled_shared_pixels, shot_features
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


def _floats(frames8: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    return tuple(f.astype(np.float32) / 255 for f in frames8)


@register_source
class SharedPixelEvidence(EvidenceSource):
    """Evidence from aligned shared pixels (see the module docstring). Uses the view's features
    when the shot input carries them (``extra["features"]``)."""

    name = "shared-pixels"
    family = "correspondence"

    def describe(self, shot: ShotEvidenceInput) -> PixelShot | None:
        from cinegrade.correspondence.views import VIEW_SETTINGS, reduced

        if not shot.frames8:
            return None
        # the alignment is made for the views' frames; larger ones are reduced to them
        frames8 = shot.extra.get("view8") or tuple(reduced(f, VIEW_SETTINGS.width) for f in shot.frames8)
        features = shot.extra.get("features") or shot_features(_floats(frames8), MeasureSettings())
        return PixelShot(frames8, features)

    def compare(self, a: PixelShot | None, b: PixelShot | None) -> PairEvidence | None:
        if a is None or b is None:
            return None
        pooled = pooled_shared_pixels(_floats(a.frames8), _floats(b.frames8), a.features, b.features,
                                      MAX_ALIGNMENTS)
        if pooled is None:
            return None
        pa, pb = pooled
        fitted = fit_drift_parameters(pa, pb)
        if fitted is None or not plausible(fitted[0]):
            return None
        parameters, covariance = fitted
        found = PairEvidence.fitted(self.name, parameters, covariance, ERROR_INFLATION, ERROR_FLOOR,
                                    len(pa), "pixels", f"{len(pa)} shared pixels")
        if found.error[0] > MAX_EXPOSURE_ERROR:
            return None  # pixels of one picture fit tightly; a loose fit is of other things
        return found
