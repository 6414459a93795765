"""Probing media generated here with PyAV and Pillow: movies, stills, sequences, broken files."""

from __future__ import annotations

import dataclasses
import os
import time

import av
import numpy as np
import pytest
from PIL import Image

from cinegrade.media.frames import encode_clip
from cinegrade.media.probe import probe_media


def _frames(count: int, height: int = 48, width: int = 64):
    ramp = np.linspace(0.1, 0.9, width, dtype=np.float32)
    for index in range(count):
        yield np.stack([np.tile(ramp, (height, 1)) * (0.5 + index / (2 * count))] * 3, axis=-1)


@pytest.mark.parametrize("fps, count", [(24, 6), (25, 5)])
def test_movie_parameters_and_bt709_tags(tmp_path, fps, count):
    path = tmp_path / "clip.mp4"
    encode_clip(path, _frames(count), fps=fps)
    probe = probe_media(path)
    assert probe.ok and probe.kind == "movie"
    assert (probe.codec, probe.width, probe.height) == ("h264", 64, 48)
    assert probe.frame_rate == pytest.approx(fps)
    assert probe.frames == count
    assert probe.duration == pytest.approx(count / fps, abs=1 / fps)
    assert probe.pixel_format == "yuv420p"
    assert (probe.color_primaries, probe.color_transfer, probe.color_matrix, probe.color_range) == \
        ("bt709", "bt709", "bt709", "tv")


def test_untagged_movie_has_no_colour_tags(tmp_path):
    path = tmp_path / "plain.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=30)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for _ in range(3):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    probe = probe_media(path)
    assert probe.ok and probe.codec == "mpeg4" and probe.frame_rate == pytest.approx(30)
    assert probe.color_primaries is None and probe.color_transfer is None


@pytest.mark.parametrize("suffix, dtype", [(".png", np.uint8), (".jpg", np.uint8), (".tif", np.uint16)])
def test_stills(tmp_path, suffix, dtype):
    path = tmp_path / f"still{suffix}"
    pixels = np.zeros((20, 30), dtype) if dtype == np.uint16 else np.zeros((20, 30, 3), dtype)
    Image.fromarray(pixels).save(path)
    probe = probe_media(path)
    assert probe.ok and probe.kind == "still"
    assert (probe.width, probe.height, probe.frames) == (30, 20, 1)
    assert probe.frame_rate is None and probe.codec


def test_image_sequence(tmp_path):
    for number in range(1001, 1006):
        Image.fromarray(np.full((16, 24, 3), number % 255, np.uint8)).save(tmp_path / f"a.{number:04d}.png")
    probe = probe_media(tmp_path / "a.%04d.png")
    assert probe.ok and probe.kind == "image_sequence"
    assert (probe.width, probe.height, probe.frames, probe.codec) == (24, 16, 5, "png")
    assert probe_media(tmp_path / "a.%04d.png", start_number=1003).ok
    missing = probe_media(tmp_path / "b.%04d.png")
    assert not missing.exists and missing.error


def test_broken_media_gives_a_reason_not_an_exception(tmp_path):
    movie = tmp_path / "good.mp4"
    encode_clip(movie, _frames(4), fps=24)
    cases = {
        "absent.mp4": None,
        "empty.mov": b"",
        "noise.mp4": b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 16,
        "cut.mp4": movie.read_bytes()[:300],
        "text.png": b"not an image at all\n" * 10,
    }
    for name, content in cases.items():
        if content is not None:
            (tmp_path / name).write_bytes(content)
        probe = probe_media(tmp_path / name)
        assert probe.error and not probe.ok, name
        assert probe.exists == (content is not None), name
        assert probe.codec is None, name
    assert probe_media(tmp_path).error == "is a directory"


def test_probe_does_not_decode_the_whole_movie(tmp_path):
    short, long = tmp_path / "short.mp4", tmp_path / "long.mp4"
    encode_clip(short, _frames(2, 64, 64), fps=24, preset="ultrafast")
    encode_clip(long, _frames(240, 64, 64), fps=24, preset="ultrafast")
    timings = []
    for path in (short, long):
        start = time.perf_counter()
        for _ in range(5):
            probe = probe_media(path)
        timings.append(time.perf_counter() - start)
    assert probe.frames == 240
    decode_all = time.perf_counter()
    with av.open(str(long)) as container:
        for _ in container.decode(video=0):
            pass
    decode_all = time.perf_counter() - decode_all
    assert timings[1] / 5 < decode_all


def test_probe_is_frozen(tmp_path):
    probe = probe_media(tmp_path / "nothing.mp4")
    with pytest.raises(dataclasses.FrozenInstanceError):
        probe.codec = "h264"
    assert os.fspath(tmp_path / "nothing.mp4") == probe.path


def test_openexr_still_written_by_ffmpeg(tmp_path):
    path = tmp_path / "plate.exr"
    with av.open(str(path), "w", format="image2") as container:
        stream = container.add_stream("exr", rate=1)
        stream.width, stream.height, stream.pix_fmt = 8, 6, "gbrpf32le"
        frame = av.VideoFrame.from_ndarray(np.zeros((6, 8, 3), np.uint8), format="rgb24")
        for packet in stream.encode(frame.reformat(format="gbrpf32le")):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    probe = probe_media(path)
    assert probe.ok and (probe.kind, probe.codec, probe.width, probe.height) == ("still", "exr", 8, 6)
    assert probe.color_transfer == "linear"


def test_cached_probe_equals_a_fresh_one_and_follows_the_file(tmp_path):
    from cinegrade.analysis.cache import StatsCache
    from cinegrade.media.probe import probe_key, probe_shots

    path = tmp_path / "clip.mp4"
    encode_clip(path, _frames(6), fps=24)
    cache = StatsCache(tmp_path / "cache")
    shot = next(s for s in _shots_of(path))
    first = probe_shots([shot], cache)[shot.index]
    assert first == probe_media(path) and first.ok
    assert cache.get_json(probe_key(path))["frames"] == 6
    assert probe_shots([shot], cache)[shot.index] == first
    encode_clip(path, _frames(9), fps=24)  # replaced: a new identity, probed again
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert probe_shots([shot], cache)[shot.index].frames == 9
    missing = tmp_path / "gone.mp4"
    assert probe_key(missing) is None and probe_key(tmp_path / "f.%04d.png") is None


def _shots_of(path):
    import opentimelineio as otio

    from cinegrade.timeline.shots import shots_from_timeline

    timeline = otio.schema.Timeline()
    track = otio.schema.Track()
    timeline.tracks.append(track)
    track.append(otio.schema.Clip(name="c", media_reference=otio.schema.ExternalReference(
        target_url=path.as_uri(), available_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(6, 24))),
        source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(6, 24))))
    return shots_from_timeline(timeline, str(path.parent / "t.otio"))
