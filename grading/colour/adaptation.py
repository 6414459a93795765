"""Chromatic adaptation in CAT02 cone space: the one definition of white balance (no I/O).

A white balance is a von Kries transform: per-channel gains of the CAT02 "sharpened cone"
responses LMS (CIE 159:2004), applied to linear Rec.709 RGB as
``LMS_TO_RGB @ diag(gains) @ RGB_TO_LMS``. In this space a change of illuminant is (nearly) a
gain per channel, so estimates made in it move exactly with a drift. The matrices come from
colour-science (``colour.adaptation.CAT_CAT02``, ``RGB_COLOURSPACE_BT709``); CCT from chromaticity
by Ohno (2013), the CIE daylight locus from CCT by CIE 015:2018.

References: CIE 159:2004, "A colour appearance model for colour management systems: CIECAM02";
Ohno, Y. (2014), "Practical use and calculation of CCT and Duv", LEUKOS 10(1); CIE 015:2018,
"Colorimetry", 4th edition (daylight locus).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import colour
import numpy as np

_BT709 = colour.models.RGB_COLOURSPACE_BT709
#: CIE 1931 xy of D65, the Rec.709 white.
D65_XY = np.asarray(_BT709.whitepoint, dtype=np.float64)
#: Correlated colour temperature (K) of D65: the neutral white balance.
NEUTRAL_CCT = 6504.0
#: Linear Rec.709 RGB → CAT02 LMS, (3, 3) float64.
RGB_TO_LMS = colour.adaptation.CAT_CAT02 @ _BT709.matrix_RGB_to_XYZ
#: CAT02 LMS → linear Rec.709 RGB.
LMS_TO_RGB = np.linalg.inv(RGB_TO_LMS)
#: CAT02 LMS → CIE XYZ.
LMS_TO_XYZ = np.linalg.inv(colour.adaptation.CAT_CAT02)


def lms_of_xy(xy: Sequence[float]) -> np.ndarray:
    """CAT02 LMS (3,), float64, of the CIE 1931 chromaticity ``xy`` (2,) at luminance Y = 1.

    >>> lms_of_xy(D65_XY).round(4)
    array([ 0.9492,  1.0354,  1.0874])
    """
    return colour.adaptation.CAT_CAT02 @ colour.xy_to_XYZ(np.asarray(xy, dtype=np.float64))


#: CAT02 LMS of D65 at luminance 1: the white a balanced Rec.709 shot's neutrals show.
WHITE_LMS = lms_of_xy(D65_XY)


def luminance_of_lms(lms: np.ndarray) -> float:
    """Luminance Y of CAT02 LMS (3,).

    >>> round(luminance_of_lms(WHITE_LMS), 6)
    1.0
    """
    return float(LMS_TO_XYZ[1] @ np.asarray(lms, dtype=np.float64))


def xy_of_lms(lms: np.ndarray) -> np.ndarray:
    """CIE 1931 xy (..., 2), float64, of CAT02 LMS (..., 3).

    >>> xy_of_lms(WHITE_LMS).round(4)
    array([ 0.3127,  0.329 ])
    """
    return colour.XYZ_to_xy(np.asarray(lms, dtype=np.float64) @ LMS_TO_XYZ.T)


def mired_of_lms(lms: np.ndarray) -> float | np.ndarray:
    """Reciprocal colour temperature (mired = 10⁶ / CCT in K, :func:`cct_of_uv`: Ohno 2013) of
    the colour whose CAT02 response is ``lms``: (3,) → a float, (..., 3) → an array (...,), each
    the same number as for that colour alone.

    >>> round(mired_of_lms(WHITE_LMS), 1)
    153.7
    >>> mired_of_lms(np.stack([WHITE_LMS, WHITE_LMS * [1.1, 1.0, 0.9]])).round(1)
    array([ 153.7,  192.6])
    """
    lms = np.asarray(lms, dtype=np.float64)
    if lms.ndim == 1:
        return 1e6 / float(cct_of_uv(colour.xy_to_UCS_uv(xy_of_lms(lms))))
    # XYZ row by row: one product of (3,) by (3, 3) rounds as for a colour alone, a stacked one
    # may not
    xyz = np.array([row @ LMS_TO_XYZ.T for row in lms.reshape(-1, 3)]).reshape(lms.shape)
    return 1e6 / cct_of_uv(colour.xy_to_UCS_uv(colour.XYZ_to_xy(xyz)))


@functools.lru_cache(maxsize=1)
def _planckian_table():
    """colour-science's Planckian table for Ohno (2013) at its defaults (CIE 1931 2° observer,
    1000–100000 K, spacing 1.001): (M, 3) float64 rows of (T K, u, v), and a k-d tree of its uv
    (SciPy's ``cKDTree``)."""
    from colour.colorimetry import handle_spectral_arguments
    from colour.temperature import ohno2013
    from scipy.spatial import cKDTree

    cmfs, _ = handle_spectral_arguments(None)
    table = ohno2013.planckian_table(cmfs, ohno2013.CCT_MINIMAL_OHNO2013,
                                     ohno2013.CCT_MAXIMAL_OHNO2013,
                                     ohno2013.CCT_DEFAULT_SPACING_OHNO2013)
    table.setflags(write=False)
    return table, cKDTree(table[:, 1:])


#: Table entries nearest each point by the k-d tree among which the exact distance decides.
_CANDIDATES = 8


def _nearest(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For uv ``points`` (N, 2): the index of the nearest entry of the Planckian table (N,) —
    by colour-science's distance (``np.linalg.norm`` of the difference), the first where several
    are as near — kept off the table's ends, and the distances (N, 3) to it and its two
    neighbours. The k-d tree names the :data:`_CANDIDATES` nearest (its distances may differ
    from the norm's in the last digit) and the norm decides among them; a point whose farthest
    candidate is within 1e-12 of its nearest is searched over the whole table."""
    table, tree = _planckian_table()
    uv = table[:, 1:]
    rows = np.arange(len(points))
    near, candidates = tree.query(points, k=_CANDIDATES)
    candidates = np.sort(candidates, axis=1)
    exact = np.linalg.norm(uv[candidates] - points[:, None, :], axis=-1)
    index = candidates[rows, np.argmin(exact, axis=1)]  # increasing: the first nearest
    for k in np.flatnonzero(~(near[:, -1] > np.min(exact, axis=1) + 1e-12)):
        index[k] = np.argmin(np.linalg.norm(uv - points[k], axis=-1))
    index = np.clip(index, 1, len(table) - 2)
    around = index[:, None] + np.arange(-1, 2)
    return index, np.linalg.norm(uv[around] - points[:, None, :], axis=-1)


def cct_of_uv(uv) -> float | np.ndarray:
    """Correlated colour temperature (K) of CIE 1960 UCS ``uv`` (2,) → a float, (..., 2) → an
    array (...,), by Ohno (2013; Ohno 2014, LEUKOS 10(1)): the nearest entry of
    colour-science's Planckian table, then the triangular solution on it and its neighbours,
    or the parabolic one where |Duv| ≥ 0.002 — ``colour.temperature.uv_to_CCT_Ohno2013`` at
    its defaults, the same arithmetic and the same numbers, for many points at once (it loops
    over points in Python, ~1 ms each). A point nearest a table end is solved on the first or
    last three entries (where colour-science warns).

    >>> uv = np.array([[0.1978, 0.3122], [0.2350, 0.3200], [0.1800, 0.2700]])
    >>> expected = [colour.temperature.uv_to_CCT_Ohno2013(p)[0] for p in uv]
    >>> cct_of_uv(uv).round(2), bool(np.all(cct_of_uv(uv) == expected))
    (array([  6507.47,   4001.07,  41511.5 ]), True)
    >>> cct_of_uv(uv[0]) == expected[0]
    True
    """
    uv = np.asarray(uv, dtype=np.float64)
    points = uv.reshape(-1, 2)
    table = _planckian_table()[0]
    solved = []
    for start in range(0, len(points), 4096):  # bounded memory for any number of points
        index, near = _nearest(points[start:start + 4096])
        dip, di, din = near.T
        (Tip, uip, vip), (Ti, _, _), (Tin, uin, vin) = (table[index + k].T for k in (-1, 0, 1))
        # colour-science's triangular and parabolic solutions, term for term
        l = np.hypot(uin - uip, vin - vip)  # noqa: E741
        x = (dip**2 - din**2 + l**2) / (2 * l)
        T_t = Tip + (Tin - Tip) * (x / l)
        with np.errstate(invalid="ignore"):  # NaN where x passes dip: the triangle's then, as there
            D_uv_t = (dip**2 - x**2) ** (1 / 2)
        X = (Tin - Ti) * (Tip - Tin) * (Ti - Tip)
        a = (Tip * (din - di) + Ti * (dip - din) + Tin * (di - dip)) * X**-1
        b = -(Tip**2 * (din - di) + Ti**2 * (dip - din) + Tin**2 * (di - dip)) * X**-1
        T_p = -b / (2 * a)
        solved.append(np.where(np.abs(D_uv_t) >= 0.002, T_p, T_t))
    cct = (np.concatenate(solved) if solved else np.zeros(0)).reshape(uv.shape[:-1])
    return float(cct) if cct.ndim == 0 else cct


def von_kries_matrix(gains: Sequence[float]) -> np.ndarray:
    """(3, 3) float64 matrix on linear Rec.709 RGB that multiplies the CAT02 responses by
    ``gains`` (3,): ``LMS_TO_RGB @ diag(gains) @ RGB_TO_LMS`` (von Kries; CIE 159:2004).

    >>> bool(np.allclose(von_kries_matrix([1.0, 1.0, 1.0]), np.eye(3)))
    True
    """
    return LMS_TO_RGB @ np.diag(np.asarray(gains, dtype=np.float64)) @ RGB_TO_LMS


@functools.lru_cache(maxsize=64)
def white_balance_matrix(cct: float) -> np.ndarray:
    """(3, 3) float32 matrix on linear Rec.709 RGB that moves D65 (the Rec.709 white) to CIE
    daylight at ``cct`` K by the von Kries transform in CAT02 cone space (colour-science's
    ``matrix_chromatic_adaptation_VonKries``), keeping the white's luminance Y = 1.

    ``cct`` should lie on the CIE daylight locus's domain, 4000-25000 K (CIE 015:2018); outside
    it colour-science only warns (``ColourUsageWarning``) and extrapolates. The daylight at
    :data:`NEUTRAL_CCT` is D65 only to about 1e-3, so this is not exactly the identity there.
    The matrix is cached: do not modify it in place.

    >>> (white_balance_matrix(4000.0) @ np.ones(3, np.float32)).round(3)  # D65 white, warmed
    array([ 1.388,  0.936,  0.496], dtype=float32)
    """
    source = colour.xy_to_XYZ(D65_XY)
    target = colour.xy_to_XYZ(colour.temperature.CCT_to_xy_CIE_D(cct))
    cat = colour.adaptation.matrix_chromatic_adaptation_VonKries(source, target, transform="CAT02")
    matrix = (_BT709.matrix_XYZ_to_RGB @ cat @ _BT709.matrix_RGB_to_XYZ).astype(np.float32)
    matrix.setflags(write=False)  # cached and shared: nobody may change it in place
    return matrix
