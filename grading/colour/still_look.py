"""A look from a still: a master's frame's tone curve and palette as a smooth, monotone grade
that keeps skin plausible, and how far frames are from the still's look (pure maths, no I/O).

The still is summarised as a :class:`Palette` — distributions, not pixels — and so is the
source the look goes on (the timeline's shots pooled, or a reference set of ungraded
photographs: :mod:`cinegrade.luts.looks`). The look (:class:`StillLook`) is the transfer from
the source's distributions to the still's, built part by part as a colourist matches a still,
each part regularised so that the still's *look* moves, not its content:

- **tone**: histogram specification (Gonzalez & Woods, "Digital Image Processing", 4th ed.,
  §3.3.2) of display-encoded luminance, f = Q_still ∘ F_source, black and white going to the
  still's 0.2 % and 99.8 % quantiles; the slope limited to :data:`TONE_SLOPE` in code values
  (no range crushed or stretched: no clipping, no banding) and smoothed (a Gaussian on the slope
  keeps it within the limits);
- **chroma**: histogram specification of C*ab (grey stays grey; slope at most
  :data:`CHROMA_SLOPE`, down to 0 for a monochrome still), then per hue the ratio of the two
  images' chroma quantiles there over the whole images' ratio, shrunk toward 1 where either
  has few pixels of that hue, limited to :data:`HUE_CHROMA_GAIN`;
- **hue**: each hue moves toward where the still gathers the hues around it — the difference of
  the still's and the source's circular means of chroma-weighted hue mass within a Gaussian
  window of :data:`HUE_WINDOW` (a local transport on the circle; cf. Rabin, Delon & Gousseau,
  "Transportation distances on the circle", J. Math. Imaging Vis. 41, 2011), shrunk by the
  local evidence so a hue the still lacks stays put, at most ±:data:`MAX_HUE_SHIFT`, the
  map's slope within :data:`HUE_SLOPE`;
- **tint**: the colour of near-neutral pixels per L* band (the grade's split toning): the
  source's taken out, the still's put in, faded to none at black and white.

This is the decomposed, regularised relative of a full distribution transfer (Reinhard et al.,
"Color transfer between images", IEEE CG&A 21(5), 2001; Pitié, Kokaram & Dahyot, "Automated
colour grading using colour distribution transfer", CVIU 107, 2007), whose 3D maps follow the
still's content and stretch or fold colours (the artefacts Pitié et al. re-grain afterwards).

**Skin** stays plausible. The reference is the vectorscope's skin-tone line: the I axis of
NTSC's YIQ (SMPTE 170M), 123° from +Cb in the Cb-Cr plane, near which skin of every complexion
lies (Tektronix, "A Guide to Standard and High-Definition Digital Video Measurements", the
vectorscope's "flesh tone line"). Hues around it shift at most :data:`SKIN_MAX_SHIFT` and keep
the whole look's chroma change (within :data:`SKIN_CHROMA`); a skin input's output is then held
on the vectorscope inside :data:`SKIN_VECTORSCOPE_RANGE` (123° ± 20°) at constant luma, a skin
the look would turn blue turning greyer instead.

Pixels are display-referred Rec.709 R'G'B' in [0, 1] (float, RGB in the last axis); CIELAB
(D65) by :func:`cinegrade.colour.difference.lab_of_display` (BT.1886 light). The look's output
is brought into the display's gamut softly, toward the grey of the same luminance (no hard clip:
no flat runs in the LUT). Strength mixes display values, (1 − s)·x + s·look(x), as every
cinegrade look is blended.

The measure (:func:`look_distance`): 1-Wasserstein (earth mover's) distances between the
still's and the frames' distributions of L*, of C*ab, and of the chroma-weighted hue on the
circle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import colour
import numpy as np

from cinegrade.colour.difference import lab_of_display
from cinegrade.colour.encodings import REC709_LUMA_WEIGHTS
from cinegrade.colour.lut import bake_lut3d
from cinegrade.errors import RangeError

_BT709 = colour.models.RGB_COLOURSPACE_BT709

#: Tone histogram: bins of 1/256 of display-encoded luminance (the grey of equal luminance's
#: display value, Y^(1/2.4) under BT.1886: the code values a tone curve's slope is judged in).
TONE_BINS = 256
#: Hue histogram: bins of 5° of CIELAB h_ab.
HUE_BINS = 72
#: Chroma histograms: bins of 1 C*ab over [0, 160] (Rec.709 reaches about 135).
CHROMA_BINS = 160
CHROMA_MAX = 160.0
#: Tint nodes: every 5 L*.
TINT_NODES = 21
#: Pixels a palette reads at most (an even stride through the image).
MAX_PIXELS = 120_000

#: Limits of the tone curve's slope (output code value per input code value).
TONE_SLOPE = (0.4, 2.0)
#: Quantiles of the still that black and white go to.
TONE_ENDS = (0.002, 0.998)
#: Largest hue shift (degrees of h_ab) and the hue map's slope limits.
MAX_HUE_SHIFT = 25.0
HUE_SLOPE = (0.5, 2.0)
#: Width (degrees, a Gaussian's sigma) of the hue neighbourhood whose mass pulls a hue, and the
#: local density (1 = a uniform spread) at which a hue's pull counts half.
HUE_WINDOW = 20.0
HUE_EVIDENCE_DENSITY = 0.5
#: Largest slope of the chroma curve (output C* per input C*; it may fall to 0: a monochrome
#: still takes the colour out), the limits of a hue's own chroma factor on top of it, and the
#: quantile whose ratio gives that factor.
CHROMA_SLOPE = 2.0
HUE_CHROMA_GAIN = (0.5, 2.0)
CHROMA_QUANTILE = 0.75
#: Evidence (share of chromatic pixels within a hue window) at which a hue's own ratio and the
#: whole image's weigh the same.
HUE_EVIDENCE = 0.03
#: Largest tint (C*ab) and the chroma scale of "near-neutral" (weights exp(-(C*/scale)²)).
MAX_TINT = 12.0
NEUTRAL_CHROMA = 12.0
#: Evidence (share of near-neutral weight) at which a band's tint and none weigh the same.
TINT_EVIDENCE = 0.01

#: The vectorscope's skin-tone line (degrees from +Cb in the Cb-Cr plane) and the range a skin
#: hue stays in; the look's hue map moves skin hues at most SKIN_MAX_SHIFT (h_ab degrees), and
#: their own chroma factor stays within SKIN_CHROMA (they follow the whole look's chroma).
SKIN_LINE = 123.0
SKIN_VECTORSCOPE_RANGE = (103.0, 143.0)
SKIN_MAX_SHIFT = 5.0
SKIN_CHROMA = (0.8, 1.25)
#: Chroma (C*ab) of skin: protection eases in from grey to the second value (gently: a LUT's
#: lattice cannot follow a sharper switch) and out between the last two (no complexion reaches).
SKIN_CHROMA_RANGE = (0.0, 12.0, 45.0, 70.0)
#: Vectorscope degrees beyond the skin range over which the protection eases off, and the margin
#: inside the range that the guard holds skin to (the LUT's interpolation moves a little).
SKIN_FEATHER = 20.0
SKIN_MARGIN = 3.0


# --------------------------------------------------------------------------------------------
# Colour spaces


def vectorscope_angle(rgb: np.ndarray) -> np.ndarray:
    """Hue on a Rec.709 vectorscope: the angle of (Cb, Cr) of display-referred Rec.709 R'G'B'
    (BT.709 Y'CbCr, full range), degrees counter-clockwise from +Cb in [0, 360). Shape
    (..., 3) → (...).

    >>> vectorscope_angle(np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]])).round(1)  # red, yellow
    array([ 102.9,  174.8])
    """
    ycbcr = _ycbcr(np.asarray(rgb, dtype=np.float64))
    return np.degrees(np.arctan2(ycbcr[..., 2], ycbcr[..., 1])) % 360.0


def _ycbcr(rgb: np.ndarray) -> np.ndarray:
    """BT.709 Y'CbCr, full range, of display-referred R'G'B' (colour-science)."""
    return colour.RGB_to_YCbCr(rgb, K=colour.WEIGHTS_YCBCR["ITU-R BT.709"], in_legal=False,
                               out_legal=False, out_int=False)


def _lab_hue_of_vectorscope(angle: float) -> float:
    """CIELAB h_ab of a mid-grey-luma colour of moderate chroma at vectorscope ``angle``."""
    cb_cr = 0.08 * np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])
    rgb = colour.YCbCr_to_RGB(np.array([0.5, *cb_cr]), K=colour.WEIGHTS_YCBCR["ITU-R BT.709"],
                              in_legal=False, out_legal=False, in_int=False)
    lab = lab_of_display(np.clip(rgb, 0.0, 1.0))
    return float(np.degrees(np.arctan2(lab[2], lab[1])) % 360.0)


#: The skin-tone line and range as CIELAB hues at mid-grey luma (about 51°, and 22° to 77°), where
#: the look's hue shifts and chroma factors are limited (the final guard works on the vectorscope).
SKIN_HUE = _lab_hue_of_vectorscope(SKIN_LINE)
SKIN_HUE_RANGE = tuple(_lab_hue_of_vectorscope(angle) for angle in SKIN_VECTORSCOPE_RANGE)


def encoded_luminance(lightness: np.ndarray) -> np.ndarray:
    """CIE L* (D65, 0..100) → display-encoded luminance: the display value of the grey of that
    luminance under BT.1886, Y^(1/2.4) in [0, 1] (CIE 015:2018 for L*).

    >>> encoded_luminance(np.array([0.0, 50.0, 100.0])).round(4)
    array([ 0.    ,  0.4941,  1.    ])
    """
    luminance = colour.colorimetry.luminance_CIE1976(np.clip(lightness, 0.0, 100.0), 1.0)
    return np.power(np.clip(luminance, 0.0, 1.0), 1 / 2.4)


def lightness_of_encoded(encoded: np.ndarray) -> np.ndarray:
    """The inverse of :func:`encoded_luminance`: CIE L* of display-encoded luminance in [0, 1].

    >>> lightness_of_encoded(np.array([0.0, 0.4941, 1.0])).round(1)
    array([   0.,   50.,  100.])
    """
    luminance = np.power(np.clip(encoded, 0.0, 1.0), 2.4)
    return colour.colorimetry.lightness_CIE1976(luminance, 1.0)


def _display_of_lab(lab: np.ndarray) -> np.ndarray:
    """CIELAB (D65) → display-referred Rec.709, colours outside the display's gamut compressed
    softly toward the grey of their luminance in display-encoded values (signed BT.1886 inverse
    for negative light): past a knee at 90 % of the way to the gamut's edge, tanh. float64 in
    [0, 1]."""
    xyz = colour.Lab_to_XYZ(lab, _BT709.whitepoint)
    linear = colour.XYZ_to_RGB(xyz, _BT709)
    encoded = np.sign(linear) * np.abs(linear) ** (1 / 2.4)
    grey = np.clip(np.clip(linear @ np.asarray(REC709_LUMA_WEIGHTS), 0.0, 1.0) ** (1 / 2.4), 0.0, 1.0)[..., None]
    away = encoded - grey
    # how far along grey → colour the gamut's edge is (1 at the edge); the largest channel counts
    reach = np.where(away > 0, away / np.maximum(1.0 - grey, 1e-12),
                     np.where(away < 0, -away / np.maximum(grey, 1e-12), 0.0)).max(axis=-1)
    knee = 0.9
    squeezed = np.where(reach > knee, knee + (1 - knee) * np.tanh((reach - knee) / (1 - knee)), reach)
    scale = np.where(reach > 0, squeezed / np.maximum(reach, 1e-12), 1.0)[..., None]
    return np.clip(grey + scale * away, 0.0, 1.0)


# --------------------------------------------------------------------------------------------
# Palettes: an image's distributions


@dataclass(frozen=True)
class Palette:
    """An image's (or a set's) distributions in CIELAB (D65):

    - ``tone``: (TONE_BINS,) share of pixels per bin of display-encoded luminance, sums to 1;
    - ``chroma``: (CHROMA_BINS,) share of pixels per 1 C*ab bin, sums to 1;
    - ``hue_chroma``: (HUE_BINS, CHROMA_BINS) share of pixels per 5° h_ab and 1 C*ab bin,
      each pixel weighted by min(C*/6, 1) (a grey's hue is noise); sums to the chromatic share;
    - ``tint``: (TINT_NODES, 2) mean (a*, b*) of near-neutral pixels around L* = 0, 5, … 100,
      and ``tint_weight`` (TINT_NODES,) their share (the evidence).
    """

    tone: np.ndarray
    chroma: np.ndarray
    hue_chroma: np.ndarray
    tint: np.ndarray
    tint_weight: np.ndarray

    @property
    def chromatic_share(self) -> float:
        """Share of pixels with a hue (weighted by min(C*/6, 1))."""
        return float(self.hue_chroma.sum())

    @classmethod
    def pooled(cls, palettes: Sequence[Palette]) -> Palette:
        """The palette of several images, each weighing the same."""
        weights = np.stack([p.tint_weight for p in palettes])
        total = weights.sum(axis=0)
        tint = np.einsum("pn,pnc->nc", weights, np.stack([p.tint for p in palettes])) \
            / np.maximum(total, 1e-12)[:, None]
        return cls(np.mean([p.tone for p in palettes], axis=0), np.mean([p.chroma for p in palettes], axis=0),
                   np.mean([p.hue_chroma for p in palettes], axis=0), tint, total / len(palettes))


def palette_of(rgb: np.ndarray) -> Palette:
    """The :class:`Palette` of display-referred Rec.709 pixels (..., 3) in [0, 1] (at most
    :data:`MAX_PIXELS`, an even stride). ``ValueError`` for no pixels.

    >>> grey = palette_of(np.full((8, 8, 3), 0.5))
    >>> round(float(np.argmax(grey.tone)) / TONE_BINS, 2), grey.chromatic_share  # display value 0.5
    (0.5, 0.0)
    """
    lab = _pixels_lab(rgb)
    lightness, a, b = lab[:, 0], lab[:, 1], lab[:, 2]
    chroma, hue = np.hypot(a, b), np.degrees(np.arctan2(b, a)) % 360.0
    count = len(lab)
    tone = np.bincount(_bins(encoded_luminance(lightness), 1.0, TONE_BINS), minlength=TONE_BINS) / count
    hue_bin, chroma_bin = _bins(hue, 360.0, HUE_BINS), _bins(chroma, CHROMA_MAX, CHROMA_BINS)
    chroma_share = np.bincount(chroma_bin, minlength=CHROMA_BINS) / count
    hue_chroma = np.bincount(hue_bin * CHROMA_BINS + chroma_bin, weights=np.minimum(chroma / 6.0, 1.0),
                             minlength=HUE_BINS * CHROMA_BINS).reshape(HUE_BINS, CHROMA_BINS) / count
    nodes = np.linspace(0.0, 100.0, TINT_NODES)
    neutral = np.exp(-(chroma / NEUTRAL_CHROMA) ** 2)
    weights = neutral[None, :] * np.exp(-0.5 * ((lightness[None, :] - nodes[:, None]) / 5.0) ** 2)
    weight = weights.sum(axis=1)
    tint = (weights @ np.stack([a, b], axis=-1)) / np.maximum(weight, 1e-12)[:, None]
    return Palette(tone, chroma_share, hue_chroma, tint, weight / count)


def _pixels_lab(rgb: np.ndarray) -> np.ndarray:
    pixels = np.asarray(rgb, dtype=np.float32).reshape(-1, 3)
    if not len(pixels):
        raise ValueError("no pixels")
    stride = max(1, -(-len(pixels) // MAX_PIXELS))
    return lab_of_display(pixels[::stride])


def _bins(values: np.ndarray, top: float, count: int) -> np.ndarray:
    return np.clip((values * (count / top)).astype(np.intp), 0, count - 1)


# --------------------------------------------------------------------------------------------
# The look


@dataclass(frozen=True)
class StillLook:
    """A look from a still, as curves on fixed nodes (linear interpolation between them):

    - ``tone``: (TONE_BINS + 1,) output at input 0, 1/256, … 1 of display-encoded luminance
      (:func:`encoded_luminance`; increasing);
    - ``hue_shift``: (HUE_BINS,) degrees added to h_ab at input hue 0°, 5°, … 355° (circular);
    - ``chroma``: (CHROMA_BINS + 1,) output C*ab at input C*ab 0, 1, … 160 (non-decreasing,
      0 at 0; continued with its last slope);
    - ``chroma_gain``: (HUE_BINS,) factor on that at the same input hues as ``hue_shift``;
    - ``source_tint`` / ``still_tint``: (TINT_NODES, 2) (a*, b*) taken out at the input's L*
      and put in at the output's L* (nodes L* 0, 5, … 100).
    """

    tone: np.ndarray
    chroma: np.ndarray
    hue_shift: np.ndarray
    chroma_gain: np.ndarray
    source_tint: np.ndarray
    still_tint: np.ndarray

    def apply(self, rgb: np.ndarray, strength: float = 1.0) -> np.ndarray:
        """Display-referred Rec.709 R'G'B' (..., 3) through the look at ``strength`` in [0, 1]:
        the mix (1 − s)·x + s·look(x) of display values, as every cinegrade look is blended
        (:func:`cinegrade.luts.looks.blend_look`). float64, same shape, in [0, 1].
        :class:`~cinegrade.errors.RangeError` (field ``strength``) outside 0..1.

        >>> identity = StillLook.identity()
        >>> identity.apply(np.array([0.2, 0.5, 0.8])).round(4)
        array([ 0.2,  0.5,  0.8])
        """
        strength = float(strength)
        if not 0.0 <= strength <= 1.0:
            raise RangeError("strength", strength, 0, 1)
        rgb = np.clip(np.asarray(rgb, dtype=np.float64), 0.0, 1.0)
        if strength == 0.0:
            return rgb
        lab = lab_of_display(rgb).astype(np.float64)
        lightness = lab[..., 0]
        skin = _skin_member(rgb, np.hypot(lab[..., 1], lab[..., 2]))
        ab = lab[..., 1:] - _tint_at(self.source_tint, lightness)
        chroma, hue = np.hypot(ab[..., 0], ab[..., 1]), np.degrees(np.arctan2(ab[..., 1], ab[..., 0])) % 360
        nodes = np.arange(HUE_BINS + 1) * (360.0 / HUE_BINS)
        new_hue = hue + np.interp(hue, nodes, np.append(self.hue_shift, self.hue_shift[0]))
        new_chroma = _chroma_at(self.chroma, chroma) \
            * np.interp(hue, nodes, np.append(self.chroma_gain, self.chroma_gain[0]))
        new_lightness = lightness_of_encoded(
            np.interp(encoded_luminance(lightness), np.linspace(0.0, 1.0, len(self.tone)), self.tone))
        out_ab = new_chroma[..., None] * np.stack([np.cos(np.radians(new_hue)), np.sin(np.radians(new_hue))], -1)
        out_ab = out_ab + _tint_at(self.still_tint, new_lightness) * _tint_envelope(new_lightness)[..., None]
        looked = _display_of_lab(np.concatenate([new_lightness[..., None], out_ab], axis=-1))
        looked = _guard_skin(looked, skin, rgb)
        return rgb + strength * (looked - rgb)

    @classmethod
    def identity(cls) -> StillLook:
        """The look that changes nothing but the gamut's edge: the most saturated colours are
        softened a little (:func:`_display_of_lab`)."""
        return cls(np.linspace(0.0, 1.0, TONE_BINS + 1), np.linspace(0.0, CHROMA_MAX, CHROMA_BINS + 1),
                   np.zeros(HUE_BINS), np.ones(HUE_BINS),
                   np.zeros((TINT_NODES, 2)), np.zeros((TINT_NODES, 2)))


def derive_still_look(still: Palette, source: Palette) -> StillLook:
    """The look that takes ``source``'s distributions to ``still``'s (see the module's notes):
    tone and chroma by histogram specification, hues pulled to where the still gathers them,
    chroma per hue, tint per L* band; every part smoothed and limited; skin protected.

    >>> look = derive_still_look(palette_of(_ramp_image(0.15, 0.85)), palette_of(_ramp_image(0.0, 1.0)))
    >>> bool(np.all(np.diff(look.tone) > 0)), round(float(look.tone[0]), 1) > 0  # lifted black
    (True, True)
    """
    tone = _tone_curve(source.tone, still.tone)
    chroma = _chroma_curve(source.chroma, still.chroma)
    shift, target_hue = _hue_map(source, still)
    gain = _chroma_gain(source, still, target_hue)
    return StillLook(tone, chroma, shift, gain, _tint(source), _tint(still))


def _ramp_image(low: float, high: float) -> np.ndarray:
    """A grey ramp over display values ``low``..``high`` with a few colour patches (examples)."""
    ramp = np.repeat(np.linspace(low, high, 64)[None, :, None], 3, axis=2).repeat(8, axis=0)
    patches = np.array([[[0.8, 0.5, 0.4], [0.3, 0.5, 0.7], [0.4, 0.6, 0.3], [0.7, 0.7, 0.3]]])
    return np.concatenate([ramp, np.repeat(np.repeat(patches, 16, axis=1), 8, axis=0)], axis=0)


def _smooth(values: np.ndarray, sigma: float, circular: bool = False, axis: int = 0) -> np.ndarray:
    """Gaussian smoothing (``sigma`` in samples), circular or reflected at the ends."""
    from scipy.ndimage import gaussian_filter1d

    return gaussian_filter1d(np.asarray(values, dtype=np.float64), sigma, axis=axis,
                             mode="wrap" if circular else "reflect", truncate=4.0)


def _limit_slopes(slopes: np.ndarray, low: float, high: float, total: float) -> np.ndarray:
    """``slopes`` (per sample) clipped into [low, high] and rescaled to sum to ``total`` where
    that is possible (the clipped ones held, the free ones scaled; a few rounds)."""
    slopes = np.clip(slopes, low, high)
    for _ in range(20):
        free = (slopes > low) & (slopes < high)
        excess = total - slopes.sum()
        if abs(excess) < 1e-9 * max(abs(total), 1.0) or not free.any():
            break
        slopes = np.where(free, np.clip(slopes * (1 + excess / slopes[free].sum()), low, high), slopes)
    return slopes


def _tone_curve(source: np.ndarray, still: np.ndarray) -> np.ndarray:
    """Output at input 0, 1/256, … 1 of display-encoded luminance: histogram specification,
    slope-limited, smoothed."""
    step = 1.0 / TONE_BINS
    edges = np.linspace(0.0, 1.0, TONE_BINS + 1)
    source_cdf = np.concatenate([[0.0], np.cumsum(_smooth(source, 0.02 / step))])
    still_cdf = np.concatenate([[0.0], np.cumsum(_smooth(still, 0.01 / step))])
    source_cdf, still_cdf = source_cdf / source_cdf[-1], still_cdf / still_cdf[-1]
    low, high = TONE_ENDS
    still_cdf = still_cdf + np.linspace(0.0, 1e-9, len(still_cdf))  # strictly increasing
    curve = np.interp(low + (high - low) * source_cdf, still_cdf, edges)
    black, white = curve[0], curve[-1]
    span = float(np.clip(white - black, TONE_SLOPE[0], 1.0))
    black = float(np.clip((black + white - span) / 2.0, 0.0, 1.0 - span))
    slopes = _limit_slopes(np.diff(curve) / step, *TONE_SLOPE, span / step)
    slopes = _smooth(slopes, 0.03 / step)  # a Gaussian keeps them within the limits
    slopes *= span / (slopes.sum() * step)
    return black + np.concatenate([[0.0], np.cumsum(slopes) * step])


def _chroma_curve(source: np.ndarray, still: np.ndarray) -> np.ndarray:
    """Output C*ab at input 0, 1, … 160: histogram specification of C*ab (grey stays grey),
    the slope at most CHROMA_SLOPE, smoothed."""
    edges = np.linspace(0.0, CHROMA_MAX, CHROMA_BINS + 1)
    source_cdf = np.concatenate([[0.0], np.cumsum(_smooth(source, 1.0))])
    still_cdf = np.concatenate([[0.0], np.cumsum(_smooth(still, 1.0))])
    source_cdf, still_cdf = source_cdf / source_cdf[-1], still_cdf / still_cdf[-1]
    still_cdf = still_cdf + np.linspace(0.0, 1e-9, len(still_cdf))
    curve = np.interp(TONE_ENDS[1] * source_cdf, still_cdf, edges)
    slopes = _smooth(np.clip(np.diff(curve), 0.0, CHROMA_SLOPE), 2.0)
    return np.concatenate([[0.0], np.cumsum(slopes)])


def _chroma_at(curve: np.ndarray, chroma: np.ndarray) -> np.ndarray:
    """``curve`` (output C* at 0, 1, … 160) at ``chroma``, continued with its last slope."""
    top = len(curve) - 1
    return np.interp(chroma, np.arange(len(curve)), curve) + np.maximum(chroma - top, 0) * (curve[-1] - curve[-2])


def _weighted_hue(palette: Palette) -> np.ndarray:
    """Chroma-weighted hue histogram (sums to 1; uniform for a neutral image)."""
    centres = (np.arange(CHROMA_BINS) + 0.5) * (CHROMA_MAX / CHROMA_BINS)
    histogram = palette.hue_chroma @ centres
    total = histogram.sum()
    return histogram / total if total > 0 else np.full(HUE_BINS, 1.0 / HUE_BINS)


def _hue_map(source: Palette, still: Palette) -> tuple[np.ndarray, np.ndarray]:
    """(shift in degrees, target hue) at the hue nodes: each hue moves by the difference of the
    still's and the source's local circular means of their (chroma-weighted, smoothed) hue
    mass within ±HUE_WINDOW — a local optimal transport that pulls hues toward where the still
    gathers them and leaves hues the still lacks alone (shrunk by the local evidence) —
    limited, smoothed, skin limited, the map's slope kept within HUE_SLOPE."""
    step = 360.0 / HUE_BINS
    nodes = np.arange(HUE_BINS) * step
    offsets = _wrap(nodes[None, :] - nodes[:, None])  # [node, bin]: bin's hue relative to node
    window = np.exp(-0.5 * (offsets / HUE_WINDOW) ** 2)
    means, densities = [], []
    for palette in (source, still):
        mass = window * _smooth(_weighted_hue(palette), 5.0 / step, circular=True)[None, :]
        total = mass.sum(axis=1)
        angle = np.radians(offsets)
        means.append(np.degrees(np.arctan2((mass * np.sin(angle)).sum(1), (mass * np.cos(angle)).sum(1))))
        # local mass against a uniform spread's, times the image's chromatic share
        densities.append(total / window.sum(axis=1) * HUE_BINS * min(palette.chromatic_share / 0.2, 1.0))
    evidence = np.minimum(*densities)
    shift = _wrap(means[1] - means[0]) * evidence / (evidence + HUE_EVIDENCE_DENSITY)
    shift = MAX_HUE_SHIFT * np.tanh(shift / MAX_HUE_SHIFT)
    shift = _smooth(shift, 5.0 / step, circular=True)
    skin = _skin_hue_weight(nodes)
    shift = skin * np.clip(shift, -SKIN_MAX_SHIFT, SKIN_MAX_SHIFT) + (1 - skin) * shift
    # slope of hue → hue + shift within HUE_SLOPE, the shift at the skin line kept
    at_skin = np.interp(SKIN_HUE, np.append(nodes, 360.0), np.append(shift, shift[0]))
    slopes = _limit_slopes(1.0 + np.diff(np.append(shift, shift[0])) / step, *HUE_SLOPE, HUE_BINS)
    shift = np.concatenate([[0.0], np.cumsum(slopes - 1.0)[:-1] * step])
    shift += at_skin - np.interp(SKIN_HUE, np.append(nodes, 360.0), np.append(shift, shift[0]))
    return shift, (nodes + shift) % 360.0


def _chroma_quantiles(palette: Palette) -> tuple[np.ndarray, np.ndarray]:
    """(chroma quantile, share of chromatic pixels) in a ±15° window around each hue node."""
    window = _smooth(palette.hue_chroma, 15.0 / (360.0 / HUE_BINS), circular=True, axis=0)
    share = window.sum(axis=1)
    return np.array([_quantile(row, CHROMA_QUANTILE) for row in window]), share


def _quantile(histogram: np.ndarray, q: float) -> float:
    """Quantile ``q`` of a chroma histogram (bins of CHROMA_MAX/CHROMA_BINS), 0 when empty."""
    total = histogram.sum()
    if total <= 0:
        return 0.0
    cdf = np.concatenate([[0.0], np.cumsum(histogram) / total])
    return float(np.interp(q, cdf + np.linspace(0, 1e-12, len(cdf)), np.linspace(0.0, CHROMA_MAX, len(cdf))))


def _chroma_gain(source: Palette, still: Palette, target_hue: np.ndarray) -> np.ndarray:
    """A hue's own chroma factor on top of the chroma curve: the ratio of the still's chroma
    quantile at the node's target hue to the source's at the node, over the whole images'
    ratio, shrunk toward 1 by evidence, smoothed (log), limited to HUE_CHROMA_GAIN; skin's kept
    within SKIN_CHROMA of 1 (skin follows the whole look's saturation)."""
    step = 360.0 / HUE_BINS
    floor = 0.5  # C*: below it a quantile means "no colour" as much as zero does
    source_q, source_share = _chroma_quantiles(source)
    still_q, still_share = _chroma_quantiles(still)
    at = np.append(np.arange(HUE_BINS) * step, 360.0)
    still_q_at = np.interp(target_hue, at, np.append(still_q, still_q[0]))
    still_share_at = np.interp(target_hue, at, np.append(still_share, still_share[0]))
    whole = np.log(max(_quantile(still.hue_chroma.sum(axis=0), CHROMA_QUANTILE), floor)
                   / max(_quantile(source.hue_chroma.sum(axis=0), CHROMA_QUANTILE), floor))
    own = np.log(np.maximum(still_q_at, floor) / np.maximum(source_q, floor)) - whole
    evidence = np.minimum(source_share, still_share_at)
    log_gain = _smooth(own * evidence / (evidence + HUE_EVIDENCE), 15.0 / step, circular=True)
    log_gain = np.clip(log_gain, *np.log(HUE_CHROMA_GAIN))
    skin = _skin_hue_weight(np.arange(HUE_BINS) * step)
    log_gain = skin * np.clip(log_gain, *np.log(SKIN_CHROMA)) + (1 - skin) * log_gain
    return np.exp(log_gain)


def _tint(palette: Palette) -> np.ndarray:
    """A palette's near-neutral (a*, b*) per L* node, shrunk toward none by evidence, smoothed
    along L*, limited to MAX_TINT C*."""
    evidence = palette.tint_weight
    tint = palette.tint * (evidence / (evidence + TINT_EVIDENCE))[:, None]
    tint = _smooth(tint, 1.0, axis=0)
    size = np.hypot(tint[:, 0], tint[:, 1])
    return tint * (MAX_TINT * np.tanh(size / MAX_TINT) / np.maximum(size, 1e-12))[:, None]


def _tint_at(tint: np.ndarray, lightness: np.ndarray) -> np.ndarray:
    nodes = np.linspace(0.0, 100.0, TINT_NODES)
    return np.stack([np.interp(lightness, nodes, tint[:, 0]), np.interp(lightness, nodes, tint[:, 1])], -1)


def _smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((np.asarray(x, dtype=np.float64) - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _tint_envelope(lightness: np.ndarray) -> np.ndarray:
    """1 in the mid-tones, easing to 0 at black (below L* 15) and white (above L* 90)."""
    return _smoothstep(0.0, 15.0, lightness) * _smoothstep(100.0, 90.0, lightness)


def _wrap(degrees: np.ndarray) -> np.ndarray:
    """Angles into [-180, 180)."""
    return (np.asarray(degrees) + 180.0) % 360.0 - 180.0


def _skin_hue_weight(hue: np.ndarray) -> np.ndarray:
    """1 on the skin-tone line's hue, easing (raised cosine) to 0 at the skin range's edges."""
    low, high = SKIN_HUE_RANGE
    offset = _wrap(np.asarray(hue) - SKIN_HUE)
    half = np.where(offset < 0, SKIN_HUE - low, high - SKIN_HUE)
    return np.where(np.abs(offset) < half, 0.5 * (1 + np.cos(np.pi * offset / half)), 0.0)


def _skin_member(rgb: np.ndarray, chroma: np.ndarray) -> np.ndarray:
    """How much a display-referred input is skin: 1 across SKIN_VECTORSCOPE_RANGE on the
    vectorscope, easing to 0 over SKIN_FEATHER degrees beyond it; gated by its C*ab
    (``chroma``, SKIN_CHROMA_RANGE)."""
    low, high = SKIN_VECTORSCOPE_RANGE
    offset = _wrap(vectorscope_angle(rgb) - SKIN_LINE)
    outside = np.maximum(np.where(offset < 0, (low - SKIN_LINE) - offset, offset - (high - SKIN_LINE)), 0.0)
    c_lo, c_full, c_fade, c_hi = SKIN_CHROMA_RANGE
    return _smoothstep(SKIN_FEATHER, 0.0, outside) * _smoothstep(c_lo, c_full, chroma) \
        * _smoothstep(c_hi, c_fade, chroma)


def _guard_skin(rgb: np.ndarray, member: np.ndarray, before: np.ndarray) -> np.ndarray:
    """Display-referred output ``rgb`` of skin inputs (``member``: :func:`_skin_member` of the
    input ``before``) held on the vectorscope inside SKIN_VECTORSCOPE_RANGE less SKIN_MARGIN: at
    constant luma, an angle past 70 % of the way to an edge (or past the input's own angle, if
    further out) eases (tanh) toward the edge, and the chroma shrinks by the cosine of the turn
    (a skin the look would turn blue turns greyer instead), weighed by how much the input is
    skin. Clipped to [0, 1]."""
    ycbcr = _ycbcr(rgb)
    cb, cr = ycbcr[..., 1], ycbcr[..., 2]
    offset = _wrap(np.degrees(np.arctan2(cr, cb)) - SKIN_LINE)
    low, high = SKIN_VECTORSCOPE_RANGE[0] + SKIN_MARGIN, SKIN_VECTORSCOPE_RANGE[1] - SKIN_MARGIN
    half = np.where(offset < 0, SKIN_LINE - low, high - SKIN_LINE)
    # never pushed further out than the input was: the edge moves out to the input's angle (+2°)
    own = np.abs(_wrap(vectorscope_angle(before) - SKIN_LINE))
    edge = np.maximum(half, own + 2.0)
    knee = np.maximum(0.7 * half, np.minimum(own, edge - 2.0))
    beyond = np.abs(offset) - knee
    held = np.where(beyond > 0, np.sign(offset) * (knee + (edge - knee) * np.tanh(beyond / (edge - knee))), offset)
    turn = member * (held - offset)
    radius = np.hypot(cb, cr) * np.cos(np.radians(np.clip(turn, -90.0, 90.0)))
    angle = np.radians(SKIN_LINE + offset + turn)
    guarded = np.stack([ycbcr[..., 0], radius * np.cos(angle), radius * np.sin(angle)], -1)
    out = colour.YCbCr_to_RGB(guarded, K=colour.WEIGHTS_YCBCR["ITU-R BT.709"], in_legal=False,
                              out_legal=False, in_int=False)
    return np.clip(np.where((member > 0)[..., None], out, rgb), 0.0, 1.0)


# --------------------------------------------------------------------------------------------
# Baking


def bake_still_look(look: StillLook, size: int = 33, strength: float = 1.0, name: str = "still look"):
    """``look`` at ``strength`` sampled on a ``size``³ lattice over display-referred Rec.709
    [0, 1] (:func:`cinegrade.colour.lut.bake_lut3d`): a :class:`colour.LUT3D`.

    >>> lut = bake_still_look(StillLook.identity(), size=5)  # the primaries softened a little
    >>> float(np.abs(lut.table - lut.linear_table(5)).max()) < 0.025
    True
    """
    return bake_lut3d(lambda rgb: look.apply(rgb, strength) + 0.0, size, name)


# --------------------------------------------------------------------------------------------
# Measuring


@dataclass(frozen=True)
class LookDistance:
    """How far frames are from a still's look: 1-Wasserstein (earth mover's) distances between
    the distributions of CIE L* (``tone``, L* units), of C*ab (``chroma``) and of the
    chroma-weighted h_ab histogram on the circle (``hue``, degrees; None where either side has
    no colour)."""

    tone: float
    chroma: float
    hue: float | None


def look_distance(still: np.ndarray, frames: np.ndarray | Sequence[np.ndarray]) -> LookDistance:
    """:class:`LookDistance` between display-referred Rec.709 ``still`` (H, W, 3) and the
    pooled ``frames`` (one (H, W, 3) array or several), in [0, 1].

    >>> ramp = np.linspace(0.0, 1.0, 256)[:, None].repeat(3, axis=1)
    >>> same = look_distance(ramp, [ramp])
    >>> same.tone, same.chroma, same.hue
    (0.0, 0.0, None)
    >>> round(look_distance(ramp, [ramp * 0.5]).tone, 1)  # half the display value: ~27 L* darker
    26.7
    """
    from scipy.stats import wasserstein_distance

    frames = [frames] if isinstance(frames, np.ndarray) else list(frames)
    a = _pixels_lab(still)
    b = np.concatenate([_pixels_lab(f) for f in frames])
    hue_a, hue_b = _hue_histogram(a), _hue_histogram(b)
    hue = None if hue_a is None or hue_b is None else circular_wasserstein(hue_a, hue_b)
    return LookDistance(float(wasserstein_distance(a[:, 0], b[:, 0])),
                        float(wasserstein_distance(np.hypot(a[:, 1], a[:, 2]), np.hypot(b[:, 1], b[:, 2]))),
                        hue)


def _hue_histogram(lab: np.ndarray, bins: int = 36, minimum_chroma: float = 2.0) -> np.ndarray | None:
    """Chroma-weighted h_ab histogram (``bins`` bins, sums to 1), None when the mean chroma is
    below ``minimum_chroma`` (no colour to speak of)."""
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    if chroma.mean() < minimum_chroma:
        return None
    hue = np.degrees(np.arctan2(lab[:, 2], lab[:, 1])) % 360.0
    histogram = np.bincount(_bins(hue, 360.0, bins), weights=chroma, minlength=bins)
    return histogram / histogram.sum()


def circular_wasserstein(p: np.ndarray, q: np.ndarray) -> float:
    """1-Wasserstein distance (degrees) between two histograms on the circle of equal bins
    (each summing to 1): min over c of ∫|F_p − F_q − c| (Rabin, Delon & Gousseau 2011), the
    minimum at the median of F_p − F_q.

    >>> p = np.zeros(36); p[0] = 1.0
    >>> q = np.zeros(36); q[3] = 1.0
    >>> circular_wasserstein(p, q), circular_wasserstein(p, np.roll(p, -3))  # 30° either way
    (30.0, 30.0)
    """
    difference = np.cumsum(p) - np.cumsum(q)
    return float(np.abs(difference - np.median(difference)).sum() * (360.0 / len(p)))
