"""Drift inside one shot → findings: ``creep_within_shot`` (a slow, monotone change over the shot:
size, unit, from which frame) and ``flicker_along`` (the frame-to-frame wobble of the same
measurements). Pure, but for :func:`measure_shot`, the I/O edge that samples a shot's media.

The measurement is :mod:`cinegrade.analysis.along`'s: sampled frames of the shot, each compared
with the shot's first frames on the content they share. The comparison itself,
:class:`SharedPixelDrift`, sits here because alignment (:mod:`cinegrade.correspondence.align`)
is a layer above analysis: ORB keypoints, a similarity by RANSAC, the shared flat, unclipped,
correlating pixels pooled over the reference frames (:func:`~cinegrade.correspondence.align.pooled_shared_pixels`),
the drift model fitted there (:func:`~cinegrade.colour.drift.fit_drift_parameters`).

Each frame's drift is read in the units continuity reports (:func:`frame_readings`: exposure of
18 % grey in stops, white balance in mired by :func:`cinegrade.continuity.measure.measure_from_scene`'s
map, saturation and contrast as log ratios, lift in display units), a hinge is fitted along the
shot to each (:func:`cinegrade.analysis.along.fit_hinge`), and a creep is a finding when its
size passes the threshold *and* lies :attr:`CreepSettings.min_significance` standard errors
from zero.
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
    measure_along,
    sample_along,
)
from cinegrade.analysis.stats import flicker_stops
from cinegrade.colour.drift import (
    COMPONENTS,
    components_of,
    fit_drift_parameters,
    grey_exposure,
    plausible,
)
from cinegrade.continuity.measure import measure_from_scene
from cinegrade.continuity.rules import ContinuityWarning
from cinegrade.correspondence.align import (
    MeasureSettings,
    ShotFeatures,
    pooled_shared_pixels,
    shot_features,
)
from cinegrade.evidence.base import fitted_errors
from cinegrade.timeline.contract import ERROR, WARNING
from cinegrade.timeline.shots import Shot

#: Alignment inside one shot: OpenCV's ORB (20× scikit-image's speed; the frames of one shot
#: align easily) and the cut measure's other settings.
ALONG_MEASURE = MeasureSettings(detector="orb")
#: Per-frame standard errors: the fit's formal errors times this, floored (in quadrature) by
#: :data:`ERROR_FLOOR` (exposure stops, warmth, tint, log contrast, lift, log saturation) — the
#: shared-pixels evidence's inflation; on the undrifted shots of benchmarks/within_shot.py the
#: scatter is 0.5–1.6× what they claim (exposure 1.6, warmth 0.65, tint 0.8, contrast 1.0, lift
#: 1.3, saturation 0.5). The creep's error rests on the scatter about its fit, these only floor it.
ERROR_INFLATION = 10.0
ERROR_FLOOR = np.array([0.01, 0.002, 0.002, 0.01, 0.004, 0.005])
#: Largest change of log contrast and of lift (display) between two frames of one shot that is
#: read as a drift: beyond, the fit has traded gains, contrast and lift on content that spans
#: few tones or moved (bikes.mp4's tracking shot fits ×2.6 contrast and 0.3 lift on undrifted
#: frames), and the frame goes unmeasured or is chained through a nearer one.
WITHIN_SHOT_LIMITS = {"log_contrast": 0.4, "lift": 0.1}
#: Most pixel pairs one frame's fit uses (an even stride through the pooled pairs): the fit
#: dominates the measurement's time, and 4000 pairs of one picture pin the drift to ~0.005 stop.
FIT_PIXELS = 4000


class SharedPixelDrift:
    """A :data:`cinegrade.analysis.along.FrameDrift` over one shot's sampled frames: the drift of
    frame ``index`` relative to frames ``reference`` on the pixels they share (see the module
    docstring), as components and standard errors (:func:`~cinegrade.evidence.base.fitted_errors`
    with :data:`ERROR_INFLATION` and :data:`ERROR_FLOOR`). ORB features of every frame are
    computed once. Frames: display-referred Rec.709 float (H, W, 3) in [0, 1], one size."""

    def __init__(self, frames: Sequence[np.ndarray], settings: MeasureSettings = ALONG_MEASURE):
        self.frames = tuple(np.asarray(f, dtype=np.float32) for f in frames)
        self.settings = settings
        self.features = shot_features(self.frames, settings)

    def _subset(self, indices: Sequence[int]) -> ShotFeatures:
        return ShotFeatures(tuple(self.features.keypoints[i] for i in indices),
                            tuple(self.features.descriptors[i] for i in indices),
                            self.features.width)

    def __call__(self, reference: Sequence[int], index: int
                 ) -> tuple[np.ndarray, np.ndarray] | None:
        reference = [i for i in reference if i != index]
        if not reference:
            return None
        pooled = pooled_shared_pixels([self.frames[i] for i in reference], [self.frames[index]],
                                      self._subset(reference), self._subset([index]),
                                      count=len(reference), settings=self.settings)
        if pooled is None:
            return None
        step = max(1, len(pooled[0]) // FIT_PIXELS)
        fitted = fit_drift_parameters(pooled[0][::step], pooled[1][::step])
        if fitted is None or not plausible(fitted[0]):
            return None
        parameters, covariance = fitted
        components = components_of(parameters)
        if any(abs(components[COMPONENTS.index(name)]) > limit
               for name, limit in WITHIN_SHOT_LIMITS.items()):
            return None
        return components, fitted_errors(covariance, ERROR_INFLATION, ERROR_FLOOR)


def measure_frames(frames: AlongFrames, settings: MeasureSettings = ALONG_MEASURE) -> AlongShot:
    """:func:`~cinegrade.analysis.along.measure_along` with :class:`SharedPixelDrift`."""
    return measure_along(frames, SharedPixelDrift(frames.frames, settings))


def measure_shot(shot: Shot, settings: AlongSettings = AlongSettings(),
                 measure: MeasureSettings = ALONG_MEASURE) -> AlongShot | str:
    """Sample ``shot`` along its length (I/O: :func:`~cinegrade.analysis.along.sample_along`) and
    measure it; a string says why not (bad media never raises)."""
    frames = sample_along(shot, settings)
    if isinstance(frames, str):
        return frames
    return measure_frames(frames, measure)


@dataclass(frozen=True)
class CreepSettings:
    """Thresholds of the within-shot rules: a creep at or beyond ``x`` over the shot is a warning,
    at or beyond ``x_error`` an error, when it also lies ``min_significance`` standard errors
    from zero. Sizes are the change from the creep's start to the shot's last frame.

    - ``exposure_stops`` 0.22 / 0.67, ``white_balance_mired`` 12 / 30, ``saturation_percent``
      10 / 30: the cut rules' (:class:`~cinegrade.continuity.rules.ContinuitySettings`: what a
      viewer sees at the next cut, where the creep's end meets the next shot's start; saturation
      a little wider): the detection targets (⅓ stop, 20 mired, ×1.15–1.3 saturation) are
      found with margin — fitted sizes of linear creeps are off by a median 0.03 stop, 2 mired,
      2.4 % (benchmarks/within_shot.py), undrifted shots measure under 0.01 stop, 1 mired and
      1 % on photographs with camera moves.
    - ``contrast_percent`` 15 / 40, ``black_level`` 0.03 / 0.08: wider than the cut rules' —
      along a real, moving shot (bikes.mp4) the fit trades contrast and lift against the gains
      and undrifted shots measured contrast creeps to 12 % and lift creeps to 0.026.
    - ``min_significance`` 5: the hinge's start is searched, so the size's z on a flat
      curve runs above a plain t statistic's; at 4, undrifted real video gave creeps of 4–5 z.
    - ``flicker_stops`` 0.012 / 0.05: as the cut rules' flicker, read from the sampled frames'
      exposure wobble (second differences, :func:`~cinegrade.analysis.stats.flicker_stops`)
      with the measurement's own noise taken out in quadrature (:attr:`flicker_noise`). Found
      every flicker of σ 0.02–0.04 stop on the benchmark and nothing on undrifted photographs
      with camera moves, but 5 of 15 undrifted real-video shots (bikes.mp4: content moving
      through the frame wobbles the sample-to-sample comparison by 0.013–0.06 stop), where the
      cut rules' registered flicker of 12 consecutive frames raised none: that one stays the
      flicker measure; this one is a cross-check.
    """

    exposure_stops: float = 0.22
    exposure_stops_error: float = 0.67
    white_balance_mired: float = 12.0
    white_balance_mired_error: float = 30.0
    saturation_percent: float = 10.0
    saturation_percent_error: float = 30.0
    contrast_percent: float = 15.0
    contrast_percent_error: float = 40.0
    black_level: float = 0.03
    black_level_error: float = 0.08
    min_significance: float = 5.0
    flicker_stops: float = 0.012
    flicker_stops_error: float = 0.05
    #: RMS wobble (stops) the along measurement shows on undrifted shots, taken out of the
    #: measured wobble in quadrature
    flicker_noise: float = 0.006


RULE = "creep_within_shot"
FLICKER_RULE = "flicker_along"

#: The readings a creep is judged in: name → (the :class:`CreepSettings` field, unit, digits,
#: whether the curve is a log ratio reported as a percent change).
READINGS = {
    "exposure": ("exposure_stops", "stops", 2, False),
    "white balance (+ warmer)": ("white_balance_mired", "mired", 0, False),
    "saturation": ("saturation_percent", "%", 0, True),
    "contrast": ("contrast_percent", "%", 0, True),
    "black level": ("black_level", "display", 3, False),
}

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
    leaves those out)."""
    rows = [(o, frame_readings(c, e)) for o, c, e in zip(along.offsets, along.components, along.errors)
            if np.all(np.isfinite(c))]
    return {name: (np.array([o for o, _ in rows], dtype=np.float64),
                   np.array([r[name][0] for _, r in rows], dtype=np.float64),
                   np.array([r[name][1] for _, r in rows], dtype=np.float64)) for name in READINGS}


