"""Options every command that reads a timeline shares, and the one way such a command loads it.

``--adapter NAME`` picks an OTIO adapter (default: by suffix), ``--rate FPS`` gives formats
without a rate (EDL) theirs, ``-a KEY=VALUE`` passes an adapter argument, and ``--sequence NAME``
picks a sequence of a Kdenlive 1.1 project (the adapter argument ``sequence``) or a timeline of
a file that holds several (an FCP X event: without it the first, with a note on stderr).
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
                 help="The sequence of a Kdenlive 1.1 project, or the timeline of a file that "
                      "holds several (an FCP X event), to read (default: the main or first one)."),
])


#: The OTIO adapter name of cinegrade's Kdenlive adapter (plugin_manifest.json), which takes
#: ``sequence`` as an adapter argument.
KDENLIVE_ADAPTER = "kdenlive"


def load_timeline(path: str, adapter: str | None = None, rate: str | None = None,
                  adapter_args: Sequence[str] = (), sequence: str | None = None):
    """The timeline at ``path`` read as the :data:`timeline_input` options say, and the name of
    the adapter that read it. Raises :class:`~cinegrade.errors.InputError`."""
    from cinegrade.timeline.files import check_readable, find_adapter, parse_adapter_argument, read_timeline

    check_readable(path)
    arguments = dict(parse_adapter_argument(text) for text in adapter_args)
    used = find_adapter(path, adapter).name
    if sequence is not None and used == KDENLIVE_ADAPTER:
        arguments["sequence"] = sequence  # the adapter picks among a project's sequences
    elif sequence is not None:
        arguments["timeline_name"] = sequence  # among a collection's timelines

    def note(message: str) -> None:
        click.echo(f"cinegrade: note: {message}", err=True)

    return read_timeline(path, used, rate=rate, on_note=note, **arguments), used
