"""Evidence across shots kept in the cache (issue 12): a second solve of the same scene describes
and compares nothing and finds the very same evidence and solution; other frames are other
evidence. Shots are demo photographs at other framings, one drifted."""

from __future__ import annotations

import numpy as np
import pytest

from cinegrade.analysis.cache import StatsCache
from cinegrade.colour.drift import predict_drift
from cinegrade.evidence import run
from cinegrade.evidence.base import ShotEvidenceInput

pytest.importorskip("skimage")
from cinegrade.demo.footage import load_still, render_view  # noqa: E402

SOURCES = ("shared-pixels", "features", "light-colour", "black-level")


def _shot(view, drift=None) -> ShotEvidenceInput:
    picture = load_still("chelsea")
    frames = [render_view(picture, (320, 180), (view[0], view[1], view[2] * (1 + 0.04 * i))) for i in range(3)]
    if drift is not None:
        frames = [np.clip(predict_drift(f.reshape(-1, 3), np.asarray(drift)).reshape(f.shape), 0, 1) for f in frames]
    return ShotEvidenceInput(tuple(np.clip(f * 255 + 0.5, 0, 255).astype(np.uint8) for f in frames))


@pytest.fixture(scope="module")
def inputs() -> dict[int, ShotEvidenceInput]:
    return {0: _shot((0.5, 0.5, 1.0)), 1: _shot((0.45, 0.42, 1.7), [0.15, 0.05, -0.1, 0.1, 0.03, 0.2])}


def test_a_second_solve_reads_every_pair_from_the_cache(inputs, tmp_path, monkeypatch) -> None:
    scenes = dict.fromkeys(inputs, "s")
    cache = StatsCache(tmp_path)
    evidence, solutions = run.scene_evidence(inputs, scenes, {"s": 0}, SOURCES, cache=cache)
    assert evidence and set(solutions) == {"s"}

    def nothing_again(*args, **kwargs):
        raise AssertionError("described or compared again")

    monkeypatch.setattr(run, "describe_shot", nothing_again)
    monkeypatch.setattr(run, "compare_shots", nothing_again)
    again, solved = run.scene_evidence(inputs, scenes, {"s": 0}, SOURCES, cache=cache)
    assert again == evidence
    assert solved["s"].shot_drift(1)[0].tolist() == solutions["s"].shot_drift(1)[0].tolist()
    # other sources are other evidence: not read from the cache
    with pytest.raises(AssertionError, match="again"):
        run.scene_evidence(inputs, scenes, {"s": 0}, SOURCES[:2], cache=cache)


def test_the_digest_follows_what_the_sources_see(inputs) -> None:
    shot = inputs[0]
    same = ShotEvidenceInput(tuple(f.copy() for f in shot.frames8))
    assert run.input_digest(same) == run.input_digest(shot)
    changed = [f.copy() for f in shot.frames8]
    changed[2][90, 160, 1] ^= 1  # one code value of one pixel
    assert run.input_digest(ShotEvidenceInput(tuple(changed))) != run.input_digest(shot)
    assert run.input_digest(ShotEvidenceInput(shot.frames8, extra={"view8": shot.frames8})) != \
        run.input_digest(shot)
