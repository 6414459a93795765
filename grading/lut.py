"""LUTs: bake a grade into a 3D, 1D or shaper+3D LUT, read and write .cube, apply LUTs to frames fast.

LUT objects are colour-science's: :class:`colour.LUT3D`, :class:`colour.LUT3x1D` and a
:class:`colour.LUTSequence` of a ``LUT3x1D`` shaper then a ``LUT3D`` (the .cube "1D+3D" layout).
A LUT maps values in the encoding it was built for; cinegrade's looks and grades are built for
display-referred Rec.709 in [0, 1] (what an NLE's .cube expects), see DESIGN.md.

.cube reference: Adobe, "Cube LUT Specification" 1.0 (2013) for the Iridas flavour (``LUT_1D_SIZE``
or ``LUT_3D_SIZE``, ``DOMAIN_MIN``/``DOMAIN_MAX``, red varying fastest), and Blackmagic Design's
DaVinci Resolve flavour (``LUT_1D_INPUT_RANGE``/``LUT_3D_INPUT_RANGE``, a 1D shaper and a 3D cube in
one file). OpenColorIO's Resolve reader rejects a ``TITLE`` line, so 1D+3D files are written
without one (the title goes into a comment).

Reading is our own strict parser, because colour-science's readers give no line numbers and accept
wrong row counts; it returns colour-science's LUT classes. Single 1D or 3D LUTs are written with
colour-science's :func:`colour.io.write_LUT_IridasCube`; 1D+3D files with our writer (colour's
Resolve writer adds the ``TITLE`` line OpenColorIO rejects).

Applying a 3D LUT is tetrahedral interpolation (Kirk, R., "Truelight Software Library 2.0",
FilmLight 2006, as cited by colour-science), the same values as
:func:`colour.algebra.table_interpolation_tetrahedral` (input clamped to the LUT's domain),
computed by OpenColorIO's CPU processor at > 100 MP/s for 1080p float32 frames on one core.
"""

from __future__ import annotations

import math
import os
import weakref
from collections.abc import Callable
from pathlib import Path

import numpy as np
from colour import LUT1D, LUT3D, LUT3x1D, LUTSequence
from colour.io import write_LUT_IridasCube
from colour.models import log_encoding_Log2
from colour.utilities import format_array_as_row

from cinegrade.grading.atomic_write import atomic_path
from cinegrade.grading.errors import InputError

Grade = Callable[[np.ndarray], np.ndarray]
AnyLUT = LUT3D | LUT3x1D | LUTSequence

DECIMALS = 6  # six decimals: what Resolve writes; 5e-7 is far below a 16-bit code value
MAX_3D_SIZE = 256
MAX_1D_SIZE = 65536

# --------------------------------------------------------------------------------------------
# Baking


def bake_lut3d(grade: Grade, size: int = 33, name: str = "cinegrade",
               domain: tuple[float, float] = (0.0, 1.0)) -> LUT3D:
    """Sample ``grade`` (an RGB -> RGB function on float64 arrays, RGB in the last axis) on a
    ``size``³ lattice spanning ``domain`` on every axis: 33 or 65 for interchange."""
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

    Raises ValueError when ``grade`` mixes channels: such a grade needs a 3D LUT.
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
    ``middle_grey``) sampled over [grey·2^min, grey·2^max], mapping that range to [0, 1]."""
    low, high = middle_grey * 2.0 ** min_exposure, middle_grey * 2.0 ** max_exposure
    bounds = np.array([[low] * 3, [high] * 3])
    table = log_encoding_Log2(LUT3x1D.linear_table(size, bounds), middle_grey, min_exposure,
                              max_exposure)
    return LUT3x1D(table, "Log2 shaper", bounds)


def bake_shaper_lut3d(grade: Grade, shaper: LUT3x1D, size: int = 33,
                      name: str = "cinegrade") -> LUTSequence:
    """Bake ``grade`` behind ``shaper`` (increasing curves into [0, 1], e.g. :func:`log2_shaper`):
    the cube's lattice point v holds grade(shaper⁻¹(v)), so inputs over the shaper's whole domain
    (scene-linear, HDR) get the cube's resolution where the shaper puts it."""
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
    order. Returns float32 for float32 input, else float64.
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
    is cached on the LUT object (see :func:`_processor`). Sizes above OpenColorIO's 129 fall back
    to colour-science (slow, exact). Returns float32 for float32 input, else float64.
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


# --------------------------------------------------------------------------------------------
# .cube reading


