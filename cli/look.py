"""``cinegrade look TIMELINE LOOK -o OUT``: lay a look (a shipped look's name, a look you kept or
a .cube) over every shot; matches an earlier run made are kept under it. ``--from-still FRAME``
instead takes the look from a still (:func:`cinegrade.look_timeline`). See
:mod:`cinegrade.cli.grade`."""

from __future__ import annotations

import click

from cinegrade.cli.grade import common_options


@click.command("look")
@click.argument("timeline", type=click.Path(dir_okay=False, path_type=str))
@click.argument("look_name", metavar="[LOOK]", required=False)
@common_options
@click.option("--strength", "look_strength", type=click.FloatRange(0, 1), default=1.0,
              show_default=True, help="How much of the look (blended with the ungraded shot, baked "
              "into the LUT).")
@click.option("--from-still", metavar="FRAME", type=click.Path(dir_okay=False, path_type=str),
              help="Take the look from this image (a master's frame): its tone curve and palette, "
                   "skin kept plausible; instead of LOOK.")
@click.option("--report", "report_path", metavar="FILE.html",
              help="HTML report of the result (with --from-still: the still beside the shots before "
                   "and after, and their distances to it).")
def look(timeline: str, look_name: str | None, from_still: str | None, **options) -> None:
    """Lay LOOK (see `cinegrade looks`, a look you kept, or a .cube file) — or the look of a
    still, --from-still FRAME — over every shot of TIMELINE."""
    if (look_name is None) == (from_still is None):
        raise click.UsageError("give a LOOK or --from-still FRAME" + (", not both" if look_name else ""))
    _look(timeline, look_name, from_still, **options)


def _look(timeline: str, look_name: str | None, still: str | None, *, output: str, look_strength: float,
          force: bool = False,
                lut_size: str = "33", jobs: int | None = None, no_cache: bool = False,
                cache_dir: str | None = None, scheduler: str | None = None, adapter: str | None = None,
                rate: str | None = None, adapter_args: tuple[str, ...] = (), sequence: str | None = None,
                quiet: bool = False, report_path: str | None = None, kdenlive_version: str = "auto") -> None:
    from cinegrade.api import look_timeline
    from cinegrade.cli.grade import grade_table
    from cinegrade.cli.shot_work import evidence_sources, shot_work
    from cinegrade.cli.timeline_input import kdenlive_line, note, reading
    from cinegrade.cli.timeline_input import kdenlive_version as _version

    graded = look_timeline(timeline, look_name, output, strength=look_strength, from_still=still,
                           lut_size=int(lut_size), report=report_path, overwrite=force,
                           reading=reading(adapter, rate, adapter_args, sequence),
                           work=shot_work(jobs, no_cache, cache_dir, quiet, scheduler), on_note=note,
                           kdenlive_version=_version(kdenlive_version), evidence=evidence_sources("all"))
    if quiet:
        return
    click.echo(grade_table(graded.shots, graded.grades))
    click.echo(f"wrote {output} and {len(graded.cubes)} .cube file(s) in {graded.grades_folder}")
    line = kdenlive_line(output, kdenlive_version, graded.otio_timeline)
    if line:
        click.echo(line)
    if graded.still is not None:
        for when, d in (("before", graded.still.before), ("after", graded.still.after)):
            hue = "-" if d.hue is None else f"{d.hue:.1f} deg"
            click.echo(f"distance to the still {when}: tone {d.tone:.2f} L*, chroma {d.chroma:.2f} C*, hue {hue}")
    if report_path:
        click.echo(f"report: {report_path}")
