"""Evidence from shared materials (cinegrade.evidence.materials) on real photographs (scikit-image's):
a wide framing and a ×2 close-up of one picture stand for two shots of a scene, the drift model
applied to the close-up."""

from __future__ import annotations

import pickle
import time

import numpy as np
import pytest

from cinegrade.colour.adaptation import LMS_TO_RGB, RGB_TO_LMS, white_balance_matrix
from cinegrade.colour.drift import COMPONENTS, Drift, apply_drift, components_of
from cinegrade.evidence.base import EVIDENCE_SOURCES, ShotEvidenceInput, evidence_source
from cinegrade.evidence.materials import LEVEL_WIDTHS, descriptor_distances, frame_regions

pytest.importorskip("skimage")
from cinegrade.demo.footage import load_still, render_view  # noqa: E402

SIZE = (320, 180)
WIDE = (0.5, 0.5, 1.0)
#: a ×2 close-up inside each picture's wide framing
CLOSE = {"chelsea": (0.45, 0.42, 2.0), "motorcycle_left": (0.5, 0.55, 2.0)}
EXPOSURE, WARMTH, SATURATION = (COMPONENTS.index(c) for c in ("exposure_stops", "warmth", "log_saturation"))


def frames8(picture: str, view: tuple[float, float, float], drift: Drift = Drift()) -> tuple[np.ndarray, ...]:
    """Three 8-bit frames of a slow pan across ``view`` of ``picture``, drifted."""
    still = load_still(picture)
    frames = [render_view(still, SIZE, (view[0] + dx, view[1], view[2])) for dx in (-0.02, 0.0, 0.02)]
    return tuple(np.clip(apply_drift(f, drift) * 255 + 0.5, 0, 255).astype(np.uint8) for f in frames)


def describe(picture: str, view: tuple[float, float, float], drift: Drift = Drift()):
    return evidence_source("materials").describe(ShotEvidenceInput(frames8(picture, view, drift)))


def truth(drift: Drift) -> np.ndarray:
    """The components of a drift of white balance, exposure, lift and saturation (no gamma): its
    cone gains are the generator's white-balance matrix in CAT02 space, times 2 ** stops."""
    matrix = RGB_TO_LMS @ white_balance_matrix(drift.white_balance_k).astype(np.float64) @ LMS_TO_RGB
    gains = np.log(np.diag(matrix)) + drift.exposure_stops * np.log(2.0)
    return components_of([*gains, 0.0, drift.lift, np.log(drift.saturation)])


def test_source_is_registered():
    assert "materials" in EVIDENCE_SOURCES


@pytest.mark.parametrize("picture", sorted(CLOSE))
def test_a_known_drift_is_recovered_across_a_reframing(picture):
    drift = Drift(exposure_stops=-0.7, white_balance_k=9500.0)
    source = evidence_source("materials")
    found = source.compare(describe(picture, WIDE), describe(picture, CLOSE[picture], drift))
    assert found is not None and found.unit == "regions" and found.support >= 7
    error = np.array(found.error)
    assert np.all(np.abs(np.array(found.drift) - truth(drift)) <= 2 * error)
    # told apart from no drift: darker and cooler
    assert found.drift[EXPOSURE] < -2 * error[EXPOSURE] and found.drift[WARMTH] < -2 * error[WARMTH]


def test_a_saturation_is_recovered_and_the_reverse_pair_says_the_opposite():
    drift = Drift(saturation=1.4)
    source = evidence_source("materials")
    wide, close = describe("chelsea", WIDE), describe("chelsea", CLOSE["chelsea"], drift)
    found = source.compare(wide, close)
    assert found is not None
    assert abs(found.drift[SATURATION] - np.log(1.4)) <= 2 * found.error[SATURATION]
    assert found.drift[SATURATION] > 2 * found.error[SATURATION]
    back = source.compare(close, wide)
    assert back is not None and abs(back.drift[SATURATION] + np.log(1.4)) <= 2 * back.error[SATURATION]


@pytest.mark.parametrize("a, b", [("astronaut", "coffee"), ("chelsea", "rocket"), ("coffee", "motorcycle_left")])
def test_different_pictures_give_no_evidence(a, b):
    source = evidence_source("materials")
    assert source.compare(describe(a, WIDE), describe(b, (0.5, 0.5, 2.0), Drift(exposure_stops=0.8))) is None


def test_descriptors_are_left_alone_by_white_balance_and_exposure():
    # the same frame before and after a gain per cone channel: the segmentation and every
    # region's descriptors stay, so each region's nearest by descriptors is itself
    frame = frames8("motorcycle_left", WIDE)[1]
    drifted = frames8("motorcycle_left", WIDE, Drift(exposure_stops=-0.5, white_balance_k=9000.0))[1]
    before, after = frame_regions(frame)[0], frame_regions(drifted)[0]
    assert abs(len(before) - len(after)) <= 0.1 * len(before)
    same = np.linalg.norm(before.centre[:, None] - after.centre[None], axis=-1).argmin(1)
    assert np.mean(descriptor_distances(before, after).argmin(1) == same) >= 0.8


def test_descriptions_pickle_and_compare_alike():
    source = evidence_source("materials")
    a = describe("motorcycle_left", WIDE)
    b = describe("motorcycle_left", CLOSE["motorcycle_left"], Drift(exposure_stops=0.6))
    assert len(a.frames) == 3 and all(len(levels) == len(LEVEL_WIDTHS) for levels in a.frames)
    assert source.compare(pickle.loads(pickle.dumps(a)), pickle.loads(pickle.dumps(b))) == source.compare(a, b)


def test_speed():
    # processor time (the machine is shared), best of three: ≤ 0.3 s a shot, ≤ 0.1 s a pair
    source = evidence_source("materials")
    wide = ShotEvidenceInput(frames8("motorcycle_left", WIDE))
    close = ShotEvidenceInput(frames8("motorcycle_left", CLOSE["motorcycle_left"], Drift(saturation=0.7)))

    def best(run) -> float:
        times = []
        for _ in range(3):
            started = time.process_time()
            run()
            times.append(time.process_time() - started)
        return min(times)

    a, b = source.describe(wide), source.describe(close)
    assert best(lambda: source.describe(wide)) <= 0.3
    assert best(lambda: source.compare(a, b)) <= 0.1
