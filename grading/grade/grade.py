"""Matches and looks → one grade per shot, baked into one .cube per graded clip.

A :class:`Grade` is what one clip gets: its match toward the scene's reference
(:class:`cinegrade.matching.match.Match`, may be absent) followed by a look (a shipped look's
name or the user's .cube, blended at ``look_strength``). :func:`bake_grade` composes both into
one 3D LUT on display-referred Rec.709 [0, 1] — what Kdenlive's Apply LUT and every NLE expect —
and :func:`write_grade_cubes` writes them into ``<OUT stem>.grades/`` beside the output timeline.

:func:`match_timeline` runs the steps before it for a whole timeline (statistics, views, scenes,
references, matches); :func:`graded_continuity` checks the graded result with the continuity
rules, on the same views through each shot's LUT.
"""

from __future__ import annotations

import concurrent.futures
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cinegrade.colour.lut import AnyLUT, apply_lut, bake_lut3d
from cinegrade.errors import InputError
from cinegrade.matching.match import Match
from cinegrade.media.cube import write_cube

LUT_SIZES = (33, 65)


@dataclass(frozen=True)
class Grade:
    """One clip's grade: ``match`` (None: no correction) then ``look`` (None: no look) at
    ``look_strength``. ``look_lut`` is the look's LUT as read (a shipped look or the user's)."""

    shot_index: int
    clip_name: str
    match: Match | None = None
    look: str | None = None
    look_strength: float = 1.0
    look_lut: AnyLUT | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.look_strength <= 1.0:
            raise InputError(f"--look-strength {self.look_strength:g} is outside 0..1")
        if self.look is not None and self.look_lut is None:
            from cinegrade.luts.looks import resolve_look

            object.__setattr__(self, "look_lut", resolve_look(self.look))

    @property
    def is_identity(self) -> bool:
        return (self.match is None or self.match.is_identity) and \
            (self.look is None or self.look_strength == 0.0)

    def apply(self, rgb: np.ndarray) -> np.ndarray:
        """Display-referred Rec.709 RGB (..., 3) through the match, then the look (blended),
        exactly (no LUT lattice in between); float64."""
        out = np.asarray(rgb, dtype=np.float64)
        if self.match is not None:
            out = self.match.correct(out)
        if self.look_lut is not None and self.look_strength > 0:
            looked = apply_lut(np.clip(out, 0.0, 1.0), self.look_lut)
            out = (1.0 - self.look_strength) * out + self.look_strength * looked
        return np.clip(out, 0.0, 1.0)


def bake_grade(grade: Grade, size: int = 33):
    """``grade`` sampled on a ``size``³ lattice over display-referred [0, 1] (33 or 65)."""
    if size not in LUT_SIZES:
        raise InputError(f"LUT size {size} is not one of {', '.join(map(str, LUT_SIZES))}")
    lut = bake_lut3d(lambda rgb: grade.apply(rgb) + 0.0, size, f"cinegrade grade {grade.clip_name}")
    return lut


def grades_folder(output: str | Path) -> Path:
    """``<OUT stem>.grades/`` beside the output timeline: where its clips' .cube files go."""
    output = Path(output)
    return output.with_name(f"{output.stem}.grades")


def cube_name(grade: Grade) -> str:
    """File name of a grade's .cube: shot number and the clip's name, made file-safe."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", grade.clip_name).strip("._") or "clip"
    return f"{grade.shot_index + 1:03d}-{safe[:60]}.cube"


def grade_comments(grade: Grade) -> tuple[str, ...]:
    """The lines a grade's .cube carries as comments: what it is made of."""
    lines = ["Display-referred Rec.709 in and out (cinegrade grade)."]
    if grade.match is not None and grade.match.evidence not in ("reference", "none"):
        m = grade.match
        lines.append(f"Match to {m.reference_name!r}: method {m.method}, {m.evidence}, "
                     f"confidence {m.confidence:.2f}, strength {m.strength:g}")
    if grade.look is not None:
        lines.append(f"Look {Path(grade.look).name if '/' in grade.look else grade.look} "
                     f"at {grade.look_strength:g}")
    return tuple(lines)


