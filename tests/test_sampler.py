"""sampler: which frames a shot is sampled at, and that exactly those frames come back — from
H.264 movies with several keyframes (written here with PyAV), stills and image sequences."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import opentimelineio as otio
import pytest
from PIL import Image

from cinegrade.analysis.sampler import (
    SampleSettings,
    media_frame,
    read_image,
    sample_positions,
    sample_shots,
    sample_shots_twice,
    shot_identity,
)
from cinegrade.media import frames as video_frames
from cinegrade.timeline.shots import FrameRange, shots_from_timeline

COUNT, GOP = 72, 12


def level(number: int) -> float:
    """The grey level of frame ``number`` of the numbered clip: 3.3 code values apart."""
    return 0.1 + 0.8 * number / (COUNT - 1)


def number_of(rgb: np.ndarray) -> int:
    """Which numbered frame an RGB frame is (nearest grey level)."""
    return round((float(rgb.mean()) - 0.1) / 0.8 * (COUNT - 1))


@pytest.fixture(scope="module")
def numbered_clip(tmp_path_factory) -> Path:
    """72 flat grey frames of rising level, H.264 with a keyframe every 12 frames, BT.709."""
    path = tmp_path_factory.mktemp("movie") / "numbered.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.gop_size = GOP
        stream.options = {"crf": "1", "keyint": str(GOP), "min-keyint": str(GOP),
                          "scenecut": "0", "bframes": "2"}
        stream.codec_context.colorspace = stream.codec_context.color_primaries = 1
        stream.codec_context.color_trc = 1
        stream.codec_context.color_range = 1
        for number in range(COUNT):
            rgb = np.full((48, 64, 3), round(level(number) * 255), np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(
                format="yuv420p", dst_colorspace="ITU709", dst_color_range="MPEG")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


@pytest.fixture(scope="module", params=["matroska", "mpegts"])
def remuxed_clip(numbered_clip, request, tmp_path_factory) -> Path:
    """The numbered clip's packets in Matroska (cues read only at the first seek) and MPEG-TS
    (no index; seeks by timestamp land after the target)."""
    path = tmp_path_factory.mktemp("remux") / f"numbered.{request.param}"
    with av.open(str(numbered_clip)) as source, \
            av.open(str(path), "w", format=request.param) as target:
        stream = target.add_stream_from_template(source.streams.video[0])
        for packet in source.demux(source.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                target.mux(packet)
    return path


def timeline_of(*clips: tuple[str, int, int]) -> otio.schema.Timeline:
    """A one-track timeline of (media url, source start, duration) clips at 24 fps."""
    timeline = otio.schema.Timeline()
    track = otio.schema.Track()
    timeline.tracks.append(track)
    for index, (url, start, duration) in enumerate(clips):
        track.append(otio.schema.Clip(
            name=f"c{index}", media_reference=otio.schema.ExternalReference(target_url=url),
            source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(start, 24),
                                                 otio.opentime.RationalTime(duration, 24))))
    return timeline


def test_positions_spread_inside_the_range():
    assert sample_positions(48, 5) == [8, 16, 24, 32, 40]
    assert sample_positions(100, 1) == [50]
    assert sample_positions(3, 5) == [0, 1, 2]
    assert sample_positions(0, 5) == []
    for duration in (10, 37, 240):
        positions = sample_positions(duration, 5)
        assert len(positions) == 5 and 0 < positions[0] and positions[-1] < duration - 1


def test_media_frame_honours_start_timecode_and_rate():
    source = FrameRange(86400 + 48, 24, 24.0)
    available = FrameRange(86400, 1000, 24.0)
    assert media_frame(86400 + 50, source, available, 24) == 50
    assert media_frame(86400 + 50, source, available, Fraction(48)) == 100
    assert media_frame(10, FrameRange(0, 24, 24.0), None, 24) == 10


def test_exact_frames_across_keyframes_with_one_open(numbered_clip, monkeypatch):
    opened = []
    real_open = video_frames.av.open
    monkeypatch.setattr(video_frames.av, "open",
                        lambda *a, **k: opened.append(a) or real_open(*a, **k))
    shots = shots_from_timeline(timeline_of((str(numbered_clip), 30, 40),
                                            (str(numbered_clip), 5, 20),
                                            (str(numbered_clip), 0, 72)))
    results = {shot.index: samples for shot, samples in
               sample_shots(shots, SampleSettings(samples=5, dense=6))}
    assert len(opened) == 1
    for shot in shots:
        samples = results[shot.index]
        wanted = [shot.source.start + p for p in sample_positions(shot.source.duration, 5)]
        assert list(samples.frame_numbers) == wanted
        assert [number_of(rgb) for rgb in samples.frames] == wanted
        middle = wanted[len(wanted) // 2]
        dense = [number_of(rgb) for rgb in samples.dense_frames]
        assert dense == list(range(middle - 5, middle + 1))
        assert all(rgb.dtype == np.float32 and rgb.shape == (48, 64, 3) for rgb in samples.frames)


@pytest.mark.parametrize("fast", [False, True])
def test_two_samplings_in_one_sweep_equal_each_alone(numbered_clip, monkeypatch, fast):
    shots = shots_from_timeline(timeline_of((str(numbered_clip), 30, 40),
                                            (str(numbered_clip), 5, 20),
                                            (str(numbered_clip), 0, 72)))
    first = SampleSettings(samples=5, width=64, dense=6, dense_width=16, fast=fast)
    second = SampleSettings(samples=3, width=32, dense=12, dense_width=8, fast=fast)
    alone = [{shot.index: samples for shot, samples in sample_shots(shots, how)}
             for how in (first, second)]
    decoded = []
    real_decode_to = video_frames.VideoStream.decode_to
    monkeypatch.setattr(video_frames.VideoStream, "decode_to",
                        lambda self, n: decoded.append(n) or real_decode_to(self, n))
    together = list(sample_shots_twice(shots, first, second))
    assert sorted(shot.index for shot, _, _ in together) == sorted(s.index for s in shots)
    for shot, one, two in together:
        for got, want in ((one, alone[0][shot.index]), (two, alone[1][shot.index])):
            assert got.frame_numbers == want.frame_numbers
            assert len(got.frames) == len(want.frames) and len(got.dense_frames) == len(want.dense_frames)
            for a, b in zip(got.frames + got.dense_frames, want.frames + want.dense_frames):
                assert a.shape == b.shape and np.array_equal(a, b)
    if not fast:  # every wanted frame decoded once, for both samplings
        assert len(decoded) == len(set(decoded))


def test_two_samplings_of_bad_media_give_both_reasons(tmp_path):
    shots = shots_from_timeline(timeline_of((str(tmp_path / "missing.mp4"), 0, 10)))
    [(shot, one, two)] = sample_shots_twice(shots, SampleSettings(), SampleSettings(samples=3))
    assert isinstance(one, str) and one == two


@pytest.mark.parametrize("fast", [False, True])
def test_other_containers(remuxed_clip, fast):
    shots = shots_from_timeline(timeline_of((str(remuxed_clip), 5, 20),
                                            (str(remuxed_clip), 40, 30)))
    for shot, samples in sample_shots(shots, SampleSettings(samples=4, fast=fast)):
        wanted = [shot.source.start + p for p in sample_positions(shot.source.duration, 4)]
        got = [number_of(rgb) for rgb in samples.frames]
        assert got == list(samples.frame_numbers)
        if not fast or remuxed_clip.suffix == ".mpegts":  # no index: read exactly
            assert got == wanted
        else:
            assert all(number % GOP == 0 for number in got)


def test_fast_mode_takes_the_nearest_keyframes(numbered_clip):
    shots = shots_from_timeline(timeline_of((str(numbered_clip), 0, 72)))
    (_, samples), = sample_shots(shots, SampleSettings(samples=4, fast=True))
    wanted = sample_positions(72, 4)  # 14, 28, 43, 57
    nearest = [min(range(0, COUNT, GOP), key=lambda k: (abs(k - w), k)) for w in wanted]
    assert list(samples.frame_numbers) == sorted(set(nearest))
    assert [number_of(rgb) for rgb in samples.frames] == list(samples.frame_numbers)
    assert len(samples.dense_frames) == 8


def test_downscale_keeps_the_aspect(numbered_clip):
    shots = shots_from_timeline(timeline_of((str(numbered_clip), 0, 24)))
    (_, samples), = sample_shots(shots, SampleSettings(samples=2, width=32, dense_width=8))
    assert samples.frames[0].shape == (24, 32, 3)
    assert samples.dense_frames[0].shape == (6, 8, 3)


def test_bad_media_gives_reasons_and_the_run_goes_on(numbered_clip, tmp_path):
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    timeline = timeline_of((str(tmp_path / "missing.mp4"), 0, 24), (str(corrupt), 0, 24),
                           (str(numbered_clip), 60, 30), (str(numbered_clip), 10, 24))
    shots = shots_from_timeline(timeline)
    results = {}
    for shot in shots:
        for got, samples in sample_shots([shot], SampleSettings()):
            results[got.index] = samples
    assert isinstance(results[0], str) and "no such" in results[0]
    assert isinstance(results[1], str) and corrupt.name not in ("",)
    assert isinstance(results[2], str) and "72" in results[2]  # needs frames past the end
    assert not isinstance(results[3], str) and len(results[3].frames) == 5


def test_still_and_16_bit_png(tmp_path):
    rgb = np.zeros((40, 100, 3), np.uint8)
    rgb[:, :50] = (200, 40, 10)
    Image.fromarray(rgb).save(tmp_path / "still.png")
    grey16 = np.full((20, 20), 30000, np.uint16)
    Image.fromarray(grey16).save(tmp_path / "deep.png")
    shots = shots_from_timeline(timeline_of((str(tmp_path / "still.png"), 0, 48)))
    assert shots[0].media_kind == "still"
    (_, samples), = sample_shots(shots, SampleSettings(width=50))
    assert samples.frames[0].shape == (20, 50, 3)
    np.testing.assert_allclose(samples.frames[0][:, :24].reshape(-1, 3).mean(axis=0),
                               np.array([200, 40, 10]) / 255, atol=1e-4)
    np.testing.assert_allclose(read_image(tmp_path / "deep.png", 64), 30000 / 65535, atol=1e-6)


def test_image_sequence_frames(tmp_path):
    for number in range(100, 124):
        value = round(level(number - 100) * 255)
        image = Image.fromarray(np.full((16, 16, 3), value, np.uint8))
        image.save(tmp_path / f"f.{number:04d}.png")
    reference = otio.schema.ImageSequenceReference(
        target_url_base=str(tmp_path) + "/", name_prefix="f.", name_suffix=".png",
        start_frame=100, frame_zero_padding=4, rate=24,
        available_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, 24),
                                                otio.opentime.RationalTime(24, 24)))
    timeline = otio.schema.Timeline()
    timeline.tracks.append(otio.schema.Track())
    timeline.tracks[0].append(otio.schema.Clip(
        media_reference=reference,
        source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(4, 24),
                                             otio.opentime.RationalTime(16, 24))))
    shot, = shots_from_timeline(timeline)
    (_, samples), = sample_shots([shot], SampleSettings(samples=3, dense=4))
    wanted = [4 + p for p in sample_positions(16, 3)]
    assert [number_of(rgb) for rgb in samples.frames] == wanted
    assert len(samples.dense_frames) == 4
    assert shot_identity(shot) is not None
    (tmp_path / "f.0110.png").unlink()
    assert shot_identity(shot) is None
    (_, reason), = sample_shots([shot], SampleSettings(samples=3))
    assert isinstance(reason, str) and "f.0110.png" in reason
