"""The options every timeline-reading command shares, exercised through real commands."""

from __future__ import annotations

import json

import opentimelineio as otio
import pytest
from click.testing import CliRunner

from cinegrade.cli.main import cinegrade


def _clip_names(result) -> list[str]:
    assert result.exit_code == 0, result.output
    return [clip["name"] for clip in json.loads(result.output)["clips"]]


@pytest.mark.parametrize("command", ["info", "analyze"])
def test_sequence_picks_a_kdenlive_1_1_sequence(samples, command, tmp_path):
    project = samples / "kdenlive" / "ts_sequences.kdenlive"
    runner = CliRunner()
    for name in ("Sequence 1", "Sequence 2", "Sequence 3"):
        timeline = otio.adapters.read_from_file(str(project), sequence=name)
        expected = [clip.name for track in timeline.video_tracks() for clip in track.find_clips()]
        if command == "info":
            result = runner.invoke(cinegrade, ["info", str(project), "--sequence", name, "--json"])
            names = [c for c, kind in zip(_clip_names(result), _kinds(result)) if kind == "video"]
        else:
            out = tmp_path / f"{name}.json"
            result = runner.invoke(cinegrade, ["analyze", str(project), "--sequence", name, "--quiet",
                                               "--no-cache", "--jobs", "1", "--json", str(out)])
            assert result.exit_code == 0, result.output
            names = [shot["clip"] for shot in json.loads(out.read_text())["shots"]]
        assert names == expected, name
    default = runner.invoke(cinegrade, ["info", str(project), "--json"])
    assert json.loads(default.output)["timeline"]["name"] == \
        otio.adapters.read_from_file(str(project)).name


def _kinds(result) -> list[str]:
    return [clip["track_kind"] for clip in json.loads(result.output)["clips"]]


def test_unknown_sequence_and_sequence_on_a_format_without_them_are_input_errors(samples):
    runner = CliRunner()
    missing = runner.invoke(cinegrade, ["info", str(samples / "kdenlive" / "ts_sequences.kdenlive"),
                                        "--sequence", "No such sequence"])
    assert missing.exit_code == 2
    assert "No such sequence" in missing.output and "Sequence 1" in missing.output
    edl = runner.invoke(cinegrade, ["info", str(samples / "edl" / "cdl.edl"), "--sequence", "x"])
    assert edl.exit_code == 2 and "holds one timeline" in edl.output and "not 'x'" in edl.output
    assert "Traceback" not in missing.output + edl.output


@pytest.mark.parametrize("command", ["info", "convert"])
def test_sequence_picks_a_timeline_of_an_fcpx_event(samples, command, tmp_path):
    """An FCP X event holds two projects: without --sequence the first is read and stderr says
    which others there are; --sequence NAME reads that one; an unknown name is an input error
    naming the ones there are."""
    event = samples / "fcpxml" / "fcpx_event.fcpxml"
    collection = otio.adapters.read_from_file(str(event))  # kept: its children die with it
    names = [t.name for t in collection if isinstance(t, otio.schema.Timeline)]
    assert len(names) == 2

    def run(*extra):
        if command == "info":
            return CliRunner().invoke(cinegrade, ["info", str(event), "--json", *extra])
        out = tmp_path / f"{len(list(tmp_path.iterdir()))}.otio"
        result = CliRunner().invoke(cinegrade, ["convert", str(event), str(out), *extra])
        result.written = otio.adapters.read_from_file(str(out)).name if out.exists() else None
        return result

    def name_read(result) -> str:
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["timeline"]["name"] if command == "info" \
            else result.written

    first = run()
    assert name_read(first) == names[0]
    assert "holds 2 timelines" in first.stderr and repr(names[1]) in first.stderr
    second = run("--sequence", names[1])
    assert name_read(second) == names[1] and "holds 2 timelines" not in second.stderr
    wrong = run("--sequence", "no such project")
    assert wrong.exit_code == 2
    assert "no timeline named 'no such project'" in wrong.stderr and repr(names[0]) in wrong.stderr
    assert len(wrong.stderr.strip().splitlines()) == 1


def test_sequence_must_name_a_single_timeline(samples):
    path = samples / "otio" / "big_int.otio"
    result = CliRunner().invoke(cinegrade, ["info", str(path), "--sequence", "elsewhere"])
    assert result.exit_code == 2 and "not 'elsewhere'" in result.stderr
    name = otio.adapters.read_from_file(str(path)).name
    assert CliRunner().invoke(cinegrade, ["info", str(path), "--sequence", name]).exit_code == 0
