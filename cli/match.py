"""``cinegrade match TIMELINE -o OUT``: match every shot to its scene's reference (no new look;
a look an earlier run laid is kept). See :mod:`cinegrade.cli.grade`."""

from __future__ import annotations

import click

from cinegrade.cli.grade import common_options, match_options, run


@click.command("match")
@click.argument("timeline", type=click.Path(dir_okay=False, path_type=str))
@common_options
@match_options
@click.option("--report", "report_path", metavar="FILE.html", help="HTML report of the matched result.")
def match(timeline: str, **options) -> None:
    """Match the shots of TIMELINE to their scenes' references; write the timeline to OUT."""
    run(timeline, match=True, look=None, keep_look=True, **options)
