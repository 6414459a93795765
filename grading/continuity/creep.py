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
from collections.abc import Sequence
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
from cinegrade.colour.drift import COMPONENTS, grey_exposure, mired_per_warmth, white_balance_mired
from cinegrade.continuity.measure import measure_from_scene
from cinegrade.correspondence.align import MeasureSettings
from cinegrade.correspondence.within_shot import ALONG_MEASURE, SharedPixelDrift
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


#: A shot's view frames (:data:`~cinegrade.correspondence.views.VIEW_SETTINGS`: at ¼, ½ and ¾
#: of it) that agree within this share of every creep threshold, in a shot whose registered
#: flicker is under :data:`STEADY_FLICKER_SHARE` of ``flicker_along_stops``, leave nothing for
#: the within-shot rules to find (:func:`steady`). A creep of size S whose ramp starts by half
#: the shot moves the ¾ frame from the ¼ one by at least S / 4 (S / 2 where linear): one the
#: rules flag (S at the threshold) shows ≥ 25 % of it, one the grade holds (half of it) ≥ 12.5 %.
STEADY_SHARE = 0.1
STEADY_FLICKER_SHARE = 0.5


def view_readings(frames: Sequence[np.ndarray], settings: MeasureSettings = ALONG_MEASURE
                  ) -> list[dict[str, tuple[float, float]]] | None:
    """The drift of each of a shot's ``frames`` after the first from the first, measured as the
    frames along it are (:class:`~cinegrade.correspondence.within_shot.SharedPixelDrift` with
    :func:`frame_errors`), in the readings' units (:func:`frame_readings`); None when one cannot
    be measured (too little shared, a failed fit). Frames: display-referred Rec.709 float or
    8-bit (H, W, 3), one size."""
    frames = [np.asarray(f, dtype=np.float32) / (255 if np.asarray(f).dtype == np.uint8 else 1)
              for f in frames]
    drift = SharedPixelDrift(frames, frame_errors, settings)
    found = []
    for index in range(1, len(frames)):
        measured = drift((0,), index)
        if measured is None:
            return None
        found.append(frame_readings(*measured))
    return found