def write_grade_cubes(grades: Sequence[Grade], output: str | Path, size: int = 33
                      ) -> dict[int, Path]:
    """Bake and write each non-identity grade to ``<OUT stem>.grades/<nnn>-<clip>.cube``
    (atomically); returns the paths by shot index. Cubes of earlier runs for clips that are no
    longer graded are left alone (the user may still reference them)."""
    folder = grades_folder(output)
    written: dict[int, Path] = {}
    todo = [g for g in grades if not g.is_identity]
    if todo:
        folder.mkdir(parents=True, exist_ok=True)
    for grade in todo:
        written[grade.shot_index] = write_cube(bake_grade(grade, size), folder / cube_name(grade),
                                               grade_comments(grade))
    return written


# --------------------------------------------------------------------------------------------
# Whole timelines


@dataclass(frozen=True)
class TimelineMatch:
    """What :func:`match_timeline` found: statistics and views of every shot, scenes, the
    reference of each scene and each shot's match."""

    shots: tuple
    stats: Mapping[int, object]
    views: Mapping[int, object]
    scenes: Mapping[int, str]
    references: Mapping[str, int | None]
    matches: Mapping[int, Match]


def match_timeline(timeline, shots: Sequence, reference: str | None = None, method: str = "lut",
                   strength: float = 1.0, scene_by: str = "markers",
                   executor: concurrent.futures.Executor | None = None, cache=None,
                   progress=None, match: bool = True) -> TimelineMatch:
    """Match every shot of ``timeline`` to its scene's reference: statistics (cached), views
    (a few frames at 320 px and their ORB features), scenes (markers, as ``check``), references
    (``reference`` clip, "reference" markers, else automatic), then one
    :func:`~cinegrade.matching.match.match_shot` per shot; a shot without content shared with
    its reference is then matched through another aligned shot of the scene it shares content
    with (:func:`~cinegrade.matching.match.match_via`), where there is one. With ``match`` False only the
    measurements are made (``matches`` empty)."""
    from cinegrade.analysis.run import analyse_shots
    from cinegrade.analysis.sampler import SampleSettings
    from cinegrade.correspondence.views import shot_views
    from cinegrade.matching.match import choose_references, match_shot, reference_markers
    from cinegrade.timeline.scenes import group_scenes

    shots = tuple(shots)
    analysed = analyse_shots(shots, SampleSettings(), executor, cache, progress)
    stats = {a.shot.index: a.stats for a in analysed}
    views = shot_views(shots, executor)
    scenes = group_scenes(shots, "auto" if scene_by == "auto" else scene_by, _alike(shots, stats)
                          if scene_by == "auto" else None)
    references = choose_references({s.index: s.clip_name for s in shots}, scenes, stats,
                                   reference, reference_markers(timeline, shots))
    matches: dict[int, Match] = {}
    if match:
        names = {s.index: s.clip_name for s in shots}
        jobs = []
        for shot in shots:
            ref = references.get(scenes[shot.index])
            view, ref_view = views.get(shot.index), views.get(ref) if ref is not None else None
            jobs.append(dict(
                shot_index=shot.index, clip_name=shot.clip_name, scene=scenes[shot.index],
                reference_index=ref, reference_name=names.get(ref), method=method,
                strength=strength, frames=view.frames if view else (),
                reference_frames=ref_view.frames if ref_view else (),
                stats=stats.get(shot.index), reference_stats=stats.get(ref),
                features=view.features if view else None,
                reference_features=ref_view.features if ref_view else None))
        if executor is None:
            results = [match_shot(**job) for job in jobs]
        else:
            results = list(executor.map(_match_job, jobs))
        matches = {m.shot_index: m for m in results}
        matches.update(matches_via(matches, views, scenes))
    return TimelineMatch(shots, stats, views, scenes, references, matches)


def matches_via(matches: Mapping[int, Match], views: Mapping, scenes: Mapping[int, str]
                 ) -> dict[int, Match]:
    """Shots that share no content with their reference, matched instead through a shot of the
    scene that does and that they share content with (the best supported), when there is one."""
    from cinegrade.matching.match import ALIGNED, GLOBAL, NONE, match_via

    redone = {}
    for index, match in matches.items():
        if match.evidence not in (GLOBAL, NONE) or match.reference_index is None \
                or index not in views:
            continue
        best = None
        for other, candidate in matches.items():
            if other == index or candidate.evidence != ALIGNED or candidate.via is not None \
                    or scenes.get(other) != scenes.get(index) or other not in views:
                continue
            chained = match_via(match, candidate, views[index].frames, views[other].frames,
                                views[index].features, views[other].features)
            if chained is not None and (best is None or chained.pixels > best.pixels):
                best = chained
        if best is not None:
            redone[index] = best
    return redone


def _match_job(job: dict) -> Match:
    from cinegrade.matching.match import match_shot

    return match_shot(**job)


