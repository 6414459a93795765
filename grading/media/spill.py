"""Frames kept in a file instead of memory, so that what a whole timeline keeps of its shots (the
views' small frames and the evidence sources' larger ones: ~2.6 MB a shot) does not grow the
main process with the timeline's length.

:class:`SpilledFrames` is a read-only sequence of arrays: each access reads the frame back from
its file (the page cache makes that a copy), and pickling it (a task sent to a worker process
or a Dask worker) carries the frames themselves as a tuple, so workers need no access to the
file. The file lives in :func:`spill_folder` and is removed when the object is collected (or
when the process exits).
"""

from __future__ import annotations

import os
import tempfile
import weakref
from collections.abc import Iterable, Sequence

import numpy as np

#: Environment variable naming the folder spilled frames are written to (default: the system's
#: temporary folder).
SPILL_ENV = "CINEGRADE_SPILL_DIR"


def spill_folder() -> str:
    """Where spilled frames go: ``$CINEGRADE_SPILL_DIR``, else the system's temporary folder."""
    return os.environ.get(SPILL_ENV) or tempfile.gettempdir()


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class SpilledFrames(Sequence):
    """Arrays (any shapes, one dtype) written to a temporary file and read back on each access:
    ``len``, indexing (a slice gives a tuple), iteration; equal to the tuple of its arrays when
    pickled.

    >>> frames = (np.arange(12, dtype=np.uint8).reshape(2, 2, 3), np.full((1, 2, 3), 7, np.uint8))
    >>> kept = SpilledFrames(frames)
    >>> len(kept), bool(kept), [f.shape for f in kept], int(kept[-1][0, 1, 2])
    (2, True, [(2, 2, 3), (1, 2, 3)], 7)
    >>> import pickle
    >>> copy = pickle.loads(pickle.dumps(kept))
    >>> type(copy).__name__, all(np.array_equal(a, b) for a, b in zip(copy, frames))
    ('tuple', True)
    """

    def __init__(self, arrays: Iterable[np.ndarray]):
        arrays = [np.ascontiguousarray(a) for a in arrays]
        self._dtype = arrays[0].dtype if arrays else np.dtype(np.uint8)
        if any(a.dtype != self._dtype for a in arrays):
            raise ValueError("spilled frames share one dtype")
        self._shapes = tuple(a.shape for a in arrays)
        sizes = [int(np.prod(shape)) for shape in self._shapes]
        self._offsets = tuple(int(v) for v in np.cumsum([0, *sizes])[:-1] * self._dtype.itemsize)
        self._sizes = tuple(sizes)
        descriptor, self._path = tempfile.mkstemp(prefix="cinegrade-frames-", suffix=".raw",
                                                  dir=spill_folder())
        self._finalizer = weakref.finalize(self, _remove, self._path)
        with os.fdopen(descriptor, "wb") as file:
            for array in arrays:
                file.write(array.tobytes())

    def __len__(self) -> int:
        return len(self._shapes)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("spilled frame index out of range")
        array = np.fromfile(self._path, dtype=self._dtype, count=self._sizes[index],
                            offset=self._offsets[index])
        return array.reshape(self._shapes[index])

    def __reduce__(self):
        return tuple, (tuple(self),)

    def __repr__(self) -> str:
        return f"SpilledFrames({len(self)} frames {list(self._shapes)} {self._dtype})"


def spilled(arrays: Sequence[np.ndarray]) -> Sequence[np.ndarray]:
    """``arrays`` kept in a file (:class:`SpilledFrames`), or as they are when empty, already
    spilled, or when the file cannot be written (a full or read-only folder: memory then)."""
    if isinstance(arrays, SpilledFrames) or not len(arrays):
        return arrays
    try:
        return SpilledFrames(arrays)
    except OSError:
        return tuple(arrays)
