"""The colour drifts AI video shows between and inside shots, as pure functions with a record.

A :class:`Drift` says how far one shot is off: white balance, exposure, contrast, gamma, lift,
saturation and frame-to-frame flicker. :func:`apply_drift` injects it into display-referred
Rec.709 frames; the test-media generator (:mod:`cinegrade.grading.footage`) writes the record
beside each clip as JSON, the ground truth the analysis must find again.

Linear light: cinegrade linearises display-referred Rec.709 R'G'B' with the ITU-R BT.1886
reference EOTF at L_W = 1, L_B = 0 (a pure 2.4 power; ``colour.models.eotf_BT1886``) and
re-encodes with its inverse (:func:`linear_from_display`, :func:`display_from_linear`). That is
the light a reference display emits for these files, hence what "stops" and "illuminant" mean
for video that has no camera behind it; the camera OETF (BT.709 part 1.2) is not used because
AI footage was never through one.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import dataclass

import numpy as np

#: Correlated colour temperature (K) of CIE D65, the white of Rec.709: the neutral white balance.
NEUTRAL_CCT = 6504.0
#: Range of :func:`colour.temperature.CCT_to_xy_CIE_D`, the CIE daylight locus (CIE 015:2018).
CCT_RANGE = (4000.0, 25000.0)
#: Rec.709 luma weights (ITU-R BT.709-6, item 3.2), used for luma on display-encoded R'G'B'.
REC709_LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)
#: Linear light of 18 % grey, the pivot of the contrast drift.
MID_GREY_LINEAR = 0.18

JSON_VERSION = 1


@dataclass(frozen=True)
class Drift:
    """How far one shot is off. Every default is neutral; ``Drift()`` changes nothing.

    - ``white_balance_k``: the shot's neutrals take the chromaticity of CIE daylight at this
      correlated colour temperature (K) instead of D65: lower is warmer (orange), higher cooler.
    - ``exposure_stops``: linear light times ``2 ** exposure_stops``.
    - ``contrast``: log-log slope about 18 % grey in linear light (1 = unchanged).
    - ``gamma``: power on display-encoded R'G'B' (as the ASC CDL power; > 1 darkens midtones).
    - ``lift``: display-encoded black raised to ``lift``, white kept: ``lift + (1 - lift) x``.
    - ``saturation``: chroma about Rec.709 luma scaled by this (as the ASC CDL saturation).
    - ``flicker_stops``: standard deviation of a per-frame exposure wobble (stops), white noise
      seeded by ``flicker_seed`` and the frame index (see :func:`flicker_offset`).
    """

    white_balance_k: float = NEUTRAL_CCT
    exposure_stops: float = 0.0
    contrast: float = 1.0
    gamma: float = 1.0
    lift: float = 0.0
    saturation: float = 1.0
    flicker_stops: float = 0.0
    flicker_seed: int = 0

    def __post_init__(self) -> None:
        low, high = CCT_RANGE
        if not low <= self.white_balance_k <= high:
            raise ValueError(f"white_balance_k {self.white_balance_k} K is outside {low}-{high} K")
        if self.contrast <= 0 or self.gamma <= 0 or self.saturation < 0 or self.flicker_stops < 0:
            raise ValueError(f"contrast and gamma must be > 0, saturation and flicker >= 0: {self}")
        if not -0.5 < self.lift < 0.5:
            raise ValueError(f"lift {self.lift} is outside (-0.5, 0.5)")

    @property
    def is_neutral(self) -> bool:
        """True when the drift changes nothing (flicker seed aside)."""
        return dataclasses.replace(self, flicker_seed=0) == Drift()

    def to_json(self) -> str:
        """The drift as a JSON object with a ``version`` field (schema: the dataclass fields)."""
        return json.dumps({"version": JSON_VERSION, **dataclasses.asdict(self)}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Drift:
        """Read what :meth:`to_json` wrote; ``ValueError`` on another version or unknown field."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.pop("version", None) != JSON_VERSION:
            raise ValueError(f"not a version {JSON_VERSION} cinegrade drift record")
        names = {field.name for field in dataclasses.fields(cls)}
        if set(data) - names:
            raise ValueError(f"unknown drift fields: {sorted(set(data) - names)}")
        return cls(**data)


