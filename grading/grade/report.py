"""The HTML report of a graded timeline: the continuity report of the graded result
(:mod:`cinegrade.continuity.report`) with a table of the grades, and for a look from a still,
the still beside the shots before and after with the distances measured."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cinegrade.colour.still_look import LookDistance, look_distance
from cinegrade.continuity.report import render_report, thumbnail_uri
from cinegrade.grade.grade import Grade


def grade_report(result, grades: Mapping[int, Grade], title: str,
                 along_before: Mapping[int, object] | None = None) -> str:
    """The continuity report (:func:`cinegrade.continuity.report.render_report`) of the graded
    result, with a table of the grades: each shot's reference, method, evidence, confidence and
    the correction applied — a match made on whole-shot statistics only is marked uncertain —
    and the CDL keyframes that hold a drifting shot to its start. ``along_before``: each shot's
    drift along its length as measured (the result's being after the grade): each drifting
    shot's curve is plotted before and after."""
    page = render_report(result, title, along_before)
    rows = ["<h2>Grades</h2>",
            ("<p>Corrections applied (shot → its scene's reference). <i>uncertain</i>: the shot "
             "shares no content the matcher could align with its reference; the correction rests "
             "on whole-shot statistics and was shrunk toward none.</p>"),
            ("<table><tr><th>clip</th><th>scene</th><th>reference</th><th>method</th>"
             "<th>evidence</th><th>confidence</th><th>exposure</th><th>white balance</th>"
             "<th>saturation</th><th>look</th><th>along the shot</th></tr>")]
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
                + (f" ({html.escape(', '.join(m.sources))})" if m.sources else "") \
                + (" — <b>uncertain</b>" if m.uncertain else "")
            cells = [html.escape(str(m.scene or "")), html.escape(m.reference_name or ""), m.method,
                     evidence, f"{m.confidence:.2f}", f"{-s['exposure_stops'] * t:+.2f} stops",
                     f"{-s['mired'] * t:+.0f} mired", f"×{s['saturation'] ** -t:.2f}"]
        along = (f"held to its start: {len(grade.keyframes)} CDL keyframes (frames "
                 f"{', '.join(str(k.frame) for k in grade.keyframes)})") if grade.keyframes else ""
        rows.append(f"<tr><td>{html.escape(shot.clip_name)}</td>"
                    + "".join(f"<td>{c}</td>" for c in cells)
                    + f"<td>{html.escape(look)}</td><td>{html.escape(along)}</td></tr>")
    rows.append("</table>")
    return page.replace("</body></html>", "\n".join(rows) + "\n</body></html>")


# --------------------------------------------------------------------------------------------
# A look from a still


@dataclass(frozen=True)
class StillComparison:
    """A look from a still, measured on the graded shots: the still's name, the look's
    strength, the distances (:class:`~cinegrade.colour.still_look.LookDistance`) of all shots
    pooled to the still before and after their grade, and per shot (shot index, clip name,
    before, after);
    ``still`` and ``views`` keep the pictures the report shows (still (H, W, 3), per shot index
    the frame before and after)."""

    still_name: str
    strength: float
    before: LookDistance
    after: LookDistance
    shots: tuple[tuple[int, str, LookDistance, LookDistance], ...]
    still: np.ndarray = field(repr=False, compare=False, default=None)
    frames: Mapping[int, tuple[np.ndarray, np.ndarray]] = field(repr=False, compare=False, default=None)


def compare_to_still(still: np.ndarray, still_name: str, strength: float, shots: Sequence,
                     views: Mapping[int, object], grades: Mapping[int, Grade]) -> StillComparison:
    """Measure each shot's frames (``views[shot.index].frames``, display-referred Rec.709)
    before and after its grade (``grades``; a shot without one is the same after) against the
    ``still`` with :func:`~cinegrade.colour.still_look.look_distance`, per shot and pooled.
    Shots without a view are left out."""
    before_all, after_all, per_shot, pictures = [], [], [], {}
    for shot in shots:
        view = views.get(shot.index)
        if view is None or not view.frames:
            continue
        grade = grades.get(shot.index)
        before = list(view.frames)
        after = [grade.apply(f).astype(np.float32) if grade is not None else f for f in before]
        per_shot.append((shot.index, shot.clip_name, look_distance(still, before), look_distance(still, after)))
        before_all += before
        after_all += after
        middle = len(before) // 2
        pictures[shot.index] = (before[middle], after[middle])
    if not before_all:
        raise ValueError("no shot has frames to compare with the still")
    return StillComparison(still_name, float(strength), look_distance(still, before_all),
                           look_distance(still, after_all), tuple(per_shot), still, pictures)


def _distance_cells(distance: LookDistance) -> list[str]:
    hue = "–" if distance.hue is None else f"{distance.hue:.1f}°"
    return [f"{distance.tone:.2f}", f"{distance.chroma:.2f}", hue]


def still_section(comparison: StillComparison, shots: Sequence) -> str:
    """HTML: the still beside every shot before and after its grade, and the distances of the
    shots' tone (L*), chroma (C*ab) and hue (chroma-weighted h_ab) to the still's, before and
    after (1-Wasserstein), pooled and per shot; it states the look's strength."""
    c = comparison
    rows = [f'<h2 id="still-look">Look from the still {html.escape(c.still_name)}</h2>',
            (f"<p>The still's tone curve and palette (cinegrade.colour.still_look) laid over every "
             f"shot at <b>strength {c.strength:g}</b> (mixed with the ungraded picture, baked into "
             "each shot's LUT). Distances to the still: earth mover's (1-Wasserstein) distance "
             "between the distributions of CIE L* (tone), C*ab (chroma) and the chroma-weighted "
             "hue angle h_ab (hue, on the circle); lower is closer to the still's look. They "
             "compare distributions, so shots of other content stay some way from the still.</p>"),
            '<div class="shot">'
            f'<img alt="the still" src="{thumbnail_uri(c.still, 240)}" style="width:240px">'
            f'<div class="meta"><b>{html.escape(c.still_name)}</b><br>the still</div></div>',
            ('<table style="margin:8px 0"><tr><th></th><th>tone (L*)</th><th>chroma (C*)</th><th>hue</th></tr>'
             + "".join(f"<tr><td>{label}</td>" + "".join(f"<td>{v}</td>" for v in _distance_cells(d)) + "</tr>"
                       for label, d in (("all shots, before", c.before), ("all shots, after", c.after)))
             + "</table>"),
            '<div class="strip">']
    measured = {index: (before, after) for index, _, before, after in c.shots}
    for shot in shots:
        pictures = (c.frames or {}).get(shot.index)
        if pictures is None or shot.index not in measured:
            continue
        before, after = measured[shot.index]
        images = "".join(f'<img alt="{html.escape(shot.clip_name)} {label}" title="{label}" '
                         f'src="{thumbnail_uri(frame)}">' for label, frame in zip(("before", "after"), pictures))
        numbers = " · ".join(f"{name} {b} → {a}" for name, b, a in
                             zip(("tone", "chroma", "hue"), _distance_cells(before), _distance_cells(after)))
        rows.append(f'<div class="shot">{images}<div class="meta"><b>{html.escape(shot.clip_name)}</b>'
                    f"<br>before → after: {numbers}</div></div>")
    rows.append("</div>")
    return "\n".join(rows)


def with_section(page: str, section: str) -> str:
    """``page`` (a report) with ``section`` (HTML) added at its end."""
    return page.replace("</body></html>", section + "\n</body></html>")
