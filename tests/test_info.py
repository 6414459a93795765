"""``cinegrade info`` on a timeline whose media is generated here, on real samples, and on bad input,
through click's CliRunner and the installed executable."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest
from click.testing import CliRunner
from timeline_samples import NEGATIVE, cli_arguments

from cinegrade.cli.main import cinegrade
from cinegrade.media.frames import encode_clip

EXECUTABLE = shutil.which("cinegrade", path=str(Path(sys.executable).parent))


def _rt(frames: int, rate: float = 24) -> otio.opentime.RationalTime:
    return otio.opentime.RationalTime(frames, rate)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """Two generated H.264 clips (24 and 25 fps), a missing file and a scene marker, in an .otio
    that refers to the media by relative paths."""
    folder = tmp_path_factory.mktemp("project")
    (folder / "media").mkdir()
    for name, fps, size in (("wide.mp4", 24, (48, 64)), ("close.mp4", 25, (32, 48))):
        frames = [np.full((*size, 3), 0.2 + 0.1 * i, np.float32) for i in range(6)]
        encode_clip(folder / "media" / name, frames, fps=fps)
    track = otio.schema.Track(name="V1")
    for name, url, start in (("wide", "media/wide.mp4", 1), ("close", "media/close.mp4", 0),
                             ("lost", "media/lost.mp4", 0)):
        track.append(otio.schema.Clip(
            name=name, media_reference=otio.schema.ExternalReference(target_url=url),
            source_range=otio.opentime.TimeRange(_rt(start), _rt(4))))
    timeline = otio.schema.Timeline(name="generated", global_start_time=_rt(24 * 3600))
    timeline.tracks.append(track)
    timeline.tracks.markers.append(otio.schema.Marker(
        name="Scene 1", marked_range=otio.opentime.TimeRange(_rt(0), _rt(0))))
    otio.adapters.write_to_file(timeline, str(folder / "cut.otio"))
    return folder


def test_json_describes_generated_media(project):
    result = CliRunner().invoke(cinegrade, ["info", str(project / "cut.otio"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["version"] == 1
    assert report["timeline"]["name"] == "generated"
    assert report["timeline"]["rate"] == 24
    assert report["timeline"]["start"] == "01:00:00:00"
    assert report["timeline"]["duration_frames"] == 12
    assert [t["clips"] for t in report["tracks"]] == [3]
    wide, close, lost = report["clips"]
    assert [c["name"] for c in report["clips"]] == ["wide", "close", "lost"]
    assert (wide["record"]["in"], wide["record"]["out"]) == ("01:00:00:00", "01:00:00:04")
    assert (close["record"]["in"], close["record"]["in_frame"]) == ("01:00:00:04", 4)
    assert (wide["source"]["in"], wide["source"]["frames"]) == ("00:00:00:01", 4)
    assert wide["media"]["path"] == str(project / "media" / "wide.mp4")
    for clip, fps, size in ((wide, 24, (64, 48)), (close, 25, (48, 32))):
        media = clip["media"]
        assert media["exists"] and media["error"] is None
        assert (media["codec"], media["width"], media["height"]) == ("h264", *size)
        assert media["frame_rate"] == pytest.approx(fps)
        assert media["pixel_format"] == "yuv420p"
        assert (media["color_primaries"], media["color_transfer"], media["color_matrix"],
                media["color_range"]) == ("bt709", "bt709", "bt709", "tv")
        assert clip["scene"] == "Scene 1"
    assert lost["media"]["exists"] is False and lost["media"]["codec"] is None


def test_table_names_every_clip_and_its_media(project):
    result = CliRunner().invoke(cinegrade, ["info", str(project / "cut.otio")])
    assert result.exit_code == 0, result.output
    for text in ("generated", "wide", "close", "lost", "h264", "64x48", "48x32", "yuv420p",
                 "bt709/bt709/bt709/tv", "01:00:00:04"):
        assert text in result.stdout
    rows = [line for line in result.stdout.splitlines() if re.match(r"^\d+\s", line)]
    assert len(rows) == 3
    assert " no " in rows[2]


def test_edl_record_timecodes_come_from_the_file(samples):
    path = samples / "edl/sample_cdl_edl.edl"
    result = CliRunner().invoke(cinegrade, ["info", str(path), "--json", "--rate", "25"])
    assert result.exit_code == 0, result.output
    clips = json.loads(result.stdout)["clips"]
    events = [line.split() for line in path.read_text().splitlines() if re.match(r"^\d{3,}\s", line)]
    assert [(c["source"]["in"], c["source"]["out"], c["record"]["in"], c["record"]["out"])
            for c in clips] == [tuple(event[-4:]) for event in events]


@pytest.mark.parametrize("name", ["fcp7xml/premiere_example.xml", "fcpxml/fcpx_event.fcpxml",
                                  "ale/sample_cdl.ale", "edl/python-edl_test_2997DF.edl",
                                  "otio/image_sequence_example.otio"])
def test_samples_describe(samples, name):
    words = ["info", str(samples / name), "--json", *cli_arguments(name)]
    if name.endswith("2997DF.edl"):
        words[words.index("25")] = "29.97"
    result = CliRunner().invoke(cinegrade, words)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    raw = otio.adapters.read_from_file(str(samples / name),
                                       **({"rate": 30000 / 1001, "ignore_timecode_mismatch": True}
                                          if name.endswith(".edl") else {}))
    if isinstance(raw, otio.schema.SerializableCollection):
        first = [c for c in raw if isinstance(c, otio.schema.Timeline)]
        raw = first[0] if first else raw
    clips = sum(1 for _ in raw.find_clips())
    if name.startswith("fcpxml/"):  # compound clips trimmed to part of their content
        assert 0 < len(report["clips"]) <= clips
    else:
        assert len(report["clips"]) == clips


@pytest.mark.parametrize("name", sorted(NEGATIVE))
def test_negative_samples_exit_2_with_one_line(samples, name):
    result = CliRunner().invoke(cinegrade, ["info", str(samples / name), *cli_arguments(name)])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"cinegrade: error: {samples / name}")


@pytest.mark.parametrize("words, message", [
    (["info", "/no/such/cut.edl"], "no such file"),
    (["info", "{samples}/otio/simple_cut.otio", "--rate", "25"], "takes no frame rate"),
    (["info", "{samples}/edl/cdl.edl", "--rate", "fast"], "not a frame rate"),
    (["info", "{samples}/edl/cdl.edl", "--rate", "-24"], "positive"),
    (["info", "{samples}/edl/cdl.edl", "--adapter", "nonesuch"], "unknown adapter"),
    (["info", "{samples}/README.md"], "no adapter for suffix .md"),
])
def test_bad_input_exit_2(samples, words, message):
    words = [w.format(samples=samples) for w in words]
    result = CliRunner().invoke(cinegrade, words)
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_installed_executable(project, samples):
    assert EXECUTABLE, "the cinegrade executable is not installed beside this Python (a broken install)"
    done = subprocess.run([EXECUTABLE, "info", str(project / "cut.otio"), "--json"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["clips"][0]["media"]["codec"] == "h264"
    failed = subprocess.run([EXECUTABLE, "info", str(samples / "edl/dissolve_test_fail.edl")],
                            capture_output=True, text=True, timeout=60)
    assert failed.returncode == 2
    assert failed.stdout == ""
    assert "Traceback" not in failed.stderr
    assert failed.stderr.count("\n") == 1 and "dissolve_test_fail.edl" in failed.stderr
