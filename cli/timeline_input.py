"""Options every command that reads a timeline shares: command line → :class:`cinegrade.Reading`.

``--adapter NAME`` picks an OTIO adapter (default: by suffix), ``--rate FPS`` gives formats
without a rate (EDL) theirs, ``-a KEY=VALUE`` passes an adapter argument, and ``--sequence NAME``
picks a sequence of a Kdenlive 1.1 project or a timeline of a file that holds several (an FCP X
event: without it the first, with a note on stderr).
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


def reading(adapter: str | None = None, rate: str | None = None,
            adapter_args: Sequence[str] = (), sequence: str | None = None):
    """The :class:`~cinegrade.timeline.files.Reading` the :data:`timeline_input` options say."""
    from cinegrade.timeline.files import Reading, parse_adapter_argument

    arguments = dict(parse_adapter_argument(text) for text in adapter_args)
    return Reading(adapter, rate, arguments, sequence)


def note(message: str) -> None:
    """A note on what was read, on stderr."""
    click.echo(f"cinegrade: note: {message}", err=True)


#: ``--kdenlive-version``: of commands that write a timeline.
kdenlive_version_option = click.option(
    "--kdenlive-version", type=click.Choice(["auto", "1.04", "1.1"]), default="auto",
    show_default=True,
    help="Document version of a new Kdenlive project: 1.04 opens in Kdenlive 21.12-22.12 (Debian "
         "12), 1.1 in 23.04 and later; auto: the newest the installed Kdenlive opens, else 1.1. "
         "A project read from Kdenlive keeps its own.")


def kdenlive_version(value: str | None) -> str | None:
    """The API's ``kdenlive_version`` for the option's value (None: auto)."""
    return None if value in (None, "auto") else value


def kdenlive_line(output, requested: str | None, timeline, adapter: str | None = None) -> str | None:
    """For an output that is a Kdenlive project: which document version was written, and why."""
    from cinegrade.otio_plugins.kdenlive_version import resolve_document_version
    from cinegrade.timeline.files import KDENLIVE_ADAPTER, find_adapter

    if find_adapter(output, adapter, writing=True).name != KDENLIVE_ADAPTER:
        return None
    version, reason = resolve_document_version(kdenlive_version(requested), timeline)
    return f"Kdenlive document {version}: {reason}"
