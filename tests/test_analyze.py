"""Shot analysis end to end: the test-media generator's drifted shots (a photograph and a real
edited clip cut at its real cuts) measured against their undrifted twins and the known drift,
and ``cinegrade analyze`` through click."""

from __future__ import annotations

import json

import colour
import numpy as np
import opentimelineio as otio
import pytest
from click.testing import CliRunner

from cinegrade.analysis.run import analyse_shots
from cinegrade.analysis.sampler import SampleSettings
from cinegrade.analysis.stats import illuminant_from_xy
from cinegrade.cli.main import cinegrade
from cinegrade.colour.adaptation import white_balance_matrix
from cinegrade.colour.drift import Drift
from cinegrade.demo import footage
from cinegrade.timeline.shots import shots_from_timeline

DRIFTS = (Drift(white_balance_k=4000.0), Drift(white_balance_k=9000.0),
          Drift(exposure_stops=0.5), Drift(exposure_stops=-0.4), Drift(saturation=0.8),
          Drift(saturation=1.2), Drift(flicker_stops=0.04, flicker_seed=5))


@pytest.fixture(scope="module")
def scene_set(tmp_path_factory):
    """Each drift on a pan over the astronaut photograph and on a real shot of bikes.mp4."""
    segments = footage.clip_segments("bikes")
    scenes = (
        footage.SceneSpec("astronaut", tuple(
            footage.ShotSpec("astronaut", footage.Framing("pan", (0.4, 0.5, 1.3), (0.6, 0.5, 1.3)))
            for _ in DRIFTS)),
        footage.SceneSpec("bikes", tuple(
            footage.ShotSpec("bikes", footage.Framing("cut"), *segments[i % len(segments)])
            for i in range(len(DRIFTS)))),
    )
    drifts = {footage.shot_name(scene, i): drift
              for scene in scenes for i, drift in enumerate(DRIFTS)}
    return footage.build_scene_set(tmp_path_factory.mktemp("footage"), scenes, size=(640, 360),
                                   seconds=1.0, drifts=drifts)


@pytest.fixture(scope="module")
def measured(scene_set):
    """(truth stats, drifted stats, drift) per generated shot."""
    def analyse(path):
        timeline = otio.adapters.read_from_file(str(path))
        results = analyse_shots(shots_from_timeline(timeline, path), SampleSettings())
        return {r.shot.clip_name: r.stats for r in results}

    truth, drifted = analyse(scene_set.truth_timeline_path), analyse(scene_set.timeline_path)
    return [(truth[s.name], drifted[s.name], s.drift) for s in scene_set.shots]


def predicted_cct(xy, cct: float) -> float:
    """CCT of illuminant ``xy`` moved by the drift generator's white-balance matrix to ``cct``."""
    space = colour.RGB_COLOURSPACES["ITU-R BT.709"]
    moved = white_balance_matrix(cct) @ (space.matrix_XYZ_to_RGB @ colour.xy_to_XYZ(xy))
    return illuminant_from_xy(colour.XYZ_to_xy(space.matrix_RGB_to_XYZ @ moved)).cct_kelvin


def test_every_shot_analysed(measured):
    assert all(truth.analysed and drifted.analysed for truth, drifted, _ in measured)


def test_exposure_within_a_tenth_of_a_stop(measured):
    """Exposure drifts are found; white balance moves coloured pixels' luminance a little and a
    saturation change about display luma moves linear luminance, so those get a looser bound."""
    for truth, drifted, drift in measured:
        error = drifted.exposure_stops - truth.exposure_stops - drift.exposure_stops
        bound = 0.1 if drift.white_balance_k == 6504.0 and drift.saturation == 1.0 else 0.25
        assert abs(error) < bound, (drift, error)


def test_white_balance_within_150_kelvin(measured):
    cases = [(t, d, drift) for t, d, drift in measured if drift.white_balance_k != 6504.0]
    assert len(cases) == 4
    for truth, drifted, drift in cases:
        expected = predicted_cct(truth.illuminant_xy, drift.white_balance_k)
        assert drifted.cct_kelvin == pytest.approx(expected, abs=150), drift
    # and exposure and flicker drifts leave the illuminant (nearly) where it was: an exposure
    # change moves a few pixels across the clipping guard (measured: 3.3 mired for -0.4 stop)
    for truth, drifted, drift in measured:
        if drift.white_balance_k == 6504.0 and drift.saturation == 1.0:
            assert abs(drifted.mired - truth.mired) < 5, drift


def test_saturation_within_5_percent(measured):
    for truth, drifted, drift in measured:
        if drift.saturation != 1.0:
            ratio = drifted.saturation / truth.saturation
            assert ratio == pytest.approx(drift.saturation, rel=0.05), drift


def test_flicker_found_where_injected(measured):
    """Injected wobble adds (in quadrature) to what the footage itself does frame to frame (a
    real clip's own light and motion: up to ~0.02 stop); other drifts add none."""
    for truth, drifted, drift in measured:
        if drift.flicker_stops:
            expected = np.hypot(truth.flicker, drift.flicker_stops)
            assert drifted.flicker == pytest.approx(expected, rel=0.5)
            assert drifted.flicker > 1.5 * truth.flicker
        else:
            assert abs(drifted.flicker - truth.flicker) < 0.005, drift


