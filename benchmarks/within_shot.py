"""Drift inside one shot: recall and false alarms of ``creep_within_shot`` and ``flicker_along``
(:mod:`cinegrade.continuity.creep`) on real footage with a known creep or flicker added, and the
error of the measured creep curve against the truth.

Sources (real footage the demo ships, :mod:`cinegrade.demo.footage`):

- the demo's photographs with camera moves (push-ins, pans) and one static framing, rendered
  as 4 s shots at 640×360, 24 fps (:func:`~cinegrade.demo.footage.render_shot`);
- bikes.mp4's four longest shots at its real cuts (46–61 frames, 640×272, 25 fps: fast
  motion, riders crossing the frame);
- Big Buck Bunny's continuous shot, its first 96 frames at 640×360;
- the demo's shots with camera motion or of real video, as ``cinegrade demo`` cuts them (24
  frames at 640×360: push-ins and pans on its photographs, bikes.mp4's five cuts, two framings
  of Big Buck Bunny; :func:`demo_sources`), clean only: undrifted, and with the demo's own
  static drifts of seeds 0 and 1 — where the demo held bikes-03-cut3 on its camera motion.

Kinds, each shot written as H.264 (:func:`cinegrade.media.frames.encode_clip`) and read back
through :func:`cinegrade.analysis.along.sample_along` (every 6th frame, 320 px):

- ``clean``: the source as it is, and with a static random drift over the whole shot
  (:func:`~cinegrade.demo.drifts.random_drift` without flicker: a shot that is off, but does
  not creep);
- ``exposure`` / ``white balance`` / ``saturation``: a creep of one component from a random
  start frame (0–50 % of the shot) to the last frame, linear or easing in (quadratic), of a size
  drawn uniformly from exposure ±⅓–1 stop, white balance ±20–60 mired, saturation ×1.15–1.3 or
  ÷1.15–1.3 (log-uniform) — through :class:`~cinegrade.colour.drift.Drift` frame by frame;
- ``flicker``: a per-frame exposure wobble of σ 0.02–0.04 stop (``Drift.flicker_stops``).

Printed: per kind, detections (a warning or error of the kind's reading) out of shots, the
findings of other readings on those shots, the shots ``grade`` would hold to their start
(:func:`cinegrade.grade.hold.shot_hold`), and false alarms (warnings or errors) on clean shots,
and their uncertain findings (``info``); false holds (clean shots held / clean shots: the
benchmark's, the demo's, together); the error of the
measured curve (per-frame measurements and the fitted hinge) against the truth at the sampled
frames, in stops / mired / % (median over shots of the RMS and of the worst frame); the size
and start-frame errors of the fit; the per-frame standard errors' calibration (RMS of
(measured − truth) / claimed error, per component, on clean shots).

End to end (``--render-seeds``, the first shots of each kind and source): the drifted shot is cut
after the undrifted one (the truth, and its scene's reference) in an OTIO timeline, graded by
:func:`cinegrade.grade_timeline` into a Kdenlive project (the creep held to the shot's start by
CDL keyframes: a SOP/Sat with keyframes), and rendered by melt; each rendered frame of the
drifted clip is compared with melt's render of the truth's frame (ΔE2000 over the frame, mean
of its pixels), and the shot's median and worst frame are reported — against the same timeline
graded with one static correction per shot (``within_shot=False``: the match to the truth, as
every grading tool corrects a clip) and ungraded. Flicker shots, and the undrifted clean ones
(the harm), are also rendered ungraded through FFmpeg's ``deflicker`` by MLT's avfilter bridge
(:data:`DEFLICKER`: a filter on the clip, as Kdenlive would hold it).

Anchor, on the same shots in the same run: whole-frame statistics
(:func:`cinegrade.analysis.stats.shot_stats` of the first three against the last three sampled
frames: median exposure, estimated illuminant, mean chroma) judged with the same thresholds,
and for flicker the registered flicker of 12 consecutive frames
(:func:`cinegrade.analysis.flicker.registered_flicker`, what ``check`` measures today) with the
cut rules' flicker threshold.

Every shot of the full run is drawn first, in one sequence (:func:`all_cases`), so that a subset
(``--sources``, ``--kinds``, ``--first``) writes the very shots the full run writes.

Usage: ``python benchmarks/within_shot.py [--seeds N] [--render-seeds N] [--sources a,b]
[--kinds a,b] [--first N] [--json OUT]``.
"""

from __future__ import annotations

import os

