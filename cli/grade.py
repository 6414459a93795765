"""``cinegrade grade TIMELINE -o OUT``: match every shot to its scene's reference, lay a look over
the film, write the graded timeline and (``--report``) check the result.

Each graded clip gets one .cube (match and look composed) in ``<OUT stem>.grades/`` and the OTIO
effect ``cinegrade.grade`` pointing at it (Kdenlive: the Apply LUT effect); with ``--method cdl``
the fitted ASC CDL also goes into ``clip.metadata["cdl"]`` (EDL ``*ASC_SOP``/``*ASC_SAT``).
A re-run replaces cinegrade's grades; the editor's other effects stay. ``cinegrade match`` and
``cinegrade look`` are this command with only one of the two steps (the other step's earlier
result, if any, is kept). The work is :func:`cinegrade.grade_timeline`'s.
"""

from __future__ import annotations

import os

import click

from cinegrade.cli.shot_work import (
    analysis_options,
    evidence_option,
    evidence_sources,
    shot_work,
    within_shot_option,
)
from cinegrade.cli.timeline_input import (
    kdenlive_line,
    kdenlive_version_option,
    note,
    reading,
    stacked,
    timeline_input,
)
from cinegrade.cli.timeline_input import kdenlive_version as _version

#: Options shared by ``grade``, ``match`` and ``look``.
common_options = stacked([
    click.option("-o", "--output", required=True, metavar="OUT",
                 help="The graded timeline (any OTIO adapter; .kdenlive for Kdenlive)."),
    click.option("--force", is_flag=True, help="Replace OUT if it exists (kept as .bak)."),
    click.option("--lut-size", type=click.Choice(["33", "65"]), default="33", show_default=True,
                 help="Lattice size of the .cube files."),
    click.option("--quiet", "-q", is_flag=True, help="No table on the terminal."),
    kdenlive_version_option,
    analysis_options,
    timeline_input,
])


#: The matching options of ``grade`` and ``match``.
match_options = stacked([
    click.option("--reference", metavar="CLIP", help="Match the scene of CLIP to CLIP "
                 "[default: a clip marked 'reference', else the shot nearest the scene's median]."),
    click.option("--method", type=click.Choice(["lut", "cdl"]), default="lut", show_default=True,
                 help="lut: white balance, exposure, tone, saturation baked; cdl: an ASC CDL any "
                 "grading system reads."),
    click.option("--strength", type=click.FloatRange(0, 1), default=1.0, show_default=True,
                 help="How much of the match to apply."),
    click.option("--scene-by", type=click.Choice(["markers", "auto", "none"]), default="markers",
                 show_default=True, help="Scenes from 'scene…' markers/guides, by content, or none."),
    evidence_option,
    within_shot_option,
])


@click.command("grade")
@click.argument("timeline", type=click.Path(dir_okay=False, path_type=str))
@common_options
@match_options
@click.option("--look", metavar="LOOK", help="A look (cinegrade looks) or a .cube, over every shot.")
@click.option("--look-strength", type=click.FloatRange(0, 1), default=1.0, show_default=True,
              help="How much of the look.")
@click.option("--report", "report_path", metavar="FILE.html", help="HTML report of the graded result.")
def grade(timeline: str, **options) -> None:
    """Match the shots of TIMELINE, lay a look over them and write the graded timeline to OUT."""
    run(timeline, **options)


def run(timeline: str, *, output: str, force: bool = False, lut_size: str = "33",
        jobs: int | None = None, no_cache: bool = False, cache_dir: str | None = None,
        scheduler: str | None = None,
        adapter: str | None = None, rate: str | None = None, adapter_args: tuple[str, ...] = (),
        sequence: str | None = None, quiet: bool = False, report_path: str | None = None,
        kdenlive_version: str = "auto", evidence: str = "all", no_within_shot: bool = False,
        **grading) -> None:
    """:func:`cinegrade.grade_timeline` with the command's options (``grading``: its own
    keyword arguments), then the table."""
    from cinegrade.api import grade_timeline

    graded = grade_timeline(timeline, output, lut_size=int(lut_size), report=report_path,
                            overwrite=force, reading=reading(adapter, rate, adapter_args, sequence),
                            work=shot_work(jobs, no_cache, cache_dir, quiet, scheduler), on_note=note,
                            kdenlive_version=_version(kdenlive_version),
                            evidence=evidence_sources(evidence), within_shot=not no_within_shot,
                            **grading)
    if not quiet:
        click.echo(grade_table(graded.shots, graded.grades))
        click.echo(f"wrote {output} and {len(graded.cubes)} .cube file(s) in {graded.grades_folder}")
        line = kdenlive_line(output, kdenlive_version, graded.otio_timeline)
        if line:
            click.echo(line)
        if report_path:
            click.echo(f"report: {report_path}")


def grade_table(shots, grades) -> str:
    """One line per shot: scene, reference, evidence, what the match corrects, the look, and how
    many CDL keyframes hold a drifting shot to its start."""
    rows = [("CLIP", "SCENE", "REFERENCE", "EVIDENCE", "CONF", "EXPOSURE", "WB", "SAT", "LOOK",
             "ALONG THE SHOT")]
    held = 0
    uncertain = 0
    unmatched: list[str] = []
    for shot in shots:
        grade = grades[shot.index]
        m = grade.match
        if m is None:
            cells = ("-", "-", "-", "-", "-", "-", "-")
        else:
            s = m.summary()
            applied = m.confidence * m.strength
            cells = ((m.scene or "-").removeprefix("scene: "), m.reference_name or "-",
                     m.evidence + (f" via {m.via.clip_name}" if m.via is not None else "")
                     + (f" ({', '.join(m.sources)})" if m.sources else "")
                     + (" (uncertain)" if m.uncertain else ""), f"{m.confidence:.2f}",
                     f"{-s['exposure_stops'] * applied:+.2f} EV", f"{-s['mired'] * applied:+.0f} mired",
                     f"x{s['saturation'] ** -applied:.2f}")
            if m.evidence == "none":
                unmatched.append(f"{shot.clip_name} ({shot.media_path or shot.media_url or 'no media'})")
            uncertain += m.uncertain and m.evidence != "none"
        look = "-" if grade.look is None else f"{os.path.basename(grade.look)} {grade.look_strength:g}"
        along = f"{len(grade.keyframes)} keyframes" if grade.keyframes else "-"
        held += bool(grade.keyframes)
        rows.append((_short(shot.clip_name, 32), *cells, look, along))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    if uncertain:
        lines.append(f"{uncertain} match(es) uncertain: no content aligned with the reference, so "
                     "the correction rests on whole-shot statistics and was shrunk toward none")
    if held:
        lines.append(f"{held} shot(s) drift along their length: each held to its start by CDL "
                     "keyframes (Kdenlive: a SOP/Sat with keyframes)")
    if unmatched:
        named = ", ".join(unmatched[:3]) + (f" and {len(unmatched) - 3} more" if len(unmatched) > 3 else "")
        lines.append(f"{len(unmatched)} shot(s) not matched: no readable media or statistics "
                     f"(their reference or they themselves), so no correction: {named}")
    return "\n".join(lines)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"
