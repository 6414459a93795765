"""How shot work runs: where (one process, a local process pool, or any
``concurrent.futures.Executor`` such as a Dask cluster's), with which statistics cache, and who
hears of its progress.

Per-shot work (sampling, statistics, views, matches) is pure functions of (media identity,
range, settings) submitted through an executor, so the steps never know which one runs them.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import ContextManager

#: ``progress(length, label)``: a context manager yielding ``update(n)`` (or None for no
#: progress), as the CLI's progress bar is.
ProgressFactory = Callable[[int, str], ContextManager[Callable[[int], None] | None]]


def available_cores() -> int:
    """Cores this process may run on (the affinity mask a container or taskset gives), at least 1."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


@dataclass(frozen=True)
class ShotWork:
    """``jobs`` worker processes (default: all cores; 1: this process alone), or ``executor``
    (any ``concurrent.futures.Executor``), or the workers of the Dask distributed ``scheduler``
    at that address (``tcp://host:8786``; ``distributed.Client(address).get_executor()``) —
    in that order of precedence. Statistics are cached in ``cache_dir`` (default:
    ``$CINEGRADE_CACHE_DIR`` or the user's cache folder) unless ``use_cache`` is false; the
    main process reads and writes it, so Dask workers need no shared cache, only the media at
    the same paths. ``progress`` hears how many shots are done."""

    jobs: int | None = None
    executor: concurrent.futures.Executor | None = None
    scheduler: str | None = None
    cache_dir: str | os.PathLike | None = None
    use_cache: bool = True
    progress: ProgressFactory | None = None

    def __post_init__(self) -> None:
        if self.jobs is not None and self.jobs < 1:
            from cinegrade.errors import RangeError

            raise RangeError("jobs", self.jobs, 1, 1024)

    def cache(self):
        """The statistics cache (:class:`~cinegrade.analysis.cache.StatsCache`), or None."""
        if not self.use_cache:
            return None
        from cinegrade.analysis.cache import StatsCache

        return StatsCache(self.cache_dir)

    @contextlib.contextmanager
    def pool(self, shots: int) -> Iterator[concurrent.futures.Executor | None]:
        """The executor for ``shots`` shots: the given one, a Dask client's (``scheduler``; see
        :func:`dask_executor` for its :class:`~cinegrade.errors.InputError`), a process pool of
        ``jobs`` workers (never more than ``shots``), or None where one process does the work.
        A pool or client made here is shut down when the block ends. While a local pool runs,
        it and this process hold their numerical libraries to one thread each
        (:func:`one_thread_each`)."""
        if self.executor is not None:
            yield self.executor
            return
        if self.scheduler is not None:
            with dask_executor(self.scheduler) as executor:
                yield executor
            return
        workers = min(self.jobs or available_cores(), shots)
        if workers <= 1:  # one process alone: its libraries' threads have the cores to themselves
            yield None
            return
        with _one_thread_here(), concurrent.futures.ProcessPoolExecutor(
                max_workers=workers, initializer=one_thread_each) as pool:
            yield pool

    @contextlib.contextmanager
    def progress_of(self, length: int, label: str) -> Iterator[Callable[[int], None] | None]:
        """``update(n)`` of this work's progress (None: nobody listens)."""
        if self.progress is None or length <= 0:
            yield None
            return
        with self.progress(length, label) as update:
            yield update


def one_thread_each() -> None:
    """Numerical libraries on one thread in this process (a pool worker's initializer): BLAS and
    OpenMP (threadpoolctl, whichever loaded them already), and OpenCV where it loads afresh (a
    forked worker's OpenCV is the parent's, which :func:`_one_thread_here` set before the fork:
    setting it again in the child joins threads the fork did not copy, and hangs). A pool has a
    worker per core; a library that also starts a thread per core in each oversubscribes them
    (measured: the drift fit's 36 000 × 6 SVDs, 93 ms a fit on one thread, 315 ms on
    OpenBLAS's two while the other core was busy). Dask's nanny does the same for its workers."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)  # kept: never exited
    os.environ["OPENCV_FOR_THREADS_NUM"] = "1"  # read when cv2 loads


@contextlib.contextmanager
def _one_thread_here() -> Iterator[None]:
    """BLAS, OpenMP and OpenCV held to one thread in this process for the block, and as they
    were afterwards."""
    import cv2
    from threadpoolctl import threadpool_limits

    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        cv2.setNumThreads(threads)


@contextlib.contextmanager
def dask_executor(address: str) -> Iterator[concurrent.futures.Executor]:
    """The ``concurrent.futures`` executor of a client of the Dask distributed scheduler at
    ``address``, closed afterwards (the cluster stays up). Raises
    :class:`~cinegrade.errors.InputError` (field ``scheduler``) when Dask is not installed or
    the scheduler cannot be reached."""
    from cinegrade.errors import InputError

    try:
        from distributed import Client
    except ImportError:
        raise InputError("{field} needs Dask's distributed: pip install 'cinegrade[dask]'",
                         field="scheduler") from None
    try:
        client = Client(address, timeout=SCHEDULER_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        raise InputError(f"cannot reach the Dask scheduler at {{field}} {address} ({error})",
                         field="scheduler") from None
    with client:
        yield client.get_executor(pure=False)


#: Seconds to wait for a Dask scheduler to answer.
SCHEDULER_TIMEOUT = 10
