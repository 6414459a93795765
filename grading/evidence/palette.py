"""Evidence from the materials two shots share, matched by colour alone: the same costumes, hair
and wall paint seen from the front in one shot and from the back in another.

A close-up and the over-the-shoulder on the same character share no layout (front against back,
×4 the scale) and often no pixels, so neither keypoints nor the layout-verified surfaces of
:mod:`cinegrade.evidence.materials` link them; what they share is a *palette*: a red shirt, brown
hair, a teal shirt, a green wall. One drift moves every material of a shot alike, so when several
materials of distinct hues in shot A all land on materials of shot B under *one* drift, that drift
is evidence; one pair of regions never is (two characters' skins differ as a drift does: B = A ×
(0.70, 0.56, 0.46) in linear light).

:meth:`PaletteEvidence.describe` segments each frame as :mod:`~cinegrade.evidence.materials` does
(:func:`~cinegrade.evidence.materials.level_regions`: Felzenszwalb & Huttenlocher 2004 on log
CAT02 cone responses) at :data:`LEVEL_WIDTHS` and pools the regions of the shot's frames into a
palette (:func:`shot_palette`): regions of like colour merged, each entry keeping its mean colour
and luminance bands (display R'G'B'), its log cone responses in the opponent basis
(:data:`~cinegrade.evidence.materials.OPPONENT`, relative to display white) and its share of the
frame.

:meth:`PaletteEvidence.compare` searches for one drift by consensus (RANSAC, Fischler & Bolles
1981, here exhaustive): in log cone responses a white balance or exposure adds one offset to every
material and a saturation (or a display gamma) scales every material's chroma about white, so
each candidate pair (A's entry i, B's entry j) and each saturation of :data:`SATURATIONS`
proposes the chroma offset that takes i onto j; a proposal beyond what drifts do
(:data:`PLAUSIBLE_SHIFT`) is dropped. The proposal followed by the most *distinct* chromatic
materials — pairs within :data:`CHROMA_TOLERANCE` of it whose hues differ from each other by
:data:`DISTINCT` (neutral entries agree with any exposure and count nothing) — wins; it needs
:data:`MIN_MATERIALS` of them, and no proposal on other matches may have as many (palettes that
agree with several drifts agree by chance). The drift is then fitted on their colours (each
entry's mean and bands) and must be believable (:func:`~cinegrade.colour.drift.plausible`,
:data:`PLAUSIBLE`, :data:`MAX_PRIOR_DISTANCE`).

The fit frees only the cone gains and saturation (:data:`FREE`): a few materials
lit from other sides cannot tell contrast or lift from their shading, so those are reported
unknown. Error model: as materials', the fit's covariance (residual floored at
:data:`RESIDUAL_FLOOR`) inflated by :data:`ERROR_INFLATION` plus a floor per component
(:data:`ERROR_FLOOR`), measured on ``benchmarks/evidence.py`` (see the constants). One material
seen from the front and from the back is lit otherwise, so its exposure is fitted but reported
unknown: the source tells the colour of the light and the saturation, not the exposure.

What it cannot do: scenes whose shared materials are fewer than :data:`MIN_MATERIALS` distinct
hues (a tungsten room, where everything is orange; a close-up that shows one costume); unrelated
shots with like palettes (warm photographs of other things) agree by chance on 7 of 140 (drifted) pairs of
scikit-image photographs, weakly (warmth errors claimed 0.45–0.9, the prior of a pair 0.5);
results move with the frames' size (17 of 60 undrifted multi-angle pairs linked at 640 px, 14 at 320).

Pixels: display-referred Rec.709 R'G'B' (8-bit frames of :class:`ShotEvidenceInput`); light is the
BT.1886 EOTF (:func:`cinegrade.colour.encodings.display_linear`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cinegrade.colour.adaptation import RGB_TO_LMS
from cinegrade.colour.drift import TO_COMPONENTS, fit_drift_parameters, plausible, predict_drift
from cinegrade.colour.encodings import REC709_LUMA, display_linear
from cinegrade.evidence.base import (
    UNKNOWN,
    EvidenceSource,
    PairEvidence,
    ShotEvidenceInput,
    fitted_covariance,
    register_source,
)
from cinegrade.evidence.materials import BANDS, clipped_codes, level_regions, log_opponent
from cinegrade.evidence.scene import PRIOR_ERROR

#: Widths (pixels) each frame is segmented at (levels of materials' √2 pyramid): a surface at
#: ×4 the scale in another shot still makes one region at one of them.
LEVEL_WIDTHS = (113, 57)
#: Regions of like colour merge into one palette entry: within these log-cone distances
#: (achromatic, chromatic; :data:`~cinegrade.evidence.materials.OPPONENT` basis).
MERGE = (0.25, 0.06)
#: Smallest share of the frame (mean over the shot's frames and levels) an entry keeps, and the
#: most entries kept (the largest).
MIN_SHARE = 0.004
MAX_ENTRIES = 16
#: An entry is chromatic when its chroma (log cone responses relative to display white, the
#: opponent plane's Euclidean norm) is at least this; neutral ones take part in no proposal.
CHROMATIC = 0.12
#: Saturations tried (the scale of chroma about white in log cone responses: a saturation, and a
#: display gamma or contrast, scale it).
SATURATIONS = tuple(float(v) for v in np.exp(np.linspace(-0.6, 0.6, 7)))
#: Largest change of (exposure ln, warmth, tint) log cone offsets proposed: 2.5 × √2 × the
#: prior of one shot (:data:`cinegrade.evidence.scene.PRIOR_ERROR`).
PLAUSIBLE_SHIFT = (2.0, 1.25, 0.42)
#: A pair follows a proposal when its chroma lands within this (log cone, opponent plane) and its
#: achromatic part within ACHROMATIC_TOLERANCE of the proposal's (a material lit from another
#: side differs in level more than in colour).
CHROMA_TOLERANCE = 0.06
ACHROMATIC_TOLERANCE = 0.6
#: Materials following one proposal count as distinct when their chromas (on both sides) differ
#: by at least this.
DISTINCT = 0.2
#: Proposals examined (the most followed, by the matched entries' area).
PROPOSALS = 32
#: Two proposals are other drifts when their log saturations differ by more than this or their
#: chroma offsets by more than 2 CHROMA_TOLERANCE (neighbours on the saturation grid are one).
AMBIGUOUS_SATURATION = 0.25
#: Distinct chromatic materials that must follow the winning proposal (with 4, none of the
#: benchmark's multi-angle pairs; with 3 and DISTINCT 0.2, 10 of 120, see ERROR_FLOOR).
MIN_MATERIALS = 3
#: Colour pairs (entry means and bands) the fit needs.
MIN_PAIRS = 12
#: As :data:`cinegrade.evidence.materials.PLAUSIBLE`: the largest drift believed between two shots.
PLAUSIBLE = np.array([4.0, 1.5, 0.5, np.inf, np.inf, 1.3])
#: The components this source tells (exposure, warmth, tint, log saturation), and how far (the
#: norm of their ratios to the prior of a pair of shots, √2 :data:`cinegrade.evidence.scene.PRIOR_ERROR`)
#: a drift it finds may lie: palettes that agree by chance agree on large drifts (two warm
#: photographs of other things as one under a drift of +1 warmth and ×0.4 saturation).
SEEN = [0, 1, 2, 5]
MAX_PRIOR_DISTANCE = 3.0
#: Least residual scale (display R'G'B') the fit's covariance is computed with.
RESIDUAL_FLOOR = 0.03
#: The fit's formal error is scaled by this and floored per component (exposure stops, warmth,
#: tint, log contrast, lift, log saturation; contrast and lift are reported unknown), set on 48
#: pairs with evidence — ``benchmarks/evidence.py`` multi-angle and framings (2 drift seeds) and
#: the undrifted renders at 320 and 640 px — to z RMS 0.79, 0.91, 0.41, 0.83 with 96, 94, 100,
#: 92 % within 2 claimed errors (exposure, warmth, tint, saturation). A material lit from the
#: front in one shot and from behind in the other differs by up to ~2 stops, so exposure is
#: reported unknown (:data:`UNTOLD`): with the floor near the prior of a pair (1.1 stop), one
#: wrong link into shots nothing else reaches (a night scene's wide and close-up: +2.0 stops
#: at 0.89, truth 0) became cut warnings of ±2 stops on every cut into them.
ERROR_INFLATION = 1.5
ERROR_FLOOR = np.array([0.75, 0.2, 0.04, 0.0, 0.0, 0.2])
#: Components fitted but reported unknown: exposure (lit otherwise from another side), contrast
#: and lift (few materials cannot tell them from their shading).
UNTOLD = [0, 3, 4]

#: Display light (BT.1886) of each 8-bit code, (256,) float32.
_LIGHT_OF_CODE = display_linear(np.arange(256, dtype=np.float32) / 255)
#: Log cone responses of display white in the opponent basis: chroma is measured from it.
_WHITE = log_opponent(RGB_TO_LMS @ np.ones(3))


@dataclass(frozen=True)
class ShotPalette:
    """A shot's palette (N entries, largest first).

    ``colours`` (N, 1 + len(BANDS), 3) float32 display R'G'B': the entry's mean light, then its
    luminance bands' (:data:`~cinegrade.evidence.materials.BANDS`), encoded (BT.1886); NaN where
    clipped. ``opponent`` (N, 3) float32: log CAT02 cone responses of its mean light in the
    opponent basis (achromatic, L − M, (L + M)/2 − S) minus display white's. ``share`` (N,)
    float32: its share of the frame (mean over frames and levels)."""

    colours: np.ndarray
    opponent: np.ndarray
    share: np.ndarray

    @property
    def chroma(self) -> np.ndarray:
        """(N,) float64: each entry's chroma, the norm of its opponent plane."""
        return np.hypot(self.opponent[:, 1], self.opponent[:, 2]).astype(np.float64)

    def __len__(self) -> int:
        return len(self.share)


