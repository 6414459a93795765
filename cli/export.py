"""``cinegrade export TIMELINE (--ccc FILE | --cdl-dir DIR | --edl FILE | --lut-dir DIR)``: hand a
graded timeline's grades to another grading system.

- ``--ccc FILE``: one ASC CDL ``ColorCorrectionCollection``, a ``ColorCorrection`` per clip with a
  CDL (id = the clip's name, made unique).
- ``--cdl-dir DIR``: one ``.cdl`` (``ColorDecisionList`` with the clip's media as ``MediaRef``)
  per clip with a CDL.
- ``--edl FILE``: a CMX 3600 EDL (OTIO's cmx_3600 adapter) whose events carry ``*ASC_SOP`` and
  ``*ASC_SAT`` (from ``clip.metadata["cdl"]``; cinegrade's grade's CDL is put there first).
- ``--lut-dir DIR``: each graded clip's .cube, copied as ``<clip>.cube``.

CDLs are those of ``--method cdl`` grades (or a CDL the clip came with, e.g. from an EDL); clips
graded with ``--method lut`` have only their .cube, and are listed as such.
"""

from __future__ import annotations

import re

import click

from cinegrade.cli.timeline_input import load_timeline, timeline_input


@click.command("export")
@click.argument("timeline", type=click.Path(dir_okay=False, path_type=str))
@click.option("--ccc", "ccc_path", metavar="FILE", help="Write an ASC CDL collection (.ccc).")
@click.option("--cdl-dir", metavar="DIR", help="Write one .cdl per clip into DIR.")
@click.option("--edl", "edl_path", metavar="FILE", help="Write a CMX 3600 EDL with ASC CDL.")
@click.option("--lut-dir", metavar="DIR", help="Copy each clip's .cube into DIR.")
@timeline_input
@click.option("--force", is_flag=True, help="Replace files that exist.")
def export(timeline: str, ccc_path: str | None, cdl_dir: str | None, edl_path: str | None,
           lut_dir: str | None, force: bool, rate: str | None, **input_options) -> None:
    """Export the grades of TIMELINE (written by cinegrade grade/match/look)."""
    from pathlib import Path

    from cinegrade.errors import InputError
    from cinegrade.grade.effects import clip_cdl, clip_grade
    from cinegrade.media.atomic import write_bytes_atomically
    from cinegrade.media.cdl_files import (
        CDLDocument,
        ColorCorrection,
        cdl_to_otio_metadata,
        write_cdl_file,
    )
    from cinegrade.otio_plugins.kdenlive_writer import cube_path
    from cinegrade.timeline.files import (
        write_timeline,
    )
    from cinegrade.timeline.shots import clip_of, shots_from_timeline

    targets = [t for t in (ccc_path, cdl_dir, edl_path, lut_dir) if t]
    if len(targets) != 1:
        raise InputError("give exactly one of --ccc FILE, --cdl-dir DIR, --edl FILE, --lut-dir DIR")
    loaded, _ = load_timeline(timeline, rate=rate, **input_options)
    shots = shots_from_timeline(loaded, timeline)
    base = str(Path(timeline).resolve().parent)
    ids: dict[str, int] = {}

    def unique(name: str) -> str:
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "clip"
        count = ids.get(safe, 0)
        ids[safe] = count + 1
        return safe if count == 0 else f"{safe}_{count + 1}"

    def refuse_existing(path: Path) -> None:
        if path.exists() and not force:
            raise InputError("exists already (use --force to replace it)", path)

    done, without = 0, []
    if ccc_path or cdl_dir:
        corrections = []
        for shot in shots:
            cdl = clip_cdl(clip_of(loaded, shot))
            if cdl is None:
                if clip_grade(clip_of(loaded, shot)):
                    without.append(shot.clip_name)
                continue
            corrections.append(ColorCorrection(cdl, id=unique(shot.clip_name),
                                               media_ref=shot.media_url or shot.media_path))
        if ccc_path:
            refuse_existing(Path(ccc_path))
            write_cdl_file(ccc_path, CDLDocument(tuple(corrections), kind="ccc"), "ccc")
        else:
            folder = Path(cdl_dir)
            folder.mkdir(parents=True, exist_ok=True)
            for correction in corrections:
                path = folder / f"{correction.id}.cdl"
                refuse_existing(path)
                write_cdl_file(path, CDLDocument((correction,), kind="cdl"), "cdl")
        done = len(corrections)
    elif edl_path:
        for shot in shots:
            clip = clip_of(loaded, shot)
            cdl = clip_cdl(clip)
            if cdl is not None:
                clip.metadata["cdl"] = cdl_to_otio_metadata(cdl)
                done += 1
            elif clip_grade(clip):
                without.append(shot.clip_name)
        write_timeline(loaded, edl_path, "cmx_3600", overwrite=force, rate=rate) if rate else \
            write_timeline(loaded, edl_path, "cmx_3600", overwrite=force)
    else:
        folder = Path(lut_dir)
        folder.mkdir(parents=True, exist_ok=True)
        for shot in shots:
            grade = clip_grade(clip_of(loaded, shot))
            if not grade or not grade.get("cube"):
                continue
            source = Path(cube_path(grade["cube"], base))
            if not source.is_file():
                raise InputError("the grade's .cube is missing", source)
            path = folder / f"{unique(shot.clip_name)}.cube"
            refuse_existing(path)
            write_bytes_atomically(path, source.read_bytes())
            done += 1
    click.echo(f"exported {done} grade(s) to {targets[0]}")
    if without:
        click.echo(f"{len(without)} graded clip(s) have no CDL (graded with --method lut; "
                   f"use --lut-dir): {', '.join(without[:8])}{' …' if len(without) > 8 else ''}")
