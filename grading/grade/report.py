"""The HTML report of a graded timeline: the continuity report of the graded result
(:mod:`cinegrade.continuity.report`) with a table of the grades."""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path

from cinegrade.continuity.report import render_report
from cinegrade.grade.grade import Grade


def grade_report(result, grades: Mapping[int, Grade], title: str) -> str:
    """The continuity report (:func:`cinegrade.continuity.report.render_report`) of the graded
    result, with a table of the grades: each shot's reference, method, evidence, confidence and
    the correction applied — a match made on whole-shot statistics only is marked uncertain."""
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
                + (f" ({html.escape(', '.join(m.sources))})" if m.sources else "") \
                + (" — <b>uncertain</b>" if m.uncertain else "")
            cells = [html.escape(str(m.scene or "")), html.escape(m.reference_name or ""), m.method,
                     evidence, f"{m.confidence:.2f}", f"{-s['exposure_stops'] * t:+.2f} stops",
                     f"{-s['mired'] * t:+.0f} mired", f"×{s['saturation'] ** -t:.2f}"]
        rows.append(f"<tr><td>{html.escape(shot.clip_name)}</td>"
                    + "".join(f"<td>{c}</td>" for c in cells) + f"<td>{html.escape(look)}</td></tr>")
    rows.append("</table>")
    return page.replace("</body></html>", "\n".join(rows) + "\n</body></html>")