def shot_palette(frames8: tuple[np.ndarray, ...] | list[np.ndarray]) -> ShotPalette:
    """The palette of a shot's frames (display-referred Rec.709 R'G'B' (H, W, 3) uint8): each
    frame's regions at :data:`LEVEL_WIDTHS` (:func:`~cinegrade.evidence.materials.level_regions`)
    merged greedily, largest first, into entries within :data:`MERGE` of each other (mean light
    weighted by area); entries under :data:`MIN_SHARE` dropped, at most :data:`MAX_ENTRIES`."""
    colours, opponent, share = [], [], []
    views = len(frames8) * len(LEVEL_WIDTHS)
    for frame8 in frames8:
        linear = _LIGHT_OF_CODE[frame8]
        clipped = clipped_codes(frame8)
        for width in LEVEL_WIDTHS:
            regions = level_regions(linear, clipped, width)
            colours.append(regions.colours)
            opponent.append(regions.opponent)
            share.append(regions.area / (regions.size[0] * regions.size[1]) / views)
    colours = np.concatenate(colours).astype(np.float64)
    opponent = np.concatenate(opponent).astype(np.float64) - _WHITE
    share = np.concatenate(share).astype(np.float64)
    order = np.argsort(-share, kind="stable")
    colours, opponent, share = colours[order], opponent[order], share[order]
    light = np.power(colours, 2.4)  # display light (NaN where clipped)
    owner = np.full(len(share), -1)
    heads: list[int] = []
    for k in range(len(share)):
        for h in heads:
            d = np.abs(opponent[k] - opponent[h])
            if d[0] <= MERGE[0] and np.hypot(d[1], d[2]) <= MERGE[1]:
                owner[k] = h
                break
        else:
            owner[k] = k
            heads.append(k)
    entries_c, entries_o, entries_s = [], [], []
    for h in heads:
        members = owner == h
        weight = share[members]
        total = float(weight.sum())
        if total < MIN_SHARE:
            continue
        member_light = light[members]
        usable = np.isfinite(member_light).all(-1)  # (M, bands)
        w = weight[:, None] * usable
        mean = np.einsum("mb,mbc->bc", w, np.nan_to_num(member_light)) / np.maximum(w.sum(0), 1e-12)[:, None]
        # a band clipped in most of its members is left out
        mean[w.sum(0) < 0.5 * total] = np.nan
        entries_c.append(np.power(mean, 1 / 2.4))
        entries_o.append((weight[:, None] * opponent[members]).sum(0) / total)
        entries_s.append(total)
        if len(entries_s) == MAX_ENTRIES:
            break
    f32 = np.float32
    if not entries_s:
        return ShotPalette(np.zeros((0, 1 + len(BANDS), 3), f32), np.zeros((0, 3), f32), np.zeros(0, f32))
    return ShotPalette(np.array(entries_c, f32), np.array(entries_o, f32), np.array(entries_s, f32))


