"""Continuity rules: measured shots and cuts → warnings an editor can act on (pure; no I/O).

Each rule is a small class with one job (in the spirit of PySceneDetect's detectors): a name, what
it looks at (a cut between consecutive shots of one scene, one shot, or the whole timeline) and a
``check`` that yields :class:`ContinuityWarning`\\ s. Every threshold lives in the frozen
:class:`ContinuitySettings`, with its default's reason beside it; a config file (TOML or JSON,
:func:`load_settings`) or ``--set name=value`` overrides any of them.

Cuts are judged on what the two shots share (:mod:`cinegrade.continuity.measure`): aligned
content when there is some, else whole-shot statistics, which a reframing alone moves — those
are judged with thresholds widened by :attr:`ContinuitySettings.unaligned_tolerance` and say so.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cinegrade.analysis.along import AlongShot
from cinegrade.analysis.stats import ShotStats
from cinegrade.continuity.creep import (
    TONE_READINGS,
    along_flicker,
    along_precision,
    creep_readings,
    shot_frame,
    wobbliest,
)
from cinegrade.continuity.measure import SCENE, CutMeasure
from cinegrade.errors import InputError
from cinegrade.timeline.contract import ERROR, INFO, SEVERITIES, WARNING
from cinegrade.timeline.shots import GENERATOR, MISSING, Shot

# Severities, least to most severe (:mod:`cinegrade.timeline.contract`). ``info`` is a finding
# too uncertain to be a warning (a cut judged on whole frames): listed and marked, but failing
# on warnings never counts it.


@dataclass(frozen=True)
class ContinuitySettings:
    """Thresholds of the continuity rules: a value at or beyond ``x`` is a warning, at or beyond
    ``x_error`` an error. Defaults and their reasons:

    - ``exposure_stops`` 0.22 / 0.67: ⅓ stop is the smallest exposure jump a viewer notices
      at a cut (one "click" of a camera's iris); aligned measurement of undrifted reframings
      spreads ±0.05 stop on crops and up to 0.13 stop between two cameras (parallax), so
      flagging from 0.22 catches ⅓-stop jumps with margin and spares reframings.
    - ``white_balance_mired`` 12 / 30: 20 mired (≈ 800 K near daylight) is a clearly visible
      shift in white; measurement of reframings spreads ±2 mired, of a 20-mired drift 16–23.
    - ``saturation_percent`` 8 / 30: a 15 % saturation change is visible side by side;
      aligned measurements of reframings spread ±2 %, of a 15 % change 13–17 %.
    - ``contrast_percent`` 7 / 20: a 12 % change of tonal slope (the generator's typical drift)
      is visible on faces and skies; reframings spread ±3 %.
    - ``black_level`` 0.02 / 0.05 (display, 0–1): 5 code values of 8-bit video lift or crush the
      blacks visibly; reframings spread ±0.012.
    - ``delta_e`` 4 / 8: median CIEDE2000 over shared content, a backstop for drifts the other
      rules do not model (tints off the Planckian locus, hue shifts); 1–2 is a just-noticeable
      difference of patches. Undrifted reframings measure ≤ 0.7 on crops, ≤ 1.9 between two
      cameras (parallax), ≤ 2.3 on real video whose content moves on (Big Buck Bunny).
    - ``unaligned_tolerance`` 2: whole-frame statistics move with framing; without shared
      content each cut threshold is multiplied by this and the finding is only ``info``, never
      a warning: real cuts between other content (bikes.mp4's) differ by 0.6–2 stops and
      25–135 % saturation without any drift, and whole-frame statistics of undrifted
      reframings cross the cut thresholds on 30–55 % of cuts (benchmarks/continuity.py), so no
      whole-frame rule can tell drift from content there.
    - ``evidence_z`` 2: a cut measured from its scene's joint solve (no shared pixels: the
      same characters, surfaces seen from another angle, the light) is a warning when its value
      passes the threshold *and* lies this many standard errors from zero (the evidence
      sources' errors are calibrated on the benchmark sets); else only ``info``, judged like a
      whole-frame cut.
    - ``flicker_stops`` 0.012 / 0.05: RMS frame-to-frame exposure wobble measured on
      registered content over 12 frames (:mod:`cinegrade.analysis.flicker`); 0.02 stop
      (1.4 % of luminance) wobbling is visible on flat areas. Undrifted shots measure ≤ 0.0075
      even with real motion (bikes.mp4, where frame means wobble up to 0.034), shots flickering
      with σ 0.024–0.027 stop 0.008–0.033 (twelve frames are a small sample).
    - ``colour_wobble_mired`` 15 / 40: spread (max − min) of the illuminant over a shot's
      sampled frames; a pan over other surfaces moves the estimate a few mired.
    - ``clipped_high_share`` 0.05: 5 % of the frame blown to white is a visible blotch; less
      is speculars. ``crushed_low_share`` 0.25: crushed blacks are often meant (night, space);
      a quarter of the frame is worth a look.
    - ``flash_frames`` 3: a clip shorter than 3 frames is almost always an editing accident.
    - ``black_luma`` 0.03: a sampled frame whose 99th percentile display luma is under 3 %
      is black (a gap in a render, a failed generation).

    Drift inside one shot (:mod:`cinegrade.continuity.creep`; sizes are the change from the
    creep's start to the shot's last frame, measured on the content the frames share):

    - ``creep_exposure_stops`` 0.22 / 0.67, ``creep_white_balance_mired`` 12 / 30,
      ``creep_saturation_percent`` 10 / 30: the cut rules' (what a viewer sees at the next cut,
      where the creep's end meets the next shot's start; saturation a little wider): the
      detection targets (⅓ stop, 20 mired, ×1.15–1.3 saturation) are found with margin —
      fitted sizes of linear creeps are off by a median 0.03 stop, 2 mired, 2.4 %
      (benchmarks/within_shot.py), undrifted shots measure under 0.01 stop, 1 mired and 1 % on
      photographs with camera moves.
    - ``creep_contrast_percent`` 15 / 40, ``creep_black_level`` 0.03 / 0.08: wider than the
      cut rules' — along a real, moving shot (bikes.mp4) the fit trades contrast and lift
      against the gains, and undrifted shots measured contrast creeps to 12 % and lift creeps
      to 0.026; where the frames register poorly with the start (``along_precision``, below)
      contrast and black-level creeps are only ``info`` (bikes.mp4's tracking shot, whose
      content leaves the start's, read black-level creeps of 0.06–0.1 at 5–6 standard errors).
    - ``creep_z`` 5: a creep is a finding when its size also lies this many standard errors
      (from the scatter about its fit) from zero; the hinge's start is searched, so the z of a
      flat curve runs above a plain t statistic's: at 4, undrifted real video gave creeps of
      4–5 z.
    - ``creep_min_frames`` 12 (½ s at 24 fps): a creep is slow — its ramp, from its start to
      the shot's last frame, spans at least this many frames; a change within less is a
      transient that camera motion makes of the comparison (the demo's 24-frame bikes-03-cut3,
      no creep: contrast +14 % and black level +0.039 at 7–8 z over its last 7 frames, where
      the frames register half as well, and was held and flagged), and fast changes are the
      flicker rules'. The
      benchmark's creeps, starting by half their 46–96-frame shots, ramp over 17 frames or more.
    - ``flicker_along_stops`` 0.012 / 0.05: as ``flicker_stops``, read from the exposure
      wobble from sample to sample along the whole shot (second differences of the same
      measurements, their own noise ``flicker_along_noise`` 0.006 stop RMS taken out in
      quadrature), where the frames register well: the median standard error of their
      exposure at most ``along_precision`` 0.03 stop (photographs with camera moves measure
      0.010–0.017, bikes.mp4's shots 0.024–0.12, Big Buck Bunny 0.056–0.072). Content moving
      through the frame
      wobbles the comparison (bikes.mp4: 0.013–0.06 stop on undrifted shots, whose frames'
      errors run 0.03–0.12 stop), so there the registered flicker of consecutive frames
      (``flicker``) stays the measure; a shot that rule flags, or that creeps (its curve and
      the crosstalk of a colour creep into exposure read as wobble), is not flagged again. On
      benchmarks/within_shot.py: 16 of 24 flickers of σ 0.02–0.04 stop found alone, none of 108
      shots without flicker (36 undrifted, 72 creeping) flagged; with ``flicker``, 24 of 24
      (that rule alone: 23).

    :class:`InputError` for a value that is not a finite number ≥ 0, or an
    ``unaligned_tolerance`` below 1.
    """

    exposure_stops: float = 0.22
    exposure_stops_error: float = 0.67
    white_balance_mired: float = 12.0
    white_balance_mired_error: float = 30.0
    saturation_percent: float = 8.0
    saturation_percent_error: float = 30.0
    contrast_percent: float = 7.0
    contrast_percent_error: float = 20.0
    black_level: float = 0.02
    black_level_error: float = 0.05
    delta_e: float = 4.0
    delta_e_error: float = 8.0
    unaligned_tolerance: float = 2.0
    evidence_z: float = 2.0
    flicker_stops: float = 0.012
    flicker_stops_error: float = 0.05
    colour_wobble_mired: float = 15.0
    colour_wobble_mired_error: float = 40.0
    clipped_high_share: float = 0.05
    crushed_low_share: float = 0.25
    flash_frames: int = 3
    black_luma: float = 0.03
    creep_exposure_stops: float = 0.22
    creep_exposure_stops_error: float = 0.67
    creep_white_balance_mired: float = 12.0
    creep_white_balance_mired_error: float = 30.0
    creep_saturation_percent: float = 10.0
    creep_saturation_percent_error: float = 30.0
    creep_contrast_percent: float = 15.0
    creep_contrast_percent_error: float = 40.0
    creep_black_level: float = 0.03
    creep_black_level_error: float = 0.08
    creep_z: float = 5.0
    creep_min_frames: int = 12
    flicker_along_stops: float = 0.012
    flicker_along_stops_error: float = 0.05
    flicker_along_noise: float = 0.006
    along_precision: float = 0.03

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or \
                    not math.isfinite(value) or value < 0:
                raise InputError(f"continuity setting {item.name} must be a number ≥ 0, "
                                 f"not {value!r}")
        if self.unaligned_tolerance < 1:
            raise InputError("unaligned_tolerance must be ≥ 1")

    def replace(self, values: Mapping[str, Any], path: str | os.PathLike | None = None
                ) -> ContinuitySettings:
        """These settings with ``values`` (setting name → number; text is parsed; ``-`` in a
        name read as ``_``) changed. :class:`InputError` (naming ``path`` when given) for an
        unknown name or a value that is no valid number.

        >>> ContinuitySettings().replace({"exposure-stops": "0.3"}).exposure_stops
        0.3
        """
        known = {item.name: item for item in dataclasses.fields(self)}
        changes = {}
        for name, value in values.items():
            key = str(name).strip().replace("-", "_")
            if key not in known:
                raise InputError(f"unknown continuity setting {name!r}; known: "
                                 f"{', '.join(known)}", path)
            if isinstance(value, str):
                try:
                    value = float(value)
                except ValueError:
                    raise InputError(f"continuity setting {name} must be a number, not "
                                     f"{value!r}", path) from None
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InputError(f"continuity setting {name} must be a number, not {value!r}",
                                 path)
            if known[key].type in (int, "int"):
                value = int(round(value))
            changes[key] = value
        try:
            return dataclasses.replace(self, **changes)
        except InputError as error:
            raise InputError(error.reason, path) from None


def load_settings(path: str | os.PathLike, base: ContinuitySettings = ContinuitySettings()
                  ) -> ContinuitySettings:
    """Settings from a TOML (``.toml``) or JSON file: setting names as keys, at the top level or
    in a ``[continuity]`` table (``{"continuity": {...}}``); values change ``base``.
    :class:`InputError` with file (and line where the parser gives one) for an unreadable file,
    invalid TOML or JSON, a document that is not a table, or bad settings."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read the config file ({error.strerror or error})", path) from None
    if path.suffix.lower() == ".json":
        try:
            document = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InputError(f"not valid JSON: {error.msg if hasattr(error, 'msg') else error}",
                             path, getattr(error, "lineno", None)) from None
    else:
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib  # type: ignore[no-redef]
        try:
            document = tomllib.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            found = __import__("re").search(r"line (\d+)", str(error))
            raise InputError(f"not valid TOML: {error}", path,
                             int(found.group(1)) if found else None) from None
    if not isinstance(document, dict):
        raise InputError("the config must be a table of settings", path)
    if "continuity" in document:
        document = document["continuity"]
        if not isinstance(document, dict):
            raise InputError("[continuity] must be a table of settings", path)
    return base.replace(document, path)


def settings_from(path: str | os.PathLike | None = None, values: Mapping[str, Any] | None = None
                  ) -> ContinuitySettings:
    """The default settings, then those of the file ``path`` (:func:`load_settings`), then
    ``values`` (setting name → number or text)."""
    settings = ContinuitySettings()
    if path is not None:
        settings = load_settings(path, settings)
    return settings.replace(values or {})


@dataclass(frozen=True)
class ContinuityWarning:
    """One continuity problem, on the clip it concerns.

    ``clip``/``clip_index``: the shot (for a cut: the shot after it). ``other_clip``: the shot
    before the cut, or None. ``record_frame``: where on the timeline (frames from its first
    frame): a cut's first frame, else the shot's. ``value``/``threshold`` in ``unit``;
    ``method``: how a cut was measured (``aligned``/``global``/``scene``), else None;
    ``evidence``: the evidence sources a ``scene`` cut rests on (e.g. "faces", "features").
    """

    rule: str
    severity: str
    clip: str
    clip_index: int
    record_frame: int
    message: str
    value: float | None = None
    threshold: float | None = None
    unit: str = ""
    other_clip: str | None = None
    other_index: int | None = None
    method: str | None = None
    scene: str | None = None
    evidence: tuple[str, ...] = ()

    @property
    def excess(self) -> float:
        """How far past its threshold (value / threshold; 1 without numbers): for sorting."""
        if self.value is None or not self.threshold:
            return 1.0
        return abs(self.value) / self.threshold

    def to_json(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict (the report's and the marker metadata's schema)."""
        return dataclasses.asdict(self)


def worst_first(warnings: Iterable[ContinuityWarning]) -> list[ContinuityWarning]:
    """Errors before warnings before infos, then by how far past the threshold, then by timeline
    position. ``ValueError`` for a severity not in :data:`SEVERITIES`."""
    return sorted(warnings, key=lambda w: (-SEVERITIES.index(w.severity), -w.excess,
                                           w.record_frame, w.rule))


@dataclass(frozen=True)
class Cut:
    """Two consecutive shots of one scene on one track and how B differs from A."""

    before: Shot
    after: Shot
    measure: CutMeasure
    scene: str | None = None


@dataclass(frozen=True)
class CheckInput:
    """Everything the rules look at. ``stats`` and ``probes`` by shot index (probes: objects
    with the fields of :class:`cinegrade.media.probe.MediaProbe`, or None)."""

    shots: Sequence[Shot]
    stats: Mapping[int, ShotStats] = field(default_factory=dict)
    cuts: Sequence[Cut] = ()
    probes: Mapping[int, Any] = field(default_factory=dict)
    scenes: Mapping[int, str] = field(default_factory=dict)
    #: flicker on registered content (:mod:`cinegrade.analysis.flicker`) by shot index;
    #: where missing, the statistics' ``flicker`` (frame means) stands in
    flicker: Mapping[int, float] = field(default_factory=dict)
    #: each shot's drift along its length (:class:`~cinegrade.analysis.along.AlongShot`) by
    #: shot index, where measured (the within-shot rules look only at these)
    along: Mapping[int, AlongShot] = field(default_factory=dict)


def _severity(value: float, warn: float, error: float) -> str | None:
    value = abs(value)
    if value >= error:
        return ERROR
    if value >= warn:
        return WARNING
    return None


class Rule:
    """A continuity rule: ``name`` (stable, in JSON and marker metadata) and ``check``."""

    name = ""

    def check(self, data: CheckInput, settings: ContinuitySettings) -> Iterator[ContinuityWarning]:
        """The warnings this rule finds in ``data`` with ``settings``' thresholds."""
        raise NotImplementedError


class CutRule(Rule):
    """A jump of one measure across a cut: subclasses say which and how it reads."""

    unit = ""
    setting = ""
    what = ""
    #: the :class:`CutMeasure` field the value comes from, and whether its error is of its log
    field = ""
    log = False

    def value(self, measure: CutMeasure) -> float | None:
        """The cut's value in :attr:`unit` (signed: B − A), or None when not measured."""
        raise NotImplementedError

    def check(self, data: CheckInput, settings: ContinuitySettings) -> Iterator[ContinuityWarning]:
        for cut in data.cuts:
            value = self.value(cut.measure)
            if value is None or not math.isfinite(value):
                continue
            warn = getattr(settings, self.setting)
            error = getattr(settings, f"{self.setting}_error")
            measure = cut.measure
            certain = measure.aligned or (measure.method == SCENE and self.sure(measure, settings))
            if not certain:
                widen = settings.unaligned_tolerance
                warn, error = warn * widen, error * widen
            severity = _severity(value, warn, error)
            if severity is None:
                continue
            if not certain:
                severity = INFO  # a judgement on whole frames is a hint, not a finding
            if measure.aligned:
                how = "on the content both shots share"
            elif measure.method == SCENE:
                how = (f"across the scene ({', '.join(measure.sources)})"
                       + ("" if certain else ": uncertain"))
            else:
                how = "on whole frames (the shots share no matched content: uncertain)"
            yield ContinuityWarning(
                rule=self.name, severity=severity, clip=cut.after.clip_name,
                clip_index=cut.after.index, record_frame=cut.after.record.start,
                message=f"{self.what} {value:+.{self.digits}f} {self.unit} at the cut from "
                        f"{cut.before.clip_name!r} to {cut.after.clip_name!r}, measured {how}",
                value=round(value, 4), threshold=warn, unit=self.unit,
                other_clip=cut.before.clip_name, other_index=cut.before.index,
                method=cut.measure.method, scene=cut.scene, evidence=cut.measure.sources)

    digits = 2

    def sure(self, measure: CutMeasure, settings: ContinuitySettings) -> bool:
        """Whether a :data:`SCENE` measure's value lies :attr:`ContinuitySettings.evidence_z`
        standard errors or more from zero."""
        value, error = getattr(measure, self.field, None), measure.error(self.field)
        if value is None or error is None or not math.isfinite(error) or error <= 0:
            return False
        if self.log:
            value = math.log(value) if value > 0 else math.inf
        return abs(value) >= settings.evidence_z * error


class ExposureJump(CutRule):
    """Exposure B − A across a cut, stops (:attr:`ContinuitySettings.exposure_stops`)."""

    name, unit, setting, what = "exposure_jump", "stops", "exposure_stops", "exposure jumps"

    field, log = "exposure_stops", False

    def value(self, measure: CutMeasure) -> float | None:
        return measure.exposure_stops


class WhiteBalanceJump(CutRule):
    """White balance B − A across a cut, mired, positive = B warmer
    (:attr:`ContinuitySettings.white_balance_mired`)."""

    name, unit, setting, what = ("white_balance_jump", "mired", "white_balance_mired",
                                 "white balance jumps (+ warmer)")
    digits = 0

    field, log = "mired", False

    def value(self, measure: CutMeasure) -> float | None:
        return measure.mired


def _percent(ratio: float | None) -> float | None:
    """A ratio as a percent change, symmetric in log: ×1.15 → +15, ×1/1.15 → −15."""
    if ratio is None or ratio <= 0:
        return None
    return math.copysign(100.0 * (math.exp(abs(math.log(ratio))) - 1.0), math.log(ratio))


class SaturationJump(CutRule):
    """Saturation B / A across a cut as a percent change, symmetric in log
    (:attr:`ContinuitySettings.saturation_percent`)."""

    name, unit, setting, what = "saturation_jump", "%", "saturation_percent", "saturation jumps"
    digits = 0

    field, log = "saturation_ratio", True

    def value(self, measure: CutMeasure) -> float | None:
        return _percent(measure.saturation_ratio)


class ContrastJump(CutRule):
    """Contrast (log-luminance slope) B / A across a cut as a percent change, symmetric in log
    (:attr:`ContinuitySettings.contrast_percent`)."""

    name, unit, setting, what = "contrast_jump", "%", "contrast_percent", "contrast jumps"
    digits = 0

    field, log = "contrast_ratio", True

    def value(self, measure: CutMeasure) -> float | None:
        return _percent(measure.contrast_ratio)


class BlackLevelJump(CutRule):
    """Black level B − A across a cut, display units 0–1 (:attr:`ContinuitySettings.black_level`)."""

    name, unit, setting, what = "black_level_jump", "display", "black_level", "black level jumps"
    digits = 3

    field, log = "black_level", False

    def value(self, measure: CutMeasure) -> float | None:
        return measure.black_level


class ColourDifference(CutRule):
    """Median CIEDE2000 (CIE 142-2001) over the content both shots share; aligned cuts only
    (:attr:`ContinuitySettings.delta_e`)."""

    name, unit, setting, what = "colour_difference", "ΔE00", "delta_e", "colour differs by"
    digits = 1

    field, log = "delta_e", False

    def value(self, measure: CutMeasure) -> float | None:
        return measure.delta_e


class ShotRule(Rule):
    """A rule on each analysed shot alone."""

    def check(self, data: CheckInput, settings: ContinuitySettings) -> Iterator[ContinuityWarning]:
        for shot in data.shots:
            stats = data.stats.get(shot.index)
            if stats is not None and stats.analysed:
                yield from self.check_shot(shot, stats, settings, data.scenes.get(shot.index))

    def check_shot(self, shot: Shot, stats: ShotStats, settings: ContinuitySettings,
                   scene: str | None) -> Iterator[ContinuityWarning]:
        """The warnings of one analysed shot (``scene``: its label)."""
        raise NotImplementedError

    def warn(self, shot: Shot, severity: str, message: str, value: float | None = None,
             threshold: float | None = None, unit: str = "", scene: str | None = None
             ) -> ContinuityWarning:
        """A warning of this rule on ``shot``, at its first record frame."""
        return ContinuityWarning(rule=self.name, severity=severity, clip=shot.clip_name,
                                 clip_index=shot.index, record_frame=shot.record.start,
                                 message=message, value=value, threshold=threshold, unit=unit,
                                 scene=scene)


class Flicker(Rule):
    """Frame-to-frame exposure wobble of a shot, stops RMS: on registered content where
    measured, else the statistics' frame means (:attr:`ContinuitySettings.flicker_stops`)."""

    name = "flicker"

    def check(self, data, settings):
        for shot in data.shots:
            stats = data.stats.get(shot.index)
            value = data.flicker.get(shot.index)
            if value is None and stats is not None and stats.analysed:
                value = stats.flicker
            if value is None:
                continue
            severity = _severity(value, settings.flicker_stops, settings.flicker_stops_error)
            if severity:
                yield ContinuityWarning(
                    self.name, severity, shot.clip_name, shot.index, shot.record.start,
                    f"exposure flickers {value:.3f} stop RMS from frame to frame",
                    round(value, 4), settings.flicker_stops, "stops",
                    scene=data.scenes.get(shot.index))


class ColourWobble(ShotRule):
    """Spread (max − min, mired) of the illuminant over a shot's sampled frames, for shots with a
    reliable illuminant (:attr:`ContinuitySettings.colour_wobble_mired`)."""

    name = "colour_wobble"

    def check_shot(self, shot, stats, settings, scene):
        if len(stats.frame_mired) < 2 or not stats.illuminant_reliable:
            return  # without neutral surfaces the "illuminant" follows the content
        spread = max(stats.frame_mired) - min(stats.frame_mired)
        severity = _severity(spread, settings.colour_wobble_mired,
                             settings.colour_wobble_mired_error)
        if severity:
            yield self.warn(shot, severity, f"white balance wanders {spread:.0f} mired within "
                            "the shot", round(spread, 2), settings.colour_wobble_mired, "mired",
                            scene)


class Clipping(ShotRule):
    """Share of a shot's pixels clipped to white or crushed to black (warnings only)."""

    name = "clipping"

    def check_shot(self, shot, stats, settings, scene):
        if stats.clip_high is not None and stats.clip_high >= settings.clipped_high_share:
            yield self.warn(shot, WARNING, f"{100 * stats.clip_high:.0f} % of the frame is "
                            "clipped to white", round(stats.clip_high, 4),
                            settings.clipped_high_share, "share", scene)
        if stats.clip_low is not None and stats.clip_low >= settings.crushed_low_share:
            yield self.warn(shot, WARNING, f"{100 * stats.clip_low:.0f} % of the frame is "
                            "crushed to black", round(stats.clip_low, 4),
                            settings.crushed_low_share, "share", scene)


class BlackFrames(ShotRule):
    """A black shot (99th percentile display luma under ``black_luma``: error), or black sampled
    frames (median exposure at or below ``black_luma`` decoded by BT.1886: warning)."""

    name = "black_frames"

    def check_shot(self, shot, stats, settings, scene):
        top = (stats.luminance_display or {}).get("p99")
        if top is not None and top < settings.black_luma:
            yield self.warn(shot, ERROR, "the shot is black", round(top, 4), settings.black_luma,
                            "display", scene)
            return
        # a frame's median exposure that low means a black frame among the samples
        floor = math.log2(settings.black_luma**2.4 / 0.18)
        dark = [e for e in stats.frame_exposure_stops if e <= floor]
        if dark:
            yield self.warn(shot, WARNING, f"{len(dark)} of {len(stats.frame_exposure_stops)} "
                            "sampled frames are black", len(dark), None, "frames", scene)


class FlashFrames(Rule):
    """Clips shorter than ``flash_frames`` record frames (error)."""

    name = "flash_frame"

    def check(self, data, settings):
        for shot in data.shots:
            if 0 < shot.record.duration < settings.flash_frames:
                yield ContinuityWarning(
                    self.name, ERROR, shot.clip_name, shot.index, shot.record.start,
                    f"clip lasts {shot.record.duration} frame(s): a flash frame?",
                    shot.record.duration, settings.flash_frames, "frames",
                    scene=data.scenes.get(shot.index))


class OfflineMedia(Rule):
    """Clips without a media reference, with remote media, or with media a probe could not
    find or read (error); generators are exempt."""

    name = "offline_media"

    def check(self, data, settings):
        for shot in data.shots:
            if shot.media_kind == GENERATOR:
                continue
            probe = data.probes.get(shot.index)
            reason = None
            if shot.media_kind == MISSING:
                reason = "has no media reference"
            elif shot.media_path is None:
                reason = f"media is not a local file ({shot.media_url})"
            elif probe is not None and not probe.exists:
                reason = f"media is offline: {shot.media_path}"
            elif probe is not None and probe.error:
                reason = f"media cannot be read ({probe.error}): {shot.media_path}"
            if reason:
                yield ContinuityWarning(self.name, ERROR, shot.clip_name, shot.index,
                                        shot.record.start, f"clip {reason}",
                                        scene=data.scenes.get(shot.index))


class MixedFormats(Rule):
    """Clips whose frame rate, size, aspect ratio or colour tags differ from most clips'."""

    name = "mixed_formats"
    #: (label, how to read it from a probe, unit)
    PROPERTIES = (
        ("frame rate", lambda p: round(p.frame_rate, 3) if p.frame_rate else None, "fps"),
        ("resolution", lambda p: f"{p.width}x{p.height}" if p.width and p.height else None, ""),
        ("aspect ratio", lambda p: round(p.width / p.height, 2) if p.width and p.height else None,
         ""),
        ("colour primaries", lambda p: p.color_primaries, ""),
        ("colour matrix", lambda p: p.color_matrix, ""),
        ("colour range", lambda p: p.color_range, ""),
        ("transfer", lambda p: p.color_transfer, ""),
    )

    def check(self, data, settings):
        probed = [(shot, data.probes.get(shot.index)) for shot in data.shots]
        probed = [(shot, probe) for shot, probe in probed
                  if probe is not None and getattr(probe, "ok", False)]
        for label, read, unit in self.PROPERTIES:
            values = [(shot, read(probe)) for shot, probe in probed]
            counts = Counter(value for _, value in values if value is not None)
            if len(counts) < 2:
                continue
            usual, _ = counts.most_common(1)[0]
            for shot, value in values:
                if value is not None and value != usual:
                    yield ContinuityWarning(
                        self.name, WARNING, shot.clip_name, shot.index, shot.record.start,
                        f"{label} {value}{' ' + unit if unit else ''} differs from the other "
                        f"clips' {usual}", unit=unit, scene=data.scenes.get(shot.index))


def creep_lasts(reading, settings: ContinuitySettings) -> bool:
    """Whether a creep (:class:`~cinegrade.continuity.creep.CreepReading`) ramps over at least
    ``creep_min_frames`` frames (its start to the shot's last frame): slow enough to be one."""
    return reading.creep.end - reading.start >= settings.creep_min_frames


class CreepWithinShot(Rule):
    """A slow, monotone change over one shot (:func:`cinegrade.continuity.creep.creep_readings`:
    a flat-then-ramp fit of each reading along the shot): each reading whose creep passes its
    ``creep_…`` threshold, lies ``creep_z`` standard errors from zero and ramps over
    ``creep_min_frames`` frames or more (:func:`creep_lasts`) is a finding, placed
    at the record frame where the creep starts; ``value`` is its size in ``unit`` (signed: end
    − start). Contrast and black level on frames that register poorly (``along_precision``)
    are ``info``. Shots measured along their length only (:attr:`CheckInput.along`)."""

    name = "creep_within_shot"

    def check(self, data, settings):
        for shot in data.shots:
            along = data.along.get(shot.index)
            if along is not None:
                yield from self.check_shot(shot, along, settings, data.scenes.get(shot.index))

    def check_shot(self, shot: Shot, along: AlongShot, settings: ContinuitySettings,
                   scene: str | None = None) -> Iterator[ContinuityWarning]:
        """The findings on one shot measured along its length (``scene``: its label)."""
        loose = along_precision(along) > settings.along_precision
        for reading in creep_readings(along):
            warn = getattr(settings, reading.setting)
            severity = _severity(reading.value, warn, getattr(settings, f"{reading.setting}_error"))
            if severity is None or reading.z < settings.creep_z or not creep_lasts(reading, settings):
                continue
            uncertain = loose and reading.what in TONE_READINGS
            yield ContinuityWarning(
                self.name, INFO if uncertain else severity, shot.clip_name, shot.index,
                shot_frame(shot, reading.start),
                f"{reading.what} creeps {reading.value:+.{reading.digits}f} {reading.unit} "
                f"within the shot, from its frame {reading.start} to its end "
                f"({reading.z:.0f} standard errors)"
                + (": uncertain, the frames share little with the start" if uncertain else ""),
                round(reading.value, 4), warn, reading.unit, scene=scene)


class FlickerAlong(Rule):
    """Exposure wobbling from sample to sample along a shot
    (:func:`cinegrade.continuity.creep.along_flicker`, the same measurements as
    :class:`CreepWithinShot`) at or beyond ``flicker_along_stops``, where its frames register
    well (``flicker_along_precision``), it does not creep (a creep's curve and its crosstalk
    into exposure read as wobble) and :class:`Flicker` does not flag it already; placed at the
    record frame where it wobbles most."""

    name = "flicker_along"

    def check(self, data, settings):
        for shot in data.shots:
            along = data.along.get(shot.index)
            if along is None or along_precision(along) > settings.along_precision or \
                    data.flicker.get(shot.index, 0.0) >= settings.flicker_stops or \
                    any(CreepWithinShot().check_shot(shot, along, settings)):
                continue
            value = along_flicker(along, settings.flicker_along_noise)
            if value is None:
                continue
            severity = _severity(value, settings.flicker_along_stops, settings.flicker_along_stops_error)
            if severity is None:
                continue
            yield ContinuityWarning(
                self.name, severity, shot.clip_name, shot.index,
                shot_frame(shot, wobbliest(along) or 0),
                f"exposure wobbles {value:.3f} stop RMS along the shot, from sample to sample",
                round(value, 4), settings.flicker_along_stops, "stops",
                scene=data.scenes.get(shot.index))


#: Every rule, in the order the report lists them.
RULES: tuple[Rule, ...] = (
    ExposureJump(), WhiteBalanceJump(), SaturationJump(), ContrastJump(), BlackLevelJump(),
    ColourDifference(), Flicker(), ColourWobble(), CreepWithinShot(), FlickerAlong(),
    Clipping(), BlackFrames(), FlashFrames(), OfflineMedia(), MixedFormats(),
)


def check_continuity(data: CheckInput, settings: ContinuitySettings = ContinuitySettings(),
                     rules: Sequence[Rule] = RULES) -> list[ContinuityWarning]:
    """Every warning of ``rules`` on ``data``, worst first."""
    found: list[ContinuityWarning] = []
    for rule in rules:
        found.extend(rule.check(data, settings))
    return worst_first(found)


def failing(warnings: Iterable[ContinuityWarning], fail_on: str) -> bool:
    """Whether any warning is of severity ``fail_on`` or worse; ``ValueError`` for a severity
    not in :data:`SEVERITIES`."""
    level = SEVERITIES.index(fail_on)
    return any(SEVERITIES.index(w.severity) >= level for w in warnings)