# one BLAS thread: the drift fit's small SVDs run 2.5× faster than with threads fighting for
# two cores
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from cinegrade.analysis.along import AlongSettings, sample_along  # noqa: E402
from cinegrade.analysis.flicker import registered_flicker  # noqa: E402
from cinegrade.analysis.stats import shot_stats  # noqa: E402
from cinegrade.colour.adaptation import NEUTRAL_CCT  # noqa: E402
from cinegrade.colour.difference import delta_e_2000  # noqa: E402
from cinegrade.colour.drift import COMPONENTS, Drift, apply_drift  # noqa: E402
from cinegrade.continuity.creep import (  # noqa: E402
    along_flicker,
    creep_readings,
    frame_readings,
    measure_frames,
)
from cinegrade.continuity.rules import (  # noqa: E402
    CheckInput,
    ContinuitySettings,
    CreepWithinShot,
    FlickerAlong,
    check_continuity,
)
from cinegrade.demo.drifts import random_drift  # noqa: E402
from cinegrade.demo.footage import Framing, ShotSpec, clip_segments, render_shot  # noqa: E402
from cinegrade.grade.hold import shot_hold  # noqa: E402
from cinegrade.media.frames import decode_frames, encode_clip  # noqa: E402
from cinegrade.timeline.shots import MOVIE, FrameRange, Shot  # noqa: E402

KINDS = ("clean", "exposure", "white balance", "saturation", "flicker")
#: kind → (reading it must be found in, unit, size range drawn from (magnitude))
CREEPS = {
    "exposure": ("exposure", "stops", (1 / 3, 1.0)),
    "white balance": ("white balance (+ warmer)", "mired", (20.0, 60.0)),
    "saturation": ("saturation", "%", (math.log(1.15), math.log(1.3))),
}
#: the detection targets: sizes at or beyond these are "at target" (recall reported apart for
#: the lower half of each range)
TARGET = {"exposure": 1 / 3, "white balance": 20.0, "saturation": math.log(1.15)}
FLICKER_RANGE = (0.02, 0.04)


@dataclass(frozen=True)
class Source:
    name: str
    spec: ShotSpec
    size: tuple[int, int]
    fps: int
    frames: int
    #: a shot of the demo as ``make demo`` cuts it (clean only: undrifted, then the demo's own
    #: static drift of this shot for demo seeds 0, 1, ...)
    demo: bool = False


def sources(only: set[str] | None = None) -> list[Source]:
    """The footage (see the module docstring)."""
    found = [
        Source("astronaut push-in", ShotSpec("astronaut", Framing("push-in", (0.5, 0.3, 1.0),
                                                                  (0.45, 0.3, 1.8))), (640, 360), 24, 96),
        Source("astronaut pan", ShotSpec("astronaut", Framing("pan", (0.3, 0.55, 1.7),
                                                              (0.7, 0.45, 1.7))), (640, 360), 24, 96),
        Source("coffee pan", ShotSpec("coffee", Framing("pan", (0.35, 0.5, 1.5), (0.65, 0.5, 1.5))),
               (640, 360), 24, 96),
        Source("chelsea push-in", ShotSpec("chelsea", Framing("push-in", (0.5, 0.5, 1.0),
                                                              (0.42, 0.4, 1.6))), (640, 360), 24, 96),
        Source("rocket push-in", ShotSpec("rocket", Framing("push-in", (0.5, 0.5, 1.2),
                                                            (0.5, 0.45, 2.2))), (640, 360), 24, 96),
        Source("motorcycle pan", ShotSpec("motorcycle_right", Framing("pan", (0.35, 0.5, 1.4),
                                                                      (0.65, 0.55, 1.4))), (640, 360), 24, 96),
        Source("coffee static", ShotSpec("coffee", Framing("wide")), (640, 360), 24, 96),
    ]
    longest = sorted(clip_segments("bikes"), key=lambda s: -s[1])[:4]
    for first, count in sorted(longest):
        found.append(Source(f"bikes {first}+{count}", ShotSpec("bikes", Framing("wide"), first, count),
                            (640, 272), 25, count))
    found.append(Source("bigbuckbunny", ShotSpec("bigbuckbunny", Framing("wide"), 0, 96),
                        (640, 360), 24, 96))
    found.extend(demo_sources())
    return [s for s in found if only is None or any(o in s.name for o in only)]


#: The demo's frame size, rate and shot length (``cinegrade demo``'s defaults: 1 s shots).
DEMO_SIZE, DEMO_FPS, DEMO_FRAMES = (640, 360), 24, 24


def demo_sources() -> list[Source]:
    """The demo's shots with camera motion (push-ins, pans) or of real video (bikes.mp4's cuts,
    Big Buck Bunny), as ``cinegrade demo`` cuts them (:func:`~cinegrade.demo.footage.demo_scenes`,
    24 frames at 640×360): clean shots only, for the false holds (the demo's bikes-03-cut3
    was held on its camera motion)."""
    from cinegrade.demo.footage import CLIP_FILES, demo_scenes, shot_name

    found = []
    for scene in demo_scenes():
        for index, spec in enumerate(scene.shots):
            if spec.source in CLIP_FILES or spec.framing.end is not None:
                count = min(DEMO_FRAMES, spec.frame_count or DEMO_FRAMES)
                found.append(Source(f"demo {shot_name(scene, index)}", spec, DEMO_SIZE, DEMO_FPS,
                                    count, demo=True))
    return found