def _cone_shift(chroma_shift: np.ndarray) -> np.ndarray:
    """(..., 2) offsets of the opponent plane (L − M, (L + M)/2 − S) → (..., 2) (warmth
    ln L/S, tint ln M − (ln L + ln S)/2) of the same offset of log cone responses.

    >>> _cone_shift(np.array([0.0, 1.0])).tolist()  # L and M up 1 against S
    [1.0, 0.5]
    """
    u, v = chroma_shift[..., 0], chroma_shift[..., 1]
    return np.stack([u / 2 + v, -0.75 * u + v / 2], -1)


def consensus(a: ShotPalette, b: ShotPalette) -> np.ndarray:
    """The matches (M, 2) (entry of ``a``, entry of ``b``) of distinct chromatic materials that
    follow one drift (see the module docstring), strongest proposal's; (0, 2) when none has
    :data:`MIN_MATERIALS`."""
    none = np.zeros((0, 2), np.int64)
    oa, ob = a.opponent.astype(np.float64), b.opponent.astype(np.float64)
    ka, kb = np.flatnonzero(a.chroma >= CHROMATIC), np.flatnonzero(b.chroma >= CHROMATIC)
    if len(ka) < MIN_MATERIALS or len(kb) < MIN_MATERIALS:
        return none
    i, j = np.repeat(ka, len(kb)), np.tile(kb, len(ka))  # candidate pairs (chromatic both sides)
    level = ob[j, 0] - oa[i, 0]
    keep = np.abs(level) <= PLAUSIBLE_SHIFT[0]
    i, j, level = i[keep], j[keep], level[keep]
    if len(i) < MIN_MATERIALS:
        return none
    s = np.asarray(SATURATIONS)
    # proposals: (saturation, pair) → chroma offset t = chroma_b − s chroma_a and level offset
    offset = ob[None, j, 1:] - s[:, None, None] * oa[None, i, 1:]  # (S, P, 2)
    shift = _cone_shift(offset / s[:, None, None])
    allowed = (np.abs(shift[..., 0]) <= PLAUSIBLE_SHIFT[1]) & (np.abs(shift[..., 1]) <= PLAUSIBLE_SHIFT[2])
    proposal_s, proposal_p = np.nonzero(allowed)
    if not len(proposal_s):
        return none
    # residual of every pair under every proposal: (proposals, pairs)
    predicted = s[proposal_s, None, None] * oa[None, i, 1:] + offset[proposal_s, proposal_p][:, None, :]
    chroma_error = np.hypot(*(ob[None, j, 1:] - predicted).transpose(2, 0, 1))
    level_error = np.abs(level[None, :] - level[proposal_p][:, None])
    follows = (chroma_error <= CHROMA_TOLERANCE) & (level_error <= ACHROMATIC_TOLERANCE)
    # quick bound: distinct A entries following; only proposals that could reach MIN_MATERIALS
    weight = np.sqrt(a.share[i] * b.share[j]).astype(np.float64)
    count = follows.sum(1)
    found: list[tuple[tuple[int, float], set[tuple[int, int]], np.ndarray]] = []
    for k in np.argsort(-(follows * weight).sum(1))[:PROPOSALS]:
        if count[k] < MIN_MATERIALS:
            continue
        chosen = np.flatnonzero(follows[k])
        chosen = chosen[np.argsort(chroma_error[k, chosen] / CHROMA_TOLERANCE - weight[chosen] / weight.max())]
        picked: list[int] = []
        for c in chosen:
            if any(i[c] == i[p] or j[c] == j[p] for p in picked):
                continue
            picked.append(c)
        distinct: list[int] = []
        for c in sorted(picked, key=lambda c: -weight[c]):
            if all(np.hypot(*(oa[i[c], 1:] - oa[i[d], 1:])) >= DISTINCT
                   and np.hypot(*(ob[j[c], 1:] - ob[j[d], 1:])) >= DISTINCT for d in distinct):
                distinct.append(c)
        drift = np.array([np.log(s[proposal_s[k]]), *offset[proposal_s[k], proposal_p[k]]])
        found.append(((len(distinct), float(weight[picked].sum())), {(int(i[c]), int(j[c])) for c in picked}, drift))
    if not found:
        return none
    score, matches, drift = max(found, key=lambda item: item[0])
    if score[0] < MIN_MATERIALS:
        return none
    # another drift that as many distinct materials follow: the palettes agree with several
    # drifts by chance, not with one by sharing materials
    for other, _, other_drift in found:
        apart = np.abs(other_drift - drift) > [AMBIGUOUS_SATURATION, 2 * CHROMA_TOLERANCE, 2 * CHROMA_TOLERANCE]
        if other[0] >= score[0] and apart.any():
            return none
    return np.array(sorted(matches), np.int64).reshape(-1, 2)


