""".cube LUT files: read (strict, with line numbers) and write (what OpenColorIO and Resolve read).

.cube reference: Adobe, "Cube LUT Specification" 1.0 (2013) for the Iridas flavour (``LUT_1D_SIZE``
or ``LUT_3D_SIZE``, ``DOMAIN_MIN``/``DOMAIN_MAX``, red varying fastest), and Blackmagic Design's
DaVinci Resolve flavour (``LUT_1D_INPUT_RANGE``/``LUT_3D_INPUT_RANGE``, a 1D shaper and a 3D cube in
one file). OpenColorIO's Resolve reader rejects a ``TITLE`` line, so 1D+3D files are written
without one (the title goes into a comment).

Reading is our own strict parser, because colour-science's readers give no line numbers and accept
wrong row counts; it returns colour-science's LUT classes (:mod:`cinegrade.colour.lut`). Writing
gives the bytes of colour-science's :func:`colour.io.write_LUT_IridasCube` for single 1D or 3D
LUTs (a test holds them equal), formatted in one operation, 20 times faster; 1D+3D files follow
Resolve's layout without the ``TITLE`` line OpenColorIO rejects there. Numbers are plain decimals
at :data:`DECIMALS` places (never an exponent), so what is written reads back as written, here
and in OpenColorIO.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from colour import LUT1D, LUT3D, LUT3x1D, LUTSequence
from colour.utilities import format_array_as_row

from cinegrade.colour.lut import MAX_1D_SIZE, MAX_3D_SIZE, AnyLUT
from cinegrade.errors import InputError
from cinegrade.media.atomic import atomic_path

DECIMALS = 6  # six decimals: what Resolve writes; 5e-7 is far below a 16-bit code value

# .cube reading


def read_cube(path: str | os.PathLike) -> AnyLUT:
    """Read an Iridas or Resolve .cube file (1D, 3D or 1D shaper + 3D) as a
    :class:`colour.LUT3x1D` (table (N, 3)), a :class:`colour.LUT3D` (table (N, N, N, 3) indexed
    [r, g, b]) or a :class:`colour.LUTSequence` of the two; float64, values as written (no
    encoding implied), named by ``TITLE`` or the file's stem.

    Anything malformed (unknown keyword, wrong number of values on a row, a row count that does
    not match the size, non-finite numbers, an empty domain, a size outside 2..65536 (1D) or
    2..256 (3D), text that is not UTF-8) raises InputError with file and line. A file that
    cannot be read raises InputError too.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise InputError(f"cannot read the .cube file ({error.strerror or error})", path) from None
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
    # ASCII digits only: str.isdigit also takes "²", which int() refuses, and int() refuses
    # more than 4300 digits
    if len(tokens) != 1 or not (tokens[0].isascii() and tokens[0].isdigit() and len(tokens[0]) < 20) \
            or not 2 <= int(tokens[0]) <= largest:
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

    LUT3D or LUT3x1D: Iridas flavour as colour-science writes it (``TITLE`` = the LUT's name,
    ``DOMAIN_MIN``/``DOMAIN_MAX`` when not [0, 1]). LUTSequence(LUT3x1D, LUT3D): Resolve 1D+3D
    flavour, no ``TITLE`` (OpenColorIO rejects it there), the name as the first comment. Output
    is a pure function of the LUT (no dates, no versions), so regenerating gives the same bytes.
    Values at :data:`DECIMALS` decimals. :class:`InputError` for a value beyond float32 (3.4e38,
    what readers hold), an explicit (non-uniform) domain or a 1D+3D pair whose channels have
    different input ranges; ``TypeError`` for another kind of LUT or sequence, ``ValueError``
    for NaN or infinity in it.
    Returns ``path``.
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
        single.name = _one_line(single.name).replace('"', "'")
        single.comments = [_one_line(c) for c in (*comments, *single.comments)]
        text = _iridas_text(single)
    else:
        raise TypeError(f"cannot write a {type(lut).__name__} as .cube")
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8", newline="\n")
    return path


