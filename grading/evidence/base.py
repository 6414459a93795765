"""The one form every evidence source gives, and the registry of sources.

A source is a small class with one job (as a PySceneDetect detector is): it *describes* each shot
once (:meth:`EvidenceSource.describe`: a small, picklable summary of the shot's view and
statistics — keypoints, faces, a black level) and *compares* two descriptions
(:meth:`EvidenceSource.compare`), giving a :class:`PairEvidence`: how far shot B's colour is
off shot A's, as the drift model's six components (:data:`cinegrade.colour.drift.COMPONENTS`:
exposure in stops, warmth and tint as log cone-gain ratios in CAT02, log contrast, lift, log
saturation; B relative to A) with a standard error per component (``inf`` where the source says
nothing of it: a light's colour tells warmth and tint, not exposure). The errors are
calibrated on the benchmark sets (``benchmarks/evidence.py``), so that sources combine by
inverse variance and a finding can say how sure it is.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from cinegrade.colour.drift import COMPONENTS, TO_COMPONENTS, parameters_of
from cinegrade.errors import ChoiceError

#: Standard error meaning "this source says nothing of this parameter".
UNKNOWN = math.inf


@dataclass(frozen=True)
class PairEvidence:
    """What one source found of how shot B differs from shot A.

    ``drift``: the six drift components A → B (:data:`~cinegrade.colour.drift.COMPONENTS`; B's
    pixels ≈ ``predict_drift(A's pixels, parameters)`` on what they share, with ``parameters``
    :attr:`parameters`). ``error``: the standard error of each, same units (:data:`UNKNOWN` =
    no information). ``correlation``: the errors' correlation matrix (6 × 6, row-major, 36
    values) where the source knows it (a fit of several components on a narrow range of
    colours trades exposure against contrast and lift), None when they are independent.
    ``support``: what it rests on,
    in the source's own unit (``unit``: "pixels", "keypoints", "faces", …). ``source``: the
    registered name. ``note``: one short phrase for reports ("12 keypoints on the back wall").
    """

    source: str
    drift: tuple[float, ...]
    error: tuple[float, ...]
    support: int = 0
    unit: str = ""
    note: str = ""
    correlation: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if len(self.drift) != len(COMPONENTS) or len(self.error) != len(COMPONENTS):
            raise ValueError(f"drift and error need {len(COMPONENTS)} values each")
        if self.correlation is not None and len(self.correlation) != len(COMPONENTS) ** 2:
            raise ValueError(f"correlation needs {len(COMPONENTS) ** 2} values")

    @classmethod
    def of(cls, source: str, known: dict[str, tuple[float, float]], support: int = 0, unit: str = "",
           note: str = "") -> PairEvidence:
        """Evidence on some components only: ``known`` maps component names
        (:data:`~cinegrade.colour.drift.COMPONENTS`) to (drift, standard error); the rest are
        :data:`UNKNOWN`.

        >>> PairEvidence.of("x", {"lift": (0.02, 0.01)}).error[4], PairEvidence.of("x", {}).error[0]
        (0.01, inf)
        """
        drift, error = [0.0] * len(COMPONENTS), [UNKNOWN] * len(COMPONENTS)
        for name, (value, spread) in known.items():
            drift[COMPONENTS.index(name)], error[COMPONENTS.index(name)] = float(value), float(spread)
        return cls(source, tuple(drift), tuple(error), support, unit, note)

    @classmethod
    def fitted(cls, source: str, parameters: np.ndarray, covariance: np.ndarray, inflation: float,
               floor: Sequence[float], support: int = 0, unit: str = "", note: str = "") -> PairEvidence:
        """Evidence from a drift fit (:func:`~cinegrade.colour.drift.fit_drift_parameters`):
        parameters (6,) and their covariance (6, 6), the formal covariance scaled by
        ``inflation``² (pixels of one surface are not independent) plus an independent floor
        ``floor`` (6,) per component; both measured per source on the benchmark sets
        (:func:`fitted_covariance`)."""
        components = TO_COMPONENTS @ np.asarray(parameters, dtype=np.float64)
        error, correlation = fitted_covariance(covariance, inflation, floor)
        return cls(source, tuple(float(v) for v in components), tuple(float(v) for v in error), support,
                   unit, note, tuple(float(v) for v in correlation.ravel()))

    @property
    def covariance(self) -> np.ndarray:
        """The errors' covariance (6, 6) float64 over the known components (rows and columns of
        :data:`UNKNOWN` components are 0)."""
        error = np.asarray(self.error, dtype=np.float64)
        known = np.isfinite(error)
        scale = np.where(known, error, 0.0)
        correlation = np.eye(len(COMPONENTS)) if self.correlation is None else \
            np.asarray(self.correlation, dtype=np.float64).reshape(len(COMPONENTS), len(COMPONENTS))
        return correlation * np.outer(scale, scale)

    @property
    def information(self) -> np.ndarray:
        """The inverse of :attr:`covariance` over the known components (6, 6) float64, 0 on the
        unknown ones: the weight of this evidence in a least-squares solve.

        >>> e = PairEvidence("x", (0.0,) * 6, (0.1, 0.2, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN))
        >>> np.round(np.diag(e.information), 1).tolist()
        [100.0, 25.0, 0.0, 0.0, 0.0, 0.0]
        """
        error = np.asarray(self.error, dtype=np.float64)
        known = np.isfinite(error) & (error > 0)
        information = np.zeros((len(COMPONENTS), len(COMPONENTS)))
        if known.any():
            block = self.covariance[np.ix_(known, known)]
            information[np.ix_(known, known)] = np.linalg.pinv(block, hermitian=True)
        return information

    @property
    def parameters(self) -> np.ndarray:
        """The drift as the model's parameters (6,) (:data:`~cinegrade.colour.drift.PARAMETERS`),
        unknown components taken as 0."""
        return parameters_of(self.drift)

    @property
    def weight(self) -> np.ndarray:
        """Inverse variances (6,) float64, 0 where the error is :data:`UNKNOWN`."""
        error = np.asarray(self.error, dtype=np.float64)
        with np.errstate(divide="ignore"):
            return np.where(np.isfinite(error) & (error > 0), 1.0 / error**2, 0.0)

    def reversed(self) -> PairEvidence:
        """The same evidence read B → A (parameters negated: the model is near-additive in them)."""
        return PairEvidence(self.source, tuple(-v for v in self.drift), self.error, self.support,
                            self.unit, self.note, self.correlation)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``inf`` errors as null)."""
        found = {"source": self.source, "drift": [round(v, 5) for v in self.drift],
                 "error": [None if not math.isfinite(e) else round(e, 5) for e in self.error],
                 "support": self.support, "unit": self.unit, "note": self.note}
        if self.correlation is not None:
            found["correlation"] = [round(v, 4) for v in self.correlation]
        return found

    @classmethod
    def from_json(cls, data: dict) -> PairEvidence:
        """What :meth:`to_json` gave."""
        return cls(data["source"], tuple(data["drift"]),
                   tuple(UNKNOWN if e is None else e for e in data["error"]),
                   data.get("support", 0), data.get("unit", ""), data.get("note", ""),
                   tuple(data["correlation"]) if data.get("correlation") else None)


