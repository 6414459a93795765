"""Benchmark of shot analysis on a generated 1080p H.264 timeline.

Prints wall time and frames sampled per second for a cold run (empty cache) and a warm run
(everything cached), and the ratio of the cold run to a bare PyAV decode of exactly the same
frames (same files, same seeks, same process pool, no RGB conversion, no statistics), measured
in the same run: the anchor that makes the figures comparable across machines.

The media: real photographs (scikit-image) panned and zoomed at 1920×1080, with film-like grain
so the bitrate is that of real footage, 24 fps H.264 yuv420p BT.709 (x264 veryfast, CRF 20, a
keyframe every 2 s, about 3 Mbit/s). Shots are 2 s cuts from 10 s takes, as an editor cuts
several shots from one take: ``--shots-per-take`` 5 (default) are contiguous; 10 overlap, so
~2 shots share each decoded frame. Media is generated once into ``--workdir`` and reused
(the first run of 200 shots encodes 40 takes: about 10 minutes on 2 cores).

    python benchmarks/analyze.py [--shots 200] [--shots-per-take 5] [--jobs N] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import importlib
import os
import resource
import shutil
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

WIDTH, HEIGHT, FPS = 1920, 1080, 24
TAKE_FRAMES = 240
SHOT_FRAMES = 48
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")


def write_take(path: Path, photo: str, seed: int) -> None:
    """One 10 s 1080p take: a slow push-in across ``photo`` with grain."""
    import av
    from PIL import Image
    from skimage import data

    picture = Image.fromarray(getattr(data, photo)())
    rng = np.random.default_rng(seed)
    temp = path.with_suffix(".tmp.mp4")
    with av.open(str(temp), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"crf": "20", "preset": "veryfast", "keyint": str(2 * FPS)}
        context = stream.codec_context
        context.colorspace = context.color_primaries = context.color_trc = 1
        context.color_range = 1
        w, h = picture.size
        for index in range(TAKE_FRAMES):
            t = index / (TAKE_FRAMES - 1)
            zoom = 1.0 + 0.4 * t
            crop_w, crop_h = min(w, h * 16 / 9) / zoom, min(w, h * 16 / 9) / zoom * 9 / 16
            left = (w - crop_w) * (0.3 + 0.4 * t)
            top = (h - crop_h) * 0.5
            frame = picture.resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR,
                                   box=(left, top, left + crop_w, top + crop_h))
            rgb = np.asarray(frame, dtype=np.int16)
            grain = rng.integers(-2, 3, size=(HEIGHT // 2, WIDTH // 2, 1), dtype=np.int16)
            rgb = np.clip(rgb + np.repeat(np.repeat(grain, 2, 0), 2, 1), 0, 255).astype(np.uint8)
            video = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(
                format="yuv420p", dst_colorspace="ITU709", dst_color_range="MPEG")
            container.mux(stream.encode(video))
        container.mux(stream.encode())
    os.replace(temp, path)


def build_timeline(folder: Path, shots: int, per_take: int) -> Path:
    """Takes (generated once) and an OTIO timeline of ``shots`` 2 s cuts from them."""
    import opentimelineio as otio

    takes = -(-shots // per_take)
    folder.mkdir(parents=True, exist_ok=True)
    timeline = otio.schema.Timeline(name=f"benchmark {shots} shots")
    track = otio.schema.Track(name="V1")
    timeline.tracks.append(track)
    step = (TAKE_FRAMES - SHOT_FRAMES) // max(1, per_take - 1)
    started = time.perf_counter()
    for take in range(takes):
        path = folder / f"take{take:03d}.mp4"
        if not path.exists():
            write_take(path, PHOTOS[take % len(PHOTOS)], take)
            print(f"  generated {path.name} ({time.perf_counter() - started:.0f} s)",
                  file=sys.stderr)
        for cut in range(per_take):
            if len(track) == shots:
                break
            start = min(cut * step, TAKE_FRAMES - SHOT_FRAMES)
            track.append(otio.schema.Clip(
                name=f"t{take:03d}c{cut:02d}",
                media_reference=otio.schema.ExternalReference(target_url=str(path)),
                source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(start, FPS),
                                                     otio.opentime.RationalTime(SHOT_FRAMES, FPS))))
    path = folder / f"timeline-{shots}.otio"
    otio.adapters.write_to_file(timeline, str(path))
    return path


def bare_decode(path: str, frames: list[int]) -> int:
    """Decode exactly ``frames`` of ``path`` with PyAV — one open, a seek only where a keyframe
    lies between the decoder and the next frame (the sampler's rule), no conversion."""
    import av

    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "SLICE"
        rate, base = stream.average_rate or Fraction(FPS), stream.time_base
        start = stream.start_time or 0
        stamps = [e.timestamp for e in stream.index_entries if e.is_keyframe]
        delay = start - min(stamps)
        keys = sorted(round((s + delay - start) * base * rate) for s in stamps)
        decoder, current, decoded = None, -1, 0
        for target in sorted(set(frames)):
            before = max((k for k in keys if k <= target), default=0)
            if decoder is None or target < current or before > current:
                container.seek(start + int(target / rate / base), stream=stream, backward=True)
                decoder = container.decode(stream)
            for frame in decoder:
                decoded += 1
                current = round((frame.pts - start) * base * rate)
                if current >= target:
                    break
        return decoded


def frames_wanted(shots, settings) -> dict[str, list[int]]:
    """Media path -> the frame numbers the sampler reads from it (samples and flicker runs)."""
    import av

    from cinegrade.analysis.sampler import request_for

    wanted: dict[str, list[int]] = {}
    for shot in shots:
        with av.open(shot.media_path) as container:
            rate = container.streams.video[0].average_rate
        request = request_for(shot, settings, rate)
        wanted.setdefault(shot.media_path, []).extend(request.samples + request.dense)
    return wanted


def _warm_up(_: int) -> int:
    importlib.import_module("cinegrade.analysis.run")
    importlib.import_module("colour")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shots", type=int, default=200)
    parser.add_argument("--shots-per-take", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--workdir", type=Path,
                        default=Path(tempfile.gettempdir()) / "cinegrade-benchmark")
    args = parser.parse_args()

    import opentimelineio as otio

    from cinegrade.analysis.cache import StatsCache
    from cinegrade.analysis.run import analyse_shots
    from cinegrade.analysis.sampler import SampleSettings
    from cinegrade.timeline.shots import shots_from_timeline

    timeline_path = build_timeline(args.workdir, args.shots, args.shots_per_take)
    shots = shots_from_timeline(otio.adapters.read_from_file(str(timeline_path)), timeline_path)
    settings = SampleSettings(samples=args.samples)
    cache_folder = Path(tempfile.mkdtemp(prefix="cinegrade-bench-cache-"))
    try:
        with concurrent.futures.ProcessPoolExecutor(args.jobs) as pool:
            list(pool.map(_warm_up, range(4 * args.jobs)))  # workers up, imports done
            wanted = frames_wanted(shots, settings)
            started = time.perf_counter()
            decoded = sum(pool.map(bare_decode, list(wanted), list(wanted.values())))
            bare_times = [time.perf_counter() - started]

            started = time.perf_counter()
            cold = analyse_shots(shots, settings, pool, StatsCache(cache_folder), workers=args.jobs)
            cold_time = time.perf_counter() - started

            started = time.perf_counter()
            warm = analyse_shots(shots, settings, pool, StatsCache(cache_folder), workers=args.jobs)
            warm_time = time.perf_counter() - started

            started = time.perf_counter()
            decoded = sum(pool.map(bare_decode, list(wanted), list(wanted.values())))
            bare_times.append(time.perf_counter() - started)
            bare_time = sum(bare_times) / 2
    finally:
        shutil.rmtree(cache_folder, ignore_errors=True)

    failed = [r for r in cold if not r.stats.analysed]
    sampled = sum(r.stats.frame_count for r in cold)
    dense = sum(len(v) for v in wanted.values()) - sampled
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"timeline: {len(shots)} shots of {SHOT_FRAMES} frames, 1920x1080 H.264, "
          f"{len(wanted)} takes; {args.jobs} jobs; {args.samples} samples + {settings.dense} "
          f"flicker frames per shot")
    print(f"cold run:  {cold_time:7.2f} s  {sampled / cold_time:7.1f} sampled frames/s "
          f"({(sampled + dense) / cold_time:.1f}/s with flicker frames); {len(failed)} failed")
    print(f"warm run:  {warm_time:7.2f} s  ({sum(r.cached for r in warm)} of {len(warm)} cached)")
    print(f"bare PyAV: {bare_time:7.2f} s  decoding the same frames ({decoded} decoded in all, "
          f"{decoded / bare_time:.0f} fps; mean of a run before and one after the cold run: "
          f"{bare_times[0]:.2f} s, {bare_times[1]:.2f} s)")
    ratio = cold_time / bare_time
    print(f"cold / bare = {ratio:.2f} (overhead {100 * (ratio - 1):+.0f} %)")
    print(f"peak RSS: main {own:.0f} MB, largest worker {children:.0f} MB")


if __name__ == "__main__":
    main()
