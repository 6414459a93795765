"""Shots of one scene → the correction that makes each one look like the scene's reference.

Shots of one scene share a place and its light, not pixels (see DESIGN.md), so matching does not
transfer one shot's colour statistics onto another. It estimates *what the drift changed* and
undoes that, with one model of how a drift acts — the model continuity measures cuts with
(:func:`cinegrade.colour.drift.predict_drift`): von Kries cone gains in CAT02 on linear
light (white balance and exposure, CIE 159:2004), a power about 18 % grey (contrast; with the
gains also a display gamma), the BT.1886 encoding, a lift of black, saturation about Rec.709 luma.

Evidence, best first:

1. **Shared content** (``aligned``): ORB keypoints align a frame of the shot with a frame of the
   reference (:mod:`cinegrade.continuity.measure`); on the shared, flat, unclipped pixels whose
   neighbourhoods correlate, the drift is fitted by robust least squares
   (:func:`~cinegrade.colour.drift.fit_drift`). Content cancels, so every term is found. Only
   framings of one picture count (:func:`~cinegrade.correspondence.align.is_reframing`); shots
   from cameras apart are matched from their scene's evidence.
2. **Content shared through another shot** (``aligned`` with ``via``): a close-up that shares
   nothing with the reference but overlaps a medium shot that does is fitted against that shot,
   and corrected by undoing its own drift and then the medium shot's (:func:`match_via`).
3. **No shared content** (``global``): whole-shot statistics — the illuminant of the
   near-neutral surfaces (:func:`cinegrade.analysis.stats.estimate_illuminant`), median
   exposure, saturation — move with framing and content as much as with a drift, so they are
   taken only in small part (:data:`GLOBAL_SHRINK`, measured) and contrast and black level not at
   all. The confidence is low and the report says the match is uncertain.

Every estimate is clamped to plausible ranges (:data:`BOUNDS`), then scaled by confidence and
``strength`` toward no correction ("do no harm"). Method ``lut`` applies the exact inverse of the
fitted drift (baked later into a .cube); method ``cdl`` fits an ASC CDL v1.2 (slope, offset,
power, saturation) to that inverse on the shot's own pixels, so any grading system can carry it.

Pixels: display-referred Rec.709 R'G'B' float in [0, 1]; linear light is the BT.1886 EOTF
(a 2.4 power, :func:`cinegrade.colour.encodings.display_linear`); the drift model is
:mod:`cinegrade.colour.drift`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from cinegrade.analysis.stats import ShotStats
from cinegrade.colour.adaptation import WHITE_LMS, lms_of_xy, luminance_of_lms
from cinegrade.colour.cdl import CDL, apply_cdl
from cinegrade.colour.drift import drift_summary, fit_drift, parameters_of, undo_drift
from cinegrade.errors import ChoiceError, InputError, RangeError
from cinegrade.evidence.scene import PRIOR_ERROR

METHODS = ("cdl", "lut")
ALIGNED, GLOBAL, REFERENCE, NONE = "aligned", "global", "reference", "none"
#: Evidence: the scene's joint solve over every source (:mod:`cinegrade.evidence`)
SCENE = "scene"

#: Plausible drift parameters (log L, M, S cone gains, log contrast, lift, log saturation):
#: ±2.3 stops of exposure and white balance together, contrast ×/÷ 1.6, lift ±0.1, saturation
#: ×/÷ 2. An estimate outside is clamped (a fit that runs off is not believed further).
BOUNDS = (np.array([-1.6, -1.6, -1.6, -math.log(1.6), -0.1, -math.log(2.0)]),
          np.array([1.6, 1.6, 1.6, math.log(1.6), 0.1, math.log(2.0)]))
#: Shrink factors of the whole-shot (``global``) estimate, per parameter group (times
#: :data:`GLOBAL_CONFIDENCE`). Measured with ``benchmarks/match.py``'s scene sets (3 seeds): on
#: the 12 drifted real cuts of bikes.mp4 (uncorrected median / mean ΔE2000 3.21 / 3.98) and on
#: the 36 drifted framings with alignment switched off (3.60 / 4.09). Taking the near-neutral
#: illuminant, exposure and saturation in full made both worse (close-ups of skin and a
#: cartoon's coloured walls move the illuminant estimate by 45–150 mired); exposure from
#: median luminance was the riskiest term (a shot made worse by up to 1.5). These factors give
#: 3.17 / 3.80 on the cuts (3 of 12 worse, by at most 0.66) and 3.55 / 3.85 on the framings (5
#: of 36 worse, by at most 0.52); contrast and lift from whole frames only harm. So whole-shot
#: evidence buys little, and is used that little.
GLOBAL_SHRINK = {"white_balance": 0.25, "exposure": 0.1, "contrast": 0.0, "lift": 0.0,
                 "saturation": 0.2}
#: A whole-shot white-balance difference beyond this (mired) is content, not drift: ignored.
GLOBAL_MAX_MIRED = 50.0
#: Bounds of a whole-shot estimate (before the confidence scales it): log cone gains ±0.3,
#: saturation ×/÷ 1.2 — with :data:`GLOBAL_CONFIDENCE` at most ~0.2 stop, ~10 mired and ~9 %
#: of saturation applied, so a shot whose content differs from its reference is never pulled far.
GLOBAL_BOUNDS = (np.array([-0.3, -0.3, -0.3, 0.0, 0.0, -math.log(1.2)]),
                 np.array([0.3, 0.3, 0.3, 0.0, 0.0, math.log(1.2)]))
#: Confidence of a global match with full near-neutral evidence; an aligned one reaches 1.
GLOBAL_CONFIDENCE = 0.5
#: Shared pixel pairs for full confidence in an aligned fit.
FULL_EVIDENCE_PIXELS = 3000
#: Below this confidence the report calls a match uncertain.
UNCERTAIN = 0.6
#: Alignments (frame pairs) whose shared pixels are pooled for the fit.
MAX_ALIGNMENTS = 3


@dataclass(frozen=True)
class Match:
    """How one shot is corrected toward its scene's reference.

    ``drift``: the estimated drift reference → shot (see the module docstring for the six
    parameters), already clamped to :data:`BOUNDS`. ``confidence`` (0–1) and ``strength`` (0–1)
    scale it toward none; ``applied`` is what the correction undoes. ``cdl``: the fitted ASC CDL
    (method ``cdl`` only). ``evidence``: :data:`ALIGNED`, :data:`GLOBAL`, :data:`REFERENCE` (the
    shot is the reference) or :data:`NONE` (nothing to go on: no correction). ``via``: see below
    (:func:`match_via`); ``drift`` is then the drift from the ``via`` shot to this one.
    """

    shot_index: int
    clip_name: str
    scene: str | None
    reference_index: int | None
    reference_name: str | None
    method: str
    evidence: str
    drift: tuple[float, ...]
    confidence: float
    strength: float = 1.0
    cdl: CDL | None = None
    pixels: int = 0
    #: the match of the shot this one was aligned with, when it shares no content with the
    #: reference itself (shot → ``via`` shot → reference); None for a direct match
    via: Match | None = None
    #: the evidence sources the match rests on (evidence :data:`SCENE`), e.g. ("faces", "features")
    sources: tuple[str, ...] = ()

    @property
    def applied(self) -> np.ndarray:
        """The drift parameters (6,) float64 the correction undoes: ``drift`` × confidence ×
        strength."""
        return np.asarray(self.drift) * (self.confidence * self.strength)

    @property
    def uncertain(self) -> bool:
        """Whether the report calls the match uncertain: no evidence, or (not the reference)
        confidence below :data:`UNCERTAIN`."""
        return self.evidence == NONE or (self.evidence != REFERENCE and self.confidence < UNCERTAIN)

    @property
    def is_identity(self) -> bool:
        """Whether the correction changes nothing (method cdl: an identity or absent CDL)."""
        if self.method == "cdl":
            return self.cdl is None or self.cdl.is_identity
        return not np.any(self.applied) and (self.via is None or self.via.is_identity)

    def correct(self, rgb: np.ndarray) -> np.ndarray:
        """The shot's display-referred Rec.709 pixels (..., 3) corrected toward the reference,
        clipped to [0, 1], float64 (float32 for float32 input)."""
        if self.method == "cdl":
            return apply_cdl(rgb, self.cdl) if self.cdl is not None else np.asarray(rgb).copy()
        out = undo_drift(rgb, self.applied)
        return self.via.correct(out) if self.via is not None else out

    def summary(self) -> dict:
        """The match as plain numbers: exposure (stops), white balance (mired), contrast and
        saturation ratios, lift, of the drift found (reference → shot; through ``via``, the two
        steps' numbers combined: stops, mired and lift add, ratios multiply)."""
        numbers = drift_summary(np.asarray(self.drift))
        if self.via is not None:
            other = self.via.summary()
            for key in ("exposure_stops", "mired", "lift"):
                numbers[key] = round(numbers[key] + other[key], 4)
            for key in ("contrast", "saturation"):
                numbers[key] = round(numbers[key] * other[key], 4)
        return numbers | {
            "evidence": self.evidence, "confidence": round(self.confidence, 3),
            "uncertain": self.uncertain, "pixels": self.pixels,
            "via": self.via.clip_name if self.via is not None else None,
            "sources": list(self.sources) or [self.evidence]}


# --------------------------------------------------------------------------------------------
# The drift model and its inverse


def clamp_drift(parameters: Sequence[float]) -> np.ndarray:
    """Drift parameters (6,) clamped to :data:`BOUNDS`, float64.

    >>> clamp_drift([2.0, 0.0, -2.0, 0.0, 0.5, 0.0])
    array([ 1.6,  0. , -1.6,  0. ,  0.1,  0. ])
    """
    return np.clip(np.asarray(parameters, dtype=np.float64), *BOUNDS)


# --------------------------------------------------------------------------------------------
# Estimating the drift


def estimate_aligned(reference_frames: Sequence[np.ndarray], shot_frames: Sequence[np.ndarray],
                     reference_features=None, shot_features=None
                     ) -> tuple[np.ndarray, int] | None:
    """The drift reference → shot (6,) fitted on their shared content (clamped to
    :data:`BOUNDS`), and how many pixel pairs it rests on; None when the shots share no usable
    content. Frames: display-referred Rec.709 float (H, W, 3), one size per shot; features:
    :class:`~cinegrade.correspondence.align.ShotFeatures` of those frames (computed when not
    given). The shared pixels of the best :data:`MAX_ALIGNMENTS` frame pairs that are one
    picture reframed are pooled (:func:`~cinegrade.correspondence.align.is_reframing`): between
    cameras apart parallax misregisters them, and such shots are matched from their scene's
    evidence instead."""
    from cinegrade.correspondence.align import MeasureSettings, pooled_shared_pixels
    from cinegrade.correspondence.align import shot_features as features_of

    if not len(reference_frames) or not len(shot_frames):
        return None
    settings = MeasureSettings()
    reference_features = reference_features or features_of(reference_frames, settings)
    shot_features = shot_features or features_of(shot_frames, settings)
    pooled = pooled_shared_pixels(reference_frames, shot_frames, reference_features, shot_features,
                                  MAX_ALIGNMENTS, settings, reframing_only=True)
    if pooled is None:
        return None
    pa, pb = pooled
    fit = fit_drift(pa, pb)
    if fit is None:
        return None
    gains, saturation, contrast, lift = fit
    parameters = np.array([*np.log(gains), math.log(contrast), lift, math.log(saturation)])
    return clamp_drift(parameters), len(pa)


def estimate_global(reference: ShotStats, shot: ShotStats) -> tuple[np.ndarray, float] | None:
    """The drift reference → shot (6,) from whole-shot statistics alone, and its confidence
    (0–:data:`GLOBAL_CONFIDENCE`); None when either shot is not analysed or has no illuminant.

    White balance: the cone gains that take the reference's near-neutral illuminant to the
    shot's (white's luminance kept).
    Exposure (median luminance), contrast (spread of log luminance), black lift (1st percentile
    of luma) and saturation (mean chroma) also change with framing, so each is shrunk by
    :data:`GLOBAL_SHRINK`, white balance too (measured: the illuminant estimate moves with
    content more than its design hopes), and a white-balance jump beyond
    :data:`GLOBAL_MAX_MIRED` is taken as content, as is any illuminant of a shot without
    neutral surfaces (``illuminant_reliable`` false); the result is held within
    :data:`GLOBAL_BOUNDS`. Confidence: :data:`GLOBAL_CONFIDENCE` times the weaker near-neutral
    evidence of the two (as a share, saturating at 10 %).
    """
    if not reference.analysed or not shot.analysed or reference.illuminant_xy is None \
            or shot.illuminant_xy is None:
        return None
    gains = np.log(lms_of_xy(shot.illuminant_xy) / lms_of_xy(reference.illuminant_xy))
    gains -= _luminance_of_log_gains(gains)  # white balance only: keep white's luminance
    parameters = np.zeros(6)
    if shot.illuminant_reliable and reference.illuminant_reliable \
            and abs(shot.mired - reference.mired) <= GLOBAL_MAX_MIRED:
        parameters[:3] = GLOBAL_SHRINK["white_balance"] * gains
    if shot.exposure_stops is not None and reference.exposure_stops is not None:
        stops = GLOBAL_SHRINK["exposure"] * (shot.exposure_stops - reference.exposure_stops)
        parameters[:3] += stops * math.log(2.0)
    if shot.contrast and reference.contrast:
        parameters[3] = GLOBAL_SHRINK["contrast"] * math.log(shot.contrast / reference.contrast)
    if shot.luminance_display and reference.luminance_display:
        black = shot.luminance_display["p1"] - reference.luminance_display["p1"]
        parameters[4] = GLOBAL_SHRINK["lift"] * black
    if shot.saturation and reference.saturation:
        parameters[5] = GLOBAL_SHRINK["saturation"] * math.log(shot.saturation / reference.saturation)
    evidence = min(reference.neutral_share or 0.0, shot.neutral_share or 0.0)
    confidence = GLOBAL_CONFIDENCE * min(1.0, evidence / 0.1)
    return np.clip(parameters, *GLOBAL_BOUNDS), confidence


def _luminance_of_log_gains(log_gains: np.ndarray) -> float:
    """log of how much cone gains ``exp(log_gains)`` change the luminance of D65 white."""
    return math.log(luminance_of_lms(WHITE_LMS * np.exp(log_gains)) / luminance_of_lms(WHITE_LMS))


# --------------------------------------------------------------------------------------------
# CDL


def fit_cdl(correct, pixels: np.ndarray, lattice_weight: float = 0.3, metric=None) -> CDL:
    """The ASC CDL v1.2 (clamping, Rec.709 luma saturation) closest to ``correct`` (a function on
    display-referred Rec.709 RGB) on ``pixels`` (N, 3: the shot's own colours) plus a 9³ lattice
    of the whole cube weighted ``lattice_weight`` (so colours the samples miss stay sane), by
    least squares (SciPy's trust-region reflective solver) within the ranges a grading panel
    offers (slope 0.25–4, offset ±0.3, power 0.4–2.5, saturation 0.05–3). With ``metric`` (a
    function of the target colours (N, 3), clipped to [0, 1], giving (N, 3, 3) matrices that
    weigh each colour's R'G'B' residual, e.g. a linearised ΔE*ab), that fit is refined to least
    squares of the weighted residual. Values rounded to 6 decimals."""
    from scipy.optimize import least_squares

    pixels = np.asarray(pixels, dtype=np.float64).reshape(-1, 3)
    step = max(1, len(pixels) // 4000)
    axis = np.linspace(0.0, 1.0, 9)
    lattice = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), -1).reshape(-1, 3)
    inputs = np.concatenate([pixels[::step], lattice])
    weights = np.concatenate([np.ones(len(pixels[::step])),
                              np.full(len(lattice), lattice_weight * max(1, len(pixels[::step]))
                                      / len(lattice))])[:, None]
    target = np.asarray(correct(inputs), dtype=np.float64)
    sqrt_w = np.sqrt(weights)

    def cdl_of(x: np.ndarray) -> CDL:
        return CDL(tuple(np.exp(x[0:3])), tuple(x[3:6]), tuple(np.exp(x[6:9])), float(np.exp(x[9])))

    def residual(x: np.ndarray) -> np.ndarray:
        return ((apply_cdl(inputs, cdl_of(x)) - target) * sqrt_w).ravel()

    low = [math.log(0.25)] * 3 + [-0.3] * 3 + [math.log(0.4)] * 3 + [math.log(0.05)]
    high = [math.log(4.0)] * 3 + [0.3] * 3 + [math.log(2.5)] * 3 + [math.log(3.0)]
    scale = [0.1] * 3 + [0.02] * 3 + [0.1] * 4
    x = least_squares(residual, np.zeros(10), bounds=(low, high), max_nfev=200, x_scale=scale).x
    if metric is not None:
        target = np.clip(target, 0.0, 1.0)
        weighed = metric(target) * sqrt_w[:, :, None]

        def perceived(x: np.ndarray) -> np.ndarray:
            return np.einsum("nij,nj->ni", weighed, apply_cdl(inputs, cdl_of(x)) - target).ravel()

        x = least_squares(perceived, np.clip(x, np.add(low, 1e-9), np.subtract(high, 1e-9)),
                          bounds=(low, high), max_nfev=200, x_scale=scale).x
    cdl = cdl_of(x)
    return CDL(tuple(round(v, 6) for v in cdl.slope), tuple(round(v, 6) + 0.0 for v in cdl.offset),
               tuple(round(v, 6) for v in cdl.power), round(cdl.saturation, 6))


