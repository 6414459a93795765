"""LUTs: bake a grade into a 3D, 1D or shaper+3D LUT and apply LUTs to frames fast (no file I/O;
.cube files: :mod:`cinegrade.media.cube`).

LUT objects are colour-science's: :class:`colour.LUT3D`, :class:`colour.LUT3x1D` and a
:class:`colour.LUTSequence` of a ``LUT3x1D`` shaper then a ``LUT3D`` (the .cube "1D+3D" layout).
A LUT maps values in the encoding it was built for; cinegrade's looks and grades are built for
display-referred Rec.709 in [0, 1] (what an NLE's .cube expects), see DESIGN.md.

Applying a 3D LUT is tetrahedral interpolation (Kirk, R., "Truelight Software Library 2.0",
FilmLight 2006, as cited by colour-science), the same values as
:func:`colour.algebra.table_interpolation_tetrahedral` (input clamped to the LUT's domain),
computed by OpenColorIO's CPU processor at > 100 MP/s for 1080p float32 frames on one core.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import numpy as np
from colour import LUT1D, LUT3D, LUT3x1D, LUTSequence
from colour.models import log_encoding_Log2

from cinegrade.errors import InputError

Grade = Callable[[np.ndarray], np.ndarray]
AnyLUT = LUT3D | LUT3x1D | LUTSequence

MAX_3D_SIZE = 256
MAX_1D_SIZE = 65536

# --------------------------------------------------------------------------------------------
# Baking


def bake_lut3d(grade: Grade, size: int = 33, name: str = "cinegrade",
               domain: tuple[float, float] = (0.0, 1.0)) -> LUT3D:
    """Sample ``grade`` (an RGB -> RGB function on float64 arrays, RGB in the last axis) on a
    ``size``³ lattice spanning ``domain`` on every axis: 33 or 65 for interchange. The table is
    (size, size, size, 3) float64, indexed [r, g, b].

    :class:`InputError` for a size outside 2..:data:`MAX_3D_SIZE`; ``ValueError`` when the grade
    changes the shape or returns non-finite values.

    >>> lut = bake_lut3d(lambda rgb: rgb ** 2, size=3)
    >>> lut.table.shape
    (3, 3, 3, 3)
    >>> lut.table[2, 1, 0]  # at R' 1, G' 0.5, B' 0
    array([ 1.  ,  0.25,  0.  ])
    """
    if not 2 <= size <= MAX_3D_SIZE:
        raise InputError(f"3D LUT size {size} is outside 2..{MAX_3D_SIZE}")
    bounds = np.array([[domain[0]] * 3, [domain[1]] * 3], dtype=np.float64)
    lattice = LUT3D.linear_table(size, bounds)
    table = _graded(grade, lattice)
    return LUT3D(table, name, bounds if domain != (0.0, 1.0) else None)


def bake_lut3x1d(grade: Grade, size: int = 4096, name: str = "cinegrade",
                 domain: tuple[float, float] = (0.0, 1.0)) -> LUT3x1D:
    """Sample a channel-independent ``grade`` (each output channel depends on its own input
    channel only, e.g. a CDL without saturation, a tone curve) into three 1D curves.

    The table is (size, 3) float64. :class:`InputError` for a size outside
    2..:data:`MAX_1D_SIZE`; ``ValueError`` when ``grade`` mixes channels (such a grade needs a
    3D LUT), changes the shape or returns non-finite values.

    >>> bake_lut3x1d(lambda rgb: rgb * 0.5, size=5).table[:, 0]
    array([ 0.   ,  0.125,  0.25 ,  0.375,  0.5  ])
    >>> bake_lut3x1d(lambda rgb: rgb[..., ::-1], size=5)
    Traceback (most recent call last):
    ...
    ValueError: the grade mixes channels (e.g. saturation); bake a 3D LUT instead
    """
    if not 2 <= size <= MAX_1D_SIZE:
        raise InputError(f"1D LUT size {size} is outside 2..{MAX_1D_SIZE}")
    bounds = np.array([[domain[0]] * 3, [domain[1]] * 3], dtype=np.float64)
    ramp = LUT3x1D.linear_table(size, bounds)
    table = _graded(grade, ramp)
    probe = np.random.default_rng(0).uniform(domain[0], domain[1], (64, 3))
    per_channel = np.stack([_graded(grade, np.repeat(probe[:, c:c + 1], 3, axis=1))[:, c] for c in range(3)], -1)
    if not np.allclose(_graded(grade, probe), per_channel, rtol=1e-9, atol=1e-9):
        raise ValueError("the grade mixes channels (e.g. saturation); bake a 3D LUT instead")
    return LUT3x1D(table, name, bounds if domain != (0.0, 1.0) else None)


def log2_shaper(min_exposure: float = -6.5, max_exposure: float = 6.5, middle_grey: float = 0.18,
                size: int = 4096) -> LUT3x1D:
    """A 1D shaper for scene-linear input: colour-science's Log2 encoding (stops around
    ``middle_grey``) sampled over [grey·2^min, grey·2^max], mapping that range to [0, 1]; middle
    grey lands on -min / (max - min), 0.5 by default. No checks on the arguments.

    >>> shaper = log2_shaper()
    >>> apply_lut(np.array([0.18 * 2 ** -6.5, 0.18 * 2 ** 6.5, 0.18]), shaper).round(4)
    array([ 0. ,  1. ,  0.5])
    """
    low, high = middle_grey * 2.0 ** min_exposure, middle_grey * 2.0 ** max_exposure
    bounds = np.array([[low] * 3, [high] * 3])
    table = log_encoding_Log2(LUT3x1D.linear_table(size, bounds), middle_grey, min_exposure,
                              max_exposure)
    return LUT3x1D(table, "Log2 shaper", bounds)


def bake_shaper_lut3d(grade: Grade, shaper: LUT3x1D, size: int = 33,
                      name: str = "cinegrade") -> LUTSequence:
    """Bake ``grade`` behind ``shaper`` (increasing curves into [0, 1], e.g. :func:`log2_shaper`):
    the cube's lattice point v holds grade(shaper⁻¹(v)), so inputs over the shaper's whole domain
    (scene-linear, HDR) get the cube's resolution where the shaper puts it. ``ValueError`` when
    the shaper is not strictly increasing on every channel, or as :func:`bake_lut3d` for the
    grade.

    >>> halve = bake_shaper_lut3d(lambda rgb: rgb * 0.5, log2_shaper(), size=17)
    >>> apply_lut(np.array([0.18, 0.18, 0.18]), halve).round(4)  # grey sits on a lattice point
    array([ 0.09,  0.09,  0.09])
    """
    table = np.asarray(shaper.table, dtype=np.float64)
    grid = LUT3x1D.linear_table(len(table), shaper.domain)
    if np.any(np.diff(table, axis=0) <= 0):
        raise ValueError("the shaper must be strictly increasing on every channel")
    lattice = LUT3D.linear_table(size)
    inputs = np.stack([np.interp(lattice[..., c], table[:, c], grid[:, c]) for c in range(3)], -1)
    return LUTSequence(shaper, LUT3D(_graded(grade, inputs), name))


def _graded(grade: Grade, rgb: np.ndarray) -> np.ndarray:
    out = np.asarray(grade(rgb), dtype=np.float64)
    if out.shape != rgb.shape:
        raise ValueError(f"the grade returned shape {out.shape} for input shape {rgb.shape}")
    if not np.all(np.isfinite(out)):
        raise ValueError("the grade returned non-finite values")
    return out


# --------------------------------------------------------------------------------------------
# Applying


def apply_lut(rgb: np.ndarray, lut: AnyLUT | LUT1D) -> np.ndarray:
    """Apply ``lut`` to ``rgb`` (float, RGB in the last axis, in the encoding the LUT was built
    for: display-referred Rec.709 for cinegrade's looks and grades).

    3D: tetrahedral, input clamped to the domain (as colour-science and OpenColorIO do). 1D:
    linear, input clamped to the domain (as OpenColorIO does). A sequence applies its LUTs in
    order. Returns the shape of ``rgb``, float32 for float32 input, else float64. ``ValueError``
    when the last axis is not 3, ``TypeError`` for another kind of LUT.

    >>> invert = bake_lut3d(lambda rgb: 1.0 - rgb, size=2)
    >>> apply_lut(np.array([0.25, 0.5, 0.75]), invert).round(6)
    array([ 0.75,  0.5 ,  0.25])
    """
    rgb = np.asarray(rgb)
    if rgb.shape[-1:] != (3,):
        raise ValueError(f"apply_lut needs RGB in the last axis, got shape {rgb.shape}")
    if rgb.dtype not in (np.float32, np.float64):
        rgb = rgb.astype(np.float64)
    if isinstance(lut, LUTSequence):
        for step in lut:
            rgb = apply_lut(rgb, step)
        return rgb
    if isinstance(lut, LUT3D):
        return apply_lut3d(rgb, lut)
    if isinstance(lut, LUT1D):
        lut = lut.convert(LUT3x1D)
    if isinstance(lut, LUT3x1D):
        return _apply_lut3x1d(rgb, lut)
    raise TypeError(f"cannot apply a {type(lut).__name__}")


def apply_lut3d(rgb: np.ndarray, lut: LUT3D) -> np.ndarray:
    """Tetrahedral interpolation of ``lut`` at ``rgb`` (float, RGB in the last axis; encoding:
    whatever the LUT expects), input clamped to the LUT's domain, NaN taken as the domain minimum.

    Equal to ``lut.apply(rgb, interpolator=colour.algebra.table_interpolation_tetrahedral)``
    within 1e-6 (float32 arithmetic). The engine is OpenColorIO's CPU processor (a
    ``Lut3DTransform`` behind a ``MatrixTransform`` for the domain) on one core: 110-200 MP/s
    for 1080p float32 with a 33³ LUT on this (shared, noisy) machine, about twice per core what a
    numba-compiled parallel tetrahedral kernel reached (~85 MP/s per thread), with no JIT and
    no threads to oversubscribe in a process pool (``benchmarks/lut_apply.py``). The processor
    is cached per LUT object (see :func:`_processor`). Sizes above OpenColorIO's 129 fall back
    to colour-science (slow, exact). Returns the shape of ``rgb``, float32 for float32 input,
    else float64. :class:`InputError` for a LUT with an explicit (non-uniform) domain,
    ``ValueError`` when the last axis is not 3.

    >>> square = bake_lut3d(lambda rgb: rgb ** 2, size=3)  # lattice values 0, 0.25, 1
    >>> apply_lut3d(np.array([[0.25, 0.5, 0.75]], np.float32), square).round(4)
    array([[ 0.125,  0.25 ,  0.625]], dtype=float32)
    >>> apply_lut3d(np.array([0.5, 0.5, 1.5]), square).round(4)  # clamped to the domain
    array([ 0.25,  0.25,  1.  ])
    """
    if lut.is_domain_explicit():
        raise InputError("3D LUTs with an explicit (non-uniform) domain are not supported")
    rgb = np.asarray(rgb)
    if rgb.shape[-1:] != (3,):
        raise ValueError(f"apply_lut3d needs RGB in the last axis, got shape {rgb.shape}")
    out_dtype = np.float32 if rgb.dtype == np.float32 else np.float64
    if lut.size > OCIO_MAX_3D_SIZE:
        from colour.algebra import table_interpolation_tetrahedral

        safe = np.nan_to_num(rgb.astype(np.float64), nan=-np.inf)
        return lut.apply(safe, interpolator=table_interpolation_tetrahedral).astype(out_dtype)
    count = rgb.size // 3
    width = rgb.shape[-2] if rgb.ndim >= 2 and 0 < rgb.shape[-2] <= 8192 else min(count, 2048) or 1
    height = -(-count // width)
    buffer = np.empty((height * width, 3), dtype=np.float32)
    buffer[:count] = rgb.reshape(-1, 3)
    buffer[count:] = 0.0
    if count:
        import PyOpenColorIO as ocio

        _processor(lut).apply(ocio.PackedImageDesc(buffer, width, height, 3))
    return buffer[:count].reshape(rgb.shape).astype(out_dtype, copy=False)


OCIO_MAX_3D_SIZE = 129
_PROCESSORS: dict[int, tuple[np.ndarray, bytes, object]] = {}  # id(LUT) -> table, domain, processor


def _processor(lut: LUT3D):
    """OpenColorIO CPU processor for ``lut``, kept while the LUT object lives, for the next frame.

    Kept beside the LUT, not on it, so LUTs stay picklable for process pools. LUTs are treated as
    values: assigning a new table (``lut.table = ...``) or domain rebuilds the processor, editing
    the table array in place does not.
    """
    import PyOpenColorIO as ocio

    domain = np.asarray(lut.domain, dtype=np.float64)
    cached = _PROCESSORS.get(id(lut))
    if cached is not None and cached[0] is lut.table and cached[1] == domain.tobytes():
        return cached[2]
    table = np.ascontiguousarray(lut.table, dtype=np.float32)
    cube = ocio.Lut3DTransform(gridSize=table.shape[0])
    cube.setData(table.reshape(-1))  # table[r, g, b] row-major: blue varies fastest
    cube.setInterpolation(ocio.INTERP_TETRAHEDRAL)
    low, high = domain
    scale = 1.0 / (high - low)
    matrix = [scale[0], 0, 0, 0, 0, scale[1], 0, 0, 0, 0, scale[2], 0, 0, 0, 0, 1]
    offset = [*(-low * scale), 0.0]
    group = ocio.GroupTransform([ocio.MatrixTransform(matrix=matrix, offset=offset), cube])
    processor = ocio.Config.CreateRaw().getProcessor(group).getOptimizedCPUProcessor(
        ocio.OPTIMIZATION_LOSSLESS)
    if id(lut) not in _PROCESSORS:
        weakref.finalize(lut, _PROCESSORS.pop, id(lut), None)
    _PROCESSORS[id(lut)] = (lut.table, domain.tobytes(), processor)
    return processor


def _apply_lut3x1d(rgb: np.ndarray, lut: LUT3x1D) -> np.ndarray:
    table = np.asarray(lut.table, dtype=np.float64)
    grid = LUT3x1D.linear_table(len(table), lut.domain) if not lut.is_domain_explicit() \
        else np.asarray(lut.domain, dtype=np.float64)
    out = np.empty(rgb.shape, dtype=rgb.dtype)
    for c in range(3):
        out[..., c] = np.interp(rgb[..., c], grid[:, c], table[:, c])
    return out
