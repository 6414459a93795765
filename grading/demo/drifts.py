"""Random drifts for the demo's and the benchmarks' synthetic media, drawn reproducibly from a
seeded generator (the drift itself is :class:`cinegrade.colour.drift.Drift`): :func:`random_drift`,
a moderate spread of every component at once, and :func:`ai_drift`, the larger drifts of one to
three components that AI video models show between shots of one scene."""

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


#: :func:`ai_drift`'s sizes, as AI video models drift between shots of one scene. Each entry is
#: one component: the ranges its size is drawn from (uniformly; white balance uniformly in mired).
AI_DRIFT_SIZES: dict[str, tuple[tuple[float, float], ...]] = {
    "exposure_stops": ((-1.2, -0.6), (0.6, 1.2)),
    # warm 3800-5000 K asked for; Drift's white balance starts at CCT_RANGE[0] (4000 K, the
    # CIE daylight locus's domain), so the warm range is drawn there
    "white_balance_k": ((max(3800.0, CCT_RANGE[0]), 5000.0), (8500.0, 11000.0)),
    "saturation": ((0.55, 0.75), (1.3, 1.5)),
    "gamma": ((0.75, 0.85), (1.18, 1.3)),
    "lift": ((0.04, 0.08),),
}
#: Chance that :func:`ai_drift` leaves a shot undrifted (the scene's look kept).
AI_UNDRIFTED_SHARE = 0.2


def ai_drift(rng: np.random.Generator, undrifted: float = AI_UNDRIFTED_SHARE) -> Drift:
    """A drift the size AI video models show between shots of one scene, drawn from ``rng``.

    With probability ``undrifted`` none (``Drift()``: the shot kept the scene's look); else one
    to three (equally likely) of five components at once, each of a size drawn uniformly from
    one of its ranges (:data:`AI_DRIFT_SIZES`, range chosen at random):

    - exposure ±0.6–1.2 stop;
    - white balance to 4000–5000 K (warm; uniform in mired) or 8500–11000 K (cool) — 3800–4000 K
      lies outside :data:`cinegrade.colour.drift.CCT_RANGE`, which :class:`Drift` enforces;
    - saturation ×0.55–0.75 or ×1.3–1.5;
    - a display gamma of 0.75–0.85 or 1.18–1.3;
    - a black lift of 0.04–0.08.

    Contrast and flicker stay neutral. Sizes are rounded like :func:`random_drift`'s.

    >>> drift = ai_drift(np.random.default_rng(1), undrifted=0.0)
    >>> drift.is_neutral, drift.contrast, drift.flicker_stops
    (False, 1.0, 0.0)
    >>> ai_drift(np.random.default_rng(1), undrifted=1.0).is_neutral
    True
    """
    if rng.random() < undrifted:
        return Drift()
    names = list(AI_DRIFT_SIZES)
    chosen = rng.choice(len(names), size=int(rng.integers(1, 4)), replace=False)
    fields = {}
    for index in sorted(chosen):
        name = names[index]
        ranges = AI_DRIFT_SIZES[name]
        low, high = ranges[int(rng.integers(len(ranges)))]
        if name == "white_balance_k":
            fields[name] = round(1e6 / rng.uniform(1e6 / high, 1e6 / low), 1)
        else:
            fields[name] = round(float(rng.uniform(low, high)), 4 if name == "lift" else 3)
    return Drift(**fields)
