"""footage: shots from bundled photographs and real clips, decoded back, drifts measured again."""

from __future__ import annotations

import concurrent.futures
import json

import numpy as np
import pytest
from drift_measurements import exposure_stops, saturation_ratio, white_balance_cct

from cinegrade.colour.drift import Drift, flicker_offset
from cinegrade.demo import footage
from cinegrade.demo.footage import (
    Framing,
    SceneSpec,
    ShotSpec,
    build_scene_set,
    clip_segments,
    crop_box,
    find_cuts,
    scene_drifts,
)
from cinegrade.errors import InputError
from cinegrade.media.frames import decode_frames, encode_clip

SIZE = (256, 144)
SECONDS = 8 / 24

GIVEN = {
    "astronaut-02-close": Drift(exposure_stops=0.4),
    "astronaut-03-push-in": Drift(white_balance_k=4500),
    "astronaut-04-pan": Drift(saturation=0.75),
    "motorcycle-02-wide": Drift(exposure_stops=-0.6),
    "motorcycle-03-pan": Drift(white_balance_k=7500),
    "bikes-02-cut2": Drift(exposure_stops=0.25, flicker_stops=0.08, flicker_seed=4),
    "bikes-03-cut3": Drift(saturation=1.25),
}


def scenes() -> tuple[SceneSpec, ...]:
    segments = clip_segments("bikes")[:3]
    return (
        SceneSpec("astronaut", (
            ShotSpec("astronaut", footage.WIDE),
            ShotSpec("astronaut", Framing("close", (0.45, 0.32, 2.6))),
            ShotSpec("astronaut", Framing("push-in", (0.5, 0.5, 1.0), (0.45, 0.35, 1.8))),
            ShotSpec("astronaut", Framing("pan", (0.3, 0.55, 1.7), (0.7, 0.45, 1.7))),
        )),
        SceneSpec("motorcycle", (
            ShotSpec("motorcycle_left", footage.WIDE),
            ShotSpec("motorcycle_right", footage.WIDE),
            ShotSpec("motorcycle_right", Framing("pan", (0.35, 0.5, 1.4), (0.65, 0.55, 1.4))),
        )),
        SceneSpec("bikes", tuple(ShotSpec("bikes", Framing(f"cut{i + 1}"), first, count)
                                 for i, (first, count) in enumerate(segments))),
    )


