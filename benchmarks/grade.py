"""Benchmark of ``check`` and ``grade`` on a generated 1080p H.264 timeline of 200 shots.

Prints the wall time of a cold run (empty statistics cache) and a warm run (same cache) of
``cinegrade.check_timeline`` and ``cinegrade.grade_timeline`` (the public API, ``--jobs``
worker processes, as the CLI runs them), each as a ratio to the anchor measured in the same
run: a bare PyAV decode of exactly the frames they sample (the statistics' frames,
``SampleSettings()``, and the views' frames, ``VIEW_SETTINGS``, as media frame numbers from
the sampler's own ``request_for``; every file opened once, its frames in one forward sweep
seeking only where a keyframe lies ahead — the sampler's rule — no RGB conversion, in a
process pool of the same size); and a second anchor that adds the frames ``check`` decodes along
the shots it measured along their length (every 6th frame; steady shots are not). Also: how many
pairs of shots each run aligned (calls of
``cinegrade.correspondence.align.alignments``, counted in the timed runs themselves by a
wrapper set before the command forks its workers, which inherit it), peak memory, and the same
check and grade through a 2-worker Dask ``LocalCluster`` (no cache), whose .cube files are
compared byte for byte with the local cold grade's, and whose findings with the local cold
check's (Dask's workers run BLAS on one thread, so numbers may differ in the last digits).

The media are ``benchmarks/analyze.py``'s takes (real photographs panned and zoomed at
1920×1080 with grain, 24 fps H.264, 10 s each, generated once into ``--workdir`` and reused;
the photograph is the take number modulo 4). The timeline is 1.5–2.5 s cuts of the takes in
scenes of 5–10 shots, each scene marked ``scene: <name>`` on the track, of three kinds:
``one take`` (every shot cut from one take: consecutive shots share content), ``two takes``
(shots alternate between takes of two photographs: no cut shares content, every other shot
does) and ``four takes`` (four photographs in turn: no neighbours share content). No drift
is injected: the figures are of time, not of accuracy.

    python benchmarks/grade.py [--shots 200] [--jobs N] [--workdir DIR] [--no-dask]
                               [--quick]

``--quick``: 20 shots (4 takes), for a smoke run. A run of 200 shots takes several minutes
on 2 cores (the first one also encodes 40 takes, about 10 minutes).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import filecmp
import importlib
import json
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
analyze = importlib.import_module("analyze")  # its takes, its bare decode

FPS, TAKE_FRAMES, PHOTOS = analyze.FPS, analyze.TAKE_FRAMES, analyze.PHOTOS
SCENE_KINDS = ("one take", "two takes", "one take", "four takes", "two takes")
SHOT_LENGTHS = (36, 60)  # frames, inclusive: 1.5 to 2.5 s


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# media and timeline


def scene_sizes(shots: int, rng: np.random.Generator) -> list[int]:
    """Scene lengths of 5–10 shots adding up to ``shots`` (one scene when fewer than 5)."""
    sizes: list[int] = []
    while sum(sizes) < shots:
        sizes.append(int(rng.integers(5, 11)))
    sizes[-1] -= sum(sizes) - shots
    if sizes[-1] < 5 and len(sizes) > 1:
        leftover = sizes.pop()
        for i in range(len(sizes)):
            while leftover and sizes[i] < 10:
                sizes[i] += 1
                leftover -= 1
        if leftover:
            sizes.append(leftover)
    return sizes


def plan(shots: int, takes: int, seed: int = 2024) -> list[tuple[str, str, list[tuple]]]:
    """Scenes as (name, kind, [(take, start frame, length), ...]); takes are used round robin,
    a scene of several takes uses consecutive ones (different photographs)."""
    rng = np.random.default_rng(seed)
    scenes, next_take = [], 0
    for number, size in enumerate(scene_sizes(shots, rng)):
        kind = SCENE_KINDS[number % len(SCENE_KINDS)]
        width = {"one take": 1, "two takes": 2, "four takes": 4}[kind]
        used = [(next_take + i) % takes for i in range(width)]
        next_take += width
        order = [used[i % width] for i in range(size)]
        lengths = [int(rng.integers(SHOT_LENGTHS[0], SHOT_LENGTHS[1] + 1)) for _ in order]
        cuts, seen = [], Counter()
        for take, length in zip(order, lengths):
            k, n = seen[take], order.count(take)  # the k-th of n cuts of this take
            seen[take] += 1
            room = TAKE_FRAMES - length
            start = round(k * room / (n - 1)) if n > 1 else room // 2
            cuts.append((take, start, length))
        scenes.append((f"s{number + 1:02d} {kind}", kind, cuts))
    return scenes


def build_timeline(folder: Path, shots: int) -> tuple[Path, list]:
    """Takes (analyze.py's, generated once) and an OTIO timeline of ``shots`` cuts in scenes."""
    import opentimelineio as otio

    takes = 4 * -(-max(1, -(-shots // 5)) // 4)  # ~5 shots a take, a multiple of 4 photographs
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    paths = []
    for take in range(takes):
        path = folder / f"take{take:03d}.mp4"
        if not path.exists():
            analyze.write_take(path, PHOTOS[take % len(PHOTOS)], take)
            log(f"  generated {path.name} ({time.perf_counter() - started:.0f} s)")
        paths.append(path)
    scenes = plan(shots, takes)
    timeline = otio.schema.Timeline(name=f"grade benchmark {shots} shots")
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    position = 0
    for name, _, cuts in scenes:
        scene_start = position
        for i, (take, start, length) in enumerate(cuts):
            track.append(otio.schema.Clip(
                name=f"{name.split()[0]}-{i + 1:02d}-t{take:03d}",
                media_reference=otio.schema.ExternalReference(target_url=str(paths[take])),
                source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(start, FPS),
                                                     otio.opentime.RationalTime(length, FPS))))
            position += length
        track.markers.append(otio.schema.Marker(
            name=f"scene: {name}",
            marked_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(scene_start, FPS),
                otio.opentime.RationalTime(position - scene_start, FPS))))
    path = folder / f"grade-timeline-{shots}.otio"
    otio.adapters.write_to_file(timeline, str(path))
    return path, scenes


# --------------------------------------------------------------------------------------------
# the anchor


def frames_sampled(timeline: Path) -> dict[str, dict[str, list[int]]]:
    """Media path -> {"stats", "views", "all"}: the media frame numbers ``check`` and ``grade``
    read from it (samples and dense runs, by the sampler's ``request_for``)."""
    import av
    import opentimelineio as otio

    from cinegrade.analysis.sampler import SampleSettings, request_for
    from cinegrade.correspondence.views import VIEW_SETTINGS
    from cinegrade.timeline.shots import shots_from_timeline

    shots = [s for s in shots_from_timeline(otio.adapters.read_from_file(str(timeline)), timeline)
             if s.enabled]
    rates: dict[str, object] = {}
    wanted: dict[str, dict[str, set[int]]] = {}
    for shot in shots:
        if shot.media_path not in rates:
            with av.open(shot.media_path) as container:
                rates[shot.media_path] = container.streams.video[0].average_rate
        sets = wanted.setdefault(shot.media_path, {"stats": set(), "views": set()})
        for kind, settings in (("stats", SampleSettings()), ("views", VIEW_SETTINGS)):
            request = request_for(shot, settings, rates[shot.media_path])
            sets[kind].update(request.samples + request.dense)
    return {path: {"stats": sorted(s["stats"]), "views": sorted(s["views"]),
                   "all": sorted(s["stats"] | s["views"])} for path, s in wanted.items()}


def along_frames_sampled(timeline: Path, measured: set[int]) -> dict[str, list[int]]:
    """Media path -> the media frame numbers the along-shot measurement decodes for the shots
    of index ``measured`` (those ``check`` measured along their length; steady shots are not),
    as :func:`cinegrade.analysis.along.sample_along` numbers them."""
    import av
    import opentimelineio as otio

    from cinegrade.analysis.along import AlongSettings, along_offsets
    from cinegrade.analysis.sampler import media_frame
    from cinegrade.timeline.shots import shots_from_timeline

    settings, rates, wanted = AlongSettings(), {}, {}
    for shot in shots_from_timeline(otio.adapters.read_from_file(str(timeline)), timeline):
        if shot.index not in measured:
            continue
        if shot.media_path not in rates:
            with av.open(shot.media_path) as container:
                rates[shot.media_path] = container.streams.video[0].average_rate
        duration = shot.source.duration
        offsets = set(along_offsets(duration, settings)) | set(range(min(settings.reference, duration)))
        wanted.setdefault(shot.media_path, set()).update(
            media_frame(shot.source.start + o, shot.source, shot.available, rates[shot.media_path])
            for o in offsets)
    return {path: sorted(frames) for path, frames in wanted.items()}


def _nothing(_: int) -> int:
    return 0


def bare_decode_time(wanted: dict[str, dict[str, list[int]]], jobs: int) -> tuple[float, int]:
    """Seconds and frames decoded for a bare PyAV decode of every file's sampled frames in a
    warmed-up pool of ``min(jobs, files)`` workers (one task per file, as the library's)."""
    paths = list(wanted)
    with concurrent.futures.ProcessPoolExecutor(max(1, min(jobs, len(paths)))) as pool:
        list(pool.map(_nothing, range(4 * jobs)))
        started = time.perf_counter()
        decoded = sum(pool.map(analyze.bare_decode, paths, [wanted[p]["all"] for p in paths]))
        return time.perf_counter() - started, decoded


# --------------------------------------------------------------------------------------------
# counting alignments


class AlignmentCounter:
    """Counts calls of ``alignments`` (one per pair of shots whose features are aligned) by
    caller: "cuts" (``cinegrade.continuity.measure``, which bound the name at import) and
    "matching" (``cinegrade.correspondence.align.alignments``, which matching imports at call
    time). The wrappers are set in this process and count into shared memory, so the worker
    processes the commands fork afterwards count too (the ``fork`` start method; otherwise
    only this process's calls are seen: :attr:`complete` is then False)."""

    def __init__(self):
        import multiprocessing

        self.complete = multiprocessing.get_start_method() == "fork"
        context = multiprocessing.get_context("fork" if self.complete else None)
        self.counts = {"cuts": context.Value("q", 0), "matching": context.Value("q", 0)}
        self.patched: list = []

    def __enter__(self):
        import cinegrade.continuity.measure as measure
        import cinegrade.correspondence.align as align

        original = align.alignments
        for module, label in ((align, "matching"), (measure, "cuts")):
            def counted(a, b, *rest, _count=self.counts[label], **options):
                with _count.get_lock():
                    _count.value += 1
                return original(a, b, *rest, **options)

            self.patched.append((module, module.alignments))
            module.alignments = counted
        return self

    def __exit__(self, *_):
        for module, original in reversed(self.patched):
            module.alignments = original

    def take(self) -> dict[str, int]:
        """The counts since the last call, by caller."""
        counts = {}
        for label, value in self.counts.items():
            with value.get_lock():
                counts[label], value.value = value.value, 0
        return counts


def json_difference(a, b, path: str = "") -> tuple[list[str], float]:
    """Where two JSON documents differ other than in floating-point rounding, and the largest
    relative difference of their numbers."""
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{path}: keys {sorted(set(a) ^ set(b))}"], 0.0
        found = [json_difference(a[k], b[k], f"{path}.{k}") for k in a]
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} vs {len(b)} items"], 0.0
        found = [json_difference(x, y, f"{path}[{i}]") for i, (x, y) in enumerate(zip(a, b))]
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)) \
            and not isinstance(a, bool) and not isinstance(b, bool):
        relative = abs(a - b) / max(abs(a), abs(b), 1e-12)
        return ([f"{path}: {a} vs {b}"] if relative > 1e-6 else []), relative
    else:
        return ([] if a == b else [f"{path}: {a!r} vs {b!r}"]), 0.0
    return [d for f in found for d in f[0]], max((f[1] for f in found), default=0.0)


