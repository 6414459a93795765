"""Options every command that reads a timeline shares, and the one way such a command loads it.

``--adapter NAME`` picks an OTIO adapter (default: by suffix), ``--rate FPS`` gives formats
without a rate (EDL) theirs, ``-a KEY=VALUE`` passes an adapter argument, and ``--sequence NAME``
picks a sequence of a Kdenlive 1.1 project (the adapter argument ``sequence``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import click


def stacked(options: Sequence[Callable]) -> Callable:
    """One decorator applying ``options`` (click decorators) in the order listed."""

    def decorate(function: Callable) -> Callable:
        for option in reversed(options):
            function = option(function)
        return function
    return decorate


#: ``--adapter``, ``--rate``, ``-a/--adapter-arg``, ``--sequence``.
timeline_input = stacked([
    click.option("--adapter", metavar="NAME", help="OTIO adapter to read with (default: by suffix)."),
    click.option("--rate", metavar="FPS",
                 help="Frame rate for formats without one (EDL): 25, 29.97, 30000/1001."),
    click.option("-a", "--adapter-arg", "adapter_args", multiple=True, metavar="KEY=VALUE",
                 help="Extra argument for the adapter, e.g. ignore_timecode_mismatch=true."),
    click.option("--sequence", metavar="NAME",
                 help="The sequence of a Kdenlive 1.1 project to read (default: the main one)."),
])


def load_timeline(path: str, adapter: str | None = None, rate: str | None = None,
                  adapter_args: Sequence[str] = (), sequence: str | None = None):
    """The timeline at ``path`` read as the :data:`timeline_input` options say, and the name of
    the adapter that read it. Raises :class:`~cinegrade.grading.errors.InputError`."""
    from cinegrade.otio_plugins.timeline_file import (check_readable, find_adapter,
                                                     parse_adapter_argument, read_timeline)

    check_readable(path)
    arguments = dict(parse_adapter_argument(text) for text in adapter_args)
    if sequence is not None:
        arguments["sequence"] = sequence
    used = find_adapter(path, adapter).name
    return read_timeline(path, used, rate=rate, **arguments), used
