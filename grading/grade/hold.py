"""Hold every frame of a drifting shot to the shot's start: a correction that changes over time.

Where a shot creeps (:mod:`cinegrade.continuity.creep`: a finding of ``creep_within_shot`` at
warning or above, or a significant, lasting creep of at least :data:`WORTH` of the warning
threshold: :func:`worth_creeps`), the readings that creep are held: their components of the
drift model (:data:`HELD_BY`, of :data:`~cinegrade.colour.drift.COMPONENTS`) by the same
flat-then-ramp fit (:func:`cinegrade.analysis.along.fit_creeps`; exposure at 18 % grey, as the
readings judge it); components that only follow them in the fit (crosstalk) are left alone. A
:class:`Hold` is the drift the shot has crept by at a few knots (its first frame, each held
component's knee, its last frame), linear in between. Undoing it
(:func:`~cinegrade.colour.drift.undo_drift`) brings each frame back to the shot's start; the
static match to the scene's reference (:mod:`cinegrade.matching.match`), measured on frames held
so, then applies to the whole shot.

In the timeline the hold becomes CDL keyframes (:func:`hold_keyframes`: one ASC CDL per knot,
fitted in CIELAB by :func:`perceptual_cdl` to the undoing — composed with the match where the
match is itself a CDL — linear in between, as MLT animates Kdenlive's SOP/Sat).

Frames: display-referred Rec.709 R'G'B' float (..., 3) in [0, 1]. Offsets count source frames
from the shot's first frame; keyframe frames count the timeline's frames from the clip's in-point.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from cinegrade.analysis.along import AlongShot, fit_creeps
from cinegrade.analysis.sampler import sample_positions
from cinegrade.colour.cdl import CDL
from cinegrade.colour.difference import lab_of_display
from cinegrade.colour.drift import COMPONENTS, grey_exposure, parameters_of, undo_drift
from cinegrade.continuity.creep import TONE_READINGS, CreepReading, along_precision, creep_readings
from cinegrade.continuity.rules import ContinuitySettings, creep_lasts
from cinegrade.correspondence.views import VIEW_SETTINGS, ShotView, kept_on_disk
from cinegrade.grade.grade import CDLKeyframe
from cinegrade.matching.match import Match, fit_cdl, shrunk
from cinegrade.timeline.shots import Shot

#: A creep below its warning threshold is still held when it lies ``creep_z`` standard errors
#: from zero and reaches this share of the threshold (0.11 stop, 6 mired, 5 % saturation: about
#: a just-noticeable ΔE2000 of 1 between the shot's first and last frames).
WORTH = 0.5
#: A component of a creeping reading is held when its creep lies :data:`HOLD_Z` standard errors
#: from zero (one that does not creep is left alone, so the hold does no harm where the
#: measurement is noise), shrunk by 1 − 1/z² (:func:`~cinegrade.matching.match.shrunk` at one
#: standard error: the least-squares shrinkage of a measurement of z standard errors;
#: subtracting one standard error instead held bikes.mp4's 50-mired creeps 10–15 % short).
HOLD_Z = 3.0
#: Weight of the whole RGB cube against the shot's own colours in a keyframe's CDL fit (see
#: :func:`perceptual_cdl`): low, since a CDL cannot follow the cone-space
#: gains of a white balance exactly (a 60-mired undoing is ~1.9 ΔE2000 off on a photograph's
#: colours fitted there, ~2.6 with the default 0.3), and the shot's colours are what show.
LATTICE_WEIGHT = 0.05


@dataclass(frozen=True)
class Hold:
    """How one shot is held to its start: ``drift`` (:data:`~cinegrade.colour.drift.COMPONENTS`
    (6,) each) it has crept by at each of ``offsets`` (source frames from its first frame,
    increasing, the first 0 with no drift), linear in between and held after the last;
    ``reasons``: the creeps that made it worth holding (e.g. "exposure −0.50 stops from frame
    12")."""

    shot_index: int
    offsets: tuple[int, ...]
    drift: tuple[tuple[float, ...], ...]
    reasons: tuple[str, ...] = ()

    def at(self, offset) -> np.ndarray:
        """The drift (:data:`~cinegrade.colour.drift.COMPONENTS`) at ``offset`` (a number:
        (6,); an array of N: (N, 6)), float64.

        >>> hold = Hold(0, (0, 10, 40), ((0,) * 6, (0,) * 6, (0.5, 0, 0, 0, 0, 0.2)))
        >>> hold.at(25).round(3).tolist()
        [0.25, 0.0, 0.0, 0.0, 0.0, 0.1]
        """
        drift = np.asarray(self.drift, dtype=np.float64)
        x = np.asarray(offset, dtype=np.float64)
        out = np.stack([np.interp(x, self.offsets, drift[:, k]) for k in range(drift.shape[1])], -1)
        return out

    def undo(self, rgb: np.ndarray, offset: float) -> np.ndarray:
        """Frame ``offset``'s pixels brought back to the shot's start (the drift there undone,
        :func:`~cinegrade.colour.drift.undo_drift`); float32 for float32 input, else float64."""
        return undo_drift(rgb, parameters_of(self.at(offset)))

    def held(self, along: AlongShot) -> AlongShot:
        """``along`` as the held shot would measure: each measured frame's drift less the hold's
        at its offset (drift components add for drifts this small)."""
        rows = tuple(tuple(float(v) for v in np.asarray(c, dtype=np.float64) - self.at(o))
                     for o, c in zip(along.offsets, along.components))
        return AlongShot(along.offsets, rows, along.errors, along.chained, along.duration)


#: The components of the drift (:data:`~cinegrade.colour.drift.COMPONENTS`) that hold each
#: reading's creep (:data:`~cinegrade.continuity.creep.READINGS`); exposure is held at grey
#: (:func:`exposure_for_grey`).
HELD_BY = {"exposure": ("exposure_stops",), "white balance (+ warmer)": ("warmth", "tint"),
           "saturation": ("log_saturation",), "contrast": ("log_contrast",), "black level": ("lift",)}


def worth_creeps(along: AlongShot, settings: ContinuitySettings = ContinuitySettings()
                 ) -> tuple[CreepReading, ...]:
    """The creeps (:func:`~cinegrade.continuity.creep.creep_readings`) that make a shot worth
    holding (see the module docstring). Contrast and black level count only where the frames
    register well (``along_precision``), as the rule judges them."""
    loose = along_precision(along) > settings.along_precision
    return tuple(reading for reading in creep_readings(along)
                 if not (loose and reading.what in TONE_READINGS)
                 and reading.z >= settings.creep_z and creep_lasts(reading, settings)
                 and abs(reading.value) >= WORTH * getattr(settings, reading.setting))


def worth_holding(along: AlongShot, settings: ContinuitySettings = ContinuitySettings()
                  ) -> tuple[str, ...]:
    """:func:`worth_creeps` as short texts ("exposure -0.50 stops from frame 12"); empty when
    none is."""
    return tuple(f"{r.what} {r.value:+.{r.digits}f} {r.unit} from frame {r.start}"
                 for r in worth_creeps(along, settings))


def exposure_for_grey(stops: float, components) -> float:
    """The ``exposure_stops`` component that, with the other :data:`~cinegrade.colour.drift.COMPONENTS`
    of ``components`` (6,) as they are, moves 18 % grey by ``stops``
    (:func:`~cinegrade.colour.drift.grey_exposure`; a few fixed-point steps: its slope in the
    component is e^contrast ≈ 1).

    >>> round(exposure_for_grey(0.5, [0.0, 0.0, 0.0, 0.2, 0.0, 0.0]), 4)  # 0.5 = x · e^0.2
    0.4094
    """
    c = np.array(components, dtype=np.float64)
    for _ in range(4):
        c[0] += (stops - grey_exposure(c)) * math.exp(-c[3])
    return float(c[0])


def shot_hold(shot_index: int, along: AlongShot,
              settings: ContinuitySettings = ContinuitySettings()) -> Hold | None:
    """The :class:`Hold` of a shot measured along its length, or None when it does not creep
    enough (:func:`worth_creeps`) or no component of its creeping readings (:data:`HELD_BY`)
    stands :data:`HOLD_Z` standard errors from none; sizes :func:`shrunk`.

    Exposure is held as the readings judge it, at 18 % grey (the ``exposure`` reading of
    :func:`~cinegrade.continuity.creep.creep_readings`), not as the gains' exposure of white:
    where content spans few tones or moves, the fit trades that against contrast and lift, and
    holding it without them (contrast and lift not held) moved grey by half a stop on
    bikes.mp4's shots whose grey did not move. At each knot the ``exposure_stops`` component is
    the one that, with the contrast and lift held there, moves grey by the fitted creep
    (:func:`exposure_for_grey`).

    >>> t = np.arange(0, 61, 5)
    >>> rows = tuple((0.5 * v, 0, 0, 0, 0, 0) for v in np.clip((t - 20) / 40, 0, 1))
    >>> along = AlongShot(tuple(int(v) for v in t), rows, ((0.01,) * 6,) * len(t), (False,) * len(t), 61)
    >>> hold = shot_hold(3, along)
    >>> hold.offsets, round(float(hold.at(60)[0]), 2), hold.reasons
    ((0, 20, 60), 0.5, ('exposure +0.50 stops from frame 20',))

    A warming creep on loosely registered frames, whose gains trade against contrast and lift
    (white's gain 0.15 stop down, grey unmoved), holds the warmth and no exposure:

    >>> white = exposure_for_grey(0.0, [0, 0.1, 0, 0.3, 0.05, 0])
    >>> rows = tuple((white * v, 0.1 * v, 0, 0.3 * v, 0.05 * v, 0) for v in np.clip((t - 20) / 40, 0, 1))
    >>> errors = ((0.05, 0.005, 0.005, 0.01, 0.005, 0.01),) * len(t)
    >>> loose = AlongShot(tuple(int(v) for v in t), rows, errors, (False,) * len(t), 61)
    >>> round(white, 2), [round(float(v), 2) + 0.0 for v in shot_hold(3, loose).at(60)]
    (-0.15, [0.0, 0.1, 0.0, 0.0, 0.0, 0.0])
    """
    worth = worth_creeps(along, settings)
    if not worth:
        return None
    reasons = worth_holding(along, settings)
    wanted = {name for reading in worth for name in HELD_BY[reading.what]}
    sizes, starts = np.zeros(len(COMPONENTS)), np.zeros(len(COMPONENTS))
    end = along.duration - 1
    for name, creep in fit_creeps(along).items():
        if name == "exposure_stops" or name not in wanted or not creep.significance >= HOLD_Z:
            continue
        k = COMPONENTS.index(name)
        sizes[k] = shrunk(creep.size, creep.error)
        starts[k] = min(creep.start, end)
    grey = next((r.creep for r in worth if r.what == "exposure"), None)
    grey_size = shrunk(grey.size, grey.error) if grey is not None else 0.0
    if not np.any(sizes) and not grey_size:
        return None
    grey_start = min(grey.start, end) if grey_size else 0
    knots = sorted({0, end, *(int(s) for s, v in zip(starts, sizes) if v),
                    *((int(grey_start),) if grey_size else ())})
    at = np.asarray(knots, dtype=np.float64)
    drift = np.clip((at[:, None] - starts) / np.maximum(end - starts, 1.0), 0.0, 1.0) * sizes
    grey_ramp = np.clip((at - grey_start) / max(end - grey_start, 1.0), 0.0, 1.0) * grey_size
    for row, stops in zip(drift, grey_ramp):
        row[0] = exposure_for_grey(float(stops), row) if np.any(row) or stops else 0.0
    return Hold(shot_index, tuple(knots), tuple(tuple(float(v) + 0.0 for v in row) for row in drift),
                reasons)


def shot_holds(shots: Sequence[Shot], along: Mapping[int, AlongShot],
               settings: ContinuitySettings = ContinuitySettings()) -> dict[int, Hold]:
    """:func:`shot_hold` of every shot measured along its length, by shot index (those that
    creep)."""
    found = {}
    for shot in shots:
        if shot.index in along:
            hold = shot_hold(shot.index, along[shot.index], settings)
            if hold is not None:
                found[shot.index] = hold
    return found


def clip_frame(shot: Shot, offset: float) -> int:
    """A source offset (frames from the shot's first, at the source rate) as a frame from the
    clip's in-point at the timeline's rate (what :class:`~cinegrade.grade.grade.CDLKeyframe`
    counts)."""
    scale = shot.record.rate / shot.source.rate if shot.source.rate else 1.0
    return int(round(offset * scale))


def source_offset(shot: Shot, frame: float) -> float:
    """The inverse of :func:`clip_frame` (unrounded)."""
    scale = shot.source.rate / shot.record.rate if shot.record.rate else 1.0
    return frame * scale


def cielab_metric(rgb: np.ndarray, step: float = 1e-3) -> np.ndarray:
    """The Jacobian (N, 3, 3) of CIELAB (:func:`~cinegrade.colour.difference.lab_of_display`)
    by display-referred Rec.709 R'G'B' at each of ``rgb`` (N, 3) (forward differences of
    ``step``, inside [0, 1]): ``J @ d`` is the CIELAB change (ΔE*ab, CIE 15:2004) of a small
    change ``d`` of a pixel's R'G'B', so a least-squares fit on ``J @ residual`` weighs each
    colour's error as CIELAB does rather than as display code values do (a code value moves
    L* three times less in the deep shadows than at mid grey, and hue errors count apart from
    lightness).

    >>> j = cielab_metric(np.array([[0.5, 0.5, 0.5], [0.05, 0.05, 0.05]]))
    >>> ((j @ [0.01, 0.01, 0.01]).round(2) + 0.0).tolist()  # L*, a*, b* of +0.01 on every channel
    [[1.07, 0.0, 0.0], [0.33, 0.0, 0.0]]
    """
    rgb = np.clip(np.asarray(rgb, dtype=np.float64).reshape(-1, 3), 0.0, 1.0 - step)
    base = lab_of_display(rgb)
    return np.stack([(lab_of_display(rgb + step * np.eye(3)[k]) - base) / step for k in range(3)], -1)


def perceptual_cdl(correct, pixels: np.ndarray, lattice_weight: float = LATTICE_WEIGHT) -> CDL:
    """The ASC CDL v1.2 closest to ``correct`` (a function on display-referred Rec.709 R'G'B')
    in CIELAB: :func:`~cinegrade.matching.match.fit_cdl`'s fit (on ``pixels`` (N, 3), the
    shot's own colours, and a 9³ lattice of the cube weighted ``lattice_weight``, within a
    panel's ranges) refined to least squares of the residual weighted by
    :func:`cielab_metric` at the target colours (a linearised ΔE*ab). melt's render of a held
    41–56 mired creep (benchmarks/within_shot.py: three bikes.mp4 shots and a pan on a
    photograph) against the truth: median frame 0.0–0.4 and worst frame 0.1–0.5 ΔE2000 lower
    than with keyframes fitted in display R'G'B', at about the same cost (the metric is
    computed once). Values rounded to 6 decimals.

    >>> from cinegrade.colour.cdl import apply_cdl
    >>> from cinegrade.colour.difference import delta_e_2000
    >>> from cinegrade.colour.drift import components_of
    >>> rng = np.random.default_rng(0)
    >>> pixels = rng.uniform(0.0, 1.0, (2000, 3)) ** 2  # many dark colours
    >>> warmer = parameters_of(components_of([0.0, 0.3, 0.1, 0.0, 0.0, 0.0]))
    >>> undo = lambda rgb: undo_drift(rgb, warmer)
    >>> rgb_fit, lab_fit = fit_cdl(undo, pixels, LATTICE_WEIGHT), perceptual_cdl(undo, pixels)
    >>> error = lambda cdl: float(np.mean(delta_e_2000(apply_cdl(pixels, cdl), undo(pixels))))
    >>> bool(error(lab_fit) < error(rgb_fit))
    True
    """
    return fit_cdl(correct, pixels, lattice_weight, metric=cielab_metric)


def hold_keyframes(hold: Hold, shot: Shot, match: Match | None,
                   frames: Sequence[np.ndarray]) -> tuple[CDLKeyframe, ...]:
    """The hold as CDL keyframes, one per knot (its frame from the clip's in-point): the ASC CDL
    closest to undoing the drift there (:func:`perceptual_cdl` on the shot's
    own colours ``frames``, display-referred Rec.709 (H, W, 3) each, with :data:`LATTICE_WEIGHT`
    of the whole cube) followed, when ``match`` is a CDL match (method ``cdl``), by the match
    — each keyframe is then the whole live CDL at its frame, as
    :class:`~cinegrade.grade.grade.Grade` takes it; with a match of method ``lut`` the match
    follows the keyframes in the grade's LUT. At the first knot (no drift) the CDL is the
    match's, or the identity."""
    cdl_match = match is not None and match.method == "cdl" and not match.is_identity
    pixels = np.concatenate([np.asarray(f, dtype=np.float64).reshape(-1, 3) for f in frames]) \
        if len(frames) else np.zeros((0, 3))
    keyframes: dict[int, CDL] = {}
    for offset, drift in zip(hold.offsets, hold.drift):
        frame = clip_frame(shot, offset)
        if frame in keyframes:
            continue
        parameters = parameters_of(drift)
        if not np.any(parameters):
            keyframes[frame] = match.cdl if cdl_match else CDL()
            continue

        def correct(rgb, parameters=parameters):
            held = undo_drift(rgb, parameters)
            return match.correct(held) if cdl_match else held

        keyframes[frame] = perceptual_cdl(correct, pixels, LATTICE_WEIGHT)
    return tuple(CDLKeyframe(frame, cdl) for frame, cdl in sorted(keyframes.items()))


def view_offsets(shot: Shot, count: int) -> tuple[int, ...] | None:
    """The source offsets of a shot's view frames (:data:`~cinegrade.correspondence.views.VIEW_SETTINGS`,
    sampled at :func:`~cinegrade.analysis.sampler.sample_positions`), or None when ``count``
    frames are not those (a view sampled otherwise)."""
    offsets = sample_positions(shot.source.duration, VIEW_SETTINGS.samples)
    return tuple(offsets) if len(offsets) == count else None


def held_views(shots: Sequence[Shot], views: Mapping[int, ShotView], holds: Mapping[int, Hold]
               ) -> dict[int, ShotView]:
    """``views`` with the frames (and detail frames) of held shots brought back to their shots'
    start (:meth:`Hold.undo` at each frame's offset), so that a match measured on them is the
    start's; keypoints are kept (a grade moves no pixel). Other views as they are."""
    out = dict(views)
    for shot in shots:
        hold, view = holds.get(shot.index), views.get(shot.index)
        offsets = view_offsets(shot, len(view.frames8)) if hold is not None and view is not None else None
        if offsets is None:
            continue
        frames = tuple(hold.undo(f, o) for f, o in zip(view.frames, offsets))
        detail = tuple(hold.undo(f.astype(np.float32) / 255, o) for f, o in zip(view.detail8, offsets))
        out[shot.index] = kept_on_disk(ShotView.of(frames, view.features, view.flicker, detail))
    return out


def shot_keyframes(shot: Shot, match: Match | None, holds: Mapping[int, Hold],
                   views: Mapping[int, ShotView], earlier: Mapping | None, matched: bool
                   ) -> tuple[CDLKeyframe, ...]:
    """The CDL keyframes of ``shot``'s new grade: where it is ``matched`` anew, its hold's
    (:func:`hold_keyframes`, fitted on its view's frames; none where it is not held); where it
    is not (a look laid over earlier grades), the keyframes of its ``earlier`` grade's metadata
    (:func:`~cinegrade.grade.effects.keyframes_from_metadata`; malformed ones are dropped)."""
    if not matched:
        from cinegrade.errors import InputError
        from cinegrade.grade.effects import keyframes_from_metadata

        try:
            return keyframes_from_metadata(earlier)
        except InputError:
            return ()
    hold = holds.get(shot.index)
    if hold is None:
        return ()
    view = views.get(shot.index)
    return hold_keyframes(hold, shot, match, view.frames if view is not None else ())
