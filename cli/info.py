"""``cinegrade info TIMELINE``: a timeline's tracks and clips, and what each clip's media is.

A readable table by default. ``--json`` prints this schema (``version`` 1; fields are only ever
added, a change of meaning gets a new version)::

    {
      "version": 1,
      "timeline": {"path": str, "adapter": str, "name": str, "rate": float,
                   "start": TC, "duration": TC, "duration_frames": int},
      "tracks": [{"index": int, "name": str, "kind": "video"|"audio"|..., "enabled": bool,
                  "clips": int}],
      "clips": [{"index": int, "track": int, "track_name": str, "track_kind": str,
                 "index_in_track": int, "name": str, "enabled": bool, "scene": str|null,
                 "record": {"in": TC, "out": TC, "in_frame": int, "frames": int, "rate": float},
                 "source": {"in": TC, "out": TC, "in_frame": int, "frames": int, "rate": float},
                 "media": {"kind": "movie"|"image_sequence"|"still"|"missing"|"generator",
                           "path": str|null, "url": str|null, "exists": bool,
                           "codec", "container", "pixel_format": str|null,
                           "width", "height", "frames": int|null,
                           "frame_rate", "duration": float|null (fps, seconds),
                           "color_primaries", "color_transfer", "color_matrix",
                           "color_range": str|null (FFmpeg names: bt709, smpte170m, tv, pc),
                           "error": str|null}}]
    }

TC is a timecode string ``HH:MM:SS:FF`` (``;`` before the frames for drop-frame rates), or
``<frames>f`` at rates SMPTE timecode has no form for. Record timecodes include the timeline's
start time; ``out`` is exclusive (the first frame after the clip), as in an EDL; ``in_frame`` of
the record counts from the timeline's first frame. Media of clips on non-video tracks is not probed
(``codec`` etc. are null).
"""

from __future__ import annotations

import json

import click

from cinegrade.cli.timeline_input import note, reading, timeline_input


@click.command("info")
@click.argument("timeline", type=click.Path(dir_okay=True, path_type=str))
@click.option("--json", "as_json", is_flag=True, help="Print the documented JSON schema (version 1).")
@timeline_input
def info(timeline: str, as_json: bool, **input_options) -> None:
    """Describe TIMELINE: tracks, clips, record/source timecodes, media and its colour tags."""
    from cinegrade.api import describe_timeline

    report = describe_timeline(timeline, reading=reading(**input_options), on_note=note)
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        click.echo(info_table(report))


def info_table(report: dict) -> str:
    """The terminal table of a :func:`cinegrade.describe_timeline` document."""
    head = report["timeline"]
    lines = [f"{head['name'] or '(unnamed)'}  [{head['adapter']}]  {head['path']}",
             f"rate {head['rate']:g} fps, start {head['start']}, duration {head['duration']} "
             f"({head['duration_frames']} frames)",
             "tracks: " + ", ".join(f"{t['index']}:{t['name'] or '-'} ({t['kind']}, {t['clips']} "
                                    f"clips{'' if t['enabled'] else ', disabled'})"
                                    for t in report["tracks"])]
    header = ("#", "TRK", "IDX", "CLIP", "REC IN", "REC OUT", "SRC IN", "SRC OUT", "MEDIA", "OK",
              "CODEC", "SIZE", "FPS", "PIXFMT", "PRIM/TRC/MATRIX/RANGE")
    rows = [header]
    for clip in report["clips"]:
        media = clip["media"]
        size = f"{media['width']}x{media['height']}" if media["width"] else "-"
        tags = "/".join(media[k] or "?" for k in ("color_primaries", "color_transfer",
                                                   "color_matrix", "color_range"))
        state = "yes" if media["exists"] and not media["error"] else (
            "no" if not media["exists"] else "bad")
        rows.append((str(clip["index"]), f"{clip['track']}{clip['track_kind'][:1].upper()}",
                     str(clip["index_in_track"]), _short(clip["name"], 28),
                     clip["record"]["in"], clip["record"]["out"], clip["source"]["in"],
                     clip["source"]["out"],
                     _short(media["path"] or f"({media['kind']})", 40, left=True), state,
                     media["codec"] or "-", size,
                     f"{media['frame_rate']:g}" if media["frame_rate"] else "-",
                     media["pixel_format"] or "-", tags if media["codec"] else "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines += ["", *("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
                    for row in rows)]
    errors = [(clip["index"], clip["media"]["error"]) for clip in report["clips"]
              if clip["media"]["error"] and clip["media"]["exists"]]
    lines += [f"clip {index}: {error}" for index, error in errors]
    return "\n".join(lines)


def _short(text: str, width: int, left: bool = False) -> str:
    if len(text) <= width:
        return text
    return "…" + text[-(width - 1):] if left else text[:width - 1] + "…"