def demo_drift(source: Source, demo_seed: int) -> Drift:
    """The static drift ``cinegrade demo --seed demo_seed`` gives ``source``'s shot, without
    flicker (a clean shot does not creep or flicker)."""
    from cinegrade.demo.footage import demo_scenes, scene_drifts

    drift = scene_drifts(demo_scenes(), demo_seed)[source.name.removeprefix("demo ")]
    return dataclasses.replace(drift, flicker_stops=0.0)


def ramp(count: int, start: int, ease: bool) -> np.ndarray:
    """The creep's share (0 → 1) at each frame: 0 until ``start``, then linear (or quadratic,
    easing in) to 1 at the last frame."""
    share = np.clip((np.arange(count) - start) / max(count - 1 - start, 1), 0.0, 1.0)
    return share**2 if ease else share


def drift_at(kind: str, size: float, share: float, static: Drift | None = None) -> Drift:
    """The drift of one frame of a creep of ``kind`` at ``share`` of its ``size``."""
    if kind == "exposure":
        return Drift(exposure_stops=size * share)
    if kind == "white balance":
        return Drift(white_balance_k=1e6 / (1e6 / NEUTRAL_CCT + size * share))
    if kind == "saturation":
        return Drift(saturation=math.exp(size * share))
    return static or Drift()


def truth_value(kind: str, size: float, share: np.ndarray) -> np.ndarray:
    """The creep in reporting units (stops, mired, % change symmetric in log) at ``share``."""
    if kind == "saturation":
        log = size * share
        return np.sign(log) * 100 * (np.exp(np.abs(log)) - 1)
    return size * share


#: benchmark kind → the rules' reading
READING = {"exposure": "exposure", "white balance": "white balance (+ warmer)", "saturation": "saturation"}


def reading_value(name: str, value: float) -> float:
    """A reading's value in the benchmark's unit (saturation: log ratio → % symmetric in log)."""
    if name == "saturation":
        return math.copysign(100 * (math.exp(abs(value)) - 1), value)
    return value


def shot_of(path: Path, count: int, fps: int) -> Shot:
    return Shot(0, 0, "V1", "video", 0, path.stem, MOVIE, str(path), None, FrameRange(0, count, fps),
                FrameRange(0, count, fps), None, None, True, None, (0,))


def anchor_findings(frames, offsets, settings: ContinuitySettings) -> set[str]:
    """What whole-frame statistics of the first and last three sampled frames call a creep."""
    first, last = shot_stats(frames[:3]), shot_stats(frames[-3:])
    found = set()
    if abs(last.exposure_stops - first.exposure_stops) >= settings.creep_exposure_stops:
        found.add("exposure")
    if first.mired is not None and last.mired is not None and \
            abs(last.mired - first.mired) >= settings.creep_white_balance_mired:
        found.add("white balance")
    if first.saturation and last.saturation and \
            abs(100 * (math.exp(abs(math.log(last.saturation / first.saturation))) - 1)) >= \
            settings.creep_saturation_percent:
        found.add("saturation")
    return found


def within_shot_findings(shot: Shot, along, settings: ContinuitySettings = ContinuitySettings()):
    """The within-shot rules' findings on one measured shot."""
    return check_continuity(CheckInput((shot,), along={shot.index: along}), settings,
                            (CreepWithinShot(), FlickerAlong()))


def melt_render(project: Path, out: Path) -> list[np.ndarray]:
    """Every frame of ``project`` rendered by melt (8-bit RGB as float in [0, 1])."""
    import shutil
    import subprocess

    from PIL import Image

    for _ in range(3):  # a loaded machine sometimes stops melt before its last frame is written
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        run = subprocess.run([shutil.which("melt"), str(project), "-consumer",
                              f"avformat:{out / 'f_%05d.png'}", "vcodec=png", "real_time=-1"],
                             cwd=out, capture_output=True, text=True, timeout=600, check=False)
        rendered = sorted(out.glob("f_*.png"))
        if rendered:
            break
    if not rendered:
        raise RuntimeError(f"melt rendered nothing of {project}: {run.stderr[-1000:]}")
    return [np.asarray(Image.open(f).convert("RGB"), dtype=np.float32) / 255 for f in rendered]


def frame_delta_e(a: np.ndarray, b: np.ndarray) -> float:
    """Mean CIEDE2000 of two frames (every other pixel each way)."""
    return float(np.mean(delta_e_2000(a[::2, ::2], b[::2, ::2])))


#: FFmpeg's ``deflicker`` through MLT's avfilter bridge (``avfilter.deflicker``; Kdenlive 22.12
#: lists it, without an effect definition of its own, from MLT's metadata): label → (``av.size``,
#: frames averaged; ``av.mode``, how).
DEFLICKER = {"deflicker 5": (5, "am"), "deflicker 15": (15, "am")}
DEFLICKER_LABEL = next(iter(DEFLICKER))


