"""The drift model's exact Jacobian (predict_drift_with_jacobian) against differences of
predict_drift, and fit_drift_parameters, which steps by it, against the fit by SciPy's 2-point
differences that it replaced (kept here only, as the oracle)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.optimize import least_squares
from skimage import data

from cinegrade.colour.adaptation import von_kries_matrix
from cinegrade.colour.drift import (
    FIT_BOUNDS,
    FIT_MAX_PIXELS,
    NEUTRAL_CCT,
    Drift,
    apply_drift,
    fit_drift_parameters,
    predict_drift,
    predict_drift_with_jacobian,
)
from cinegrade.colour.encodings import display_linear

_rng = np.random.default_rng(20)
#: Random colours, a grey ramp, black, the primaries and secondaries: display-referred (N, 3).
PIXELS = np.vstack([_rng.uniform(0, 1, (3000, 3)), np.linspace(0, 1, 11)[:, None].repeat(3, 1),
                    np.eye(3), 1 - np.eye(3)])
DRIFTS = {
    "neutral": np.zeros(6),
    "typical": np.array([0.1, 0.0, -0.1, 0.05, 0.02, 0.2]),
    "near the lower bounds": 0.95 * FIT_BOUNDS[0],
    "near the upper bounds": 0.95 * FIT_BOUNDS[1],
    **{f"random {i}": _rng.uniform(*FIT_BOUNDS) / 3 for i in range(3)},
}


def unclamped_light(pixels: np.ndarray, parameters: np.ndarray) -> np.ndarray:
    """Display light after the drift's cone gains, before predict_drift clamps it at 1e-9."""
    return display_linear(pixels).astype(np.float64) @ von_kries_matrix(np.exp(parameters[:3])).T


def complex_step_jacobian(pixels: np.ndarray, parameters: np.ndarray) -> np.ndarray:
    """∂ predict_drift(pixels, parameters).ravel() / ∂ parameters (N · 3, 6) by the complex step
    (Squire & Trapp, SIAM Review 1998): Im f(p + i h e_k) / h takes no difference, so it is exact
    to rounding where differences fail — near black, where the 1/2.4 power's slope grows without
    bound, and next to the clamp. predict_drift carries complex numbers through (np.maximum
    compares real parts first); its one-drift branch casts the gains to float64 and its per-pixel
    branch the other terms, so each column goes through the branch that keeps its imaginary part
    (the cast of a zero imaginary part warns)."""
    step = 1e-30
    columns = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        for k in range(6):
            probe = parameters + 1j * step * np.eye(6)[k]
            drifted = predict_drift(pixels, np.repeat(probe[None], len(pixels), 0) if k < 3 else probe)
            columns.append(drifted.imag.ravel() / step)
    return np.stack(columns, axis=1)


def per_pixel_scale(jacobian: np.ndarray) -> np.ndarray:
    """(N · 3, 1): each pixel's largest response, over its channels and the parameters (an entry
    can be 0 but for rounding: a grey's response to saturation, white's to the lift)."""
    return np.repeat(np.abs(jacobian).reshape(-1, 18).max(axis=1), 3)[:, None]


@pytest.mark.parametrize("name", DRIFTS)
def test_jacobian_matches_central_differences_where_light_is_clear_of_black(name):
    parameters = DRIFTS[name]
    drifted, jacobian = predict_drift_with_jacobian(PIXELS, parameters)
    np.testing.assert_array_equal(drifted, predict_drift(PIXELS, parameters))
    step = 3e-7  # balances rounding (f / step) and truncation (step² f''') near the bounds
    central = np.stack([(predict_drift(PIXELS, parameters + step * e) - predict_drift(PIXELS, parameters - step * e)).ravel()
                        / (2 * step) for e in np.eye(6)], axis=1)
    # clamp-free, and far enough from black that a difference resolves the 1/2.4 power
    clear = np.repeat(unclamped_light(PIXELS, parameters).min(axis=1) >= 1e-3, 3)
    assert clear.sum() > 1000
    error = np.abs(jacobian - central) / (np.abs(central) + 1e-3 * per_pixel_scale(central))
    assert error[clear].max() < 1e-5


@pytest.mark.parametrize("name", DRIFTS)
def test_jacobian_is_exact_near_black_and_at_the_clamp(name):
    parameters = DRIFTS[name]
    jacobian = predict_drift_with_jacobian(PIXELS, parameters)[1]
    exact = complex_step_jacobian(PIXELS, parameters)
    light = unclamped_light(PIXELS, parameters)
    assert (light.min(axis=1) < 1e-4).sum() >= 3  # black at least, where differences fail
    error = np.abs(jacobian - exact) / (np.abs(exact) + 1e-6 * per_pixel_scale(exact))
    assert error.max() < 1e-8


def test_clamped_light_passes_no_gain_derivative():
    """A channel the gains drive below 1e-9 display light is clamped there: the gains no longer
    move it (saturation 1, so that channels do not mix through luma)."""
    parameters = np.array([0.8, 0.0, -0.8, 0.1, 0.02, 0.0])  # far warmer: blues go negative
    light = unclamped_light(PIXELS, parameters)
    jacobian = predict_drift_with_jacobian(PIXELS, parameters)[1].reshape(-1, 3, 6)
    clamped = light < 1e-9
    assert clamped.sum() > 100
    assert np.all(jacobian[clamped][:, :3] == 0) and np.all(jacobian[~clamped][:, :3].any(axis=1))
    assert np.all(jacobian[clamped][:, 3] != 0)  # the contrast still pivots the clamp's 1e-9


