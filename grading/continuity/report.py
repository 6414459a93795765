"""A continuity check → one self-contained HTML page (the writer; no colour maths).

The page needs nothing beside itself: thumbnails are inline JPEG data URIs (Pillow), plots are
inline SVG (no matplotlib, no scripts), styles are inline CSS. It shows a strip of every shot's
thumbnail in timeline order with that shot's warnings beside it (the cut's warnings on the shot
after the cut), plots of exposure, white balance and saturation along the timeline, and the full
warning list worst first. Every text from the timeline is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from cinegrade.continuity.creep import READINGS, creep_readings, in_unit, reading_series
from cinegrade.continuity.rules import ERROR, ContinuityWarning

#: Thumbnail width in pixels.
THUMB_WIDTH = 160
SEVERITY_COLOURS = {ERROR: "#d7263d", "warning": "#f49d37", "info": "#8a8f98"}


def thumbnail_uri(frame: np.ndarray, width: int = THUMB_WIDTH) -> str:
    """A display-referred Rec.709 float frame (H, W, 3) in [0, 1] as a JPEG data URI."""
    from PIL import Image

    rgb = np.clip(np.asarray(frame, dtype=np.float32) * 255 + 0.5, 0, 255).astype(np.uint8)
    image = Image.fromarray(rgb)
    height = max(1, round(image.height * width / image.width))
    image = image.resize((width, height), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _plot_open(title: str, unit: str, width: int, height: int, box: tuple[int, int, int, int]) -> list[str]:
    """The start of an inline SVG chart: its title and the plot frame; ``box`` is the margin
    (left, right, top, bottom) in pixels."""
    left, right, top, bottom = box
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{html.escape(title)}">',
            f'<text x="{left}" y="15" class="plot-title">{html.escape(title)} '
            f'({html.escape(unit)})</text>',
            f'<rect x="{left}" y="{top}" width="{width - left - right}" '
            f'height="{height - top - bottom}" fill="none" stroke="#bbb"/>']


def _nothing_measured(width: int, height: int) -> str:
    return (f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" '
            'class="axis">nothing measured</text></svg>')


def _axes(x_range: tuple[float, float], y_range: tuple[float, float], width: int, height: int,
          box: tuple[int, int, int, int], x_label: str, x_text_y: float, parts: list[str]):
    """Scales from data to pixels for the plot frame (a range of zero width widened by one; the
    values padded by a tenth), with three value ticks and the first and last ``x_label`` drawn
    into ``parts``; returns ``(px, py)``."""
    left, right, top, bottom = box
    (x0, x1), (y0, y1) = x_range, y_range
    if x1 - x0 < 1e-9:
        x0, x1 = x0 - 1, x1 + 1
    pad = max((y1 - y0) * 0.1, 1e-3 * max(1.0, abs(y1)))
    y0, y1 = y0 - pad, y1 + pad

    def px(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * (width - left - right)

    def py(y: float) -> float:
        return top + (y1 - y) / (y1 - y0) * (height - top - bottom)

    for value in (y0 + pad, (y0 + y1) / 2, y1 - pad):
        parts.append(f'<text x="{left - 4}" y="{py(value) + 4:.1f}" class="axis" '
                     f'text-anchor="end">{value:.3g}</text>')
    parts.append(f'<text x="{left}" y="{x_text_y}" class="axis">{x_label} {x0:.0f}</text>')
    parts.append(f'<text x="{width - right}" y="{x_text_y}" class="axis" '
                 f'text-anchor="end">{x_label} {x1:.0f}</text>')
    return px, py


def line_plot_svg(title: str, unit: str, xs: Sequence[float], ys: Sequence[float | None],
                  labels: Sequence[str], marks: Sequence[bool] = (), width: int = 720,
                  height: int = 180) -> str:
    """An inline SVG line chart of ``ys`` (None: not measured) against ``xs`` (timeline frames),
    points titled by ``labels``; points whose ``marks`` is true are drawn in the warning colour."""
    box = (56, 12, 24, 28)
    points = [(x, y, label, bool(marks[i]) if i < len(marks) else False)
              for i, (x, y, label) in enumerate(zip(xs, ys, labels)) if y is not None]
    parts = _plot_open(title, unit, width, height, box)
    if not points:
        return "".join(parts) + _nothing_measured(width, height)
    px, py = _axes((min(p[0] for p in points), max(p[0] for p in points)),
                   (min(p[1] for p in points), max(p[1] for p in points)),
                   width, height, box, "frame", height - 8, parts)
    path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y, _, _ in points)
    parts.append(f'<polyline points="{path}" fill="none" stroke="#3066be" stroke-width="1.5"/>')
    for x, y, label, marked in points:
        colour = SEVERITY_COLOURS["warning"] if marked else "#3066be"
        parts.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3.5" fill="{colour}">'
                     f'<title>{html.escape(label)}: {y:.4g} {html.escape(unit)}</title>'
                     '</circle>')
    parts.append("</svg>")
    return "".join(parts)


def series_plot_svg(title: str, unit: str, series: Sequence[tuple], width: int = 360,
                    height: int = 170, x_label: str = "frame", min_span: float = 0.0) -> str:
    """An inline SVG chart of several series, each ``(name, xs, ys, colour, line)``: ``line``
    "solid" joins the points and marks them, "dashed" draws a dashed line without marks
    (a fit); a legend names them. The value axis spans zero, and at least ``min_span`` (so
    that noise does not fill the plot). Nothing measured: a note instead."""
    box = (52, 10, 24, 40)
    left, right = box[0], box[1]
    drawn = [(name, [(float(x), float(y)) for x, y in zip(xs, ys) if y is not None and np.isfinite(y)],
              colour, line) for name, xs, ys, colour, line in series]
    points = [p for _, pts, _, _ in drawn for p in pts]
    parts = _plot_open(title, unit, width, height, box)
    if not points:
        return "".join(parts) + _nothing_measured(width, height)
    y0, y1 = min(min(p[1] for p in points), 0.0), max(max(p[1] for p in points), 0.0)
    if y1 - y0 < min_span:
        y0, y1 = (y0 + y1 - min_span) / 2, (y0 + y1 + min_span) / 2
    px, py = _axes((min(p[0] for p in points), max(p[0] for p in points)), (y0, y1),
                   width, height, box, x_label, height - 24, parts)
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{py(0.0):.1f}" y2="{py(0.0):.1f}" '
                 'stroke="#ddd"/>')
    legend = left
    for name, pts, colour, line in drawn:
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
        dash = ' stroke-dasharray="5,3"' if line == "dashed" else ""
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                     f'stroke-width="1.5"{dash}><title>{html.escape(name)}</title></polyline>')
        if line != "dashed":
            for x, y in pts:
                parts.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.5" fill="{colour}">'
                             f'<title>{html.escape(name)}, {x_label} {x:.0f}: {y:.4g} '
                             f'{html.escape(unit)}</title></circle>')
        parts.append(f'<line x1="{legend}" x2="{legend + 14}" y1="{height - 9}" y2="{height - 9}" '
                     f'stroke="{colour}" stroke-width="2"{dash}/>'
                     f'<text x="{legend + 18}" y="{height - 5}" class="axis">{html.escape(name)}</text>')
        legend += 24 + 6 * len(name)
    parts.append("</svg>")
    return "".join(parts)


#: Least span of a plot of a reading along a shot, by unit: about a just-noticeable change.
MIN_SPAN = {"stops": 0.2, "mired": 10.0, "%": 10.0, "display": 0.02}
#: Colours of the curves along a shot: measured (before a grade), its fit, after the grade.
ALONG_COLOURS = {"measured": "#3066be", "fit": "#8aa6d8", "after": "#2a9d4b"}


#: Readings plotted for every drifting shot; the others (contrast, black level) where their
#: creep lies :data:`SIGNIFICANT` standard errors from zero.
MAIN_READINGS = ("exposure", "white balance (+ warmer)", "saturation")
SIGNIFICANT = 5.0


def along_section(shots: Sequence, along: Mapping[int, object],
                  warnings: Sequence[ContinuityWarning], before: Mapping[int, object] | None = None
                  ) -> str:
    """HTML: each drifting shot's drift along its length, one plot per reading
    (:data:`MAIN_READINGS` and any other that creeps). Without ``before``: the shots with a
    within-shot finding in ``warnings``, their measured curve (relative to the shot's first
    frames) and its flat-then-ramp fit. With ``before`` (the curves measured before a grade;
    ``along`` then holds them after it): also every shot whose curve the grade changed, before
    and after. Empty when no shot drifts."""
    flagged = {w.clip_index for w in warnings
               if w.rule in ("creep_within_shot", "flicker_along") and w.clip_index in along}
    if before is not None:
        flagged |= {i for i, measured in before.items()
                    if i in along and along[i].components != measured.components}
    if not flagged:
        return ""
    out = ["<h2>Drift inside shots</h2>",
           "<p>Each drifting shot's frames compared with its first frames on the content they "
           "share (exposure of 18 % grey, white balance, saturation, …), frame by frame along "
           "the shot" + (", before the grade and after it (predicted: the measured drift less "
           "what the grade's keyframes undo)" if before is not None else
           ", with the fitted creep (flat, then a ramp to the shot's end)") + ".</p>"]
    for shot in shots:
        if shot.index not in flagged:
            continue
        measured = (before or along).get(shot.index)
        after = along.get(shot.index) if before is not None else None
        fits = {r.what: r for r in creep_readings(measured)}
        names = [n for n in reading_series(measured) if n in MAIN_READINGS
                 or (n in fits and fits[n].z >= SIGNIFICANT)]
        plots = []
        for name in names:
            t, y, _ = reading_series(measured)[name]
            series = [("measured" if after is None else "before", t, in_unit(name, y),
                       ALONG_COLOURS["measured"], "solid")]
            if after is None and name in fits:
                series.append(("fit", t, [fits[name].at(x) for x in t], ALONG_COLOURS["fit"], "dashed"))
            if after is not None:
                ta, ya, _ = reading_series(after)[name]
                series.append(("after", ta, in_unit(name, ya), ALONG_COLOURS["after"], "solid"))
            unit = READINGS[name][1]
            plots.append(series_plot_svg(name, unit, series, x_label="frame",
                                         min_span=MIN_SPAN.get(unit, 0.0)))
        out.append(f'<div class="along" id="along-{shot.index}"><b>{html.escape(shot.clip_name)}</b> '
                   f"(track {shot.track_index}, timeline frames {shot.record.start}–"
                   f"{shot.record.end - 1}; frames below count from the shot's first)<br>"
                   + "".join(plots) + "</div>")
    return "\n".join(out)


_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
.summary{color:#555}
.strip{display:flex;flex-direction:column;gap:6px}
.shot{display:flex;gap:12px;align-items:flex-start;background:#fff;border:1px solid #ddd;
 border-radius:6px;padding:6px}
.shot img{width:160px;height:auto;border-radius:3px;background:#000;flex:none}
.shot .noimg{width:160px;height:90px;background:#444;color:#eee;display:flex;
 align-items:center;justify-content:center;font-size:.8em;flex:none}
.meta{min-width:220px;font-size:.85em}.meta b{font-size:1.05em}
.warnings{list-style:none;margin:0;padding:0;font-size:.85em;flex:1}
.warnings li{margin:2px 0;padding:2px 6px;border-left:4px solid #f49d37;background:#fff8ef}
.warnings li.error{border-color:#d7263d;background:#fff0f1}
.warnings li.info{border-color:#8a8f98;background:#f4f5f7;color:#444}
.ok{color:#2a7f3e;font-size:.85em}
.scene{font-size:.8em;color:#666;margin:10px 0 2px}
svg.plot{background:#fff;border:1px solid #ddd;border-radius:6px;margin:4px 4px 4px 0}
.along{margin:8px 0;font-size:.85em}
.plot-title{font-size:12px;font-weight:600}.axis{font-size:10px;fill:#666}
table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #ddd;padding:3px 6px;
 text-align:left}th{background:#eee}
"""


