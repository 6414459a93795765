"""What cinegrade raises for problems with what it was given (files, values), and nothing else.

:class:`InputError` names the file (and line) or the argument at fault; library code raises it
instead of printing or exiting. An argument is named by its field — the Python API's parameter
(``scene_by``, ``strength``, ``overwrite``) — never by a command-line option: the CLI maps fields
to its options when it prints (:meth:`InputError.describe`). Any other exception escaping the
library is a bug.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping


class InputError(Exception):
    """A user-facing input error: which file, where in it (if known), and what is wrong.

    ``reason`` may hold ``{field}``, filled in with the name of the argument at fault: the
    field itself, or what ``names`` maps it to in :meth:`describe` (the CLI's option). The CLI
    prints one line and exits with code 2.

    >>> str(InputError("not a .cube file", "look.cube", 3))
    'look.cube:3: not a .cube file'
    >>> error = InputError("{field} 1.5 is outside 0..1", field="strength")
    >>> str(error), error.describe({"strength": "--strength"})
    ('strength 1.5 is outside 0..1', '--strength 1.5 is outside 0..1')
    """

    def __init__(self, reason: str, path: str | os.PathLike | None = None, line: int | None = None,
                 *, field: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.path = os.fspath(path) if path is not None else None
        self.line = line
        self.field = field

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        """One line: ``path:line: reason``, the field named as ``names`` says (default: itself)."""
        reason = self.reason
        if self.field is not None:
            reason = reason.replace("{field}", (names or {}).get(self.field, self.field))
        where = self.path or ""
        if where and self.line is not None:
            where = f"{where}:{self.line}"
        one_line = " ".join(reason.split())
        return f"{where}: {one_line}" if where else one_line

    def __str__(self) -> str:
        return self.describe()


class ChoiceError(InputError):
    """``value`` of the argument ``field`` is none of ``choices``.

    >>> str(ChoiceError("scene_by", "shots", ("markers", "auto", "none")))
    "scene_by 'shots' is not one of markers, auto, none"
    """

    def __init__(self, field: str, value: object, choices: Iterable[str]):
        self.value, self.choices = value, tuple(choices)
        super().__init__(f"{{field}} {value!r} is not one of {', '.join(self.choices)}", field=field)


class RangeError(InputError):
    """``value`` of the argument ``field`` is outside ``low``..``high``.

    >>> str(RangeError("look_strength", 1.5, 0, 1))
    'look_strength 1.5 is outside 0..1'
    """

    def __init__(self, field: str, value: float, low: float, high: float):
        self.value, self.low, self.high = value, low, high
        super().__init__(f"{{field}} {value:g} is outside {low:g}..{high:g}", field=field)


class OutputExists(InputError):
    """An output file exists and the caller did not say to replace it (field ``overwrite``)."""

    def __init__(self, path: str | os.PathLike, kept: str = "the old file is kept as .bak"):
        super().__init__(f"exists already ({{field}} replaces it; {kept})", path, field="overwrite")
