"""``cinegrade check TIMELINE``: continuity warnings — a table, JSON, timeline markers, a report.

Terminal table of warnings, worst first (errors, then how far past the threshold). Options:

- ``-o FILE``: the timeline with each warning as a marker on its clip (colour by severity, the
  measurement in ``metadata["cinegrade"]``); cinegrade's earlier markers are replaced, the
  editor's kept. Through the Kdenlive adapter they become guides in the "cinegrade" category.
- ``--json FILE`` (``-`` for stdout), schema ``version`` 1 (fields are only ever added)::

      {"version": 1, "timeline": str, "scene_by": "markers"|"auto"|"none",
       "settings": {name: number},            (cinegrade.continuity.rules.ContinuitySettings)
       "warnings": [{"rule": str, "severity": "info"|"warning"|"error", "clip": str,
                     "other_clip": str|null,  (the shot before the cut, for cut rules)
                     "record_frame": int,     (frames from the timeline's first frame; a
                                               creep_within_shot: where the creep starts, a
                                               flicker_along: where it wobbles most)
                     "value": float|null, "threshold": float|null, "unit": str,
                     "message": str, "method": "aligned"|"global"|"scene"|null,
                     "scene": str|null, "clip_index": int, "other_index": int|null,
                     "evidence": [str]}],
       "cuts": [{"before": str, "after": str, "record_frame": int, "scene": str|null,
                 "measure": {"method", "exposure_stops", "mired", "saturation_ratio",
                             "contrast_ratio", "black_level", "delta_e", "overlap",
                             "inliers", "pixels"}}],
       "within_shot": [{"clip": str, "clip_index": int,
                        "record_frame": int,  (the shot's first frame on the timeline)
                        "duration": int,      (the shot's length, source frames)
                        "offsets": [int],     (the measured frames, from the shot's first)
                        "readings": {"exposure" | "white balance (+ warmer)" | "saturation" |
                                     "contrast" | "black level":
                                     {"unit": str, "values": [float]}},   (at the offsets,
                                                                           relative to the start)
                        "creeps": [{"reading": str, "value": float, "unit": str,
                                    "start": int, "z": float|null}]}]}   (each reading's
                                                                           flat-then-ramp fit)

  Rules ``creep_within_shot`` (a reading that changes steadily over the shot: ``value`` its
  size from ``record_frame`` to the shot's end) and ``flicker_along`` (exposure wobbling from
  sample to sample, stops RMS) come from ``within_shot``; with ``--no-within-shot`` no shot is
  measured along its length: neither rule finds anything and ``within_shot`` is empty.

- ``--report FILE.html``: one self-contained page (thumbnails inline, plots as SVG).
- ``--fail-on warning|error``: exit 1 when a warning of that severity or worse is found
  (``info``: cuts judged on whole frames, as uncertain, never count).
- ``--config FILE`` (TOML or JSON) and ``--set NAME=VALUE``: any threshold.
- Exit codes: 0 fine (or no ``--fail-on``), 1 ``--fail-on`` matched, 2 bad input.
"""

from __future__ import annotations

import sys

import click

from cinegrade.cli.shot_work import (
    analysis_options,
    emit_json,
    evidence_option,
    evidence_sources,
    shot_work,
    within_shot_option,
)
from cinegrade.cli.timeline_input import (
    kdenlive_line,
    kdenlive_version_option,
    note,
    reading,
    timeline_input,
)
from cinegrade.cli.timeline_input import kdenlive_version as _version


@click.command("check")
@click.argument("timeline", type=click.Path(dir_okay=True, path_type=str))
@click.option("-o", "--output", metavar="FILE", help="Write the timeline with a marker per warning.")
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists (the old one is kept as .bak).")
@click.option("--json", "json_path", metavar="FILE", help="Write the warnings as JSON (- for stdout).")
@click.option("--report", "report_path", metavar="FILE.html", help="Write a self-contained HTML report.")
@click.option("--fail-on", type=click.Choice(["warning", "error"]),
              help="Exit 1 when a warning of this severity or worse is found.")
@click.option("--config", "config_path", metavar="FILE", help="Thresholds from a TOML or JSON file.")
@click.option("--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Set one threshold, e.g. --set exposure_stops=0.3 (repeatable).")
@click.option("--scene-by", type=click.Choice(["markers", "auto", "none"]), default="markers",
              show_default=True, help="Scenes from 'scene…' markers/guides, by content, or none.")
@evidence_option
@within_shot_option
@kdenlive_version_option
@analysis_options
@timeline_input
@click.option("--quiet", "-q", is_flag=True, help="No table and no progress on the terminal.")
def check(timeline: str, output: str | None, force: bool, json_path: str | None,
          report_path: str | None, fail_on: str | None, config_path: str | None,
          overrides: tuple[str, ...], scene_by: str, jobs: int | None, no_cache: bool,
          cache_dir: str | None, quiet: bool, kdenlive_version: str, scheduler: str | None,
          evidence: str, no_within_shot: bool, **input_options) -> None:
    """Check TIMELINE for continuity breaks between and within shots."""
    from cinegrade.api import check_timeline
    from cinegrade.continuity.rules import settings_from

    settings = settings_from(config_path, _pairs(overrides))
    checked = check_timeline(timeline, settings=settings, scene_by=scene_by, output=output,
                             overwrite=force, report=report_path,
                             reading=reading(**input_options),
                             work=shot_work(jobs, no_cache, cache_dir, quiet, scheduler),
                             kdenlive_version=_version(kdenlive_version), on_note=note,
                             evidence=evidence_sources(evidence), within_shot=not no_within_shot)
    if json_path:
        emit_json(json_path, checked.to_json())
    if not quiet and json_path != "-":
        click.echo(warning_table(checked.warnings, len(checked.result.shots),
                                 len(checked.result.cuts)))
        line = kdenlive_line(output, kdenlive_version, checked.otio_timeline) if output else None
        if line:
            click.echo(line)
    if fail_on and checked.failing(fail_on):
        sys.exit(1)


def _pairs(overrides: tuple[str, ...]) -> dict[str, str]:
    from cinegrade.errors import InputError

    values = {}
    for text in overrides:
        name, separator, value = text.partition("=")
        if not separator:
            raise InputError(f"{{field}} {text!r} is not NAME=VALUE", field="set")
        values[name] = value
    return values


def warning_table(warnings, shots: int, cuts: int) -> str:
    """The terminal table, worst first."""
    if not warnings:
        return f"no continuity warnings ({shots} shots, {cuts} cuts checked)"
    rows = [("SEVERITY", "RULE", "FRAME", "CLIP", "VALUE", "THRESHOLD", "MESSAGE")]
    for w in warnings:
        value = "-" if w.value is None else f"{w.value:+.3g} {w.unit}".strip()
        threshold = "-" if w.threshold is None else f"{w.threshold:g}"
        rows.append((w.severity, w.rule, str(w.record_frame), _short(w.clip, 30), value,
                     threshold, w.message))
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row[:6], widths)) + "  " + row[6]
             for row in rows]
    errors = sum(1 for w in warnings if w.severity == "error")
    infos = sum(1 for w in warnings if w.severity == "info")
    lines.append(f"{len(warnings) - infos} warnings ({errors} error{'s' * (errors != 1)}) and {infos} uncertain "
                 f"findings (info) in {shots} shots, {cuts} cuts")
    return "\n".join(lines)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"