@dataclass(frozen=True)
class CreepReading:
    """One reading's creep: ``value`` in ``unit`` (stops, mired, % change symmetric in log,
    display units; end − start), ``z`` (standard errors from zero), ``start`` (offset from the
    shot's first frame where the ramp begins), ``setting`` (the :class:`CreepSettings` field
    judging it), ``creep``: the hinge fit (in log ratio for percent readings)."""

    what: str
    value: float
    unit: str
    z: float
    start: int
    setting: str
    digits: int
    creep: Creep

    def at(self, offset) -> float:
        """The fitted curve at ``offset`` relative to the shot's start, in :attr:`unit`."""
        value = self.creep.at(offset) - self.creep.level
        return _percent(value) if READINGS[self.what][3] else float(value)


def _percent(log_ratio: float) -> float:
    """A log ratio as a percent change, symmetric in log: ln 1.15 → +15, −ln 1.15 → −15."""
    return math.copysign(100.0 * (math.exp(abs(log_ratio)) - 1.0), log_ratio)


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
        setting, unit, digits, ratio = READINGS[name]
        creep = fit_hinge(t, y, e, along.duration, name, unit, min_frames=MIN_FRAMES)
        if creep is None:
            continue
        found.append(CreepReading(name, _percent(creep.size) if ratio else creep.size, unit,
                                  creep.significance, creep.start, setting, digits, creep))
    return found


