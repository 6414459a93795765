"""Options of the commands that measure shots (``--jobs``, the cache), the progress bar they show,
and JSON output: command line → :class:`cinegrade.work.ShotWork`."""

from __future__ import annotations

import contextlib
import json
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
    click.option("--scheduler", metavar="ADDRESS",
                 help="Run the shot work on a Dask distributed cluster (e.g. tcp://host:8786); "
                      "the workers must see the media at the same paths."),
])


#: ``--evidence``: the evidence sources shots that share no pixels are measured with.
evidence_option = click.option(
    "--evidence", "evidence", default="all", show_default=True, metavar="NAMES",
    help="Evidence across shots that share no pixels (same characters, surfaces from another "
         "angle, the light): 'all', 'none', or a comma-separated list of sources "
         "(shared-pixels, features, faces, ...).")


#: ``--no-within-shot``: no measurement along each shot (check: no ``creep_within_shot`` or
#: ``flicker_along``; grade and match: no correction that changes over time).
within_shot_option = click.option(
    "--no-within-shot", "no_within_shot", is_flag=True,
    help="Do not measure each shot along its length: no creep or flicker findings inside shots, "
         "no correction that changes along a shot.")


def evidence_sources(value: str | None) -> tuple[str, ...] | None:
    """``--evidence`` as the API takes it: None for all sources, () for none, else the names."""
    if value is None or value.strip() == "all":
        return None
    if value.strip() == "none":
        return ()
    return tuple(name.strip() for name in value.split(",") if name.strip())


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


def shot_work(jobs: int | None = None, no_cache: bool = False, cache_dir: str | None = None,
              quiet: bool = False, scheduler: str | None = None):
    """The :class:`~cinegrade.work.ShotWork` the options ask for, with a progress bar."""
    from cinegrade.work import ShotWork

    def progress(length: int, label: str):
        return progress_bar(length, label, quiet)

    return ShotWork(jobs=jobs, use_cache=not no_cache, cache_dir=cache_dir, progress=progress,
                    scheduler=scheduler)


def emit_json(path: str, document: dict) -> None:
    """``document`` as indented JSON to stdout (``path`` "-") or atomically to the file ``path``."""
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if path == "-":
        click.echo(text)
    else:
        from cinegrade.media.atomic import write_text_atomically

        write_text_atomically(path, text + "\n")
