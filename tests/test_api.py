"""The public Python API: one call per command, no click, errors that name the argument by its
field, and results equal to what the CLI writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import cinegrade
from cinegrade.colour.drift import Drift
from cinegrade.demo.footage import Framing, SceneSpec, ShotSpec, build_scene_set
from cinegrade.errors import ChoiceError, OutputExists, RangeError

SCENES = (SceneSpec("chelsea", (ShotSpec("chelsea", Framing("wide")),
                                ShotSpec("chelsea", Framing("close", (0.5, 0.45, 1.5))))),)
WORK = cinegrade.ShotWork(jobs=1, use_cache=False)


@pytest.fixture(scope="module")
def timeline(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("api")
    return build_scene_set(folder, SCENES, size=(192, 108), seconds=0.3,
                           drifts={"chelsea-02-close": Drift(white_balance_k=5000.0)}).timeline_path


def test_import_cinegrade_is_light():
    code = "import cinegrade, sys; assert 'colour' not in sys.modules and 'click' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_command_has_its_call():
    for name in ("describe_timeline", "convert_timeline", "analyze_timeline", "check_timeline",
                 "grade_timeline", "match_timeline", "look_timeline", "export_grades"):
        assert callable(getattr(cinegrade, name)), name


def test_analyze_and_check_give_the_cli_documents(timeline, tmp_path):
    analysis = cinegrade.analyze_timeline(timeline, samples=3, width=160, work=WORK)
    document = analysis.to_json()
    assert document["version"] == 1 and len(document["shots"]) == 2
    assert all(shot["stats"]["analysed"] for shot in document["shots"])
    check = cinegrade.check_timeline(timeline, scene_by="markers", work=WORK,
                                     output=tmp_path / "checked.otio")
    found = check.to_json()
    json.dumps(found)  # plain data
    assert {w["rule"] for w in found["warnings"]} >= {"white_balance_jump"}
    assert check.failing("warning") and (tmp_path / "checked.otio").exists()


def test_grade_then_export_round_trip(timeline, tmp_path):
    graded = cinegrade.grade_timeline(timeline, tmp_path / "graded.otio", method="cdl",
                                      look="warm", look_strength=0.3, work=WORK)
    assert set(graded.cubes) == {0, 1} and all(p.exists() for p in graded.cubes.values())
    assert graded.grades[1].match.evidence == "aligned"
    exported = cinegrade.export_grades(graded.output, ccc=tmp_path / "grades.ccc")
    # the reference carries only the look: a .cube, no CDL
    assert exported.count == 1 and exported.without_cdl == ("chelsea-01-wide",)
    assert (tmp_path / "grades.ccc").exists()


def test_errors_name_the_argument_not_an_option(timeline, tmp_path):
    with pytest.raises(ChoiceError) as caught:
        cinegrade.grade_timeline(timeline, tmp_path / "x.otio", scene_by="shots")
    assert caught.value.field == "scene_by" and "--" not in str(caught.value)
    with pytest.raises(RangeError) as caught:
        cinegrade.grade_timeline(timeline, tmp_path / "x.otio", strength=2.0)
    assert str(caught.value) == "strength 2 is outside 0..1"
    existing = tmp_path / "exists.otio"
    existing.write_text("{}")
    with pytest.raises(OutputExists) as caught:
        cinegrade.grade_timeline(timeline, existing)
    assert caught.value.field == "overwrite" and "overwrite replaces it" in str(caught.value)
    assert existing.read_text() == "{}"
    with pytest.raises(cinegrade.InputError, match="never overwrites its input"):
        cinegrade.grade_timeline(timeline, timeline, overwrite=True)


def test_kdenlive_parse_errors_are_otio_errors_too(tmp_path):
    import opentimelineio as otio

    broken = tmp_path / "broken.kdenlive"
    broken.write_text("<mlt><producer id='p'/>")
    with pytest.raises(otio.exceptions.OTIOError):
        otio.adapters.read_from_file(str(broken))
    with pytest.raises(cinegrade.InputError):
        cinegrade.describe_timeline(broken)


def test_a_second_check_decodes_nothing_and_finds_the_same(timeline, tmp_path, monkeypatch):
    import cinegrade.analysis.run as analysis_run
    import cinegrade.correspondence.views as views_module

    work = cinegrade.ShotWork(jobs=1, cache_dir=tmp_path / "cache")
    first = cinegrade.check_timeline(timeline, work=work).to_json()
    viewed = []
    real_view = views_module.view_of
    monkeypatch.setattr(views_module, "view_of",
                        lambda shot, *a, **k: viewed.append(shot) or real_view(shot, *a, **k))

    def no_decoding(*args, **kwargs):
        raise AssertionError("a warm check decoded frames for statistics")

    monkeypatch.setattr(analysis_run, "analyse_group", no_decoding)
    second = cinegrade.check_timeline(timeline, work=work).to_json()
    assert viewed == []
    assert second == first


POOL_THREADS = """
import json, numpy, cv2
from threadpoolctl import threadpool_info
import cinegrade

def blas():
    return max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")

def threads(_):
    import cv2
    cv2.GaussianBlur(numpy.zeros((1080, 1920, 3), numpy.float32), (31, 31), 5)
    return blas(), cv2.getNumThreads()

# this process's OpenCV has run its thread pool: a worker forked from it must not hang
cv2.GaussianBlur(numpy.zeros((1080, 1920, 3), numpy.float32), (31, 31), 5)
before = blas()
with cinegrade.ShotWork(jobs=1).pool(2) as none:
    alone = blas(), cv2.getNumThreads()
with cinegrade.ShotWork(jobs=2).pool(2) as pool:
    inside = blas()
    workers = list(pool.map(threads, range(4)))
print(json.dumps({"before": before, "alone": alone, "inside": inside, "after": blas(), "workers": workers,
                  "opencv": cv2.getNumThreads()}))
"""


def test_a_pool_runs_numerical_libraries_on_one_thread_a_process():
    """An API caller's NumPy has loaded with a BLAS thread per core before cinegrade could ask
    for one: its pool's workers, and this process while they run, are held to one thread; one
    process working alone keeps its threads."""
    from cinegrade.work import available_cores

    if available_cores() < 2:
        pytest.skip("one core: every library runs one thread anyway")
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                        "OPENCV_FOR_THREADS_NUM")}
    found = json.loads(subprocess.run([sys.executable, "-c", POOL_THREADS], env=env, check=True,
                                      capture_output=True, text=True, timeout=120).stdout)
    assert found["before"] > 1 and found["after"] == found["before"]  # the caller's own, untouched
    assert found["alone"] == [found["before"], found["opencv"]]  # one process: the cores are its own
    assert found["inside"] == 1
    assert found["workers"] == [[1, 1]] * 4
    assert found["opencv"] > 1  # this process's OpenCV as it was
