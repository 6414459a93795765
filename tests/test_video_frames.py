"""video_frames: RGB -> H.264 BT.709 -> RGB round trips, colour tags, untagged defaults, errors."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from cinegrade.errors import InputError
from cinegrade.media.frames import (
    HD_MIN_ROWS,
    decode_frames,
    encode_clip,
    rgb_from_frame,
    source_matrix,
    source_range,
)

ROWS, COLS, PATCH_H, PATCH_W = 4, 8, 48, 48


def chart(seed: int = 3) -> np.ndarray:
    """Flat patches: a grey ramp from black to white, the six primaries/secondaries and random
    colours; (ROWS*PATCH_H, COLS*PATCH_W, 3) display-referred Rec.709 in [0, 1]."""
    colours = np.random.default_rng(seed).uniform(0.03, 0.97, (ROWS, COLS, 3))
    colours[0] = np.linspace(0.0, 1.0, COLS)[:, None]
    colours[1, :6] = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 0]]
    return np.repeat(np.repeat(colours, PATCH_H, 0), PATCH_W, 1).astype(np.float32)


def patch_means(rgb: np.ndarray) -> np.ndarray:
    """Mean of each patch's interior (8 px margin: away from 4:2:0 chroma bleeding at edges)."""
    blocks = rgb.reshape(ROWS, PATCH_H, COLS, PATCH_W, 3)
    return blocks[:, 8:-8, :, 8:-8].mean(axis=(1, 3))


def code_value_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(patch_means(a) - patch_means(b)).max() * 255)


@pytest.fixture(scope="module")
def chart_clip(tmp_path_factory) -> tuple[Path, list[np.ndarray]]:
    frames = [chart() * (0.6 + 0.05 * i) for i in range(8)]
    frames = [np.clip(f, 0, 1) for f in frames]
    path = tmp_path_factory.mktemp("clip") / "chart.mp4"
    encode_clip(path, frames, fps=24)
    return path, frames


def test_round_trip_within_two_code_values(chart_clip):
    path, frames = chart_clip
    decoded = dict(decode_frames(path))
    assert sorted(decoded) == list(range(len(frames)))
    for number, rgb in decoded.items():
        assert rgb.dtype == np.float32 and rgb.shape == frames[number].shape
        assert 0.0 <= rgb.min() and rgb.max() <= 1.0
        assert code_value_error(rgb, frames[number]) < 2.0


def test_encoded_codes_are_exact_bt709_limited(chart_clip):
    """Read the Y' plane without swscale: the grey ramp sits at 16 + 219 v (black 16, white 235)."""
    path, frames = chart_clip
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
    plane = frame.planes[0]
    luma = np.frombuffer(plane, np.uint8).reshape(frame.height, plane.line_size)[:, : frame.width]
    grey = frames[0][0, :, 0].reshape(COLS, PATCH_W)[:, 0]
    measured = luma[8:PATCH_H - 8].reshape(PATCH_H - 16, COLS, PATCH_W)[:, :, 8:-8].mean((0, 2))
    assert np.abs(measured - (16 + 219 * grey)).max() < 0.75


def test_wrong_matrix_or_range_fails_the_same_check(chart_clip):
    """The round-trip check can fail: reading the BT.709 file as BT.601 or full range is far off."""
    path, frames = chart_clip
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
    as_601 = rgb_from_frame(frame, colorspace=6)
    as_full = rgb_from_frame(frame, color_range=2)
    assert code_value_error(as_601, frames[0]) > 10
    assert code_value_error(as_full, frames[0]) > 10


def test_stream_and_frames_are_tagged_bt709_limited(chart_clip):
    path, _ = chart_clip
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        context = stream.codec_context
        assert (context.name, context.pix_fmt) == ("h264", "yuv420p")
        assert stream.average_rate == 24
        assert (context.colorspace, context.color_primaries, context.color_trc) == (1, 1, 1)
        assert context.color_range == 1  # MPEG = limited (tv)
        frame = next(container.decode(stream))
        assert (frame.colorspace, frame.color_primaries, frame.color_trc, frame.color_range) == (
            1, 1, 1, 1)


def test_exact_frames_by_number(chart_clip):
    """Frames carry their own brightness (0.6 + 0.05 n), so a wrong frame is caught."""
    path, frames = chart_clip
    got = list(decode_frames(path, [5, 2, 7, 2]))
    assert [n for n, _ in got] == [2, 5, 7]
    for number, rgb in got:
        assert code_value_error(rgb, frames[number]) < 2.0
        others = [code_value_error(rgb, f) for i, f in enumerate(frames) if i != number]
        assert min(others) > 5