def with_filter(project: Path, out: Path, clip: int, service: str, properties: dict[str, str]) -> Path:
    """``project`` (a Kdenlive project) with a filter ``service`` (``properties``) on the
    ``clip``-th entry of its first track, written to ``out``."""
    import xml.etree.ElementTree as ET

    tree = ET.parse(project)
    playlists = [p for p in tree.getroot().iter("playlist") if p.get("id") != "main_bin"
                 and len(p.findall("entry")) > clip]
    entry = playlists[0].findall("entry")[clip]
    node = ET.SubElement(entry, "filter", {"id": f"bench_{service}"})
    for name, value in {"mlt_service": service, "kdenlive_id": service, **properties}.items():
        ET.SubElement(node, "property", {"name": name}).text = value
    tree.write(out, encoding="utf-8", xml_declaration=True)
    return out


def render_case(folder: Path, source: Source, frames: list[np.ndarray], drifted: Path,
                deflicker: bool = False) -> dict:
    """The end-to-end figures of one drifted shot (see the module docstring): per frame ΔE2000
    against the truth of melt's render held (keyframes), static (one correction) and ungraded,
    with the keyframes written; with ``deflicker``, also the ungraded shot through each of
    :data:`DEFLICKER`."""
    import opentimelineio as otio

    import cinegrade

    count = len(frames)
    truth = folder / "truth.mp4"
    encode_clip(truth, frames, source.fps)
    whole = otio.opentime.TimeRange(otio.opentime.RationalTime(0, source.fps),
                                    otio.opentime.RationalTime(count, source.fps))
    timeline = otio.schema.Timeline(name="within", global_start_time=otio.opentime.RationalTime(0, source.fps))
    timeline.tracks.append(otio.schema.Track(name="V1", children=[
        otio.schema.Clip(name=name, media_reference=otio.schema.ExternalReference(
            target_url=str(path), available_range=whole), source_range=whole)
        for name, path in (("truth", truth), ("shot", drifted))]))
    cut = folder / "cut.otio"
    otio.adapters.write_to_file(timeline, str(cut))
    work = cinegrade.ShotWork(jobs=1, cache_dir=folder / "cache")
    started = time.perf_counter()
    held = cinegrade.grade_timeline(cut, folder / "held.kdenlive", reference="truth", work=work)
    seconds = time.perf_counter() - started
    cinegrade.grade_timeline(cut, folder / "static.kdenlive", reference="truth", work=work, within_shot=False)
    cinegrade.convert_timeline(cut, folder / "plain.kdenlive")
    labels = {"held": "held", "static": "static", "plain": "ungraded"}
    if deflicker:
        for number, (label, (size, mode)) in enumerate(DEFLICKER.items()):
            with_filter(folder / "plain.kdenlive", folder / f"deflicker{number}.kdenlive", 1,
                        "avfilter.deflicker", {"av.size": str(size), "av.mode": mode})
            labels[f"deflicker{number}"] = label
    rendered = {name: melt_render(folder / f"{name}.kdenlive", folder / f"{name}-frames") for name in labels}
    truth_frames = rendered["plain"][:count]
    figures = {}
    for name, label in labels.items():
        shot_frames = rendered[name][count:2 * count]
        figures[label] = [round(frame_delta_e(a, b), 4) for a, b in zip(shot_frames, truth_frames)]
        if label in DEFLICKER:  # MLT's bridge shows frame N's deflickered picture at N + size
            lag = DEFLICKER[label][0]
            figures[f"{label} realigned"] = [round(frame_delta_e(a, b), 4)
                                             for a, b in zip(shot_frames[lag:], truth_frames)]
    keyframes = held.grades[1].keyframes
    return {"delta_e": figures, "keyframes": [k.frame for k in keyframes],
            "grade_seconds": seconds, "rendered_frames": len(rendered["held"]) - count}


@dataclass(frozen=True)
class Case:
    """One shot to write: ``source`` with ``drifts`` (one a frame) of ``kind``; ``seed``: its
    number among the shots of its kind and source; ``record``: what was drawn."""

    source: Source
    kind: str
    seed: int
    drifts: tuple[Drift, ...]
    record: dict