# --------------------------------------------------------------------------------------------
# Whole scenes


def match_shot(shot_index: int, clip_name: str, scene: str | None, reference_index: int | None,
               reference_name: str | None, method: str = "lut", strength: float = 1.0, *,
               frames: Sequence[np.ndarray] = (), reference_frames: Sequence[np.ndarray] = (),
               stats: ShotStats | None = None, reference_stats: ShotStats | None = None,
               features=None, reference_features=None) -> Match:
    """The :class:`Match` of one shot against its reference (frames display-referred Rec.709
    float (H, W, 3) in [0, 1]: a few of each shot, as
    :func:`cinegrade.correspondence.views.shot_views` samples them). Evidence: shared content,
    else the statistics, else none. The shot that is its own reference gets evidence
    :data:`REFERENCE`; no reference at all, :data:`NONE`.

    :class:`~cinegrade.errors.ChoiceError` (field ``method``) for a method not in
    :data:`METHODS`; :class:`~cinegrade.errors.RangeError` (field ``strength``) outside 0..1.
    """
    if method not in METHODS:
        raise ChoiceError("method", method, METHODS)
    if not 0.0 <= strength <= 1.0:
        raise RangeError("strength", strength, 0, 1)
    common = dict(shot_index=shot_index, clip_name=clip_name, scene=scene,
                  reference_index=reference_index, reference_name=reference_name, method=method,
                  strength=float(strength))
    if reference_index is None or reference_index == shot_index:
        return Match(**common, evidence=REFERENCE if reference_index is not None else NONE,
                     drift=(0.0,) * 6, confidence=1.0 if reference_index is not None else 0.0)
    evidence, drift, confidence, pixels = NONE, np.zeros(6), 0.0, 0
    aligned = estimate_aligned(reference_frames, frames, reference_features, features)
    if aligned is not None:
        drift, pixels = aligned
        evidence, confidence = ALIGNED, min(1.0, pixels / FULL_EVIDENCE_PIXELS)
    elif stats is not None and reference_stats is not None:
        found = estimate_global(reference_stats, stats)
        if found is not None:
            drift, confidence = found
            evidence = GLOBAL
    match = Match(**common, evidence=evidence, drift=tuple(float(v) for v in drift),
                  confidence=float(confidence), pixels=int(pixels))
    if method == "cdl":
        samples = np.concatenate([np.asarray(f, dtype=np.float64).reshape(-1, 3) for f in frames]) \
            if len(frames) else np.zeros((0, 3))
        lut_match = Match(**{**common, "method": "lut"}, evidence=evidence, drift=match.drift,
                          confidence=match.confidence, pixels=match.pixels)
        cdl = fit_cdl(lut_match.correct, samples) if not lut_match.is_identity else CDL()
        match = Match(**common, evidence=evidence, drift=match.drift, confidence=match.confidence,
                      cdl=cdl, pixels=match.pixels)
    return match