def test_downscale(chart_clip):
    path, frames = chart_clip
    ((_, small),) = decode_frames(path, [0], size=(COLS * PATCH_W // 2, ROWS * PATCH_H // 2))
    assert small.shape == (ROWS * PATCH_H // 2, COLS * PATCH_W // 2, 3)
    expected = frames[0].reshape(ROWS * PATCH_H // 2, 2, COLS * PATCH_W // 2, 2, 3).mean((1, 3))
    blocks = (small - expected).reshape(ROWS, PATCH_H // 2, COLS, PATCH_W // 2, 3)
    assert np.abs(blocks[:, 4:-4, :, 4:-4]).max() * 255 < 3


def _untagged_frame(width: int, height: int, value: float, matrix: str) -> av.VideoFrame:
    rgb = np.zeros((height, width, 3), np.float32)
    rgb[...] = (value, 0.2, 0.1)
    frame = av.VideoFrame.from_ndarray(rgb, format="gbrpf32le", channel_last=True)
    frame = frame.reformat(format="yuv420p", src_colorspace=matrix, dst_colorspace=matrix,
                           src_color_range="JPEG", dst_color_range="MPEG")
    frame.colorspace, frame.color_range = 2, 0  # unspecified, as in an untagged file
    return frame


@pytest.mark.parametrize(("rows", "matrix"), [(HD_MIN_ROWS, "ITU709"), (480, "ITU601")])
def test_untagged_default_is_709_for_hd_and_601_for_sd(rows, matrix):
    frame = _untagged_frame(64, rows, 0.9, matrix)
    assert source_matrix(frame).name == matrix
    assert source_range(frame).name == "MPEG"
    rgb = rgb_from_frame(frame)
    assert np.abs(rgb[rows // 2, 32] - (0.9, 0.2, 0.1)).max() * 255 < 1.5


def test_untagged_jpeg_pixel_format_is_full_range():
    frame = av.VideoFrame(16, 16, "yuvj420p")
    frame.color_range = 0
    assert source_range(frame).name == "JPEG"


def test_tagged_601_full_range_file_decodes(tmp_path):
    """A file tagged BT.601 full range (as phones write) reads back correctly through the tags."""
    path = tmp_path / "601.mp4"
    rgb = chart()
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = rgb.shape[1], rgb.shape[0], "yuv420p"
        stream.options = {"crf": "4"}
        stream.codec_context.colorspace, stream.codec_context.color_range = 6, 2
        frame = av.VideoFrame.from_ndarray(rgb, format="gbrpf32le", channel_last=True)
        frame = frame.reformat(format="yuv420p", src_colorspace="ITU601", dst_colorspace="ITU601",
                               src_color_range="JPEG", dst_color_range="JPEG")
        for packet in [*stream.encode(frame), *stream.encode()]:
            container.mux(packet)
    ((_, decoded),) = decode_frames(path, [0])
    assert code_value_error(decoded, rgb) < 2.0


def test_missing_file_names_it(tmp_path):
    missing = tmp_path / "nope.mp4"
    with pytest.raises(InputError) as caught:
        list(decode_frames(missing))
    assert caught.value.path == str(missing)


def test_not_a_video_names_it(tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video at all" * 10)
    with pytest.raises(InputError) as caught:
        list(decode_frames(junk))
    assert caught.value.path == str(junk)


def test_frame_past_end_is_an_input_error(chart_clip):
    path, frames = chart_clip
    with pytest.raises(InputError, match="past the end"):
        list(decode_frames(path, [len(frames) + 3]))


def test_encode_is_atomic_on_error(tmp_path):
    target = tmp_path / "out.mp4"

    def frames():
        yield np.zeros((32, 32, 3), np.float32)
        raise RuntimeError("generator failed")

    with pytest.raises(RuntimeError):
        encode_clip(target, frames())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("matrix", "tag", "weights"), [("ITU709", 1, "ITU-R BT.709"), ("ITU601", 6, "ITU-R BT.601")]
)
@pytest.mark.parametrize("legal", [True, False])
def test_decoder_matches_colour_science_on_flat_codes(matrix, tag, weights, legal):
    """Flat yuv444p frames decode to what colour.YCbCr_to_RGB computes, to 0.05 code values
    (catches swscale's 255/256 float scaling too)."""
    import colour

    for codes in [(235, 128, 128), (126, 128, 128), (81, 90, 240), (145, 54, 34), (16, 128, 128)]:
        frame = av.VideoFrame(16, 16, "yuv444p")
        for plane, code in zip(frame.planes, codes):
            plane.update(np.full(plane.buffer_size, code, np.uint8))
        frame.colorspace, frame.color_range = tag, 1 if legal else 2
        expected = colour.YCbCr_to_RGB(np.array(codes, float), K=colour.WEIGHTS_YCBCR[weights],
                                       in_bits=8, in_legal=legal, in_int=True)
        got = rgb_from_frame(frame)[8, 8]
        assert np.abs(got - np.clip(expected, 0, 1)).max() * 255 < 0.05, codes
