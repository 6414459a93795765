"""Numbers as text in the interchange formats cinegrade writes: plain decimals that read back exactly.

Every number cinegrade writes into a text format (ASC CDL XML, EDL ``*ASC_SOP``/``*ASC_SAT``, .cube,
Kdenlive properties) is the shortest decimal in positional notation that parses back to the same
IEEE 754 double: ``0.000044``, never ``4.4e-05``. ASC CDL v1.2's XML schema types the values as
``xs:decimal`` (W3C XML Schema Part 2, 3.2.3: no exponent), the cmx_3600 reader's ``*ASC_SOP``
pattern ``[-+]?[\\d.]+`` has none, and a .cube reader at least accepts the positional form.
Python's ``repr`` is the shortest round-tripping form but switches to an exponent below 1e-4 and
from 1e16 up; those few values are written positionally by NumPy's ``format_float_positional``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np


def decimal_text(value: float) -> str:
    """The shortest positional decimal that reads back (``float(text)``) as ``value``.

    ``ValueError`` for NaN or infinity, which no interchange format holds.

    >>> decimal_text(4.4e-05), decimal_text(1.0), decimal_text(-0.01), decimal_text(2e16)
    ('0.000044', '1.0', '-0.01', '20000000000000000.0')
    >>> float(decimal_text(0.1 + 0.2)) == 0.1 + 0.2
    True
    """
    value = float(value)
    text = repr(value)
    if "e" in text or "n" in text:  # exponent, or nan / inf
        if not math.isfinite(value):
            raise ValueError(f"{value} cannot be written as a decimal")
        text = np.format_float_positional(value, unique=True, trim="0")
    return text


def decimal_texts(values: Iterable[float] | np.ndarray) -> list[str]:
    """:func:`decimal_text` of every value (flattened), fast for LUT tables (~1 µs per value).

    >>> decimal_texts(np.array([[0.5, 1e-7], [1.0, 0.25]]))
    ['0.5', '0.0000001', '1.0', '0.25']
    """
    flat = np.asarray(values, dtype=np.float64).ravel()
    if not np.isfinite(flat).all():
        raise ValueError("NaN or infinity cannot be written as a decimal")
    texts = list(map(repr, flat.tolist()))
    for index, text in enumerate(texts):
        if "e" in text:
            texts[index] = np.format_float_positional(flat[index], unique=True, trim="0")
    return texts
