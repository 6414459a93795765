"""``cinegrade apply TIMELINE (--cdl FILE | --cdl-dir DIR | --edl FILE) -o OUT``: put the grades
a grading system sent back on the timeline's clips.

- ``--cdl FILE``: a .ccc (``ColorCorrectionCollection``), a .cdl (``ColorDecisionList``) or a .cc;
- ``--cdl-dir DIR``: a folder of .cc/.cdl files, one per clip (as ``cinegrade export --cdl-dir``
  writes them);
- ``--edl FILE``: a CMX 3600 EDL whose events carry ``*ASC_SOP``/``*ASC_SAT``.

Grades are matched to clips by ColorCorrection id (as ``cinegrade export`` names them), clip name,
reel or media file name, in that order (:mod:`cinegrade.grade.apply`); the table says which key
matched each clip and lists the clips without a grade and the grades without a clip. Each matched
clip gets the CDL as cinegrade's grade (a .cube in ``<OUT stem>.grades/``: Kdenlive's Apply LUT,
65³ by default so that it renders within a code value of the CDL, and a disabled SOP/Sat with
the CDL; an EDL's ``*ASC_SOP``/``*ASC_SAT``), with its earlier look after it (``--keep-look``,
the default) or without (``--replace-look``). ``--live-cdl`` makes the CDL a live SOP/Sat
instead, as ``grade --method cdl`` does: the editor can tweak it and a re-read gives it back,
but frei0r renders it through 8-bit tables (about 2 code values off). The work is
:func:`cinegrade.apply_grades`'s.

``--json`` prints, instead of the table, ``{"version": 1, "timeline", "source", "output",
"look": "keep" | "replace", "live_cdl": bool, "applied": [{clip, index, grade: {label, id, name,
reel, file, source, position, asc_sop: {slope, offset, power}, asc_sat}, key, value, look,
look_strength, cube, look_unknown}], "clips_without_grade": [{clip, index, reason}],
"grades_without_clip": [grade]}`` (``key``: "id", "clip name", "reel" or "file name"; ``cube``:
null when the grade changes nothing; ``look_unknown``: the clip's earlier grade was a bare .cube,
as a method-lut grade read back from a Kdenlive project is, so its look could not be kept).
"""

from __future__ import annotations

import json
import os

import click

from cinegrade.cli.timeline_input import (
    kdenlive_line,
    kdenlive_version_option,
    note,
    reading,
    timeline_input,
)
from cinegrade.cli.timeline_input import kdenlive_version as _version


@click.command("apply")
@click.argument("timeline", type=click.Path(dir_okay=False, path_type=str))
@click.option("--cdl", "cdl_path", metavar="FILE", help="Grades in a .ccc, .cdl or .cc file.")
@click.option("--cdl-dir", metavar="DIR", help="Grades in the .cc/.cdl files of DIR.")
@click.option("--edl", "edl_path", metavar="FILE", help="Grades in an EDL's *ASC_SOP/*ASC_SAT.")
@click.option("-o", "--output", required=True, metavar="OUT",
              help="The timeline with the grades (any OTIO adapter; .kdenlive for Kdenlive).")
@click.option("--keep-look/--replace-look", default=True, show_default=True,
              help="Keep each clip's look after the applied CDL, or drop it.")
@click.option("--live-cdl", is_flag=True,
              help="Kdenlive: the CDL as a live SOP/Sat the editor can tweak (as grade --method cdl "
                   "writes it; about 2 code values off), not baked into the Apply LUT (within 1).")
@click.option("--lut-size", type=click.Choice(["33", "65"]), default="65", show_default=True,
              help="Lattice size of the .cube files (65: within a code value of the CDL).")
@click.option("--force", is_flag=True, help="Replace OUT if it exists (kept as .bak).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of the table.")
@kdenlive_version_option
@timeline_input
def apply(timeline: str, cdl_path: str | None, cdl_dir: str | None, edl_path: str | None,
          output: str, keep_look: bool, live_cdl: bool, lut_size: str, force: bool, as_json: bool,
          kdenlive_version: str, **input_options) -> None:
    """Put the grades from a grading system on the clips of TIMELINE; write OUT."""
    from cinegrade.api import apply_grades

    applied = apply_grades(timeline, output, cdl=cdl_path, cdl_dir=cdl_dir, edl=edl_path,
                           look="keep" if keep_look else "replace", live=live_cdl,
                           lut_size=int(lut_size),
                           overwrite=force, reading=reading(**input_options),
                           kdenlive_version=_version(kdenlive_version), on_note=note)
    if as_json:
        click.echo(json.dumps(applied.to_json(), indent=2))
        return
    click.echo(applied_table(applied))
    cubes = sum(1 for a in applied.grades if a.cube is not None)
    click.echo(f"wrote {output} and {cubes} .cube file(s) in {applied.grades_folder}")
    line = kdenlive_line(output, kdenlive_version, applied.otio_timeline)
    if line:
        click.echo(line)


def applied_table(applied) -> str:
    """One line per matched clip (the grade, the key that matched, its file, the look), then the
    clips without a grade and the grades without a clip."""
    rows = [("CLIP", "GRADE", "MATCHED BY", "FROM", "LOOK")]
    unknown = []
    for done in applied.grades:
        match, grade = done.match, done.grade
        look = "-" if grade.look is None else \
            f"{os.path.basename(grade.look)} {grade.look_strength:g}"
        if done.look_unknown:
            unknown.append(match.clip.name)
        rows.append((_short(match.clip.name), _short(match.grade.label),
                     f"{match.key} {_short(match.value)!r}", os.path.basename(match.grade.source),
                     look + ("" if done.cube else " (no change: no grade)")))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    lines.append(f"{len(applied.grades)} clip(s) graded (looks: {applied.look}; the CDL "
                 f"{'live' if applied.live else 'baked into the .cube'})")
    if unknown:
        lines.append(f"{len(unknown)} clip(s) had a bare .cube as grade (as read back from a "
                     f"Kdenlive project), whose look cannot be kept: {_listed(unknown)}")
    without = applied.mapping.without_grade
    if without:
        lines.append(f"{len(without)} clip(s) without a grade (kept as they were):")
        lines += [f"  {c.clip.name}: {c.reason}" for c in without]
    unused = applied.mapping.unused
    if unused:
        lines.append(f"{len(unused)} grade(s) without a clip:")
        lines += [f"  {g.label} ({os.path.basename(g.source)})" for g in unused]
    return "\n".join(lines)


def _listed(names: list[str]) -> str:
    return ", ".join(names[:8]) + (" …" if len(names) > 8 else "")


def _short(text: str, width: int = 32) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"
