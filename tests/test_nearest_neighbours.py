"""The fast descriptor matching gives exactly what OpenCV's brute-force matcher gives: ORB's
mutual nearest neighbours, SIFT's two nearest (a matrix-product prescreen, then OpenCV on the
few candidates), and a shot pair's alignments given again from the process's memo."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data, transform

from cinegrade.colour.drift import Drift, apply_drift
from cinegrade.correspondence import align
from cinegrade.correspondence.align import (
    MeasureSettings,
    OpenCVORB,
    alignments,
    channel_max,
    channel_min,
    nearest_neighbours,
    shot_features,
)
from cinegrade.evidence.features import frame_keypoints, two_nearest


def _pictures(width: int) -> list[np.ndarray]:
    """Framings of three photographs, one of them drifted and one repeated exactly (ties):
    float32 (H, W, 3) in [0, 1]."""
    height = width * 9 // 16
    astronaut = data.astronaut().astype(np.float32) / 255
    coffee = data.coffee().astype(np.float32) / 255
    rocket = data.rocket().astype(np.float32) / 255
    frames = [transform.resize(astronaut[64:352], (height, width), anti_aliasing=True),
              transform.resize(astronaut[120:300, 140:460], (height, width), anti_aliasing=True),
              transform.resize(coffee, (height, width), anti_aliasing=True),
              transform.resize(rocket, (height, width), anti_aliasing=True)]
    frames = [f.astype(np.float32) for f in frames]
    frames.append(apply_drift(frames[1], Drift(white_balance_k=4500.0, exposure_stops=-0.7, saturation=1.3)))
    frames.append(frames[0].copy())
    return frames


def _bf_mutual(da: np.ndarray, db: np.ndarray, ratio: float = 0.85) -> np.ndarray:
    """The reference: mutual nearest neighbours passing the ratio test by ``cv2.BFMatcher``."""
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    backward = {m[0].queryIdx: m[0].trainIdx for m in matcher.knnMatch(db, da, k=1) if m}
    pairs = [(m[0].queryIdx, m[0].trainIdx) for m in matcher.knnMatch(da, db, k=2)
             if len(m) == 2 and m[0].distance < ratio * m[1].distance
             and backward.get(m[0].trainIdx) == m[0].queryIdx]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _bf_two(da: np.ndarray, db: np.ndarray) -> list[list[tuple[int, float]]]:
    return [[(m.trainIdx, m.distance) for m in pair]
            for pair in cv2.BFMatcher(cv2.NORM_L2).knnMatch(da, db, k=2)]


@pytest.fixture(scope="module")
def orb_descriptors() -> list[np.ndarray]:
    return [OpenCVORB.detect(align._luma(f), MeasureSettings())[1] for f in _pictures(320)]


@pytest.fixture(scope="module")
def sift_descriptors() -> list[np.ndarray]:
    return [frame_keypoints(np.clip(f * 255 + 0.5, 0, 255).astype(np.uint8)).descriptors
            for f in _pictures(480)]


def test_orb_mutual_matches_are_the_brute_force_matchers(orb_descriptors):
    found = 0
    for da in orb_descriptors:
        for db in [*orb_descriptors, orb_descriptors[0][:1], orb_descriptors[1][:3]]:
            expected = _bf_mutual(da, db)
            assert np.array_equal(OpenCVORB.match(da, db), expected)
            found += len(expected)
    assert found > 1000  # the framings and the repeated frame do match


def test_nearest_neighbours_are_knnmatchs_with_and_without_a_mask(orb_descriptors):
    da, db = orb_descriptors[0], orb_descriptors[1]
    distance, index = nearest_neighbours(da, db, 2, cv2.NORM_HAMMING)
    reference = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(da, db, k=2)
    assert index.tolist() == [[m.trainIdx for m in pair] for pair in reference]
    assert distance.tolist() == [[int(m.distance) for m in pair] for pair in reference]
    mask = (np.random.default_rng(0).random((len(da), len(db))) < 0.1).astype(np.uint8)
    distance, index = nearest_neighbours(da, db, 2, cv2.NORM_HAMMING, mask)
    reference = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(da, db, k=2, mask=mask)
    assert index.tolist() == [[m.trainIdx for m in pair] for pair in reference]
    # fewer rows than asked for: -1; none at all: every index -1
    _, index = nearest_neighbours(da, db[:1], 2, cv2.NORM_HAMMING)
    assert index.shape == (len(da), 2) and (index[:, 0] == 0).all() and (index[:, 1] == -1).all()
    assert (nearest_neighbours(da, db[:0], 2, cv2.NORM_HAMMING)[1] == -1).all()


def test_sift_two_nearest_are_the_brute_force_matchers_exactly(sift_descriptors):
    for da in sift_descriptors:
        for db in [*sift_descriptors, sift_descriptors[2][:2], sift_descriptors[3][:3]]:
            distance, index = two_nearest(da, db)
            mine = [[(int(index[q, j]), float(distance[q, j])) for j in range(2) if index[q, j] >= 0]
                    for q in range(len(da))]
            assert mine == _bf_two(da, db)  # indices and float32 distances, ties included


def test_a_shot_pairs_alignments_are_given_again_and_keyed_by_settings():
    frames = _pictures(320)
    a, b = shot_features(frames[:2]), shot_features(frames[4:6])
    made = align._alignments(a, b, MeasureSettings())
    assert made and alignments(a, b) == made
    assert (a.digest, b.digest, MeasureSettings()) in align._kept
    assert alignments(a, b) == made  # from the memo: the same
    # a copy of the features (as a worker unpickles them) finds the kept entry
    copy = align.ShotFeatures(tuple(k.copy() for k in a.keypoints), tuple(d.copy() for d in a.descriptors),
                              a.width)
    assert copy.digest == a.digest and alignments(copy, b) == made
    # other settings, other entry
    strict = MeasureSettings(min_inliers=10**6)
    assert alignments(a, b, strict) == []
    assert alignments(b, a) != made


def test_channel_extremes_are_numpys():
    rgb = np.random.default_rng(1).random((7, 5, 3)).astype(np.float32)
    assert np.array_equal(channel_min(rgb), rgb.min(axis=-1))
    assert np.array_equal(channel_max(rgb), rgb.max(axis=-1))
    codes = (rgb * 255).astype(np.uint8)
    assert np.array_equal(channel_max(codes), codes.max(axis=-1)) and channel_max(codes).dtype == np.uint8
