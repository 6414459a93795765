"""Every command with every choice of every option that takes one, on a small real timeline; a
bug is one line and exit code 3; media that cannot be read at all is bad input (exit 2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import opentimelineio as otio
import pytest
from click.testing import CliRunner

from cinegrade.cli.main import COMMANDS, LazyGroup, cinegrade
from cinegrade.colour.drift import Drift
from cinegrade.demo.footage import Framing, SceneSpec, ShotSpec, build_scene_set

SCENES = (SceneSpec("coffee", (ShotSpec("coffee", Framing("wide")),
                               ShotSpec("coffee", Framing("close", (0.45, 0.5, 1.6))))),)


@pytest.fixture(scope="module")
def timeline(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("options")
    scene_set = build_scene_set(folder, SCENES, size=(192, 108), seconds=0.3,
                                drifts={"coffee-02-close": Drift(exposure_stops=0.4)})
    return scene_set.timeline_path


@pytest.fixture(scope="module")
def graded(timeline, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("graded") / "graded.otio"
    _ok("grade", str(timeline), "-o", str(out), "--method", "cdl", "--jobs", "1", "--no-cache")
    _ok("export", str(out), "--ccc", str(out.with_suffix(".ccc")))  # grades for apply
    return out


def _ok(*args: str):
    result = CliRunner().invoke(cinegrade, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"{args}: {result.exception!r}\n{result.output}"
    assert result.exit_code in (0, 1), f"{args}: exit {result.exit_code}\n{result.output}"
    return result


def _choices(name: str) -> list[tuple[str, str]]:
    """(option, choice) for every choice of every option of the command ``name``."""
    command = LazyGroup().get_command(click.Context(cinegrade), name)
    found = []
    for param in command.params:
        if isinstance(param, click.Option) and isinstance(param.type, click.Choice):
            found.extend((param.opts[-1], choice) for choice in param.type.choices)
    return found


def _arguments(name: str, timeline: Path, graded: Path, out: Path) -> list[str]:
    """A working command line of ``name`` without the option under test."""
    work = ["--jobs", "1", "--no-cache"]
    return {
        "info": ["info", str(timeline)],
        "convert": ["convert", str(timeline), str(out / "converted.otio")],
        "analyze": ["analyze", str(timeline), *work],
        "check": ["check", str(timeline), "-o", str(out / "checked.otio"), *work],
        "match": ["match", str(timeline), "-o", str(out / "matched.otio"), *work],
        "look": ["look", str(timeline), "sepia", "-o", str(out / "looked.otio"), *work],
        "grade": ["grade", str(timeline), "-o", str(out / "graded.otio"), *work],
        "export": ["export", str(graded), "--ccc", str(out / "grades.ccc")],
        "looks": ["looks"],
        "apply": ["apply", str(timeline), "--cdl", str(graded.with_suffix(".ccc")),
                  "-o", str(out / "applied.otio")],
    }[name]


CASES = [(name, option, choice) for name in sorted(COMMANDS) if name != "demo"
         for option, choice in _choices(name)]


def test_the_commands_have_choices_to_try():
    assert {name for name, _, _ in CASES} >= {"check", "grade", "match", "look"}
    assert ("grade", "--scene-by", "auto") in CASES


@pytest.mark.parametrize(("name", "option", "choice"), CASES,
                         ids=[f"{n}{o}={c}" for n, o, c in CASES])
def test_every_choice_of_every_command_runs(name, option, choice, timeline, graded, tmp_path):
    _ok(*_arguments(name, timeline, graded, tmp_path), option, choice)


def test_grade_by_content_groups_the_two_framings_into_one_scene(timeline, tmp_path):
    result = _ok("grade", str(timeline), "-o", str(tmp_path / "g.otio"), "--scene-by", "auto",
                 "--jobs", "1", "--no-cache")
    assert result.output.count("auto scene 1") == 2, result.output


def test_a_bug_is_one_line_exit_3_and_a_trace_file(timeline, tmp_path):
    probe = (
        "import sys\n"
        "import cinegrade.timeline.shots as shots\n"
        "def broken(*a, **k):\n"
        "    raise RuntimeError('synthetic failure')\n"
        "shots.shots_from_timeline = broken\n"
        "from cinegrade.cli.main import main\n"
        f"main(['analyze', {str(timeline)!r}, '--jobs', '1', '--no-cache'])\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 3, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cinegrade: bug: RuntimeError: synthetic failure")
    assert "Traceback" not in done.stderr
    trace = Path(lines[0].split("the full trace is in ")[1].split(";")[0])
    assert "Traceback" in trace.read_text() and "synthetic failure" in trace.read_text()
    trace.unlink()


def test_a_wrong_option_value_is_one_line_and_exit_2(timeline):
    done = subprocess.run([sys.executable, "-m", "cinegrade.cli", "grade", str(timeline), "-o",
                           "x.otio", "--scene-by", "shots"], capture_output=True, text=True)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "--scene-by" in done.stderr


@pytest.mark.parametrize("command", ["grade", "match", "check"])
def test_media_that_cannot_be_read_at_all_is_an_input_error(command, tmp_path):
    missing = tmp_path / "gone" / "shot-01.mp4"
    timeline = otio.schema.Timeline()
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    for index in range(2):
        track.append(otio.schema.Clip(
            name=f"shot {index}", media_reference=otio.schema.ExternalReference(
                target_url=str(missing).replace("01", f"0{index + 1}")),
            source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, 24),
                                                 otio.opentime.RationalTime(24, 24))))
    path = tmp_path / "offline.otio"
    otio.adapters.write_to_file(timeline, str(path))
    out = tmp_path / "out.otio"
    done = subprocess.run([sys.executable, "-m", "cinegrade.cli", command, str(path), "-o",
                           str(out), "--jobs", "1", "--no-cache"], capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and str(missing) in done.stderr, done.stderr
    assert not out.exists()
