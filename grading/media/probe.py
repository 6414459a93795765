"""What a media file is, from its container and stream parameters (never decoded in full).

``probe_media`` opens a movie, a still (png, jpg, tif, exr, ...) or an image sequence (a printf
pattern such as ``/shots/a.%04d.exr``) with PyAV and reads codec, size, frame rate, length, pixel
format and the colour tags. Unreadable or corrupt media give a probe with ``error`` set rather
than an exception: one bad shot must not stop ``info`` from describing the others.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

#: FFmpeg's names (what ``ffprobe`` prints) for the ITU-T H.273 / ISO/IEC 23091-2 code points.
_PRIMARIES = {1: "bt709", 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "film",
              9: "bt2020", 10: "smpte428", 11: "smpte431", 12: "smpte432", 22: "ebu3213"}
_TRANSFER = {1: "bt709", 4: "gamma22", 5: "gamma28", 6: "smpte170m", 7: "smpte240m", 8: "linear",
             9: "log100", 10: "log316", 11: "iec61966-2-4", 12: "bt1361e", 13: "iec61966-2-1",
             14: "bt2020-10", 15: "bt2020-12", 16: "smpte2084", 17: "smpte428", 18: "arib-std-b67"}
_MATRIX = {0: "gbr", 1: "bt709", 4: "fcc", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m",
           8: "ycgco", 9: "bt2020nc", 10: "bt2020c", 11: "smpte2085", 12: "chroma-derived-nc",
           13: "chroma-derived-c", 14: "ictcp"}
_RANGE = {1: "tv", 2: "pc"}

_PRINTF = re.compile(r"%0?(\d*)d")


@dataclass(frozen=True)
class MediaProbe:
    """Stream parameters of one media file; ``None`` where the file does not say.

    ``frame_rate`` in frames per second; ``duration`` in seconds; ``frames`` counted from the
    container's index or the sequence's files, else estimated from duration × rate. Colour tags
    are FFmpeg's names (``bt709``, ``smpte170m``, ``tv``/``pc``); untagged is ``None``.
    ``error`` says why the file could not be read (then ``codec`` and the rest are ``None``).
    """

    path: str
    exists: bool
    kind: str | None = None
    container: str | None = None
    codec: str | None = None
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
    duration: float | None = None
    frames: int | None = None
    pixel_format: str | None = None
    color_primaries: str | None = None
    color_transfer: str | None = None
    color_matrix: str | None = None
    color_range: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the media exists and its stream could be read."""
        return self.exists and self.error is None


def probe_shots(shots, cache=None) -> dict[int, MediaProbe]:
    """The probe of each shot's media by shot index (:class:`~cinegrade.timeline.shots.Shot`),
    each file or sequence probed once however many shots use it; shots without media left out.
    ``cache``: anything with ``get_json(key)`` and ``put_json(key, value)`` (the statistics
    cache, :class:`~cinegrade.analysis.cache.StatsCache`), where probes of readable movies and
    stills are kept under their media's identity (:func:`probe_key`); None probes every file."""
    found: dict[tuple[str, int | None], MediaProbe] = {}
    probes = {}
    for shot in shots:
        if shot.media_path is None:
            continue
        key = (shot.media_path, shot.sequence_start)
        if key not in found:
            found[key] = _cached_probe(*key, cache)
        probes[shot.index] = found[key]
    return probes


#: Bump when :func:`probe_media` reads a file otherwise: cached probes of other versions are not found.
PROBE_VERSION = 1


def probe_key(path: str | os.PathLike) -> str | None:
    """Hex SHA-256 of a movie's or still's identity — (probe version, absolute path, size,
    mtime in ns): touching or replacing the file changes it —, or None where it cannot be
    stat'ed or is an image sequence (its files are counted on every probe)."""
    text = os.fspath(path)
    if _PRINTF.search(Path(text).name):
        return None
    try:
        info = os.stat(text)
    except (OSError, ValueError):
        return None
    identity = ["probe", PROBE_VERSION, str(Path(text).resolve()), info.st_size, info.st_mtime_ns]
    return hashlib.sha256(json.dumps(identity).encode("utf-8")).hexdigest()


def _cached_probe(path: str, start_number: int | None, cache) -> MediaProbe:
    key = probe_key(path) if cache is not None else None
    if key is not None:
        known = cache.get_json(key)
        if isinstance(known, dict):
            try:
                return MediaProbe(**{**known, "path": path})
            except TypeError:
                pass
    probe = probe_media(path, start_number)
    if key is not None and probe.ok:
        try:
            cache.put_json(key, dataclasses.asdict(probe))
        except OSError:
            pass
    return probe