@dataclass(frozen=True)
class ShotEvidenceInput:
    """What a source may describe a shot from: its sampled frames (display-referred Rec.709
    R'G'B' (H, W, 3) uint8, as :class:`~cinegrade.correspondence.views.ShotView` keeps them), its
    whole-shot statistics (:class:`~cinegrade.analysis.stats.ShotStats` or None) and the first
    and last frames (uint8, or None: continuations)."""

    frames8: tuple[np.ndarray, ...]
    stats: Any = None
    first8: np.ndarray | None = None
    last8: np.ndarray | None = None
    extra: dict = field(default_factory=dict)

    @property
    def frames(self) -> tuple[np.ndarray, ...]:
        """The frames as float32 in [0, 1]."""
        return tuple(f.astype(np.float32) / 255 for f in self.frames8)

    @functools.cached_property
    def view8(self) -> tuple[np.ndarray, ...]:
        """The frames at the width of the views alignment is made for (320 px,
        :data:`~cinegrade.correspondence.views.VIEW_SETTINGS`): ``extra["view8"]`` where the
        caller has them, else :attr:`frames8` reduced. Sources calibrated at that size read these."""
        from cinegrade.correspondence.views import VIEW_SETTINGS, reduced

        return tuple(self.extra.get("view8") or (reduced(f, VIEW_SETTINGS.width) for f in self.frames8))

    @functools.cached_property
    def face_boxes(self) -> tuple[tuple[tuple[int, int, int, int], ...], ...]:
        """Faces (x, y, w, h pixels) found in each frame (:func:`cinegrade.evidence.faces.detect_faces`),
        found once for every source that needs them."""
        from cinegrade.evidence.faces import detect_faces

        return tuple(tuple(detect_faces(frame)) for frame in self.frames8)


