"""``cinegrade convert INPUT OUTPUT``: any OTIO adapter's timeline to any other's.

Adapters are picked by suffix, or by name with ``--from``/``--to``. ``--rate`` goes to whichever
side takes a frame rate (the EDL reader and writer). What the target format cannot carry is
measured (written in memory, read back, counted; see ``carry_report``) and printed; formats with
one picture track get the first video track. Bad input exits with code 2 and writes nothing; an
existing OUTPUT is replaced only with ``--force``, keeping the old file as ``OUTPUT.bak``.
"""

from __future__ import annotations

import os

import click


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
def convert(input_path: str, output_path: str, from_adapter: str | None, to_adapter: str | None,
            rate: str | None, force: bool, from_args: tuple[str, ...],
            to_args: tuple[str, ...], sequence: str | None) -> None:
    """Convert the timeline INPUT to OUTPUT, reporting what OUTPUT's format cannot carry."""
    from cinegrade.cli.timeline_input import load_timeline
    from cinegrade.errors import InputError
    from cinegrade.timeline.files import (
        adapter_arguments,
        carry_report,
        check_readable,
        find_adapter,
        parse_adapter_argument,
        parse_rate,
        takes_rate,
        timeline_for_adapter,
        write_timeline,
    )

    check_readable(input_path)
    reader = find_adapter(input_path, from_adapter)
    writer = find_adapter(output_path, to_adapter, writing=True)
    write_args = dict(parse_adapter_argument(text) for text in to_args)
    if rate is not None:
        parse_rate(rate)
        if not takes_rate(reader) and not takes_rate(writer, writing=True):
            raise InputError(f"--rate does not apply: neither {reader.name} nor {writer.name} "
                             "takes a frame rate")
    if os.path.exists(output_path) and os.path.exists(input_path) \
            and os.path.samefile(input_path, output_path):
        raise InputError("OUTPUT is INPUT: cinegrade never overwrites its input", output_path)
    if os.path.exists(output_path) and not force:
        raise InputError("exists already (use --force to replace it; the old file is kept as "
                         f"{os.path.basename(output_path)}.bak)", output_path)
    timeline, _ = load_timeline(input_path, reader.name, rate if takes_rate(reader) else None,
                                from_args, sequence)
    if rate is not None and takes_rate(writer, writing=True):
        write_args["rate"] = rate
    checked = adapter_arguments(writer, write_args.pop("rate", None), write_args, output_path,
                                writing=True)
    fitted = timeline_for_adapter(timeline, writer.name, **checked)
    losses = carry_report(timeline, writer.name, **checked)
    backup = write_timeline(fitted, output_path, writer.name, overwrite=force, **checked)
    clips = sum(1 for _ in fitted.find_clips())
    click.echo(f"{output_path}: {clips} clips, {len(fitted.tracks)} tracks written by "
               f"{writer.name} (read by {reader.name})")
    if backup is not None:
        click.echo(f"previous {output_path} kept as {backup}")
    for line in losses:
        click.echo(f"not carried: {line}")
