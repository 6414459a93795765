"""Evidence from pixels two shots share as reframings of one picture (crops, push-ins, pans):
the similarity alignment and shared pixels of :mod:`cinegrade.correspondence.align`, the drift
fitted on them (:func:`cinegrade.colour.drift.fit_drift_parameters`). The strongest evidence
there is: content cancels, so every component is found. Its standard error is the fit's formal
one inflated by :data:`ERROR_INFLATION` (neighbouring pixels are not independent) and floored by
:data:`ERROR_FLOOR` (measured on the generator's undrifted reframings). Only frame pairs that are
one picture reframed count (:func:`~cinegrade.correspondence.align.is_reframing`): between
cameras apart a similarity alignment misregisters whatever parallax moves, and on the rendered
multi-angle scenes such pairs were off by 0.76 stop RMS against 0.05 claimed (z RMS 4–6). There
the pixels are evidence only with :data:`PARALLAX_FLOOR`, for the scene's joint solve.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cinegrade.colour.drift import fit_drift_parameters, plausible
from cinegrade.correspondence.align import (
    MeasureSettings,
    ShotFeatures,
    alignments,
    pooled_shared_pixels,
    shot_features,
)
from cinegrade.evidence.base import EvidenceSource, PairEvidence, ShotEvidenceInput, fitted_errors, register_source

#: Frame pairs whose shared pixels are pooled.
MAX_ALIGNMENTS = 3
#: Per component (exposure stops, warmth, tint, log contrast, lift, log saturation).
ERROR_INFLATION = 10.0
ERROR_FLOOR = np.array([0.045, 0.004, 0.003, 0.02, 0.012, 0.008])
#: The floor between cameras apart (:func:`~cinegrade.correspondence.align.is_reframing` false):
#: the robust spread (1.4826 × median absolute error) of the drifts fitted on the undrifted
#: multi-angle renders' 31 plausible such frame pairs (10–21 inliers; exposure error median
#: 0.22 stop, tails to 2.6), whose outliers the scene's robust solve outvotes.
PARALLAX_FLOOR = np.array([0.35, 0.15, 0.05, 0.25, 0.05, 0.2])
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
    version = 2

    def describe(self, shot: ShotEvidenceInput) -> PixelShot | None:
        if not shot.frames8:
            return None
        frames8 = shot.view8  # the alignment is made for the views' frames
        features = shot.extra.get("features") or shot_features(_floats(frames8), MeasureSettings())
        return PixelShot(frames8, features)

    def compare(self, a: PixelShot | None, b: PixelShot | None) -> PairEvidence | None:
        import warnings

        if a is None or b is None:
            return None
        frames_a, frames_b = _floats(a.frames8), _floats(b.frames8)
        with warnings.catch_warnings():  # RANSAC warns for every frame pair it cannot fit
            warnings.simplefilter("ignore")
            found = alignments(a.features, b.features)
        # one picture reframed first; else cameras apart, with the parallax floor
        for reframing_only, floor, kind in ((True, ERROR_FLOOR, "shared pixels"),
                                            (False, PARALLAX_FLOOR, "pixels of cameras apart")):
            pooled = pooled_shared_pixels(frames_a, frames_b, a.features, b.features, MAX_ALIGNMENTS,
                                          reframing_only=reframing_only, found=found)
            if pooled is None:
                continue
            pa, pb = pooled
            fitted = fit_drift_parameters(pa, pb)
            if fitted is None or not plausible(fitted[0]):
                return None
            parameters, covariance = fitted
            if fitted_errors(covariance, ERROR_INFLATION, ERROR_FLOOR)[0] > MAX_EXPOSURE_ERROR:
                return None  # pixels of one surface fit tightly; a loose fit is of other things
            return PairEvidence.fitted(self.name, parameters, covariance, ERROR_INFLATION, floor,
                                       len(pa), "pixels", f"{len(pa)} {kind}")
        return None