def read_cube(path: str | os.PathLike) -> AnyLUT:
    """Read an Iridas or Resolve .cube file (1D, 3D or 1D shaper + 3D).

    Anything malformed (unknown keyword, wrong number of values on a row, a row count that does
    not match the size, non-finite numbers, an empty domain) raises InputError with file and line.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(f"not a text .cube file ({error.reason} at byte {error.start})", path) from None
    header: dict[str, tuple[int, list[str]]] = {}
    rows: list[tuple[float, float, float]] = []
    row_lines: list[int] = []
    title: str | None = None
    comments: list[str] = []
    known = {"LUT_1D_SIZE", "LUT_3D_SIZE", "DOMAIN_MIN", "DOMAIN_MAX", "LUT_1D_INPUT_RANGE",
             "LUT_3D_INPUT_RANGE"}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            comments.append(line[1:].strip())
            continue
        keyword = line.split(None, 1)[0]
        if keyword == "TITLE":
            if rows:
                raise InputError("TITLE after the table", path, number)
            title = line[len("TITLE"):].strip().strip('"')
            continue
        if keyword.upper() in known:
            if rows:
                raise InputError(f"{keyword} after the table", path, number)
            if keyword.upper() in header:
                raise InputError(f"{keyword} given twice", path, number)
            header[keyword.upper()] = (number, line.split()[1:])
            continue
        tokens = line.split()
        try:
            values = tuple(float(t) for t in tokens)
        except ValueError:
            if keyword.isidentifier() and keyword.upper() == keyword:
                raise InputError(f"unsupported keyword {keyword}", path, number) from None
            raise InputError(f"{line[:40]!r} is neither a keyword nor three numbers", path, number) from None
        if len(values) != 3:
            raise InputError(f"a table row needs 3 numbers, has {len(values)}", path, number)
        if not all(math.isfinite(v) for v in values):
            raise InputError("non-finite number in the table", path, number)
        rows.append(values)  # type: ignore[arg-type]
        row_lines.append(number)

    size_1d = _size(header, "LUT_1D_SIZE", MAX_1D_SIZE, path)
    size_3d = _size(header, "LUT_3D_SIZE", MAX_3D_SIZE, path)
    if size_1d is None and size_3d is None:
        raise InputError("no LUT_1D_SIZE or LUT_3D_SIZE: not a .cube LUT", path)
    expected = (size_1d or 0) + (size_3d or 0) ** 3
    if len(rows) != expected:
        where = row_lines[expected] if len(rows) > expected else (row_lines[-1] if row_lines else None)
        raise InputError(f"the table has {len(rows)} rows, the sizes need {expected}", path, where)
    table = np.array(rows, dtype=np.float64).reshape(-1, 3)
    name = title or path.stem

    if size_1d is not None and size_3d is not None:
        for keyword in ("DOMAIN_MIN", "DOMAIN_MAX"):
            if keyword in header:
                raise InputError(f"{keyword} is ambiguous in a 1D+3D file; use LUT_1D_INPUT_RANGE "
                                 "and LUT_3D_INPUT_RANGE", path, header[keyword][0])
        shaper = LUT3x1D(table[:size_1d], f"{name} - Shaper",
                         _range(header, "LUT_1D_INPUT_RANGE", path))
        cube = LUT3D(_cube_table(table[size_1d:], size_3d), f"{name} - Cube",
                     _range(header, "LUT_3D_INPUT_RANGE", path), comments=comments)
        return LUTSequence(shaper, cube)
    dimension = "1D" if size_1d is not None else "3D"
    domain = _domain(header, dimension, path)
    if size_1d is not None:
        return LUT3x1D(table, name, domain, comments=comments)
    return LUT3D(_cube_table(table, size_3d), name, domain, comments=comments)  # type: ignore[arg-type]


def _cube_table(rows: np.ndarray, size: int) -> np.ndarray:
    """Rows with red varying fastest -> table[r, g, b]."""
    return np.reshape(rows, (size, size, size, 3), order="F")


def _size(header: dict, keyword: str, largest: int, path: Path) -> int | None:
    if keyword not in header:
        return None
    number, tokens = header[keyword]
    if len(tokens) != 1 or not tokens[0].isdigit() or not 2 <= int(tokens[0]) <= largest:
        raise InputError(f"{keyword} must be one integer in 2..{largest}", path, number)
    return int(tokens[0])


def _numbers(header: dict, keyword: str, count: int, path: Path) -> tuple[int, list[float]]:
    number, tokens = header[keyword]
    try:
        values = [float(t) for t in tokens]
    except ValueError:
        values = []
    if len(values) != count or not all(math.isfinite(v) for v in values):
        raise InputError(f"{keyword} needs {count} finite numbers", path, number)
    return number, values


def _range(header: dict, keyword: str, path: Path) -> np.ndarray | None:
    if keyword not in header:
        return None
    number, (low, high) = _numbers(header, keyword, 2, path)
    if not low < high:
        raise InputError(f"{keyword} {low:g} {high:g} is empty", path, number)
    return np.array([[low] * 3, [high] * 3])


def _domain(header: dict, dimension: str, path: Path) -> np.ndarray | None:
    """DOMAIN_MIN/MAX (Iridas, per channel) or LUT_xD_INPUT_RANGE (Resolve, one pair)."""
    resolve = _range(header, f"LUT_{dimension}_INPUT_RANGE", path)
    other = "3D" if dimension == "1D" else "1D"
    if f"LUT_{other}_INPUT_RANGE" in header:
        raise InputError(f"LUT_{other}_INPUT_RANGE in a {dimension} LUT", path,
                         header[f"LUT_{other}_INPUT_RANGE"][0])
    if "DOMAIN_MIN" not in header and "DOMAIN_MAX" not in header:
        return resolve
    if resolve is not None:
        raise InputError("both DOMAIN_MIN/MAX and an INPUT_RANGE", path, header["DOMAIN_MIN"][0]
                         if "DOMAIN_MIN" in header else header["DOMAIN_MAX"][0])
    low = _numbers(header, "DOMAIN_MIN", 3, path)[1] if "DOMAIN_MIN" in header else [0.0] * 3
    number, high = _numbers(header, "DOMAIN_MAX", 3, path) if "DOMAIN_MAX" in header \
        else (header["DOMAIN_MIN"][0], [1.0] * 3)
    if not all(a < b for a, b in zip(low, high)):
        raise InputError(f"empty domain: DOMAIN_MIN {low} DOMAIN_MAX {high}", path, number)
    return np.array([low, high])


# --------------------------------------------------------------------------------------------
# .cube writing


def write_cube(lut: AnyLUT | LUT1D, path: str | os.PathLike, comments: tuple[str, ...] = ()) -> Path:
    """Write ``lut`` as a .cube that OpenColorIO and DaVinci Resolve read, atomically.

    LUT3D or LUT3x1D: Iridas flavour through colour-science (``TITLE`` = the LUT's name,
    ``DOMAIN_MIN``/``DOMAIN_MAX`` when not [0, 1]). LUTSequence(LUT3x1D, LUT3D): Resolve 1D+3D
    flavour, no ``TITLE`` (OpenColorIO rejects it there), the name as the first comment. Output
    is a pure function of the LUT (no dates, no versions), so regenerating gives the same bytes.
    """
    path = Path(path)
    if isinstance(lut, LUT1D):
        lut = lut.convert(LUT3x1D)
    if isinstance(lut, LUTSequence):
        text = _resolve_1d3d_text(lut, comments)
    elif isinstance(lut, (LUT3D, LUT3x1D)):
        if lut.is_domain_explicit():
            raise InputError(".cube cannot hold a LUT with an explicit (non-uniform) domain")
        single = lut.copy()
        single.name = single.name.replace('"', "'")
        single.comments = [*comments, *single.comments]
    else:
        raise TypeError(f"cannot write a {type(lut).__name__} as .cube")
    with atomic_path(path) as temporary:
        if isinstance(lut, LUTSequence):
            temporary.write_text(text, encoding="utf-8", newline="\n")
        else:
            write_LUT_IridasCube(single, str(temporary), decimals=DECIMALS)
    return path


def _resolve_1d3d_text(sequence: LUTSequence, comments: tuple[str, ...]) -> str:
    if len(sequence) != 2 or not isinstance(sequence[0], (LUT1D, LUT3x1D)) \
            or not isinstance(sequence[1], LUT3D):
        raise TypeError("a .cube sequence must be a 1D shaper followed by a 3D LUT")
    shaper, cube = sequence[0], sequence[1]
    if isinstance(shaper, LUT1D):
        shaper = shaper.convert(LUT3x1D)
    lines = [f"# {line}" for line in (cube.name, *comments, *shaper.comments, *cube.comments)]
    lines.append(f"LUT_1D_SIZE {len(shaper.table)}")
    lines.append(f"LUT_1D_INPUT_RANGE {_uniform_range(shaper, 'shaper')}")
    lines.append(f"LUT_3D_SIZE {cube.size}")
    lines.append(f"LUT_3D_INPUT_RANGE {_uniform_range(cube, 'cube')}")
    rows = np.concatenate([np.asarray(shaper.table), np.reshape(cube.table, (-1, 3), order="F")])
    lines.extend(format_array_as_row(row, DECIMALS) for row in rows)
    return "\n".join(lines) + "\n"


def _uniform_range(lut: LUT3D | LUT3x1D, what: str) -> str:
    domain = np.asarray(lut.domain, dtype=np.float64)
    if lut.is_domain_explicit() or np.ptp(domain[0]) or np.ptp(domain[1]):
        raise InputError(f"a Resolve 1D+3D .cube needs the same input range on every channel of the {what}")
    return format_array_as_row(domain[:, 0], DECIMALS)
