"""Along one shot: how its colour drifts from its first frames to its last, and the creep and
wobble in that curve.

AI video drifts inside a shot too: a long generation (or a chain of extensions) creeps in
exposure and colour the longer it runs, and some flicker. A shot's frames share most of their
content, so each sampled frame is compared with the shot's first frames *on the content they
share* and the drift model (:mod:`cinegrade.colour.drift`) is fitted there: the six
:data:`~cinegrade.colour.drift.COMPONENTS` (exposure stops, warmth, tint, log contrast, lift,
log saturation) of every sampled frame relative to the start, with a standard error each.

Three steps, the first the I/O edge, the others pure:

1. :func:`sample_along` — frames along the whole shot (:func:`along_offsets`: every
   :attr:`AlongSettings.step`-th frame, at least :attr:`~AlongSettings.min_samples` and at most
   :attr:`~AlongSettings.max_samples` of them, first and last included) and the shot's first
   :attr:`~AlongSettings.reference` consecutive frames, decoded with PyAV
   (:mod:`cinegrade.media.frames`) at :attr:`~AlongSettings.width` px.
2. :func:`measure_along` — each sampled frame against the reference frames through a
   :data:`FrameDrift` (the aligned shared-pixel fit lives a layer up, in correspondence, so it is
   passed in: :class:`cinegrade.correspondence.within_shot.SharedPixelDrift`). A frame that shares too
   little with the start (the content moved on) is chained through the nearest earlier frame
   measured (drift parameters add: the model is near-additive for drifts this small).
3. :func:`fit_creep` — per component, a hinge: flat until a start frame, then a straight ramp
   to the end (the start searched over the sampled frames, least squares with one pass of
   outlier rejection), giving the creep's size over the shot, its start, its standard error
   from the scatter about the fit, and the scatter itself.

Frames are display-referred Rec.709 R'G'B' float32 (H, W, 3) in [0, 1]; frame numbers here are
offsets from the shot's first frame, at the clip's source rate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from cinegrade.colour.drift import COMPONENTS
from cinegrade.timeline.shots import IMAGE_SEQUENCE, MOVIE, STILL, Shot

#: (reference frame indices, frame index) → the frame's drift relative to the reference, as
#: (:data:`~cinegrade.colour.drift.COMPONENTS` (6,), standard errors (6,)), or None when the two
#: share too little to tell. Indices are into the frames the caller holds.
FrameDrift = Callable[[Sequence[int], int], "tuple[np.ndarray, np.ndarray] | None"]

#: Unit of each component (:data:`~cinegrade.colour.drift.COMPONENTS`).
UNITS = {"exposure_stops": "stops", "warmth": "ln L/S", "tint": "ln M/(LS)^½",
         "log_contrast": "ln", "lift": "display", "log_saturation": "ln"}


@dataclass(frozen=True)
class AlongSettings:
    """How a shot is sampled along its length. Defaults: every 6th frame (¼ s at 24 fps: a creep
    over seconds is followed, sample-to-sample wobble is flicker), at least 12 samples (2 s
    shots are sampled every 2–3 frames), at most 60 (a 60 s shot every second), 320 px (what
    the cut measure aligns at), the first 3 frames pooled as the start; shots shorter than
    ``min_duration`` frames (1 s at 24 fps) are not measured: over fewer frames a creep cannot
    be told from a wobble (the 12 samples would be every frame), and the cut rules' flicker
    covers them."""

    step: int = 6
    min_samples: int = 12
    max_samples: int = 60
    width: int = 320
    reference: int = 3
    min_duration: int = 24

    def __post_init__(self) -> None:
        if self.step < 1 or self.min_samples < 2 or self.max_samples < self.min_samples \
                or self.width < 16 or self.reference < 1 or self.min_duration < 1:
            raise ValueError(f"impossible along-shot settings: {self}")


def unmeasurable(shot: Shot, settings: AlongSettings = AlongSettings()) -> str | None:
    """Why ``shot`` is not measured along its length (no local media, a still, shorter than
    ``settings.min_duration`` frames), or None when it is (its media may still fail to read).

    >>> from cinegrade.timeline.shots import FrameRange
    >>> s = Shot(0, 0, "V1", "video", 0, "a", MOVIE, "/a.mp4", None, FrameRange(0, 12, 24.0),
    ...          FrameRange(0, 12, 24.0), None, None, True, None, (0,))
    >>> unmeasurable(s)
    'the shot is shorter than 24 frames: too short to creep'
    """
    if shot.media_path is None or shot.media_kind not in (MOVIE, IMAGE_SEQUENCE, STILL):
        return f"no local media ({shot.media_kind})"
    if shot.media_kind == STILL:
        return "a still holds one picture: nothing drifts along it"
    if shot.source.duration < settings.min_duration:
        return f"the shot is shorter than {settings.min_duration} frames: too short to creep"
    return None


def along_offsets(duration: int, settings: AlongSettings = AlongSettings()) -> tuple[int, ...]:
    """Offsets into a shot of ``duration`` frames to sample: every ``step``-th from 0, the step
    shortened for at least ``min_samples`` and lengthened for at most ``max_samples``, and the
    last frame.

    >>> along_offsets(61)[:4], along_offsets(61)[-1], len(along_offsets(61))
    ((0, 5, 10, 15), 60, 13)
    >>> along_offsets(300)[:3], len(along_offsets(3000)), along_offsets(1)
    ((0, 6, 12), 60, (0,))
    """
    if duration <= 0:
        return ()
    last = duration - 1
    step = settings.step
    step = max(step, math.ceil(last / (settings.max_samples - 1)))
    step = min(step, max(1, last // (settings.min_samples - 1)))
    offsets = list(range(0, duration, step))
    if offsets[-1] != last:
        if len(offsets) >= settings.max_samples:
            offsets.pop()
        offsets.append(last)
    return tuple(offsets)


@dataclass(frozen=True)
class AlongFrames:
    """Frames of one shot along its length: ``frames`` at ``offsets`` (from the shot's first
    frame, increasing; the reference frames included), ``reference``: indices into them of the
    shot's first frames; ``duration``: the shot's length in frames."""

    frames: tuple[np.ndarray, ...]
    offsets: tuple[int, ...]
    reference: tuple[int, ...]
    duration: int


def along_frames(frames: Sequence[np.ndarray], settings: AlongSettings = AlongSettings()
                 ) -> AlongFrames:
    """An :class:`AlongFrames` from every frame of a shot held in memory (tests, benchmarks):
    the frames :func:`along_offsets` and the reference pick."""
    duration = len(frames)
    wanted = sorted(set(along_offsets(duration, settings)) | set(range(min(settings.reference,
                                                                           duration))))
    return AlongFrames(tuple(np.asarray(frames[o], dtype=np.float32) for o in wanted),
                       tuple(wanted), tuple(range(min(settings.reference, duration))), duration)


def _offsets(duration: int, settings: AlongSettings) -> tuple[list[int], tuple[int, ...]]:
    """The offsets into a shot of ``duration`` frames sampled along it (the reference frames
    included) and the reference's indices among them."""
    offsets = sorted(set(along_offsets(duration, settings)) | set(range(min(settings.reference, duration))))
    return offsets, tuple(range(min(settings.reference, duration)))


