"""Evidence from surfaces both shots show at another scale or from another angle: SIFT.

A wide and its close-up, an over-the-shoulder and the medium shot, show the same wall, costume or
prop at ×2–×4 the scale and from a moved camera, where the similarity alignment of
:mod:`cinegrade.correspondence.align` (which needs one picture to be a reframing of the other)
finds nothing. SIFT keypoints (Lowe 2004, "Distinctive image features from scale-invariant
keypoints", IJCV; OpenCV's ``SIFT``) are found at their own scale and described by gradient
orientations normalised for contrast (RootSIFT, Arandjelović & Zisserman 2012), so a change of
exposure, white balance or contrast leaves them alone. Matches pass Lowe's ratio test and are
kept where RANSAC (Fischler & Bolles 1981) fits them a homography (a plane, or a camera that only
turned), with their scales in one consistent ratio. (A fundamental matrix — any rigid scene seen
from two places — was tried too: its epipolar constraint let wrong matches through, and on the
rendered scenes its pairs were off by 1.1 stops and 1.3 in warmth, 5–9 times their claimed errors.)

Each keypoint carries the mean colour of the disc its scale covers; a matched pair of discs shows
the same surface at the same extent in both shots, so the drift model
(:func:`cinegrade.colour.drift.fit_drift_parameters`) fitted on the pairs gives the drift with a
standard error from the fit's residuals, inflated by :data:`ERROR_INFLATION` and floored by
:data:`ERROR_FLOOR` (measured on undrifted camera pairs of the rendered multi-angle scenes,
``benchmarks/evidence.py``).

Pixels: display-referred Rec.709 R'G'B' (H, W, 3) (uint8 codes in the description).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cinegrade.colour.drift import fit_drift_parameters, plausible
from cinegrade.colour.encodings import REC709_LUMA
from cinegrade.evidence.base import EvidenceSource, PairEvidence, ShotEvidenceInput, register_source

#: Keypoints per frame.
KEYPOINTS = 1500
#: Lowe's ratio: the best match must be this much nearer than the second best.
RATIO = 0.8
#: RANSAC inlier distance (pixels at the frame's size) and the fewest inliers believed.
RANSAC_PIXELS = 2.0
MIN_INLIERS = 14
#: Homography inliers needed before the shots' pixels are compared through it.
HOMOGRAPHY_INLIERS = 25
#: Disc colour samples used from one pair of shots (the most distinct first).
MIN_PAIRS = 20
#: The fit's formal error is scaled by this (neighbouring discs overlap, surfaces are not flat,
#: a disc at another angle covers a little else) and floored, per component (exposure stops,
#: warmth, tint, log contrast, lift, log saturation). The floors of warmth and saturation are
#: the RMS errors measured on the rendered scenes at 640 px (0.43 and 0.23 over 12 pairs, with
#: 0.08 and 0.07 claimed before): surfaces seen from two places differ in colour more than in
#: lightness (a glossy floor, a lamp's reflection).
ERROR_INFLATION = 3.5
ERROR_FLOOR = np.array([0.15, 0.25, 0.015, 0.12, 0.03, 0.15])
#: Keypoints on a face, or within this share of its box's size around it, are left out: two
#: characters' eyes, mouths and hair match each other's keypoints (on the rendered scenes, whose
#: characters share one face, a homography held between them); faces are compared by the
#: faces source, which tells who is who (:mod:`cinegrade.evidence.faces`).
FACE_MARGIN = 0.4
#: The same for pixels compared through a homography (thousands of pairs, of few surfaces); at
#: 640 px their errors were 3–5 times what the fit claimed (8 pairs of the rendered scenes), and
#: the floors are those RMS errors.
PIXEL_INFLATION = 10.0
PIXEL_FLOOR = np.array([0.2, 0.15, 0.05, 0.1, 0.03, 0.15])


@dataclass(frozen=True)
class FrameKeypoints:
    """SIFT keypoints of one frame: positions (N, 2) float32 (x, y pixels), sizes (N,) float32
    (pixels), RootSIFT descriptors (N, 128) float32, and the mean display-referred R'G'B' of
    each keypoint's disc (N, 3) float32 in [0, 1]."""

    points: np.ndarray
    sizes: np.ndarray
    descriptors: np.ndarray
    colours: np.ndarray