def match_via(match: Match, via: Match, frames: Sequence[np.ndarray],
              via_frames: Sequence[np.ndarray], features=None, via_features=None) -> Match | None:
    """``match`` (a shot that shares no content with its reference) redone through ``via``, the
    aligned match of another shot of the scene that it does share content with: the drift
    ``via`` shot → this shot is fitted on their shared pixels, and the correction undoes it and
    then applies ``via``'s correction. Confidence: the weaker of the two. None when the two
    shots share no usable content either. Frames: display-referred Rec.709."""
    if via.evidence not in (ALIGNED, REFERENCE) or via.via is not None:
        return None
    aligned = estimate_aligned(via_frames, frames, via_features, features)
    if aligned is None:
        return None
    drift, pixels = aligned
    via_lut = Match(**{**via.__dict__, "method": "lut", "cdl": None})
    chained = Match(match.shot_index, match.clip_name, match.scene, match.reference_index,
                    match.reference_name, "lut", ALIGNED, tuple(float(v) for v in drift),
                    min(1.0, pixels / FULL_EVIDENCE_PIXELS, via.confidence), match.strength,
                    pixels=int(pixels), via=via_lut if via.evidence != REFERENCE else None)
    if match.method == "cdl":
        samples = np.concatenate([np.asarray(f, dtype=np.float64).reshape(-1, 3) for f in frames])
        chained = Match(**{**chained.__dict__, "method": "cdl", "cdl": fit_cdl(chained.correct, samples)})
    return chained