def probe_media(path: str | os.PathLike, start_number: int | None = None) -> MediaProbe:
    """Probe a movie, a still or an image sequence (a path holding ``%04d``; ``start_number`` is
    its first frame number, found from the files when not given or not among them). Never
    raises for bad media: a missing, empty, unreadable or corrupt file gives a probe with
    ``error`` set (stills FFmpeg cannot open are tried with Pillow first). An image sequence's
    ``frames`` counts all its files, whatever ``start_number``."""
    import av

    text = os.fspath(path)
    if _PRINTF.search(Path(text).name):
        return _probe_sequence(text, start_number)
    if not os.path.exists(text):
        return MediaProbe(text, exists=False, error="no such file")
    if os.path.isdir(text):
        return MediaProbe(text, exists=True, error="is a directory")
    if os.path.getsize(text) == 0:
        return MediaProbe(text, exists=True, error="empty file")
    try:
        with av.open(text, metadata_errors="ignore") as container:
            probe = _from_container(text, container)
    except (av.error.FFmpegError, OSError, ValueError, UnicodeDecodeError) as error:
        probe = MediaProbe(text, exists=True, error=_reason(error))
    if probe.error is not None:
        return _probe_with_pillow(text) or probe
    return probe


def _from_container(text: str, container, kind: str | None = None,
                    frames: int | None = None) -> MediaProbe:
    if not container.streams.video:
        return MediaProbe(text, exists=True, container=container.format.name,
                          error="no video stream")
    stream = container.streams.video[0]
    context = stream.codec_context
    if not context.width or not context.height:
        return MediaProbe(text, exists=True, container=container.format.name,
                          error="unreadable media: no picture size in the stream")
    rate = stream.average_rate or stream.base_rate or stream.guessed_rate
    is_still = container.format.name in ("image2", "png_pipe", "jpeg_pipe", "tiff_pipe",
                                         "exr_pipe", "webp_pipe", "bmp_pipe", "dpx_pipe") \
        or "_pipe" in container.format.name
    duration = None
    if stream.duration is not None and stream.time_base is not None:
        duration = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        duration = container.duration / 1_000_000
    if frames is None:
        frames = stream.frames or None
        if frames is None and is_still and kind != "image_sequence":
            frames = 1
        if frames is None and duration is not None and rate:
            frames = round(duration * float(rate))
    if kind is None:
        kind = "still" if is_still else "movie"
    if kind == "still":
        rate, duration = None, None
    elif kind == "image_sequence" and rate and frames:
        duration = frames / float(rate)
    pixel_format = context.pix_fmt or (stream.format.name if stream.format else None)
    return MediaProbe(
        text, exists=True, kind=kind, container=container.format.name, codec=context.name,
        width=context.width or None, height=context.height or None,
        frame_rate=float(rate) if rate else None, duration=duration, frames=frames,
        pixel_format=pixel_format,
        color_primaries=_PRIMARIES.get(int(context.color_primaries)),
        color_transfer=_TRANSFER.get(int(context.color_trc)),
        color_matrix=_MATRIX.get(int(context.colorspace)) if pixel_format and
        not pixel_format.startswith(("rgb", "bgr", "gbr", "gray", "pal", "rgba")) else None,
        color_range=_RANGE.get(int(context.color_range)))


def _probe_sequence(pattern: str, start_number: int | None) -> MediaProbe:
    """An image sequence: its files counted, the first one opened through FFmpeg's image2."""
    import av

    folder, name = os.path.split(pattern)
    match = _PRINTF.search(name)
    width = int(match.group(1) or 0)
    digits = rf"\d{{{width}}}" if width else r"\d+"
    regex = re.compile(re.escape(name[:match.start()]) + f"({digits})" + re.escape(name[match.end():]) + "$")
    numbers = sorted(int(m.group(1)) for entry in (os.listdir(folder) if os.path.isdir(folder) else ())
                     if (m := regex.match(entry)))
    if not numbers:
        return MediaProbe(pattern, exists=False, kind="image_sequence",
                          error="no files of the image sequence")
    first = start_number if start_number is not None and start_number in numbers else numbers[0]
    try:
        with av.open(pattern, format="image2", options={"start_number": str(first)}) as container:
            return _from_container(pattern, container, kind="image_sequence", frames=len(numbers))
    except (av.error.FFmpegError, OSError, ValueError) as error:
        return MediaProbe(pattern, exists=True, kind="image_sequence", error=_reason(error))


def _probe_with_pillow(text: str) -> MediaProbe | None:
    """Stills FFmpeg cannot open (some TIFF flavours): size and mode from Pillow's header read."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(text) as image:
            image.verify()
            return MediaProbe(text, exists=True, kind="still", container=image.format.lower(),
                              codec=image.format.lower(), width=image.width,
                              height=image.height, frames=getattr(image, "n_frames", 1),
                              pixel_format=image.mode.lower())
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None


def _reason(error: BaseException) -> str:
    message = getattr(error, "strerror", None) or str(error)
    message = re.sub(r"^\[Errno -?\d+\]\s*", "", message)
    message = re.sub(r":\s*'[^']*'$", "", message)
    return f"unreadable media: {message}"