def random_drift(rng: np.random.Generator, strength: float = 1.0) -> Drift:
    """A plausible AI-video drift drawn from ``rng``; ``strength`` scales every spread.

    At strength 1: white balance 6504 K ± ~900 K (uniform in mired, ±25 mired), exposure ±0.5
    stop, contrast and gamma ×/÷ 1.12, lift ±0.03, saturation ×/÷ 1.2, flicker σ up to 0.04 stop
    on a third of the shots.
    """
    mired = 1e6 / NEUTRAL_CCT + strength * rng.uniform(-25, 25)
    flicker = strength * rng.uniform(0.01, 0.04) if rng.random() < 1 / 3 else 0.0
    return Drift(
        white_balance_k=round(float(np.clip(1e6 / mired, *CCT_RANGE)), 1),
        exposure_stops=round(float(strength * rng.uniform(-0.5, 0.5)), 3),
        contrast=round(float(1.12 ** (strength * rng.uniform(-1, 1))), 3),
        gamma=round(float(1.12 ** (strength * rng.uniform(-1, 1))), 3),
        lift=round(float(strength * rng.uniform(-0.03, 0.03)), 4),
        saturation=round(float(1.2 ** (strength * rng.uniform(-1, 1))), 3),
        flicker_stops=round(float(flicker), 4),
        flicker_seed=int(rng.integers(2**31)),
    )


def linear_from_display(rgb: np.ndarray) -> np.ndarray:
    """Display-referred Rec.709 R'G'B' -> linear light, by the BT.1886 EOTF (L_W 1, L_B 0)."""
    import colour

    return colour.models.eotf_BT1886(np.clip(rgb, 0.0, None)).astype(np.float32, copy=False)


def display_from_linear(linear: np.ndarray) -> np.ndarray:
    """Linear light -> display-referred Rec.709 R'G'B', by the inverse BT.1886 EOTF."""
    import colour

    encoded = colour.models.eotf_inverse_BT1886(np.clip(linear, 0.0, None))
    return encoded.astype(np.float32, copy=False)


@functools.lru_cache(maxsize=64)
def white_balance_matrix(cct: float) -> np.ndarray:
    """3×3 matrix on linear Rec.709 RGB that moves D65 (the Rec.709 white) to CIE daylight at
    ``cct`` K by the von Kries transform in CAT02 cone space (CIE 159:2004; colour-science's
    ``matrix_chromatic_adaptation_VonKries``), keeping the white's luminance Y = 1."""
    import colour

    space = colour.RGB_COLOURSPACES["ITU-R BT.709"]
    source = colour.xy_to_XYZ(space.whitepoint)
    target = colour.xy_to_XYZ(colour.temperature.CCT_to_xy_CIE_D(cct))
    cat = colour.adaptation.matrix_chromatic_adaptation_VonKries(source, target, transform="CAT02")
    matrix = space.matrix_XYZ_to_RGB @ cat @ space.matrix_RGB_to_XYZ
    return matrix.astype(np.float32)


def flicker_offset(drift: Drift, frame_index: int) -> float:
    """Exposure offset (stops) of frame ``frame_index``: normal with σ = ``drift.flicker_stops``,
    independent per frame and reproducible from (``flicker_seed``, ``frame_index``) alone, so any
    frame can be rendered without the ones before it."""
    if drift.flicker_stops == 0:
        return 0.0
    rng = np.random.default_rng([drift.flicker_seed, frame_index])
    return float(drift.flicker_stops * rng.standard_normal())


def apply_drift(rgb: np.ndarray, drift: Drift, frame_index: int = 0) -> np.ndarray:
    """``rgb`` (display-referred Rec.709 R'G'B', (..., 3), [0, 1]) as the drifted shot shows it.

    In linear light (BT.1886, see the module docstring): white balance (von Kries/CAT02 matrix),
    exposure (gain 2 ** (exposure_stops + flicker_offset)), contrast (power about 18 % grey).
    Then on display-encoded values: gamma (power), lift, saturation about Rec.709 luma. Result
    clipped to [0, 1], float32. A neutral drift returns the input unchanged (as float32).
    """
    out = np.asarray(rgb, dtype=np.float32)
    if drift.is_neutral:
        return out.copy()
    stops = drift.exposure_stops + flicker_offset(drift, frame_index)
    if drift.white_balance_k != NEUTRAL_CCT or stops != 0 or drift.contrast != 1:
        linear = linear_from_display(out)
        if drift.white_balance_k != NEUTRAL_CCT:
            linear = linear @ white_balance_matrix(float(drift.white_balance_k)).T
        linear = np.clip(linear, 0.0, None) * np.float32(2.0**stops)
        if drift.contrast != 1:
            grey = np.float32(MID_GREY_LINEAR)
            linear = grey * (linear / grey) ** np.float32(drift.contrast)
        out = display_from_linear(linear)
    out = np.clip(out, 0.0, 1.0)
    if drift.gamma != 1:
        out = out ** np.float32(drift.gamma)
    if drift.lift != 0:
        out = np.float32(drift.lift) + np.float32(1 - drift.lift) * out
    if drift.saturation != 1:
        luma = (out @ REC709_LUMA)[..., None]
        out = luma + np.float32(drift.saturation) * (out - luma)
    return np.clip(out, 0.0, 1.0).astype(np.float32, copy=False)

