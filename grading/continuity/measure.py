"""Two shots either side of a cut → how far the second is off from the first (pure; no I/O).

Shots of one scene share a place and its light, not pixels: a close-up and a wide shot of one
room differ in mean colour without any drift. So a cut is measured on what the two shots share:

1. **Alignment** (:mod:`cinegrade.correspondence.align`). Of the frame pairs with at least half
   the best pair's inliers, the one nearest the cut (A's last frames, B's first) is measured;
   with fewer than ``MeasureSettings.min_inliers`` the shots share no matched content.
2. **Shared pixels** (:func:`cinegrade.correspondence.align.shared_pixels`): the second shot
   warped onto the first, on flat, unclipped pixels whose neighbourhoods correlate.
3. **What a drift changes**, fitted on those pixel pairs so that content cancels
   (:func:`cinegrade.colour.drift.fit_drift`): one model of how a drift acts — von Kries cone gains in CAT02 (CIE
   159:2004) on linear light for white balance and exposure, a power about 18 % grey for
   contrast, a lift of black, saturation about Rec.709 luma — fitted by robust least squares.
   Each term changes pixels in its own way (a gain whatever the pixel, saturation with its
   chroma, contrast with its distance from grey, lift with its darkness), so the shared content
   separates them, where frame means cannot. Exposure is the gains' effect on white's luminance
   (stops), white balance how far they move D65 (mired, CCT by Ohno 2013); overall difference
   is the median CIEDE2000 (CIE 142-2001) between the pairs.

Without shared content the cut falls back to whole-shot statistics
(:class:`cinegrade.analysis.stats.ShotStats`), marked ``method="global"``: continuity rules
only hint at those (they move with framing alone).

Pixels: display-referred Rec.709 R'G'B' float (H, W, 3) in [0, 1]; linear light is the BT.1886
EOTF (:func:`cinegrade.colour.encodings.display_linear`); the drift model is
:mod:`cinegrade.colour.drift`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cinegrade.analysis.stats import ShotStats
from cinegrade.colour.difference import delta_e_2000
from cinegrade.colour.drift import fit_drift, gains_exposure_mired, grey_exposure, parameters_of
from cinegrade.correspondence.align import (
    MeasureSettings,
    ShotFeatures,
    alignments,
    is_reframing,
    shared_pixels,
    shot_features,
)

ALIGNED, GLOBAL, SCENE = "aligned", "global", "scene"


@dataclass(frozen=True)
class CutMeasure:
    """How shot B (after the cut) differs from shot A (before it); ``None`` where not measured.

    ``exposure_stops``: B − A, stops of linear light. ``mired``: B − A illuminant, mired (positive
    = B warmer). ``saturation_ratio``: B / A chroma. ``contrast_ratio``: B / A spread of log
    luminance. ``black_level``: B − A display luma at black (aligned: the fitted lift; global:
    the difference of 1st-percentile luma). ``delta_e``: median CIEDE2000 between shared pixels
    (aligned only). ``overlap``: share of A's frame B covers. ``inliers``, ``pixels``: matched
    keypoints and pixel pairs the aligned measure rests on. ``method``: :data:`ALIGNED`,
    :data:`GLOBAL`, or :data:`SCENE` (no shared pixels: read from the scene's joint solve over
    every evidence source, :func:`measure_from_scene`). ``errors``: standard errors of the
    :data:`SCENE` measure by field name (ratios as natural logs); ``sources``: the evidence
    sources it rests on.
    """

    method: str
    exposure_stops: float | None = None
    mired: float | None = None
    saturation_ratio: float | None = None
    contrast_ratio: float | None = None
    black_level: float | None = None
    delta_e: float | None = None
    overlap: float = 0.0
    inliers: int = 0
    pixels: int = 0
    errors: dict[str, float] | None = None
    sources: tuple[str, ...] = ()

    @property
    def aligned(self) -> bool:
        """Whether the cut was measured on shared content (:data:`ALIGNED`)."""
        return self.method == ALIGNED

    def to_json(self) -> dict:
        """The fields as a JSON-ready dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> CutMeasure:
        """What :meth:`to_json` gave."""
        return cls(**{**data, "sources": tuple(data.get("sources", ()))})

    def error(self, name: str) -> float | None:
        """The standard error of field ``name`` (:data:`SCENE` measures; ratios as natural
        logs), None when not known."""
        return None if self.errors is None else self.errors.get(name)