def along_numbers(shot: Shot, settings: AlongSettings, media_rate) -> tuple[int, ...]:
    """The media frame numbers (from 0 at ``media_rate``) of ``shot``'s frames along its length."""
    from cinegrade.analysis.sampler import media_frame

    return tuple(media_frame(shot.source.start + o, shot.source, shot.available, media_rate)
                 for o in _offsets(shot.source.duration, settings)[0])


@dataclass(frozen=True)
class AlongSampling:
    """The frames along a shot as one more sampling of the statistics' decoding sweep
    (:func:`~cinegrade.analysis.sampler.sample_shots_twice`): a movie's frames along its
    shots are then decoded once, not again by :func:`sample_along`. :func:`along_from_samples`
    turns what the sweep gives into the :class:`AlongFrames` :func:`sample_along` gives, frame
    for frame."""

    settings: AlongSettings = AlongSettings()

    @property
    def width(self) -> int:
        return self.settings.width

    @property
    def dense_width(self) -> int:
        return self.settings.width

    @property
    def fast(self) -> bool:
        return False

    def request(self, shot: Shot, media_rate, key=None):
        """The sweep's request: the frames along ``shot`` (none where it is not measured)."""
        from cinegrade.analysis.sampler import SampleRequest

        numbers = along_numbers(shot, self.settings, media_rate) if unmeasurable(shot, self.settings) is None else ()
        return SampleRequest(shot.index if key is None else key, numbers, ())