@register_source
class PaletteEvidence(EvidenceSource):
    """Evidence from several materials of distinct hues that one drift takes from shot A's
    palette onto shot B's, whatever the layout (see the module docstring)."""

    name = "palette"
    version = 2

    def describe(self, shot: ShotEvidenceInput) -> ShotPalette | None:
        palette = shot_palette(shot.frames8) if shot.frames8 else None
        if palette is None or int((palette.chroma >= CHROMATIC).sum()) < MIN_MATERIALS:
            return None
        return palette

    def compare(self, a: ShotPalette | None, b: ShotPalette | None) -> PairEvidence | None:
        if a is None or b is None:
            return None
        matches = consensus(a, b)
        if not len(matches):
            return None
        pa = a.colours[matches[:, 0]].reshape(-1, 3).astype(np.float64)
        pb = b.colours[matches[:, 1]].reshape(-1, 3).astype(np.float64)
        return palette_drift(self.name, pa, pb, len(matches))


#: The drift parameters (:data:`~cinegrade.colour.drift.PARAMETERS`) the fit frees: the cone
#: gains and saturation. A few materials lit from other sides cannot tell a contrast or a lift
#: from their shading (a six-parameter fit on them runs into its bounds), so those stay 0 and
#: are reported unknown.
FREE = (0, 1, 2, 5)


