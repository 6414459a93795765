"""How the commands that measure shots run them: the ``--jobs``/cache options, a process pool
(or none for one job), a progress bar on stderr, and JSON output to a file or stdout."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator

import click

from cinegrade.cli.timeline_input import stacked

#: ``--jobs``, ``--no-cache``, ``--cache-dir``.
analysis_options = stacked([
    click.option("--jobs", type=click.IntRange(1, 1024), help="Worker processes [default: all cores]."),
    click.option("--no-cache", is_flag=True, help="Neither read nor write the statistics cache."),
    click.option("--cache-dir", type=click.Path(file_okay=False, path_type=str),
                 help="Statistics cache folder [default: the user's cache folder]."),
])


def available_cores() -> int:
    """Cores this process may run on (the affinity mask a container or taskset gives)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


@contextlib.contextmanager
def shot_executor(jobs: int | None, shots: int) -> Iterator[object | None]:
    """A process pool of ``jobs`` workers (default: :func:`available_cores`, never more than
    ``shots``), or None where one process does the work."""
    workers = min(jobs or available_cores(), shots)
    if workers <= 1:
        yield None
        return
    import concurrent.futures

    with concurrent.futures.ProcessPoolExecutor(max_workers=workers) as pool:
        yield pool


@contextlib.contextmanager
def progress_bar(length: int, label: str, quiet: bool = False
                 ) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr, yielding its ``update(n)``; None (no bar at all) with ``quiet``,
    when stderr is not a terminal, or when there is nothing to count."""
    if quiet or length <= 0 or not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=length, label=label, file=sys.stderr, show_pos=True) as bar:
        yield bar.update


def emit_json(path: str, document: dict) -> None:
    """``document`` as indented JSON to stdout (``path`` "-") or atomically to the file ``path``."""
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if path == "-":
        click.echo(text)
    else:
        from cinegrade.media.atomic import write_text_atomically

        write_text_atomically(path, text + "\n")
