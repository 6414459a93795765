"""``cinegrade analyze TIMELINE``: measure every shot on the timeline's video tracks.

A readable table by default; ``--json FILE`` (``-`` for stdout) writes this schema (``version`` 1;
fields are only ever added, a change of meaning gets a new version)::

    {
      "version": 1,
      "timeline": str (the path given),
      "settings": {"samples": int, "width": int, "fast": bool, "dense": int,
                   "dense_width": int},
      "shots": [{
        "index": int, "track": int, "index_in_track": int, "clip": str, "scene": str|null,
        "media": {"kind": "movie"|"image_sequence"|"still"|"missing"|"generator",
                  "path": str|null},
        "source": {"start": int, "duration": int, "rate": float},   (frames, media time)
        "record": {"start": int, "duration": int, "rate": float},   (frames from the
                                                                    timeline's first frame)
        "sampled_frames": [int],   (media frame numbers, 0 = the stream's first frame)
        "cached": bool,
        "stats": {                 (cinegrade.analysis.stats: units and references there)
          "analysed": bool, "reason": str|null, "version": int, "frame_count": int,
          "exposure_stops": float, "luminance_display": {"p1","p5","p50","p95","p99": float},
          "luminance_linear": {...same keys}, "clip_high": float, "clip_low": float,
          "cct_kelvin": float, "duv": float, "mired": float, "illuminant_xy": [x, y],
          "neutral_share": float, "illuminant_reliable": bool, "saturation": float,
          "lab_chroma": float,
          "contrast": float, "lab_mean": [L, a, b], "lab_covariance": [[3 floats] x3],
          "hue_histogram": [24 floats], "frame_exposure_stops": [float],
          "frame_mired": [float], "flicker": float|null
        }                          (all statistics null when "analysed" is false)
      }]
    }

Shots whose media is missing or unreadable are listed with ``analysed`` false and the reason; the
exit code is 0 all the same (the run goes on), 2 only for an unreadable timeline or bad options.
Statistics are cached on disk (``--cache-dir``, default ``$CINEGRADE_CACHE_DIR`` or
``~/.cache/cinegrade/stats``) by media path, size and mtime, source range and settings.
"""

from __future__ import annotations

import click

from cinegrade.cli.shot_work import analysis_options, emit_json, shot_work
from cinegrade.cli.timeline_input import note, reading, timeline_input


@click.command("analyze")
@click.argument("timeline", type=click.Path(dir_okay=True, path_type=str))
@click.option("--json", "json_path", metavar="FILE",
              help="Write the JSON schema to FILE (- for stdout).")
@click.option("--samples", default=5, show_default=True, type=click.IntRange(1, 1000),
              help="Frames sampled per shot.")
@click.option("--fast", is_flag=True, help="Sample the nearest keyframes instead of exact frames.")
@click.option("--width", default=480, show_default=True, type=click.IntRange(16, 8192),
              help="Analysis width in pixels.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@analysis_options
@timeline_input
def analyze(timeline: str, json_path: str | None, samples: int, jobs: int | None, fast: bool,
            width: int, quiet: bool, no_cache: bool, cache_dir: str | None,
            scheduler: str | None, **input_options) -> None:
    """Measure every shot of TIMELINE: exposure, white balance, saturation, contrast, flicker."""
    from cinegrade.api import analyze_timeline

    analysis = analyze_timeline(timeline, samples=samples, width=width, fast=fast,
                                reading=reading(**input_options),
                                work=shot_work(jobs, no_cache, cache_dir, quiet, scheduler), on_note=note)
    report = analysis.to_json()
    if json_path is None:
        click.echo(_table(report))
    else:
        emit_json(json_path, report)


def _table(report: dict) -> str:
    def number(value, fmt: str) -> str:
        return "-" if value is None else format(value, fmt)

    header = ("#", "clip", "expo", "CCT K", "duv", "mired", "sat", "contr", "flick", "clip±",
              "status")
    rows = [header]
    for shot in report["shots"]:
        s = shot["stats"]
        clipped = "-" if s["clip_high"] is None else \
            f"{100 * s['clip_high']:.0f}/{100 * s['clip_low']:.0f}%"
        light = (s["cct_kelvin"], s["duv"], s["mired"]) if s.get("illuminant_reliable") \
            else (None, None, None)
        status = ("cached" if shot["cached"] else "ok") if s["analysed"] else s["reason"]
        if s["analysed"] and not s.get("illuminant_reliable"):
            status += ", no neutrals to read the light from"
        rows.append((
            str(shot["index"]), shot["clip"] or "", number(s["exposure_stops"], "+.2f"),
            number(light[0], ".0f"), number(light[1], "+.4f"), number(light[2], ".1f"),
            number(s["saturation"], ".3f"), number(s["contrast"], ".2f"),
            number(s["flicker"], ".3f"), clipped, status,
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = ["  ".join(cell.ljust(w) if i == 1 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(row, widths))) + "  " + row[-1]
             for row in rows]
    done = sum(1 for shot in report["shots"] if shot["stats"]["analysed"])
    lines.append(f"{done} of {len(report['shots'])} shots analysed "
                 "(expo: stops vs 18% grey; sat: mean chroma about Rec.709 luma; "
                 "contr: log2 luminance std; flick: stops RMS)")
    return "\n".join(lines)