def palette_drift(name: str, pa: np.ndarray, pb: np.ndarray, materials: int) -> PairEvidence | None:
    """:class:`PairEvidence` of the drift fitted on colour pairs ``pa`` → ``pb`` (N, 3) display
    R'G'B' of matched palette entries (NaN: clipped), the cone gains and saturation
    (:data:`FREE`) fitted by :func:`~cinegrade.colour.drift.fit_drift_parameters`,
    ``materials`` its support: warmth, tint and saturation (exposure, contrast and lift
    unknown, :data:`UNTOLD`); None when fewer than :data:`MIN_PAIRS` are usable or the fit is not a believable
    drift (:func:`~cinegrade.colour.drift.plausible`, :data:`PLAUSIBLE`). Errors:
    :data:`RESIDUAL_FLOOR`, :data:`ERROR_INFLATION`, :data:`ERROR_FLOOR`."""
    usable = np.isfinite(pa).all(1) & np.isfinite(pb).all(1)
    usable[usable] &= (pa[usable] @ REC709_LUMA > 0.03) & (pb[usable] @ REC709_LUMA > 0.03)
    if usable.sum() < MIN_PAIRS:
        return None
    fitted = fit_drift_parameters(pa[usable], pb[usable], min_pairs=MIN_PAIRS, free=FREE)
    if fitted is None:
        return None
    parameters, covariance = fitted
    components = TO_COMPONENTS @ parameters
    if not plausible(parameters, margin=0.95) or np.any(np.abs(components) > PLAUSIBLE):
        return None
    if np.linalg.norm(components[SEEN] / (np.sqrt(2) * PRIOR_ERROR[SEEN])) > MAX_PRIOR_DISTANCE:
        return None
    residual = 1.4826 * float(np.median(np.abs(predict_drift(pa[usable], parameters) - pb[usable]))) + 1e-4
    covariance = covariance * (max(residual, RESIDUAL_FLOOR) / residual) ** 2
    error, correlation = fitted_covariance(covariance, ERROR_INFLATION, ERROR_FLOOR)
    error[UNTOLD] = UNKNOWN
    return PairEvidence(name, tuple(float(v) for v in components), tuple(float(v) for v in error), materials,
                        "materials", f"{materials} materials matched by colour",
                        tuple(float(v) for v in correlation.ravel()))