def along_from_samples(shot: Shot, samples, settings: AlongSettings = AlongSettings()) -> AlongFrames | str:
    """The :class:`AlongFrames` of ``shot`` from the sweep's samples at :class:`AlongSampling`
    (:class:`~cinegrade.analysis.sampler.ShotSamples`, or a string saying why there are none);
    a string says why not."""
    why = unmeasurable(shot, settings)
    if why is not None:
        return why
    if isinstance(samples, str):
        return samples
    offsets, reference = _offsets(shot.source.duration, settings)
    if len(samples.frames) != len(offsets):
        return "the media ends before the shot"
    return AlongFrames(tuple(samples.frames), tuple(offsets), reference, shot.source.duration)


def sample_along(shot: Shot, settings: AlongSettings = AlongSettings()) -> AlongFrames | str:
    """The I/O edge: ``shot``'s frames along its source range, decoded exactly with PyAV
    (movies; :func:`cinegrade.media.frames.decode_frames`) or read with Pillow (image
    sequences), downscaled to ``settings.width``; a string says why not (bad media never
    raises; :func:`unmeasurable` shots are not read)."""
    from cinegrade.analysis.sampler import media_frame, read_image
    from cinegrade.errors import InputError
    from cinegrade.media.frames import decode_frames, open_video

    duration = shot.source.duration
    offsets, reference = _offsets(duration, settings)
    why = unmeasurable(shot, settings)
    if why is not None:
        return why
    if shot.media_kind == IMAGE_SEQUENCE:
        first_file = shot.sequence_start or 0
        rate = shot.available.rate if shot.available is not None else shot.source.rate
        try:
            frames = tuple(read_image(
                shot.media_path % (first_file + media_frame(shot.source.start + o, shot.source,
                                                             shot.available, rate))
                if "%" in shot.media_path else shot.media_path, settings.width) for o in offsets)
        except Exception as error:  # noqa: BLE001 - Pillow raises many types for bad files
            return f"cannot read the image sequence ({error})"
        return AlongFrames(frames, tuple(offsets), reference, duration)
    try:
        container, stream = open_video(shot.media_path)
        with container:
            rate = stream.average_rate or stream.guessed_rate or 24
            width, height = stream.codec_context.width, stream.codec_context.height
        size = None
        if width and height and width > settings.width:
            size = (settings.width, max(2, round(height * settings.width / width)))
        numbers = list(along_numbers(shot, settings, rate))
        decoded = dict(decode_frames(shot.media_path, numbers, size=size))
    except InputError as error:
        return error.reason
    except OSError as error:
        return f"cannot open the media ({error})"
    if any(n not in decoded for n in numbers):
        return "the media ends before the shot"
    return AlongFrames(tuple(decoded[n] for n in numbers), tuple(offsets), reference, duration)


