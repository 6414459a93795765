"""Shot work on a Dask distributed cluster (``--scheduler``) gives the same grades, byte for
byte, as a local run; an unreachable scheduler is bad input."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner
from distributed import LocalCluster

from cinegrade.cli.main import cinegrade
from cinegrade.colour.drift import Drift
from cinegrade.demo.footage import Framing, SceneSpec, ShotSpec, build_scene_set

SCENES = (SceneSpec("coffee", (ShotSpec("coffee", Framing("wide")),
                               ShotSpec("coffee", Framing("close", (0.45, 0.5, 1.6))),
                               ShotSpec("coffee", Framing("pan", (0.4, 0.5, 1.3), (0.6, 0.5, 1.3))))),)


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
        yield local


def test_a_dask_cluster_grades_as_a_local_run_does(cluster, tmp_path):
    scene_set = build_scene_set(tmp_path / "media", SCENES, size=(192, 108), seconds=0.4,
                                drifts={"coffee-02-close": Drift(white_balance_k=5200.0, exposure_stops=0.3),
                                        "coffee-03-pan": Drift(saturation=1.3)})
    outputs = {}
    for how, options in (("local", ["--jobs", "1"]), ("dask", ["--scheduler", cluster.scheduler_address])):
        out = tmp_path / how / "graded.otio"
        out.parent.mkdir()
        result = CliRunner().invoke(cinegrade, ["grade", str(scene_set.timeline_path), "-o", str(out),
                                                "--no-cache", "--look", "sepia", "--look-strength", "0.4",
                                                "--report", str(out.parent / "graded.html"), *options])
        assert result.exit_code == 0, result.output
        outputs[how] = {p.name: p.read_bytes() for p in sorted((tmp_path / how / "graded.grades").glob("*.cube"))}
    assert len(outputs["local"]) == 3
    assert outputs["dask"] == outputs["local"]
    # the check of the graded result, its views graded and its cuts measured on the workers
    reports = {how: (tmp_path / how / "graded.html").read_text(encoding="utf-8") for how in outputs}
    assert "<h2>Grades</h2>" in reports["local"] and reports["dask"] == reports["local"]


def test_an_unreachable_scheduler_is_one_line_and_exit_2(tmp_path):
    scene_set = build_scene_set(tmp_path / "media", SCENES[:1], size=(64, 36), seconds=0.2)
    done = subprocess.run([sys.executable, "-m", "cinegrade.cli", "analyze", str(scene_set.timeline_path),
                           "--no-cache", "--scheduler", "tcp://127.0.0.1:9"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("cinegrade: error: cannot reach the Dask scheduler at --scheduler")
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
