"""Kdenlive 22.12 under Xvfb on one project, as an editor would use it: the clip clicked on the
timeline (Kdenlive then shows its effect stack), a screenshot, optional further input, the
project saved (File > Save, through Kdenlive's D-Bus), the visible windows listed.

The screen is tall (1280×1600) so that the effect stack shows every parameter of a SOP/Sat;
:func:`effect_stack_sliders` measures the sliders in the screenshot (Kdenlive's default Breeze
Dark colours, a private home)."""

from __future__ import annotations

import subprocess
import tempfile
import textwrap
from pathlib import Path

import numpy as np
from kdenlive_session import kdenlive_start

SCREEN = (1280, 1600)
#: Where a clip on V1 that starts the timeline and lasts ≥ 5 s lies at Kdenlive's default zoom.
CLIP_AT = (220, 550)
#: The value field of the first slider of the first effect in the stack (its right end).
FIRST_SLIDER_VALUE_AT = (1235, 563)
#: Kdenlive's slider colours (Breeze Dark): the empty part and the filled part.
SLIDER_EMPTY, SLIDER_FILL = (27, 30, 32), (48, 52, 57)


def clip_session(project: Path, work: Path, then: str = "") -> list[str]:
    """Open ``project`` in Kdenlive (a private home in a short temporary folder), click its clip,
    take ``work/stack.png``, run the shell lines ``then`` (e.g. xdotool input), save the project
    in place, take ``work/saved.png`` and quit; the names of the visible windows (one: no dialog).
    Kdenlive's log is ``work/kdenlive.log``."""
    work.mkdir(parents=True, exist_ok=True)
    session = kdenlive_start("$SHORT/home") + textwrap.dedent(f"""\
        win=$(xdotool search --onlyvisible --name "^$NAME" | head -1)
        xdotool windowmove $win 0 0 windowsize $win {SCREEN[0]} {SCREEN[1]}; sleep 2
        xdotool mousemove {CLIP_AT[0]} {CLIP_AT[1]} click 1; sleep 1.5
        /usr/bin/import-im6.q16 -window root "$WORK/stack.png"
        """) + textwrap.dedent(then) + textwrap.dedent("""\
        service=$(dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.ListNames \\
                  | grep -o 'org\\.kde\\.kdenlive-[0-9]*' | head -1)
        dbus-send --session --print-reply --dest="$service" /kdenlive/MainWindow_1 \\
            org.kde.KMainWindow.activateAction string:file_save > /dev/null; sleep 2
        /usr/bin/import-im6.q16 -window root "$WORK/saved.png"
        for w in $(xdotool search --onlyvisible --name '.' 2>/dev/null); do echo "WINDOW $(xdotool getwindowname $w)"; done
        kill $pid 2>/dev/null; sleep 1; kill -9 $pid 2>/dev/null
        kill $bus 2>/dev/null
        exit 0
        """)
    script = work / "session.sh"
    script.write_text(session)
    with tempfile.TemporaryDirectory(prefix="cgs") as short:  # sockets: 108-byte paths
        result = subprocess.run(
            ["xvfb-run", "-a", "-s", f"-screen 0 {SCREEN[0]}x{SCREEN[1]}x24", "sh", str(script)],
            env={"WORK": str(work), "SHORT": short, "PROJECT": str(project), "NAME": project.stem,
                 "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=150)
    windows = [line[len("WINDOW "):] for line in result.stdout.splitlines() if line.startswith("WINDOW ")]
    print(f"screenshots: {work}/stack.png, saved.png; windows: {windows}")
    return windows


def effect_stack_sliders(screenshot: Path, left: int = 880) -> list[tuple[int, int, int]]:
    """The sliders of Kdenlive's effect stack (right of x = ``left``) in ``screenshot``, top to
    bottom: (top row, filled pixels, width). A slider is a band ≥ 12 rows high whose rows are
    mostly slider colours; its fill is measured two rows below its top, above the label text."""
    from PIL import Image

    pixels = np.asarray(Image.open(screenshot).convert("RGB")).astype(int)[:, left:]
    empty = np.abs(pixels - SLIDER_EMPTY).sum(-1) <= 6
    fill = np.abs(pixels - SLIDER_FILL).sum(-1) <= 8
    rows = (empty | fill).sum(axis=1) > 200
    bands, start = [], None
    for y, inside in enumerate(np.r_[rows, False]):
        if inside and start is None:
            start = y
        elif not inside and start is not None:
            if y - start >= 12:
                bands.append(start)
            start = None
    sliders = []
    for top in bands:
        y = top + 2
        columns = np.flatnonzero(empty[y] | fill[y])
        first, last = columns[0], columns[-1]
        filled = np.flatnonzero(fill[y, first:last + 1])
        sliders.append((top, int(filled[-1] + 1) if filled.size else 0, int(last - first + 1)))
    return sliders


def keyframe_marks(screenshot: Path, first_slider_top: int, left: int = 880) -> list[float]:
    """The x centres of the keyframe marks (white diamonds) on the keyframe ruler of the first
    effect in the stack, which lies above its first slider (top row ``first_slider_top``): the
    row, within 90 pixels above, where the most white runs 7 to 11 pixels wide lie."""
    from PIL import Image

    pixels = np.asarray(Image.open(screenshot).convert("RGB")).astype(int)
    best: list[float] = []
    for y in range(max(first_slider_top - 90, 0), first_slider_top):
        white = np.r_[False, (pixels[y, left:] > 200).all(-1), False].astype(int)
        starts, ends = np.flatnonzero(np.diff(white) == 1), np.flatnonzero(np.diff(white) == -1)
        centres = [left + (s + e - 1) / 2 for s, e in zip(starts, ends) if 7 <= e - s <= 11]
        if len(centres) > len(best):
            best = centres
    return best
