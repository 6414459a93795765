"""Frames of one shot → its colour statistics, in documented units (pure; no I/O).

Input frames are display-referred Rec.709 R'G'B' float (H, W, 3) in [0, 1], as
:func:`cinegrade.media.frames.rgb_from_frame` returns them. "Linear" below is the light
a reference display emits for them: the ITU-R BT.1886 EOTF with L_W = 1, L_B = 0 (a pure 2.4
power, :func:`~cinegrade.colour.encodings.display_linear`), the same decoding the drift generator
(:mod:`cinegrade.colour.drift`) applies before it changes exposure or white balance, so "one
stop" here is one stop there. (AI footage never went through a camera, so there is no camera
OETF to invert; for camera footage the values are display light, not scene light.)
Colorimetry: BT.709 primaries, D65 white, CIE 1931 2° observer (colour-science's
``ITU-R BT.709`` colourspace).

The statistics, with the JSON names of :meth:`ShotStats.to_json` (stable: other commands and
outside scripts read them):

``exposure_stops``
    log2(median linear luminance / 0.18): 0 is a median at 18 % grey, +1 twice as bright.
``luminance_display`` / ``luminance_linear``
    percentiles p1, p5, p50, p95, p99 of Rec.709 luma Y' = 0.2126 R' + 0.7152 G' + 0.0722 B'
    (ITU-R BT.709-6 item 3.2, on display-referred values) and of relative luminance Y (the same
    weights on linear RGB: the Y row of the BT.709 RGB→XYZ matrix).
``clip_high`` / ``clip_low``
    share of pixels with any channel ≥ :data:`CLIP_HIGH` (blown highlights) / all channels ≤
    :data:`CLIP_LOW` (crushed blacks), display values.
``cct_kelvin``, ``duv``, ``mired``, ``illuminant_xy``, ``neutral_share``, ``illuminant_reliable``
    the illuminant estimated from near-neutral pixels (:func:`estimate_illuminant`), its CIE 1931
    xy, its correlated colour temperature and distance from the Planckian locus in CIE 1960 uv
    (Ohno 2013), 10⁶ / CCT, the share of usable pixels the estimate rests on (evidence), and
    whether it can be trusted as the colour of the light (:attr:`Illuminant.reliable`): false
    when the near-neutrals are too few or their colour is no light source's (a frame of blue
    sky reads as 100 000 K). The numbers are kept either way — they still move with a
    white-balance drift — but absolute readings of an unreliable illuminant mean little.
``saturation``
    mean chroma about Rec.709 luma on display-encoded values: the mean over pixels of
    ‖R'G'B' − Y'·(1, 1, 1)‖ (Euclidean, Y' as above). This is the axis the ASC CDL saturation
    (ASC CDL v1.2) and the drift generator scale, so a saturation change by a factor s
    multiplies it by s (up to clipping): ratios of ``saturation`` between shots read directly
    as a CDL saturation.
``lab_chroma``
    mean CIELAB chroma C*ab (D65 reference white), the perceptual companion of ``saturation``.
``contrast``
    standard deviation of log2 linear luminance (stops), with luminance floored at
    :data:`LUMINANCE_FLOOR` so black noise does not dominate.
``lab_mean`` / ``lab_covariance``
    mean (L*, a*, b*) and its 3×3 covariance (CIE 1976 L*a*b*, D65).
``hue_histogram``
    :data:`HUE_BINS` bins of CIELAB hue angle h_ab (bin k covers [k, k+1)·360°/HUE_BINS),
    weighted by chroma C*ab and normalised to sum to 1 (all zero for a neutral shot).
``frame_exposure_stops`` / ``frame_mired``
    exposure and illuminant of each sampled frame, in order (the per-frame illuminant refines
    the shot's estimate on that frame's pixels: colour wobble within a shot).
``frame_count``, ``version``, ``analysed``, ``reason``
    frames measured; :data:`STATS_VERSION`; whether the shot was analysed, and if not why
    (then every statistic is ``null``).
``flicker``
    frame-to-frame exposure wobble (stops, RMS) from a run of consecutive frames
    (:func:`flicker_stops`), ``null`` without at least three such frames.

All statistics but the per-frame ones and ``flicker`` pool the pixels of all sampled frames, at
most :data:`STATS_MAX_PIXELS` of them (an even stride through each frame).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

import colour
import numpy as np

from cinegrade.colour.adaptation import D65_XY as _D65_XY
from cinegrade.colour.adaptation import LMS_TO_RGB as _LMS_TO_RGB
from cinegrade.colour.adaptation import LMS_TO_XYZ as _LMS_TO_XYZ
from cinegrade.colour.adaptation import RGB_TO_LMS
from cinegrade.colour.adaptation import WHITE_LMS as _D65_LMS
from cinegrade.colour.adaptation import lms_of_xy as _lms_from_xy
from cinegrade.colour.adaptation import xy_of_lms as _xy_from_lms
from cinegrade.colour.encodings import MID_GREY_LINEAR, REC709_LUMA, display_linear

#: Bump when a statistic's definition changes: cached results of other versions are ignored.
STATS_VERSION = 2

PERCENTILES = (1, 5, 50, 95, 99)
#: Display value at or above which a channel counts as clipped high (≈ 250/255).
CLIP_HIGH = 0.98
#: Display value at or below which all channels count as crushed (≈ 5/255).
CLIP_LOW = 0.02
#: Linear luminance floor for log measures: 2⁻¹² ≈ 9.5 stops below 18 % grey.
LUMINANCE_FLOOR = 2.0**-12
HUE_BINS = 24
#: Range of CCT reported (K): the span of the Planckian table behind Ohno's method.
CCT_RANGE = (1000.0, 100000.0)
#: Statistics use at most this many pixels (an even stride through each frame): percentiles,
#: means and covariances of 30 000 pixels are as good as of all of them, at a fraction of the
#: cost (5 frames 480 px wide hold 648 000). Measured with benchmarks/analysis_accuracy.py on
#: 320×180 H.264: the worst white-balance error per source moves by ±40 K between 30 000,
#: 45 000 and 60 000 pixels, none better everywhere (4:2:0 chroma of so small a frame is the
#: noise); at 640×360 it halves. Statistics take 20 ms a shot at 30 000, 29 ms at 60 000.
STATS_MAX_PIXELS = 30_000

_BT709 = colour.models.RGB_COLOURSPACE_BT709
# Linear BT.709 RGB → CAT02 LMS (:mod:`cinegrade.colour.adaptation`), where white balance is a
# per-channel gain (von Kries) and the illuminant estimate is therefore exactly equivariant.
_RGB_TO_LMS = RGB_TO_LMS.astype(np.float32)

#: Near-neutral thresholds (Euclidean distance in zero-mean log-LMS, ≈ relative chroma) of the
#: successive passes of the cluster search in :func:`estimate_illuminant`: coarse to fine. The
#: last is also the radius within which a pixel counts towards ``neutral_share``.
NEUTRAL_THRESHOLDS = (0.25, 0.15, 0.10, 0.10)
#: Width σ (log-LMS distance) of the Gaussian kernel of the final mean-shift: a smooth kernel has
#: one mode where a flat one stops anywhere on a plateau of near-neutral colours (measured on
#: scikit-image's motorcycle through H.264: 321 K off at 8000 K with the flat kernel, at most
#: 117 K over 4000-10000 K with this one; benchmarks/analysis_accuracy.py).
NEUTRAL_SIGMA = 0.07
#: Iterations of that mean-shift at most, and the step (log-LMS) below which it has converged.
#: It converges on the search's pixels, then over all candidates; a frame's estimate, which
#: starts from the shot's within a mired or two of its mode, takes a few steps only.
REFINE_ITERATIONS, REFINE_TOLERANCE, FRAME_REFINE_ITERATIONS = 12, 1e-4, 4
#: Luminance band of near-neutral candidates, relative to the frame's 95th percentile of
#: luminance (so an exposure change keeps the same pixels) — the darkest are noise, the
#: brightest the first to clip — and the absolute noise floor below which none counts.
NEUTRAL_DARK, NEUTRAL_BRIGHT, NEUTRAL_NOISE = 0.03, 0.9, 0.002
#: Pixels the search for near-neutral clusters looks at: an even stride through all pixels,
#: taken before the candidates are chosen, so that a drift, which changes which pixels are
#: candidates only near clipping, does not change which pixels the search sees.
SEARCH_PIXELS = 6_000
#: Another cluster of near-neutrals replaces the one found from grey world only when its
#: luminance-weighted support is this many times larger: a clear win, not a coin toss that a
#: small drift or reframing could flip.
CLUSTER_SWITCH = 1.5
#: White-balanced linear value (display ≈ 0.81) at or above which a pixel is left out of the
#: illuminant estimate: a highlight that clips after a drift of up to ±2500 K or so would
#: otherwise change the neutral set.
NEUTRAL_MAX_LINEAR = 0.6
#: With fewer candidate pixels than this the estimate is grey world (``neutral_share`` 0).
NEUTRAL_MIN_PIXELS = 50
#: An estimate is reliable (:attr:`Illuminant.reliable`) with at least this share of usable
#: pixels near it, a CCT inside this range (K: candle light to blue-sky shade, the span of real
#: light sources) and a Duv within this distance of the Planckian locus (the ANSI C78.377
#: quadrangles reach ±0.006, daylight sits near +0.003; 0.02 leaves room for tinted drifts).
RELIABLE_SHARE = 0.02
RELIABLE_CCT = (1500.0, 20000.0)
RELIABLE_DUV = 0.02


@dataclass(frozen=True)
class Illuminant:
    """An illuminant estimate: CIE 1931 xy, CCT (K), Duv, and the share of usable pixels it
    rests on (0 when there were none and the estimate fell back to grey world)."""

    xy: tuple[float, float]
    cct_kelvin: float
    duv: float
    neutral_share: float

    @property
    def mired(self) -> float:
        """Reciprocal colour temperature, 10⁶ / CCT (mired)."""
        return 1e6 / self.cct_kelvin

    @property
    def reliable(self) -> bool:
        """Whether the estimate can stand for the colour of the light: enough near-neutral
        evidence (:data:`RELIABLE_SHARE`) and a chromaticity that a light source can have
        (:data:`RELIABLE_CCT`, :data:`RELIABLE_DUV`). A scene without neutral surfaces — sky,
        sea, a red wall — fails the second test: its "illuminant" is its dominant colour."""
        low, high = RELIABLE_CCT
        return (self.neutral_share >= RELIABLE_SHARE and low <= self.cct_kelvin <= high
                and abs(self.duv) <= RELIABLE_DUV)


def illuminant_from_xy(xy: Sequence[float], neutral_share: float = 1.0) -> Illuminant:
    """CCT and Duv of a chromaticity by Ohno (2013), "Practical Use and Calculation of CCT and
    Duv", LEUKOS 10(1), via colour-science's ``uv_to_CCT_Ohno2013`` on CIE 1960 UCS uv. Beyond
    the ends of its Planckian table the CCT is meaningless and clipped to :data:`CCT_RANGE`
    (a frame of pure red or blue sky has no illuminant colour temperature).

    >>> d65 = illuminant_from_xy((0.3127, 0.329))
    >>> round(d65.cct_kelvin), round(d65.duv, 4), d65.reliable
    (6504, 0.0032, True)
    """
    return _illuminants_from_xy(np.asarray(xy, dtype=np.float64)[None], [neutral_share])[0]


def _illuminants_from_xy(xy: np.ndarray, shares: Sequence[float]) -> list[Illuminant]:
    """:func:`illuminant_from_xy` of (K, 2) chromaticities in one call of Ohno's method: a
    third of the time of K calls for the 6 illuminants of a shot (1.1 ms against 3.9)."""
    uv = colour.xy_to_UCS_uv(np.asarray(xy, dtype=np.float64).reshape(-1, 2))
    with colour.utilities.suppress_warnings(colour_runtime_warnings=True):
        cct_duv = np.reshape(colour.temperature.uv_to_CCT_Ohno2013(uv), (-1, 2))
    illuminants = []
    for (x, y), (cct, duv), share in zip(xy.reshape(-1, 2), cct_duv, shares):
        cct = float(np.clip(cct, *CCT_RANGE)) if np.isfinite(cct) else CCT_RANGE[1]
        illuminants.append(Illuminant((float(x), float(y)), cct, float(duv), float(share)))
    return illuminants


def estimate_illuminant(linear: np.ndarray, display: np.ndarray | None = None) -> Illuminant:
    """Estimate the illuminant of linear BT.709 RGB pixels (..., 3) (display light, as
    :func:`~cinegrade.colour.encodings.display_linear` gives; ``display``: the same pixels
    display-encoded, to leave out clipped ones) from their near-neutral surfaces: iterative
    grey-pixel selection in the spirit of Huo et al. (2006), "Robust automatic white balance
    algorithm using gray color points in images", IEEE Trans.
    Consumer Electronics 52(2), done in CAT02 cone space (CIE 159:2004), with a search over
    starting points so that one large coloured surface cannot capture it, and a Gaussian
    mean-shift (Comaniciu & Meer 2002, "Mean shift: a robust approach toward feature space
    analysis", IEEE TPAMI 24(5)) for the final estimate.

    1. Candidates: all cone responses positive, no channel clipped (``display`` ≥
       :data:`CLIP_HIGH`).
    2. A pass, from an estimate: white-balance the pixels to D65 with it (von Kries in CAT02),
       keep those that, so balanced, are neither dark (noise) nor near clipping (a channel ≥
       :data:`NEUTRAL_MAX_LINEAR`) and whose chromaticity lies within a threshold of neutral
       (distance in zero-mean log-LMS, :data:`NEUTRAL_THRESHOLDS`, coarse to fine); the new
       estimate is their mean LMS, so brighter greys weigh more (white patch among the greys).
       Repeated passes settle on one cluster of near-neutral-looking pixels.
    3. On :data:`SEARCH_PIXELS` of the pixels, passes start from grey world (the mean of all
       candidates) and from points of the Planckian locus (2000–20000 K); each settles on a
       cluster whose support is the summed luminance of its pixels. The grey-world cluster
       wins unless another has :data:`CLUSTER_SWITCH` times its support: warm skin filling a
       close-up pulls grey world onto itself, while the greys of the walls and the whites,
       brighter and as many, win.
    4. From the winner, over all candidates, the same mean with Gaussian weights of the
       distance (:data:`NEUTRAL_SIGMA`) until it converges: the flat window of step 2 stops
       anywhere on a plateau of near-neutral colours, the Gaussian at the plateau's mode.

    ``neutral_share`` is the share of usable pixels within the last threshold of the result.
    A white-balance change by von Kries adaptation in CAT02 (what the drift generator does,
    and roughly what a camera's white balance is) scales every pixel's LMS by one gain; grey
    world, the balanced pixels, the distances and the means all follow it, and the search sees
    the same pixels, so the estimate moves with the drift whatever the content, up to pixels
    that really clip, coding noise, and the rare scene whose two best clusters come close to
    :data:`CLUSTER_SWITCH`.
    """
    linear = _planar(linear)
    display = _planar(display) if display is not None else None
    lms, log_chroma, candidate = _neutral_candidates(linear, display)
    estimate, share = _estimate_lms(linear[:, candidate], lms[:, candidate],
                                    log_chroma[:, candidate], _search_mask(candidate))
    return _illuminants_from_lms(estimate[None], [share])[0]


def _planar(pixels: np.ndarray, stride: int = 1) -> np.ndarray:
    """(..., 3) pixels → contiguous float32 (3, N), every ``stride``-th pixel: per-pixel sums
    over channels are fast."""
    return np.ascontiguousarray(np.asarray(pixels, dtype=np.float32).reshape(-1, 3)[::stride].T)


def _neutral_candidates(linear: np.ndarray, display: np.ndarray | None):
    """Planar linear RGB → (LMS, zero-mean log LMS, candidate mask), all planar."""
    lms = _RGB_TO_LMS @ linear
    luminance = REC709_LUMA @ linear
    reference = float(np.percentile(luminance, 95)) if luminance.size else 0.0
    candidate = (lms.min(axis=0) > 0) & (luminance > NEUTRAL_DARK * reference) \
        & (luminance < NEUTRAL_BRIGHT * reference)
    if display is not None:
        candidate &= display.max(axis=0) < CLIP_HIGH
    log_lms = np.log(np.maximum(lms, 1e-9))
    log_lms -= log_lms.mean(axis=0)
    return lms, log_lms, candidate


def _passes(linear: np.ndarray, lms: np.ndarray, log_chroma: np.ndarray,
            thresholds: Sequence[float], estimates: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Iterate the near-neutral selection from each of ``estimates`` (K, 3) LMS, all K at once
    (one array pass per threshold, not K): (final estimates (K, 3), share of usable pixels
    selected (K,), summed luminance of the selected pixels over the pixel count (K,)). A start
    whose selection comes out empty keeps its last estimate and stops."""
    estimates = np.array(estimates, dtype=np.float64).reshape(-1, 3)
    shares, supports = np.zeros(len(estimates)), np.zeros(len(estimates))
    active = np.arange(len(estimates))
    for threshold in thresholds:
        if not active.size:
            break
        luminance, usable, distance2 = _balanced(linear, log_chroma, estimates[active])
        near = usable & (distance2 < np.float32(threshold**2))
        counts = np.count_nonzero(near, axis=1)
        found = counts > 0
        near, done = near[found], active[found]
        estimates[done] = (near.astype(np.float64) @ lms.T.astype(np.float64)) \
            / counts[found, None]
        shares[done] = counts[found] / np.maximum(1, np.count_nonzero(usable[found], axis=1))
        supports[done] = np.where(near, luminance[found], np.float32(0)).sum(axis=1) \
            / linear.shape[1]
        active = done
    return estimates, shares, supports


def _balanced(linear: np.ndarray, log_chroma: np.ndarray, estimates: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Planar pixels white-balanced to D65 by each of ``estimates`` (K, 3) LMS (von Kries in
    CAT02, white's luminance kept): their luminance (K, N), whether they are usable — neither
    noise nor near clipping (K, N) — and their squared log-chroma distance from each estimate
    (K, N)."""
    white = estimates / (estimates @ _LMS_TO_XYZ[1])[:, None]  # luminance 1
    # _LMS_TO_RGB @ diag(D65 / white) @ _RGB_TO_LMS, for each estimate
    balance = ((_LMS_TO_RGB[None] * (_D65_LMS / white)[:, None, :]) @ _RGB_TO_LMS
               ).astype(np.float32)
    balanced = balance @ linear
    luminance = REC709_LUMA @ balanced
    usable = (balanced.max(axis=1) < NEUTRAL_MAX_LINEAR) & (luminance > NEUTRAL_NOISE)
    return luminance, usable, _chroma_distance2(log_chroma, estimates)


def _chroma_distance2(log_chroma: np.ndarray, estimates: np.ndarray) -> np.ndarray:
    """Squared distance (K, N) in zero-mean log-LMS from each of ``estimates`` (K, 3) LMS to
    each planar pixel of ``log_chroma`` (3, N): a chromaticity difference that a white-balance
    gain on both leaves unchanged."""
    log_estimate = np.log(estimates)
    centre = (log_estimate - log_estimate.mean(axis=1, keepdims=True)).astype(np.float32)
    return ((log_chroma[0] - centre[:, 0:1]) ** 2 + (log_chroma[1] - centre[:, 1:2]) ** 2
            + (log_chroma[2] - centre[:, 2:3]) ** 2)


def _mean_shift(linear: np.ndarray, lms: np.ndarray, log_chroma: np.ndarray,
                start: np.ndarray, iterations: int = REFINE_ITERATIONS
                ) -> tuple[np.ndarray, float]:
    """Gaussian mean-shift of the near-neutral estimate from ``start`` (LMS) over planar
    pixels: the mean LMS of usable pixels weighted by exp(−d² / 2σ²) of their log-chroma
    distance d (σ = :data:`NEUTRAL_SIGMA`), repeated to convergence. Which pixels are usable
    (not noise, not near clipping once balanced) is decided from ``start``: the shift moves
    the estimate by a few mired, too little to change that. Returns the estimate and the share
    of usable pixels within the last of :data:`NEUTRAL_THRESHOLDS` of it."""
    estimate = np.asarray(start, dtype=np.float64)
    _, usable, distance2 = _balanced(linear, log_chroma, estimate[None])
    keep = np.flatnonzero(usable[0])
    if not keep.size:
        return estimate, 0.0
    lms, log_chroma = np.ascontiguousarray(lms[:, keep]), np.ascontiguousarray(log_chroma[:, keep])
    distance2 = distance2[0, keep]
    for _ in range(iterations):
        weights = np.exp(distance2 * np.float32(-0.5 / NEUTRAL_SIGMA**2))
        moved = (lms @ weights).astype(np.float64) / float(weights.sum(dtype=np.float64))
        step = np.abs(np.log(moved / estimate)).max()
        estimate = moved
        distance2 = _chroma_distance2(log_chroma, estimate[None])[0]
        if step < REFINE_TOLERANCE:
            break
    near = np.count_nonzero(distance2 < np.float32(NEUTRAL_THRESHOLDS[-1] ** 2))
    return estimate, near / keep.size


def _search_mask(candidate: np.ndarray) -> np.ndarray:
    """Which of the candidate pixels the cluster search looks at: every k-th pixel of all of
    them (candidates or not), k chosen so that about :data:`SEARCH_PIXELS` candidates remain.
    A stride through all pixels, unlike one through the candidates, keeps the same pixels when
    a drift moves a few in or out of the candidates."""
    step = max(1, int(np.count_nonzero(candidate)) // SEARCH_PIXELS)
    return (np.arange(candidate.size) % step == 0)[candidate]


@lru_cache(maxsize=1)
def _start_points() -> np.ndarray:
    """LMS of the Planckian locus (Ohno 2013) from 2000 K to 20000 K every 30 mired: where the
    search for near-neutral clusters starts, besides grey world."""
    mired = np.arange(50.0, 500.1, 30.0)
    uv = colour.temperature.CCT_to_uv_Ohno2013(np.stack([1e6 / mired, np.zeros_like(mired)], -1))
    return colour.xy_to_XYZ(colour.UCS_uv_to_xy(uv)) @ colour.adaptation.CAT_CAT02.T


def _estimate_lms(linear: np.ndarray, lms: np.ndarray, log_chroma: np.ndarray,
                  search: np.ndarray | None, start: np.ndarray | None = None
                  ) -> tuple[np.ndarray, float]:
    """:func:`estimate_illuminant` over planar candidate pixels, as (illuminant LMS, neutral
    share): the cluster search and the mean-shift over the ``search`` mask of them
    (:func:`_search_mask`), then the mean-shift over all of them; given a ``start`` (a frame's
    estimate, from the shot's), a short mean-shift from there only."""
    if lms.shape[1] < NEUTRAL_MIN_PIXELS:
        fallback = start if start is not None else (
            lms.mean(axis=1, dtype=np.float64) if lms.shape[1] else _D65_LMS)
        return np.asarray(fallback, dtype=np.float64), 0.0
    if start is not None:
        return _mean_shift(linear, lms, log_chroma, start, FRAME_REFINE_ITERATIONS)
    sub = (linear[:, search], lms[:, search], log_chroma[:, search])
    grey_world = lms.mean(axis=1, dtype=np.float64)
    found, _, supports = _passes(*sub, NEUTRAL_THRESHOLDS,
                                 np.vstack([grey_world, _start_points()]))
    start, best_support = found[0], supports[0] * CLUSTER_SWITCH
    for point, support in zip(found[1:], supports[1:]):
        if support > best_support:
            start, best_support = point, support
    start, _ = _mean_shift(*sub, start)
    return _mean_shift(linear, lms, log_chroma, start)


def _illuminants_from_lms(lms: np.ndarray, shares: Sequence[float]) -> list[Illuminant]:
    return _illuminants_from_xy(_xy_from_lms(lms), shares)


def flicker_stops(frame_exposures: Sequence[float]) -> float | None:
    """Frame-to-frame exposure wobble (stops) of consecutive frames' exposures e_i.

    RMS of the second differences e_{i+1} − 2 e_i + e_{i−1}, divided by √6: for independent
    per-frame wobble of standard deviation σ on top of any linear ramp (a fade, a slow pan into
    light) this estimates σ, while the ramp itself contributes nothing. ``None`` below 3 frames.

    >>> round(flicker_stops([0.0, 1.0, 0.0]), 4), round(flicker_stops([0.0, 0.1, 0.2, 0.3]), 6)
    (0.8165, 0.0)
    """
    e = np.asarray(frame_exposures, dtype=np.float64)
    if len(e) < 3:
        return None
    second = e[2:] - 2 * e[1:-1] + e[:-2]
    return float(np.sqrt(np.mean(second**2) / 6.0))


def mean_log_exposure(rgb: np.ndarray) -> float:
    """log2 of the mean linear (BT.1886 display light) luminance of a display-referred Rec.709
    frame (H, W, 3) over 18 % grey, floored at :data:`LUMINANCE_FLOOR`: the
    per-frame measure behind :func:`flicker_stops` (a mean follows a global gain smoothly,
    where a median of a small frame jumps from pixel to pixel)."""
    luminance = REC709_LUMA @ _planar(display_linear(rgb))
    return float(np.log2(max(float(luminance.mean()), LUMINANCE_FLOOR) / MID_GREY_LINEAR))


def _exposure(luminance: np.ndarray) -> float:
    """log2 of the median linear (display light) luminance over 18 % grey (stops)."""
    return float(np.log2(max(float(np.median(luminance)), LUMINANCE_FLOOR) / MID_GREY_LINEAR))


def _percentiles(values: np.ndarray) -> dict[str, float]:
    return {f"p{p}": float(v) for p, v in zip(PERCENTILES, np.percentile(values, PERCENTILES))}


@dataclass(frozen=True)
class ShotStats:
    """Statistics of one shot (see the module docstring for units), or, when the shot could not
    be analysed, ``reason`` and nothing else."""

    reason: str | None = None
    frame_count: int = 0
    exposure_stops: float | None = None
    luminance_display: dict[str, float] | None = None
    luminance_linear: dict[str, float] | None = None
    clip_high: float | None = None
    clip_low: float | None = None
    cct_kelvin: float | None = None
    duv: float | None = None
    mired: float | None = None
    illuminant_xy: tuple[float, float] | None = None
    neutral_share: float | None = None
    illuminant_reliable: bool | None = None
    saturation: float | None = None
    lab_chroma: float | None = None
    contrast: float | None = None
    lab_mean: tuple[float, float, float] | None = None
    lab_covariance: tuple[tuple[float, float, float], ...] | None = None
    hue_histogram: tuple[float, ...] | None = None
    frame_exposure_stops: tuple[float, ...] = field(default_factory=tuple)
    frame_mired: tuple[float, ...] = field(default_factory=tuple)
    flicker: float | None = None
    version: int = STATS_VERSION

    @property
    def analysed(self) -> bool:
        """Whether the shot was analysed (no ``reason``)."""
        return self.reason is None

    @classmethod
    def not_analysed(cls, reason: str) -> ShotStats:
        """The stats of a shot that could not be analysed: ``reason`` on one line, nothing else."""
        return cls(reason=" ".join(str(reason).split()) or "unknown error")

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: tuples as lists, ``analysed`` added, everything else by field name."""
        data = asdict(self)
        data["analysed"] = self.analysed
        for key, value in data.items():
            if isinstance(value, tuple):
                data[key] = [list(v) if isinstance(v, tuple) else v for v in value]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ShotStats:
        """Inverse of :meth:`to_json` (unknown keys ignored, so newer files still load)."""
        kwargs: dict[str, Any] = {}
        for name in cls.__dataclass_fields__:
            if name not in data:
                continue
            value = data[name]
            if isinstance(value, list):
                value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
            kwargs[name] = value
        return cls(**kwargs)


def shot_stats(
    frames: Sequence[np.ndarray], dense_frames: Sequence[np.ndarray] = ()
) -> ShotStats:
    """Statistics of a shot from its sampled frames and (for flicker) a run of consecutive frames.

    ``frames``: display-referred Rec.709 R'G'B' float arrays (H, W, 3) in [0, 1], any sizes;
    statistics pool all their pixels. ``dense_frames``: consecutive frames of the shot (any
    size, small is fine) for :func:`flicker_stops`. Units: the module docstring. No frames gives
    a not-analysed result, not an exception.
    """
    if not frames:
        return ShotStats.not_analysed("no frames")
    total = sum(f.shape[0] * f.shape[1] for f in frames)
    stride = max(1, math.ceil(total / STATS_MAX_PIXELS))
    parts = [_planar(f, stride) for f in frames]
    display = np.concatenate(parts, axis=1)
    linear = display_linear(display)
    luma_display = REC709_LUMA @ display
    luminance = REC709_LUMA @ linear
    display_max = display.max(axis=0)

    lms, log_chroma, candidate = _neutral_candidates(linear, display)
    pick = np.flatnonzero(candidate)
    estimate, share = _estimate_lms(linear[:, pick], lms[:, pick], log_chroma[:, pick],
                                    _search_mask(candidate))
    estimates, shares = [estimate], [share]  # the shot's, then each frame's
    pooled = _lms_from_xy(_xy_from_lms(estimate))
    frame_exposures = []
    start = 0
    for part in parts:
        span = slice(start, start + part.shape[1])
        start = span.stop
        frame_exposures.append(_exposure(luminance[span]))
        sub = span.start + np.flatnonzero(candidate[span])
        estimate, share = _estimate_lms(linear[:, sub], lms[:, sub], log_chroma[:, sub],
                                        None, start=pooled)
        estimates.append(estimate)
        shares.append(share)
    illuminant, *frame_illuminants = _illuminants_from_lms(np.stack(estimates), shares)
    frame_mireds = [i.mired for i in frame_illuminants]

    # colour.RGB_to_XYZ(linear.T, _BT709) with colour-science's matrix, as one matrix product
    xyz = (_BT709.matrix_RGB_to_XYZ @ linear.astype(np.float64)).T
    lab = colour.XYZ_to_Lab(xyz, _D65_XY)
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    hue = np.degrees(np.arctan2(lab[:, 2], lab[:, 1])) % 360.0
    hue_bin = np.minimum((hue * (HUE_BINS / 360.0)).astype(np.intp), HUE_BINS - 1)
    hist = np.bincount(hue_bin, weights=chroma, minlength=HUE_BINS)
    total = hist.sum()
    hist = hist / total if total > 0 else np.zeros(HUE_BINS)

    log_luminance = np.log2(np.maximum(luminance, LUMINANCE_FLOOR))
    dense = [mean_log_exposure(f) for f in dense_frames]
    return ShotStats(
        frame_count=len(frames),
        exposure_stops=_exposure(luminance),
        luminance_display=_percentiles(luma_display),
        luminance_linear=_percentiles(luminance),
        clip_high=float(np.mean(display_max >= CLIP_HIGH)),
        clip_low=float(np.mean(display_max <= CLIP_LOW)),
        cct_kelvin=illuminant.cct_kelvin,
        duv=illuminant.duv,
        mired=illuminant.mired,
        illuminant_xy=illuminant.xy,
        neutral_share=illuminant.neutral_share,
        illuminant_reliable=illuminant.reliable,
        saturation=float(np.sqrt(((display - luma_display) ** 2).sum(axis=0)).mean()),
        lab_chroma=float(chroma.mean()),
        contrast=float(log_luminance.std()),
        lab_mean=tuple(float(v) for v in lab.mean(axis=0)),
        lab_covariance=tuple(tuple(float(v) for v in row) for row in np.cov(lab, rowvar=False)),
        hue_histogram=tuple(float(v) for v in hist),
        frame_exposure_stops=tuple(frame_exposures),
        frame_mired=tuple(frame_mireds),
        flicker=flicker_stops(dense),
    )
