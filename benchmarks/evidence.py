"""Calibration of the evidence sources (:mod:`cinegrade.evidence`): does each source's claimed
standard error match the error it makes?

For every pair of shots within a scene, the shots are rendered (3 frames at 320×180, as the views
sample them), each drifted by its own random AI-size drift (:func:`cinegrade.demo.drifts.ai_drift`,
some undrifted), and every source compares them. The truth of a pair is the difference of the two
drifts in the model's components (each drift's components fitted exactly on a colour chart through
:func:`cinegrade.colour.drift.fit_drift_parameters`). Printed per source and scene set: the share
of pairs it gave evidence on, and per component the count, the RMS error, the median claimed error
and the share of pairs within 2 claimed errors of the truth (95 % when calibrated), and the
z-scores' RMS (1 when calibrated).

Sets: ``framings`` (the demo's photographs reframed: shared pixels), ``bikes`` (the real cuts of
bikes.mp4: other content), ``multiangle`` (the Blender renders in ``--renders``, wide / medium /
close-ups / over-the-shoulder / reverse under one light).

With ``--solve``, each scene is also solved as a whole (:func:`cinegrade.evidence.run.scene_evidence`:
the pairs the pipeline compares, the first shot the undrifted reference) and printed per component:
the RMS error of the solved drift of the drifted shots against their truth, against the RMS of
the truth itself (the uncorrected figure), and the share of shots the evidence informed.

Usage: ``python benchmarks/evidence.py [--sets framings,bikes,multiangle] [--seeds N]
[--renders DIR] [--sources a,b] [--size 320x180] [--solve] [--json OUT]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from cinegrade.colour.drift import COMPONENTS, TO_COMPONENTS, Drift, apply_drift, fit_drift_parameters
from cinegrade.demo.drifts import ai_drift
from cinegrade.evidence.base import ShotEvidenceInput, evidence_source
from cinegrade.evidence.run import default_sources, describe_shot, scene_evidence

SIZE = (320, 180)


def truth_components(drift: Drift) -> np.ndarray:
    """The drift's six components, fitted on a chart of 3000 colours (what the model can say)."""
    rng = np.random.default_rng(0)
    chart = rng.uniform(0.04, 0.96, (3000, 3))
    drifted = apply_drift(chart.reshape(1, -1, 3), drift).reshape(-1, 3)
    keep = (drifted.max(axis=1) < 0.99) & (drifted.min(axis=1) > 0.01)
    parameters, _ = fit_drift_parameters(chart[keep], drifted[keep])
    return TO_COMPONENTS @ parameters


def scene_sets(names, renders: Path):
    from cinegrade.demo.footage import demo_scenes

    sets = {}
    if "framings" in names:
        sets["framings"] = [s for s in demo_scenes(include_clips=False)]
    if "bikes" in names:
        sets["bikes"] = [s for s in demo_scenes(include_clips=True) if s.name == "bikes"]
    if "multiangle" in names:
        from cinegrade.demo.footage import multiangle_scenes

        sets["multiangle"] = list(multiangle_scenes(renders))
    return sets


def shot_frames(shot, size=SIZE) -> list[np.ndarray]:
    from cinegrade.demo.footage import render_shot

    count = 24 if shot.frame_count is None else min(24, shot.frame_count)
    frames = render_shot(shot, size, count)
    return [frames[int(len(frames) * t)] for t in (1 / 6, 1 / 2, 5 / 6)]