def test_cli_json_table_parallel_and_missing_media(scene_set, tmp_path):
    timeline = otio.adapters.read_from_file(str(scene_set.timeline_path))
    timeline.tracks[0].append(otio.schema.Clip(
        name="offline", media_reference=otio.schema.ExternalReference(
            target_url=str(tmp_path / "gone.mp4")),
        source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, 24),
                                             otio.opentime.RationalTime(24, 24))))
    path = tmp_path / "cut.otio"
    otio.adapters.write_to_file(timeline, str(path))
    runner = CliRunner()
    cache = ["--cache-dir", str(tmp_path / "cache")]
    serial = runner.invoke(cinegrade, ["analyze", str(path), "--json", str(tmp_path / "a.json"),
                                       "--jobs", "1", "--quiet", *cache])
    assert serial.exit_code == 0, serial.output
    report = json.loads((tmp_path / "a.json").read_text())
    assert report["version"] == 1 and report["settings"]["samples"] == 5
    assert len(report["shots"]) == len(scene_set.shots) + 1
    offline = report["shots"][-1]
    assert offline["stats"]["analysed"] is False and "gone.mp4" in offline["stats"]["reason"]
    first = report["shots"][0]
    assert first["stats"]["analysed"] and len(first["sampled_frames"]) == 5
    for key in ("exposure_stops", "cct_kelvin", "duv", "mired", "saturation", "contrast",
                "flicker", "clip_high", "clip_low", "lab_mean", "lab_covariance",
                "hue_histogram", "luminance_display", "luminance_linear"):
        assert first["stats"][key] is not None, key

    parallel = runner.invoke(cinegrade, ["analyze", str(path), "--json", "-", "--jobs", "2",
                                         "--no-cache"])
    assert parallel.exit_code == 0, parallel.output
    again = json.loads(parallel.output)
    assert [s["stats"] for s in again["shots"]] == [s["stats"] for s in report["shots"]]
    assert not any(s["cached"] for s in again["shots"])

    table = runner.invoke(cinegrade, ["analyze", str(path), *cache])
    assert table.exit_code == 0, table.output
    assert scene_set.shots[0].name in table.output and "gone.mp4" in table.output
    assert f"{len(scene_set.shots)} of {len(scene_set.shots) + 1} shots analysed" in table.output
    assert "cached" in table.output


def test_cli_bad_input(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(cinegrade, ["analyze", str(tmp_path / "none.otio")])
    assert missing.exit_code == 2 and "none.otio" in missing.output
    assert runner.invoke(cinegrade, ["analyze", "x.otio", "--samples", "0"]).exit_code == 2


STILLS = ("astronaut", "chelsea", "coffee", "motorcycle_left", "rocket")
WHITE_BALANCES = (4000.0, 5000.0, 8000.0, 10000.0)


@pytest.fixture(scope="module")
def white_balance_set(tmp_path_factory):
    """Every still of the demo panned under each white balance of the issue's range, through
    H.264 4:2:0 and back: (still, truth stats, drifted stats, drift) per shot."""
    scenes = tuple(footage.SceneSpec(name, tuple(
        footage.ShotSpec(name, footage.Framing("pan", (0.4, 0.5, 1.3), (0.6, 0.5, 1.3)))
        for _ in WHITE_BALANCES)) for name in STILLS)
    drifts = {footage.shot_name(scene, i): Drift(white_balance_k=cct)
              for scene in scenes for i, cct in enumerate(WHITE_BALANCES)}
    scene_set = footage.build_scene_set(tmp_path_factory.mktemp("white"), scenes,
                                        size=(640, 360), seconds=0.5, drifts=drifts)

    def analyse(path):
        timeline = otio.adapters.read_from_file(str(path))
        return {r.shot.clip_name: r.stats
                for r in analyse_shots(shots_from_timeline(timeline, path), SampleSettings())}

    truth, drifted = analyse(scene_set.truth_timeline_path), analyse(scene_set.timeline_path)
    return scene_set, [(s.source, truth[s.name], drifted[s.name], s.drift)
                       for s in scene_set.shots]


def test_white_balance_of_every_still_within_150_kelvin(white_balance_set):
    """The issue's target on every demo still: 150 K, and in mired (fairer at high CCT, where
    150 K is under 2 mired) within 2.5 where the drift clips little (it clips the coffee's warm
    whites at 4000 K: 16 mired there, 49 K).
    The rocket has no neutral surfaces: its undrifted illuminant reads as its blue sky and is
    flagged unreliable, so there is no truth to hold its drifted shots to."""
    checked = 0
    for still, truth, drifted, drift in white_balance_set[1]:
        if still == "rocket":
            assert truth.illuminant_reliable is False
            continue
        assert truth.illuminant_reliable and drifted.illuminant_reliable, (still, drift)
        expected = predicted_cct(truth.illuminant_xy, drift.white_balance_k)
        assert drifted.cct_kelvin == pytest.approx(expected, abs=150), (still, drift)
        if drifted.clip_high < 0.03:
            assert drifted.mired == pytest.approx(1e6 / expected, abs=2.5), (still, drift)
        checked += 1
    assert checked == 16


def test_table_and_report_say_when_the_light_is_unknown(white_balance_set, tmp_path):
    """The undrifted rocket's "illuminant" is its sky: the table shows no CCT for it and says
    why, where the other stills get theirs."""
    scene_set, _ = white_balance_set
    table = CliRunner().invoke(cinegrade, ["analyze", str(scene_set.truth_timeline_path),
                                           "--no-cache", "--jobs", "1"])
    assert table.exit_code == 0, table.output
    rows = {line.split()[1]: line for line in table.output.splitlines()
            if "-pan " in line}
    rocket = [line for name, line in rows.items() if name.startswith("rocket")]
    others = [line for name, line in rows.items() if not name.startswith("rocket")]
    assert len(rocket) == 4 and len(others) == 16
    assert all("no neutrals to read the light from" in line for line in rocket)
    assert not any("100000" in line for line in rocket)
    assert not any("no neutrals" in line for line in others)
