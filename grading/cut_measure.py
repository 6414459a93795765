"""Two shots either side of a cut → how far the second is off from the first (pure; no I/O).

Shots of one scene share a place and its light, not pixels: a close-up and a wide shot of one
room differ in mean colour without any drift. So a cut is measured on what the two shots share:

1. **Alignment.** ORB keypoints (Rublee et al. 2011, "ORB: an efficient alternative to SIFT or
   SURF", ICCV; scikit-image's ``ORB``) of a few frames of each shot are matched (mutual nearest
   neighbours, Lowe's ratio test) and a similarity transform (scale, rotation, shift) is fitted by
   RANSAC (Fischler & Bolles 1981). ORB's binary tests compare intensities, so they survive any
   monotone change of exposure, contrast or white balance: the drift cannot hide the match. Of
   the frame pairs with at least half the best pair's inliers, the one nearest the cut (A's last
   frames, B's first) is measured; with fewer than :attr:`MeasureSettings.min_inliers` the
   shots share no matched content.
2. **Shared pixels.** The second shot is warped onto the first, both are blurred to the coarser of
   the two scales, and only pixels inside both frames, in flat areas (where a pixel of
   misregistration changes values least), neither clipped nor near black, and whose
   neighbourhoods correlate (local NCC: parallax and moving things drop out) are compared. An
   alignment whose textured pixels mostly fail to correlate is a false match and is dropped.
3. **What a drift changes**, fitted on those pixel pairs so that content cancels
   (:func:`fit_drift`): one model of how a drift acts — von Kries cone gains in CAT02 (CIE
   159:2004) on linear light for white balance and exposure, a power about 18 % grey for
   contrast, a lift of black, saturation about Rec.709 luma — fitted by robust least squares.
   Each term changes pixels in its own way (a gain whatever the pixel, saturation with its
   chroma, contrast with its distance from grey, lift with its darkness), so the shared content
   separates them, where frame means cannot. Exposure is the gains' effect on white's luminance
   (stops), white balance how far they move D65 (mired, CCT by Ohno 2013); overall difference
   is the median CIEDE2000 (CIE 142-2001) between the pairs.

Without shared content the cut falls back to whole-shot statistics
(:class:`cinegrade.grading.shot_stats.ShotStats`), marked ``method="global"``: continuity rules
only hint at those (they move with framing alone).

Pixels: display-referred Rec.709 R'G'B' float (H, W, 3) in [0, 1]; linear light is the BT.1886
EOTF (:func:`cinegrade.grading.shot_stats.scene_linear`), as the drift generator uses.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cinegrade.grading.shot_stats import LUMA_WEIGHTS, ShotStats, scene_linear

ALIGNED, GLOBAL = "aligned", "global"


@dataclass(frozen=True)
class MeasureSettings:
    """How cuts are aligned and measured (defaults measured on the generator's reframings)."""

    #: keypoints per frame: 800 find 17+ inliers on the demo's least textured pair (a 2.6×
    #: close-up of the astronaut against the wide shot) at 320 px whatever the drift, where
    #: 500 find 10–14 and miss a third of drifted versions
    keypoints: int = 800
    #: RANSAC inliers needed to trust an alignment: no pair of shots of different demo
    #: photographs reaches 6
    min_inliers: int = 10
    #: inlier distance, as a share of the frame width (1/160: 2 px at 320 px)
    residual: float = 1 / 160
    #: shared pixels needed to measure on them (a share of the first shot's frame)
    min_overlap: float = 0.04
    #: share of the shared textured pixels whose neighbourhoods must correlate (NCC ≥ 0.6)
    #: for the alignment to be believed: right alignments of the demo's reframings reach
    #: 0.79–1.0, of its two cameras (parallax) 0.53–0.73; forced wrong ones 0.10–0.15
    min_agreement: float = 0.3


@dataclass(frozen=True)
class ShotFeatures:
    """ORB keypoints ((row, col) at frame scale) and binary descriptors of each frame of a shot."""

    keypoints: tuple[np.ndarray, ...]
    descriptors: tuple[np.ndarray, ...]
    width: int


@dataclass(frozen=True)
class Alignment:
    """Which frames of shots A and B match, and the 3×3 matrix taking B's (x, y) pixel
    coordinates onto A's."""

    frame_a: int
    frame_b: int
    matrix: tuple[tuple[float, ...], ...]
    inliers: int
    matches: int

    @property
    def scale(self) -> float:
        m = np.asarray(self.matrix)
        return float(math.sqrt(abs(np.linalg.det(m[:2, :2]))))


@dataclass(frozen=True)
class CutMeasure:
    """How shot B (after the cut) differs from shot A (before it); ``None`` where not measured.

    ``exposure_stops``: B − A, stops of linear light. ``mired``: B − A illuminant, mired (positive
    = B warmer). ``saturation_ratio``: B / A chroma. ``contrast_ratio``: B / A spread of log
    luminance. ``black_level``: B − A display luma at black. ``delta_e``: median CIEDE2000 between
    shared pixels (aligned only; median). ``overlap``: share of A's frame B covers. ``method``:
    :data:`ALIGNED` or :data:`GLOBAL`.
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

    @property
    def aligned(self) -> bool:
        return self.method == ALIGNED

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


def _luma(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(rgb, dtype=np.float32) @ LUMA_WEIGHTS


def shot_features(frames: Sequence[np.ndarray], settings: MeasureSettings = MeasureSettings()
                  ) -> ShotFeatures:
    """ORB features of each frame (display-referred Rec.709; detected on Rec.709 luma Y')."""
    from skimage.feature import ORB

    keypoints, descriptors = [], []
    for frame in frames:
        orb = ORB(n_keypoints=settings.keypoints, fast_threshold=0.04, downscale=1.25,
                  n_scales=10)
        try:
            orb.detect_and_extract(_luma(frame).astype(np.float64))
            keypoints.append(np.asarray(orb.keypoints, dtype=np.float32))
            descriptors.append(np.asarray(orb.descriptors, dtype=bool))
        except (RuntimeError, ValueError, IndexError):  # flat frame: no keypoints at all
            keypoints.append(np.zeros((0, 2), np.float32))
            descriptors.append(np.zeros((0, 256), bool))
    width = int(frames[0].shape[1]) if len(frames) else 0
    return ShotFeatures(tuple(keypoints), tuple(descriptors), width)


def align(a: ShotFeatures, b: ShotFeatures, settings: MeasureSettings = MeasureSettings()
          ) -> Alignment | None:
    """The best-supported similarity transform between any frame of A and any frame of B, or
    None when no pair has :attr:`MeasureSettings.min_inliers` inliers. Deterministic (RANSAC
    seeded)."""
    found = alignments(a, b, settings)
    return found[0] if found else None


def alignments(a: ShotFeatures, b: ShotFeatures, settings: MeasureSettings = MeasureSettings()
               ) -> list[Alignment]:
    """Every frame pair's similarity transform with enough inliers, best supported first."""
    from skimage.feature import match_descriptors
    from skimage.measure import ransac
    from skimage.transform import SimilarityTransform

    found: list[Alignment] = []
    residual = max(1.0, settings.residual * max(a.width, 1))
    for ia, (ka, da) in enumerate(zip(a.keypoints, a.descriptors)):
        for ib, (kb, db) in enumerate(zip(b.keypoints, b.descriptors)):
            if len(ka) < 4 or len(kb) < 4:
                continue
            matches = match_descriptors(da, db, cross_check=True, max_ratio=0.85)
            if len(matches) < settings.min_inliers:
                continue
            source = kb[matches[:, 1]][:, ::-1].astype(np.float64)
            target = ka[matches[:, 0]][:, ::-1].astype(np.float64)
            model, inliers = ransac((source, target), SimilarityTransform, min_samples=3,
                                    residual_threshold=residual, max_trials=300, rng=0)
            if not model or inliers is None:
                continue
            count = int(inliers.sum())
            scale = math.sqrt(abs(np.linalg.det(model.params[:2, :2])))
            if count < settings.min_inliers or not 0.2 < scale < 5:
                continue
            found.append(Alignment(ia, ib, tuple(tuple(float(v) for v in row)
                                                 for row in model.params), count, len(matches)))
    return sorted(found, key=lambda alignment: -alignment.inliers)


def measure_cut(frames_a: Sequence[np.ndarray], frames_b: Sequence[np.ndarray],
                stats_a: ShotStats | None = None, stats_b: ShotStats | None = None,
                features_a: ShotFeatures | None = None, features_b: ShotFeatures | None = None,
                settings: MeasureSettings = MeasureSettings()) -> CutMeasure:
    """How shot B differs from shot A (see the module docstring): on aligned shared pixels when
    the shots share content, else from the whole-shot statistics (``None`` fields when those are
    missing too). Frames: display-referred Rec.709 float (H, W, 3), one size per shot."""
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
                                       np.asarray(alignment.matrix), settings)
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


# --- aligned measurement ---------------------------------------------------------------------

_BT709_TO_LMS: np.ndarray | None = None


def _rgb_to_lms() -> np.ndarray:
    global _BT709_TO_LMS
    if _BT709_TO_LMS is None:
        import colour

        space = colour.models.RGB_COLOURSPACE_BT709
        _BT709_TO_LMS = (colour.adaptation.CAT_CAT02 @ space.matrix_RGB_to_XYZ).astype(np.float64)
    return _BT709_TO_LMS


def _white_lms() -> np.ndarray:
    """CAT02 cone response of D65, the Rec.709 white, at luminance 1."""
    import colour

    white = colour.models.RGB_COLOURSPACE_BT709.whitepoint
    return colour.adaptation.CAT_CAT02 @ colour.xy_to_XYZ(np.asarray(white, dtype=np.float64))


def _mired_of_lms(lms: np.ndarray) -> float:
    import colour

    xyz = np.linalg.inv(colour.adaptation.CAT_CAT02) @ lms
    uv = colour.xy_to_UCS_uv(colour.XYZ_to_xy(xyz))
    cct, _ = colour.temperature.uv_to_CCT_Ohno2013(uv)
    return 1e6 / float(cct)


def _blur(rgb: np.ndarray, sigma: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    return gaussian_filter(rgb, sigma=(sigma, sigma, 0), mode="nearest")


def shared_pixels(frame_a: np.ndarray, frame_b: np.ndarray, matrix: np.ndarray,
                  settings: MeasureSettings = MeasureSettings()
                  ) -> tuple[np.ndarray, np.ndarray, float] | None:
    """The pixel pairs two aligned frames share, as display-referred (N, 3) arrays (A's, B's
    warped onto A) and the share of A's frame B covers; ``matrix`` maps B's (x, y) onto A's.

    Both frames are blurred to the coarser of their two scales; pairs are kept inside both
    frames, in flat areas, neither clipped nor near black, where the structure agrees
    (:func:`_agree`). None below 200 pairs, below :attr:`MeasureSettings.min_overlap`, or when
    the alignment does not hold up pixel by pixel (:attr:`MeasureSettings.min_agreement`).
    """
    from scipy.ndimage import binary_erosion, sobel
    from skimage.transform import ProjectiveTransform, warp

    a = np.asarray(frame_a, dtype=np.float32)
    b = np.asarray(frame_b, dtype=np.float32)
    scale = math.sqrt(abs(np.linalg.det(matrix[:2, :2])))  # B pixels per A pixel, inverted
    # blur both to the coarser scale: B shrinks by `scale` when warped onto A
    a = _blur(a, 1.0 + 0.6 * max(0.0, scale - 1.0))
    b = _blur(b, 1.0 + 0.6 * max(0.0, 1.0 / scale - 1.0))
    warped = warp(b, ProjectiveTransform(matrix=matrix).inverse, output_shape=a.shape[:2],
                  order=1, mode="constant", cval=-1.0, preserve_range=True).astype(np.float32)
    inside = binary_erosion(warped.min(axis=-1) >= 0, iterations=3)
    overlap = float(inside.mean())
    if overlap < settings.min_overlap:
        return None
    luma_a, luma_w = _luma(a), _luma(warped)
    gradient = np.hypot(sobel(luma_a, 0), sobel(luma_a, 1))
    flat = gradient <= np.quantile(gradient[inside], 0.5)
    clipped = (a.max(axis=-1) >= 0.95) | (warped.max(axis=-1) >= 0.95)
    dark = (a.min(axis=-1) <= 0.04) | (warped.min(axis=-1) <= 0.04)
    agree, textured = _agree(luma_a, luma_w)
    structure = inside & textured
    if structure.sum() >= 200 and \
            (agree & structure).sum() < settings.min_agreement * structure.sum():
        return None  # the alignment does not hold up pixel by pixel: a false match
    usable = inside & flat & ~clipped & ~dark & agree
    if usable.sum() < 200:
        return None
    return a[usable].astype(np.float64), warped[usable].astype(np.float64), overlap


def measure_aligned(frame_a: np.ndarray, frame_b: np.ndarray, matrix: np.ndarray,
                    settings: MeasureSettings = MeasureSettings()) -> CutMeasure | None:
    """Measure B against A on their :func:`shared_pixels`; ``matrix`` maps B's (x, y) onto A's.
    The white-balance change is read as how far the fitted cone gains move D65 (the Rec.709
    white, what the neutral surfaces of a balanced shot show), in mired. None when they share
    too few usable pixels."""
    shared = shared_pixels(frame_a, frame_b, matrix, settings)
    if shared is None:
        return None
    pa, pb, overlap = shared
    fit = fit_drift(pa, pb)
    if fit is None:
        return None
    cone_gains, saturation, power, lift = fit
    white_a = _white_lms()
    white_b = white_a * cone_gains
    exposure = float(np.log2(_luminance_of_lms(white_b) / _luminance_of_lms(white_a)))
    mired = _mired_of_lms(white_b) - _mired_of_lms(white_a)
    delta_e = _delta_e(pa, pb)
    return CutMeasure(ALIGNED, exposure_stops=exposure, mired=float(mired),
                      saturation_ratio=saturation, contrast_ratio=power, black_level=lift,
                      delta_e=delta_e, overlap=overlap, pixels=len(pa))


#: Display value of 18 % grey under BT.1886 (0.18 ** (1 / 2.4)): the pivot of the tone term.
_GREY_DISPLAY = 0.18 ** (1 / 2.4)


def _luminance_of_lms(lms: np.ndarray) -> float:
    import colour

    return float(np.linalg.inv(colour.adaptation.CAT_CAT02)[1] @ lms)


#: Most pixel pairs the drift fit uses (an even stride through them).
FIT_MAX_PIXELS = 12_000


def predict_drift(pa: np.ndarray, parameters: np.ndarray) -> np.ndarray:
    """Display-referred Rec.709 pixels (N, 3) → the same pixels drifted by ``parameters`` =
    (log L, log M, log S cone gains, log contrast, lift, log saturation), in the order a drift
    acts: von Kries gains in CAT02 cone space on linear light (white balance and exposure), a
    power about 18 % grey (contrast; with the gains it also covers a display gamma), the BT.1886
    encoding, a lift of black, then saturation about Rec.709 luma. Unclipped."""
    to_lms = _rgb_to_lms()
    gains = np.exp(parameters[:3])
    matrix = np.linalg.inv(to_lms) @ np.diag(gains) @ to_lms
    linear = np.maximum(scene_linear(pa).astype(np.float64) @ matrix.T, 1e-9)
    linear = 0.18 * (linear / 0.18) ** np.exp(parameters[3])
    display = np.power(linear, 1 / 2.4)
    display = parameters[4] + (1 - parameters[4]) * display
    luma = (display @ LUMA_WEIGHTS.astype(np.float64))[:, None]
    return luma + np.exp(parameters[5]) * (display - luma)


def fit_drift(pa: np.ndarray, pb: np.ndarray) -> tuple[np.ndarray, float, float, float] | None:
    """The drift that takes display-referred pixels ``pa`` (N, 3) to ``pb`` on the same content:
    (cone gains (3,), saturation, contrast, lift), fitted to :func:`predict_drift` by robust
    non-linear least squares (SciPy's trust-region reflective solver, soft-L1 loss of scale
    0.02 display, so misregistered pixels weigh little).

    Each term changes pixels in its own way — a white balance or exposure as a gain of cone
    responses, whatever the pixel; saturation in proportion to the pixel's chroma; contrast with
    its distance from grey; a lift with its darkness — so shared content separates them, where
    frame means cannot. None when fewer than 100 pairs or the fit fails.
    """
    from scipy.optimize import least_squares

    if len(pa) < 100:
        return None
    step = max(1, len(pa) // FIT_MAX_PIXELS)
    pa, pb = pa[::step], pb[::step]

    def residual(parameters: np.ndarray) -> np.ndarray:
        return (predict_drift(pa, parameters) - pb).ravel()

    start = np.zeros(6)
    bounds = ([-3, -3, -3, -1, -0.4, -2], [3, 3, 3, 1, 0.4, 2])
    try:
        result = least_squares(residual, start, bounds=bounds, loss="soft_l1", f_scale=0.02,
                               x_scale=[0.1, 0.1, 0.1, 0.1, 0.02, 0.1], max_nfev=60)
    except (ValueError, np.linalg.LinAlgError):
        return None
    if not np.all(np.isfinite(result.x)):
        return None
    x = result.x
    return np.exp(x[:3]), float(np.exp(x[5])), float(np.exp(x[3])), float(x[4])


def _agree(luma_a: np.ndarray, luma_b: np.ndarray, size: int = 7,
           minimum: float = 0.6) -> tuple[np.ndarray, np.ndarray]:
    """Where the two aligned frames show the same structure: (mask, textured). Local normalised
    cross-correlation of luma over ``size``² windows ≥ ``minimum`` (gain and offset, hence any
    drift, leave it alone; parallax and moving things do not), or both windows flat amid
    texture that mostly agrees; ``textured`` says where both windows have texture to
    correlate."""
    from scipy.ndimage import uniform_filter

    mean_a, mean_b = uniform_filter(luma_a, size), uniform_filter(luma_b, size)
    var_a = uniform_filter(luma_a * luma_a, size) - mean_a**2
    var_b = uniform_filter(luma_b * luma_b, size) - mean_b**2
    cov = uniform_filter(luma_a * luma_b, size) - mean_a * mean_b
    textured = (var_a > 1e-4) & (var_b > 1e-4)
    ncc = cov / np.sqrt(np.maximum(var_a * var_b, 1e-12))
    flat = (var_a <= 1e-4) & (var_b <= 4e-4)
    good = textured & (ncc >= minimum)
    # a flat pixel cannot show whether it is the same surface: trust it only where the texture
    # around it (a 31-pixel window) mostly agrees
    near_good = uniform_filter(good.astype(np.float32), 31)
    near_bad = uniform_filter((textured & ~good).astype(np.float32), 31)
    verified = near_good > np.maximum(near_bad, 0.02)
    return good | (flat & verified), textured


def _delta_e(pa: np.ndarray, pb: np.ndarray) -> float:
    """Median CIEDE2000 between display-referred Rec.709 pixel pairs (CIELAB, D65): the median,
    so that what moved between the shots or is a pixel off does not count."""
    import colour

    space = colour.models.RGB_COLOURSPACE_BT709
    step = max(1, len(pa) // 20000)
    lab = [colour.XYZ_to_Lab(colour.RGB_to_XYZ(scene_linear(p[::step]).astype(np.float64), space),
                             space.whitepoint) for p in (pa, pb)]
    return float(np.median(colour.delta_E(lab[0], lab[1], method="CIE 2000")))
