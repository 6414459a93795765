"""Correspondence between shots: which frames of two shots show the same surfaces, and where.

1. **Alignment.** ORB keypoints (Rublee et al. 2011, "ORB: an efficient alternative to SIFT or
   SURF", ICCV; scikit-image's ``ORB``) of a few frames of each shot are matched (mutual nearest
   neighbours, Lowe's ratio test) and a similarity transform (scale, rotation, shift) is fitted by
   RANSAC (Fischler & Bolles 1981). ORB's binary tests compare intensities, so they survive any
   monotone change of exposure, contrast or white balance: the drift cannot hide the match.
2. **Shared pixels.** The second shot is warped onto the first, both are blurred to the coarser of
   the two scales, and only pixels inside both frames, in flat areas (where a pixel of
   misregistration changes values least), neither clipped nor near black, and whose
   neighbourhoods correlate (local NCC: parallax and moving things drop out) are kept. An
   alignment whose textured pixels mostly fail to correlate is a false match and is dropped.

Pixels: display-referred Rec.709 R'G'B' float (H, W, 3) in [0, 1].
"""

from __future__ import annotations

import collections
import functools
import hashlib
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cinegrade.colour.encodings import REC709_LUMA


@dataclass(frozen=True)
class MeasureSettings:
    """How cuts are aligned and measured (defaults measured on the generator's reframings)."""

    #: keypoints per frame: 800 find 17+ inliers on the demo's least textured pair (a 2.6×
    #: close-up of the astronaut against the wide shot) at 320 px whatever the drift, where
    #: 500 find 10–14 and miss a third of drifted versions; OpenCV's ORB at 1600 aligns the
    #: match benchmark's reframings better than scikit-image's at 800 (median ΔE2000 1.01
    #: against 1.04 by LUT, 1.18 against 1.28 by CDL) in a tenth of the time
    keypoints: int = 1600
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
    #: the same share at and above which the shots are one picture reframed (crops, push-ins,
    #: pans: their pixels are compared one for one), or the inliers at and above which they
    #: are anyway (:func:`is_reframing`); below both the cameras stood apart (parallax). On the
    #: demo's reframings the share is 0.70–1.0, or 54–485 inliers where it is less (two cameras
    #: of one motorcycle, Big Buck Bunny's moving animation: 0.54–0.63); on the rendered
    #: multi-angle scenes 0.15–0.63 with 10–21 inliers, where drifts fitted on such pixels were
    #: off by 0.76 stop RMS against 0.05 claimed
    reframing_agreement: float = 0.65
    reframing_inliers: int = 30
    #: keypoint detector and matcher (:data:`DETECTORS`): OpenCV's ORB, 10–20× the speed of
    #: scikit-image's (kept as the reference implementation)
    detector: str = "orb"


@dataclass(frozen=True)
class ShotFeatures:
    """ORB keypoints ((row, col) at frame scale) and binary descriptors of each frame of a shot:
    tuples, or files read back on use once the shot's view is
    :func:`~cinegrade.correspondence.views.kept_on_disk`."""

    keypoints: Sequence[np.ndarray]
    descriptors: Sequence[np.ndarray]
    width: int

    @functools.cached_property
    def digest(self) -> str:
        """Hex SHA-256 of the keypoints, descriptors (dtype, shape, bytes) and width: equal
        digests, equal features."""
        digest = hashlib.sha256(f"{self.width} {len(self.keypoints)}".encode())
        for array in (*self.keypoints, *self.descriptors):
            digest.update(f"|{array.dtype} {array.shape}|".encode())
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()


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