class EvidenceSource:
    """One kind of evidence. Subclasses set :attr:`name` and implement :meth:`describe` and
    :meth:`compare`; both are pure (no I/O) and their results picklable, so they run in any
    executor and descriptions can be cached."""

    name: ClassVar[str] = ""
    #: sources of one family see the same thing (e.g. pixels through one alignment or another):
    #: of their evidence on a pair only the strongest counts (None: the source's own name)
    family: ClassVar[str | None] = None
    #: True when :meth:`compare` differences a reading each shot has on its own (its black floor,
    #: the colour of its light, a character's skin): every pair a shot is in then shares that
    #: shot's error, and the scene's solve must not count them as independent
    #: (:func:`cinegrade.evidence.scene.solve_scene`'s ``per_shot``)
    per_shot: ClassVar[bool] = False
    #: bump when what :meth:`describe` returns changes (cache keys carry it)
    version: ClassVar[int] = 1

    def describe(self, shot: ShotEvidenceInput) -> Any:
        """A small summary of one shot (None when the shot offers this source nothing)."""
        raise NotImplementedError

    def compare(self, a: Any, b: Any) -> PairEvidence | None:
        """Evidence of how shot B differs from shot A from their descriptions (None: nothing)."""
        raise NotImplementedError


#: Registered sources by name (:func:`register_source`); the order is the default order.
EVIDENCE_SOURCES: dict[str, type[EvidenceSource]] = {}


def register_source(cls: type[EvidenceSource]) -> type[EvidenceSource]:
    """Class decorator: add ``cls`` to :data:`EVIDENCE_SOURCES` under its name."""
    if not cls.name:
        raise ValueError("an evidence source needs a name")
    EVIDENCE_SOURCES[cls.name] = cls
    return cls


def evidence_source(name: str) -> EvidenceSource:
    """An instance of the registered source ``name``; :class:`~cinegrade.errors.ChoiceError`
    (field ``evidence``) for an unknown one."""
    if name not in EVIDENCE_SOURCES:
        raise ChoiceError("evidence", name, tuple(EVIDENCE_SOURCES))
    return EVIDENCE_SOURCES[name]()


def fitted_covariance(covariance: np.ndarray, inflation: float, floor: Sequence[float]
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Standard errors (6,) of :data:`~cinegrade.colour.drift.COMPONENTS` and their correlation
    (6, 6) from a drift fit's parameter covariance (6, 6)
    (:func:`~cinegrade.colour.drift.fit_drift_parameters`): the formal covariance in components
    times ``inflation``² (pixels of one surface are not independent) plus an independent
    ``floor`` (6,)² on the diagonal; both measured per source on the benchmark sets.

    >>> error, correlation = fitted_covariance(np.zeros((6, 6)), 3.0, [0.1, 0.02, 0.01, 0.1, 0.02, 0.05])
    >>> error.tolist(), bool(np.allclose(correlation, np.eye(6)))
    ([0.1, 0.02, 0.01, 0.1, 0.02, 0.05], True)
    """
    floor = np.asarray(floor, dtype=np.float64)
    total = inflation**2 * (TO_COMPONENTS @ covariance @ TO_COMPONENTS.T) + np.diag(floor**2)
    total = (total + total.T) / 2
    error = np.sqrt(np.maximum(np.diag(total), 0.0))
    scale = np.where(error > 0, error, 1.0)
    correlation = np.clip(total / np.outer(scale, scale), -1.0, 1.0)
    np.fill_diagonal(correlation, 1.0)
    return error, correlation


def fitted_errors(covariance: np.ndarray, inflation: float, floor: Sequence[float]) -> np.ndarray:
    """The standard errors (6,) of :func:`fitted_covariance`."""
    return fitted_covariance(covariance, inflation, floor)[0]


def combine(evidence: Sequence[PairEvidence]) -> tuple[np.ndarray, np.ndarray]:
    """Inverse-variance mean of several sources' drifts per component: (drift (6,), error (6,)),
    error ``inf`` where none says anything.

    >>> a = PairEvidence("x", (0.1, 0, 0, 0, 0, 0), (0.1, 0.1, 0.1, UNKNOWN, UNKNOWN, 0.1))
    >>> b = PairEvidence("y", (0.3, 0, 0, 0, 0, 0), (0.1, 0.1, 0.1, UNKNOWN, 0.01, 0.1))
    >>> drift, error = combine([a, b])
    >>> round(float(drift[0]), 3), round(float(error[0]), 4), bool(np.isinf(error[3]))
    (0.2, 0.0707, True)
    """
    weights = np.array([e.weight for e in evidence]).reshape(-1, len(COMPONENTS))
    drifts = np.array([e.drift for e in evidence], dtype=np.float64).reshape(-1, len(COMPONENTS))
    total = weights.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        drift = np.where(total > 0, (weights * drifts).sum(axis=0) / total, 0.0)
        error = np.where(total > 0, 1.0 / np.sqrt(total), UNKNOWN)
    return drift, error
