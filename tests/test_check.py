"""``cinegrade check``: table, JSON schema, markers written and replaced, exit codes, report."""

from __future__ import annotations

import json

import opentimelineio as otio
import pytest
from click.testing import CliRunner
from continuity_media import DRIFTED_EXPOSURE, DRIFTED_SATURATION, scene_set

from cinegrade.cli.main import cinegrade
from cinegrade.timeline.markers import is_cinegrade_marker

JSON_KEYS = {"rule", "severity", "clip", "other_clip", "record_frame", "value", "threshold",
             "unit", "message"}


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("cache"))


def run(*args: str):
    return CliRunner().invoke(cinegrade, ["check", *args], catch_exceptions=False)


def test_check_json_markers_report_and_exit_codes(tmp_path, cache):
    timeline = str(scene_set().timeline_path)
    out, doc, page = tmp_path / "checked.otio", tmp_path / "w.json", tmp_path / "r.html"
    result = run(timeline, "-o", str(out), "--json", str(doc), "--report", str(page),
                 "--cache-dir", cache, "--jobs", "1", "--fail-on", "warning")
    assert result.exit_code == 1, result.output  # drifted cuts are warnings or worse
    assert "exposure_jump" in result.output and "saturation_jump" in result.output
    data = json.loads(doc.read_text(encoding="utf-8"))
    assert data["version"] == 1 and data["scene_by"] == "markers"
    assert data["warnings"] and all(JSON_KEYS <= set(w) for w in data["warnings"])
    pairs = {(w["other_clip"], w["clip"], w["rule"]) for w in data["warnings"]}
    assert (*DRIFTED_EXPOSURE, "exposure_jump") in pairs
    assert (*DRIFTED_SATURATION, "saturation_jump") in pairs
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")

    # markers on the clips; a user's marker added in between survives a second run, and
    # cinegrade's are replaced, not duplicated
    written = otio.adapters.read_from_file(str(out))
    ours = [m for c in written.find_clips() for m in c.markers if is_cinegrade_marker(m)]
    assert len(ours) == len(data["warnings"])
    first = written.find_clips()[0]
    first.markers.append(otio.schema.Marker(name="keep me"))
    users = [m.name for m in first.markers if not is_cinegrade_marker(m)]
    otio.adapters.write_to_file(written, str(out))
    again = tmp_path / "again.otio"
    assert run(str(out), "-o", str(again), "--cache-dir", cache, "--jobs", "1",
               "--quiet").exit_code == 0
    reread = otio.adapters.read_from_file(str(again))
    ours_again = [m for c in reread.find_clips() for m in c.markers if is_cinegrade_marker(m)]
    assert len(ours_again) == len(ours)
    assert [m.name for m in reread.find_clips()[0].markers if not is_cinegrade_marker(m)] == users
    assert "keep me" in users

    # thresholds from options: with every cut threshold out of reach, nothing fails on error
    relaxed = tmp_path / "relaxed.toml"
    relaxed.write_text("exposure_stops_error = 9\nsaturation_percent_error = 900\n"
                       "delta_e_error = 99\nwhite_balance_mired_error = 999\n"
                       "contrast_percent_error = 999\nblack_level_error = 0.9\n", encoding="utf-8")
    # (and through a process pool: the same findings)
    result = run(timeline, "--config", str(relaxed), "--set", "flash_frames=1", "--cache-dir",
                 cache, "--jobs", "2", "--fail-on", "error", "--json", "-")
    assert result.exit_code == 0, result.output
    relaxed_warnings = json.loads(result.output)["warnings"]
    assert all(w["severity"] == "warning" for w in relaxed_warnings)
    assert {(w["clip"], w["rule"]) for w in relaxed_warnings} == \
        {(w["clip"], w["rule"]) for w in data["warnings"]}


def test_bad_input_exits_2(tmp_path):
    result = CliRunner().invoke(cinegrade, ["check", str(tmp_path / "nope.otio")])
    assert result.exit_code == 2 and "no such file" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text("no_such_threshold = 1\n", encoding="utf-8")
    timeline = tmp_path / "t.otio"
    otio.adapters.write_to_file(otio.schema.Timeline(tracks=[otio.schema.Track()]), str(timeline))
    result = CliRunner().invoke(cinegrade, ["check", str(timeline), "--config", str(bad)])
    assert result.exit_code == 2 and "unknown continuity setting" in result.output
    result = CliRunner().invoke(cinegrade, ["check", str(timeline), "--set", "exposure_stops"])
    assert result.exit_code == 2


def test_empty_timeline_has_no_warnings(tmp_path):
    timeline = tmp_path / "empty.otio"
    otio.adapters.write_to_file(otio.schema.Timeline(tracks=[otio.schema.Track()]), str(timeline))
    result = run(str(timeline), "--fail-on", "warning", "--no-cache")
    assert result.exit_code == 0 and "no continuity warnings" in result.output
