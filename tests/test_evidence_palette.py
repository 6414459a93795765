"""The palette evidence source: materials matched by colour alone, with no layout shared."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from cinegrade.colour.drift import TO_COMPONENTS, predict_drift
from cinegrade.evidence.base import ShotEvidenceInput, evidence_source
from cinegrade.evidence.palette import PaletteEvidence, shot_palette

#: Materials (display R'G'B'): a red shirt, a teal shirt, brown hair, skin, a green wall, a blue
#: sofa, a grey floor.
MATERIALS = np.array([[0.62, 0.16, 0.17], [0.18, 0.48, 0.45], [0.36, 0.24, 0.15], [0.80, 0.60, 0.50],
                      [0.40, 0.52, 0.30], [0.20, 0.26, 0.55], [0.50, 0.50, 0.50]])
#: A drift of AI video's size: warmer, +0.6 stop, saturation ×1.3 (gains and saturation only).
DRIFT = np.array([0.55, 0.42, 0.12, 0.0, 0.0, np.log(1.3)])


def _shot(materials: np.ndarray, rng: np.random.Generator, cells: tuple[int, int], size=(320, 180)) -> np.ndarray:
    """A frame (H, W, 3) float32 of ``materials`` as shaded, textured blocks on a grid of
    ``cells`` (columns, rows), each material once in a random cell and at a random size, the rest
    the last material (the floor)."""
    width, height = size
    frame = np.empty((height, width, 3), np.float32)
    frame[:] = materials[-1]
    columns, rows = cells
    places = rng.permutation(columns * rows)[:len(materials) - 1]
    for material, place in zip(materials[:-1], places):
        x0, y0 = place % columns * width // columns, place // columns * height // rows
        w, h = (int(width // columns * rng.uniform(0.7, 1.0)), int(height // rows * rng.uniform(0.7, 1.0)))
        shade = np.linspace(rng.uniform(0.8, 1.0), rng.uniform(0.8, 1.0), w)[None, :, None]
        frame[y0:y0 + h, x0:x0 + w] = material * shade
    frame *= rng.uniform(0.97, 1.03, (height, width, 1)).astype(np.float32)
    return np.clip(frame, 0, 1)


def _input(frames: list[np.ndarray]) -> ShotEvidenceInput:
    return ShotEvidenceInput(tuple(np.clip(f * 255 + 0.5, 0, 255).astype(np.uint8) for f in frames))


def _drifted(frame: np.ndarray, parameters: np.ndarray) -> np.ndarray:
    return np.clip(predict_drift(frame.reshape(-1, 3), parameters), 0, 1).reshape(frame.shape).astype(np.float32)


def test_rearranged_materials_give_the_drift_within_their_errors():
    rng = np.random.default_rng(3)
    a = [_shot(MATERIALS, rng, (3, 2)) for _ in range(3)]
    b = [_drifted(_shot(MATERIALS, rng, (4, 3)), DRIFT) for _ in range(3)]  # other layout, other scale
    source = evidence_source("palette")
    da, db = source.describe(_input(a)), source.describe(_input(b))
    assert pickle.loads(pickle.dumps(da)).colours.shape == da.colours.shape
    found = source.compare(da, db)
    assert found is not None and found.support >= 3
    truth = TO_COMPONENTS @ DRIFT
    error = np.asarray(found.error)
    for k in (1, 2, 5):  # warmth, tint, saturation: within 2 claimed errors
        assert abs(found.drift[k] - truth[k]) <= 2 * error[k], (k, found.drift[k], truth[k], error[k])
        assert error[k] < 0.35  # it says something of them (the prior of a pair: 0.49, 0.17, 0.49)
    # exposure, contrast and lift: unknown (materials seen from other sides are lit otherwise)
    assert np.isinf(error[0]) and np.isinf(error[3]) and np.isinf(error[4])
    back = source.compare(db, da)
    assert back is not None and abs(back.drift[1] + found.drift[1]) < 2 * error[1]


def test_unrelated_photographs_give_nothing():
    """Photographs of other things, one of every hue among them (the colour wheel agrees with
    many drifts at once, so with none). Two warm photographs of like palettes (the astronaut and
    the coffee) can agree by chance: the module docstring says so."""
    import cv2
    from skimage import data

    def frames(picture: np.ndarray) -> list[np.ndarray]:
        small = cv2.resize(np.ascontiguousarray(picture[..., :3]), (320, 180), interpolation=cv2.INTER_AREA)
        return [small.astype(np.float32) / 255] * 3

    source = PaletteEvidence()
    described = [source.describe(_input(frames(p))) for p in (data.astronaut(), data.rocket(), data.colorwheel())]
    assert all(d is not None for d in described)  # each has a palette: compare is what refuses
    for i in range(len(described)):
        for j in range(len(described)):
            if i != j:
                assert source.compare(described[i], described[j]) is None, (i, j)


def test_one_shared_material_is_not_evidence():
    rng = np.random.default_rng(5)
    # only the skin is shared; every other material of B is another (B = A's skin under a drift is
    # also what two characters' skins look like)
    others = np.array([[0.15, 0.35, 0.20], [0.55, 0.45, 0.10], [0.45, 0.20, 0.50], [0.10, 0.30, 0.60],
                       [0.70, 0.70, 0.35], [0.35, 0.35, 0.35]])
    b_materials = np.concatenate([MATERIALS[3:4], others])
    a = [_shot(MATERIALS, rng, (3, 2)) for _ in range(3)]
    b = [_drifted(_shot(b_materials, rng, (4, 2)), DRIFT) for _ in range(3)]
    source = PaletteEvidence()
    da, db = source.describe(_input(a)), source.describe(_input(b))
    assert da is not None and db is not None
    assert source.compare(da, db) is None


@pytest.mark.parametrize("count", [1, 3])
def test_palette_of_a_shot(count):
    rng = np.random.default_rng(1)
    frame = np.clip(_shot(MATERIALS, rng, (3, 2)) * 255 + 0.5, 0, 255).astype(np.uint8)
    palette = shot_palette((frame,) * count)
    assert 7 <= len(palette) <= 16
    assert palette.share.sum() <= 1.0001 and palette.share[0] >= palette.share[-1]
    red = np.argmin(np.abs(palette.colours[:, 0] - MATERIALS[0]).sum(1))
    assert np.abs(palette.colours[red, 0] - MATERIALS[0]).max() < 0.05