def measure_cut(frames_a: Sequence[np.ndarray], frames_b: Sequence[np.ndarray],
                stats_a: ShotStats | None = None, stats_b: ShotStats | None = None,
                features_a: ShotFeatures | None = None, features_b: ShotFeatures | None = None,
                settings: MeasureSettings = MeasureSettings()) -> CutMeasure:
    """How shot B differs from shot A (see the module docstring): on aligned shared pixels when
    the shots share content, else from the whole-shot statistics (``None`` fields when those are
    missing too). Frames: display-referred Rec.709 float (H, W, 3) in [0, 1], one size per shot;
    features computed from them when not given. Of the well-supported alignments, the three
    nearest the cut are tried in turn."""
    if len(frames_a) and len(frames_b):
        features_a = features_a or shot_features(frames_a, settings)
        features_b = features_b or shot_features(frames_b, settings)
        found = alignments(features_a, features_b, settings)
        # what the viewer sees is the end of A against the start of B: among well-supported
        # alignments, the frames nearest the cut come first (a continuous scene's light and
        # content move on over a shot)
        strong = [a for a in found if found and a.inliers >= 0.5 * found[0].inliers]
        strong.sort(key=lambda a: (len(frames_a) - 1 - a.frame_a + a.frame_b, -a.inliers))
        for alignment in strong[:3]:
            measured = measure_aligned(frames_a[alignment.frame_a], frames_b[alignment.frame_b],
                                       np.asarray(alignment.matrix), settings, alignment.inliers)
            if measured is not None:
                return dataclasses.replace(measured, inliers=alignment.inliers)
    return measure_global(stats_a, stats_b)


def measure_global(stats_a: ShotStats | None, stats_b: ShotStats | None) -> CutMeasure:
    """A cut from whole-shot statistics alone (no shared content known): differences of median
    exposure, illuminant mired, display chroma, log-luminance spread and black luma (p1)."""
    if stats_a is None or stats_b is None or not stats_a.analysed or not stats_b.analysed:
        return CutMeasure(GLOBAL)

    def difference(name: str) -> float | None:
        x, y = getattr(stats_a, name), getattr(stats_b, name)
        return None if x is None or y is None else float(y - x)

    def ratio(name: str) -> float | None:
        x, y = getattr(stats_a, name), getattr(stats_b, name)
        return None if x is None or y is None or x <= 1e-6 else float(y / x)

    black = None
    if stats_a.luminance_display and stats_b.luminance_display:
        black = float(stats_b.luminance_display["p1"] - stats_a.luminance_display["p1"])
    return CutMeasure(GLOBAL, exposure_stops=difference("exposure_stops"),
                      mired=difference("mired"), saturation_ratio=ratio("saturation"),
                      contrast_ratio=ratio("contrast"), black_level=black)


