"""Pairwise evidence of one scene → every shot's drift from the reference, solved jointly.

As HaCohen et al. (2013, "Optimizing color consistency in photo collections", ACM TOG 32(4)) do
for photographs: each pair of shots that shares something gives an estimate of how the second
differs from the first, with a standard error (:class:`~cinegrade.evidence.base.PairEvidence`);
the drifts of all shots are then the weighted least-squares solution of those differences,
anchored at the reference (drift 0). So a shot is corrected by every shot it shares something
with, a chain wide → medium → close-up carries evidence to a close-up that shares nothing with
the wide, and one bad pair is outvoted: iteratively reweighted least squares with Cauchy
weights (Holland & Welsch 1977) all but drops a pair that disagrees with the rest by many times
:data:`ROBUST_SCALE` errors.

The six components (:data:`cinegrade.colour.drift.COMPONENTS`) are solved together: a pair's
evidence carries the correlation of its errors (:attr:`~cinegrade.evidence.base.PairEvidence.
correlation`: a fit on a narrow range of colours pins exposure and contrast together, not each),
so each pair weighs in by its full information matrix. The Cauchy weights are per pair, on its
Mahalanobis residual per component it informs.

Some sources difference a reading each shot has on its own (the colour of its light, its black
floor, a character's skin: :attr:`~cinegrade.evidence.base.EvidenceSource.per_shot`). Their
n(n − 1)/2 pairs in a scene of n shots hold only n readings, so they are not independent: one
shot whose content misleads its reading makes every pair it is in agree on the same wrong
drift. Such readings are a latent scene value plus each shot's own; eliminating the latent
value leaves the every-pair graph with each pair's information scaled by 2/n. Each pair of such
a source is weighted 2 / (1 + (d_a + d_b) / 2), d the pairs of that source at each of its shots:
exactly 2/n where every pair is compared, 1 for a lone pair. A Gaussian prior on each shot's drift
(:data:`PRIOR_ERROR`: how far AI video drifts) keeps the solution finite where evidence is
missing and shrinks weakly supported drifts toward none; a cut's difference is read from the
solution with its covariance.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from cinegrade.colour.drift import COMPONENTS
from cinegrade.evidence.base import UNKNOWN, PairEvidence

#: Prior standard deviation of a shot's drift from its reference per component — exposure
#: (stops), warmth, tint, log contrast, lift, log saturation — about the largest drifts AI video
#: shows (1.2 stop; 3800 K or 11000 K from 6500 K; ×0.55–1.5 saturation).
PRIOR_ERROR = np.array([0.8, 0.35, 0.12, 0.25, 0.05, 0.35])
#: Scale of the Cauchy weights, in standard errors: a pair off by this much counts half.
ROBUST_SCALE = 2.5
#: A posterior error above this share of the prior's means the evidence said (almost) nothing.
UNINFORMED = 0.9


@dataclass(frozen=True)
class SceneSolution:
    """The drifts of a scene's shots from its reference.

    ``shots``: shot indices in solve order (the reference first). ``drift``: (n, 6) components
    of each shot's drift from the reference. ``covariance``: (n, 6, n, 6), of every component of
    every shot with every other (the reference's rows are 0). ``sources``: for each shot, the
    evidence sources of the pairs that touch it.
    """

    reference: int
    shots: tuple[int, ...]
    drift: np.ndarray
    covariance: np.ndarray
    sources: tuple[tuple[str, ...], ...]

    def _at(self, shot: int) -> int:
        return self.shots.index(shot)

    def shot_covariance(self, shot: int) -> np.ndarray:
        """The covariance (6, 6) of ``shot``'s drift from the reference."""
        i = self._at(shot)
        return self.covariance[i, :, i, :].copy()

    def shot_drift(self, shot: int) -> tuple[np.ndarray, np.ndarray]:
        """(drift (6,), error (6,)) of ``shot`` from the reference; error :data:`UNKNOWN` where
        the evidence said almost nothing (posterior near the prior)."""
        error = np.sqrt(np.maximum(np.diag(self.shot_covariance(shot)), 0.0))
        if shot == self.reference:
            return np.zeros(len(COMPONENTS)), np.zeros(len(COMPONENTS))
        return self.drift[self._at(shot)].copy(), np.where(error >= UNINFORMED * PRIOR_ERROR, UNKNOWN, error)

    def difference_covariance(self, a: int, b: int) -> np.ndarray:
        """The covariance (6, 6) of shot ``b``'s drift relative to shot ``a``'s."""
        i, j = self._at(a), self._at(b)
        c = self.covariance
        return c[i, :, i, :] + c[j, :, j, :] - c[i, :, j, :] - c[j, :, i, :]

    def difference(self, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        """(drift (6,), error (6,)) of shot ``b`` relative to shot ``a``."""
        i, j = self._at(a), self._at(b)
        error = np.sqrt(np.maximum(np.diag(self.difference_covariance(a, b)), 0.0))
        uninformed = error >= UNINFORMED * math.sqrt(2) * PRIOR_ERROR
        return self.drift[j] - self.drift[i], np.where(uninformed, UNKNOWN, error)

    def shot_sources(self, shot: int) -> tuple[str, ...]:
        return self.sources[self._at(shot)]


def solve_scene(shots: Sequence[int], reference: int,
                pairs: Mapping[tuple[int, int], Sequence[PairEvidence]],
                prior: np.ndarray | None = PRIOR_ERROR, iterations: int = 30,
                per_shot: Collection[str] = ()) -> SceneSolution:
    """Solve a scene (see the module docstring). ``pairs``: evidence of how shot ``b`` differs
    from shot ``a`` by ``(a, b)`` (indices of ``shots``; pairs of other shots are ignored).
    ``prior``: standard deviations (6,) of the prior on each shot's drift (None: a vague one,
    for differences only). ``per_shot``: names of the sources whose pairs difference per-shot
    readings (weighted as the module docstring says). ``ValueError`` when ``reference`` is not
    among ``shots``.

    >>> from cinegrade.evidence.base import PairEvidence
    >>> e = lambda x, s: PairEvidence("t", (x, 0, 0, 0, 0, 0), (s, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN))
    >>> pairs = {(0, 1): [e(0.5, 0.05)], (1, 2): [e(0.3, 0.05)], (0, 2): [e(0.8, 0.05), e(3.0, 0.05)]}
    >>> solution = solve_scene([0, 1, 2], 0, pairs, prior=None)
    >>> [round(float(solution.shot_drift(s)[0][0]), 2) for s in (1, 2)]  # the 3.0 is outvoted
    [0.5, 0.8]

    Four shots read on their own (error 0.1 each, so 0.14 a pair): the six pairs hold four
    readings, and shot 3's drift from the reference is known to 0.14, not to 0.1.

    >>> readings = [0.0, 0.1, -0.1, 0.3]
    >>> pairs = {(a, b): [e(readings[b] - readings[a], 0.1 * 2 ** 0.5)] for a in range(4) for b in range(a + 1, 4)}
    >>> [round(float(solve_scene(range(4), 0, pairs, prior=None, per_shot=ps).shot_drift(3)[1][0]), 3)
    ...  for ps in ((), ("t",))]
    [0.1, 0.141]
    """
    if reference not in shots:
        raise ValueError(f"the reference {reference} is not a shot of the scene")
    order = [reference] + [s for s in dict.fromkeys(shots) if s != reference]
    position = {shot: i for i, shot in enumerate(order)}
    n, k = len(order), len(COMPONENTS)
    edges = [(position[a], position[b], evidence) for (a, b), found in pairs.items()
             if a in position and b in position and a != b for evidence in found
             if np.any(evidence.weight > 0)]
    prior_error = np.full(k, 100.0) if prior is None else np.asarray(prior, dtype=np.float64)
    values = [np.nan_to_num(np.asarray(e.drift, dtype=np.float64)) for _, _, e in edges]
    degree = Counter((e.source, shot) for i, j, e in edges if e.source in per_shot for shot in (i, j))
    informations = [e.information * (2.0 / (1.0 + (degree[e.source, i] + degree[e.source, j]) / 2)
                                     if e.source in per_shot else 1.0) for i, j, e in edges]
    known = [max(1, int(np.count_nonzero(e.weight))) for _, _, e in edges]
    unknowns = (n - 1) * k
    prior_information = np.diag(np.tile(1.0 / prior_error**2, n - 1))
    robust = np.ones(len(edges))
    scale = 0.0
    x = np.zeros(unknowns)
    inverse = np.linalg.inv(prior_information) if unknowns else np.zeros((0, 0))
    for _ in range(iterations if edges else 1):
        information = prior_information.copy()
        vector = np.zeros(unknowns)
        for (i, j, _), value, w, r in zip(edges, values, informations, robust):
            # x_j − x_i = value; the unknowns are shots 1..n−1 (the reference is 0)
            weighted = r * w
            for a, sign_a in ((i, -1.0), (j, 1.0)):
                if not a:
                    continue
                block_a = slice((a - 1) * k, a * k)
                vector[block_a] += sign_a * weighted @ value
                for b, sign_b in ((i, -1.0), (j, 1.0)):
                    if b:
                        information[block_a, slice((b - 1) * k, b * k)] += sign_a * sign_b * weighted
        inverse = np.linalg.inv(information)
        x = inverse @ vector
        full = np.concatenate([np.zeros(k), x]).reshape(n, k)
        residual = np.array([math.sqrt(max(0.0, float((full[j] - full[i] - v) @ w @ (full[j] - full[i] - v))) / m)
                             for (i, j, _), v, w, m in zip(edges, values, informations, known)])
        if not len(residual):
            break
        # graduated non-convexity: the Cauchy scale starts at the largest residual and
        # halves down to ROBUST_SCALE, so the pairs that agree take over before the
        # weights commit (a fixed small scale would down-weight every pair alike)
        scale = max(ROBUST_SCALE, scale / 2) if scale else max(ROBUST_SCALE, float(residual.max()))
        updated = 1.0 / (1.0 + (residual / scale) ** 2)
        if scale == ROBUST_SCALE and np.allclose(updated, robust, atol=1e-4):
            break
        robust = updated
    drift = np.concatenate([np.zeros(k), x]).reshape(n, k)
    covariance = np.zeros((n * k, n * k))
    covariance[k:, k:] = inverse
    sources = [set() for _ in range(n)]
    for i, j, evidence in edges:
        sources[i].add(evidence.source)
        sources[j].add(evidence.source)
    return SceneSolution(reference, tuple(order), drift, covariance.reshape(n, k, n, k),
                         tuple(tuple(sorted(s)) for s in sources))
