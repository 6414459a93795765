"""Shots → sampled frames: the I/O edge of shot analysis (PyAV for movies, Pillow for stills and
image sequences).

For every shot, :data:`SampleSettings.samples` frames spread over its source range — at
(i + 1)/(N + 1) of the range, so never its first or last frame — plus a short run of consecutive
frames ending at the middle sample, from which :mod:`cinegrade.analysis.stats` measures
flicker. Frames come back as display-referred Rec.709 R'G'B' float32 (H, W, 3) in [0, 1], by
:func:`cinegrade.media.frames.rgb_from_frame` (which honours the stream's tagged matrix
and range, BT.709 for untagged HD and BT.601 for untagged SD, limited range for untagged
non-JPEG formats), downscaled in that same conversion pass to :data:`SampleSettings.width`.

Exact frames by default: the container's index says where the keyframe before each wanted
frame is; the decoder seeks there only when it is not already between that keyframe and the
frame, then decodes forward, so frames of one GOP cost one seek. All shots cut from one media
file are sampled through one open container in one forward sweep over the union of their
frames (shots cut from one take often overlap), each shot handed on, and its frames dropped,
as soon as the sweep has passed it. ``fast`` takes the keyframe nearest each wanted position
instead (a seek and one decoded frame each; flicker from the frames after the keyframe nearest
the run; containers without a keyframe index, such as MPEG-TS, are read exactly instead).
Frames are converted by swscale in one pass from Y'CbCr to R'G'B' and down to the
analysis size (area averaging), since converting at 1080p and then downscaling costs several
times more for the same result up to rounding; the flicker run is converted to
:data:`SampleSettings.dense_width` only. Each size keeps its own swscale context from frame
to frame (building one per frame cost as much as the conversion).

Media errors never raise: a shot whose media is missing, unreadable, corrupt or too short comes
back with the reason as a string, and the others go on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from cinegrade.errors import InputError
from cinegrade.media.frames import VideoStream
from cinegrade.timeline.shots import IMAGE_SEQUENCE, MOVIE, STILL, FrameRange, Shot


@dataclass(frozen=True)
class SampleSettings:
    """How shots are sampled. Part of the statistics cache key. :class:`InputError` for fewer
    than 1 sample, a width under 8 px (flicker frames: 2 px) or a negative run length."""

    samples: int = 5
    #: analysis width in pixels (height follows the aspect ratio; never upscaled)
    width: int = 480
    #: nearest keyframes instead of exact frames
    fast: bool = False
    #: consecutive frames for flicker, ending at the middle sample (0: none)
    dense: int = 8
    #: width of the flicker frames (a mean luminance needs few pixels)
    dense_width: int = 64

    def __post_init__(self) -> None:
        if self.samples < 1:
            raise InputError(f"{{field}} must be at least 1, not {self.samples}", field="samples")
        if self.width < 8:
            raise InputError(f"{{field}} {self.width} is too small (at least 8 pixels)", field="width")
        if self.dense_width < 2:
            raise InputError(f"{{field}} {self.dense_width} is too small (at least 2 pixels)",
                             field="dense_width")
        if self.dense < 0:
            raise InputError(f"dense run length {self.dense} is negative")

    def request(self, shot: Shot, media_rate: float | Fraction, key: int | tuple | None = None
                ) -> SampleRequest:
        """The frames a shot needs sampled so (:func:`request_for`): what a sampling gives the
        decoding sweep, as :class:`~cinegrade.analysis.along.AlongSampling` does too."""
        return request_for(shot, self, media_rate, key)


@dataclass(frozen=True)
class ShotSamples:
    """Frames of one shot: display-referred Rec.709 R'G'B' float32 (H, W, 3) in [0, 1]."""

    frames: tuple[np.ndarray, ...]
    #: media frame numbers of ``frames`` (0 = the stream's first frame)
    frame_numbers: tuple[int, ...]
    #: consecutive small frames for flicker
    dense_frames: tuple[np.ndarray, ...] = ()


@dataclass(frozen=True)
class SampleRequest:
    """Which media frames one shot needs: ``samples`` spread over it and a ``dense`` run."""

    key: int | tuple
    samples: tuple[int, ...]
    dense: tuple[int, ...]


def sample_positions(duration: int, count: int) -> list[int]:
    """Offsets into a range of ``duration`` frames of ``count`` samples at (i + 1)/(count + 1)
    of it: evenly spread, never the first or last frame (where cuts, fades and flash frames
    sit) unless the range is that short; distinct, so fewer when the range is shorter.

    >>> sample_positions(100, 3), sample_positions(2, 5), sample_positions(0, 5)
    ([25, 50, 75], [0, 1], [])
    """
    if duration <= 0:
        return []
    return sorted({int((i + 1) * duration / (count + 1)) for i in range(count)})


