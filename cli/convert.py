"""``cinegrade convert INPUT OUTPUT``: any OTIO adapter's timeline to any other's.

Adapters are picked by suffix, or by name with ``--from``/``--to``. ``--rate`` goes to whichever
side takes a frame rate (the EDL reader and writer). What the target format cannot carry is
measured (written in memory, read back, counted; see ``carry_report``) and printed; formats with
one picture track get the first video track. Bad input exits with code 2 and writes nothing; an
existing OUTPUT is replaced only with ``--force``, keeping the old file as ``OUTPUT.bak``.
"""

from __future__ import annotations

import click

from cinegrade.cli.timeline_input import kdenlive_version_option


@click.command("convert")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=str))
@click.argument("output_path", metavar="OUTPUT", type=click.Path(path_type=str))
@click.option("--from", "from_adapter", metavar="ADAPTER", help="Adapter to read INPUT with (default: by suffix).")
@click.option("--to", "to_adapter", metavar="ADAPTER", help="Adapter to write OUTPUT with (default: by suffix).")
@click.option("--rate", metavar="FPS", help="Frame rate for formats without one (EDL): 25, 29.97, 30000/1001.")
@click.option("--force", is_flag=True, help="Replace an existing OUTPUT (the old one is kept as OUTPUT.bak).")
@click.option("--from-arg", "from_args", multiple=True, metavar="KEY=VALUE",
              help="Extra argument for the reader, e.g. ignore_timecode_mismatch=true.")
@click.option("--to-arg", "to_args", multiple=True, metavar="KEY=VALUE",
              help="Extra argument for the writer, e.g. style=nucoda for EDL.")
@click.option("--sequence", metavar="NAME",
              help="The sequence of a Kdenlive 1.1 project, or the timeline of a file that "
                   "holds several (an FCP X event), to convert (default: the main or first one).")
@kdenlive_version_option
def convert(input_path: str, output_path: str, from_adapter: str | None, to_adapter: str | None,
            rate: str | None, force: bool, from_args: tuple[str, ...],
            to_args: tuple[str, ...], sequence: str | None, kdenlive_version: str) -> None:
    """Convert the timeline INPUT to OUTPUT, reporting what OUTPUT's format cannot carry."""
    from cinegrade.api import convert_timeline
    from cinegrade.cli.timeline_input import kdenlive_line, note, reading
    from cinegrade.cli.timeline_input import kdenlive_version as version
    from cinegrade.timeline.files import parse_adapter_argument

    converted = convert_timeline(
        input_path, output_path, reading=reading(from_adapter, rate, from_args, sequence),
        target_adapter=to_adapter, target_args=dict(map(parse_adapter_argument, to_args)),
        overwrite=force, kdenlive_version=version(kdenlive_version), on_note=note)
    click.echo(f"{output_path}: {converted.clips} clips, {converted.tracks} tracks written by "
               f"{converted.writer} (read by {converted.reader})")
    line = kdenlive_line(output_path, kdenlive_version, converted.otio_timeline, converted.writer)
    if line:
        click.echo(line)
    if converted.backup is not None:
        click.echo(f"previous {output_path} kept as {converted.backup}")
    for line in converted.losses:
        click.echo(f"not carried: {line}")
