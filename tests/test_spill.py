"""Views' frames kept on disk (cinegrade.media.spill): the same pixels back, nothing left behind,
and a whole timeline's views no longer held in memory."""

from __future__ import annotations

import gc
import pickle

import numpy as np

from cinegrade.demo.footage import load_still, render_view
from cinegrade.media.spill import SPILL_ENV, SpilledFrames, spilled


def test_spilled_frames_read_back_exactly_and_leave_no_file(tmp_path, monkeypatch):
    monkeypatch.setenv(SPILL_ENV, str(tmp_path))
    rng = np.random.default_rng(5)
    frames = tuple(rng.integers(0, 256, shape, dtype=np.uint8) for shape in [(9, 16, 3), (18, 32, 3)])
    kept = spilled(frames)
    assert isinstance(kept, SpilledFrames) and spilled(kept) is kept and spilled(()) == ()
    assert len(list(tmp_path.iterdir())) == 1
    assert all(np.array_equal(a, b) for a, b in zip(kept, frames))
    assert np.array_equal(kept[-1], frames[1]) and len(kept[0:1]) == 1
    copy = pickle.loads(pickle.dumps(kept))  # what a worker receives: the arrays themselves
    assert isinstance(copy, tuple) and all(np.array_equal(a, b) for a, b in zip(copy, frames))
    del kept
    gc.collect()
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv(SPILL_ENV, str(tmp_path / "missing"))  # cannot be written: kept in memory
    assert isinstance(spilled(frames), tuple)


def test_views_of_a_timeline_are_kept_on_disk_with_the_sampled_pixels(tmp_path, monkeypatch):
    """analysed_with_views hands back views whose frames live in files, pixel for pixel the
    views the sampler made, and reads as the evidence sources' inputs did."""
    from cinegrade.analysis.sampler import SampleSettings
    from cinegrade.correspondence.views import analysed_with_views, view_group
    from cinegrade.evidence.run import input_digest, shot_inputs
    from cinegrade.media.frames import encode_clip
    from cinegrade.timeline.shots import MOVIE, FrameRange, Shot

    spill = tmp_path / "spill"
    spill.mkdir()
    monkeypatch.setenv(SPILL_ENV, str(spill))
    picture = load_still("chelsea")
    path = tmp_path / "take.mp4"
    encode_clip(path, [render_view(picture, (640, 360), (0.5, 0.5, 1.0 + 0.02 * i)) for i in range(24)], 24)
    shots = [Shot(i, 0, "V1", "video", i, f"s{i}", MOVIE, str(path), None, FrameRange(0, 12, 24),
                  FrameRange(12 * i, 12, 24), None, "s", True, None, (0, i)) for i in range(2)]
    analysed, views = analysed_with_views(shots, SampleSettings())
    assert all(a.extra is views[a.shot.index] for a in analysed)
    made = dict(view_group(shots))
    # frames, detail frames, keypoints and descriptors of two shots
    assert len(list(spill.iterdir())) == 8
    for index in (0, 1):
        view, plain = views[index], made[index]
        assert isinstance(view.frames8, SpilledFrames) and isinstance(view.detail8, SpilledFrames)
        assert isinstance(view.features.keypoints, SpilledFrames)
        assert isinstance(view.features.descriptors, SpilledFrames)
        for a, b in [(view.frames8, plain.frames8), (view.detail8, plain.detail8),
                     (view.features.keypoints, plain.features.keypoints),
                     (view.features.descriptors, plain.features.descriptors)]:
            assert len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))
        assert view.features.digest == plain.features.digest
    inputs, plain_inputs = shot_inputs(shots, views, {}), shot_inputs(shots, made, {})
    assert [input_digest(inputs[i]) for i in (0, 1)] == [input_digest(plain_inputs[i]) for i in (0, 1)]
    del analysed, views, inputs, view, a, b
    gc.collect()
    assert list(spill.iterdir()) == []