def media_frame(frame: int, source: FrameRange, available: FrameRange | None,
                media_rate: float | Fraction) -> int:
    """A clip's source frame (at ``source.rate``, in the media's own time: a file starting at
    01:00:00:00 counts from 86400 at 24 fps) → the media's frame number from 0 at
    ``media_rate``. The media's start is its ``available`` range's start where the timeline
    records one, else 0. Rounded to the nearest frame (via seconds).

    >>> one_hour = FrameRange(86400, 10_000, 24.0)  # media starting at 01:00:00:00
    >>> media_frame(86424, FrameRange(86424, 48, 24.0), one_hour, 24)
    24
    """
    offset = available.start / available.rate if available is not None and available.rate else 0.0
    seconds = frame / source.rate - offset
    return round(seconds * float(media_rate))


def request_for(shot: Shot, settings: SampleSettings, media_rate: float | Fraction,
                key: int | tuple | None = None) -> SampleRequest:
    """The media frames (numbered from 0 at ``media_rate``) the sampler must read for ``shot``:
    :func:`sample_positions` of its source range, and a run of ``settings.dense`` consecutive
    frames ending at the middle sample (none for shots under 3 frames or a run under 3). ``key``
    defaults to the shot's index."""
    source = shot.source
    offsets = sample_positions(source.duration, settings.samples)
    samples = [source.start + o for o in offsets]
    dense: list[int] = []
    if settings.dense >= 3 and source.duration >= 3:
        middle = samples[len(samples) // 2]
        first = max(source.start, middle - settings.dense + 1)
        last = min(source.end - 1, first + settings.dense - 1)
        dense = list(range(first, last + 1))
    convert = lambda f: media_frame(f, source, shot.available, media_rate)
    return SampleRequest(shot.index if key is None else key,
                         tuple(convert(f) for f in samples), tuple(convert(f) for f in dense))


def _scaled_size(width: int, height: int, target: int) -> tuple[int, int]:
    if width <= target:
        return width, height
    return target, max(1, round(height * target / width))


def sample_shots(shots: Sequence[Shot], settings: SampleSettings
                 ) -> Iterator[tuple[Shot, ShotSamples | str]]:
    """Samples of ``shots`` that share one media file (one open), each as soon as it is
    complete (not necessarily in the order given); a string instead of samples says why a shot
    could not be sampled (bad media never raises). ``ValueError`` for shots of several files."""
    if not shots:
        return
    first = shots[0]
    if any(s.media_path != first.media_path or s.media_kind != first.media_kind for s in shots):
        raise ValueError("sample_shots takes shots of one media file")
    if first.media_path is None or first.media_kind not in (MOVIE, STILL, IMAGE_SEQUENCE):
        reason = f"no local media ({first.media_kind}: {first.media_url or 'no reference'})"
        for shot in shots:
            yield shot, reason
        return
    if first.media_kind == STILL:
        yield from _sample_still(shots, settings)
    elif first.media_kind == IMAGE_SEQUENCE:
        yield from _sample_sequence(shots, settings)
    else:
        yield from _sample_movie(shots, settings)


def sample_shots_twice(shots: Sequence[Shot], settings: SampleSettings, also
                       ) -> Iterator[tuple[Shot, ShotSamples | str, object]]:
    """:func:`sample_shots` of ``shots`` (one media file) with ``settings`` and with ``also``
    at once: ``(shot, samples, also's samples)`` each (a string says why not). ``also``: a
    :class:`SampleSettings`, any sampling with its ``request``, ``width``, ``dense_width`` and
    ``fast`` (:class:`~cinegrade.analysis.along.AlongSampling`), or a tuple of them (then a
    tuple of samples). A movie is decoded in one sweep over the union of every sampling's
    frames (each frame converted once per width), so asking for several samplings costs one
    decode, not several; the samples are those :func:`sample_shots` gives for each settings
    alone. Other media are sampled for each :class:`SampleSettings` apart; another sampling's
    samples are then a string (it reads movies only)."""
    if not shots:
        return
    others = also if isinstance(also, tuple) else (also,)

    def answer(parts: Sequence) -> object:
        return tuple(parts) if isinstance(also, tuple) else parts[0]

    first = shots[0]
    if first.media_kind != MOVIE or first.media_path is None \
            or any(s.media_path != first.media_path or s.media_kind != MOVIE for s in shots):
        once = dict((s.index, r) for s, r in sample_shots(shots, settings))
        rest = [dict((s.index, r) for s, r in sample_shots(shots, how)) if isinstance(how, SampleSettings)
                else {s.index: "sampled apart: not a movie" for s in shots} for how in others]
        for shot in shots:
            yield shot, once[shot.index], answer([r[shot.index] for r in rest])
        return
    pending: dict[int, dict[int, ShotSamples | str]] = {}
    for key, result in _sample_movie(shots, (settings, *others)):
        index, which = key
        parts = pending.setdefault(index, {})
        parts[which] = result
        if len(parts) == 1 + len(others):
            del pending[index]
            yield next(s for s in shots if s.index == index), parts[0], \
                answer([parts[i] for i in range(1, 1 + len(others))])


# --- movies -------------------------------------------------------------------------------


def _sample_movie(shots: Sequence[Shot], settings: SampleSettings | tuple
                  ) -> Iterator[tuple]:
    """``(shot, samples or why not)`` of shots of one movie; with a tuple of settings,
    ``((shot.index, i), samples or why not)`` for the i-th settings, all in one sweep."""
    import av

    from cinegrade.media.frames import open_video

    several = isinstance(settings, tuple)
    choices = settings if several else (settings,)
    keys = [(shot.index, i) if several else shot.index for shot in shots for i in range(len(choices))]

    def fail(reason: str):
        for shot in shots:
            for i in range(len(choices)):
                yield ((shot.index, i) if several else shot), reason

    path = shots[0].media_path
    try:
        container, stream = open_video(path)
    except InputError as error:
        yield from fail(error.reason)
        return
    except OSError as error:
        yield from fail(f"cannot open the media ({error.strerror or error})")
        return
    with container:
        reader = _MovieReader(container, stream, choices[0])
        by_index = {shot.index: shot for shot in shots}
        wanted = [(shot, i, how) for shot in shots for i, how in enumerate(choices)]
        requests = [how.request(shot, reader.rate, (shot.index, i) if several else None)
                    for shot, i, how in wanted]
        left = set(keys)
        try:
            for key, result in reader.read_all(requests, [how for _, _, how in wanted]):
                left.discard(key)
                yield (key if several else by_index[key]), result
        except (av.FFmpegError, InputError, ValueError, MemoryError) as error:
            reason = error.reason if isinstance(error, InputError) else \
                f"cannot decode the media ({error})"
            for key in sorted(left, key=str):
                yield (key if several else by_index[key]), reason


class _MovieReader(VideoStream):
    """A shot sampler over one open video stream (:class:`~cinegrade.media.frames.VideoStream`:
    frame numbers, seeking only when it saves decoding; see the module docstring)."""

    def __init__(self, container, stream, settings: SampleSettings):
        super().__init__(container, stream)
        self.settings = settings
        self.reformatters: dict[int, object] = {}  # width -> its own swscale context

    def check(self, request: SampleRequest) -> None:
        """:class:`InputError` if the request reaches outside the media."""
        numbers = request.samples + request.dense
        if self.count and numbers and max(numbers) >= self.count:
            raise InputError(f"the shot needs frame {max(numbers)} but the media has "
                             f"{self.count} frames")
        if numbers and min(numbers) < 0:
            raise InputError(f"the shot starts before the media (frame {min(numbers)})")

    def read_all(self, requests: Sequence[SampleRequest],
                 settings: Sequence[SampleSettings] | None = None
                 ) -> Iterator[tuple[int, ShotSamples | str]]:
        """(key, samples or why not) for every request, each read with its own ``settings``
        (default: the reader's) — so one sweep serves samplings of several sizes. Exact mode
        merges all requests' frames and decodes them in one forward sweep (shots cut from one
        take overlap), converting each frame once per width it is needed at; a shot is
        yielded, and the frames no later shot needs are dropped, as soon as the sweep has
        passed its last frame."""
        settings = list(settings) if settings is not None else [self.settings] * len(requests)
        valid = []
        for request, how in zip(requests, settings):
            try:
                self.check(request)
            except InputError as error:
                yield request.key, error.reason
                continue
            if request.samples or request.dense:
                valid.append((request, how))
            else:
                yield request.key, "the shot is shorter than a frame"
        if any(how.fast for _, how in valid) and self.keyframes:
            for request, how in valid:
                yield request.key, self._read_fast(request, how)
            return
        widths: dict[int, set[int]] = {}
        for request, how in valid:
            for n in request.samples:
                widths.setdefault(n, set()).add(how.width)
            for n in request.dense:
                widths.setdefault(n, set()).add(how.dense_width)
        waiting = sorted(valid, key=lambda item: max(item[0].samples + item[0].dense))
        converted: dict[tuple[int, int], np.ndarray] = {}
        decoded: dict[int, int] = {}  # wanted number -> the number decoded for it
        for number in sorted(widths):
            frame = self.decode_to(number)
            decoded[number] = self.current
            for width in widths[number]:
                converted[(number, width)] = self._rgb(frame, width)
            while waiting and max(waiting[0][0].samples + waiting[0][0].dense) <= number:
                request, how = waiting.pop(0)
                yield request.key, ShotSamples(
                    tuple(converted[(n, how.width)] for n in request.samples),
                    tuple(decoded[n] for n in request.samples),
                    tuple(converted[(n, how.dense_width)] for n in request.dense))
                still = {n for r, _ in waiting for n in r.samples + r.dense}
                converted = {k: v for k, v in converted.items() if k[0] in still}

    def _read_fast(self, request: SampleRequest, settings: SampleSettings) -> ShotSamples:
        frames, got = [], []
        for number in request.samples:
            frame = self.seek_keyframe(self.nearest_keyframe(number))
            if got and self.current == got[-1]:
                continue  # one keyframe nearest several samples
            frames.append(self._rgb(frame, settings.width))
            got.append(self.current)
        dense = []
        if request.dense:
            frame = self.seek_keyframe(self.nearest_keyframe(request.dense[0]))
            dense.append(self._rgb(frame, settings.dense_width))
            for _ in range(len(request.dense) - 1):
                frame = next(self.frames, None)
                if frame is None:
                    break
                dense.append(self._rgb(frame, settings.dense_width))
        return ShotSamples(tuple(frames), tuple(got), tuple(dense))

    def _rgb(self, frame, width: int) -> np.ndarray:
        from av.video.reformatter import VideoReformatter

        from cinegrade.media.frames import rgb_from_frame

        if width not in self.reformatters:
            self.reformatters[width] = VideoReformatter()
        return rgb_from_frame(frame, _scaled_size(frame.width, frame.height, width),
                              reformatter=self.reformatters[width])


# --- stills and image sequences -----------------------------------------------------------


def read_image(path: str | os.PathLike, width: int) -> np.ndarray:
    """An image file as display-referred R'G'B' float32 (H, W, 3) in [0, 1], downscaled (box
    filter) to at most ``width`` pixels wide: :func:`cinegrade.media.stills.read_still`
    (:class:`InputError` naming the file for one that cannot be read)."""
    from cinegrade.media.stills import read_still

    return read_still(path, width)


def _image_error(error: Exception) -> str:
    if isinstance(error, InputError):
        return error.reason if error.reason != "no such image file" else f"missing image {error.path}"
    return f"cannot read the image ({error})"


def _sample_still(shots: Sequence[Shot], settings: SampleSettings
                  ) -> Iterator[tuple[Shot, ShotSamples | str]]:
    path = shots[0].media_path
    try:
        rgb = read_image(path, settings.width)
        small = read_image(path, settings.dense_width) if settings.dense >= 3 else None
    except Exception as error:  # noqa: BLE001 - Pillow raises many types for bad files
        for shot in shots:
            yield shot, _image_error(error)
        return
    for shot in shots:  # one picture: one sample, and a run of copies (a still does not flicker)
        dense = (small,) * 3 if small is not None else ()
        yield shot, ShotSamples((rgb,), (0,), dense)


def _sample_sequence(shots: Sequence[Shot], settings: SampleSettings
                     ) -> Iterator[tuple[Shot, ShotSamples | str]]:
    for shot in shots:
        pattern = shot.media_path
        first_file = shot.sequence_start or 0
        rate = shot.available.rate if shot.available is not None else shot.source.rate
        request = request_for(shot, settings, rate)
        files = {n: pattern % (first_file + n) if "%" in pattern else pattern
                 for n in request.samples + request.dense}
        try:
            frames = tuple(read_image(files[n], settings.width) for n in request.samples)
            dense = tuple(read_image(files[n], settings.dense_width) for n in request.dense)
        except Exception as error:  # noqa: BLE001 - Pillow raises many types for bad files
            yield shot, _image_error(error)
            continue
        yield shot, ShotSamples(frames, request.samples, dense)


def shot_identity(shot: Shot) -> tuple | None:
    """What a shot's statistics depend on in its media, or None where the media cannot be
    stat'ed: (absolute path, size, mtime in ns) of a movie or still; of an image sequence, its
    pattern and (size, mtime) of every file the shot covers. Part of the cache key."""
    if shot.media_path is None:
        return None
    try:
        if shot.media_kind == IMAGE_SEQUENCE and "%" in shot.media_path:
            first = (shot.sequence_start or 0) - (shot.available.start if shot.available else 0)
            files = []
            for number in range(shot.source.start, shot.source.end):
                info = os.stat(shot.media_path % (first + number))
                files.append((info.st_size, info.st_mtime_ns))
            return (os.path.abspath(shot.media_path), tuple(files))
        info = os.stat(shot.media_path)
    except (OSError, TypeError, ValueError):
        return None
    return str(Path(shot.media_path).resolve()), info.st_size, info.st_mtime_ns
