"""Drift inside one shot, read for the rules: each sampled frame's drift from the shot's start
(:mod:`cinegrade.analysis.along`, compared on the pixels the frames share by
:class:`cinegrade.correspondence.within_shot.SharedPixelDrift`) in the units continuity reports,
the creep of each reading over the shot, and the wobble from sample to sample. The rules that
judge them, ``creep_within_shot`` and ``flicker_along``, are
:class:`cinegrade.continuity.rules.CreepWithinShot` and :class:`~cinegrade.continuity.rules.FlickerAlong`.
Pure, but for :func:`measure_shot`, the I/O edge that samples a shot's media (a pure function of
media identity, range and settings: what an executor runs).

Each frame's drift is read in the units continuity reports (:func:`frame_readings`: exposure of
18 % grey in stops, white balance in mired by :func:`cinegrade.continuity.measure.measure_from_scene`'s
map, saturation and contrast as log ratios, lift in display units), and a hinge is fitted along
the shot to each (:func:`cinegrade.analysis.along.fit_hinge`): :func:`creep_readings`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cinegrade.analysis.along import (
    AlongFrames,
    AlongSettings,
    AlongShot,
    Creep,
    fit_hinge,
    sample_along,
)
from cinegrade.analysis.stats import flicker_stops
from cinegrade.colour.drift import grey_exposure
from cinegrade.continuity.measure import measure_from_scene
from cinegrade.correspondence.align import MeasureSettings
from cinegrade.correspondence.within_shot import ALONG_MEASURE
from cinegrade.correspondence.within_shot import measure_frames as measure_shared
from cinegrade.evidence.base import fitted_errors
from cinegrade.timeline.shots import Shot

#: Per-frame standard errors: the fit's formal errors times this, floored (in quadrature) by
#: :data:`ERROR_FLOOR` (exposure stops, warmth, tint, log contrast, lift, log saturation) — the
#: shared-pixels evidence's inflation; on the undrifted shots of benchmarks/within_shot.py the
#: scatter is 0.5–1.6× what they claim (exposure 1.6, warmth 0.65, tint 0.8, contrast 1.0, lift
#: 1.3, saturation 0.5). The creep's error rests on the scatter about its fit, these only floor it.
ERROR_INFLATION = 10.0
ERROR_FLOOR = np.array([0.01, 0.002, 0.002, 0.01, 0.004, 0.005])


def frame_errors(covariance: np.ndarray) -> np.ndarray:
    """Standard errors (6,) of one frame's drift components from its fit's parameter covariance
    (6, 6): :func:`~cinegrade.evidence.base.fitted_errors` with :data:`ERROR_INFLATION` and
    :data:`ERROR_FLOOR`."""
    return fitted_errors(covariance, ERROR_INFLATION, ERROR_FLOOR)


def measure_frames(frames: AlongFrames, settings: MeasureSettings = ALONG_MEASURE) -> AlongShot:
    """``frames`` measured along the shot (:func:`cinegrade.correspondence.within_shot.measure_frames`)
    with the standard errors of :func:`frame_errors`."""
    return measure_shared(frames, frame_errors, settings)


#: Bump when how a shot is measured along its length changes (the comparison, the errors):
#: cached measurements of other versions are not found.
ALONG_VERSION = 1


def measure_shot(shot: Shot, settings: AlongSettings = AlongSettings(),
                 measure: MeasureSettings = ALONG_MEASURE) -> AlongShot | str:
    """Sample ``shot`` along its length (I/O: :func:`~cinegrade.analysis.along.sample_along`) and
    measure it; a string says why not (bad media never raises). A pure function of the media's
    identity, the shot's source range and the settings: what an executor runs, one shot a task."""
    frames = sample_along(shot, settings)
    if isinstance(frames, str):
        return frames
    return measure_frames(frames, measure)


#: The readings a creep is judged in: name → (the
#: :class:`~cinegrade.continuity.rules.ContinuitySettings` field judging it, unit, digits,
#: whether the curve is a log ratio reported as a percent change).
READINGS = {
    "exposure": ("creep_exposure_stops", "stops", 2, False),
    "white balance (+ warmer)": ("creep_white_balance_mired", "mired", 0, False),
    "saturation": ("creep_saturation_percent", "%", 0, True),
    "contrast": ("creep_contrast_percent", "%", 0, True),
    "black level": ("creep_black_level", "display", 3, False),
}

#: The readings the drift fit trades against the gains on content that spans few tones or
#: moves: judged only where the frames register well (``along_precision`` of
#: :class:`~cinegrade.continuity.rules.ContinuitySettings`), and their components
#: (:data:`TONE_COMPONENTS`) held only there.
TONE_READINGS = ("contrast", "black level")
TONE_COMPONENTS = ("log_contrast", "lift")

