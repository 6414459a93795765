"""The drift model: how AI video's colour drifts between and inside shots, forward and inverse.

One model of how a drift acts on display-referred Rec.709 R'G'B' (the one definition; the
generator, the cut measure and the matcher all use it):

1. von Kries gains of the CAT02 cone responses on display light (:mod:`cinegrade.colour.adaptation`):
   white balance and exposure;
2. a power about 18 % grey on display light: contrast (with the gains it also covers a display
   gamma);
3. the BT.1886 encoding (:mod:`cinegrade.colour.encodings`), then a lift of black
   ``lift + (1 - lift) x``;
4. saturation about Rec.709 luma (as the ASC CDL saturation).

Two forms of the same model:

- :class:`Drift`, a record in the terms of the drift (CCT of the white balance in K, exposure
  stops, contrast, display gamma, lift, saturation, flicker), which :func:`apply_drift` injects
  into frames: the test media's ground truth, written beside each clip as JSON.
- A parameter vector ``(log L, log M, log S cone gains, log contrast, lift, log saturation)``
  (:data:`PARAMETERS`): :func:`predict_drift` applies it, :func:`undo_drift` inverts it exactly,
  :func:`fit_drift` finds it from pixel pairs of the same content, :func:`drift_summary` states
  it in the units continuity reports (stops, mired, ratios).

Display light is the BT.1886 EOTF at L_W = 1, L_B = 0 (a 2.4 power): the light a reference
display emits for these files, hence what "stops" and "illuminant" mean for video that had no
camera behind it.

References: CIE 159:2004 (CAT02); ITU-R BT.1886; ASC CDL v1.2 (saturation).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cinegrade.colour.adaptation import (
    LMS_TO_RGB,
    LMS_TO_XYZ,
    NEUTRAL_CCT,
    RGB_TO_LMS,
    WHITE_LMS,
    luminance_of_lms,
    mired_of_lms,
    von_kries_matrix,
    white_balance_matrix,
)
from cinegrade.colour.encodings import (
    MID_GREY_LINEAR,
    REC709_LUMA,
    display_encoded,
    display_linear,
)

#: Range of :func:`colour.temperature.CCT_to_xy_CIE_D`, the CIE daylight locus (CIE 015:2018).
CCT_RANGE = (4000.0, 25000.0)
#: The parameter vector's terms, in order.
PARAMETERS = ("log_gain_l", "log_gain_m", "log_gain_s", "log_contrast", "lift", "log_saturation")
#: Most pixel pairs :func:`fit_drift` uses (an even stride through them).
FIT_MAX_PIXELS = 12_000

#: The drift's white balance and exposure read as three independent directions of its log cone
#: gains, so that evidence which sees colour but not level (a light's colour, a black level) can
#: say so: ``exposure_stops`` (log2 of white's luminance gain, linearised at D65), ``warmth``
#: (ln g_L − ln g_S: positive = warmer), ``tint`` (ln g_M − (ln g_L + ln g_S) / 2: positive =
#: greener); then the other three parameters as they are.
COMPONENTS = ("exposure_stops", "warmth", "tint", "log_contrast", "lift", "log_saturation")


def _component_matrix() -> np.ndarray:
    luminance_share = LMS_TO_XYZ[1] * WHITE_LMS / (LMS_TO_XYZ[1] @ WHITE_LMS)
    matrix = np.eye(6)
    matrix[:3, :3] = [luminance_share / math.log(2.0), [1.0, 0.0, -1.0], [-0.5, 1.0, -0.5]]
    return matrix


#: (6, 6): drift parameters (:data:`PARAMETERS`) → :data:`COMPONENTS`, and back.
TO_COMPONENTS = _component_matrix()
FROM_COMPONENTS = np.linalg.inv(TO_COMPONENTS)


def components_of(parameters: Sequence[float]) -> np.ndarray:
    """Drift parameters (6,) (:data:`PARAMETERS`) as :data:`COMPONENTS` (6,) float64.

    >>> [round(float(v), 6) + 0.0 for v in components_of([math.log(2.0)] * 3 + [0, 0, 0])]
    [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    >>> np.round(parameters_of(components_of([0.1, 0.0, -0.1, 0.2, 0.01, 0.0])), 6)
    array([ 0.1 ,  0.  , -0.1 ,  0.2 ,  0.01,  0.  ])
    """
    return TO_COMPONENTS @ np.asarray(parameters, dtype=np.float64)


def parameters_of(components: Sequence[float]) -> np.ndarray:
    """:data:`COMPONENTS` (6,) as drift parameters (6,) (:data:`PARAMETERS`), float64."""
    return FROM_COMPONENTS @ np.asarray(components, dtype=np.float64)


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

    ``ValueError`` for a white balance outside :data:`CCT_RANGE`, contrast or gamma ≤ 0, a
    negative saturation or flicker, or a lift outside (-0.5, 0.5).

    >>> Drift().is_neutral, Drift(exposure_stops=0.5).is_neutral
    (True, False)
    >>> Drift(white_balance_k=3000.0)
    Traceback (most recent call last):
    ...
    ValueError: white_balance_k 3000.0 K is outside 4000.0-25000.0 K
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
        """The drift as a JSON object with a ``version`` field (schema: the dataclass fields).

        >>> Drift.from_json(Drift(exposure_stops=0.5).to_json()) == Drift(exposure_stops=0.5)
        True
        """
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


def flicker_offset(drift: Drift, frame_index: int) -> float:
    """Exposure offset (stops) of frame ``frame_index``: normal with σ = ``drift.flicker_stops``,
    independent per frame and reproducible from (``flicker_seed``, ``frame_index``) alone, so any
    frame can be rendered without the ones before it.

    >>> flicker_offset(Drift(), 7)
    0.0
    >>> wobbly = Drift(flicker_stops=0.05, flicker_seed=1)
    >>> flicker_offset(wobbly, 3) == flicker_offset(wobbly, 3)
    True
    """
    if drift.flicker_stops == 0:
        return 0.0
    rng = np.random.default_rng([drift.flicker_seed, frame_index])
    return float(drift.flicker_stops * rng.standard_normal())


def apply_drift(rgb: np.ndarray, drift: Drift, frame_index: int = 0) -> np.ndarray:
    """``rgb`` (display-referred Rec.709 R'G'B', (..., 3), [0, 1]) as the drifted shot shows it.

    In linear light (BT.1886, see the module docstring): white balance (von Kries/CAT02 matrix),
    exposure (gain 2 ** (exposure_stops + flicker_offset)), contrast (power about 18 % grey).
    Then on display-encoded values: gamma (power), lift, saturation about Rec.709 luma. Result
    clipped to [0, 1], float32, the shape of ``rgb``. A neutral drift returns the input
    unchanged (as float32).

    >>> apply_drift(np.array([0.5, 0.5, 0.5]), Drift(exposure_stops=1.0)).round(4)  # 0.5 · 2 ** (1 / 2.4)
    array([ 0.6674,  0.6674,  0.6674], dtype=float32)
    """
    out = np.asarray(rgb, dtype=np.float32)
    if drift.is_neutral:
        return out.copy()
    stops = drift.exposure_stops + flicker_offset(drift, frame_index)
    if drift.white_balance_k != NEUTRAL_CCT or stops != 0 or drift.contrast != 1:
        linear = display_linear(out, np.float64)
        if drift.white_balance_k != NEUTRAL_CCT:
            linear = linear @ white_balance_matrix(float(drift.white_balance_k)).T
        linear = np.clip(linear, 0.0, None) * np.float32(2.0**stops)
        if drift.contrast != 1:
            grey = np.float32(MID_GREY_LINEAR)
            linear = grey * (linear / grey) ** np.float32(drift.contrast)
        out = display_encoded(linear)
    out = np.clip(out, 0.0, 1.0)
    if drift.gamma != 1:
        out = out ** np.float32(drift.gamma)
    if drift.lift != 0:
        out = np.float32(drift.lift) + np.float32(1 - drift.lift) * out
    if drift.saturation != 1:
        luma = (out @ REC709_LUMA)[..., None]
        out = luma + np.float32(drift.saturation) * (out - luma)
    return np.clip(out, 0.0, 1.0).astype(np.float32, copy=False)


def predict_drift(pa: np.ndarray, parameters: np.ndarray) -> np.ndarray:
    """Display-referred Rec.709 pixels (N, 3) → the same pixels drifted by ``parameters`` =
    (log L, log M, log S cone gains, log contrast, lift, log saturation), in the order a drift
    acts: von Kries gains in CAT02 cone space on linear light (white balance and exposure), a
    power about 18 % grey (contrast; with the gains it also covers a display gamma), the BT.1886
    encoding, a lift of black, then saturation about Rec.709 luma. ``parameters``: (6,), one
    drift for every pixel, or (N, 6), one per pixel. Unclipped; (N, 3) float64 (``pa`` must be
    2-D).

    >>> grey = np.array([[0.5, 0.5, 0.5]])
    >>> predict_drift(grey, np.array([np.log(2.0)] * 3 + [0.0, 0.0, 0.0])).round(4)  # 0.5 · 2 ** (1 / 2.4)
    array([[ 0.6674,  0.6674,  0.6674]])
    >>> each = np.array([[np.log(2.0)] * 3 + [0.0] * 3, [0.0] * 5 + [np.log(2.0)]])
    >>> predict_drift(np.array([[0.5, 0.5, 0.5], [0.6, 0.4, 0.5]]), each).round(4)
    array([[ 0.6674,  0.6674,  0.6674],
           [ 0.7503,  0.3503,  0.5503]])
    """
    if np.ndim(parameters) == 2:  # one drift per pixel: its matrix (N, 3, 3), its terms (N, 1)
        matrices = (LMS_TO_RGB[None] * np.exp(parameters[:, None, :3])) @ RGB_TO_LMS
        linear = (display_linear(pa).astype(np.float64)[:, None, :]
                  @ np.transpose(matrices, (0, 2, 1)))[:, 0]
        linear = np.maximum(linear, 1e-9)
        parameters = np.asarray(parameters, dtype=np.float64).T[:, :, None]
    else:
        matrix = von_kries_matrix(np.exp(parameters[:3]))
        linear = np.maximum(display_linear(pa).astype(np.float64) @ matrix.T, 1e-9)
    return _tone(linear, parameters[3], parameters[4], parameters[5])[3]


def _tone(linear: np.ndarray, log_contrast, lift, log_saturation
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The drift model after the cone gains, from display light (N, 3) already clamped: the
    contrast power about 18 % grey, BT.1886 encoding, the lift, saturation about Rec.709 luma
    (terms scalars, or (N, 1) one per pixel). Returns the encoded (N, 3), lifted (N, 3), luma
    (N, 1) and drifted (N, 3) values, float64 (the Jacobian needs each step)."""
    encoded = np.power(MID_GREY_LINEAR * (linear / MID_GREY_LINEAR) ** np.exp(log_contrast), 1 / 2.4)
    lifted = lift + (1 - lift) * encoded
    luma = (lifted @ REC709_LUMA.astype(np.float64))[:, None]
    return encoded, lifted, luma, luma + np.exp(log_saturation) * (lifted - luma)


def predict_drift_with_jacobian(pa: np.ndarray, parameters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`predict_drift` of pixels ``pa`` (N, 3) by one drift ``parameters`` (6,), with its
    Jacobian: (the drifted pixels (N, 3), ∂ ``predict_drift(pa, parameters).ravel()`` / ∂
    ``parameters`` (N · 3, 6)), float64, row 3 n + c for pixel n's channel c. Exact (the chain
    rule through each step; the clamp of display light at 1e-9 passes no gain derivative), for
    :func:`fit_drift_parameters` in place of finite differences.

    >>> pa, p = np.array([[0.2, 0.4, 0.6], [0.5, 0.5, 0.5]]), np.array([0.1, 0.0, -0.1, 0.05, 0.02, 0.2])
    >>> drifted, jacobian = predict_drift_with_jacobian(pa, p)
    >>> bool(np.array_equal(drifted, predict_drift(pa, p))), jacobian.shape
    (True, (6, 6))
    >>> step = np.eye(6)[3] * 1e-6  # against a central difference in the contrast
    >>> difference = (predict_drift(pa, p + step) - predict_drift(pa, p - step)).ravel() / 2e-6
    >>> bool(np.allclose(jacobian[:, 3], difference, rtol=1e-6, atol=1e-9))
    True
    """
    return _drift_with_jacobian(display_linear(pa).astype(np.float64), parameters)


def _drift_with_jacobian(light: np.ndarray, parameters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`predict_drift_with_jacobian` of display light (N, 3) float64 (``display_linear``
    of the pixels, which a fit computes once). The forward steps are :func:`predict_drift`'s
    (its von Kries step, then :func:`_tone`): the same floats."""
    p = np.asarray(parameters, dtype=np.float64)
    gains, contrast, lift, saturation = np.exp(p[:3]), np.exp(p[3]), p[4], np.exp(p[5])
    weights = REC709_LUMA.astype(np.float64)
    unclamped = light @ von_kries_matrix(gains).T
    linear = np.maximum(unclamped, 1e-9)
    log_ratio = np.log(linear / MID_GREY_LINEAR)
    encoded, lifted, luma, drifted = _tone(linear, p[3], lift, p[5])
    # ∂ lifted / ∂ p, parameter first (6, N, 3):
    # lifted = lift + (1 - lift) (grey (linear / grey) ** contrast) ** (1 / 2.4)
    per_log_linear = (1 - lift) * contrast / 2.4 * encoded  # ∂ lifted / ∂ ln linear
    per_linear = np.where(unclamped > 1e-9, per_log_linear / linear, 0.0)  # none where clamped
    # von Kries: ∂ linear_c / ∂ ln g_k = LMS_TO_RGB[c, k] g_k cone_k, cones = RGB_TO_LMS light
    cones = (light @ RGB_TO_LMS.T) * gains
    jacobian = np.empty((6,) + light.shape)  # filled in place: fresh temporaries cost page faults
    for k in range(3):
        np.multiply(per_linear, LMS_TO_RGB[:, k], out=jacobian[k])
        jacobian[k] *= cones[:, k:k + 1]
    np.multiply(per_log_linear, log_ratio, out=jacobian[3])
    np.subtract(1, encoded, out=jacobian[4])
    # saturation about luma: drifted = s lifted + (1 - s) luma(lifted)
    luma_slopes = (jacobian[:5].reshape(-1, 3) @ weights).reshape(5, -1, 1)
    jacobian[:5] *= saturation
    jacobian[:5] += (1 - saturation) * luma_slopes
    np.multiply(lifted - luma, saturation, out=jacobian[5])
    return drifted, jacobian.reshape(6, -1).T  # (N · 3, 6), Fortran order as LAPACK takes it


#: What :func:`fit_drift_parameters` searches: (low, high) per parameter.
FIT_BOUNDS = (np.array([-3.0, -3.0, -3.0, -1.0, -0.4, -2.0]), np.array([3.0, 3.0, 3.0, 1.0, 0.4, 2.0]))


def plausible(parameters: Sequence[float], margin: float = 0.9) -> bool:
    """Whether a fitted drift (6,) stays inside ``margin`` of :data:`FIT_BOUNDS` (a fit that ran
    to a bound is a fit of something else than a drift).

    >>> plausible([0.2, 0.1, 0.0, 0.0, 0.01, 0.1]), plausible([-3.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    (True, False)
    """
    x = np.asarray(parameters, dtype=np.float64)
    return bool(np.all(x > margin * FIT_BOUNDS[0]) and np.all(x < margin * FIT_BOUNDS[1]))


def fit_drift(pa: np.ndarray, pb: np.ndarray) -> tuple[np.ndarray, float, float, float] | None:
    """The drift that takes display-referred pixels ``pa`` (N, 3) to ``pb`` on the same content:
    (cone gains (3,), saturation, contrast, lift), fitted to :func:`predict_drift` by robust
    non-linear least squares (SciPy's trust-region reflective solver, soft-L1 loss of scale
    0.02 display, so misregistered pixels weigh little).

    Each term changes pixels in its own way — a white balance or exposure as a gain of cone
    responses, whatever the pixel; saturation in proportion to the pixel's chroma; contrast with
    its distance from grey; a lift with its darkness — so shared content separates them, where
    frame means cannot. None when fewer than 100 pairs or the fit fails. ``pa`` and ``pb``:
    (N, 3) float, at most :data:`FIT_MAX_PIXELS` of them used; the gains come back as (3,)
    float64, the other three as floats (ratios, and the lift in display units).

    >>> rng = np.random.default_rng(0)
    >>> pa = rng.uniform(0.05, 0.95, (2000, 3))
    >>> pb = predict_drift(pa, np.array([0.1, 0.0, -0.1, 0.0, 0.0, 0.0]))  # warmer
    >>> gains, saturation, contrast, lift = fit_drift(pa, pb)
    >>> bool(np.allclose(np.log(gains), [0.1, 0.0, -0.1], atol=1e-3))
    True
    >>> fit_drift(pa[:50], pb[:50]) is None
    True
    """
    fitted = fit_drift_parameters(pa, pb)
    if fitted is None:
        return None
    x = fitted[0]
    return np.exp(x[:3]), float(np.exp(x[5])), float(np.exp(x[3])), float(x[4])


def fit_drift_parameters(pa: np.ndarray, pb: np.ndarray, min_pairs: int = 100,
                         free: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`fit_drift` as the parameter vector (6,) (:data:`PARAMETERS`) with its covariance
    (6, 6): the Gauss–Newton estimate (JᵀJ)⁻¹ s², s the normalised median absolute residual, as
    if the pairs were independent (pixels of one surface are not: callers scale it), J the exact
    Jacobian (:func:`predict_drift_with_jacobian`, which the solver also steps by). ``free``:
    the indices of the parameters fitted (None: all six); the others stay 0, with covariance
    rows and columns 0. None with fewer than ``min_pairs`` pairs or when the fit fails.

    >>> rng = np.random.default_rng(1)
    >>> pa = rng.uniform(0.05, 0.95, (60, 3))
    >>> pb = predict_drift(pa, np.array([0.2, 0.2, 0.2, 0.0, 0.0, 0.1])) + rng.normal(0, 0.01, (60, 3))
    >>> x, covariance = fit_drift_parameters(pa, pb, min_pairs=30)
    >>> bool(abs(x[0] - 0.2) < 3 * np.sqrt(covariance[0, 0]) + 0.01), covariance.shape
    (True, (6, 6))
    """
    from scipy.optimize import least_squares

    if len(pa) < min_pairs:
        return None
    step = max(1, len(pa) // FIT_MAX_PIXELS)
    pa, pb = pa[::step], pb[::step]
    light = display_linear(pa).astype(np.float64)
    free = list(range(6)) if free is None else list(free)
    last: list = []  # (parameters, Jacobian) of the last residual: the solver asks for it next

    def full(x: np.ndarray) -> np.ndarray:
        parameters = np.zeros(6)
        parameters[free] = x
        return parameters

    def residual(x: np.ndarray) -> np.ndarray:
        drifted, derivatives = _drift_with_jacobian(light, full(x))
        last[:] = [(x.copy(), derivatives[:, free])]
        return (drifted - pb).ravel()

    def jacobian(x: np.ndarray) -> np.ndarray:
        if last and np.array_equal(last[0][0], x):
            return last.pop()[1]  # once: the solver scales it in place
        return _drift_with_jacobian(light, full(x))[1][:, free]

    try:
        result = least_squares(residual, np.zeros(len(free)), jac=jacobian,
                               bounds=(FIT_BOUNDS[0][free], FIT_BOUNDS[1][free]), loss="soft_l1", f_scale=0.02,
                               x_scale=np.array([0.1, 0.1, 0.1, 0.1, 0.02, 0.1])[free], max_nfev=60)
    except (ValueError, np.linalg.LinAlgError):
        return None
    if not np.all(np.isfinite(result.x)):
        return None
    scale = 1.4826 * float(np.median(np.abs(result.fun))) + 1e-4
    covariance = np.zeros((6, 6))
    information = result.jac.T @ result.jac
    covariance[np.ix_(free, free)] = np.linalg.pinv(information + 1e-9 * np.eye(len(free))) * scale**2
    return full(result.x), covariance


def undo_drift(rgb: np.ndarray, parameters: Sequence[float]) -> np.ndarray:
    """Display-referred Rec.709 R'G'B' (..., 3) with the drift ``parameters`` undone: the exact
    inverse of :func:`predict_drift`, step by step in reverse —
    saturation about Rec.709 luma divided out, the lift removed, BT.1886 decoding, the contrast
    power about 18 % grey inverted, the cone gains divided out (von Kries in CAT02) — then
    re-encoded and clipped to [0, 1]. Float64 (float32 for float32 input).

    >>> p = np.array([0.1, 0.0, -0.1, 0.05, 0.02, 0.2])
    >>> pixels = np.array([[0.2, 0.4, 0.6], [0.5, 0.5, 0.5]])
    >>> bool(np.allclose(undo_drift(predict_drift(pixels, p), p), pixels))
    True
    """
    rgb = np.asarray(rgb)
    out_dtype = np.float32 if rgb.dtype == np.float32 else np.float64
    p = np.asarray(parameters, dtype=np.float64)
    x = rgb.astype(np.float64)
    if p[5]:
        luma = (x @ REC709_LUMA.astype(np.float64))[..., None]
        x = luma + (x - luma) * math.exp(-p[5])
    if p[4]:
        x = (x - p[4]) / (1.0 - p[4])
    linear = np.power(np.clip(x, 0.0, None), 2.4)
    if p[3]:
        linear = MID_GREY_LINEAR * np.power(linear / MID_GREY_LINEAR, math.exp(-p[3]))
    if np.any(p[:3]):
        linear = linear @ von_kries_matrix(np.exp(-p[:3])).T
    out = np.power(np.clip(linear, 0.0, 1.0), 1 / 2.4)
    return out.astype(out_dtype, copy=False)


def drift_summary(parameters: np.ndarray) -> dict:
    """Drift parameters (6,) as the units continuity reports: exposure (stops, of white's
    luminance), white balance (mired, positive = warmer), contrast and saturation ratios, lift
    (display units); rounded.

    >>> drift_summary(np.array([np.log(2.0)] * 3 + [0.0, 0.0, 0.0]))  # every cone gain doubled
    {'exposure_stops': 1.0, 'mired': 0.0, 'contrast': 1.0, 'lift': 0.0, 'saturation': 1.0}
    """
    p = np.asarray(parameters, dtype=np.float64)
    exposure, mired = gains_exposure_mired(np.exp(p[:3]))
    return {"exposure_stops": round(exposure, 4), "mired": round(mired, 3),
            "contrast": round(math.exp(p[3]), 4), "lift": round(float(p[4]), 4),
            "saturation": round(math.exp(p[5]), 4)}


def gains_exposure_mired(gains: Sequence[float]) -> tuple[float, float]:
    """What cone ``gains`` (3,) do to D65 white (the Rec.709 white, what a balanced shot's
    neutral surfaces show): its change of luminance in stops, and of reciprocal colour
    temperature in mired (positive = warmer).

    >>> exposure, mired = gains_exposure_mired([2.0, 2.0, 2.0])
    >>> round(exposure, 6), round(mired, 6)
    (1.0, 0.0)
    """
    drifted = WHITE_LMS * np.asarray(gains, dtype=np.float64)
    exposure = math.log2(luminance_of_lms(drifted) / luminance_of_lms(WHITE_LMS))
    return exposure, mired_of_lms(drifted) - mired_of_lms(WHITE_LMS)


_MID_GREY_DISPLAY = np.full((1, 3), MID_GREY_LINEAR ** (1 / 2.4))


def grey_exposure(components) -> float | np.ndarray:
    """Stops by which a drift (:data:`COMPONENTS` (6,)) moves 18 % grey's
    luminance (BT.1886 display light): the cone gains, the lift and the contrast (which pivots
    there) together — what a viewer reads as the shot getting brighter. Better conditioned than
    the gains' own exposure on white, which trades off against contrast and lift when the shared
    content spans few tones. Drifts (N, 6) → (N,) float64, each the number it has alone (to
    float64 rounding: the float32 steps are taken row by row).

    >>> round(grey_exposure([0.5, 0, 0, 0, 0, 0]), 6)  # the gains alone
    0.5
    >>> round(grey_exposure([0.5, 0, 0, 0.2, 0, 0]), 4)  # gains, then contrast about grey: 0.5 · e^0.2
    0.6107
    >>> grey_exposure([[0.5, 0, 0, 0, 0, 0], [0.5, 0, 0, 0.2, 0, 0]]).round(4)
    array([ 0.5   ,  0.6107])
    """
    components = np.asarray(components, dtype=np.float64)
    if components.ndim == 1:
        drifted = predict_drift(_MID_GREY_DISPLAY, parameters_of(components))
        return math.log2(float((display_linear(drifted) @ REC709_LUMA)[0]) / MID_GREY_LINEAR)
    # parameters and the float32 luma row by row: a stacked product may round otherwise
    parameters = np.array([parameters_of(row) for row in components]).reshape(-1, len(PARAMETERS))
    drifted = display_linear(predict_drift(np.repeat(_MID_GREY_DISPLAY, len(parameters), 0), parameters))
    return np.array([math.log2(float(row @ REC709_LUMA) / MID_GREY_LINEAR) for row in drifted])


def white_balance_mired(components) -> float | np.ndarray:
    """A drift's white balance in mired (positive = warmer): how far the cone gains of its
    warmth and tint alone (:data:`COMPONENTS` 1 and 2; exposure leaves colour alone) move D65 —
    :func:`gains_exposure_mired`'s mired, as :func:`cinegrade.continuity.measure.measure_from_scene`
    reads it. Drifts (6,) → a float; (N, 6) → (N,) float64, each the number it has alone, with
    one CCT search for them all
    (:func:`~cinegrade.colour.adaptation.mired_of_lms`).

    >>> round(white_balance_mired([0.0, 0.1, 0.0, 0.0, 0.0, 0.0]), 2)
    18.98
    >>> white_balance_mired([[0.3, 0.1, 0.0, 0, 0, 0], [0.0, -0.1, 0.02, 0, 0, 0]]).round(2)
    array([ 18.98, -19.26])
    """
    components = np.asarray(components, dtype=np.float64)
    rows = components.reshape(-1, len(COMPONENTS))
    drifted = np.array([WHITE_LMS * np.exp(parameters_of((0.0, w, t, 0.0, 0.0, 0.0))[:3])
                        for _, w, t, *_ in rows]).reshape(-1, 3)
    mired = mired_of_lms(drifted) - mired_of_lms(WHITE_LMS)
    return float(mired[0]) if components.ndim == 1 else mired


@functools.lru_cache(maxsize=1)
def mired_per_warmth() -> float:
    """Mired per unit of warmth (ln L/S) near none: :func:`white_balance_mired` of a warmth of
    0.01, over 0.01 — how a warmth's standard error reads in mired.

    >>> round(mired_per_warmth(), 1)
    182.5
    """
    return abs(white_balance_mired([0.0, 0.01, 0.0, 0.0, 0.0, 0.0])) / 0.01