# --------------------------------------------------------------------------------------------


def cubes_of(output: Path) -> dict[str, Path]:
    from cinegrade.grade.grade import grades_folder

    folder = grades_folder(output)
    return {p.name: p for p in sorted(folder.glob("*.cube"))} if folder.is_dir() else {}


def compare_cubes(a: Path, b: Path) -> tuple[int, list[str]]:
    """How many .cube files the first grade wrote, and the names that differ (or are missing
    on one side) between the grades written to ``a`` and ``b``."""
    ca, cb = cubes_of(a), cubes_of(b)
    differ = sorted(set(ca) ^ set(cb))
    differ += [n for n in sorted(set(ca) & set(cb)) if not filecmp.cmp(ca[n], cb[n], shallow=False)]
    return len(ca), differ


def peak_mb() -> tuple[float, float]:
    """Peak RSS (MB) of this process and of its largest reaped child so far."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def cpu_seconds() -> float:
    """User + system CPU time of this process and of its children that have ended (a
    command's worker pool ends with the command)."""
    own, children = (resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                                      resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(label: str, call):
    """``call()``, its wall time and its CPU time (this process and its ended children: the
    figure other load on the machine inflates least)."""
    log(f"  {label}...")
    started, cpu = time.perf_counter(), cpu_seconds()
    result = call()
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    log(f"  {label}: {seconds:.2f} s (CPU {cpu:.1f} s)")
    return result, seconds, cpu


def library_state() -> dict[str, tuple[int, int]]:
    """(mtime, size) of every source file of the installed cinegrade: a library edited during
    the run makes its later runs (Dask's workers import it afresh) incomparable."""
    import cinegrade

    root = Path(cinegrade.__file__).resolve().parent
    return {str(p.relative_to(root)): (p.stat().st_mtime_ns, p.stat().st_size)
            for p in sorted(root.rglob("*.py"))}


def changed_since(before: dict) -> list[str]:
    after = library_state()
    return sorted(n for n in set(before) | set(after) if before.get(n) != after.get(n))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shots", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=None,
                        help="worker processes (default: all cores)")
    parser.add_argument("--workdir", type=Path,
                        default=Path(tempfile.gettempdir()) / "cinegrade-benchmark")
    parser.add_argument("--no-dask", action="store_true", help="skip the LocalCluster runs")
    parser.add_argument("--quick", action="store_true", help="20 shots: a smoke run")
    args = parser.parse_args()
    shots = 20 if args.quick else args.shots
    if shots < 1:
        parser.error("--shots must be at least 1")

    source = library_state()
    started = time.perf_counter()
    import cinegrade
    from cinegrade.work import available_cores

    # everything the commands import, imported once here (forked workers inherit it), so
    # that no run pays for it and the cold runs differ from the warm ones by the cache only
    for name in ("cinegrade.api", "cinegrade.continuity.run", "cinegrade.grade.pipeline",
                 "cinegrade.continuity.report", "cinegrade.grade.effects",
                 "cinegrade.timeline.files", "cinegrade.media.probe", "colour", "av", "cv2"):
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    import_seconds = time.perf_counter() - started
    jobs = args.jobs or available_cores()
    from cinegrade.correspondence.align import MeasureSettings

    detector = MeasureSettings().detector

    log(f"timeline of {shots} shots in {args.workdir}")
    timeline, scenes = build_timeline(args.workdir, shots)
    wanted = frames_sampled(timeline)
    kinds = Counter(kind for _, kind, _ in scenes)
    n_stats = sum(len(w["stats"]) for w in wanted.values())
    n_views = sum(len(w["views"]) for w in wanted.values())
    n_all = sum(len(w["all"]) for w in wanted.values())

    scratch = Path(tempfile.mkdtemp(prefix="cinegrade-grade-bench-"))
    figures: dict = {"shots": shots, "scenes": len(scenes), "scene_kinds": dict(kinds),
                     "takes": len(wanted), "jobs": jobs, "detector": detector,
                     "import_s": round(import_seconds, 3),
                     "frames": {"stats": n_stats, "views": n_views, "distinct": n_all}}
    runs: dict[str, dict] = {}
    try:
        work = lambda cache: cinegrade.ShotWork(jobs=jobs, cache_dir=scratch / cache)
        local = scratch / "local"
        local.mkdir()
        commands = {
            "check": lambda cache, _: cinegrade.check_timeline(timeline, work=work(cache)),
            "grade": lambda cache, out: cinegrade.grade_timeline(timeline, local / out,
                                                                 work=work(cache))}
        (bare_a, decoded), _, bare_cpu_a = timed("bare PyAV decode",
                                                 lambda: bare_decode_time(wanted, jobs))
        with AlignmentCounter() as counter:
            for name in ("check", "grade"):  # each with its own cache: grade's cold is cold
                for state in ("cold", "warm"):
                    run = lambda name=name, state=state: commands[name](f"{name}-cache",
                                                                        f"{state}.otio")
                    result, seconds, cpu = timed(f"{name}, {state}", run)
                    runs[f"{name}_{state}"] = {"s": seconds, "cpu": cpu,
                                               "aligned": counter.take(), "result": result}
        (bare_b, _), _, bare_cpu_b = timed("bare PyAV decode again",
                                           lambda: bare_decode_time(wanted, jobs))
        bare, bare_cpu = (bare_a + bare_b) / 2, (bare_cpu_a + bare_cpu_b) / 2
        # what check decodes besides: the frames along the shots it measured along their length
        along = along_frames_sampled(timeline, set(runs["check_cold"]["result"].result.along))
        with_along = {path: {"all": sorted(set(w["all"]) | set(along.get(path, ())))}
                      for path, w in wanted.items()}
        (bare_along, decoded_along), _, bare_along_cpu = timed(
            "bare PyAV decode, with the along-shot frames", lambda: bare_decode_time(with_along, jobs))
        edited = changed_since(source)
        own_mb, worker_mb = peak_mb()
        cubes, warm_differ = compare_cubes(local / "cold.otio", local / "warm.otio")
        check_cold = runs["check_cold"]["result"]
        figures.update({
            "bare_s": round(bare, 3), "bare_runs_s": [round(bare_a, 3), round(bare_b, 3)],
            "bare_decoded_frames": decoded, "bare_cpu_s": round(bare_cpu, 2),
            "bare_cpu_runs_s": [round(bare_cpu_a, 2), round(bare_cpu_b, 2)],
            "bare_with_along_s": round(bare_along, 3), "bare_with_along_cpu_s": round(bare_along_cpu, 2),
            "bare_with_along_frames": decoded_along,
            "library_edited_during_local_runs": edited,
            "warnings": len(check_cold.warnings), "cuts_judged": len(check_cold.result.cuts),
            "along_measured": len(check_cold.result.along),
            "along_steady": len(getattr(check_cold.result, "steady", {})),
            "cubes": cubes, "warm_cubes_identical": not warm_differ,
            "aligned_counted_in_workers": counter.complete,
            "peak_rss_main_mb": round(own_mb), "peak_rss_worker_mb": round(worker_mb)})
        for key, run in runs.items():
            figures[f"{key}_s"] = round(run["s"], 3)
            figures[f"{key}_ratio"] = round(run["s"] / bare, 3)
            figures[f"{key}_aligned"] = run["aligned"]
            figures[f"{key}_cpu_s"] = round(run["cpu"], 2)
            figures[f"{key}_cpu_ratio"] = round(run["cpu"] / bare_cpu, 3)
        if not args.no_dask:
            figures.update(dask_runs(timeline, scratch, local / "cold.otio", check_cold))
            figures["library_edited_before_dask"] = changed_since(source)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    figures["peak_rss_main_final_mb"], figures["peak_rss_child_final_mb"] = \
        (round(v) for v in peak_mb())
    report(figures)


def _import_all() -> None:
    for name in ("cinegrade.continuity.run", "cinegrade.grade.pipeline", "colour", "cv2"):
        importlib.import_module(name)


def dask_runs(timeline: Path, scratch: Path, local_output: Path, local_check) -> dict:
    """check and grade through a 2-worker LocalCluster, no cache; the .cube files compared with
    the local cold grade's, the check's findings with the local cold check's."""
    from distributed import Client, LocalCluster

    import cinegrade

    started = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        with Client(cluster) as client:  # workers up and cinegrade imported before timing
            client.run(_import_all)
        up = time.perf_counter() - started
        log(f"  LocalCluster up: {up:.1f} s")
        work = cinegrade.ShotWork(scheduler=cluster.scheduler_address, use_cache=False)
        output = scratch / "dask" / "graded.otio"
        output.parent.mkdir()
        check, check_s, _ = timed("check on Dask", lambda: cinegrade.check_timeline(
            timeline, work=work))
        _, grade_s, _ = timed("grade on Dask", lambda: cinegrade.grade_timeline(
            timeline, output, work=work))
    _, differ = compare_cubes(local_output, output)
    return {"dask_up_s": round(up, 3), "dask_check_s": round(check_s, 3),
            "dask_grade_s": round(grade_s, 3), "dask_cubes_identical": not differ,
            "dask_cubes_differing": differ[:20], "dask_cubes_differing_count": len(differ),
            **check_agreement(check.to_json(), local_check.to_json())}


def check_agreement(dask: dict, local: dict) -> dict:
    """Whether the Dask check found what the local one did: identical, or equal but for
    floating-point rounding (relative difference under 1e-6), or different (where)."""
    differences, largest = json_difference(dask, local)
    state = "identical" if dask == local else "rounding" if not differences else "different"
    return {"dask_check": state, "dask_check_max_relative_difference": largest,
            "dask_check_differences": differences[:10]}


def report(f: dict) -> None:
    shots = f["shots"]
    warm_target = 2.0 * shots / 200
    verdict = lambda ok: "met" if ok else "MISSED"
    aligned = lambda d: f"{sum(d.values())} ({d['cuts']} cuts, {d['matching']} matching)"
    print(f"timeline: {shots} shots (1.5-2.5 s, 1920x1080 H.264) in {f['scenes']} scenes of "
          f"5-10 ({', '.join(f'{n} {k}' for k, n in sorted(f['scene_kinds'].items()))}), "
          f"cut from {f['takes']} takes; {f['jobs']} jobs; features: {f['detector']}")
    print(f"sampled: {f['frames']['stats']} statistics frames + {f['frames']['views']} view "
          f"frames = {f['frames']['distinct']} distinct media frames "
          f"(imports, done before timing: {f['import_s']:.1f} s)")
    print()
    print(f"{'':36}{'wall s':>8}{'x bare':>8}{'CPU s':>8}{'x bare':>8}   pairs aligned")
    print(f"{'bare PyAV decode (anchor)':36}{f['bare_s']:8.2f}{1:8.2f}{f['bare_cpu_s']:8.1f}"
          f"{1:8.2f}   (mean of a run before and one after: wall {f['bare_runs_s'][0]:.2f}, "
          f"{f['bare_runs_s'][1]:.2f} s, CPU {f['bare_cpu_runs_s'][0]:.1f}, "
          f"{f['bare_cpu_runs_s'][1]:.1f} s; {f['bare_decoded_frames']} frames decoded)")
    for name in ("check", "grade"):
        for state in ("cold", "warm"):
            key = f"{name}_{state}"
            print(f"{name + ', ' + state:36}{f[key + '_s']:8.2f}{f[key + '_ratio']:8.2f}"
                  f"{f[key + '_cpu_s']:8.1f}{f[key + '_cpu_ratio']:8.2f}   "
                  f"{aligned(f[key + '_aligned'])}")
    if "dask_grade_s" in f:
        for name in ("check", "grade"):
            print(f"{name + ' on Dask (2 workers, no cache)':36}{f[f'dask_{name}_s']:8.2f}"
                  f"{f[f'dask_{name}_s'] / f['bare_s']:8.2f}")
        print(f"  (LocalCluster start and imports in its workers, not counted: "
              f"{f['dask_up_s']:.1f} s)")
    print()
    where = "this process and its forked workers" if f["aligned_counted_in_workers"] else \
        "this process only (workers not forked: their calls are missing)"
    print(f"pairs aligned: calls of cinegrade.correspondence.align.alignments (one per pair of "
          f"shots) during each timed run, counted by a wrapper in {where}")
    print("CPU: user + system time of this process and its ended worker processes")
    print(f"check: {f['cuts_judged']} cuts judged, {f['warnings']} warnings; grade: "
          f"{f['cubes']} .cube files (warm run's identical to cold run's: "
          f"{f['warm_cubes_identical']})")
    print(f"check along the shots: {f['along_measured']} measured, {f['along_steady']} steady "
          f"(their view frames agree: not measured)")
    print(f"peak RSS: main process {f['peak_rss_main_mb']} MB, largest worker "
          f"{f['peak_rss_worker_mb']} MB (after the local runs; after Dask: main "
          f"{f['peak_rss_main_final_mb']} MB, largest child {f['peak_rss_child_final_mb']} MB)")
    if f["library_edited_during_local_runs"]:
        print(f"WARNING: cinegrade was edited during the local runs: "
              f"{', '.join(f['library_edited_during_local_runs'])}")
    stale = f.get("library_edited_before_dask")
    if "dask_grade_s" in f:
        cubes = "identical" if f["dask_cubes_identical"] else \
            f"{f['dask_cubes_differing_count']} differ: " + ", ".join(f["dask_cubes_differing"])
        check = {"identical": "identical",
                 "rounding": "the same findings, numbers equal to a relative "
                             f"{f['dask_check_max_relative_difference']:.0e} (rounding)",
                 "different": "DIFFERENT: " + "; ".join(f["dask_check_differences"][:3])
                 }[f["dask_check"]]
        print(f"Dask vs local: .cube files {cubes}; check {check}")
        if stale:
            print(f"WARNING: not comparable: cinegrade was edited after the local runs began "
                  f"({', '.join(stale)}), and Dask's workers imported the edited code")
    print()
    print("targets:")
    print(f"  cold grade <= 2.0x bare: {f['grade_cold_ratio']:.2f}x wall, "
          f"{f['grade_cold_cpu_ratio']:.2f}x CPU  {verdict(f['grade_cold_ratio'] <= 2.0)}")
    print(f"  cold check <= 1.5x bare: {f['check_cold_ratio']:.2f}x wall, "
          f"{f['check_cold_cpu_ratio']:.2f}x CPU  {verdict(f['check_cold_ratio'] <= 1.5)}")
    along_wall, along_cpu = f["bare_with_along_s"], f["bare_with_along_cpu_s"]
    print(f"  with the along-shot frames in the anchor ({f['bare_with_along_frames']} frames decoded, "
          f"{along_wall:.2f} s wall, {along_cpu:.1f} s CPU): cold grade "
          f"{f['grade_cold_s'] / along_wall:.2f}x wall, {f['grade_cold_cpu_s'] / along_cpu:.2f}x CPU; "
          f"cold check {f['check_cold_s'] / along_wall:.2f}x wall, {f['check_cold_cpu_s'] / along_cpu:.2f}x CPU")
    print(f"  warm check <= {warm_target:.2f} s (2 s per 200 shots): {f['check_warm_s']:.2f} s  "
          f"{verdict(f['check_warm_s'] <= warm_target)}")
    if "dask_grade_s" in f:
        print(f"  Dask .cube files byte for byte: "
              f"{'not comparable (library edited)' if stale else verdict(f['dask_cubes_identical'])}")
    print(json.dumps(f, sort_keys=True))


if __name__ == "__main__":
    main()
