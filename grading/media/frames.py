"""Pixels to video and back: the one place that encodes RGB frames and decodes video to RGB.

All RGB here is display-referred Rec.709 (BT.709 primaries, BT.709/BT.1886 encoding), float in
[0, 1], channels in the last axis. Video is Y'CbCr: the matrix (BT.709, BT.601, ...) and the range
(limited "MPEG" 16–235, or full "JPEG" 0–255) say how code values map to R'G'B'. swscale, which
PyAV calls, assumes BT.601 when nobody tells it, so every conversion here names the matrix and
range explicitly (from the frame's tags, or the documented default for untagged media).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import os
from collections.abc import Iterable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import ColorRange, Colorspace, VideoReformatter

from cinegrade.errors import InputError
from cinegrade.media.atomic import atomic_path

#: FFmpeg demuxers whose index lists every keyframe (see ``_MovieReader._keyframe_numbers``).
INDEXED_FORMATS = frozenset({"mov", "mp4", "matroska", "webm", "avi", "mxf"})

# AVColorSpace (the tag in the stream and on each decoded frame) -> swscale's matrix constant.
# ITU-T H.273 / ISO/IEC 23091-2 code points: 1 BT.709, 4 FCC, 5 BT.470BG, 6 SMPTE 170M (both
# BT.601), 7 SMPTE 240M, 9/10 BT.2020 (non-constant / constant luminance).
_MATRIX_FROM_TAG: dict[int, Colorspace] = {
    1: Colorspace.ITU709,
    4: Colorspace.FCC,
    5: Colorspace.ITU601,
    6: Colorspace.ITU601,
    7: Colorspace.SMPTE240M,
    9: Colorspace.BT2020,
    10: Colorspace.BT2020,
}
_AVCOL_RANGE_MPEG = 1
_AVCOL_RANGE_JPEG = 2
# H.273 code point 1 = BT.709 for primaries, transfer characteristics and matrix alike.
_TAG_BT709 = 1

#: Untagged media with at least this many rows is read as BT.709, below it as BT.601: what
#: players (mpv, VLC, browsers) and FFmpeg's own filters assume for HD versus SD video.
HD_MIN_ROWS = 720

#: x264 constant rate factor used by :func:`encode_clip`: visually lossless, so drifts of a
#: fraction of a code value survive coding (18 is the usual "transparent" value; 0 is lossless).
DEFAULT_CRF = 6


def encode_clip(
    path: str | os.PathLike,
    frames: Iterable[np.ndarray],
    fps: int | float | Fraction = 24,
    *,
    crf: int = DEFAULT_CRF,
    preset: str = "veryfast",  # at CRF 6 as accurate as "medium" here, and faster
) -> None:
    """Write ``frames`` as an H.264 yuv420p .mp4 tagged BT.709 (primaries, transfer, matrix) and
    limited (tv) range.

    ``frames``: float arrays (H, W, 3), display-referred Rec.709 R'G'B' in [0, 1] (clipped), all
    the same even size. R'G'B' goes to limited-range Y'CbCr with colour-science's BT.709 matrix
    in float (see :func:`_yuv_frame`), so the only rounding is the final 8-bit one. The file appears
    atomically (temp file beside it, then ``os.replace``); nothing is left behind on error.
    ``fps`` in frames per second (NTSC rates as fractions, e.g. ``Fraction(24000, 1001)``).
    ``ValueError`` for no frames, frames that are not (H, W, 3), an odd width or height, or a
    frame whose size differs from the first's.
    """
    path = Path(path)
    rate = Fraction(fps).limit_denominator(100_000)
    with atomic_path(path) as temporary, av.open(str(temporary), "w", format="mp4") as container:
        stream = None
        for rgb in frames:
            rgb = np.asarray(rgb, dtype=np.float32)
            if stream is None:
                stream = _add_bt709_stream(container, rgb.shape, rate, crf, preset)
            elif rgb.shape[:2] != (stream.height, stream.width):
                raise ValueError(f"frame size {rgb.shape[:2]} differs from the first frame's")
            for packet in stream.encode(_yuv_frame(rgb)):
                container.mux(packet)
        if stream is None:
            raise ValueError("no frames to encode")
        for packet in stream.encode():
            container.mux(packet)


def _add_bt709_stream(container, shape: Sequence[int], rate: Fraction, crf: int, preset: str):
    if len(shape) != 3 or shape[2] != 3:
        raise ValueError(f"frames must be (H, W, 3) RGB arrays, got shape {tuple(shape)}")
    height, width = shape[:2]
    if height % 2 or width % 2:
        raise ValueError(f"yuv420p needs an even width and height, got {width}x{height}")
    stream = container.add_stream("libx264", rate=rate)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.options = {"crf": str(crf), "preset": preset}
    context = stream.codec_context
    context.colorspace = context.color_primaries = context.color_trc = _TAG_BT709
    context.color_range = _AVCOL_RANGE_MPEG
    return stream


def _yuv_frame(rgb: np.ndarray) -> av.VideoFrame:
    """Display-referred R'G'B' float (H, W, 3) -> a BT.709 limited-range yuv420p frame.

    The matrix is colour-science's ITU-R BT.709 Y'CbCr matrix for 8-bit legal-range integers
    (``colour.matrix_YCbCr``, inverted); chroma is the mean of each 2×2 block. Done in numpy
    rather than swscale because swscale's float input path scales by 256/255 (FFmpeg 8.0:
    R'G'B' 1.0 lands on Y' 236, not 235).
    """
    to_ycbcr, offset = _ycbcr_from_rgb_8bit_legal()
    ycbcr = np.clip(rgb, 0.0, 1.0) @ to_ycbcr.T
    cbcr = ycbcr[..., 1:]
    chroma = (cbcr[0::2, 0::2] + cbcr[1::2, 0::2] + cbcr[0::2, 1::2] + cbcr[1::2, 1::2]) / 4
    frame = av.VideoFrame(rgb.shape[1], rgb.shape[0], "yuv420p")
    for plane, values, shift in zip(
        frame.planes, (ycbcr[..., 0], chroma[..., 0], chroma[..., 1]), offset
    ):
        codes = np.clip(np.rint(values + shift), 0, 255).astype(np.uint8)
        padded = np.zeros((codes.shape[0], plane.line_size), np.uint8)
        padded[:, : codes.shape[1]] = codes
        plane.update(padded)
    frame.colorspace, frame.color_range = _TAG_BT709, _AVCOL_RANGE_MPEG
    return frame


@functools.cache
def _ycbcr_from_rgb_8bit_legal() -> tuple[np.ndarray, np.ndarray]:
    """(3×3 matrix R'G'B' [0, 1] -> Y'CbCr 8-bit legal codes minus offset, the offset)."""
    import colour

    to_rgb = colour.matrix_YCbCr(
        K=colour.WEIGHTS_YCBCR["ITU-R BT.709"], bits=8, is_legal=True, is_int=True
    )
    offset = colour.offset_YCbCr(bits=8, is_legal=True, is_int=True)
    return np.linalg.inv(to_rgb).astype(np.float32), np.asarray(offset, np.float32)


@functools.cache
def _swscale_float_gain() -> float:
    """Factor that makes swscale's float R'G'B' output exact: FFmpeg 8.0's swscale writes
    reference white (Y' 235, limited range) as 0.99615 instead of 1.0, the same factor for every
    matrix, range and bit depth measured. Measured once per process on a white frame."""
    frame = av.VideoFrame(16, 16, "yuv444p")
    for plane, code in zip(frame.planes, (235, 128, 128)):
        plane.update(np.full(plane.buffer_size, code, np.uint8))
    white = frame.reformat(format="gbrpf32le", src_colorspace=Colorspace.ITU709,
                           src_color_range=ColorRange.MPEG, dst_color_range=ColorRange.JPEG)
    return float(1.0 / white.to_ndarray(channel_last=True)[8, 8, 1])


def source_matrix(frame: av.VideoFrame, colorspace: int | None = None) -> Colorspace:
    """The Y'CbCr matrix to read ``frame`` with: ``colorspace`` (an AVColorSpace tag) if given,
    else the frame's tag, else BT.709 for frames of :data:`HD_MIN_ROWS` rows or more and BT.601
    below (what players assume for untagged HD and SD video)."""
    tag = frame.colorspace if colorspace is None else colorspace
    if tag in _MATRIX_FROM_TAG:
        return _MATRIX_FROM_TAG[tag]
    return Colorspace.ITU709 if frame.height >= HD_MIN_ROWS else Colorspace.ITU601


def source_range(frame: av.VideoFrame, color_range: int | None = None) -> ColorRange:
    """The code-value range of ``frame``: ``color_range`` (an AVColorRange tag) if given, else the
    frame's tag, else full range for the JPEG pixel formats (yuvj*) and limited range otherwise
    (what untagged video almost always is)."""
    tag = frame.color_range if color_range is None else color_range
    if tag == _AVCOL_RANGE_JPEG:
        return ColorRange.JPEG
    if tag == _AVCOL_RANGE_MPEG:
        return ColorRange.MPEG
    return ColorRange.JPEG if frame.format.name.startswith("yuvj") else ColorRange.MPEG


def rgb_from_frame(
    frame: av.VideoFrame,
    size: tuple[int, int] | None = None,
    *,
    colorspace: int | None = None,
    color_range: int | None = None,
    reformatter: VideoReformatter | None = None,
) -> np.ndarray:
    """A decoded frame as float32 (H, W, 3) display-referred R'G'B' in [0, 1].

    The Y'CbCr matrix and range come from the frame's tags, or ``colorspace`` / ``color_range``
    (AVColorSpace / AVColorRange codes) when given, with the defaults of :func:`source_matrix`
    and :func:`source_range` for untagged media. Transfer function and primaries are passed
    through (no conversion): the values are the encoded R'G'B' the file carries. ``size``
    (width, height) downscales in the same swscale pass with area averaging. One swscale call
    to planar float, times :func:`_swscale_float_gain`: about 8 ms for a 1080p frame on 2 cores.
    ``reformatter``: one kept for a run of frames of one size and format keeps its swscale
    context (and thread pool), which ``frame.reformat`` builds afresh each call: 1080p to 480 px
    then costs about 0.8 ms of CPU instead of 1.5, and half the wall time on a busy machine.
    """
    width, height = size if size is not None else (frame.width, frame.height)
    reformatter = reformatter if reformatter is not None else VideoReformatter()
    if frame.format.name.startswith(("gbr", "rgb", "bgr")):  # already R'G'B': no matrix
        converted = reformatter.reformat(frame, width=width, height=height, format="gbrpf32le",
                                         interpolation="AREA")
    else:
        converted = reformatter.reformat(
            frame,
            width=width,
            height=height,
            format="gbrpf32le",
            src_colorspace=source_matrix(frame, colorspace),
            dst_colorspace=Colorspace.ITU709,  # unused for RGB output
            src_color_range=source_range(frame, color_range),
            dst_color_range=ColorRange.JPEG,
            interpolation="AREA",
        )
    rgb = converted.to_ndarray(channel_last=True)  # PyAV reorders gbrp planes to R, G, B
    rgb *= np.float32(_swscale_float_gain())
    return np.clip(rgb, 0.0, 1.0, out=rgb)


def open_video(path: str | os.PathLike):
    """Open ``path`` with PyAV for reading; :class:`InputError` naming the file if it is missing
    or not a video FFmpeg can read. Returns ``(container, video_stream)``; close the container."""
    path = Path(path)
    if not path.is_file():
        raise InputError("no such video file", path)
    try:
        container = av.open(str(path))
    except av.FFmpegError as error:
        raise InputError(f"not a video file FFmpeg can read ({error})", path) from error
    if not container.streams.video:
        container.close()
        raise InputError("the file has no video stream", path)
    return container, container.streams.video[0]


def decode_frames(
    path: str | os.PathLike,
    frame_numbers: Iterable[int] | None = None,
    *,
    size: tuple[int, int] | None = None,
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(frame_number, rgb)`` for the given frames of ``path`` (all frames if ``None``), in
    increasing frame order, as :func:`rgb_from_frame` returns them.

    Frame numbers and seeking are :class:`VideoStream`'s: exact frames, decoded forward from the
    keyframe before them when that saves decoding. One container open. A missing or unreadable
    file, a negative frame number, a frame past the end or a decoding failure is an
    :class:`InputError` naming the file.
    """
    container, stream = open_video(path)
    with container:
        video = VideoStream(container, stream)
        try:
            if frame_numbers is None:
                for frame in container.decode(stream):
                    yield video.number(frame.pts), rgb_from_frame(frame, size)
                return
            wanted = sorted(set(int(n) for n in frame_numbers))
            if wanted and wanted[0] < 0:
                raise InputError(f"negative frame number {wanted[0]}", path)
            for target in wanted:
                frame = video.decode_to(target)
                yield video.current, rgb_from_frame(frame, size)
        except InputError as error:
            raise InputError(error.reason, path) from None
        except av.FFmpegError as error:
            raise InputError(f"cannot decode the video ({error})", path) from error


class VideoStream:
    """Frames of one open video stream by number, decoded forward, seeking only when it saves
    decoding: the one definition of frame numbering and seeking.

    Frame numbers count from 0 at the stream's first presentation time, at its average frame
    rate. Keyframe numbers come from the container's index where it carries a real one; the
    decoder seeks when a keyframe lies between its position and the wanted frame (without an
    index, when the frame is over 2 s ahead) or the frame is behind it. Containers without an
    index (MPEG-TS) can land after a seek target; then it seeks again, further back.
    """

    def __init__(self, container, stream):
        self.container = container
        self.stream = stream
        stream.thread_type = "SLICE"  # frame threading delays the first frame after each seek
        self.rate = stream.average_rate or stream.guessed_rate or Fraction(24)
        self.time_base = stream.time_base
        self.start = stream.start_time or 0
        self.count = stream.frames or None
        self.keyframes = self._keyframe_numbers()
        self.frames: Iterator | None = None
        self.current = -1  # number of the last decoded frame
        self.last = None  # the last decoded frame

    def _keyframe_numbers(self) -> list[int]:
        """Keyframe numbers from the container's index, for containers that carry a real one
        (QuickTime/MP4 sample tables, Matroska cues, AVI and MXF indexes); [] for the others
        (MPEG-TS, elementary streams), whose index only lists what a seek happened to see."""
        names = set(self.container.format.name.split(","))
        if not names & INDEXED_FORMATS:
            return []
        try:
            stamps = [e.timestamp for e in self.stream.index_entries if e.is_keyframe]
            if len(stamps) <= 1 and self.container.duration:
                # Matroska reads its cues at the first seek: seek once, then look again.
                self.container.seek(self.container.duration // 2)
                stamps = [e.timestamp for e in self.stream.index_entries if e.is_keyframe]
        except (AttributeError, TypeError, OSError, ValueError):
            return []
        if not stamps:
            return []
        # The index holds decode timestamps; with B-frames they run a constant delay ahead of
        # presentation, and the first keyframe is presented at the stream's start.
        delay = self.start - min(stamps)
        return sorted({self.number(t + delay) for t in stamps})

    def number(self, pts: int) -> int:
        """Frame number of a presentation timestamp (in the stream's time base), rounded."""
        return round((pts - self.start) * self.time_base * self.rate)

    def nearest_keyframe(self, number: int) -> int:
        """The keyframe nearest frame ``number`` (the earlier on a tie); ``number`` itself
        without a keyframe index."""
        if not self.keyframes:
            return number  # the seek lands on the keyframe at or before it
        i = bisect.bisect_left(self.keyframes, number)
        return min(self.keyframes[max(0, i - 1):i + 1], key=lambda k: (abs(k - number), k))

    def seek_keyframe(self, number: int):
        """Seek to frame ``number`` and return the first frame decoded there (the keyframe at or
        before it, for indexed containers): :class:`InputError` past the end of the media."""
        self._seek(number)
        frame = next(self.frames, None)
        if frame is None:
            raise InputError(f"frame {number} is past the end of the media")
        self.current, self.last = self.number(frame.pts), frame
        return frame

    def _seek(self, number: int) -> None:
        if number <= 0:  # the very start (MPEG-TS lands on a later keyframe by timestamp)
            self.container.seek(0, backward=True, any_frame=False)
        else:
            target = self.start + int(number / self.rate / self.time_base)
            self.container.seek(target, stream=self.stream, backward=True, any_frame=False)
        self.frames = self.container.decode(self.stream)
        self.current, self.last = -1, None

    def decode_to(self, number: int):
        """The decoded ``av.VideoFrame`` numbered ``number`` (or the first after it where the
        numbering skips it), seeking only when that saves decoding; :attr:`current` is then its
        number. :class:`InputError` past the end of the media."""
        if number == self.current and self.last is not None:
            return self.last
        if self.frames is None or number < self.current or self._seek_saves(number):
            self._seek_before(number)
        for frame in self.frames:
            if frame.pts is None:
                continue
            self.current, self.last = self.number(frame.pts), frame
            if self.current >= number:
                return frame
        raise InputError(f"frame {number} is past the end of the media "
                         f"({self.current + 1} frames decoded)")

    def _seek_before(self, number: int) -> None:
        """Seek so that decoding resumes at or before frame ``number``. Containers without an
        index (MPEG-TS) can land after it; then seek again, further back each time (2 s, 4 s,
        ...), at worst to the start."""
        back = 0
        while True:
            target = max(0, number - back)
            self._seek(target)
            first = next((f for f in self.frames if f.pts is not None), None)
            if first is None or target == 0 or self.number(first.pts) <= number:
                self.frames = itertools.chain([first] if first is not None else [], self.frames)
                return
            back = max(2 * back, int(2 * self.rate))

    def _seek_saves(self, number: int) -> bool:
        """Whether a keyframe lies between the decoder's position and ``number`` (then seeking
        there skips decoding); without an index, whether ``number`` is over 2 s ahead."""
        if not self.keyframes:
            return number - self.current > 2 * self.rate
        i = bisect.bisect_right(self.keyframes, number) - 1
        return i >= 0 and self.keyframes[i] > self.current