def _severity(value: float, warn: float, error: float) -> str | None:
    if abs(value) >= error:
        return ERROR
    if abs(value) >= warn:
        return WARNING
    return None


def shot_frame(shot: Shot, offset: int) -> int:
    """The record frame (from the timeline's first frame) of a shot's source offset ``offset``
    (source frames at the clip's rate → record frames at the timeline's).

    >>> from cinegrade.timeline.shots import FrameRange
    >>> s = Shot(0, 0, "V1", "video", 0, "a", "movie", "/a.mp4", None, FrameRange(100, 50, 25.0),
    ...          FrameRange(1000, 50, 25.0), None, None, True, None, (0,))
    >>> shot_frame(s, 12)
    1012
    """
    scale = shot.record.rate / shot.source.rate if shot.source.rate else 1.0
    return shot.record.start + min(round(offset * scale), max(shot.record.duration - 1, 0))


def creep_within_shot(shot: Shot, along: AlongShot, settings: CreepSettings = CreepSettings(),
                      scene: str | None = None) -> list[ContinuityWarning]:
    """Findings of rule ``creep_within_shot`` on one shot: each component whose creep over the
    shot passes its :class:`CreepSettings` threshold and ``min_significance``, placed at the
    record frame where the creep starts; ``value`` is the size in ``unit`` (signed: end − start)."""
    found = []
    for reading in creep_readings(along):
        warn = getattr(settings, reading.setting)
        severity = _severity(reading.value, warn, getattr(settings, f"{reading.setting}_error"))
        if severity is None or reading.z < settings.min_significance:
            continue
        found.append(ContinuityWarning(
            RULE, severity, shot.clip_name, shot.index, shot_frame(shot, reading.start),
            f"{reading.what} creeps {reading.value:+.{reading.digits}f} {reading.unit} within "
            f"the shot, from its frame {reading.start} to its end ({reading.z:.0f} standard "
            "errors)", round(reading.value, 4), warn, reading.unit, scene=scene))
    return found


def along_flicker(along: AlongShot, noise: float = CreepSettings.flicker_noise) -> float | None:
    """Exposure wobble from sample to sample (stops RMS): :func:`~cinegrade.analysis.stats.flicker_stops`
    of the measured exposure curve (second differences: a creep's ramp adds nothing), with
    ``noise`` (the measurement's own) taken out in quadrature; None below 3 measured frames.

    >>> rows = tuple((v, 0, 0, 0, 0, 0) for v in [0.0, 0.1, 0.0, 0.1, 0.0])
    >>> a = AlongShot((0, 6, 12, 18, 24), rows, ((0.01,) * 6,) * 5, (False,) * 5, 25)
    >>> round(along_flicker(a, noise=0.0), 4)
    0.0816
    """
    _, values, _ = reading_series(along)["exposure"]
    wobble = flicker_stops(values)
    if wobble is None:
        return None
    return math.sqrt(max(wobble**2 - noise**2, 0.0))


def flicker_along(shot: Shot, along: AlongShot, settings: CreepSettings = CreepSettings(),
                  scene: str | None = None) -> list[ContinuityWarning]:
    """Finding of rule ``flicker_along``: the shot's exposure wobbles (:func:`along_flicker`) at or
    beyond ``flicker_stops``."""
    value = along_flicker(along, settings.flicker_noise)
    if value is None:
        return []
    severity = _severity(value, settings.flicker_stops, settings.flicker_stops_error)
    if severity is None:
        return []
    return [ContinuityWarning(FLICKER_RULE, severity, shot.clip_name, shot.index,
                              shot.record.start,
                              f"exposure wobbles {value:.3f} stop RMS along the shot",
                              round(value, 4), settings.flicker_stops, "stops", scene=scene)]