@dataclass(frozen=True)
class AlongShot:
    """A shot's drift along its length, relative to its first frames.

    ``offsets``: the sampled frames (from the shot's first frame); ``components``: per frame
    the six :data:`~cinegrade.colour.drift.COMPONENTS` (NaN where unmeasured), ``errors``: their
    standard errors (inf where unmeasured); ``chained``: whether a frame was measured through an
    earlier frame (it shared too little with the start); ``duration``: the shot's length.
    """

    offsets: tuple[int, ...]
    components: tuple[tuple[float, ...], ...]
    errors: tuple[tuple[float, ...], ...]
    chained: tuple[bool, ...]
    duration: int

    def series(self, component: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(offsets, values, errors) of one component over the measured frames, float64."""
        column = COMPONENTS.index(component)
        values = np.array([c[column] for c in self.components], dtype=np.float64).reshape(-1)
        errors = np.array([e[column] for e in self.errors], dtype=np.float64).reshape(-1)
        known = np.isfinite(values) & np.isfinite(errors)
        return np.asarray(self.offsets, dtype=np.float64)[known], values[known], errors[known]

    @property
    def measured(self) -> int:
        """How many sampled frames were measured."""
        return sum(1 for c in self.components if np.all(np.isfinite(c)))

    def to_json(self) -> dict:
        """A JSON-ready dict (NaN and inf as null)."""
        clean = lambda rows: [[round(v, 6) if math.isfinite(v) else None for v in row]
                              for row in rows]
        return {"offsets": list(self.offsets), "components": clean(self.components),
                "errors": clean(self.errors), "chained": list(self.chained),
                "duration": self.duration}

    @classmethod
    def from_json(cls, data: dict) -> AlongShot:
        """What :meth:`to_json` gave."""
        back = lambda rows, missing: tuple(tuple(missing if v is None else float(v) for v in row)
                                           for row in rows)
        return cls(tuple(data["offsets"]), back(data["components"], math.nan),
                   back(data["errors"], math.inf), tuple(data["chained"]), int(data["duration"]))


#: Components a chain of frame-to-frame fits carries (:func:`measure_along`): each step's bias
#: adds up, and in contrast and lift — the least determined by content — it adds up to creeps
#: that are not there (bikes.mp4's tracking shot, whose content leaves the start's after 16
#: frames: +73 % contrast and +0.2 lift on undrifted frames); chained frames leave them unknown.
CHAINED_COMPONENTS = ("exposure_stops", "warmth", "tint", "log_saturation")


def measure_along(frames: AlongFrames, drift_of: FrameDrift, chain: int = 3,
                  loose: float = math.inf) -> AlongShot:
    """Each of ``frames`` (reference frames aside) measured against the reference by
    ``drift_of``; where that finds nothing, or only a loose fit (exposure error over ``loose``
    stops: the content has moved on and little is shared with the start), also through the
    nearest of the last ``chain`` measured frames (its drift plus the step, errors in
    quadrature), keeping the tighter. The reference frames themselves are 0 ± the smallest
    error measured (they are the start). Unmeasurable frames are NaN. (Chaining loose fits,
    ``loose`` 0.05 stop, measured worse on the benchmark's real video: each step's bias in
    contrast and lift adds up to a creep that is not there; so it is off by default.) A
    chained frame's components outside :data:`CHAINED_COMPONENTS` keep their value but get an
    infinite error (unknown)."""
    nan, inf = (math.nan,) * len(COMPONENTS), (math.inf,) * len(COMPONENTS)
    reference = set(frames.reference)
    components: list[np.ndarray | None] = [None] * len(frames.offsets)
    errors: list[np.ndarray | None] = [None] * len(frames.offsets)
    chained = [False] * len(frames.offsets)
    measured: list[int] = []
    for index in range(len(frames.offsets)):
        if index in reference:
            continue
        found = drift_of(frames.reference, index)
        if found is None or not found[1][0] <= loose:
            for earlier in reversed(measured[-chain:]):
                step = drift_of((earlier,), index)
                if step is not None:
                    through = (components[earlier] + step[0], np.hypot(errors[earlier], step[1]))
                    if found is None or through[1][0] < found[1][0]:
                        found = through
                        chained[index] = True
                    break
        if found is not None:
            components[index] = np.asarray(found[0], dtype=np.float64)
            errors[index] = np.asarray(found[1], dtype=np.float64)
            measured.append(index)
    known = [e for e, linked in zip(errors, chained) if e is not None and not linked]
    known = known or [e for e in errors if e is not None]
    floor = np.min(known, axis=0) if known else np.full(len(COMPONENTS), math.inf)
    rows, error_rows = [], []
    for index in range(len(frames.offsets)):
        if index in reference:
            rows.append((0.0,) * len(COMPONENTS))
            error_rows.append(tuple(float(v) for v in floor))
        elif components[index] is None:
            rows.append(nan)
            error_rows.append(inf)
        else:
            rows.append(tuple(float(v) for v in components[index]))
            error_rows.append(tuple(
                float(v) if not chained[index] or name in CHAINED_COMPONENTS else math.inf
                for name, v in zip(COMPONENTS, errors[index])))
    return AlongShot(frames.offsets, tuple(rows), tuple(error_rows), tuple(chained),
                     frames.duration)


@dataclass(frozen=True)
class Creep:
    """One component's creep over a shot: flat until ``start`` (an offset from the shot's first
    frame), then a straight ramp to the shot's last frame.

    ``size``: the ramp's change from ``start`` to the last frame, in the component's ``unit``;
    ``error``: its standard error, from the scatter about the fit (never below what the
    per-frame errors allow); ``significance``: ``|size| / error``; ``scatter``: RMS of the
    residuals (measurement noise plus wobble); ``level``: the fitted value before the ramp (the
    start frames' offset from the reference, ~0); ``frames``: how many frames the fit used.
    """

    component: str
    size: float
    unit: str
    start: int
    error: float
    significance: float
    scatter: float
    level: float
    end: int
    frames: int

    def at(self, offset: float | np.ndarray) -> float | np.ndarray:
        """The fitted curve at ``offset`` (frames from the shot's first frame).

        >>> Creep("exposure_stops", 0.5, "stops", 10, 0.05, 10.0, 0.01, 0.0, 60, 13).at(35)
        0.25
        """
        ramp = np.clip((np.asarray(offset, dtype=np.float64) - self.start)
                       / max(self.end - self.start, 1), 0.0, 1.0)
        value = self.level + self.size * ramp
        return float(value) if np.ndim(value) == 0 else value


def _hinge_design(t: np.ndarray, start: float, end: float) -> np.ndarray:
    design = np.ones((len(t), 2))
    np.clip((t - start) / max(end - start, 1.0), 0.0, 1.0, out=design[:, 1])
    return design


def _median(values: np.ndarray) -> float:
    """``np.median`` of a short 1-D array of finite numbers, the same number without its
    overhead (the hinge fit takes several per curve)."""
    ordered = np.sort(values)
    middle = len(ordered) // 2
    return float(ordered[middle]) if len(ordered) % 2 else float((ordered[middle - 1] + ordered[middle]) / 2)


def _nearly_best(t: np.ndarray, y: np.ndarray, starts: np.ndarray, end: float) -> np.ndarray:
    """Of the hinge's candidate ``starts`` (in order), those whose least-squares fit of ``y``
    at ``t`` leaves a residual sum of squares within 1e-9 of the data's spread of the least:
    every start's fit in closed form at once (the line on the ramp's column), so that only
    these are fitted again by the exact solver — which then picks the start it always did."""
    ramps = (t - starts[:, None]) / np.maximum(end - starts, 1.0)[:, None]
    np.clip(ramps, 0.0, 1.0, out=ramps)
    ramps -= (ramps.sum(axis=1) / len(t))[:, None]
    spread = y - y.sum() / len(y)
    total = float(spread @ spread)
    square = (ramps * ramps).sum(axis=1)
    flat = square <= 1e-12 * max(float(square.max()), 1e-300)
    square[flat] = math.inf  # a ramp that is flat over the frames explains nothing
    rss = total - (ramps @ spread) ** 2 / square
    return starts[rss <= float(rss.min()) + 1e-9 * total + 1e-300]


def fit_hinge(offsets: Sequence[float], values: Sequence[float], errors: Sequence[float],
              duration: int, name: str, unit: str, min_frames: int = 5,
              latest_start: float = 0.75) -> Creep | None:
    """The hinge fit of one curve (``values`` at ``offsets`` with standard ``errors``; see the
    module docstring): start searched over the sampled offsets up to ``latest_start`` of the
    shot (a creep starting later is too short to tell from wobble), least squares, then once
    more without points beyond 3.5 robust standard deviations (a misregistered frame). None
    below ``min_frames`` finite values.

    The error of the size is the OLS standard error with the residual scale (floored by the
    median per-frame error): the scatter about the ramp says how well it is known, whatever
    its cause (weighting frames by their errors measured worse on the benchmark: the fit's
    formal errors miss the misregistration that dominates on moving content). Searching the
    start makes ``significance`` optimistic on a flat curve; the within-shot thresholds of
    :class:`cinegrade.continuity.rules.ContinuitySettings` are set on clean shots with that in
    them.

    >>> t = np.arange(0, 61, 5)
    >>> creep = fit_hinge(t, np.clip((t - 20) / 40, 0, 1) * 0.5, np.full(len(t), 0.01), 61, "x", "stops")
    >>> round(creep.size, 3), creep.start, creep.unit
    (0.5, 20, 'stops')
    """
    t, y, e = (np.asarray(v, dtype=np.float64) for v in (offsets, values, errors))
    known = np.isfinite(y) & np.isfinite(e)
    t, y, e = t[known], y[known], e[known]
    if len(t) < min_frames:
        return None
    end = float(duration - 1)
    keep = np.ones(len(t), dtype=bool)
    best = None
    for _ in range(2):
        best = None
        starts = t[keep][t[keep] <= latest_start * end]
        for start in _nearly_best(t[keep], y[keep], starts if len(starts) else t[keep][:1], end):
            design = _hinge_design(t[keep], start, end)
            coefficients, *_ = np.linalg.lstsq(design, y[keep], rcond=None)
            rss = float(np.sum((y[keep] - design @ coefficients) ** 2))
            if best is None or rss < best[0]:
                best = (rss, start, coefficients)
        _, start, coefficients = best
        residual = y - _hinge_design(t, start, end) @ coefficients
        spread = 1.4826 * _median(np.abs(residual[keep])) + 1e-12
        outliers = np.abs(residual) > 3.5 * max(spread, _median(e))
        if not outliers.any() or (keep & ~outliers).sum() < min_frames:
            break
        keep = ~outliers
    _, start, coefficients = best
    design = _hinge_design(t[keep], start, end)
    residual = y[keep] - design @ coefficients
    dof = max(int(keep.sum()) - 3, 1)  # level, size and the searched start
    scale = max(math.sqrt(float(residual @ residual) / dof), _median(e[keep]))
    covariance = np.linalg.pinv(design.T @ design) * scale**2
    error = math.sqrt(max(float(covariance[1, 1]), 0.0))
    size = float(coefficients[1])
    return Creep(name, size, unit, int(start), error,
                 abs(size) / error if error > 0 else math.inf,
                 float(np.sqrt(np.mean(residual**2))), float(coefficients[0]), int(end),
                 int(keep.sum()))


def fit_creep(along: AlongShot, component: str, min_frames: int = 5) -> Creep | None:
    """:func:`fit_hinge` of one of the six :data:`~cinegrade.colour.drift.COMPONENTS` along the
    shot, in its :data:`UNITS`.

    >>> t = np.arange(0, 61, 5)
    >>> rows = tuple((v, 0, 0, 0, 0, 0) for v in np.clip((t - 20) / 40, 0, 1) * 0.5)
    >>> along = AlongShot(tuple(int(v) for v in t), rows, ((0.01,) * 6,) * len(t), (False,) * len(t), 61)
    >>> round(fit_creep(along, "exposure_stops").size, 3)
    0.5
    """
    t, y, e = along.series(component)
    return fit_hinge(t, y, e, along.duration, component, UNITS[component], min_frames)


def fit_creeps(along: AlongShot) -> dict[str, Creep]:
    """:func:`fit_creep` of every component that has enough measured frames, by name."""
    found = {name: fit_creep(along, name) for name in COMPONENTS}
    return {name: creep for name, creep in found.items() if creep is not None}