def draw_case(source: Source, kind: str, seed: int, rng: np.random.Generator) -> Case:
    """The drifts of one shot of ``kind`` (see the module docstring), drawn from ``rng`` (the
    demo's own drifts for its shots)."""
    count = source.frames
    record: dict = {"source": source.name, "kind": kind, "frames": count}
    static = seed > 0
    if source.demo:
        drift = demo_drift(source, seed - 1) if static else Drift()
        drifts = [drift] * count
        record.update(static=static, drift=json.loads(drift.to_json()), demo=True)
    elif kind in CREEPS:
        low, high = CREEPS[kind][2]
        magnitude = float(rng.uniform(low, high))
        size = float(magnitude * rng.choice([-1.0, 1.0]))
        start = int(rng.uniform(0.0, 0.5) * (count - 1))
        ease = bool(rng.random() < 0.5)
        share = ramp(count, start, ease)
        drifts = [drift_at(kind, size, float(s)) for s in share]
        record.update(size=size, start=start, ease=ease, at_target=magnitude < 1.5 * TARGET[kind])
    elif kind == "flicker":
        sigma = float(rng.uniform(*FLICKER_RANGE))
        drift = Drift(flicker_stops=sigma, flicker_seed=int(rng.integers(2**31)))
        drifts = [drift] * count
        record.update(flicker=sigma)
    else:
        drift = Drift()
        if static:
            drift = dataclasses.replace(random_drift(rng, 1.0), flicker_stops=0.0)
        drifts = [drift] * count
        record.update(static=static, drift=json.loads(drift.to_json()))
    return Case(source, kind, seed, tuple(drifts), record)


def all_cases(seeds: int, seed: int) -> list[Case]:
    """Every shot of the full run (every source, kind and seed; one more clean shot a source,
    undrifted), drawn in one sequence from ``seed`` — so that a subset run (``--sources``,
    ``--kinds``) writes the very shots the full run writes. The demo's shots are clean only."""
    rng = np.random.default_rng(seed)
    cases = []
    for source in sources():
        for kind in (("clean",) if source.demo else KINDS):
            for number in range(seeds + (1 if kind == "clean" else 0)):
                cases.append(draw_case(source, kind, number, rng))
    return cases


def run_case(folder: Path, case: Case, frames: list[np.ndarray], along_settings: AlongSettings,
             render: bool = False) -> dict:
    """Write one shot, measure it, judge it: a record of what was found."""
    source, kind, drifts = case.source, case.kind, case.drifts
    count = len(frames)
    record = dict(case.record)
    path = folder / f"{len(list(folder.iterdir()))}.mp4"
    encode_clip(path, (apply_drift(f, d, frame_index=i) for i, (f, d) in enumerate(zip(frames, drifts))),
                source.fps)
    shot = shot_of(path, count, source.fps)
    started = time.perf_counter()
    sampled = sample_along(shot, along_settings)
    if isinstance(sampled, str):
        raise RuntimeError(f"{source.name}: {sampled}")
    along = measure_frames(sampled)
    record["seconds"] = time.perf_counter() - started
    record["along"] = along.to_json()
    record["measured"] = along.measured
    record["samples"] = len(along.offsets)
    record["chained"] = int(sum(along.chained))
    found = within_shot_findings(shot, along)
    findings = [w for w in found if w.rule == CreepWithinShot.name and w.severity != "info"]
    record["uncertain"] = [w.message for w in found if w.severity == "info"]
    names = {"exposure": "exposure", "white balance (+ warmer)": "white balance",
             "saturation": "saturation", "contrast": "contrast", "black level": "black level"}
    record["found"] = sorted({names[w.message.split(" creeps")[0]] for w in findings})
    record["findings"] = [w.message for w in findings]
    record["flicker_found"] = any(w.rule == FlickerAlong.name for w in found)
    hold = shot_hold(0, along)
    record["held"] = list(hold.reasons) if hold is not None else []
    record["hold"] = None if hold is None else {"offsets": list(hold.offsets),
                                                "drift": [list(row) for row in hold.drift]}
    record["along_flicker"] = along_flicker(along, ContinuitySettings().flicker_along_noise)
    record["anchor"] = sorted(anchor_findings(sampled.frames, sampled.offsets, ContinuitySettings()))
    middle = count // 2
    small = (160, round(160 * source.size[1] / source.size[0]))
    dense = [rgb for _, rgb in decode_frames(path, range(middle - 6, middle + 6), size=small)]
    registered = registered_flicker(dense)
    record["registered_flicker"] = registered
    record["anchor_flicker"] = bool(registered is not None and
                                    registered >= ContinuitySettings().flicker_stops)
    # curves against the truth at the sampled frames
    offsets = np.asarray(along.offsets)
    components = np.asarray(along.components)
    errors = np.asarray(along.errors)
    readings = {r.what: r for r in creep_readings(along)}
    record["readings"] = {k: [round(r.value, 4), round(r.z, 2), r.start] for k, r in readings.items()}
    curves = {}
    for name in ("exposure", "white balance", "saturation"):
        if kind in CREEPS and name == kind:
            truth = truth_value(kind, record["size"], ramp(count, record["start"], record["ease"])[offsets])
        else:
            truth = np.zeros(len(offsets))
        raw, fitted = [], []
        for i, t in enumerate(offsets):
            if np.all(np.isfinite(components[i])):
                value = frame_readings(components[i], np.where(np.isfinite(errors[i]), errors[i], 1.0))
                raw.append(reading_value(name, value[READING[name]][0]))
            else:
                raw.append(math.nan)
            reading = readings.get(READING[name])
            fitted.append(reading.at(t) if reading is not None else math.nan)
        raw_error = np.asarray(raw) - truth
        fit_error = np.asarray(fitted) - truth
        curves[name] = {"raw_rms": float(np.sqrt(np.nanmean(raw_error**2))),
                        "raw_worst": float(np.nanmax(np.abs(raw_error))),
                        "fit_rms": float(np.sqrt(np.nanmean(fit_error**2))),
                        "fit_worst": float(np.nanmax(np.abs(fit_error)))}
    record["curves"] = curves
    if kind in CREEPS:
        reading = readings.get(READING[kind])
        truth_end = float(truth_value(kind, record["size"], np.array([1.0]))[0])
        record["size_error"] = None if reading is None else reading.value - truth_end
        record["start_error"] = None if reading is None else reading.start - record["start"]
    if render:
        record["render"] = render_case(folder, source, frames, path,
                                       deflicker=kind == "flicker" or (kind == "clean" and not case.seed))
    if kind == "clean":  # calibration of the per-frame errors: truth is 0 for every component
        known = np.all(np.isfinite(components), axis=1) & np.all(np.isfinite(errors), axis=1) \
            & ~np.isin(np.arange(len(offsets)), sampled.reference)
        record["z"] = (components[known] / errors[known]).tolist()
        record["residual"] = components[known].tolist()
    return record


