"""Debian's Kdenlive (22.12, document 1.04) opens projects cinegrade wrote with no dialog.

Runs Kdenlive headless under Xvfb with a private home, waits for its main window, lists the
visible windows (an error or question dialog is a window of its own) and keeps a screenshot in the
test's temporary folder. Skipped where Kdenlive, Xvfb, xdotool or dbus are not installed, except
in CI (``CI`` set), where that fails: ``make test`` installs them.
"""

from __future__ import annotations

import subprocess
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest
from kdenlive_session import kdenlive_start

from cinegrade.otio_plugins import kdenlive_adapter

TOOLS = ("kdenlive", "xvfb-run", "xdotool", "dbus-daemon")
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _tools(require_program) -> None:
    """Debian's kdenlive, xvfb, xdotool and dbus: skipped without them, failed in CI."""
    for tool in TOOLS:
        require_program(tool)

#: Shell run inside Xvfb: start Kdenlive on the project, wait for the window named after the
#: project, then print every visible window's name and take a screenshot.
SESSION = kdenlive_start("$SHORT/home") + textwrap.dedent("""\
    for w in $(xdotool search --onlyvisible --name '.' 2>/dev/null); do echo "WINDOW $(xdotool getwindowname $w)"; done
    if [ -x /usr/bin/import-im6.q16 ]; then /usr/bin/import-im6.q16 -window root "$WORK/screen.png"; fi
    kill $pid 2>/dev/null; sleep 1; kill -9 $pid 2>/dev/null
    kill $bus 2>/dev/null
    exit 0
    """)


def _open_in_kdenlive(project: Path, work: Path) -> list[str]:
    """Names of the visible windows once Kdenlive has opened ``project``."""
    work.mkdir(parents=True, exist_ok=True)
    script = work / "session.sh"
    script.write_text(SESSION)
    # A private home; short, because KIO's sockets live in XDG_RUNTIME_DIR (108-byte socket paths).
    with tempfile.TemporaryDirectory(prefix="cgk") as short:
        env = {"WORK": str(work), "SHORT": short, "PROJECT": str(project), "NAME": project.stem,
               "PATH": "/usr/bin:/bin"}
        result = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", "sh", str(script)],
                                env=env, capture_output=True, text=True, timeout=120)
    windows = [line[len("WINDOW "):] for line in result.stdout.splitlines() if line.startswith("WINDOW ")]
    print(f"screenshot: {work / 'screen.png'}; windows: {windows}")
    return windows


def _graded(timeline: otio.schema.Timeline, cube: Path) -> otio.schema.Timeline:
    timeline.find_clips()[0].effects.append(otio.schema.Effect(
        effect_name="cinegrade.grade", metadata={"cinegrade": {"cube": str(cube)}}))
    rate = timeline.global_start_time.rate
    timeline.tracks.markers.append(otio.schema.Marker(
        name="white balance drift", marked_range=otio.opentime.TimeRange(otio.opentime.RationalTime(5, rate)),
        metadata={"cinegrade": {"rule": "white_balance"}}))
    return timeline


@pytest.fixture(scope="module")
def cube(tmp_path_factory) -> Path:
    import colour

    path = tmp_path_factory.mktemp("lut") / "look.cube"
    colour.write_LUT(colour.LUT3D(colour.LUT3D.linear_table(9) ** 0.9, name="look"), str(path))
    return path


def test_new_1_04_project_opens_without_dialog(tmp_path, cube) -> None:
    from cinegrade.media.frames import encode_clip

    y, x = np.mgrid[0:72, 0:128]
    media = tmp_path / "shot.mp4"
    encode_clip(media, [np.stack([x / 127, y / 71, 0 * x + 0.5], -1).astype(np.float32)] * 12, fps=25)
    clip = otio.schema.Clip(
        name="shot", media_reference=otio.schema.ExternalReference(
            target_url=str(media), available_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, 25), otio.opentime.RationalTime(12, 25))),
        source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, 25), otio.opentime.RationalTime(12, 25)))
    timeline = otio.schema.Timeline(name="gui check", global_start_time=otio.opentime.RationalTime(0, 25))
    timeline.tracks.append(otio.schema.Track(name="V1", children=[clip]))
    project = tmp_path / "newproject.kdenlive"
    kdenlive_adapter.write_to_file(_graded(timeline, cube), project, version="1.04")
    windows = _open_in_kdenlive(project, tmp_path / "gui")
    assert any(w.startswith("newproject") for w in windows), windows
    assert len(windows) == 1, f"Kdenlive showed a dialog: {windows}"


def test_edited_1_04_sample_opens_without_dialog(samples, tmp_path, cube) -> None:
    """A real Kdenlive 21.12 project (colour clips only, so no media is missing), graded."""
    timeline = kdenlive_adapter.read_from_file(samples / "kdenlive" / "ts_mix-luma.kdenlive")
    project = tmp_path / "mixluma.kdenlive"
    kdenlive_adapter.write_to_file(_graded(timeline, cube), project)
    windows = _open_in_kdenlive(project, tmp_path / "gui")
    assert any(w.startswith("mixluma") for w in windows), windows
    assert len(windows) == 1, f"Kdenlive showed a dialog: {windows}"


def test_new_project_with_mixes_opens_without_dialog(tmp_path) -> None:
    """Dissolves from elsewhere, written as Kdenlive same-track mixes: Kdenlive 22.12 opens the
    project without a dialog (it warns about, and drops, mixes it cannot place)."""
    from dissolve_media import dissolving_timeline

    project = tmp_path / "mixes.kdenlive"
    kdenlive_adapter.write_to_file(dissolving_timeline(tmp_path, size=(128, 72), rate=25), project,
                                   version="1.04")
    windows = _open_in_kdenlive(project, tmp_path / "gui")
    assert any(w.startswith("mixes") for w in windows), windows
    assert len(windows) == 1, f"Kdenlive showed a dialog: {windows}"
