"""stats_cache: keys follow what the statistics depend on; entries survive a round trip; a second
analysis of the same timeline comes from the cache, a touched media file does not."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest

from cinegrade.analysis.cache import (
    CACHE_ENV,
    StatsCache,
    cache_key,
    default_cache_folder,
)
from cinegrade.analysis.run import analyse_shots
from cinegrade.analysis.sampler import SampleSettings, shot_identity
from cinegrade.analysis.stats import ShotStats, shot_stats
from cinegrade.media.frames import encode_clip
from cinegrade.timeline.shots import FrameRange, shots_from_timeline


@pytest.fixture()
def clip(tmp_path) -> Path:
    rng = np.random.default_rng(1)
    base = rng.uniform(0.1, 0.9, (36, 64, 3)).astype(np.float32)
    path = tmp_path / "clip.mp4"
    encode_clip(path, [np.clip(base * (0.8 + 0.01 * i), 0, 1) for i in range(30)], fps=24)
    return path


def timeline_over(path: Path, ranges: list[tuple[int, int]]) -> otio.schema.Timeline:
    timeline = otio.schema.Timeline()
    track = otio.schema.Track()
    timeline.tracks.append(track)
    for start, duration in ranges:
        track.append(otio.schema.Clip(
            media_reference=otio.schema.ExternalReference(target_url=str(path)),
            source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(start, 24),
                                                 otio.opentime.RationalTime(duration, 24))))
    return timeline


def test_key_changes_with_each_input():
    identity = ("/m/a.mp4", 1000, 123456789)
    source = FrameRange(10, 48, 24.0)
    settings = SampleSettings()
    key = cache_key(identity, source, settings)
    assert key == cache_key(identity, source, SampleSettings())
    assert key != cache_key(("/m/a.mp4", 1001, 123456789), source, settings)
    assert key != cache_key(("/m/a.mp4", 1000, 123456790), source, settings)
    assert key != cache_key(identity, FrameRange(11, 48, 24.0), settings)
    assert key != cache_key(identity, source, SampleSettings(samples=6))
    assert key != cache_key(identity, source, SampleSettings(fast=True))


def test_round_trip_atomic_and_only_analysed(tmp_path):
    cache = StatsCache(tmp_path / "cache")
    stats = shot_stats([np.full((8, 8, 3), 0.5, np.float32)])
    cache.put("ab" * 32, stats, (3, 9))
    assert cache.get("ab" * 32) == (stats, (3, 9))
    assert cache.get("cd" * 32) is None
    cache.put("ef" * 32, ShotStats.not_analysed("missing media"))
    assert cache.get("ef" * 32) is None
    files = [p.name for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert files == [f"{'ab' * 32}.json"]  # no temp files left behind
    entry = tmp_path / "cache" / "ab" / f"{'ab' * 32}.json"
    entry.write_text("{ not json")
    assert cache.get("ab" * 32) is None


def test_default_folder_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "here"))
    assert default_cache_folder() == tmp_path / "here"
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_folder() == tmp_path / "xdg" / "cinegrade" / "stats"


def test_second_run_from_cache_until_media_changes(clip, tmp_path):
    shots = shots_from_timeline(timeline_over(clip, [(0, 15), (12, 15)]))
    cache = StatsCache(tmp_path / "cache")
    first = analyse_shots(shots, SampleSettings(samples=3), cache=cache)
    assert [r.cached for r in first] == [False, False]
    assert all(r.stats.analysed for r in first)
    second = analyse_shots(shots, SampleSettings(samples=3), cache=cache)
    assert [r.cached for r in second] == [True, True]
    assert [r.stats for r in second] == [r.stats for r in first]
    assert [r.frames for r in second] == [r.frames for r in first]
    other = analyse_shots(shots, SampleSettings(samples=4), cache=cache)
    assert [r.cached for r in other] == [False, False]
    info = clip.stat()
    os.utime(clip, ns=(info.st_atime_ns, info.st_mtime_ns + 10**9))
    assert shot_identity(shots[0])[2] != info.st_mtime_ns
    third = analyse_shots(shots, SampleSettings(samples=3), cache=cache)
    assert [r.cached for r in third] == [False, False]
