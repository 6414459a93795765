"""Random drifts for the demo's and the benchmarks' synthetic media: the spread of what AI video
shows between shots, drawn reproducibly from a seeded generator (the drift itself is
:class:`cinegrade.colour.drift.Drift`)."""

from __future__ import annotations

import numpy as np

from cinegrade.colour.adaptation import NEUTRAL_CCT
from cinegrade.colour.drift import CCT_RANGE, Drift


def random_drift(rng: np.random.Generator, strength: float = 1.0) -> Drift:
    """A plausible AI-video drift drawn from ``rng``; ``strength`` scales every spread.

    At strength 1: white balance 6504 K ± ~900 K (uniform in mired, ±25 mired), exposure ±0.5
    stop, contrast and gamma ×/÷ 1.12, lift ±0.03, saturation ×/÷ 1.2, flicker σ up to 0.04 stop
    on a third of the shots.
    """
    mired = 1e6 / NEUTRAL_CCT + strength * rng.uniform(-25, 25)
    flicker = strength * rng.uniform(0.01, 0.04) if rng.random() < 1 / 3 else 0.0
    return Drift(
        white_balance_k=round(float(np.clip(1e6 / mired, *CCT_RANGE)), 1),
        exposure_stops=round(float(strength * rng.uniform(-0.5, 0.5)), 3),
        contrast=round(float(1.12 ** (strength * rng.uniform(-1, 1))), 3),
        gamma=round(float(1.12 ** (strength * rng.uniform(-1, 1))), 3),
        lift=round(float(strength * rng.uniform(-0.03, 0.03)), 4),
        saturation=round(float(1.2 ** (strength * rng.uniform(-1, 1))), 3),
        flicker_stops=round(float(flicker), 4),
        flicker_seed=int(rng.integers(2**31)),
    )