def steady(frames: Sequence[np.ndarray], flicker: float | None, settings,
           share: float = STEADY_SHARE, flicker_share: float = STEADY_FLICKER_SHARE) -> str | None:
    """Why a shot need not be measured along its length, or None when it must be: its view
    ``frames`` (three, at ¼, ½ and ¾ of it) agree — each reading of :func:`view_readings`
    within ``share`` of its creep threshold in ``settings``
    (:class:`~cinegrade.continuity.rules.ContinuitySettings`) — and its registered
    ``flicker`` (stops RMS, of consecutive frames; None: not measured) is under
    ``flicker_share`` of ``flicker_along_stops``. Blind to what the view frames cannot see: a
    creep that starts late in the shot (past ~60 % a threshold-sized one can hide in the
    agreement) and a wobble slower than the consecutive frames span."""
    if len(frames) < 3 or flicker is None or not flicker < flicker_share * settings.flicker_along_stops:
        return None
    readings = view_readings(frames)
    if readings is None:
        return None
    worst = 0.0
    for reading in readings:
        for name, (value, _) in reading.items():
            threshold = getattr(settings, READINGS[name][0])
            if value is None or not math.isfinite(value) or not threshold > 0:
                return None
            worst = max(worst, abs(in_unit(name, value)) / threshold)
    if worst > share:
        return None
    return (f"its frames at 1/4, 1/2 and 3/4 agree within {100 * worst:.0f} % of each creep "
            f"threshold, and it flickers {flicker:.4f} stop RMS")


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
    (errors ``inf`` where a frame says nothing of it, NaN where white balance is unknown:
    :func:`~cinegrade.analysis.along.fit_hinge` leaves those out). Values as
    :func:`frame_readings` gives them, frame by frame (log ratios for saturation and contrast),
    read for all frames at once (one CCT search for the shot); read-only arrays, kept for the
    last shots read (:func:`_kept`).

    >>> rows = ((0.0,) * 6, (0.3, 0.1, 0.0, 0.0, 0.0, 0.1), (math.nan,) * 6)
    >>> a = AlongShot((0, 6, 12), rows, ((0.01,) * 6,) * 3, (False,) * 3, 13)
    >>> t, mired, _ = reading_series(a)["white balance (+ warmer)"]
    >>> t.tolist(), mired.round(2).tolist()
    ([0.0, 6.0], [0.0, 18.98])
    """
    return _kept("series", along, lambda a: read_series([a])[0])


def read_series(alongs: Sequence[AlongShot]) -> list[dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """:func:`reading_series` of each of ``alongs``, read for all their frames at once (one CCT
    search, one exposure model for them all: what a whole timeline's rules need) and kept for
    :func:`reading_series`."""
    alongs = list(alongs)
    c = np.concatenate([np.asarray(a.components, dtype=np.float64).reshape(-1, len(COMPONENTS))
                        for a in alongs] or [np.zeros((0, len(COMPONENTS)))])
    e = np.concatenate([np.asarray(a.errors, dtype=np.float64).reshape(-1, len(COMPONENTS))
                        for a in alongs] or [np.zeros((0, len(COMPONENTS)))])
    measured = np.all(np.isfinite(c), axis=1)
    shot = np.repeat(np.arange(len(alongs)), [len(a.offsets) for a in alongs])[measured]
    offsets = np.concatenate([np.asarray(a.offsets, dtype=np.float64) for a in alongs]
                             or [np.zeros(0)])[measured]
    c, e = c[measured], e[measured]
    white = np.isfinite(e[:, 1]) & np.isfinite(e[:, 2])  # as measure_from_scene reads mired
    mired = np.full(len(c), math.nan)
    if white.any():
        mired[white] = white_balance_mired(c[white])
    columns = {"exposure": (grey_exposure(c) if len(c) else np.zeros(0), e[:, 0]),
               "white balance (+ warmer)": (mired, np.where(white, mired_per_warmth() * e[:, 1], math.nan)),
               "saturation": (c[:, 5], e[:, 5]),
               "contrast": (c[:, 3], e[:, 3]),
               "black level": (c[:, 4], e[:, 4])}
    found = []
    for k, along in enumerate(alongs):
        rows = shot == k
        series = {}
        for name in READINGS:
            arrays = tuple(np.array(v[rows], dtype=np.float64) for v in (offsets, *columns[name]))
            for array in arrays:
                array.flags.writeable = False
            series[name] = arrays
        found.append(_kept("series", along, lambda _, series=series: series))
    return found


#: How many (kind, shot) readings :func:`_kept` keeps.
KEPT = 4096
_KEPT: dict[tuple[str, int], tuple[AlongShot, object]] = {}


def _kept(kind: str, along: AlongShot, compute):
    """``compute(along)``, kept for the last :data:`KEPT` shots read (by object: the rules,
    the hold and the report read each shot's series and creeps several times, and each
    reading costs a CCT search and hinge fits); the caller must not change what it gets."""
    key = (kind, id(along))
    kept = _KEPT.get(key)
    if kept is not None and kept[0] is along:
        return kept[1]
    value = compute(along)
    if len(_KEPT) >= KEPT:
        _KEPT.pop(next(iter(_KEPT)))
    _KEPT[key] = (along, value)  # holding ``along`` keeps its id from being reused
    return value


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
    return list(_kept("creeps", along, _creeps))


def _creeps(along: AlongShot) -> tuple[CreepReading, ...]:
    found = []
    for name, (t, y, e) in reading_series(along).items():
        setting, unit, digits, _ = READINGS[name]
        creep = fit_hinge(t, y, e, along.duration, name, unit, min_frames=MIN_FRAMES)
        if creep is None:
            continue
        found.append(CreepReading(name, in_unit(name, creep.size), unit, creep.significance,
                                  creep.start, setting, digits, creep))
    return tuple(found)


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
    offsets, values, _ = reading_series(along)["exposure"]
    creep = next((r.creep for r in creep_readings(along) if r.what == "exposure"), None)
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
    return _kept("precision", along, _precision)


def _precision(along: AlongShot) -> float:
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