def _luma(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(rgb, dtype=np.float32) @ REC709_LUMA


def shot_features(frames: Sequence[np.ndarray], settings: MeasureSettings = MeasureSettings()
                  ) -> ShotFeatures:
    """Keypoints and descriptors of each frame (display-referred Rec.709 (H, W, 3) float in
    [0, 1]; detected on Rec.709 luma Y') by the detector :data:`DETECTORS` names
    ``settings.detector``."""
    detect = DETECTORS[settings.detector].detect
    keypoints, descriptors = [], []
    for frame in frames:
        found, described = detect(_luma(frame), settings)
        keypoints.append(found)
        descriptors.append(described)
    width = int(frames[0].shape[1]) if len(frames) else 0
    return ShotFeatures(tuple(keypoints), tuple(descriptors), width)


def align(a: ShotFeatures, b: ShotFeatures, settings: MeasureSettings = MeasureSettings()
          ) -> Alignment | None:
    """The best-supported similarity transform between any frame of A and any frame of B, or
    None when no pair has :attr:`MeasureSettings.min_inliers` inliers. Deterministic (RANSAC
    seeded)."""
    found = alignments(a, b, settings)
    return found[0] if found else None


#: Shot pairs whose :func:`alignments` a process keeps (least recently used dropped first; an
#: entry is a few hundred bytes a frame pair): a cut's measure, then the same pair's evidence
#: (:mod:`cinegrade.evidence.pixels`) and its match (:mod:`cinegrade.matching.match`) align the
#: same features — 11–13 % of the frame pairs of benchmarks/grade.py's check and grade.
KEPT_ALIGNMENTS = 1024
_kept: collections.OrderedDict[tuple, tuple[Alignment, ...]] = collections.OrderedDict()
_kept_lock = threading.Lock()


def alignments(a: ShotFeatures, b: ShotFeatures, settings: MeasureSettings = MeasureSettings()
               ) -> list[Alignment]:
    """Every frame pair's similarity transform with enough inliers, best supported first
    (features of both shots from the same detector). A pure function of its arguments (RANSAC
    seeded per frame pair), so the last :data:`KEPT_ALIGNMENTS` shot pairs' are kept by the
    features' :attr:`~ShotFeatures.digest` and given again."""
    key = (a.digest, b.digest, settings)
    with _kept_lock:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
            return list(found)
    found = tuple(_alignments(a, b, settings))
    with _kept_lock:
        _kept[key] = found
        while len(_kept) > KEPT_ALIGNMENTS:
            _kept.popitem(last=False)
    return list(found)


def _alignments(a: ShotFeatures, b: ShotFeatures, settings: MeasureSettings) -> list[Alignment]:
    """:func:`alignments`, made."""
    detector = DETECTORS[settings.detector]
    found: list[Alignment] = []
    residual = max(1.0, settings.residual * max(a.width, 1))
    for ia, (ka, da) in enumerate(zip(a.keypoints, a.descriptors)):
        for ib, (kb, db) in enumerate(zip(b.keypoints, b.descriptors)):
            if len(ka) < 4 or len(kb) < 4:
                continue
            pairs = detector.match(da, db)
            if len(pairs) < settings.min_inliers:
                continue
            source = kb[pairs[:, 1]][:, ::-1].astype(np.float64)
            target = ka[pairs[:, 0]][:, ::-1].astype(np.float64)
            fitted = detector.similarity(source, target, residual)
            if fitted is None:
                continue
            matrix, count = fitted
            scale = math.sqrt(abs(np.linalg.det(matrix[:2, :2])))
            if count < settings.min_inliers or not 0.2 < scale < 5:
                continue
            found.append(Alignment(ia, ib, tuple(tuple(float(v) for v in row) for row in matrix),
                                   count, len(pairs)))
    return sorted(found, key=lambda alignment: -alignment.inliers)


def nearest_neighbours(query: np.ndarray, train: np.ndarray, k: int, norm: int,
                       mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest rows of ``train`` (M, D) to each row of ``query`` (N, D) under OpenCV's
    ``norm`` (``cv2.NORM_HAMMING`` on uint8 rows, ``cv2.NORM_L2`` on float32), nearest first,
    as ``cv2.BFMatcher(norm).knnMatch(query, train, k, mask)`` finds them (the same
    ``cv2.batchDistance`` call, ties to the lower index) but as arrays: distances (N, k)
    (int32 for Hamming, float32 otherwise) and indices (N, k) int32, -1 where fewer than ``k``
    rows are (unmasked). ``mask`` (N, M) uint8: the pairs considered, the others not computed."""
    import cv2

    dtype = cv2.CV_32S if norm in (cv2.NORM_HAMMING, cv2.NORM_HAMMING2) else cv2.CV_32F
    if len(query) == 0 or len(train) == 0:
        return (np.zeros((len(query), k), np.int32 if dtype == cv2.CV_32S else np.float32),
                np.full((len(query), k), -1, np.int32))
    options = {} if mask is None else {"mask": mask}
    distance, index = cv2.batchDistance(query, train, dtype, normType=norm, K=k, **options)
    if index.shape[1] < k:  # OpenCV gives min(k, M) columns
        missing = k - index.shape[1]
        distance = np.pad(distance, ((0, 0), (0, missing)), constant_values=np.iinfo(np.int32).max
                          if distance.dtype == np.int32 else np.finfo(np.float32).max)
        index = np.pad(index, ((0, 0), (0, missing)), constant_values=-1)
    return distance, index


class OpenCVORB:
    """ORB (Rublee et al. 2011) in OpenCV: FAST keypoints over a pyramid, rotated BRIEF binary
    descriptors (32 bytes); mutual nearest neighbours under the Hamming distance with Lowe's
    ratio test; a similarity transform by RANSAC (Fischler & Bolles 1981,
    ``cv2.estimateAffinePartial2D``, refined on the inliers). Compiled: 20× the speed of
    scikit-image's features and 10× its matching and RANSAC on 320 px frames."""

    name = "orb"

    @staticmethod
    def detect(luma: np.ndarray, settings: MeasureSettings) -> tuple[np.ndarray, np.ndarray]:
        import cv2

        image = np.clip(luma * 255 + 0.5, 0, 255).astype(np.uint8)
        orb = cv2.ORB_create(nfeatures=settings.keypoints, scaleFactor=1.25, nlevels=10,
                             edgeThreshold=15, patchSize=15, fastThreshold=10)
        found, described = orb.detectAndCompute(image, None)
        if described is None or not found:
            return np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8)
        points = np.array([(k.pt[1], k.pt[0]) for k in found], np.float32)  # (row, col)
        return points, described

    @staticmethod
    def match(da: np.ndarray, db: np.ndarray, ratio: float = 0.85) -> np.ndarray:
        """(K, 2) index pairs (into A, into B): mutual nearest neighbours passing the ratio test,
        in A's order. The nearest neighbours are ``cv2.BFMatcher(NORM_HAMMING).knnMatch``'s
        (:func:`nearest_neighbours`); B's own nearest in A is searched only for the B keypoints
        A's ratio test chose (a row's nearest neighbour does not depend on the other rows)."""
        import cv2

        distance, index = nearest_neighbours(da, db, 2, cv2.NORM_HAMMING)
        distance = distance.astype(np.float64)
        chosen = np.flatnonzero((index[:, 1] >= 0) & (distance[:, 0] < ratio * distance[:, 1]))
        if not len(chosen):
            return np.zeros((0, 2), np.int64)
        targets, target_of = np.unique(index[chosen, 0], return_inverse=True)
        _, back = nearest_neighbours(np.ascontiguousarray(db[targets]), da, 1, cv2.NORM_HAMMING)
        mutual = chosen[back[target_of.ravel(), 0] == chosen]
        return np.stack([mutual, index[mutual, 0]], axis=1).astype(np.int64)

    @staticmethod
    def similarity(source: np.ndarray, target: np.ndarray, residual: float
                   ) -> tuple[np.ndarray, int] | None:
        """The 3×3 similarity taking ``source`` (N, 2) onto ``target`` and its inlier count."""
        import cv2

        cv2.setRNGSeed(0)
        matrix, inliers = cv2.estimateAffinePartial2D(
            source, target, method=cv2.RANSAC, ransacReprojThreshold=residual, maxIters=300,
            confidence=0.995, refineIters=10)
        if matrix is None or inliers is None:
            return None
        return np.vstack([matrix, [0.0, 0.0, 1.0]]), int(inliers.sum())


class ScikitImageORB:
    """ORB in scikit-image, matched with ``match_descriptors`` (mutual, ratio 0.85) and a
    similarity transform by scikit-image's RANSAC (seeded): the reference implementation."""

    name = "orb-skimage"

    @staticmethod
    def detect(luma: np.ndarray, settings: MeasureSettings) -> tuple[np.ndarray, np.ndarray]:
        from skimage.feature import ORB

        orb = ORB(n_keypoints=settings.keypoints, fast_threshold=0.04, downscale=1.25, n_scales=10)
        try:
            orb.detect_and_extract(luma.astype(np.float64))
            return np.asarray(orb.keypoints, dtype=np.float32), np.asarray(orb.descriptors, dtype=bool)
        except (RuntimeError, ValueError, IndexError):  # flat frame: no keypoints at all
            return np.zeros((0, 2), np.float32), np.zeros((0, 256), bool)

    @staticmethod
    def match(da: np.ndarray, db: np.ndarray) -> np.ndarray:
        from skimage.feature import match_descriptors

        return match_descriptors(da, db, cross_check=True, max_ratio=0.85)

    @staticmethod
    def similarity(source: np.ndarray, target: np.ndarray, residual: float
                   ) -> tuple[np.ndarray, int] | None:
        from skimage.measure import ransac
        from skimage.transform import SimilarityTransform

        model, inliers = ransac((source, target), SimilarityTransform, min_samples=3,
                                residual_threshold=residual, max_trials=300, rng=0)
        if not model or inliers is None:
            return None
        return model.params, int(inliers.sum())


#: Keypoint detectors and matchers by name (:attr:`MeasureSettings.detector`): add a class with
#: ``detect``, ``match`` and ``similarity`` to add one.
DETECTORS = {detector.name: detector for detector in (OpenCVORB, ScikitImageORB)}


def is_reframing(agreement: float, inliers: int, settings: MeasureSettings = MeasureSettings()) -> bool:
    """Whether two aligned frames are one picture reframed, not two cameras apart: their
    structure agrees (:func:`shared_pixels`' agreement at least
    :attr:`MeasureSettings.reframing_agreement`) or the alignment has
    :attr:`MeasureSettings.reframing_inliers` inliers.

    >>> is_reframing(0.98, 15), is_reframing(0.63, 79), is_reframing(0.55, 21)
    (True, True, False)
    """
    return agreement >= settings.reframing_agreement or inliers >= settings.reframing_inliers


def pooled_shared_pixels(frames_a: Sequence[np.ndarray], frames_b: Sequence[np.ndarray],
                         features_a: ShotFeatures, features_b: ShotFeatures, count: int = 3,
                         settings: MeasureSettings = MeasureSettings(), reframing_only: bool = False,
                         found: Sequence[Alignment] | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """The :func:`shared_pixels` of the ``count`` best-supported frame pairs of two shots, pooled:
    (A's, B's) display-referred (N, 3) float64, or None when no pair shares usable pixels.
    Frames: display-referred Rec.709 float (H, W, 3) with their features. ``reframing_only``:
    only frame pairs that are one picture reframed (:func:`is_reframing`), not cameras apart.
    ``found``: the shots' :func:`alignments`, when already made."""
    import warnings

    if found is None:
        with warnings.catch_warnings():  # RANSAC warns for every frame pair it cannot fit
            warnings.simplefilter("ignore")
            found = alignments(features_a, features_b, settings)
    pairs_a, pairs_b = [], []
    for alignment in found[:count]:
        shared = shared_pixels(frames_a[alignment.frame_a], frames_b[alignment.frame_b],
                               np.asarray(alignment.matrix), settings)
        if shared is not None and (not reframing_only or is_reframing(shared[3], alignment.inliers, settings)):
            pairs_a.append(shared[0])
            pairs_b.append(shared[1])
    if not pairs_a:
        return None
    return np.concatenate(pairs_a), np.concatenate(pairs_b)


def _blur(rgb: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur of an image (H, W, C) float32 by ``sigma`` pixels, edges extended: SciPy's
    ``gaussian_filter(rgb, (sigma, sigma, 0), mode="nearest")`` (its kernel, 4 σ either side),
    compiled in OpenCV."""
    import cv2

    radius = int(4.0 * sigma + 0.5)
    return cv2.GaussianBlur(rgb, (2 * radius + 1, 2 * radius + 1), sigmaX=sigma, sigmaY=sigma,
                            borderType=cv2.BORDER_REPLICATE)


def _box_mean(image: np.ndarray, size: int) -> np.ndarray:
    """The mean over ``size``² windows of an image (H, W) float32, edges mirrored: SciPy's
    ``uniform_filter(image, size)``, compiled in OpenCV."""
    import cv2

    return cv2.blur(image, (size, size), borderType=cv2.BORDER_REFLECT)


#: The 4-neighbour cross (SciPy's default structure for binary erosion).
_CROSS = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], np.uint8)


def shared_pixels(frame_a: np.ndarray, frame_b: np.ndarray, matrix: np.ndarray,
                  settings: MeasureSettings = MeasureSettings()
                  ) -> tuple[np.ndarray, np.ndarray, float, float] | None:
    """The pixel pairs two aligned frames share, as display-referred (N, 3) arrays (A's, B's
    warped onto A), the share of A's frame B covers and the share of their shared textured
    pixels whose structure agrees (1.0 where none is textured); ``matrix`` maps B's (x, y)
    onto A's.

    Both frames are blurred to the coarser of their two scales; pairs are kept inside both
    frames, in flat areas, neither clipped nor near black, where the structure agrees
    (:func:`_agree`). None below 200 pairs, below :attr:`MeasureSettings.min_overlap`, or when
    the alignment does not hold up pixel by pixel (:attr:`MeasureSettings.min_agreement`).
    """
    import cv2

    a = np.ascontiguousarray(frame_a, dtype=np.float32)
    b = np.ascontiguousarray(frame_b, dtype=np.float32)
    matrix = np.asarray(matrix, dtype=np.float64)
    scale = math.sqrt(abs(np.linalg.det(matrix[:2, :2])))  # B pixels per A pixel, inverted
    # blur both to the coarser scale: B shrinks by `scale` when warped onto A
    a = _blur(a, 1.0 + 0.6 * max(0.0, scale - 1.0))
    b = _blur(b, 1.0 + 0.6 * max(0.0, 1.0 / scale - 1.0))
    # bilinear, -1 outside B; eroded 3 times by the 4-neighbour cross, nothing past A's edge
    warped = cv2.warpPerspective(b, matrix, (a.shape[1], a.shape[0]), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=(-1.0,) * 4)
    inside = cv2.erode((channel_min(warped) >= 0).astype(np.uint8), _CROSS, iterations=3,
                       borderType=cv2.BORDER_CONSTANT, borderValue=0).view(bool)
    overlap = float(inside.mean())
    if overlap < settings.min_overlap:
        return None
    luma_a, luma_w = _luma(a), _luma(warped)
    gradient = np.hypot(cv2.Sobel(luma_a, cv2.CV_32F, 0, 1, ksize=3, borderType=cv2.BORDER_REFLECT),
                        cv2.Sobel(luma_a, cv2.CV_32F, 1, 0, ksize=3, borderType=cv2.BORDER_REFLECT))
    flat = gradient <= np.quantile(gradient[inside], 0.5)
    clipped = (channel_max(a) >= 0.95) | (channel_max(warped) >= 0.95)
    dark = (channel_min(a) <= 0.04) | (channel_min(warped) <= 0.04)
    agree, textured = _agree(luma_a, luma_w)
    structure = inside & textured
    agreement = float((agree & structure).sum() / structure.sum()) if structure.sum() >= 200 else 1.0
    if agreement < settings.min_agreement:
        return None  # the alignment does not hold up pixel by pixel: a false match
    usable = inside & flat & ~clipped & ~dark & agree
    if usable.sum() < 200:
        return None
    return a[usable].astype(np.float64), warped[usable].astype(np.float64), overlap, agreement


def channel_min(rgb: np.ndarray) -> np.ndarray:
    """``rgb.min(axis=-1)`` of an image (H, W, 3), any dtype, the same values channel by
    channel: numpy's reduction over a short last axis is ~9× slower.

    >>> channel_min(np.array([[[0.5, 0.2, 0.9]]])).tolist()
    [[0.2]]
    """
    return np.minimum(np.minimum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])


def channel_max(rgb: np.ndarray) -> np.ndarray:
    """``rgb.max(axis=-1)`` of an image (H, W, 3), channel by channel (see :func:`channel_min`)."""
    return np.maximum(np.maximum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])


def _agree(luma_a: np.ndarray, luma_b: np.ndarray, size: int = 7,
           minimum: float = 0.6) -> tuple[np.ndarray, np.ndarray]:
    """Where the two aligned frames show the same structure: (mask, textured). Local normalised
    cross-correlation of luma over ``size``² windows ≥ ``minimum`` (gain and offset, hence any
    drift, leave it alone; parallax and moving things do not), or both windows flat amid
    texture that mostly agrees; ``textured`` says where both windows have texture to
    correlate."""
    mean_a, mean_b = _box_mean(luma_a, size), _box_mean(luma_b, size)
    var_a = _box_mean(luma_a * luma_a, size) - mean_a**2
    var_b = _box_mean(luma_b * luma_b, size) - mean_b**2
    cov = _box_mean(luma_a * luma_b, size) - mean_a * mean_b
    textured = (var_a > 1e-4) & (var_b > 1e-4)
    ncc = cov / np.sqrt(np.maximum(var_a * var_b, 1e-12))
    flat = (var_a <= 1e-4) & (var_b <= 4e-4)
    good = textured & (ncc >= minimum)
    # a flat pixel cannot show whether it is the same surface: trust it only where the texture
    # around it (a 31-pixel window) mostly agrees
    near_good = _box_mean(good.astype(np.float32), 31)
    near_bad = _box_mean((textured & ~good).astype(np.float32), 31)
    verified = near_good > np.maximum(near_bad, 0.02)
    return good | (flat & verified), textured
