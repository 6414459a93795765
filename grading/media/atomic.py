"""Atomic file writes: a temporary file beside the target, renamed over it only when complete.

Every writer of cinegrade (timelines, clips, LUTs, CDLs, caches, reports) goes through
:func:`atomic_path`, so a crash or a bad input never leaves a half-written file behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path in ``path``'s folder (same suffix, so writers that pick a format by
    suffix work); when the block ends without error it replaces ``path`` (``os.replace``: readers
    see the old file or the new one, never half of one), else it is deleted.

    The file gets the usual mode (0666 less the umask) rather than mkstemp's 0600: clips, LUTs and
    projects are read by other programs and users (the NLE, a render node). ``OSError`` (e.g.
    ``FileNotFoundError``) when the folder does not exist or cannot be written.
    """
    path = Path(path)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temporary, 0o666 & ~mask)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_bytes_atomically(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through :func:`atomic_path`, synced to disk before the rename."""
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())


def write_text_atomically(path: str | os.PathLike, text: str) -> None:
    """UTF-8 ``text`` to ``path`` through :func:`atomic_path`."""
    write_bytes_atomically(path, text.encode("utf-8"))