def render_report(result, title: str = "continuity check",
                  along_before: Mapping[int, object] | None = None) -> str:
    """The page (HTML text) for a :class:`cinegrade.continuity.run.ContinuityResult`: shots in
    track then record order; exposure in stops, white balance in mired (reliable illuminants
    only), saturation in display units; each drifting shot's curve along its length
    (:func:`along_section`; ``along_before``: the curves before a grade, the result's being
    after it)."""
    shots = sorted(result.shots, key=lambda s: (s.track_index, s.record.start))
    by_clip: dict[int, list[ContinuityWarning]] = {}
    for warning in result.warnings:
        by_clip.setdefault(warning.clip_index, []).append(warning)
    errors = sum(1 for w in result.warnings if w.severity == ERROR)
    infos = sum(1 for w in result.warnings if w.severity == "info")
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>cinegrade check: {html.escape(title)}</title>",
           f"<style>{_STYLE}</style></head><body>",
           f"<h1>cinegrade continuity check: {html.escape(title)}</h1>",
           f'<p class="summary">{len(result.shots)} shots, {len(result.cuts)} cuts within '
           f"scenes, {len(result.warnings) - infos} warnings ({errors} error{'s' * (errors != 1)}), {infos} uncertain "
           "findings (info: cuts without shared content, judged on whole frames).</p>",
           "<h2>Shots</h2>", '<div class="strip">']
    scene = object()
    for shot in shots:
        label = result.scenes.get(shot.index)
        if label != scene:
            out.append(f'<div class="scene">{html.escape(str(label))}</div>')
            scene = label
        view = result.views.get(shot.index)
        if view is not None and view.frames:
            image = (f'<img alt="{html.escape(shot.clip_name)}" '
                     f'src="{thumbnail_uri(view.frames[len(view.frames) // 2])}">')
        else:
            image = '<div class="noimg">no picture</div>'
        stats = result.stats.get(shot.index)
        numbers = ""
        if stats is not None and stats.analysed:
            light = f"{stats.cct_kelvin:.0f} K" if stats.illuminant_reliable \
                else "light unknown (no neutral surfaces)"
            numbers = (f"<br>exposure {stats.exposure_stops:+.2f} stops · "
                       f"{light} · saturation {stats.saturation:.3f}")
        elif stats is not None:
            numbers = f"<br>not analysed: {html.escape(stats.reason or '')}"
        out.append(f'<div class="shot" id="shot-{shot.index}">{image}<div class="meta">'
                   f"<b>{html.escape(shot.clip_name)}</b><br>track {shot.track_index}, frames "
                   f"{shot.record.start}–{shot.record.end - 1}{numbers}</div>")
        found = by_clip.get(shot.index, [])
        if found:
            out.append('<ul class="warnings">')
            for warning in found:
                out.append(f'<li class="{html.escape(warning.severity)}">'
                           f"<b>{html.escape(warning.severity)}</b> "
                           f"{html.escape(warning.rule)}: {html.escape(warning.message)}</li>")
            out.append("</ul>")
        else:
            out.append('<span class="ok">no warnings</span>')
        out.append("</div>")
    out.append("</div>")

    out.append("<h2>Along the timeline</h2>")
    xs, labels, exposure, mired, saturation, marks = [], [], [], [], [], []
    flagged = {w.clip_index for w in result.warnings}
    for shot in shots:
        stats = result.stats.get(shot.index)
        ok = stats is not None and stats.analysed
        xs.append(shot.record.start + shot.record.duration / 2)
        labels.append(shot.clip_name)
        exposure.append(stats.exposure_stops if ok else None)
        mired.append(stats.mired if ok and stats.illuminant_reliable else None)
        saturation.append(stats.saturation if ok else None)
        marks.append(shot.index in flagged)
    out.append(line_plot_svg("Exposure (median vs 18 % grey)", "stops", xs, exposure, labels, marks))
    out.append(line_plot_svg("White balance (estimated illuminant)", "mired", xs, mired, labels,
                             marks))
    out.append(line_plot_svg("Saturation (mean chroma about Rec.709 luma)", "display", xs,
                             saturation, labels, marks))

    out.append(along_section(shots, getattr(result, "along", {}) or {}, result.warnings, along_before))

    out.append("<h2>All warnings, worst first</h2>")
    if result.warnings:
        out.append("<table><tr><th>severity</th><th>rule</th><th>frame</th><th>clip</th>"
                   "<th>after</th><th>value</th><th>threshold</th><th>message</th></tr>")
        for w in result.warnings:
            value = "" if w.value is None else f"{w.value:+.3g} {w.unit}"
            threshold = "" if w.threshold is None else f"{w.threshold:g}"
            out.append(f'<tr><td style="color:{SEVERITY_COLOURS.get(w.severity, "#000")}">'
                       f"{html.escape(w.severity)}</td><td>{html.escape(w.rule)}</td>"
                       f"<td>{w.record_frame}</td><td><a href=\"#shot-{w.clip_index}\">"
                       f"{html.escape(w.clip)}</a></td><td>{html.escape(w.other_clip or '')}</td>"
                       f"<td>{html.escape(value)}</td><td>{threshold}</td>"
                       f"<td>{html.escape(w.message)}</td></tr>")
        out.append("</table>")
    else:
        out.append('<p class="ok">No continuity warnings.</p>')
    out.append("</body></html>")
    return "\n".join(out)


def write_report(path: str | os.PathLike, result, title: str = "continuity check") -> Path:
    """Write :func:`render_report` to ``path`` atomically (temp file beside it, then rename)."""
    from cinegrade.media.atomic import write_text_atomically

    write_text_atomically(path, render_report(result, title))
    return Path(path)