def summarise(records: list[dict]) -> dict:
    """Print the tables; return the figures."""
    out: dict = {}
    demo = [r for r in records if r.get("demo")]
    records = [r for r in records if not r.get("demo")]
    clean = [r for r in records if r["kind"] == "clean"]
    print(f"\n{'kind':<14} {'shots':>5} {'found':>7} {'recall':>7} {'at target':>10} "
          f"{'other readings':>15} {'anchor':>8} {'held':>6}")
    for kind in KINDS[1:]:
        group = [r for r in records if r["kind"] == kind]
        if not group:
            continue
        if kind == "flicker":
            hits = [r["flicker_found"] for r in group]
            anchor = [r["anchor_flicker"] for r in group]
            other = sum(bool(r["found"]) for r in group)
            target = hits
        else:
            hits = [kind in r["found"] for r in group]
            anchor = [kind in r["anchor"] for r in group]
            other = sum(bool(set(r["found"]) - {kind}) for r in group)
            target = [h for h, r in zip(hits, group) if r["at_target"]]
        held = sum(bool(r["held"]) for r in group)
        out[kind] = {"shots": len(group), "found": sum(hits), "recall": sum(hits) / len(group),
                     "recall_at_target": sum(target) / len(target) if target else None,
                     "at_target_shots": len(target), "other_readings": other,
                     "anchor_recall": sum(anchor) / len(group), "held": held}
        at = f"{sum(target)}/{len(target)}"
        print(f"{kind:<14} {len(group):>5} {sum(hits):>7} {sum(hits) / len(group):>7.2f} {at:>10} "
              f"{other:>15} {sum(anchor) / len(group):>8.2f} {held:>6}")
        if kind == "flicker":  # check runs both flicker rules
            either = sum(h or a for h, a in zip(hits, anchor))
            out[kind]["either_recall"] = either / len(group)
            print(f"{'':<14} with the registered flicker of 12 frames (rule flicker): {either}/{len(group)}")
    if clean:
        alarms = sum(bool(r["found"]) for r in clean)
        flick = sum(r["flicker_found"] for r in clean)
        anchor = sum(bool(r["anchor"]) for r in clean)
        anchor_flicker = sum(r["anchor_flicker"] for r in clean)
        out["clean"] = {"shots": len(clean), "creep_false_alarms": alarms,
                        "creep_false_alarm_rate": alarms / len(clean),
                        "flicker_false_alarms": flick, "flicker_false_alarm_rate": flick / len(clean),
                        "anchor_creep_false_alarm_rate": anchor / len(clean),
                        "anchor_flicker_false_alarm_rate": anchor_flicker / len(clean),
                        "false_alarm_findings": [f for r in clean for f in r["findings"]]}
        print(f"{'clean':<14} {len(clean):>5}  creep false alarms {alarms} ({alarms / len(clean):.3f}), "
              f"flicker {flick} ({flick / len(clean):.3f}); anchor: creep "
              f"{anchor / len(clean):.3f}, flicker {anchor_flicker / len(clean):.3f}")
        for finding in out["clean"]["false_alarm_findings"]:
            print(f"    false alarm: {finding}")
    if clean or demo:
        both = clean + demo
        held = {name: [r for r in group if r["held"]]
                for name, group in (("benchmark", clean), ("demo", demo), ("all", both))}
        out["false_holds"] = {name: {"held": len(held[name]), "shots": len(group),
                                     "rate": len(held[name]) / len(group) if group else None,
                                     "reasons": [f"{r['source']}: {', '.join(r['held'])}" for r in held[name]]}
                              for name, group in (("benchmark", clean), ("demo", demo), ("all", both))}
        print(f"false holds (clean shots held / clean shots): benchmark {len(held['benchmark'])}/{len(clean)}, "
              f"the demo's shots with camera motion or of real video {len(held['demo'])}/{len(demo)}, "
              f"together {len(held['all'])}/{len(both)}")
        for r in held["all"]:
            print(f"    held: {r['source']} ({'static drift' if r.get('static') else 'undrifted'}): "
                  f"{', '.join(r['held'])}")
        if demo:
            alarms = [f"{r['source']}: {f}" for r in demo for f in r["findings"]]
            flick = sum(r["flicker_found"] for r in demo)
            out["false_holds"]["demo"].update(creep_false_alarms=sum(bool(r["found"]) for r in demo),
                                              flicker_false_alarms=flick, findings=alarms)
            print(f"    the demo's shots: creep false alarms {sum(bool(r['found']) for r in demo)}/{len(demo)}, "
                  f"flicker {flick}/{len(demo)}")
            for finding in alarms:
                print(f"    false alarm: {finding}")
    if clean:
        uncertain = [f for r in clean for f in r.get("uncertain", ())]
        out["clean"]["uncertain_findings"] = uncertain
        for finding in uncertain:
            print(f"    info (uncertain, never a warning): {finding}")
        z = np.array([row for r in clean for row in r["z"]])
        residual = np.array([row for r in clean for row in r["residual"]])
        if len(z):
            out["calibration"] = {name: {"z_rms": float(np.sqrt(np.mean(z[:, i] ** 2))),
                                         "residual_rms": float(np.sqrt(np.mean(residual[:, i] ** 2)))}
                                  for i, name in enumerate(COMPONENTS)}
            print("per-frame error calibration on clean shots (RMS of error/claimed; RMS error):")
            print("    " + ", ".join(f"{n} {v['z_rms']:.2f} ({v['residual_rms']:.4f})"
                                     for n, v in out["calibration"].items()))
        wobble = [r["along_flicker"] for r in clean if r["along_flicker"] is not None]
        out["clean"]["along_flicker_max"] = max(wobble, default=None)
        print(f"    along-shot wobble on clean shots: median {np.median(wobble):.4f}, max {max(wobble):.4f} stop")
    rendered = [r for r in records if "render" in r]
    if rendered:
        print("\nend to end: melt's render of the graded project against the truth's render, ΔE2000 "
              "per frame (mean over the frame); per shot its median and worst frame, then the median "
              "(and the worst) over shots; held: CDL keyframes, static: one correction per shot")
        print(f"  {'kind':<14} {'shots':>5}  {'held median':>12} {'held worst':>11}  {'static median':>13} "
              f"{'static worst':>12}  {'ungraded median':>15} {'ungraded worst':>14}  {'keys':>5}  "
              f"{'within 1.5/3.0':>14}")
        for kind in KINDS:
            group = [r["render"] for r in rendered if r["kind"] == kind]
            if not group:
                continue
            row = {}
            for label in ("held", "static", "ungraded"):
                medians = [float(np.median(g["delta_e"][label])) for g in group]
                worsts = [float(np.max(g["delta_e"][label])) for g in group]
                row[label] = {"median": float(np.median(medians)), "median_max": float(np.max(medians)),
                              "worst": float(np.median(worsts)), "worst_max": float(np.max(worsts))}
            passed = sum(float(np.median(g["delta_e"]["held"])) <= 1.5 and float(np.max(g["delta_e"]["held"])) <= 3.0
                         for g in group)
            keys = float(np.mean([len(g["keyframes"]) for g in group]))
            out.setdefault("render", {})[kind] = {**row, "shots": len(group), "within_bar": passed,
                                                 "keyframes_mean": keys}
            def cell(label: str, key: str, row=row) -> str:
                return f"{row[label][key]:.2f} ({row[label][key + '_max']:.2f})"

            print(f"  {kind:<14} {len(group):>5}  {cell('held', 'median'):>12} {cell('held', 'worst'):>11}  "
                  f"{cell('static', 'median'):>13} {cell('static', 'worst'):>12}  {cell('ungraded', 'median'):>15} "
                  f"{cell('ungraded', 'worst'):>14}  {keys:>5.1f}  {passed:>9}/{len(group)}")
        filtered = [(kind, [r["render"] for r in rendered if r["kind"] == kind and DEFLICKER_LABEL in r["render"]["delta_e"]])
                    for kind in ("flicker", "clean")]
        if any(group for _, group in filtered):
            print("\n  FFmpeg's deflicker (avfilter.deflicker through MLT) on the ungraded shot, same figures; "
                  "held: cinegrade's grade (a hold where one applies); realigned: its frame N + size against "
                  "the truth's N (MLT's bridge delays the clip by the filter's window)")
            labels = ("ungraded", "held", *(f"{label}{end}" for label in DEFLICKER for end in ("", " realigned")))
            for kind, group in filtered:
                if not group:
                    continue
                row = {}
                for label in labels:
                    medians = [float(np.median(g["delta_e"][label])) for g in group]
                    worsts = [float(np.max(g["delta_e"][label])) for g in group]
                    row[label] = {"median": float(np.median(medians)), "median_max": float(np.max(medians)),
                                  "worst": float(np.median(worsts)), "worst_max": float(np.max(worsts))}
                out.setdefault("deflicker", {})[kind] = {**row, "shots": len(group),
                                                         "held_shots": sum(bool(g["keyframes"]) for g in group)}
                for label in labels:
                    print(f"  {kind:<14} {len(group):>5}  {label:<24} median {row[label]['median']:.2f} "
                          f"({row[label]['median_max']:.2f}), worst {row[label]['worst']:.2f} "
                          f"({row[label]['worst_max']:.2f})")
    print("\ncurve error against the truth at the sampled frames (median over shots of the RMS / "
          "worst frame; raw per-frame measurement, fitted hinge)")
    for kind in ("clean", *CREEPS):
        group = [r for r in records if r["kind"] == kind]
        if not group:
            continue
        names = ("exposure", "white balance", "saturation") if kind == "clean" else (kind,)
        for name in names:
            unit = {"exposure": "stops", "white balance": "mired", "saturation": "%"}[name]
            c = [r["curves"][name] for r in group]
            figures = {key: float(np.median([x[key] for x in c])) for key in c[0]}
            figures["fit_worst_max"] = float(max(x["fit_worst"] for x in c))
            out.setdefault("curves", {}).setdefault(kind, {})[name] = figures
            print(f"  {kind:<14} {name:<14} raw {figures['raw_rms']:.3f} / {figures['raw_worst']:.3f}, "
                  f"fit {figures['fit_rms']:.3f} / {figures['fit_worst']:.3f} {unit} "
                  f"(worst shot's worst frame {figures['fit_worst_max']:.3f})")
        if kind in CREEPS:
            sizes = [r["size_error"] for r in group if r["size_error"] is not None]
            starts = [r["start_error"] for r in group if r["start_error"] is not None]
            linear = [r["start_error"] for r in group if r["start_error"] is not None and not r["ease"]]
            out["curves"][kind]["size_error_median_abs"] = float(np.median(np.abs(sizes)))
            out["curves"][kind]["start_error_median_abs_linear"] = float(np.median(np.abs(linear))) if linear else None
            print(f"  {'':<14} size error median |{np.median(np.abs(sizes)):.3f}|, 90th "
                  f"{np.quantile(np.abs(sizes), 0.9):.3f}; start frame error (linear ramps) median "
                  f"|{np.median(np.abs(linear)) if linear else float('nan'):.1f}| frames, "
                  f"all ramps {np.median(np.abs(starts)):.1f}")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=2, help="shots per kind and source")
    parser.add_argument("--render-seeds", type=int, default=1,
                        help="of those, how many are graded and rendered by melt end to end (0: none)")
    parser.add_argument("--sources", default=None, help="comma-separated parts of source names")
    parser.add_argument("--first", type=int, default=None,
                        help="of each kind and source, only the first N shots (drawn as in the full run)")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", type=Path, help="write every figure and record here")
    args = parser.parse_args(argv)
    only = {s.strip() for s in args.sources.split(",")} if args.sources else None
    kinds = [k.strip() for k in args.kinds.split(",")]
    along_settings = AlongSettings()
    chosen = {s.name for s in sources(only)}
    cases = [c for c in all_cases(args.seeds, args.seed) if c.source.name in chosen and c.kind in kinds
             and (args.first is None or c.seed < args.first)]
    records = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cinegrade-within-") as folder:
        frames, rendered_source = [], None
        for case in cases:
            if case.source is not rendered_source:
                frames = render_shot(case.source.spec, case.source.size, case.source.frames)
                rendered_source = case.source
            for old in Path(folder).iterdir():
                shutil.rmtree(old) if old.is_dir() else old.unlink()
            record = run_case(Path(folder), case, frames, along_settings,
                              render=case.seed < args.render_seeds and not case.source.demo)
            records.append(record)
            print(f"{case.source.name:<26} {case.kind:<14} {record.get('size', record.get('flicker', '')):>8} "
                  f"found {record['found'] or '-'} held {record['held'] or '-'} flicker "
                  f"{record['flicker_found']} ({record['along_flicker'] or 0:.4f}) anchor "
                  f"{record['anchor'] or '-'} {record['measured']}/{record['samples']} measured, "
                  f"{record['chained']} chained, {record['seconds']:.1f} s", file=sys.stderr, flush=True)
    figures = summarise(records)
    total = time.perf_counter() - started
    seconds = [r["seconds"] for r in records]
    print(f"\n{len(records)} shots; measurement {np.median(seconds):.1f} s a shot (median); total {total:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"figures": figures, "records": records}, indent=1, default=float) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
