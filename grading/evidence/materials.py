"""Evidence from the surfaces shots of one scene share (a wall, a costume, a sofa, the sky), found
by what a drift leaves alone.

A wide and its close-up show the same materials at ×2–×4 the scale and from a moved camera, often
where keypoints do not match (flat or repetitive surfaces, big changes of scale). Each frame is
segmented (Felzenszwalb & Huttenlocher 2004, "Efficient graph-based image segmentation", IJCV
59(2); scikit-image's ``felzenszwalb``) on log CAT02 cone responses of display light — a white
balance or exposure is a gain per cone channel (:mod:`cinegrade.colour.adaptation`), an offset of
the logs, which the segmentation's colour differences do not see — at every level of a √2 pyramid
(:data:`LEVEL_WIDTHS`) with the same settings in pixels, so that a surface seen ×2 the size in
another shot is segmented alike two levels down. Each region keeps:

- its colours: the mean display light of the whole region and of five bands of it by luminance
  (:data:`BANDS`), encoded as display R'G'B' (none where clipped pixels are in it): what the drift
  is fitted on, the bands giving each surface's own tone range;
- descriptors a drift leaves (nearly) alone: the log ratios of its cone responses to each
  neighbour's across its edges (Funt & Finlayson 1995, "Color constant color indexing", IEEE PAMI
  17(5): ratios of neighbouring surfaces' responses are unchanged by any gain per channel) and to
  its boundary-weighted surround; histograms of log-luminance gradient orientations and of uniform
  local binary patterns of luma (Ojala, Pietikäinen & Mäenpää 2002, IEEE PAMI 24(7): unchanged by
  any monotonic change of luma); the anisotropy of its shape.

What is *not* invariant, measured on four of scikit-image's photographs (regions of one frame
before and after the drift, median relative change of the log ratios across edges): exposure and
white balance (4500 K, 9500 K) change them 0.4–4 % (8-bit rounding, clipping); a saturation of
×0.65 or ×1.4 changes their chromatic part 35–37 % (achromatic 2.5 %); a display gamma of 0.8 or
1.25 both parts 16–18 %; a lift of 0.05 10–12 %. The segmentation moves too: 57 % of regions come
out identical under a gain, 36–47 % under the others (:data:`ACHROMATIC_WEIGHT` and the tolerant
verification below absorb the rest).

:meth:`MaterialEvidence.compare` matches one frame of each shot level against level: the finest
level of one shot with each level of the other (the pair whose scales agree shows the shared
surfaces at the same size in pixels). Each region's :data:`CANDIDATES` nearest regions by the
descriptors are candidates, verified together as RANSAC verifies keypoints (Fischler & Bolles
1981): every two good candidates propose a similarity (a scale near 1 at these levels, a
translation), and the proposal the most distinct regions follow — in position, size and one common
change of colour — wins. Regions that keep no such layout with others (two different white walls,
a patch of sky) fall away. The middle frames choose the level pair; the others use it. A pair of
shots gives evidence when :data:`MIN_FRAME_PAIRS` frame pairs each keep :data:`MIN_REGIONS`
regions and the drift (:func:`cinegrade.colour.drift.fit_drift_parameters`) fitted on their
colours is a believable one (:data:`PLAUSIBLE`).

Error model: the fit's covariance, computed with its residual scale floored at
:data:`RESIDUAL_FLOOR` (few colours leave directions of the model free that tiny residuals
hide), inflated by :data:`ERROR_INFLATION` and floored by :data:`ERROR_FLOOR` per component, so
that 95 % of errors fall within two claimed errors on: crops of scikit-image's photographs at ×2–3
the scale with known drifts, the benchmark's framings, and the rendered multi-angle scenes
undrifted and drifted (``benchmarks/evidence.py``; no evidence on any of 180 pairs of different
photographs).

What it cannot do: shots whose scales differ by more than ×4 (a wide and a face close-up), shots
that share no surface (most reverse angles), real clips of another camera (bikes.mp4's cuts: no
evidence); surfaces whose shading changes with the camera's angle; a scene of one colour (a
tungsten-lit room) gives regions nothing tells apart, and a layout of like surfaces that repeats
(tiles, bookshelves) can be matched one period off — the colours then still agree, so it costs
little. A lift over :data:`PLAUSIBLE` (0.12) between two shots is taken for a wrong match.

Pixels: display-referred Rec.709 R'G'B' (8-bit frames of :class:`ShotEvidenceInput`); light is the
BT.1886 EOTF (:func:`cinegrade.colour.encodings.display_linear`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cinegrade.colour.adaptation import RGB_TO_LMS
from cinegrade.colour.drift import TO_COMPONENTS, fit_drift_parameters, plausible, predict_drift
from cinegrade.colour.encodings import REC709_LUMA, display_linear
from cinegrade.correspondence.align import channel_max, channel_min
from cinegrade.evidence.base import EvidenceSource, PairEvidence, ShotEvidenceInput, register_source

#: Widths (pixels) each frame is segmented at: a √2 pyramid from half the 320 px view, so levels
#: ``j`` apart show a surface at the same size in pixels when the shots' scales differ ×√2**j.
LEVEL_WIDTHS = (160, 113, 80, 57, 40)
#: Felzenszwalb–Huttenlocher scale k and Gaussian σ (pixels) on log cone responses, and the
#: smallest region (pixels of its level; at the finest level 0.3 % of the frame).
SEGMENT_SCALE = 60.0
SEGMENT_SIGMA = 0.5
MIN_PIXELS = 40
#: Luminance bands within a region whose mean colours are kept besides the whole region's (lower
#: edges, as fractions of its pixels by luminance rank).
BANDS = (0.0, 0.2, 0.4, 0.6, 0.8)
#: Largest share of clipped pixels (a channel at code 0–1 or 254–255) a mean colour may hold.
MAX_CLIPPED = 0.01
#: Added to linear cone responses (display light, white = 1) before the log: keeps blacks sane.
LOG_FLOOR = 1e-3
#: Opponent basis on log cone responses: achromatic (mean), L − M, (L + M) / 2 − S.
OPPONENT = np.array([[1 / 3, 1 / 3, 1 / 3], [1.0, -1.0, 0.0], [0.5, 0.5, -1.0]])
#: Weight of the achromatic part of log ratios (a gamma, contrast or lift changes it the most).
ACHROMATIC_WEIGHT = 0.5
#: Orientation bins and uniform-LBP codes (P = 8, R = 1) of the texture histograms.
ORIENTATIONS = 8
LBP_CODES = 10
#: Largest distance (log units) one edge ratio counts for: neighbours out of the other frame.
EDGE_CAP = 0.6
#: Each descriptor distance is divided by its median between unrelated regions (measured).
WEIGHTS = {"edges": 1 / 0.41, "surround": 1 / 0.65, "orientation": 1 / 1.06, "lbp": 1 / 0.98,
           "shape": 1 / 0.85}
#: Candidates: each region's this many nearest regions of the other frame, both ways.
CANDIDATES = 3
#: Verification: the similarity's scale range at matched levels, the angle two regions' offsets
#: may turn (radians), a region's position error (× √area, at least MIN_POSITION pixels), its
#: area's change (log), and how far its colour may leave the common change of log cone
#: responses (achromatic, chromatic; a gamma or saturation makes that change colour-dependent).
SCALE_RANGE = (0.7, 1.45)
MAX_TURN = 0.3
POSITION_TOLERANCE = 0.6
MIN_POSITION = 2.0
AREA_TOLERANCE = float(np.log(2.2))
COLOUR_TOLERANCE = (0.4, 0.2)
#: Proposals tried per frame pair (the pairs of best candidates).
MAX_PROPOSALS = 400
#: Distinct regions that must agree in a frame pair (measured on crops of scikit-image's
#: photographs: 7 or more in 1 of 60 pairs of different photographs with one frame pair, none of 180
#: with two; 45 % of pairs of one photograph at ×2–3 the scale).
MIN_REGIONS = 7
#: Frame pairs that must each have MIN_REGIONS (the same surfaces, found again in frames a little
#: apart: a chance layout does not hold up).
MIN_FRAME_PAIRS = 2
#: Colour pairs the fit needs.
MIN_PAIRS = 15
#: Largest drift believed between two shots, per component (about 1.5 times the largest difference
#: of two drifts of AI video's size, :data:`cinegrade.demo.drifts.AI_DRIFT_SIZES`): a fit beyond it
#: has matched different surfaces, or surfaces of one colour that leave the fit free.
PLAUSIBLE = np.array([4.0, 1.5, 0.5, 0.8, 0.12, 1.3])
#: Least residual scale (display R'G'B') the fit's covariance is computed with: matched surfaces
#: differ by more than their residuals say (another part of the wall, another angle to the light).
RESIDUAL_FLOOR = 0.02
#: The fit's formal error is scaled by this and floored, per component (exposure stops, warmth,
#: tint, log contrast, lift, log saturation): 95 % of errors within 2 claimed errors on 194 pairs
#: with evidence (crops at ×2–3, the benchmark's framings, multi-angle renders; see the module
#: docstring), the floors set by the bisection of that share at this inflation.
ERROR_INFLATION = 2.0
ERROR_FLOOR = np.array([0.12, 0.075, 0.015, 0.035, 0.018, 0.06])


def log_opponent(lms: np.ndarray) -> np.ndarray:
    """Linear cone responses (..., 3) (CAT02, display light) → their logs in the :data:`OPPONENT`
    basis (..., 3) float64. Differences of two surfaces' values — log ratios across an edge (Funt &
    Finlayson 1995) — stay when a white balance or exposure multiplies each cone channel by a gain
    (von Kries), up to :data:`LOG_FLOOR`:

    >>> wall, sofa = np.array([0.30, 0.28, 0.20]), np.array([0.10, 0.06, 0.03])
    >>> gains = np.array([1.6, 1.4, 0.9])  # warmer and brighter
    >>> before = log_opponent(sofa) - log_opponent(wall)
    >>> after = log_opponent(gains * sofa) - log_opponent(gains * wall)
    >>> np.round(before, 2), bool(np.allclose(before, after, atol=0.01))
    (array([-1.5 ,  0.44,  0.56]), True)
    """
    return np.log(np.maximum(np.asarray(lms, dtype=np.float64), 0) + LOG_FLOOR) @ OPPONENT.T


@dataclass(frozen=True)
class LevelRegions:
    """The regions of one frame at one level of the pyramid (N regions, E directed edges).

    ``size``: the level's (width, height) in pixels. ``colours`` (N, 1 + len(BANDS), 3) float32
    display R'G'B': the mean light of the region, then of each of its :data:`BANDS` by luminance,
    each encoded (BT.1886); NaN where more than :data:`MAX_CLIPPED` of its pixels clip.
    ``opponent`` (N, 3) float32: log cone responses (CAT02) of its mean light in the
    :data:`OPPONENT` basis; ``surround`` (N, 3): the same of its neighbours' light,
    weighted by shared boundary. ``centre`` (N, 2) float32 (x, y pixels), ``area`` (N,) float32
    (pixels), ``shape`` (N, 2) float32: the second moments' anisotropy ((σxx − σyy), 2σxy) / (σxx + σyy).
    ``texture`` (N, 18) float32: orientation histogram of log-luminance gradients, then uniform-LBP
    histogram of luma, each summing to 1. ``edges`` (E, 2) int32: (region, neighbour) sorted by
    region; ``weights`` (E,) float32: the neighbour's share of the region's boundary."""

    size: tuple[int, int]
    colours: np.ndarray
    opponent: np.ndarray
    surround: np.ndarray
    centre: np.ndarray
    area: np.ndarray
    shape: np.ndarray
    texture: np.ndarray
    edges: np.ndarray
    weights: np.ndarray

    def __len__(self) -> int:
        return len(self.area)


def level_regions(linear: np.ndarray, clipped: np.ndarray, width: int) -> LevelRegions:
    """:class:`LevelRegions` of a frame's display light (H, W, 3) float32 (BT.1886 of R'G'B')
    and its clipped pixels (H, W) float32 (1 = a channel at a code's end), resampled (area
    average) to ``width`` pixels."""
    import cv2
    from skimage.feature import local_binary_pattern
    from skimage.segmentation import felzenszwalb

    height = max(8, round(linear.shape[0] * width / linear.shape[1]))
    linear = cv2.resize(linear, (width, height), interpolation=cv2.INTER_AREA)
    clipped = cv2.resize(clipped, (width, height), interpolation=cv2.INTER_AREA)
    lms = np.maximum(linear @ RGB_TO_LMS.T.astype(np.float32), 0)
    labels = felzenszwalb(np.log(lms + LOG_FLOOR, dtype=np.float64), scale=SEGMENT_SCALE,
                          sigma=SEGMENT_SIGMA, min_size=MIN_PIXELS)
    n = int(labels.max()) + 1
    flat = labels.ravel()
    count = np.bincount(flat, minlength=n).astype(np.float64)
    # mean light of the region and of its bands by luminance rank
    luminance = linear @ REC709_LUMA
    order = np.lexsort((luminance.ravel(), flat))
    ordered = flat[order]
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    rank = (np.arange(flat.size) - start[ordered]) / np.maximum(count[ordered] - 1, 1)
    light = linear.reshape(-1, 3)[order].astype(np.float64)
    clipped = clipped.ravel()[order].astype(np.float64)
    means = np.zeros((n, 1 + len(BANDS), 3))
    clipped_share = np.zeros((n, 1 + len(BANDS)))
    band_of = np.searchsorted(np.asarray(BANDS[1:]), rank, side="right")
    for band in range(len(BANDS) + 1):
        chosen = slice(None) if band == 0 else band_of == band - 1
        members = ordered[chosen]
        total = np.maximum(np.bincount(members, minlength=n), 1)
        for c in range(3):
            means[:, band, c] = np.bincount(members, light[chosen, c], n) / total
        clipped_share[:, band] = np.bincount(members, clipped[chosen], n) / total
    mean_lms = np.maximum(means[:, 0] @ RGB_TO_LMS.T, 0)
    opponent = log_opponent(mean_lms)
    # a clipped channel does not follow the drift: such means are no colour pairs (NaN)
    means[clipped_share > MAX_CLIPPED] = np.nan
    # position and second moments
    ys, xs = np.mgrid[0:height, 0:width]
    xs, ys = xs.ravel().astype(np.float64), ys.ravel().astype(np.float64)
    cx, cy = np.bincount(flat, xs, n) / count, np.bincount(flat, ys, n) / count
    sxx = np.bincount(flat, xs * xs, n) / count - cx**2
    syy = np.bincount(flat, ys * ys, n) / count - cy**2
    sxy = np.bincount(flat, xs * ys, n) / count - cx * cy
    spread = np.maximum(sxx + syy, 1e-9)
    shape = np.stack([(sxx - syy) / spread, 2 * sxy / spread], 1)
    # adjacency (4-neighbours, both directions) with boundary lengths; the surround's light
    pairs = np.concatenate([np.stack([labels[:, :-1].ravel(), labels[:, 1:].ravel()], 1),
                            np.stack([labels[:-1].ravel(), labels[1:].ravel()], 1)])
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    code, length = np.unique(np.concatenate([pairs[:, 0] * n + pairs[:, 1], pairs[:, 1] * n + pairs[:, 0]]),
                             return_counts=True)
    owner, neighbour, length = code // n, code % n, length.astype(np.float64)
    boundary = np.maximum(np.bincount(owner, length, n), 1)
    around = np.stack([np.bincount(owner, length * mean_lms[neighbour, c], n) for c in range(3)], 1)
    surround = log_opponent(around / boundary[:, None])
    # texture: orientations of log-luminance gradients (weighted by √magnitude), uniform LBP of luma
    log_y = np.log(luminance + LOG_FLOOR)
    gx = cv2.Sobel(log_y, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(log_y, cv2.CV_32F, 0, 1, ksize=3)
    bins = np.minimum((np.arctan2(gy, gx).ravel() % np.pi / np.pi * ORIENTATIONS).astype(np.int64),
                      ORIENTATIONS - 1)
    orientation = np.bincount(flat * ORIENTATIONS + bins, np.sqrt(np.hypot(gx, gy)).ravel(),
                              n * ORIENTATIONS).reshape(n, ORIENTATIONS)
    orientation /= np.maximum(orientation.sum(1, keepdims=True), 1e-12)
    luma8 = np.clip(np.power(luminance, 1 / 2.4) * 255 + 0.5, 0, 255).astype(np.uint8)
    codes = local_binary_pattern(luma8, 8, 1, "uniform").astype(np.int64).ravel()
    lbp = np.bincount(flat * LBP_CODES + codes, None, n * LBP_CODES).reshape(n, LBP_CODES) / count[:, None]
    keep = count >= MIN_PIXELS
    index = np.cumsum(keep) - 1
    inner = keep[owner] & keep[neighbour]
    owner, neighbour, length = index[owner[inner]], index[neighbour[inner]], length[inner]
    weights = length / np.maximum(np.bincount(owner, length, int(keep.sum())), 1)[owner]
    f32 = np.float32
    return LevelRegions((width, height), np.power(np.clip(means[keep], 0, 1), 1 / 2.4).astype(f32),
                        opponent[keep].astype(f32), surround[keep].astype(f32),
                        np.stack([cx, cy], 1)[keep].astype(f32), count[keep].astype(f32), shape[keep].astype(f32),
                        np.concatenate([orientation, lbp], 1)[keep].astype(f32),
                        np.stack([owner, neighbour], 1).astype(np.int32), weights.astype(f32))


def frame_regions(frame8: np.ndarray) -> tuple[LevelRegions, ...]:
    """The regions of a display-referred Rec.709 frame (H, W, 3) uint8 at every level of
    :data:`LEVEL_WIDTHS` (finest first)."""
    linear = display_linear(frame8.astype(np.float32) / 255)
    return tuple(level_regions(linear, clipped_codes(frame8), width) for width in LEVEL_WIDTHS)


def clipped_codes(frame8: np.ndarray) -> np.ndarray:
    """1.0 where a pixel of a uint8 frame (H, W, 3) has a channel at 254 or more or at 1 or less
    (clipped: its colour is not the surface's), else 0.0; (H, W) float32."""
    return ((channel_max(frame8) >= 254) | (channel_min(frame8) <= 1)).astype(np.float32)


def _by_region(values: np.ndarray, edges: np.ndarray, count: int, reduce: np.ufunc) -> np.ndarray:
    """(count, ...): ``reduce`` of ``values`` (E, ...) over each region's edges (``edges`` sorted
    by region); :data:`EDGE_CAP` for a region without edges."""
    out = np.full((count, *values.shape[1:]), EDGE_CAP)
    if len(edges):
        owners, starts = np.unique(edges[:, 0], return_index=True)
        out[owners] = reduce.reduceat(values, starts, axis=0)
    return out


def descriptor_distances(a: LevelRegions, b: LevelRegions) -> np.ndarray:
    """(Na, Nb) float64: how unlike each region of ``a`` is each of ``b`` by descriptors a drift
    leaves (nearly) alone: the mean over a region's edges (boundary-weighted) of the distance of
    its edge ratio to the nearest edge ratio of the other region (capped at :data:`EDGE_CAP`,
    both ways), the surround ratio, the two texture histograms (L1) and the shape, each weighted
    by :data:`WEIGHTS`."""
    from scipy.spatial.distance import cdist

    scale = np.array([ACHROMATIC_WEIGHT, 1.0, 1.0])
    oa, ob = a.opponent.astype(np.float64), b.opponent.astype(np.float64)
    ea = (oa[a.edges[:, 1]] - oa[a.edges[:, 0]]) * scale
    eb = (ob[b.edges[:, 1]] - ob[b.edges[:, 0]]) * scale
    edge = np.minimum(cdist(ea, eb), EDGE_CAP) if len(ea) and len(eb) else np.zeros((len(ea), len(eb)))
    # per edge of A and region of B, the nearest of that region's edges; weighted over A's edges
    nearest = _by_region(edge.T, b.edges, len(b), np.minimum).T
    a_to_b = _by_region(a.weights[:, None] * nearest, a.edges, len(a), np.add)
    nearest = _by_region(edge, a.edges, len(a), np.minimum).T
    b_to_a = _by_region(b.weights[:, None] * nearest, b.edges, len(b), np.add)
    total = WEIGHTS["edges"] * (a_to_b + b_to_a.T) / 2
    total += WEIGHTS["surround"] * cdist((oa - a.surround) * scale, (ob - b.surround) * scale)
    total += WEIGHTS["orientation"] * cdist(a.texture[:, :ORIENTATIONS], b.texture[:, :ORIENTATIONS], "cityblock")
    total += WEIGHTS["lbp"] * cdist(a.texture[:, ORIENTATIONS:], b.texture[:, ORIENTATIONS:], "cityblock")
    total += WEIGHTS["shape"] * cdist(a.shape, b.shape)
    return total


def _candidates(distance: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``count`` nearest columns and each column's ``count`` nearest rows, once each:
    (rows, columns) index arrays."""
    na, nb = distance.shape
    rows = np.argsort(distance, 1)[:, :min(count, nb)]
    columns = np.argsort(distance, 0)[:min(count, na), :]
    code = np.unique(np.concatenate([np.repeat(np.arange(na), rows.shape[1]) * nb + rows.ravel(),
                                     columns.T.ravel() * nb + np.repeat(np.arange(nb), columns.shape[0])]))
    return code // nb, code % nb


def verify_matches(a: LevelRegions, b: LevelRegions, distance: np.ndarray) -> np.ndarray:
    """The matches (M, 2) of ``a``'s and ``b``'s regions (indices) that keep one layout and one
    change of colour: the largest set of distinct regions following one proposal (see the module
    docstring); (0, 2) when no proposal holds."""
    ra, rb = _candidates(distance, CANDIDATES)
    n = len(ra)
    none = np.zeros((0, 2), np.int64)
    if n < 2:
        return none
    d = distance[ra, rb]
    pa, pb = a.centre[ra].astype(np.float64), b.centre[rb].astype(np.float64)
    area_a, area_b = a.area[ra].astype(np.float64), b.area[rb].astype(np.float64)
    log_area = np.log(area_b / area_a)
    shift = (b.opponent[rb] - a.opponent[ra]).astype(np.float64)
    tolerance = np.array([COLOUR_TOLERANCE[0], COLOUR_TOLERANCE[1], COLOUR_TOLERANCE[1]])
    best = np.argsort(d)[:50]
    i, j = np.triu_indices(len(best), 1)
    i, j = best[i], best[j]
    va, vb = pa[j] - pa[i], pb[j] - pb[i]
    la, lb = np.hypot(*va.T), np.hypot(*vb.T)
    scale = lb / np.maximum(la, 1e-9)
    ok = (ra[i] != ra[j]) & (rb[i] != rb[j]) & (la > 3) & (scale > SCALE_RANGE[0]) & (scale < SCALE_RANGE[1])
    ok &= (va * vb).sum(1) > np.cos(MAX_TURN) * la * lb
    ok &= (np.abs(shift[i] - shift[j]) < tolerance).all(1)
    i, j, scale = i[ok], j[ok], scale[ok]
    if not len(i):
        return none
    if len(i) > MAX_PROPOSALS:
        keep = np.argsort(d[i] + d[j])[:MAX_PROPOSALS]
        i, j, scale = i[keep], j[keep], scale[keep]
    offset = (pb[i] + pb[j]) / 2 - scale[:, None] * (pa[i] + pa[j]) / 2
    error = np.linalg.norm(scale[:, None, None] * pa[None] + offset[:, None] - pb[None], axis=-1)
    follows = error < np.maximum(POSITION_TOLERANCE * np.sqrt(np.minimum(area_a, area_b)), MIN_POSITION)
    follows &= np.abs(log_area - 2 * np.log(scale)[:, None]) < AREA_TOLERANCE
    follows &= (np.abs(shift[None] - ((shift[i] + shift[j]) / 2)[:, None]) < tolerance).all(-1)
    # distinct regions of each side following each proposal (candidates are sorted by A's region)
    starts_a = np.flatnonzero(np.r_[True, ra[1:] != ra[:-1]])
    distinct_a = np.logical_or.reduceat(follows, starts_a, axis=1).sum(1)
    by_b = np.argsort(rb, kind="stable")
    starts_b = np.flatnonzero(np.r_[True, rb[by_b][1:] != rb[by_b][:-1]])
    distinct_b = np.logical_or.reduceat(follows[:, by_b], starts_b, axis=1).sum(1)
    chosen = np.nonzero(follows[int(np.argmax(np.minimum(distinct_a, distinct_b)))])[0]
    matches, used_a, used_b = [], set(), set()
    for k in chosen[np.argsort(d[chosen])]:
        if ra[k] not in used_a and rb[k] not in used_b:
            matches.append((ra[k], rb[k]))
            used_a.add(ra[k])
            used_b.add(rb[k])
    return np.array(matches, np.int64).reshape(-1, 2)


@dataclass(frozen=True)
class MaterialShot:
    """What :class:`MaterialEvidence` keeps of a shot: each frame's regions at every level."""

    frames: tuple[tuple[LevelRegions, ...], ...]


def _level_pairs() -> list[tuple[int, int]]:
    """(level of A, level of B) pairs tried: the finest level of one shot with each of the other."""
    return [(0, 0)] + [(0, j) for j in range(1, len(LEVEL_WIDTHS))] + [(j, 0) for j in range(1, len(LEVEL_WIDTHS))]


def match_shots(a: MaterialShot, b: MaterialShot) -> tuple[list[tuple[LevelRegions, LevelRegions, np.ndarray]], int]:
    """The verified matches of two shots: per frame pair (frame k of each, the middle first) with
    :data:`MIN_REGIONS` or more, (A's regions, B's regions, matches (M, 2)); and the most regions
    any frame pair had. The middle frames choose the level pair; the others use it."""
    count = min(len(a.frames), len(b.frames))
    order = [count // 2] + [k for k in range(count) if k != count // 2]
    found, best_count, chosen = [], 0, None
    for k in order:
        best = (0, None, None)
        for la, lb in _level_pairs() if chosen is None else [chosen]:
            ra, rb = a.frames[k][la], b.frames[k][lb]
            if len(ra) < 2 or len(rb) < 2:
                continue
            matches = verify_matches(ra, rb, descriptor_distances(ra, rb))
            if len(matches) > best[0]:
                best = (len(matches), (la, lb), matches)
        if best[1] is None:
            break
        chosen = chosen or best[1]
        best_count = max(best_count, best[0])
        if best[0] >= MIN_REGIONS:
            found.append((a.frames[k][chosen[0]], b.frames[k][chosen[1]], best[2]))
    return found, best_count


@register_source
class MaterialEvidence(EvidenceSource):
    """Evidence from surfaces both shots show, matched by drift-invariant region descriptors and
    one layout (see the module docstring)."""

    name = "materials"
    family = "correspondence"

    def describe(self, shot: ShotEvidenceInput) -> MaterialShot | None:
        frames = tuple(frame_regions(frame) for frame in shot.frames8)
        if not frames or not any(len(level) >= MIN_REGIONS for regions in frames for level in regions):
            return None
        return MaterialShot(frames)

    def compare(self, a: MaterialShot | None, b: MaterialShot | None) -> PairEvidence | None:
        if a is None or b is None:
            return None
        found, regions = match_shots(a, b)
        if len(found) < MIN_FRAME_PAIRS:
            return None
        pa = np.concatenate([ra.colours[m[:, 0]] for ra, _, m in found]).reshape(-1, 3).astype(np.float64)
        pb = np.concatenate([rb.colours[m[:, 1]] for _, rb, m in found]).reshape(-1, 3).astype(np.float64)
        return drift_evidence(self.name, pa, pb, regions)


def drift_evidence(name: str, pa: np.ndarray, pb: np.ndarray, regions: int) -> PairEvidence | None:
    """:class:`PairEvidence` of the drift fitted on colour pairs ``pa`` → ``pb`` (N, 3) display
    R'G'B' of matched regions (NaN: clipped), ``regions`` its support; None when too few are
    usable (clipped or near black), or the fit runs into its bounds or beyond :data:`PLAUSIBLE`
    (signs of a wrong match). Errors: see :data:`RESIDUAL_FLOOR`, :data:`ERROR_INFLATION`."""
    usable = np.isfinite(pa).all(1) & np.isfinite(pb).all(1)
    usable[usable] &= (pa[usable] @ REC709_LUMA > 0.03) & (pb[usable] @ REC709_LUMA > 0.03)
    fitted = fit_drift_parameters(pa[usable], pb[usable], min_pairs=MIN_PAIRS)
    if fitted is None:
        return None
    parameters, covariance = fitted
    if not plausible(parameters, margin=0.95):
        return None
    # the fit's residual scale, as fit_drift_parameters takes it, floored: matched surfaces differ by
    # more than their residuals say where few colours leave directions of the model free
    residual = 1.4826 * float(np.median(np.abs(predict_drift(pa[usable], parameters) - pb[usable]))) + 1e-4
    covariance = covariance * (max(residual, RESIDUAL_FLOOR) / residual) ** 2
    components = TO_COMPONENTS @ parameters
    if np.any(np.abs(components) > PLAUSIBLE):
        return None
    return PairEvidence.fitted(name, parameters, covariance, ERROR_INFLATION, ERROR_FLOOR, regions,
                               "regions", f"{regions} matched surfaces")