def _sift():
    import cv2

    return cv2.SIFT_create(nfeatures=KEYPOINTS, contrastThreshold=0.02)


def frame_keypoints(rgb8: np.ndarray, detector=None, exclude=()) -> FrameKeypoints:
    """:class:`FrameKeypoints` of a display-referred Rec.709 frame (H, W, 3) uint8, detected on
    luma Y'; none inside the boxes ``exclude`` ((x, y, w, h) pixels each)."""

    detector = detector or _sift()
    luma = np.clip(rgb8.astype(np.float32) @ REC709_LUMA + 0.5, 0, 255).astype(np.uint8)
    found, descriptors = detector.detectAndCompute(luma, None)
    points = np.array([k.pt for k in found], dtype=np.float32).reshape(-1, 2)
    keep = np.ones(len(points), bool)
    for x, y, w, h in exclude:
        keep &= ~((points[:, 0] >= x) & (points[:, 0] <= x + w) & (points[:, 1] >= y) & (points[:, 1] <= y + h))
    if descriptors is None or not keep.any():
        empty = np.zeros((0, 2), np.float32)
        return FrameKeypoints(empty, np.zeros(0, np.float32), np.zeros((0, 128), np.float32),
                              np.zeros((0, 3), np.float32))
    descriptors = descriptors[keep]
    descriptors = np.sqrt(descriptors / np.maximum(descriptors.sum(axis=1, keepdims=True), 1e-9))
    points = points[keep]
    sizes = np.array([k.size for k in found], dtype=np.float32)[keep]
    colours = _disc_means(rgb8.astype(np.float32) / 255, points, sizes)
    return FrameKeypoints(points, sizes, descriptors.astype(np.float32), colours)


def _around(box: tuple[int, int, int, int]) -> tuple[float, float, float, float]:
    """A face box (x, y, w, h) grown by :data:`FACE_MARGIN` of its size on every side."""
    x, y, w, h = box
    return (x - FACE_MARGIN * w, y - FACE_MARGIN * h, (1 + 2 * FACE_MARGIN) * w, (1 + 2 * FACE_MARGIN) * h)


