"""The steady gate on ``benchmarks/within_shot.py``'s shots: does leaving a shot unmeasured along
its length when its view frames agree (:func:`cinegrade.continuity.creep.steady`, what ``check``
does: :func:`cinegrade.continuity.run.steady_shots`) lose any within-shot finding?

Each shot is written, measured along its length and judged by the within-shot rules exactly as
``within_shot.py`` does (its ``run_case``: the findings without the gate), then sampled for its
view as ``check`` samples it (:func:`cinegrade.correspondence.views.shot_views`: three frames at
¼, ½ and ¾, a run of consecutive frames for flicker) and judged steady or not. Printed per kind:
shots, detections without and with the gate (a steady shot finds nothing), steady shots, and
any finding — warning, error or info, creep or flicker — on a steady shot (a loss); and the
agreement of the view frames (largest reading as a share of its creep threshold) on the drifted
shots, the gate's margin. The share the gate allows is :data:`cinegrade.continuity.creep.STEADY_SHARE`.

Usage: ``python benchmarks/steady_gate.py [--first N] [--seeds N] [--sources a,b] [--json OUT]``
(``--first 1``: the first shot of each kind and source, drawn as in ``within_shot.py``'s full run).
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import within_shot  # noqa: E402

from cinegrade.analysis.along import AlongSettings  # noqa: E402
from cinegrade.continuity.creep import READINGS, STEADY_SHARE, in_unit, steady, view_readings  # noqa: E402
from cinegrade.continuity.rules import ContinuitySettings  # noqa: E402
from cinegrade.correspondence.views import shot_views  # noqa: E402


def cases(seeds: int, seed: int, first: int | None, only: set[str] | None):
    """(source, kind, number, run) of ``within_shot.py``'s shots, ``run(folder, frames)`` its
    record; drawn in its own order (its ``all_cases`` where it has one)."""
    chosen = {s.name for s in within_shot.sources(only)}
    if hasattr(within_shot, "all_cases"):
        for case in within_shot.all_cases(seeds, seed):
            if case.source.name in chosen and (first is None or case.seed < first):
                yield case.source, case.kind, case.seed, \
                    lambda folder, frames, case=case: within_shot.run_case(folder, case, frames, AlongSettings())
        return
    import numpy as np

    rng = np.random.default_rng(seed)  # an older within_shot.py: every shot (no --first)
    for source in within_shot.sources(only):
        for kind in within_shot.KINDS:
            for number in range(seeds + (1 if kind == "clean" else 0)):
                yield source, kind, number, \
                    lambda folder, frames, source=source, kind=kind, number=number: within_shot.run_case(
                        folder, source, frames, kind, rng, static=number > 0, along_settings=AlongSettings())


def _detected(record: dict, kind: str) -> bool:
    if kind == "flicker":
        return record["flicker_found"]
    return kind != "clean" and kind in record["found"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--first", type=int, default=None)
    parser.add_argument("--sources", default=None)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    only = {s.strip() for s in args.sources.split(",")} if args.sources else None
    settings = ContinuitySettings()
    records, started = [], time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cinegrade-steady-") as folder:
        rendered, frames = None, []
        for source, kind, number, run in cases(args.seeds, args.seed, args.first, only):
            if source is not rendered:
                frames, rendered = within_shot.render_shot(source.spec, source.size, source.frames), source
            for old in Path(folder).iterdir():
                shutil.rmtree(old) if old.is_dir() else old.unlink()
            record = run(Path(folder), frames)
            shot = within_shot.shot_of(next(Path(folder).glob("*.mp4")), len(frames), source.fps)
            view = shot_views([shot]).get(shot.index)
            readings = view_readings(view.frames8) if view is not None else None
            share = None if readings is None else max(
                abs(in_unit(name, r[name][0])) / getattr(settings, READINGS[name][0])
                for r in readings for name in READINGS)
            why = steady(view.frames8, view.flicker, settings) if view is not None else None
            findings = record["findings"] + record.get("uncertain", []) + \
                (["flicker_along"] if record["flicker_found"] else [])
            records.append({"source": source.name, "kind": kind, "number": number,
                            "found": record["found"], "flicker_found": record["flicker_found"],
                            "findings": findings, "steady": why, "share": share,
                            "view_flicker": view.flicker if view is not None else None})
            print(f"{source.name:<26} {kind:<14} found {record['found'] or '-'} flicker "
                  f"{record['flicker_found']} share {share if share is None else round(share, 3)} "
                  f"flicker {records[-1]['view_flicker']} steady {why is not None}", file=sys.stderr, flush=True)
    print(f"\nsteady: view frames within {STEADY_SHARE:.0%} of every creep threshold and flicker "
          f"under half of flicker_along_stops ({len(records)} shots, {time.perf_counter() - started:.0f} s)")
    print(f"{'kind':<14} {'shots':>5} {'found':>6} {'with gate':>10} {'steady':>7} {'lost':>5}  "
          f"{'least share drifted':>20}")
    for kind in within_shot.KINDS:
        group = [r for r in records if r["kind"] == kind]
        if not group:
            continue
        found = sum(_detected(r, kind) for r in group)
        kept = sum(_detected(r, kind) and not r["steady"] for r in group)
        lost = sum(bool(r["findings"]) and bool(r["steady"]) for r in group)
        shares = [r["share"] for r in group if r["share"] is not None]
        least = "" if kind == "clean" or not shares else f"{min(shares):.3f}"
        print(f"{kind:<14} {len(group):>5} {found:>6} {kept:>10} {sum(bool(r['steady']) for r in group):>7} "
              f"{lost:>5}  {least:>20}")
    if args.json:
        args.json.write_text(json.dumps(records, indent=1, default=float) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
