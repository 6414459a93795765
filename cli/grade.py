"""``cinegrade grade TIMELINE -o OUT``: match every shot to its scene's reference, lay a look over
the film, write the graded timeline and (``--report``) check the result.

Each graded clip gets one .cube (match and look composed) in ``<OUT stem>.grades/`` and the OTIO
effect ``cinegrade.grade`` pointing at it (Kdenlive: the Apply LUT effect); with ``--method cdl``
the fitted ASC CDL also goes into ``clip.metadata["cdl"]`` (EDL ``*ASC_SOP``/``*ASC_SAT``).
A re-run replaces cinegrade's grades; the editor's other effects stay. ``cinegrade match`` and
``cinegrade look`` are this command with only one of the two steps (the other step's earlier
result, if any, is kept).
"""

from __future__ import annotations

import os

import click

from cinegrade.cli.shot_work import analysis_options, progress_bar, shot_executor
from cinegrade.cli.timeline_input import load_timeline, stacked, timeline_input

#: Options shared by ``grade``, ``match`` and ``look``.
common_options = stacked([
    click.option("-o", "--output", required=True, metavar="OUT",
                 help="The graded timeline (any OTIO adapter; .kdenlive for Kdenlive)."),
    click.option("--force", is_flag=True, help="Replace OUT if it exists (kept as .bak)."),
    click.option("--lut-size", type=click.Choice(["33", "65"]), default="33", show_default=True,
                 help="Lattice size of the .cube files."),
    click.option("--quiet", "-q", is_flag=True, help="No table on the terminal."),
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
    run(timeline, match=True, **options)


def run(timeline: str, *, output: str, force: bool = False, lut_size: str = "33",
        jobs: int | None = None, no_cache: bool = False, cache_dir: str | None = None,
        adapter: str | None = None, rate: str | None = None, adapter_args: tuple[str, ...] = (),
        sequence: str | None = None, quiet: bool = False, match: bool = True,
        reference: str | None = None, method: str = "lut", strength: float = 1.0,
        scene_by: str = "markers", look: str | None = None, keep_look: bool = True,
        look_strength: float = 1.0, report_path: str | None = None) -> None:
    """The steps of ``grade`` (``match`` False: keep the clips' earlier matches; ``keep_look``
    with ``look`` None: keep their earlier looks)."""
    from pathlib import Path

    from cinegrade.analysis.cache import StatsCache
    from cinegrade.grade.effects import (
        attach_grade,
        clip_grade,
        match_from_metadata,
        relative_cube,
        remove_grade,
    )
    from cinegrade.grade.grade import Grade, match_timeline, write_grade_cubes
    from cinegrade.timeline.files import (
        check_readable,
        write_timeline,
    )
    from cinegrade.timeline.shots import clip_of, shots_from_timeline

    if look is not None:
        from cinegrade.luts.looks import resolve_look

        look_lut = resolve_look(look)  # fail on a bad look before any work
    check_readable(timeline)
    if os.path.exists(output) and os.path.samefile(output, timeline):
        from cinegrade.errors import InputError

        raise InputError("refusing to overwrite the input timeline; write to a new file", output)
    loaded, _ = load_timeline(timeline, adapter, rate, adapter_args, sequence)
    shots = tuple(s for s in shots_from_timeline(loaded, timeline) if s.enabled)
    earlier = {s.index: clip_grade(clip_of(loaded, s)) for s in shots}

    found = None
    matches = {}
    if match or report_path:
        cache = None if no_cache else StatsCache(cache_dir)
        with progress_bar(len(shots), "measuring", quiet) as progress, \
                shot_executor(jobs, len(shots)) as executor:
            found = match_timeline(loaded, shots, reference=reference, method=method,
                                   strength=strength, scene_by=scene_by, cache=cache, match=match,
                                   executor=executor, progress=progress)
        matches = dict(found.matches)
    grades = {}
    for shot in shots:
        before = earlier.get(shot.index) or {}
        shot_match = matches.get(shot.index) if match else \
            match_from_metadata(shot.index, shot.clip_name, before)
        shot_look, strength_of_look = look, look_strength
        if look is None and keep_look and before.get("look"):
            shot_look, strength_of_look = before["look"], float(before.get("look_strength", 1.0))
        grades[shot.index] = Grade(shot.index, shot.clip_name, shot_match, shot_look,
                                   strength_of_look,
                                   look_lut if look is not None and shot_look == look else None)
    cubes = write_grade_cubes(list(grades.values()), output, int(lut_size))
    for shot in shots:
        clip = clip_of(loaded, shot)
        if shot.index in cubes:
            attach_grade(clip, grades[shot.index], relative_cube(cubes[shot.index], output))
        else:
            remove_grade(clip)
    write_timeline(loaded, output, overwrite=force)

    if report_path and found is not None:
        from cinegrade.grade.grade import grade_report, graded_continuity
        from cinegrade.media.atomic import write_text_atomically

        result = graded_continuity(found, grades)
        write_text_atomically(report_path, grade_report(result, grades,
                                                        f"{os.path.basename(output)} (graded)"))
    if not quiet:
        click.echo(grade_table(shots, grades, found))
        click.echo(f"wrote {output} and {len(cubes)} .cube file(s) in "
                   f"{Path(output).with_name(Path(output).stem + '.grades')}")
        if report_path:
            click.echo(f"report: {report_path}")


def grade_table(shots, grades, found) -> str:
    """One line per shot: scene, reference, evidence, what the match corrects, the look."""
    rows = [("CLIP", "SCENE", "REFERENCE", "EVIDENCE", "CONF", "EXPOSURE", "WB", "SAT", "LOOK")]
    uncertain = unmatched = 0
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
                     + (" (uncertain)" if m.uncertain else ""), f"{m.confidence:.2f}",
                     f"{-s['exposure_stops'] * applied:+.2f} EV", f"{-s['mired'] * applied:+.0f} mired",
                     f"x{s['saturation'] ** -applied:.2f}")
            unmatched += m.evidence == "none"
            uncertain += m.uncertain and m.evidence != "none"
        look = "-" if grade.look is None else f"{os.path.basename(grade.look)} {grade.look_strength:g}"
        rows.append((_short(shot.clip_name, 32), *cells, look))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    if uncertain:
        lines.append(f"{uncertain} match(es) uncertain: no content aligned with the reference, so "
                     "the correction rests on whole-shot statistics and was shrunk toward none")
    if unmatched:
        lines.append(f"{unmatched} shot(s) not matched: no readable media or statistics "
                     "(their reference or they themselves), so no correction")
    return "\n".join(lines)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"