def _disc_means(rgb: np.ndarray, points: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Mean colour (N, 3) of the square inscribed in each keypoint's disc (half its size across),
    by an integral image."""
    import cv2

    integral = cv2.integral(rgb)  # (H+1, W+1, 3) float64
    height, width = rgb.shape[:2]
    half = np.maximum(1.0, 0.35 * sizes)
    x0 = np.clip(np.round(points[:, 0] - half), 0, width - 1).astype(int)
    x1 = np.clip(np.round(points[:, 0] + half) + 1, 1, width).astype(int)
    y0 = np.clip(np.round(points[:, 1] - half), 0, height - 1).astype(int)
    y1 = np.clip(np.round(points[:, 1] + half) + 1, 1, height).astype(int)
    total = integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]
    area = np.maximum((x1 - x0) * (y1 - y0), 1)[:, None]
    return (total / area).astype(np.float32)


#: Slack of :func:`two_nearest`'s prescreen, in squared distance per unit of the descriptors'
#: largest squared norms: float32 rounding of a 128-term dot product is under 1e-5 of it.
PRESCREEN_SLACK = 1e-3


def two_nearest(da: np.ndarray, db: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row of ``da`` (N, D) float32's two nearest rows of ``db`` (M, D) float32 under the
    L2 distance: distances (N, 2) float32 and indices (N, 2) int32 (-1 where M < 2), exactly
    as ``cv2.BFMatcher(cv2.NORM_L2).knnMatch(da, db, k=2)`` finds them, at a third of its cost.
    A matrix product gives every squared distance up to rounding (‖b‖² − 2a·b, ‖a‖² being one
    per row); OpenCV then measures only the pairs within :data:`PRESCREEN_SLACK` of a row's
    second nearest by that product, which holds both true nearest (and any tie)."""
    import cv2

    from cinegrade.correspondence.align import nearest_neighbours

    if len(da) == 0 or len(db) < 3:
        return nearest_neighbours(da, db, 2, cv2.NORM_L2)
    square_b = np.einsum("ij,ij->i", db, db)
    approx = square_b[None, :] - 2.0 * (da @ db.T)
    rows = np.arange(len(da))
    best = approx.argmin(axis=1)
    nearest = approx[rows, best].copy()
    approx[rows, best] = np.inf
    second = approx.min(axis=1)
    approx[rows, best] = nearest
    largest = float(np.einsum("ij,ij->i", da, da).max(initial=0.0)) + float(square_b.max(initial=0.0))
    mask = (approx <= (second + PRESCREEN_SLACK * max(largest, 1.0))[:, None]).view(np.uint8)
    return nearest_neighbours(da, db, 2, cv2.NORM_L2, mask)


def match_keypoints(a: FrameKeypoints, b: FrameKeypoints
                    ) -> tuple[np.ndarray, str, np.ndarray | None] | None:
    """Indices (M, 2) of A's and B's keypoints that show the same surface points, the model that
    verified them ("homography") and the homography (3, 3) taking B's (x, y) onto A's; None
    below :data:`MIN_INLIERS`."""
    import cv2

    if len(a.points) < MIN_INLIERS or len(b.points) < MIN_INLIERS:
        return None
    distance, index = two_nearest(a.descriptors, b.descriptors)
    distance = distance.astype(np.float64)
    chosen = np.flatnonzero((index[:, 1] >= 0) & (distance[:, 0] < RATIO * distance[:, 1]))
    if len(chosen) < MIN_INLIERS:
        return None
    pairs = np.stack([chosen, index[chosen, 0]], axis=1).astype(np.int64)
    # one surface seen at two scales: its keypoints' sizes keep one ratio
    log_ratio = np.log(b.sizes[pairs[:, 1]] / a.sizes[pairs[:, 0]])
    pairs = pairs[np.abs(log_ratio - np.median(log_ratio)) < np.log(1.6)]
    if len(pairs) < MIN_INLIERS:
        return None
    pa, pb = a.points[pairs[:, 0]], b.points[pairs[:, 1]]
    matrix, mask = cv2.findHomography(pb, pa, cv2.USAC_MAGSAC, RANSAC_PIXELS, maxIters=2000,
                                      confidence=0.999)
    if mask is not None and int(mask.sum()) >= MIN_INLIERS:
        return pairs[mask.ravel().astype(bool)], "homography", matrix
    return None


#: Spearman correlation of matched discs' luma below which the matches are not one surface
#: set under a drift (a drift keeps the order of lightness; repeated patterns matched to the
#: wrong copy do not)
MIN_RANK_CORRELATION = 0.6
#: Discs whose luma rank moves by more than this share of the pairs are dropped as mismatches.
MAX_RANK_SHIFT = 0.2


def _monotone(ca: np.ndarray, cb: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Matched disc colours (N, 3) kept where their lightness order agrees (a drift is monotone
    in lightness); (None, None) when the order does not hold overall."""
    if len(ca) < MIN_PAIRS:
        return None, None
    rank_a = np.argsort(np.argsort(ca @ REC709_LUMA)) / (len(ca) - 1)
    rank_b = np.argsort(np.argsort(cb @ REC709_LUMA)) / (len(cb) - 1)
    if np.corrcoef(rank_a, rank_b)[0, 1] < MIN_RANK_CORRELATION:
        return None, None
    keep = np.abs(rank_a - rank_b) <= MAX_RANK_SHIFT
    return ca[keep], cb[keep]


def _agree(a: PairEvidence, b: PairEvidence, z: float = 3.0) -> bool:
    """Whether two estimates of one pair agree in exposure, warmth and tint within ``z``
    combined standard errors."""
    difference = np.abs(np.subtract(a.drift, b.drift))[:3]
    return bool(np.all(difference <= z * np.hypot(a.error, b.error)[:3]))


@dataclass(frozen=True)
class FeatureShot:
    """What :class:`FeatureEvidence` keeps of a shot: its frames (uint8 display R'G'B') and
    their keypoints."""

    frames8: tuple[np.ndarray, ...]
    keypoints: tuple[FrameKeypoints, ...]


@register_source
class FeatureEvidence(EvidenceSource):
    """Evidence from SIFT matches across scale and viewpoint (see the module docstring). Where
    a homography holds (a plane, a camera that turned), the shots' pixels are compared through
    it as :func:`cinegrade.correspondence.align.shared_pixels` compares reframings; elsewhere the
    matched keypoints' discs are."""

    name = "features"
    family = "correspondence"

    def describe(self, shot: ShotEvidenceInput) -> FeatureShot | None:
        detector = _sift()
        described = tuple(frame_keypoints(frame, detector, [_around(box) for box in boxes])
                          for frame, boxes in zip(shot.frames8, shot.face_boxes))
        if not any(len(k.points) >= MIN_INLIERS for k in described):
            return None
        return FeatureShot(shot.frames8, described)

    def compare(self, a: FeatureShot | None, b: FeatureShot | None) -> PairEvidence | None:
        from cinegrade.correspondence.align import shared_pixels

        if a is None or b is None:
            return None
        discs_a, discs_b, pixels_a, pixels_b, models = [], [], [], [], set()
        for frame_a, keys_a in zip(a.frames8, a.keypoints):
            for frame_b, keys_b in zip(b.frames8, b.keypoints):
                found = match_keypoints(keys_a, keys_b)
                if found is None:
                    continue
                pairs, model, matrix = found
                discs_a.append(keys_a.colours[pairs[:, 0]])
                discs_b.append(keys_b.colours[pairs[:, 1]])
                models.add(model)
                if matrix is not None and len(pairs) >= HOMOGRAPHY_INLIERS and len(pixels_a) < 3:
                    shared = shared_pixels(frame_a.astype(np.float32) / 255,
                                           frame_b.astype(np.float32) / 255, matrix)
                    if shared is not None:
                        pixels_a.append(shared[0])
                        pixels_b.append(shared[1])
        if not discs_a:
            return None
        ca = np.concatenate(discs_a).astype(np.float64)
        cb = np.concatenate(discs_b).astype(np.float64)
        usable = (ca.max(axis=1) < 0.97) & (cb.max(axis=1) < 0.97) & \
            (ca @ REC709_LUMA > 0.03) & (cb @ REC709_LUMA > 0.03)
        ca, cb = _monotone(ca[usable], cb[usable])
        discs = None if ca is None else self._evidence(
            ca, cb, ERROR_FLOOR, ERROR_INFLATION, "keypoints",
            f"matched keypoints ({', '.join(sorted(models))})")
        if pixels_a:
            warped = self._evidence(np.concatenate(pixels_a), np.concatenate(pixels_b), PIXEL_FLOOR,
                                    PIXEL_INFLATION, "pixels", "pixels through a homography")
            # a homography through a scene that is not flat warps other surfaces together:
            # believed only where the keypoints' own discs agree with it
            if warped is not None and (discs is None or _agree(warped, discs)):
                return warped
        return discs

    def _evidence(self, pa, pb, floor, inflation, unit, what) -> PairEvidence | None:
        fitted = fit_drift_parameters(pa, pb, min_pairs=MIN_PAIRS)
        if fitted is None or not plausible(fitted[0]):
            return None
        parameters, covariance = fitted
        return PairEvidence.fitted(self.name, parameters, covariance, inflation, floor, len(pa), unit,
                                   f"{len(pa)} {what}")