@pytest.fixture(scope="module")
def scene_set(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scene_set")
    return build_scene_set(folder, scenes(), seed=5, size=SIZE, seconds=SECONDS, drifts=GIVEN)


def decoded(path) -> np.ndarray:
    return np.stack([rgb for _, rgb in decode_frames(path)])


def test_written_files_and_truth_json(scene_set):
    assert scene_set.scenes == ("astronaut", "motorcycle", "bikes")
    assert len(scene_set.shots) == 10
    for shot in scene_set.shots:
        assert shot.truth_path.is_file() and shot.drifted_path.is_file()
        assert Drift.from_json(shot.drift_path.read_text()) == shot.drift
        frames = decoded(shot.drifted_path)
        assert frames.shape == (shot.frame_count, SIZE[1], SIZE[0], 3)
    by_name = {shot.name: shot for shot in scene_set.shots}
    for name, drift in GIVEN.items():
        assert by_name[name].drift == drift
    for reference in ("astronaut-01-wide", "motorcycle-01-wide", "bikes-01-cut1"):
        assert by_name[reference].drift.is_neutral  # each scene's first shot is its reference
    assert not by_name["bikes-03-cut3"].drift.is_neutral
    assert [f.name for f in scene_set.folder.iterdir() if f.name.startswith(".")] == []


def test_undrifted_and_neutral_twins_match(scene_set):
    reference = next(s for s in scene_set.shots if s.name == "astronaut-01-wide")
    truth, drifted = decoded(reference.truth_path), decoded(reference.drifted_path)
    np.testing.assert_array_equal(truth, drifted)


@pytest.mark.parametrize("name", ["astronaut-02-close", "motorcycle-02-wide"])
def test_exposure_measured_again_within_005_stop(scene_set, name):
    shot = next(s for s in scene_set.shots if s.name == name)
    measured = exposure_stops(decoded(shot.truth_path), decoded(shot.drifted_path))
    assert measured == pytest.approx(shot.drift.exposure_stops, abs=0.05)


@pytest.mark.parametrize("name", ["astronaut-03-push-in", "motorcycle-03-pan"])
def test_white_balance_measured_again_within_150_k(scene_set, name):
    shot = next(s for s in scene_set.shots if s.name == name)
    measured = white_balance_cct(decoded(shot.truth_path), decoded(shot.drifted_path))
    assert measured == pytest.approx(shot.drift.white_balance_k, abs=150)


@pytest.mark.parametrize("name", ["astronaut-04-pan", "bikes-03-cut3"])
def test_saturation_measured_again_within_5_percent(scene_set, name):
    shot = next(s for s in scene_set.shots if s.name == name)
    measured = saturation_ratio(decoded(shot.truth_path), decoded(shot.drifted_path))
    assert measured == pytest.approx(shot.drift.saturation, rel=0.05)


def test_flicker_measured_frame_by_frame(scene_set):
    shot = next(s for s in scene_set.shots if s.name == "bikes-02-cut2")
    truth, drifted = decoded(shot.truth_path), decoded(shot.drifted_path)
    for index in range(shot.frame_count):
        expected = shot.drift.exposure_stops + flicker_offset(shot.drift, index)
        assert exposure_stops(truth[index], drifted[index]) == pytest.approx(expected, abs=0.05)
    wobble = [flicker_offset(shot.drift, i) for i in range(shot.frame_count)]
    assert np.ptp(wobble) > 0.1  # the wobble is large enough for this test to mean something


def test_timelines_load_with_markers(scene_set):
    import opentimelineio as otio

    for path, media in [(scene_set.timeline_path, "drifted_path"),
                        (scene_set.truth_timeline_path, "truth_path")]:
        timeline = otio.adapters.read_from_file(str(path))
        assert timeline.global_start_time is None or timeline.global_start_time.value == 0
        (track,) = timeline.video_tracks()
        clips = list(track.find_clips())
        assert [c.name for c in clips] == [s.name for s in scene_set.shots]
        for clip, shot in zip(clips, scene_set.shots):
            assert clip.media_reference.target_url == getattr(shot, media).resolve().as_uri()
            assert clip.source_range.duration.to_frames() == shot.frame_count
            assert clip.source_range.duration.rate == 24
            assert clip.metadata["cinegrade_demo"]["scene"] == shot.scene
        markers = {m.name: m.marked_range for m in track.markers}
        assert list(markers) == [f"scene: {s}" for s in scene_set.scenes]
        for scene, marked in zip(scene_set.scenes, markers.values()):
            inside = [track.range_of_child(c) for c in clips
                      if c.metadata["cinegrade_demo"]["scene"] == scene]
            assert marked.start_time == inside[0].start_time
            assert marked.end_time_exclusive() == inside[-1].end_time_exclusive()
    drifted = otio.adapters.read_from_file(str(scene_set.timeline_path))
    for clip, shot in zip(drifted.find_clips(), scene_set.shots):
        assert Drift(**clip.metadata["cinegrade_demo"]["drift"]) == shot.drift
    # the reference marker sits on each scene's first shot, and only where it is undrifted
    firsts = {}
    for shot in scene_set.shots:
        firsts.setdefault(shot.scene, shot)
    marked = [c.name for c in drifted.find_clips() if [m.name for m in c.markers] == ["reference"]]
    assert marked == [s.name for s in firsts.values() if s.drift == Drift()]
    assert marked, "the test set should have undrifted first shots"


def test_same_seed_same_drifts_and_pixels(tmp_path):
    specs = scenes()[:1]
    assert scene_drifts(specs, seed=3) == scene_drifts(specs, seed=3)
    assert scene_drifts(specs, seed=3) != scene_drifts(specs, seed=4)
    one = (SceneSpec("a", specs[0].shots[:2]),)
    first = build_scene_set(tmp_path / "1", one, seed=9, size=(64, 36), seconds=3 / 24)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:  # and the same through an executor
        second = build_scene_set(tmp_path / "2", one, seed=9, size=(64, 36), seconds=3 / 24,
                                 executor=pool)
    assert [s.drift for s in first.shots] == [s.drift for s in second.shots]
    assert not first.shots[1].drift.is_neutral
    for a, b in zip(first.shots, second.shots):
        np.testing.assert_array_equal(decoded(a.drifted_path), decoded(b.drifted_path))


def test_find_cuts_on_a_clip_edited_here(tmp_path):
    """Three framings of three photographs joined at frames 7 and 15 (a push-in and a pan
    moving a few pixels a frame inside the shots): exactly those cuts; the continuous push-in
    alone has none."""
    from cinegrade.demo.footage import load_still, render_view

    def shot(name, count, start, end):
        picture = load_still(name)
        return [render_view(picture, (160, 90), Framing("x", start, end).at(t))
                for t in np.linspace(0, 1, count)]

    frames = (shot("astronaut", 7, (0.5, 0.5, 1.0), (0.5, 0.45, 1.15))
              + shot("coffee", 8, (0.45, 0.5, 1.6), (0.55, 0.5, 1.6))
              + shot("chelsea", 6, (0.5, 0.5, 1.0), None))
    edited = tmp_path / "edited.mp4"
    encode_clip(edited, frames)
    assert find_cuts(edited) == (7, 15)
    continuous = tmp_path / "continuous.mp4"
    encode_clip(continuous, frames[:7])
    assert find_cuts(continuous) == ()


def test_bundled_clips_real_cuts():
    """bikes.mp4 is an edited sequence (several shots); Big Buck Bunny's clip is one shot."""
    segments = clip_segments("bikes")
    assert len(segments) >= 4
    assert all(count >= 12 for _, count in segments)
    assert all(a + n <= b for (a, n), (b, _) in zip(segments, segments[1:]))
    ((first, count),) = clip_segments("bigbuckbunny")
    assert first == 0 and count > 100


def test_crop_box_keeps_aspect_and_stays_inside():
    for view in [(0.5, 0.5, 1.0), (0.0, 0.0, 2.0), (1.0, 1.0, 3.0), (0.2, 0.9, 1.2)]:
        left, top, right, bottom = crop_box((512, 400), (640, 360), view)
        assert 0 <= left < right <= 512 and 0 <= top < bottom <= 400
        assert (right - left) / (bottom - top) == pytest.approx(640 / 360)
    assert crop_box((512, 400), (640, 360), (0.5, 0.5, 1.0))[2] == pytest.approx(512)
    push = Framing("p", (0.5, 0.5, 1.0), (0.5, 0.5, 4.0))
    assert push.at(0.5)[2] == pytest.approx(2.0)  # geometric zoom: steady push-in


def test_missing_extras_tell_how_to_install(monkeypatch):
    real = footage.importlib.util.find_spec
    monkeypatch.setattr(footage.importlib.util, "find_spec",
                        lambda name, *a: None if name == "skimage" else real(name, *a))
    with pytest.raises(InputError, match=r"cinegrade\[demo\]"):
        footage.load_still("astronaut")
    with pytest.raises(InputError, match="unknown demo source"):
        footage.source_path("lena")


def test_drift_json_is_documented_schema(scene_set):
    data = json.loads(scene_set.shots[1].drift_path.read_text())
    assert data["version"] == 1 and data["exposure_stops"] == 0.4


def write_renders(folder, scenes_json, cameras_of) -> None:
    """A tiny multi-angle render folder: ``scenes.json`` as given, and per scene each camera's
    PNG, a different crop of a bundled photograph (another view of one lit place), by Pillow."""
    from PIL import Image

    picture = np.round(footage.load_still("astronaut") * 255).astype(np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    for scene, cameras in cameras_of.items():
        (folder / scene).mkdir(exist_ok=True)
        for number, camera in enumerate(cameras):
            top, left = 40 * number, 60 * number
            Image.fromarray(picture[top:top + 180, left:left + 320]).save(folder / scene / f"{camera}.png")
    (folder / "scenes.json").write_text(json.dumps(scenes_json))


def test_multiangle_scenes_from_a_render_folder(tmp_path):
    from cinegrade.demo.drifts import ai_drift
    from cinegrade.demo.footage import load_still, multiangle_scenes, render_shot, render_view, shot_name

    cameras = {"kitchen": ["wide", "close-a", "reverse"], "street": ["wide", "ots-a"]}
    # the renderer's index: scenes with camera records by name, each naming its file
    index = {"cameras": ["wide", "close-a", "reverse", "ots-a"], "scenes": [
        {"name": n, "cameras": {c: {"file": f"{n}/{c}.png", "focal_mm": 35.0} for c in c_list}}
        for n, c_list in cameras.items()]}
    write_renders(tmp_path / "renders", index, cameras)
    scenes = multiangle_scenes(tmp_path / "renders")
    assert [s.name for s in scenes] == ["kitchen", "street"]
    assert [[shot.framing.name for shot in s.shots] for s in scenes] == list(cameras.values())
    assert shot_name(scenes[0], 2) == "kitchen-03-reverse"
    close = scenes[0].shots[1]
    assert close.source == str(tmp_path / "renders" / "kitchen" / "close-a.png")
    # the still is the PNG's pixels; framed whole at first, moving a little over the shot
    picture = load_still(close.source)
    assert picture.shape == (180, 320, 3) and picture.dtype == np.float32
    frames = render_shot(close, (160, 90), 5)
    np.testing.assert_allclose(frames[0], render_view(picture, (160, 90), close.framing.at(0.0)))
    assert np.abs(frames[-1] - frames[0]).mean() > 0.005
    for shot in (*scenes[0].shots, *scenes[1].shots):
        first, last = (crop_box((320, 180), (160, 90), shot.framing.at(t)) for t in (0.0, 1.0))
        overlap = ((min(first[2], last[2]) - max(first[0], last[0]))
                   * (min(first[3], last[3]) - max(first[1], last[1])))
        assert first != last
        assert overlap > 0.8 * (first[2] - first[0]) * (first[3] - first[1])  # a gentle move
        assert first[2] - first[0] > 0.85 * 320  # framed wide: most of the render
    # a scene set drawn with the AI drift: references undrifted, drifts from the generator
    scene_set = build_scene_set(tmp_path / "set", scenes, seed=1, size=(64, 36), seconds=2 / 24,
                                drift_generator=ai_drift)
    expected = scene_drifts(scenes, 1, drift_generator=ai_drift)
    assert {shot.name: shot.drift for shot in scene_set.shots} == expected
    assert scene_set.shots[0].drift.is_neutral and scene_set.shots[3].drift.is_neutral
    assert any(not d.is_neutral and d.contrast == 1 and d.flicker_stops == 0 for d in expected.values())
    assert expected != scene_drifts(scenes, 1)  # not the default random drifts


def test_multiangle_index_forms_and_errors(tmp_path):
    from cinegrade.demo.footage import multiangle_scenes

    cameras = {"a": ["close-b", "wide", "medium"]}
    # scenes by name, cameras not listed: the folder's PNGs, in the expected camera order
    write_renders(tmp_path / "r1", {"a": None}, cameras)
    (scene,) = multiangle_scenes(tmp_path / "r1")
    assert [s.framing.name for s in scene.shots] == ["wide", "medium", "close-b"]
    write_renders(tmp_path / "r2", {"a": {"cameras": [{"name": "medium"}, {"name": "wide"}]}}, cameras)
    (scene,) = multiangle_scenes(tmp_path / "r2")
    assert [s.framing.name for s in scene.shots] == ["medium", "wide"]
    with pytest.raises(InputError, match="scenes.json is written last"):
        multiangle_scenes(tmp_path / "nothing")
    write_renders(tmp_path / "r4", {"scenes": [{"name": "a", "cameras": {"wide": {"file": "a/medium.png"}}}]},
                  cameras)
    assert multiangle_scenes(tmp_path / "r4")[0].shots[0].source == str(tmp_path / "r4" / "a" / "medium.png")
    write_renders(tmp_path / "r3", [{"name": "a", "cameras": "wide"}], cameras)
    with pytest.raises(InputError, match="lists no cameras"):
        multiangle_scenes(tmp_path / "r3")
    write_renders(tmp_path / "r3", [{"name": "a", "cameras": ["wide", "reverse"]}], cameras)
    with pytest.raises(InputError, match="lacks camera 'reverse'"):
        multiangle_scenes(tmp_path / "r3")
    (tmp_path / "r3" / "scenes.json").write_text("{not json")
    with pytest.raises(InputError, match="cannot read"):
        multiangle_scenes(tmp_path / "r3")
    (tmp_path / "r3" / "scenes.json").write_text("[]")
    with pytest.raises(InputError, match="no scenes"):
        multiangle_scenes(tmp_path / "r3")
    with pytest.raises(InputError, match="missing"):
        footage.source_path(str(tmp_path / "gone.png"))


def test_drift_seeds_is_the_fewest_reaching_the_count():
    from cinegrade.demo.drifts import ai_drift
    from cinegrade.demo.footage import drift_seeds

    specs = scenes()
    for minimum in (1, 12, 30):
        seeds = drift_seeds(specs, minimum, ai_drift)
        counted = [sum(not d.is_neutral for d in scene_drifts(specs, seed, drift_generator=ai_drift).values())
                   for seed in range(seeds)]
        assert sum(counted) >= minimum > sum(counted[:-1])
    with pytest.raises(InputError):
        drift_seeds(specs, 10**6, ai_drift, most=3)