def _alike(shots, stats) -> dict[tuple[int, int], bool]:
    from cinegrade.timeline.scenes import (
        AUTO_LIKENESS,
        consecutive_pairs,
        content_likeness,
    )

    alike = {}
    for before, after in consecutive_pairs(shots):
        likeness = content_likeness(stats.get(before.index), stats.get(after.index))
        alike[(before.index, after.index)] = likeness is not None and likeness >= AUTO_LIKENESS
    return alike


def graded_continuity(found: TimelineMatch, grades: Mapping[int, Grade]):
    """The continuity check (:mod:`cinegrade.continuity.rules`) of the graded timeline, on the
    matching's views through each shot's grade: statistics, cut measures and warnings as
    ``cinegrade check`` would find them on the rendered result (flicker aside: the views hold no
    run of consecutive frames). Returns a
    :class:`~cinegrade.continuity.run.ContinuityResult`."""
    from cinegrade.analysis.stats import shot_stats
    from cinegrade.continuity.rules import CheckInput, Cut, check_continuity
    from cinegrade.continuity.run import ContinuityResult, measure_pairs
    from cinegrade.correspondence.align import shot_features
    from cinegrade.correspondence.views import ShotView
    from cinegrade.timeline.scenes import consecutive_pairs

    views, stats = {}, {}
    for shot in found.shots:
        view = found.views.get(shot.index)
        if view is None:
            stats[shot.index] = found.stats.get(shot.index)
            continue
        grade = grades.get(shot.index)
        frames = tuple(grade.apply(f).astype(np.float32) if grade is not None else f
                       for f in view.frames)
        views[shot.index] = ShotView.of(frames, shot_features(frames))
        stats[shot.index] = shot_stats(list(frames))
    pairs = consecutive_pairs(found.shots)
    with warnings.catch_warnings():  # RANSAC warns for every frame pair it cannot fit
        warnings.simplefilter("ignore")
        measures = measure_pairs(pairs, views, stats)
    cuts = tuple(Cut(b, a, measures[(b.index, a.index)], found.scenes[a.index])
                 for b, a in pairs if found.scenes[b.index] == found.scenes[a.index])
    data = CheckInput(found.shots, stats, cuts, {}, found.scenes)
    flagged = tuple(check_continuity(data))
    return ContinuityResult(found.shots, stats, views, cuts, found.scenes, flagged, {})


def grade_report(result, grades: Mapping[int, Grade], title: str) -> str:
    """The continuity report (:func:`cinegrade.continuity.report.render_report`) of the graded
    result, with a table of the grades: each shot's reference, method, evidence, confidence and
    the correction applied — a match made on whole-shot statistics only is marked uncertain."""
    import html

    from cinegrade.continuity.report import render_report

    page = render_report(result, title)
    rows = ["<h2>Grades</h2>",
            ("<p>Corrections applied (shot → its scene's reference). <i>uncertain</i>: the shot "
             "shares no content the matcher could align with its reference; the correction rests "
             "on whole-shot statistics and was shrunk toward none.</p>"),
            ("<table><tr><th>clip</th><th>scene</th><th>reference</th><th>method</th>"
             "<th>evidence</th><th>confidence</th><th>exposure</th><th>white balance</th>"
             "<th>saturation</th><th>look</th></tr>")]
    for shot in result.shots:
        grade = grades.get(shot.index)
        if grade is None:
            continue
        m = grade.match
        look = "" if grade.look is None else f"{Path(grade.look).name} at {grade.look_strength:g}"
        if m is None:
            cells = ["", "", "", "", "", "", "", ""]
        else:
            s = m.summary()
            t = m.confidence * m.strength
            evidence = m.evidence + (f" via {html.escape(m.via.clip_name)}" if m.via else "") \
                + (" — <b>uncertain</b>" if m.uncertain else "")
            cells = [html.escape(str(m.scene or "")), html.escape(m.reference_name or ""), m.method,
                     evidence, f"{m.confidence:.2f}", f"{-s['exposure_stops'] * t:+.2f} stops",
                     f"{-s['mired'] * t:+.0f} mired", f"×{s['saturation'] ** -t:.2f}"]
        rows.append(f"<tr><td>{html.escape(shot.clip_name)}</td>"
                    + "".join(f"<td>{c}</td>" for c in cells) + f"<td>{html.escape(look)}</td></tr>")
    rows.append("</table>")
    return page.replace("</body></html>", "\n".join(rows) + "\n</body></html>")
