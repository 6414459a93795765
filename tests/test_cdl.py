"""ASC CDL maths against OpenColorIO's CDLTransform, on real photographs and out-of-range values."""

from __future__ import annotations

import numpy as np
import PyOpenColorIO as ocio
import pytest
import skimage.data as skimage_data

from cinegrade.colour.cdl import CDL, REC709_LUMA_WEIGHTS, apply_cdl
from cinegrade.errors import InputError


def _photo_pixels() -> np.ndarray:
    """Real photographs shipped by scikit-image, display-referred RGB in [0, 1], float32."""
    photos = [skimage_data.astronaut(), skimage_data.coffee(), skimage_data.chelsea()]
    return np.concatenate([p[::4, ::4].reshape(-1, 3) for p in photos]).astype(np.float32) / 255.0


def _random_cdls(count: int, seed: int = 7) -> list[CDL]:
    rng = np.random.default_rng(seed)
    return [CDL(tuple(rng.uniform(0.0, 2.0, 3)), tuple(rng.uniform(-0.3, 0.3, 3)),
                tuple(rng.uniform(0.3, 3.0, 3)), float(rng.uniform(0.0, 2.5))) for _ in range(count)]


def _ocio(cdl: CDL, style, optimization=None):
    transform = ocio.CDLTransform(slope=cdl.slope, offset=cdl.offset, power=cdl.power, sat=cdl.saturation)
    transform.setStyle(style)
    processor = ocio.Config.CreateRaw().getProcessor(transform)
    if optimization is None:
        return processor.getDefaultCPUProcessor()
    return processor.getOptimizedCPUProcessor(optimization)


def _through(processor, rgb: np.ndarray) -> np.ndarray:
    out = np.ascontiguousarray(rgb, dtype=np.float32).copy()
    processor.applyRGB(out)
    return out


@pytest.fixture(scope="module")
def pixels() -> np.ndarray:
    rng = np.random.default_rng(3)
    out_of_range = rng.uniform(-0.5, 1.5, (20000, 3)).astype(np.float32)
    return np.concatenate([_photo_pixels(), out_of_range])


def test_matches_opencolorio_cdl_asc_within_1e4(pixels):
    cdls = [*_random_cdls(12), CDL((1.1, 1.0, 0.9), (-0.03, -0.02, 0.0), (1.25, 1.0, 1.0), 1.7)]
    worst = 0.0
    for cdl in cdls:
        ours = apply_cdl(pixels, cdl)
        theirs = _through(_ocio(cdl, ocio.CDL_ASC), pixels)
        worst = max(worst, float(np.abs(ours - theirs).max()))
    assert worst < 1e-4, worst


def test_matches_opencolorio_exact_maths_without_its_fast_pow(pixels):
    # OpenColorIO's default CPU path uses a fast pow approximation (~6e-5); its lossless path
    # shows that the maths, clamps included, are the same to float32 precision.
    for cdl in _random_cdls(6, seed=11):
        ours = apply_cdl(pixels, cdl)
        theirs = _through(_ocio(cdl, ocio.CDL_ASC, ocio.OPTIMIZATION_LOSSLESS), pixels)
        np.testing.assert_allclose(ours, theirs, atol=5e-6)


def test_no_clamp_matches_opencolorio_default_style(pixels):
    for cdl in _random_cdls(6, seed=5):
        ours = apply_cdl(pixels, cdl, clamp=False)
        theirs = _through(_ocio(cdl, ocio.CDL_NO_CLAMP, ocio.OPTIMIZATION_LOSSLESS), pixels)
        np.testing.assert_allclose(ours, theirs, atol=1e-5 * max(1.0, float(np.abs(ours).max())))


def test_clamped_result_is_in_range_and_out_of_range_input_is_clamped(pixels):
    cdl = CDL((1.8, 1.8, 1.8), (0.1, 0.1, 0.1), (0.5, 0.5, 0.5), 2.0)
    out = apply_cdl(pixels, cdl)
    assert out.min() >= 0.0 and out.max() <= 1.0
    # Inputs above the point where in·slope+offset reaches 1 all give the same result.
    assert np.array_equal(apply_cdl(np.array([[0.6, 0.6, 0.6]]), cdl), apply_cdl(np.array([[5.0, 5.0, 5.0]]), cdl))


def test_identity_and_saturation_zero():
    rgb = _photo_pixels()
    assert CDL().is_identity
    np.testing.assert_allclose(apply_cdl(rgb, CDL()), rgb, atol=1e-7)
    grey = apply_cdl(rgb, CDL(saturation=0.0))
    assert np.allclose(grey[:, 0], grey[:, 1]) and np.allclose(grey[:, 1], grey[:, 2])
    np.testing.assert_allclose(grey[:, 0], rgb @ np.asarray(REC709_LUMA_WEIGHTS, dtype=np.float32), atol=1e-6)


def test_dtype_and_shape_are_kept():
    frame = np.random.default_rng(0).uniform(0, 1, (4, 5, 3)).astype(np.float32)
    cdl = _random_cdls(1)[0]
    out = apply_cdl(frame, cdl)
    assert out.shape == frame.shape and out.dtype == np.float32
    assert apply_cdl(frame.astype(np.float64), cdl).dtype == np.float64
    with pytest.raises(ValueError):
        apply_cdl(np.zeros((4, 4)), cdl)


@pytest.mark.parametrize("values", [
    {"slope": (-0.1, 1.0, 1.0)},
    {"power": (1.0, 0.0, 1.0)},
    {"power": (-1.0, 1.0, 1.0)},
    {"saturation": -0.5},
])
def test_values_outside_the_spec_are_refused_as_opencolorio_refuses_them(values):
    with pytest.raises(InputError):
        CDL(**values)
    with pytest.raises(Exception, match="(?i)invalid"):
        transform = ocio.CDLTransform(slope=values.get("slope", (1, 1, 1)),
                                      power=values.get("power", (1, 1, 1)), sat=values.get("saturation", 1.0))
        ocio.Config.CreateRaw().getProcessor(transform)


def test_non_finite_and_wrong_length_are_refused():
    with pytest.raises(InputError):
        CDL(slope=(float("nan"), 1.0, 1.0))
    with pytest.raises(InputError):
        CDL(offset=(0.0, 0.0))  # type: ignore[arg-type]
    with pytest.raises(InputError):
        CDL(saturation=float("inf"))