#: Fewest measured frames a reading's hinge rests on: the shot's 3 reference frames and 5 more
#: (bikes.mp4's tracking shot, whose content leaves the start's, measured contrast and lift on
#: only 3 frames besides the reference, and a +197 % "creep" from them).
MIN_FRAMES = 8


def frame_readings(components, errors) -> dict[str, tuple[float, float]]:
    """One frame's drift (components (6,) and standard errors (6,)) in the readings' units:
    exposure of 18 % grey (:func:`~cinegrade.colour.drift.grey_exposure`; its error taken as the gains' exposure error,
    an upper bound), white balance in mired (by :func:`~cinegrade.continuity.measure.measure_from_scene`'s
    map, as the cut rules read it), log saturation, log contrast, lift — by reading name:
    (value, error).

    >>> r = frame_readings([0.0, 0.0, 0.0, 0.0, 0.01, math.log(1.2)], [0.01] * 6)
    >>> round(r["saturation"][0], 4), r["black level"]
    (0.1823, (0.01, 0.01))
    """
    c, e = np.asarray(components, dtype=np.float64), np.asarray(errors, dtype=np.float64)
    measure = measure_from_scene(c, e, ())
    return {"exposure": (grey_exposure(c), float(e[0])),
            "white balance (+ warmer)": (measure.mired, measure.error("mired")),
            "saturation": (float(c[5]), float(e[5])),
            "contrast": (float(c[3]), float(e[3])),
            "black level": (float(c[4]), float(e[4]))}


