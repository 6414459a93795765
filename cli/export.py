"""``cinegrade export TIMELINE (--ccc FILE | --cdl-dir DIR | --edl FILE | --lut-dir DIR)``: hand a
graded timeline's grades to another grading system.

- ``--ccc FILE``: one ASC CDL ``ColorCorrectionCollection``, a ``ColorCorrection`` per clip with a
  CDL (id = the clip's name, made unique).
- ``--cdl-dir DIR``: one ``.cdl`` (``ColorDecisionList`` with the clip's media as ``MediaRef``)
  per clip with a CDL.
- ``--edl FILE``: a CMX 3600 EDL (OTIO's cmx_3600 adapter) whose events carry ``*ASC_SOP`` and
  ``*ASC_SAT`` (from ``clip.metadata["cdl"]``; cinegrade's grade's CDL is put there first).
- ``--lut-dir DIR``: each graded clip's .cube, copied as ``<clip>.cube`` (a live CDL baked with the
  .cube after it).

CDLs are those of ``--method cdl`` grades (or a CDL the clip came with, e.g. from an EDL); clips
graded with ``--method lut`` have only their .cube, and are listed as such.
"""

from __future__ import annotations

import click

from cinegrade.cli.timeline_input import note, reading, timeline_input


@click.command("export")
@click.argument("timeline", type=click.Path(dir_okay=False, path_type=str))
@click.option("--ccc", "ccc_path", metavar="FILE", help="Write an ASC CDL collection (.ccc).")
@click.option("--cdl-dir", metavar="DIR", help="Write one .cdl per clip into DIR.")
@click.option("--edl", "edl_path", metavar="FILE", help="Write a CMX 3600 EDL with ASC CDL.")
@click.option("--lut-dir", metavar="DIR", help="Copy each clip's .cube into DIR.")
@timeline_input
@click.option("--force", is_flag=True, help="Replace files that exist.")
def export(timeline: str, ccc_path: str | None, cdl_dir: str | None, edl_path: str | None,
           lut_dir: str | None, force: bool, **input_options) -> None:
    """Export the grades of TIMELINE (written by cinegrade grade/match/look)."""
    from cinegrade.api import export_grades

    exported = export_grades(timeline, ccc=ccc_path, cdl_dir=cdl_dir, edl=edl_path,
                             lut_dir=lut_dir, overwrite=force, reading=reading(**input_options),
                             on_note=note)
    click.echo(f"exported {exported.count} grade(s) to {exported.target}")
    without = exported.without_cdl
    if without:
        click.echo(f"{len(without)} graded clip(s) have no CDL (graded with --method lut; "
                   f"use --lut-dir): {', '.join(without[:8])}{' …' if len(without) > 8 else ''}")