def _rows(table: np.ndarray) -> str:
    """Rows of three numbers at :data:`DECIMALS` decimals, one per line: the bytes
    colour-science's ``format_array_as_row`` gives, formatted in one operation (a 33³ LUT in
    ~20 ms instead of ~400)."""
    rows = _float32_range(np.asarray(table).reshape(-1, 3))
    line = f"%.{DECIMALS}f %.{DECIMALS}f %.{DECIMALS}f\n"
    return (line * len(rows)) % tuple(rows.ravel().tolist())


def _row(values: np.ndarray) -> str:
    return format_array_as_row(_float32_range(values), DECIMALS)


_FLOAT32 = np.finfo(np.float32)


def _float32_range(values: np.ndarray) -> np.ndarray:
    """``values`` checked for what .cube readers hold (float32): ``ValueError`` for NaN or
    infinity, :class:`InputError` for a magnitude beyond float32's largest (3.4e38); magnitudes
    below its smallest normal number (1.2e-38) become 0 (with their sign)."""
    values = np.asarray(values, dtype=np.float64)
    if not np.isfinite(values).all():
        raise ValueError("a .cube cannot hold NaN or infinity")
    magnitude = np.abs(values)
    if (magnitude > _FLOAT32.max).any():
        raise InputError(f"{values[magnitude > _FLOAT32.max].flat[0]:g} is beyond what a .cube "
                         "holds (float32: at most 3.4e38)")
    return np.where(magnitude < _FLOAT32.tiny, np.copysign(0.0, values), values)


def _one_line(text: str) -> str:
    """A title or comment kept on its line (a line break would start a line no reader knows)."""
    return " ".join(str(text).splitlines())


def _iridas_text(lut: LUT3D | LUT3x1D) -> str:
    """The Iridas .cube in colour-science's :func:`colour.io.write_LUT_IridasCube` layout:
    ``TITLE``, comments, the size, ``DOMAIN_MIN``/``DOMAIN_MAX`` where the domain is not [0, 1],
    then the table, red varying fastest."""
    is_3x1d = isinstance(lut, LUT3x1D)
    lines = [f'TITLE "{lut.name}"\n', *(f"# {comment}\n" for comment in lut.comments),
             f"{'LUT_1D_SIZE' if is_3x1d else 'LUT_3D_SIZE'} {lut.table.shape[0]}\n"]
    if not np.array_equal(lut.domain, np.array([[0, 0, 0], [1, 1, 1]])):
        lines.append(f"DOMAIN_MIN {_row(lut.domain[0])}\n")
        lines.append(f"DOMAIN_MAX {_row(lut.domain[1])}\n")
    table = lut.table if is_3x1d else np.reshape(lut.table, (-1, 3), order="F")
    return "".join(lines) + _rows(table)


def _resolve_1d3d_text(sequence: LUTSequence, comments: tuple[str, ...]) -> str:
    if len(sequence) != 2 or not isinstance(sequence[0], (LUT1D, LUT3x1D)) \
            or not isinstance(sequence[1], LUT3D):
        raise TypeError("a .cube sequence must be a 1D shaper followed by a 3D LUT")
    shaper, cube = sequence[0], sequence[1]
    if isinstance(shaper, LUT1D):
        shaper = shaper.convert(LUT3x1D)
    lines = [f"# {_one_line(line)}" for line in (cube.name, *comments, *shaper.comments, *cube.comments)]
    lines.append(f"LUT_1D_SIZE {len(shaper.table)}")
    lines.append(f"LUT_1D_INPUT_RANGE {_uniform_range(shaper, 'shaper')}")
    lines.append(f"LUT_3D_SIZE {cube.size}")
    lines.append(f"LUT_3D_INPUT_RANGE {_uniform_range(cube, 'cube')}")
    rows = np.concatenate([np.asarray(shaper.table), np.reshape(cube.table, (-1, 3), order="F")])
    return "\n".join(lines) + "\n" + _rows(rows)


def _uniform_range(lut: LUT3D | LUT3x1D, what: str) -> str:
    domain = np.asarray(lut.domain, dtype=np.float64)
    if lut.is_domain_explicit() or np.ptp(domain[0]) or np.ptp(domain[1]):
        raise InputError(f"a Resolve 1D+3D .cube needs the same input range on every channel of the {what}")
    return _row(domain[:, 0])