def reading_series(along: AlongShot) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Each reading along the shot: name → (offsets, values, errors) over the measured frames
    (errors ``inf`` where a frame says nothing of it: :func:`~cinegrade.analysis.along.fit_hinge`
    leaves those out). Values as :func:`frame_readings` gives them (log ratios for saturation
    and contrast). Kept for the last shots read (the rules read each shot several times, and a
    mired reading costs a CCT search per frame)."""
    kept = _SERIES.get(id(along))
    if kept is not None and kept[0] is along:
        return kept[1]
    rows = [(o, frame_readings(c, e)) for o, c, e in zip(along.offsets, along.components, along.errors)
            if np.all(np.isfinite(c))]
    series = {name: (np.array([o for o, _ in rows], dtype=np.float64),
                     np.array([r[name][0] for _, r in rows], dtype=np.float64),
                     np.array([r[name][1] for _, r in rows], dtype=np.float64)) for name in READINGS}
    for arrays in series.values():
        for array in arrays:
            array.flags.writeable = False
    if len(_SERIES) >= 256:
        _SERIES.pop(next(iter(_SERIES)))
    _SERIES[id(along)] = (along, series)  # holding ``along`` keeps its id from being reused
    return series


_SERIES: dict[int, tuple[AlongShot, dict]] = {}


def in_unit(what: str, value):
    """A reading's value (:func:`frame_readings`) in its reported unit: log ratios (saturation,
    contrast) as a percent change symmetric in log (ln 1.15 → +15, −ln 1.15 → −15), the others
    as they are; a float or an array like ``value``.

    >>> round(in_unit("saturation", math.log(1.15)), 6), in_unit("exposure", 0.5)
    (15.0, 0.5)
    """
    if not READINGS[what][3]:
        return value
    log = np.asarray(value, dtype=np.float64)
    out = np.sign(log) * 100.0 * (np.exp(np.abs(log)) - 1.0)
    return float(out) if np.ndim(out) == 0 else out


@dataclass(frozen=True)
class CreepReading:
    """One reading's creep: ``value`` in ``unit`` (stops, mired, % change symmetric in log,
    display units; end − start), ``z`` (standard errors from zero), ``start`` (offset from the
    shot's first frame where the ramp begins), ``setting`` (the
    :class:`~cinegrade.continuity.rules.ContinuitySettings` field judging it), ``creep``: the
    hinge fit (in log ratio for percent readings)."""

    what: str
    value: float
    unit: str
    z: float
    start: int
    setting: str
    digits: int
    creep: Creep

    def at(self, offset):
        """The fitted curve at ``offset`` (frames from the shot's first frame) relative to the
        shot's start, in :attr:`unit`."""
        return in_unit(self.what, self.creep.at(offset) - self.creep.level)


def creep_readings(along: AlongShot) -> list[CreepReading]:
    """The hinge (:func:`~cinegrade.analysis.along.fit_hinge`) of each reading along the shot.

    >>> t = np.arange(0, 61, 5)
    >>> rows = tuple((-0.4 * v, 0, 0, 0, 0, 0) for v in np.clip((t - 12) / 48, 0, 1))
    >>> a = AlongShot(tuple(int(v) for v in t), rows, ((0.01,) * 6,) * len(t), (False,) * len(t), 61)
    >>> [(r.what, round(r.value, 2), r.start) for r in creep_readings(a)][:2]
    [('exposure', -0.4, 10), ('white balance (+ warmer)', 0.0, 0)]
    """
    found = []
    for name, (t, y, e) in reading_series(along).items():
        setting, unit, digits, _ = READINGS[name]
        creep = fit_hinge(t, y, e, along.duration, name, unit, min_frames=MIN_FRAMES)
        if creep is None:
            continue
        found.append(CreepReading(name, in_unit(name, creep.size), unit, creep.significance,
                                  creep.start, setting, digits, creep))
    return found


def shot_frame(shot: Shot, offset: int) -> int:
    """The record frame (from the timeline's first frame) of a shot's source offset ``offset``
    (source frames at the clip's rate → record frames at the timeline's), within the shot.

    >>> from cinegrade.timeline.shots import FrameRange
    >>> s = Shot(0, 0, "V1", "video", 0, "a", "movie", "/a.mp4", None, FrameRange(100, 50, 25.0),
    ...          FrameRange(1000, 50, 25.0), None, None, True, None, (0,))
    >>> shot_frame(s, 12)
    1012
    """
    scale = shot.record.rate / shot.source.rate if shot.source.rate else 1.0
    return shot.record.start + min(round(offset * scale), max(shot.record.duration - 1, 0))


def along_flicker(along: AlongShot, noise: float) -> float | None:
    """Exposure wobble from sample to sample (stops RMS): :func:`~cinegrade.analysis.stats.flicker_stops`
    of the measured exposure curve less its creep (the flat-then-ramp fit, where there are
    enough frames for one: its knee would read as a wobble, and second differences take out
    what curvature is left), with ``noise`` (the measurement's own, stops RMS) taken out in
    quadrature; None below 3 measured frames.

    >>> rows = tuple((v, 0, 0, 0, 0, 0) for v in [0.0, 0.1, 0.0, 0.1, 0.0])
    >>> a = AlongShot((0, 6, 12, 18, 24), rows, ((0.01,) * 6,) * 5, (False,) * 5, 25)
    >>> round(along_flicker(a, noise=0.0), 4)
    0.0816
    """
    offsets, values, errors = reading_series(along)["exposure"]
    creep = fit_hinge(offsets, values, errors, along.duration, "exposure", "stops", min_frames=MIN_FRAMES)
    wobble = flicker_stops(values - creep.at(offsets) if creep is not None else values)
    if wobble is None:
        return None
    return math.sqrt(max(wobble**2 - noise**2, 0.0))


def along_precision(along: AlongShot) -> float:
    """How well a shot's frames register with its start: the median standard error (stops) of
    the measured frames' exposure; ``inf`` with none measured.

    >>> a = AlongShot((0, 6, 12), ((0,) * 6,) * 3, ((0.01,) * 6, (0.02,) * 6, (0.04,) * 6), (False,) * 3, 13)
    >>> along_precision(a)
    0.02
    """
    errors = [e[0] for c, e in zip(along.components, along.errors)
              if np.all(np.isfinite(c)) and math.isfinite(e[0])]
    return float(np.median(errors)) if errors else math.inf


def wobbliest(along: AlongShot) -> int | None:
    """The sampled offset (frames from the shot's first frame) where the exposure curve's second
    difference is largest: where a flicker shows most; None below 3 measured frames.

    >>> rows = tuple((v, 0, 0, 0, 0, 0) for v in [0.0, 0.0, 0.0, 0.2, 0.0, 0.0])
    >>> wobbliest(AlongShot((0, 6, 12, 18, 24, 30), rows, ((0.01,) * 6,) * 6, (False,) * 6, 31))
    18
    """
    offsets, values, _ = reading_series(along)["exposure"]
    if len(values) < 3:
        return None
    second = np.abs(values[:-2] - 2 * values[1:-1] + values[2:])
    return int(offsets[1 + int(np.argmax(second))])


def along_json(along: AlongShot) -> dict:
    """A shot's measurement along its length in the readings' units, JSON-ready: ``offsets``
    (frames from the shot's first frame, the measured ones), per reading its ``unit`` and
    ``values`` (relative to the start), and each reading's hinge (``creeps``: value, unit,
    start offset, z)."""
    series = reading_series(along)
    offsets = [int(o) for o in series["exposure"][0]]
    readings = {name: {"unit": READINGS[name][1],
                       "values": [round(float(in_unit(name, v)), 5) for v in series[name][1]]}
                for name in READINGS}
    creeps = [{"reading": r.what, "value": round(r.value, 4), "unit": r.unit, "start": r.start,
               "z": round(r.z, 2) if math.isfinite(r.z) else None} for r in creep_readings(along)]
    return {"offsets": offsets, "duration": along.duration, "readings": readings, "creeps": creeps}