def measure_from_scene(drift: Sequence[float], error: Sequence[float], sources: Sequence[str],
                       covariance: np.ndarray | None = None) -> CutMeasure:
    """A cut read from its scene's joint solve: ``drift`` (6,) B relative to A in
    :data:`~cinegrade.colour.drift.COMPONENTS` with standard errors ``error`` (6,) (``inf``:
    unknown, that field left None). White balance in mired from warmth and tint (the gains'
    effect on D65, :func:`~cinegrade.colour.drift.gains_exposure_mired`), its error by the same
    map's slope. With the drift's ``covariance`` (6, 6) and contrast and lift known, exposure is
    read at 18 % grey (:func:`~cinegrade.colour.drift.grey_exposure`: what a viewer sees get
    brighter), its error through the covariance — far tighter than the gains' own exposure where
    the evidence trades exposure against contrast and lift.

    >>> m = measure_from_scene([0.5, 0, 0, 0, 0.05, 0], [0.1, 0.02, 0.01, math.inf, 0.01, math.inf], ["x"])
    >>> m.exposure_stops, m.black_level, m.saturation_ratio, round(m.mired, 6) + 0.0
    (0.5, 0.05, None, 0.0)
    """
    drift, error = np.asarray(drift, dtype=np.float64), np.asarray(error, dtype=np.float64)
    known = np.isfinite(error)
    errors: dict[str, float] = {}
    values: dict[str, float | None] = {}
    if known[0] and covariance is not None and known[3] and known[4]:
        exposure, gradient = grey_exposure(drift), np.zeros(len(drift))
        for k in range(len(drift)):
            step = np.zeros(len(drift))
            step[k] = 1e-4
            gradient[k] = (grey_exposure(drift + step) - grey_exposure(drift - step)) / 2e-4
        gradient = np.where(known, gradient, 0.0)
        spread = float(np.sqrt(max(0.0, gradient @ np.asarray(covariance, dtype=np.float64) @ gradient)))
        values["exposure_stops"], errors["exposure_stops"] = float(exposure), spread
    elif known[0]:
        values["exposure_stops"], errors["exposure_stops"] = float(drift[0]), float(error[0])
    if known[1] and known[2]:
        white = np.array([0.0, drift[1], drift[2], 0.0, 0.0, 0.0])
        mired = gains_exposure_mired(np.exp(parameters_of(white)[:3]))[1]
        step = np.array([0.0, 0.01, 0.0, 0.0, 0.0, 0.0])
        slope = abs(gains_exposure_mired(np.exp(parameters_of(step)[:3]))[1]) / 0.01
        values["mired"], errors["mired"] = float(mired), float(slope * error[1])
    if known[3]:
        values["contrast_ratio"], errors["contrast_ratio"] = float(math.exp(drift[3])), float(error[3])
    if known[4]:
        values["black_level"], errors["black_level"] = float(drift[4]), float(error[4])
    if known[5]:
        values["saturation_ratio"], errors["saturation_ratio"] = float(math.exp(drift[5])), float(error[5])
    return CutMeasure(SCENE, **values, errors=errors, sources=tuple(sources))


# --- aligned measurement ---------------------------------------------------------------------


def measure_aligned(frame_a: np.ndarray, frame_b: np.ndarray, matrix: np.ndarray,
                    settings: MeasureSettings = MeasureSettings(), inliers: int | None = None
                    ) -> CutMeasure | None:
    """Measure B against A on their :func:`shared_pixels`; ``matrix`` maps B's (x, y) onto A's.
    The white-balance change is read as how far the fitted cone gains move D65 (the Rec.709
    white, what the neutral surfaces of a balanced shot show), in mired. None when they share
    too few usable pixels, the fit fails, or — ``inliers``: the alignment's, when known — the
    frames are two cameras apart rather than one picture reframed (:func:`is_reframing`:
    parallax misregisters their pixels; the scene's evidence measures such cuts). Frames:
    display-referred Rec.709 float (H, W, 3); ``matrix``: (3, 3) homogeneous, pixel coordinates."""
    shared = shared_pixels(frame_a, frame_b, matrix, settings)
    if shared is None or (inliers is not None and not is_reframing(shared[3], inliers, settings)):
        return None
    pa, pb, overlap, _ = shared
    fit = fit_drift(pa, pb)
    if fit is None:
        return None
    cone_gains, saturation, power, lift = fit
    exposure, mired = gains_exposure_mired(cone_gains)
    delta_e = _delta_e(pa, pb)
    return CutMeasure(ALIGNED, exposure_stops=exposure, mired=float(mired),
                      saturation_ratio=saturation, contrast_ratio=power, black_level=lift,
                      delta_e=delta_e, overlap=overlap, pixels=len(pa))



def _delta_e(pa: np.ndarray, pb: np.ndarray) -> float:
    """Median CIEDE2000 between display-referred Rec.709 pixel pairs (CIELAB, D65): the median,
    so that what moved between the shots or is a pixel off does not count."""
    step = max(1, len(pa) // 20000)
    return float(np.median(delta_e_2000(pa[::step], pb[::step])))
