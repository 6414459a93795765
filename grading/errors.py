"""The one exception type for problems with what the user gave us (files, options)."""

from __future__ import annotations

import os


class InputError(Exception):
    """A user-facing input error: which file, where in it (if known), and what is wrong.

    The CLI prints ``str(error)`` as one line on stderr and exits with code 2. Library code raises
    it instead of printing or exiting.
    """

    def __init__(self, reason: str, path: str | os.PathLike | None = None, line: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.path = os.fspath(path) if path is not None else None
        self.line = line

    def __str__(self) -> str:
        where = self.path or ""
        if where and self.line is not None:
            where = f"{where}:{self.line}"
        one_line = " ".join(self.reason.split())
        return f"{where}: {one_line}" if where else one_line