def corrected_delta_e(frames, drift: Drift, components, error, covariance=None) -> tuple[float, float, float]:
    """Mean ΔE2000 to the undrifted frames of the shot drifted, corrected by the solve's posterior
    and corrected as ``match`` does (:func:`cinegrade.matching.match.scene_correction`)."""
    from cinegrade.colour.difference import delta_e_2000
    from cinegrade.colour.drift import parameters_of, undo_drift
    from cinegrade.matching.match import scene_correction

    truth = np.concatenate([f.reshape(-1, 3) for f in frames])
    drifted = np.clip(apply_drift(truth[None], drift)[0], 0, 1)
    posterior = parameters_of(np.where(np.isfinite(error), components, 0.0))
    found = scene_correction(components, error, covariance)
    matched = np.zeros(6) if found is None else found[0] * found[1]
    return tuple(float(np.mean(delta_e_2000(np.clip(x, 0, 1), truth)))
                 for x in (drifted, undo_drift(drifted, posterior), undo_drift(drifted, matched)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default="framings,bikes,multiangle")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--renders", type=Path, default=Path("/tmp/multiangle-renders"))
    parser.add_argument("--sources", default=None)
    parser.add_argument("--size", default="320x180")
    parser.add_argument("--solve", action="store_true")
    parser.add_argument("--pairs", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    size = tuple(int(v) for v in args.size.split("x"))
    sources = tuple(args.sources.split(",")) if args.sources else default_sources()
    results: dict = {}
    for set_name, scenes in scene_sets(args.sets.split(","), args.renders).items():
        errors = defaultdict(lambda: defaultdict(list))  # source → component → [(error, claimed)]
        solved = defaultdict(list)  # component → [(solved error, truth, informed)]
        counts = defaultdict(int)
        pairs_total = 0
        seconds = defaultdict(float)
        for scene in scenes:
            frames = [shot_frames(shot, size) for shot in scene.shots]
            for seed in range(args.seeds):
                drifts = [ai_drift(np.random.default_rng([seed, 7, i])) for i in range(len(frames))]
                if args.solve:
                    drifts[0] = Drift()
                truths = [truth_components(d) for d in drifts]
                inputs = []
                for shot_frames_, drift in zip(frames, drifts):
                    drifted = [np.clip(apply_drift(f, drift), 0, 1) for f in shot_frames_]
                    inputs.append(ShotEvidenceInput(tuple(np.clip(f * 255 + 0.5, 0, 255).astype(np.uint8)
                                                          for f in drifted)))
                if args.solve:
                    started = time.perf_counter()
                    _, solutions = scene_evidence(dict(enumerate(inputs)), dict.fromkeys(range(len(inputs)), "s"),
                                                  {"s": 0}, sources)
                    seconds["solve"] += time.perf_counter() - started
                    solution = solutions["s"]
                    for i in range(1, len(inputs)):
                        if drifts[i].is_neutral:
                            continue
                        drift, error = solution.shot_drift(i)
                        for k, component in enumerate(COMPONENTS):
                            solved[component].append((drift[k] - truths[i][k], truths[i][k], np.isfinite(error[k])))
                        solved["ΔE2000"].append(corrected_delta_e(frames[i], drifts[i], drift, error,
                                                                  solution.shot_covariance(i)))
                if not args.pairs:
                    continue
                described = []
                for shot in inputs:
                    started = time.perf_counter()
                    described.append(describe_shot(shot, sources))
                    seconds["describe"] += time.perf_counter() - started
                for i in range(len(inputs)):
                    for j in range(i + 1, len(inputs)):
                        pairs_total += 1
                        truth = truths[j] - truths[i]
                        for name in sources:
                            started = time.perf_counter()
                            found = evidence_source(name).compare(described[i][name], described[j][name])
                            seconds[name] += time.perf_counter() - started
                            if found is None:
                                continue
                            counts[name] += 1
                            for k, component in enumerate(COMPONENTS):
                                if np.isfinite(found.error[k]):
                                    errors[name][component].append((found.drift[k] - truth[k], found.error[k]))
        print(f"\n{set_name}: {len(scenes)} scenes, {pairs_total} shot pairs (× drift seeds); "
              f"describe {seconds['describe']:.1f} s", flush=True)
        results[set_name] = {}
        if args.solve:
            print(f"  scene solve ({seconds['solve']:.1f} s), drifted shots against their truth:")
            print(f"  {'component':15s} {'n':>5s} {'RMS err':>8s} {'RMS none':>8s} {'informed':>8s}")
            results[set_name]["solve"] = {}
            rows = np.array(solved["ΔE2000"]).reshape(-1, 3)
            results[set_name]["solve"] = {"delta_e": {name: {"median": float(np.median(rows[:, c])),
                                                             "mean": float(np.mean(rows[:, c])),
                                                             "worse": int(np.sum(rows[:, c] > rows[:, 0] + 0.25))}
                                                      for c, name in enumerate(("none", "posterior", "match"))}}
            for name, row in results[set_name]["solve"]["delta_e"].items():
                print(f"  ΔE2000 {name:10s} median {row['median']:5.2f} mean {row['mean']:5.2f} worse {row['worse']}")
            for component in COMPONENTS:
                rows = np.array(solved[component], dtype=np.float64).reshape(-1, 3)
                row = {"n": len(rows), "rms": float(np.sqrt(np.mean(rows[:, 0] ** 2))),
                       "rms_none": float(np.sqrt(np.mean(rows[:, 1] ** 2))), "informed": float(rows[:, 2].mean())}
                results[set_name]["solve"][component] = row
                print(f"  {component:15s} {row['n']:5d} {row['rms']:8.3f} {row['rms_none']:8.3f} {row['informed']:8.0%}")
        if not args.pairs:
            continue
        print(f"  {'source':15s} {'pairs':>6s}  {'component':15s} {'n':>5s} {'RMS err':>8s} "
              f"{'claimed':>8s} {'≤2σ':>5s} {'z RMS':>6s}")
        for name in sources:
            share = counts[name] / max(pairs_total, 1)
            print(f"  {name:15s} {share:6.0%}  ({seconds[name]:.1f} s)")
            results[set_name][name] = {"share": share, "seconds": seconds[name], "components": {}}
            for component in COMPONENTS:
                values = errors[name].get(component)
                if not values:
                    continue
                e = np.array([v for v, _ in values])
                c = np.array([s for _, s in values])
                z = e / c
                row = {"n": len(e), "rms": float(np.sqrt(np.mean(e**2))), "claimed": float(np.median(c)),
                       "within_2": float(np.mean(np.abs(z) <= 2)), "z_rms": float(np.sqrt(np.mean(z**2)))}
                results[set_name][name]["components"][component] = row
                print(f"  {'':15s} {'':6s}  {component:15s} {row['n']:5d} {row['rms']:8.3f} "
                      f"{row['claimed']:8.3f} {row['within_2']:5.0%} {row['z_rms']:6.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
