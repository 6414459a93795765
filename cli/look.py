"""``cinegrade look TIMELINE LOOK -o OUT``: lay a look (a shipped look's name or a .cube) over
every shot; matches an earlier run made are kept under it. See :mod:`cinegrade.cli.grade`."""

from __future__ import annotations

import click

from cinegrade.cli.grade import common_options, run


@click.command("look")
@click.argument("timeline", type=click.Path(dir_okay=False, path_type=str))
@click.argument("look_name", metavar="LOOK")
@common_options
@click.option("--strength", "look_strength", type=click.FloatRange(0, 1), default=1.0,
              show_default=True, help="How much of the look (blended with the ungraded shot).")
def look(timeline: str, look_name: str, **options) -> None:
    """Lay LOOK (see `cinegrade looks`, or a .cube file) over every shot of TIMELINE."""
    run(timeline, match=False, look=look_name, **options)
