"""``cinegrade demo`` through click's CliRunner into a temporary folder."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cinegrade.cli.main import cinegrade
from cinegrade.colour.drift import Drift

QUICK = ["--photos-only", "--seconds", "0.125", "--size", "96x54", "--seed", "3"]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "out"
    result = CliRunner().invoke(cinegrade, ["demo", str(folder), *QUICK])
    return folder, result


def test_demo_writes_the_project_and_describes_it(demo_run):
    import opentimelineio as otio

    folder, result = demo_run
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    timeline_path = folder / "cinegrade-demo.otio"
    assert f"Drifted timeline: {timeline_path}" in result.stdout
    timeline = otio.adapters.read_from_file(str(timeline_path))
    clips = list(timeline.find_clips())
    assert len(clips) >= 10
    scenes = [m.name for m in timeline.video_tracks()[0].markers]
    assert scenes == ["scene: astronaut", "scene: coffee", "scene: chelsea", "scene: rocket",
                      "scene: motorcycle"]
    drifted = 0
    for clip in clips:
        assert clip.name in result.stdout
        media = folder / "drifted" / f"{clip.name}.mp4"
        assert media.is_file() and (folder / "truth" / f"{clip.name}.mp4").is_file()
        drift = Drift.from_json((folder / "drifted" / f"{clip.name}.drift.json").read_text())
        drifted += not drift.is_neutral
    assert 0 < drifted < len(clips)  # some shots drifted, each scene's reference not
    # the info command ran on the drifted timeline (if this build has it)
    from importlib.util import find_spec

    if find_spec("cinegrade.cli.info") is not None:
        assert "cinegrade demo" in result.stdout.split("Truth timeline:")[1]
        assert "bt709" in result.stdout


def test_demo_is_reproducible(demo_run, tmp_path):
    folder, first = demo_run
    again = CliRunner().invoke(cinegrade, ["demo", str(tmp_path / "again"), *QUICK])
    assert again.exit_code == 0
    for json_file in sorted((folder / "drifted").glob("*.json")):
        assert (tmp_path / "again" / "drifted" / json_file.name).read_text() == json_file.read_text()


@pytest.mark.parametrize("size", ["640", "641x360", "axb"])
def test_bad_size_is_one_line_exit_2(tmp_path, size):
    result = CliRunner().invoke(cinegrade, ["demo", str(tmp_path / "x"), "--size", size])
    assert result.exit_code == 2
    assert result.stderr.startswith("cinegrade: error:") and "--size" in result.stderr
    assert not (tmp_path / "x").exists()