#: A scene match corrects each component by what the garrote (:func:`shrunk`) leaves of it at
#: this many standard errors: none below, nearly all of a drift that stands well clear (a drift
#: of z errors keeps 1 − (1.5 / z)² of itself). Measured with benchmarks/match.py (median
#: ΔE2000 of the drifted shots; worse: by more than 0.25; the errors of per-shot readings
#: counted once, :func:`cinegrade.evidence.scene.solve_scene`): on the multi-angle renders
#: (uncorrected 6.12) 3.42, against 4.36 when 1.5 errors were subtracted (soft thresholding,
#: which undid a 94-mired drift measured at ±30 mired by half), 1 of 32 worse in both (a dark
#: shot, 1.98 → 2.30), no undrifted shot harmed; on bikes.mp4's real cuts (7.51) 6.51 against
#: 6.60, none of 31 worse; framings unchanged. A garrote at 1.75 gave 3.89, at 2.0 4.34; at
#: 1.25, 3.17 but two undrifted shots made worse (up to 0.78): no harm comes first.
SCENE_THRESHOLD = 1.5


def shrunk(size, error, z: float = 1.0):
    """``size`` (a number or an array) shrunk toward none by its standard ``error`` (same shape,
    or a number), with the non-negative garrote at ``z`` standard errors: size · max(0, 1 −
    (z · error / size)²). Nothing is kept of a size within ``z`` errors of none, nearly all of
    one far beyond: continuous like soft thresholding (which subtracts ``z`` errors) without its
    bias on large sizes. At ``z`` = 1 the factor 1 − 1/(size/error)² is the one that minimises
    the expected squared error when the size's own spread is estimated by size² − error².
    References: Breiman, L. (1995), "Better subset regression using the nonnegative garrote",
    Technometrics 37(4); Gao, H.-Y. (1998), "Wavelet shrinkage denoising using the
    non-negative garrote", J. Comput. Graph. Stat. 7(4).

    >>> shrunk(0.5, 0.05), round(shrunk(0.1, 0.05), 6), shrunk(0.04, 0.05)
    (0.495, 0.075, 0.0)
    >>> [round(float(v), 3) for v in shrunk(np.array([0.5, 0.2, -0.1]), 0.1, z=1.5)]
    [0.455, 0.087, -0.0]
    """
    size = np.asarray(size, dtype=np.float64)
    limit = z * np.asarray(error, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(np.abs(size) > limit, 1.0 - (limit / np.abs(size)) ** 2, 0.0)
    kept = size * factor
    return float(kept) if kept.ndim == 0 else kept


def scene_correction(components: Sequence[float], error: Sequence[float],
                     covariance: np.ndarray | None = None) -> tuple[np.ndarray, float] | None:
    """The correction a scene's joint solve (:func:`cinegrade.evidence.scene.solve_scene`) gives a
    shot: ``components`` (6,) its posterior drift from the reference in
    :data:`~cinegrade.colour.drift.COMPONENTS` (already shrunk toward none by the prior where
    evidence is weak), ``error`` (6,) their standard errors (``inf``: no evidence), and their
    ``covariance`` (6, 6) where known. Returns (drift parameters (6,)
    :data:`~cinegrade.colour.drift.PARAMETERS`, confidence), the drift such that drift ×
    confidence is what is undone, or None when no component is informed. Confidence: the mean
    share of the prior's variance the evidence removed, over the components it informs.

    "Do no harm": the posterior is shrunk by the garrote at :data:`SCENE_THRESHOLD` standard
    errors (:func:`shrunk`), so a shot whose evidence is noise is left alone and a drift that
    stands clear of its error is undone nearly whole — along the principal axes of the
    covariance of the informed components (per component without one), so a combination the
    evidence knows well (exposure with contrast, on few tones) is kept where each alone is not.

    >>> drift, confidence = scene_correction([0.5, 0, 0, 0, 0, 0], [0.1] + [float("inf")] * 5)
    >>> from cinegrade.colour.drift import components_of
    >>> round(float(components_of(drift * confidence)[0]), 3)  # 0.5 × (1 − (1.5 / 5)²)
    0.455
    """
    error = np.asarray(error, dtype=np.float64)
    informed = np.isfinite(error)
    if not informed.any():
        return None
    explained = 1.0 - np.minimum(1.0, (error[informed] / PRIOR_ERROR[informed]) ** 2)
    confidence = float(np.clip(np.mean(explained), 0.05, 1.0))
    posterior = np.where(informed, np.asarray(components, dtype=np.float64), 0.0)
    if covariance is None:
        axes, spread = np.eye(int(informed.sum())), error[informed]
    else:
        block = np.asarray(covariance, dtype=np.float64)[np.ix_(informed, informed)]
        variances, axes = np.linalg.eigh((block + block.T) / 2)
        spread = np.sqrt(np.maximum(variances, 0.0))
    posterior[informed] = axes @ shrunk(axes.T @ posterior[informed], spread, SCENE_THRESHOLD)
    return clamp_drift(parameters_of(posterior) / confidence), confidence


def match_scene(match: Match, components: Sequence[float], error: Sequence[float],
                sources: Sequence[str], frames: Sequence[np.ndarray] = (),
                covariance: np.ndarray | None = None) -> Match:
    """``match`` redone from its scene's joint solve: the correction of
    :func:`scene_correction`, so that :attr:`Match.applied` is the thresholded posterior (times
    strength). Frames (display-referred Rec.709 float) are the shot's own, for a CDL fit.
    ``match`` is returned as it was when no component is informed."""
    found = scene_correction(components, error, covariance)
    if found is None:
        return match
    drift, confidence = found
    common = dict(shot_index=match.shot_index, clip_name=match.clip_name, scene=match.scene,
                  reference_index=match.reference_index, reference_name=match.reference_name,
                  strength=match.strength, evidence=SCENE, drift=tuple(float(v) for v in drift),
                  confidence=confidence, sources=tuple(sources))
    found = Match(**common, method="lut")
    if match.method == "cdl":
        samples = np.concatenate([np.asarray(f, dtype=np.float64).reshape(-1, 3) for f in frames]) \
            if len(frames) else np.zeros((0, 3))
        cdl = fit_cdl(found.correct, samples) if not found.is_identity else CDL()
        found = Match(**common, method="cdl", cdl=cdl)
    return found


#: Added to the distance from the scene's median look of a shot whose illuminant is unreliable
#: (in the units of :func:`scene_median_reference`: half of 10 mired).
UNRELIABLE_REFERENCE_PENALTY = 0.5


def scene_median_reference(candidates: Sequence[int], stats: Mapping[int, ShotStats]) -> int | None:
    """The shot nearest the scene's median look: exposure (per 0.25 stop), white balance (per
    10 mired, where the illuminant is reliable), saturation and contrast (per 10 %), the
    distance over the statistics both have; a shot whose illuminant is unreliable is a poorer
    reference for white balance and pays :data:`UNRELIABLE_REFERENCE_PENALTY`.
    Shots without statistics are never chosen unless none has any (then the first)."""
    analysed = [i for i in candidates if i in stats and stats[i].analysed]
    if not analysed:
        return candidates[0] if candidates else None

    def features(s: ShotStats) -> list[float]:
        mired = s.mired / 10.0 if s.illuminant_reliable else math.nan
        return [(s.exposure_stops or 0.0) / 0.25, mired,
                math.log(max(s.saturation or 1e-3, 1e-3)) / 0.1,
                math.log(max(s.contrast or 1e-3, 1e-3)) / 0.1]

    values = np.array([features(stats[i]) for i in analysed])
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no shot with a reliable illuminant
        median = np.nanmedian(values, axis=0)
    distance = np.sqrt(np.nansum((values - median) ** 2, axis=1))
    distance += np.isnan(values[:, 1]) * UNRELIABLE_REFERENCE_PENALTY
    return analysed[int(np.argmin(distance))]


def choose_references(shot_names: Mapping[int, str], scenes: Mapping[int, str],
                      stats: Mapping[int, ShotStats], reference_clip: str | None = None,
                      marked: Sequence[int] = ()) -> dict[str, int | None]:
    """The reference shot of each scene, by scene label: the shot of clip ``reference_clip``
    (``--reference``) in its scene, else a shot marked "reference", else the shot nearest the
    scene's median (:func:`scene_median_reference`). An unknown ``reference_clip`` is an
    :class:`InputError` (field ``reference``). A clip name used in several scenes is the
    reference of each of them."""
    by_scene: dict[str, list[int]] = {}
    for index in sorted(scenes):
        by_scene.setdefault(scenes[index], []).append(index)
    chosen: dict[str, int | None] = {}
    if reference_clip is not None:
        named = [i for i, name in shot_names.items() if name == reference_clip]
        if not named:
            known = ", ".join(sorted(set(shot_names.values()))[:10])
            raise InputError(f"{{field}} {reference_clip!r} is no clip of the timeline (clips: {known})",
                             field="reference")
        for index in named:
            chosen.setdefault(scenes[index], index)
    for index in marked:
        if index in scenes:
            chosen.setdefault(scenes[index], index)
    for scene, members in by_scene.items():
        if scene not in chosen:
            chosen[scene] = scene_median_reference(members, stats)
    return chosen