# --- the fit, against the 2-point fit it replaced ----------------------------------------------

OPTIONS = dict(bounds=FIT_BOUNDS, loss="soft_l1", f_scale=0.02, x_scale=[0.1, 0.1, 0.1, 0.1, 0.02, 0.1])


def two_point_fit(pa: np.ndarray, pb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """fit_drift_parameters as it was before the exact Jacobian: SciPy's 2-point differences."""
    step = max(1, len(pa) // FIT_MAX_PIXELS)
    pa, pb = pa[::step], pb[::step]
    result = least_squares(lambda p: (predict_drift(pa, p) - pb).ravel(), np.zeros(6), jac="2-point",
                           max_nfev=60, **OPTIONS)
    scale = 1.4826 * float(np.median(np.abs(result.fun))) + 1e-4
    return result.x, np.linalg.pinv(result.jac.T @ result.jac + 1e-9 * np.eye(6)) * scale**2


def converged_fit(pa: np.ndarray, pb: np.ndarray) -> np.ndarray:
    """The same objective's minimum, to tolerances far below the fit's own (1e-8 on the cost)."""
    step = max(1, len(pa) // FIT_MAX_PIXELS)
    pa, pb = pa[::step], pb[::step]
    result = least_squares(lambda p: (predict_drift(pa, p) - pb).ravel(), np.zeros(6),
                           jac=lambda p: predict_drift_with_jacobian(pa, p)[1],
                           max_nfev=1000, ftol=1e-15, xtol=1e-15, gtol=1e-15, **OPTIONS)
    return result.x


def mired_k(mired: float) -> float:
    """The CCT (K) that lies ``mired`` from D65 (positive = warmer)."""
    return 1e6 / (1e6 / NEUTRAL_CCT + mired)


FRAMES = {"astronaut": data.astronaut, "coffee": data.coffee, "chelsea": data.chelsea, "rocket": data.rocket,
          "immunohistochemistry": data.immunohistochemistry}
FIT_CASES = {  # (content, pixel pairs, drift, noise σ, share of misregistered pairs)
    "chart, warmer and brighter": ("chart", 6000, Drift(white_balance_k=mired_k(40), exposure_stops=0.5), 0.005, 0.0),
    "astronaut +1 stop, -60 mired": ("astronaut", 8000, Drift(white_balance_k=mired_k(-60), exposure_stops=1.0), 0.01, 0.0),
    "coffee -1 stop, +60 mired, saturation x0.6": ("coffee", 6000,
                                                    Drift(white_balance_k=mired_k(60), exposure_stops=-1.0,
                                                          saturation=0.6), 0.01, 0.0),
    "chelsea saturation x1.5, contrast, lift": ("chelsea", 5000, Drift(saturation=1.5, contrast=1.2, lift=0.04), 0.005, 0.0),
    "rocket low contrast, a display gamma": ("rocket", 5000, Drift(contrast=0.85, gamma=1.2, lift=-0.02), 0.01, 0.0),
    "astronaut clipped highlights": ("astronaut", 6000, Drift(exposure_stops=1.0, contrast=1.25), 0.02, 0.0),
    "immunohistochemistry misregistered": ("immunohistochemistry", 5000,
                                           Drift(white_balance_k=mired_k(30), saturation=1.3), 0.01, 0.2),
    "coffee everything at once, noisy": ("coffee", 6000,
                                         Drift(white_balance_k=mired_k(-45), exposure_stops=0.7, contrast=1.1,
                                               lift=0.03, saturation=0.8), 0.02, 0.1),
}


def pixel_pairs(content: str, count: int, drift: Drift, noise: float, misregistered: float, seed: int):
    """(pa, pb) float32: ``count`` pixels of a photograph (or a random chart) and the same pixels
    drifted by apply_drift (clipped to [0, 1]), noisy, a share of them paired with other pixels."""
    rng = np.random.default_rng(seed)
    if content == "chart":
        pa = rng.uniform(0, 1, (count, 3)).astype(np.float32)
    else:
        frame = FRAMES[content]()[..., :3].reshape(-1, 3).astype(np.float32) / 255
        pa = frame[rng.choice(len(frame), count, replace=False)]
    pb = apply_drift(pa, drift) + rng.normal(0, noise, pa.shape).astype(np.float32)
    moved = np.flatnonzero(rng.random(count) < misregistered)
    pb[moved] = pb[rng.permutation(moved)]
    return pa, np.clip(pb, 0, 1)


@pytest.mark.parametrize("name", FIT_CASES)
def test_fit_agrees_with_the_two_point_fit(name):
    pa, pb = pixel_pairs(*FIT_CASES[name], seed=len(name))
    x, covariance = fit_drift_parameters(pa, pb)
    old_x, old_covariance = two_point_fit(pa, pb)
    best = converged_fit(pa, pb)
    # the exact steps land at least as close to the minimum as the differenced ones ...
    assert np.abs(x - best).max() <= np.abs(old_x - best).max() + 1e-5
    # ... and where the 2-point fit found it (to 1e-4), they agree within 1e-4, their errors too
    if np.abs(old_x - best).max() <= 1e-4:
        assert np.abs(x - old_x).max() <= 1e-4
        np.testing.assert_allclose(np.sqrt(np.diag(covariance)), np.sqrt(np.diag(old_covariance)), rtol=0.05)
