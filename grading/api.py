"""cinegrade's public Python API: one call per command, the same work the CLI does.

::

    import cinegrade

    report = cinegrade.analyze_timeline("cut.kdenlive")
    check = cinegrade.check_timeline("cut.kdenlive", scene_by="auto", output="checked.kdenlive")
    graded = cinegrade.grade_timeline("cut.kdenlive", "graded.kdenlive", look="sepia",
                                      look_strength=0.5, report="graded.html")
    cinegrade.export_grades("graded.kdenlive", ccc="grades.ccc")

Every call reads the timeline with any OTIO adapter (:class:`Reading` says how), runs its shot
work as :class:`ShotWork` says (worker processes, any ``concurrent.futures`` executor, the
statistics cache, progress), writes atomically, never overwrites its input, and raises
:class:`~cinegrade.errors.InputError` for bad input — naming the file (and line) or the argument
(its ``field``: the parameter's name here). Nothing prints.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cinegrade.errors import ChoiceError, InputError, OutputExists, RangeError
from cinegrade.timeline.files import Reading
from cinegrade.work import ShotWork

__all__ = [
    "Reading", "ShotWork", "describe_timeline", "convert_timeline", "analyze_timeline",
    "check_timeline", "grade_timeline", "match_timeline", "look_timeline", "export_grades",
    "install_kdenlive_looks", "uninstall_kdenlive_looks", "keep_look_from_still",
    "Analysis", "Check", "Graded", "Converted", "Exported",
    "apply_grades", "Applied",
]

#: ``on_note(text)``: hears notes on what was read (e.g. "holds 3 timelines; read the first").
Notes = Callable[[str], None] | None

#: Version of the JSON documents :meth:`Analysis.to_json` and :meth:`Check.to_json` give.
JSON_VERSION = 1


def _load(path: str | os.PathLike, reading: Reading | None, on_note: Notes):
    from cinegrade.timeline.files import load_timeline

    return load_timeline(path, reading, on_note)


def _refuse_input_as_output(source: str | os.PathLike, output: str | os.PathLike) -> None:
    if os.path.exists(output) and os.path.exists(source) and os.path.samefile(source, output):
        raise InputError("is the input timeline: cinegrade never overwrites its input; write to "
                         "a new file", output)


def _writing_args(output: str | os.PathLike, adapter: str | None,
                  kdenlive_version: str | None) -> dict[str, Any]:
    """The writer's arguments: ``version`` for a Kdenlive project (None: the newest the
    installed Kdenlive opens, else 1.1; a project read from Kdenlive keeps its own)."""
    from cinegrade.timeline.files import KDENLIVE_ADAPTER, find_adapter

    if kdenlive_version is None or find_adapter(output, adapter, writing=True).name != KDENLIVE_ADAPTER:
        return {}
    return {"version": kdenlive_version}


def _require_readable_media(shots: Sequence, stats: Mapping[int, Any]) -> None:
    """A timeline none of whose media can be read is bad input: name the first such file."""
    from cinegrade.timeline.shots import GENERATOR

    with_media = [s for s in shots if s.media_kind != GENERATOR]
    if not with_media or any(getattr(stats.get(s.index), "analysed", False) for s in with_media):
        return
    first = with_media[0]
    where = first.media_path or first.media_url or first.clip_name
    reason = getattr(stats.get(first.index), "reason", None) or "cannot be read"
    reason = "missing" if where in reason and "missing" in reason else reason
    raise InputError(f"{reason}, and no other shot's media can be read either", where)


# --------------------------------------------------------------------------------------------
# info, convert


def describe_timeline(timeline: str | os.PathLike, *, reading: Reading | None = None,
                      on_note: Notes = None) -> dict:
    """Tracks, clips, record/source timecodes and what each clip's media is (probed, never
    decoded): the document ``cinegrade info --json`` prints (schema: :mod:`cinegrade.cli.info`)."""
    from cinegrade.timeline.describe import describe

    loaded, used = _load(timeline, reading, on_note)
    return describe(loaded, os.fspath(timeline), used)


@dataclass(frozen=True)
class Converted:
    """What :func:`convert_timeline` wrote: the file, the adapters, the clips and tracks written,
    the previous file's backup (or None) and what the target format could not carry."""

    path: Path
    reader: str
    writer: str
    clips: int
    tracks: int
    backup: Path | None
    losses: tuple[str, ...]
    #: the OTIO timeline as written (or as read, where nothing was written)
    otio_timeline: Any = None


def convert_timeline(source: str | os.PathLike, target: str | os.PathLike, *,
                     reading: Reading | None = None, target_adapter: str | None = None,
                     target_args: Mapping[str, Any] | None = None, overwrite: bool = False,
                     kdenlive_version: str | None = None, on_note: Notes = None) -> Converted:
    """Convert the timeline ``source`` to ``target`` with any two OTIO adapters; the target's
    losses are measured (written, read back, compared), not guessed. ``reading.rate`` applies to
    whichever side takes a frame rate. Raises :class:`InputError` (fields ``rate``,
    ``overwrite``) for bad input. ``kdenlive_version`` ("1.04" or "1.1"): the document version of
    a new Kdenlive project (default: the newest the installed Kdenlive opens, else 1.1)."""
    from cinegrade.timeline.files import (
        adapter_arguments,
        carry_report,
        check_readable,
        find_adapter,
        parse_rate,
        takes_rate,
        timeline_for_adapter,
        write_timeline,
    )

    reading = reading or Reading()
    check_readable(source)
    reader = find_adapter(source, reading.adapter)
    writer = find_adapter(target, target_adapter, writing=True)
    write_args = {**_writing_args(target, target_adapter, kdenlive_version), **(target_args or {})}
    if reading.rate is not None:
        parse_rate(reading.rate)
        if not takes_rate(reader) and not takes_rate(writer, writing=True):
            raise InputError(f"{{field}} does not apply: neither {reader.name} nor {writer.name} "
                             "takes a frame rate", field="rate")
    _refuse_input_as_output(source, target)
    if os.path.exists(target) and not overwrite:
        raise OutputExists(target, f"the old file is kept as {os.path.basename(target)}.bak")
    rate_in = reading.rate if takes_rate(reader) else None
    timeline, _ = _load(source, Reading(reader.name, rate_in, reading.adapter_args,
                                        reading.sequence), on_note)
    if reading.rate is not None and takes_rate(writer, writing=True):
        write_args["rate"] = reading.rate
    checked = adapter_arguments(writer, write_args.pop("rate", None), write_args, target,
                                writing=True)
    fitted = timeline_for_adapter(timeline, writer.name, **checked)
    losses = carry_report(timeline, writer.name, **checked)
    backup = write_timeline(fitted, target, writer.name, overwrite=overwrite, **checked)
    return Converted(Path(target), reader.name, writer.name, sum(1 for _ in fitted.find_clips()),
                     len(fitted.tracks), backup, tuple(losses), fitted)


# --------------------------------------------------------------------------------------------
# analyze


@dataclass(frozen=True)
class Analysis:
    """Every shot's statistics (:class:`~cinegrade.analysis.run.ShotAnalysis`, in timeline
    order) and the sampling settings."""

    timeline: str
    settings: Any
    shots: tuple

    def to_json(self) -> dict:
        """The document ``cinegrade analyze --json`` writes (schema: :mod:`cinegrade.cli.analyze`)."""
        s = self.settings
        return {"version": JSON_VERSION, "timeline": self.timeline,
                "settings": {"samples": s.samples, "width": s.width, "fast": s.fast,
                             "dense": s.dense, "dense_width": s.dense_width},
                "shots": [_shot_json(result) for result in self.shots]}


def _shot_json(result) -> dict:
    shot = result.shot

    def frames(r) -> dict:
        return {"start": r.start, "duration": r.duration, "rate": r.rate}

    return {"index": shot.index, "track": shot.track_index, "index_in_track": shot.index_in_track,
            "clip": shot.clip_name, "scene": shot.scene,
            "media": {"kind": shot.media_kind, "path": shot.media_path},
            "source": frames(shot.source), "record": frames(shot.record),
            "sampled_frames": list(result.frames), "cached": result.cached,
            "stats": result.stats.to_json()}


def analyze_timeline(timeline: str | os.PathLike, *, samples: int = 5, width: int = 480,
                     fast: bool = False, reading: Reading | None = None,
                     work: ShotWork | None = None, on_note: Notes = None) -> Analysis:
    """Measure every shot of ``timeline``: ``samples`` frames per shot at ``width`` pixels
    (``fast``: the nearest keyframes instead of exact frames) → exposure, white balance,
    saturation, contrast, clipping, CIELAB, flicker (units: :mod:`cinegrade.analysis.stats`).
    A shot whose media cannot be read is listed with its reason, not raised."""
    from cinegrade.analysis.run import analyse_shots
    from cinegrade.analysis.sampler import SampleSettings
    from cinegrade.timeline.shots import shots_from_timeline

    work = work or ShotWork()
    settings = SampleSettings(samples=samples, width=width, fast=fast)
    loaded, _ = _load(timeline, reading, on_note)
    shots = shots_from_timeline(loaded, timeline)
    with work.progress_of(len(shots), "analysing") as progress, work.pool(len(shots)) as pool:
        results = analyse_shots(shots, settings, pool, work.cache(), progress)
    return Analysis(os.fspath(timeline), settings, tuple(results))


# --------------------------------------------------------------------------------------------
# check


@dataclass(frozen=True)
class Check:
    """A continuity check: the result (:class:`~cinegrade.continuity.run.ContinuityResult`:
    shots, statistics, cuts, scenes, warnings worst first), what was written."""

    timeline: str
    scene_by: str
    settings: Any
    result: Any
    output: Path | None = None
    report: Path | None = None
    #: the OTIO timeline as written (or as read, where nothing was written)
    otio_timeline: Any = None

    @property
    def warnings(self) -> tuple:
        return self.result.warnings

    def failing(self, fail_on: str) -> bool:
        """Whether a warning of severity ``fail_on`` ("warning" or "error") or worse was found
        (info findings never count)."""
        from cinegrade.continuity.rules import failing

        return failing(self.result.warnings, fail_on)

    def to_json(self) -> dict:
        """The document ``cinegrade check --json`` writes (schema: :mod:`cinegrade.cli.check`)."""
        return {"version": JSON_VERSION, "timeline": self.timeline, "scene_by": self.scene_by,
                "settings": asdict(self.settings),
                "warnings": [w.to_json() for w in self.result.warnings],
                "cuts": [{"before": c.before.clip_name, "after": c.after.clip_name,
                          "record_frame": c.after.record.start, "scene": c.scene,
                          "measure": c.measure.to_json()} for c in self.result.cuts],
                "within_shot": _within_shot_json(self.result)}


def _within_shot_json(result) -> list[dict]:
    """Each shot measured along its length (:func:`cinegrade.continuity.creep.along_json`)."""
    from cinegrade.continuity.creep import along_json

    return [{"clip": s.clip_name, "clip_index": s.index, "record_frame": s.record.start,
             **along_json(result.along[s.index])} for s in result.shots if s.index in result.along]


def check_timeline(timeline: str | os.PathLike, *, settings=None, scene_by: str = "markers",
                   output: str | os.PathLike | None = None, overwrite: bool = False,
                   report: str | os.PathLike | None = None, reading: Reading | None = None,
                   work: ShotWork | None = None, kdenlive_version: str | None = None,
                   on_note: Notes = None, evidence: Sequence[str] | None = None,
                   within_shot: bool = True) -> Check:
    """Check ``timeline`` for continuity breaks between and within shots, with ``settings``
    (:class:`~cinegrade.continuity.rules.ContinuitySettings`; default thresholds) and scenes by
    ``scene_by`` (:data:`~cinegrade.timeline.scenes.SCENE_GROUPINGS`). ``output``: the timeline
    with a marker per warning (cinegrade's earlier markers replaced); ``report``: a
    self-contained HTML page. ``evidence``: the sources (:data:`cinegrade.evidence.base.EVIDENCE_SOURCES`)
    cuts that share no pixels are measured with (None: all; empty: none, such cuts are judged on
    whole frames and only hinted at). ``within_shot``: each shot is also measured along its
    length, for the drift inside it (rules ``creep_within_shot`` and ``flicker_along``, markers
    where the creep starts); False skips that. Raises :class:`InputError` when no shot's media
    can be read, :class:`ChoiceError` (field ``evidence``) for an unknown source."""
    from cinegrade.continuity.rules import ContinuitySettings
    from cinegrade.continuity.run import run_continuity
    from cinegrade.media.probe import probe_shots
    from cinegrade.timeline.effects import clip_grade
    from cinegrade.timeline.scenes import SCENE_GROUPINGS
    from cinegrade.timeline.shots import shots_from_timeline

    work = work or ShotWork()
    settings = settings or ContinuitySettings()
    if scene_by not in SCENE_GROUPINGS:
        raise ChoiceError("scene_by", scene_by, tuple(SCENE_GROUPINGS))
    _check_evidence(evidence)
    if output is not None:
        _refuse_input_as_output(timeline, output)
    loaded, _ = _load(timeline, reading, on_note)
    shots = tuple(s for s in shots_from_timeline(loaded, timeline) if s.enabled)
    graded = sum(1 for clip in loaded.find_clips() if clip_grade(clip))
    if graded and on_note is not None:
        on_note(f"{graded} clip(s) carry cinegrade's grade: check measures their media as they are, "
                "without it (the check of the graded result is grade's --report)")
    probes = probe_shots(shots, work.cache())
    # every shot is counted once for its statistics and views, and once along its length
    with work.progress_of(len(shots) * (2 if within_shot else 1), "checking") as progress, \
            work.pool(len(shots)) as pool:
        result = run_continuity(shots, settings, scene_by, probes, executor=pool,
                                cache=work.cache(), progress=progress,
                                all_views=report is not None, evidence=evidence,
                                within_shot=within_shot)
    _require_readable_media(shots, result.stats)
    if output is not None:
        from cinegrade.timeline.files import write_timeline
        from cinegrade.timeline.markers import add_markers

        add_markers(loaded, result.shots, result.warnings)
        write_timeline(loaded, output, overwrite=overwrite,
                       **_writing_args(output, None, kdenlive_version))
    if report is not None:
        from cinegrade.continuity.report import write_report

        write_report(report, result, title=os.path.basename(timeline))
    return Check(os.fspath(timeline), scene_by, settings, result,
                 Path(output) if output is not None else None,
                 Path(report) if report is not None else None, loaded)


# --------------------------------------------------------------------------------------------
# grade, match, look


@dataclass(frozen=True)
class Graded:
    """What :func:`grade_timeline` did: each shot's :class:`~cinegrade.grade.grade.Grade` by
    shot index, the .cube written for each graded shot, the measurements behind the matches
    (:class:`~cinegrade.grade.pipeline.TimelineMatch`, None for a look alone), the files."""

    shots: tuple
    grades: Mapping[int, Any]
    cubes: Mapping[int, Path]
    found: Any
    output: Path
    report: Path | None = None
    #: the OTIO timeline as written (or as read, where nothing was written)
    otio_timeline: Any = None
    #: a look from a still measured on the shots (:func:`look_timeline` with a report)
    still: Any = None

    @property
    def grades_folder(self) -> Path:
        from cinegrade.grade.grade import grades_folder

        return grades_folder(self.output)


def grade_timeline(timeline: str | os.PathLike, output: str | os.PathLike, *,
                   match: bool = True, reference: str | None = None, method: str = "lut",
                   strength: float = 1.0, scene_by: str = "markers", look: str | None = None,
                   look_strength: float = 1.0, keep_look: bool = True, lut_size: int = 33,
                   report: str | os.PathLike | None = None, overwrite: bool = False,
                   reading: Reading | None = None, work: ShotWork | None = None,
                   kdenlive_version: str | None = None, on_note: Notes = None,
                   evidence: Sequence[str] | None = None, within_shot: bool = True) -> Graded:
    """Match every shot of ``timeline`` to its scene's reference, lay ``look`` over the film,
    and write the graded timeline to ``output`` with one .cube per graded clip in
    ``<output stem>.grades/`` (Kdenlive: Apply LUT on the clip; ``method="cdl"``: the ASC CDL as
    a live effect the editor can tweak — Kdenlive's SOP/Sat, then an Apply LUT with the look
    alone, ``<nnn>-<clip>-after-cdl.cube`` — and in ``clip.metadata["cdl"]`` too) and, with
    ``report``, an HTML check of the graded result.

    - ``match`` False: keep each clip's earlier match (:func:`look_timeline`); ``look`` None
      with ``keep_look``: keep each clip's earlier look (:func:`match_timeline`).
    - ``reference``: the clip its scene is matched to (default: a clip marked "reference", else
      the shot nearest the scene's median); ``method``: "lut" or "cdl"; ``strength`` and
      ``look_strength`` in [0, 1]; ``scene_by``: :data:`~cinegrade.timeline.scenes.SCENE_GROUPINGS`;
      ``look``: a shipped look's name (:mod:`cinegrade.luts.looks`) or a .cube file;
      ``lut_size``: 33 or 65; ``kdenlive_version`` ("1.04", "1.1"): the document version of a
      new Kdenlive project (default: the newest the installed Kdenlive opens, else 1.1);
      ``evidence``: the sources (:data:`cinegrade.evidence.base.EVIDENCE_SOURCES`) a shot that
      shares no pixels with its scene is matched on, jointly over the scene (None: all; empty:
      none, whole-shot statistics only).
    - ``within_shot``: each shot is measured along its length, and a shot that creeps
      (:mod:`cinegrade.grade.hold`) is held to its start by a correction that changes over time
      — CDL keyframes (Kdenlive: a SOP/Sat with keyframes; OTIO: the grade's metadata), its
      match measured on frames held so; False: one static correction per shot. With ``match``
      False a clip's earlier keyframes are kept.

    Raises :class:`InputError` for bad input, a look that cannot be read, an existing
    ``output`` without ``overwrite``, or a timeline none of whose media can be read.
    """
    from cinegrade.grade.effects import attach_grade, match_from_metadata
    from cinegrade.grade.grade import LUT_SIZES, Grade, write_after_cdl_cubes, write_grade_cubes
    from cinegrade.grade.hold import shot_keyframes
    from cinegrade.matching.match import METHODS
    from cinegrade.timeline.effects import clip_grade, rebase_grade, relative_cube, remove_grade
    from cinegrade.timeline.files import check_readable, write_timeline
    from cinegrade.timeline.scenes import MODES
    from cinegrade.timeline.shots import clip_of, shots_from_timeline

    work = work or ShotWork()
    if method not in METHODS:
        raise ChoiceError("method", method, METHODS)
    if scene_by not in MODES:
        raise ChoiceError("scene_by", scene_by, MODES)
    _check_evidence(evidence)
    if int(lut_size) not in LUT_SIZES:
        raise ChoiceError("lut_size", str(lut_size), tuple(map(str, LUT_SIZES)))
    for name, value in (("strength", strength), ("look_strength", look_strength)):
        if not 0.0 <= float(value) <= 1.0:
            raise RangeError(name, float(value), 0, 1)
    look_lut = None
    if look is not None:
        from cinegrade.luts.looks import resolve_look

        look_lut = resolve_look(look)  # a bad look fails before any work
    check_readable(timeline)
    _refuse_input_as_output(timeline, output)
    if os.path.exists(output) and not overwrite:
        raise OutputExists(output, f"the old file is kept as {os.path.basename(output)}.bak")
    loaded, _ = _load(timeline, reading, on_note)
    every_shot = shots_from_timeline(loaded, timeline)
    shots = tuple(s for s in every_shot if s.enabled)
    earlier = {s.index: clip_grade(clip_of(loaded, s)) for s in shots}
    base = str(Path(timeline).resolve().parent)
    for shot in every_shot:  # disabled clips keep their grade, wherever the output goes
        if not shot.enabled:
            rebase_grade(clip_of(loaded, shot), base, output)

    found = None
    matches: dict = {}
    if match or report is not None:
        from cinegrade.grade.pipeline import measure_and_match

        with work.progress_of(len(shots), "measuring") as progress, \
                work.pool(len(shots)) as pool:
            found = measure_and_match(loaded, shots, reference=reference, method=method,
                                      strength=strength, scene_by=scene_by, cache=work.cache(),
                                      match=match, executor=pool, progress=progress,
                                      evidence=evidence, within_shot=within_shot)
        if match:
            _require_readable_media(shots, found.stats)
        matches = dict(found.matches)
    grades = {}
    for shot in shots:
        before = earlier.get(shot.index) or {}
        shot_match = matches.get(shot.index) if match else \
            match_from_metadata(shot.index, shot.clip_name, before)
        shot_look, strength_of_look = look, look_strength
        if look is None and keep_look and before.get("look"):
            shot_look, strength_of_look = before["look"], float(before.get("look_strength", 1.0))
        keyframes = shot_keyframes(shot, shot_match, found.holds if found is not None else {},
                                   found.views if found is not None else {}, before, match)
        grades[shot.index] = Grade(shot.index, shot.clip_name, shot_match, shot_look,
                                   strength_of_look,
                                   look_lut if look is not None and shot_look == look else None,
                                   keyframes)
    cubes = write_grade_cubes(list(grades.values()), output, int(lut_size))
    after_cdl = write_after_cdl_cubes(list(grades.values()), output, int(lut_size))
    for shot in shots:
        clip = clip_of(loaded, shot)
        if shot.index in cubes:  # method cdl: the CDL live (Kdenlive: SOP/Sat), then the rest
            after = relative_cube(after_cdl[shot.index], output) if shot.index in after_cdl else None
            attach_grade(clip, grades[shot.index], relative_cube(cubes[shot.index], output), after, live=True)
        else:
            remove_grade(clip)
    write_timeline(loaded, output, overwrite=overwrite,
                   **_writing_args(output, None, kdenlive_version))
    if report is not None and found is not None:
        from cinegrade.grade.pipeline import graded_continuity
        from cinegrade.grade.report import grade_report
        from cinegrade.media.atomic import write_text_atomically

        with work.progress_of(len(shots), "checking the grade") as progress, \
                work.pool(len(shots)) as pool:
            result = graded_continuity(found, grades, executor=pool, cache=work.cache(),
                                       progress=progress)
        write_text_atomically(report, grade_report(result, grades,
                                                   f"{os.path.basename(output)} (graded)",
                                                   found.along))
    return Graded(shots, grades, cubes, found, Path(output),
                  Path(report) if report is not None else None, loaded)


def _check_evidence(evidence: Sequence[str] | None) -> None:
    """:class:`ChoiceError` (field ``evidence``) for a source that is not registered."""
    if evidence:
        from cinegrade.evidence.run import EVIDENCE_SOURCES

        for name in evidence:
            if name not in tuple(EVIDENCE_SOURCES):
                raise ChoiceError("evidence", name, tuple(EVIDENCE_SOURCES))


def match_timeline(timeline: str | os.PathLike, output: str | os.PathLike, **options) -> Graded:
    """:func:`grade_timeline` with no new look (a look an earlier run laid is kept)."""
    return grade_timeline(timeline, output, match=True, look=None, keep_look=True, **options)


def look_timeline(timeline: str | os.PathLike, look: str | None, output: str | os.PathLike, *,
                  strength: float = 1.0, from_still: str | os.PathLike | None = None,
                  **options) -> Graded:
    """:func:`grade_timeline` laying ``look`` (a shipped look's name, a kept look's or a .cube)
    at ``strength`` over every shot, keeping the matches an earlier run made.

    ``from_still`` (with ``look`` None): the look of that image file — its tone curve and
    palette (:func:`cinegrade.luts.looks.look_from_still`), fitted to this timeline's shots (the
    transfer from their pooled distributions, three frames a shot, to the still's), written as
    ``<output stem>.grades/look-from-<still>.cube``, which the clips' grades then name. With
    ``report``, the report also shows the still beside the shots before and after, with their
    distances to it (``Graded.still``: :class:`~cinegrade.grade.report.StillComparison`). A
    look the user kept from a still (:func:`keep_look_from_still`) is fitted the same way, at its
    kept strength times ``strength``, as ``look-<name>.cube`` (its kept .cube is fitted to
    reference photographs, for use without footage: Kdenlive's effect list, ``grade --look``).
    :class:`InputError`: both or neither of ``look`` and ``from_still`` (field ``from_still``),
    an unreadable image (its file), and as :func:`grade_timeline`; nothing is written then."""
    from cinegrade.luts.looks import LOOKS, kept_look_still

    if from_still is None:
        if look is None:
            raise InputError("give a look or {field} (an image to take a look from)", field="from_still")
        kept = kept_look_still(look) if look not in LOOKS else None
        if kept is None:
            return grade_timeline(timeline, output, match=False, look=look, look_strength=strength,
                                  **options)
        if not 0.0 <= float(strength) <= 1.0:
            raise RangeError("strength", float(strength), 0, 1)
        return _look_from_still(timeline, kept[0], output, float(strength) * kept[1], kept_as=look, **options)
    return _look_from_still(timeline, Path(from_still), output, strength, look=look, **options)


def _look_from_still(timeline: str | os.PathLike, still: Path, output: str | os.PathLike,
                     strength: float, *, look: str | None = None, kept_as: str | None = None,
                     overwrite: bool = False, report: str | os.PathLike | None = None, **options) -> Graded:
    """``look_timeline`` with the look of ``still`` fitted to the timeline's shots; ``kept_as``:
    the name of the kept look it came from (:func:`keep_look_from_still`)."""
    from cinegrade.grade.grade import grades_folder
    from cinegrade.luts.kdenlive import slug
    from cinegrade.luts.looks import look_from_still
    from cinegrade.media.cube import write_cube
    from cinegrade.media.stills import read_still
    from cinegrade.timeline.files import check_readable

    if look is not None:
        raise InputError("give a look or {field}, not both", field="from_still")
    if not 0.0 <= float(strength) <= 1.0:
        raise RangeError("strength", float(strength), 0, 1)
    check_readable(timeline)  # what grade_timeline refuses, refused before the look is written
    _refuse_input_as_output(timeline, output)
    if os.path.exists(output) and not overwrite:
        raise OutputExists(output, f"the old file is kept as {os.path.basename(output)}.bak")
    lut = look_from_still(still, source=_shots_palette(timeline, options.get("reading"), options.get("on_note")))
    stem = f"look-{slug(kept_as)}" if kept_as else f"look-from-{slug(still.stem) or 'still'}"
    cube = (grades_folder(output) / f"{stem}.cube").absolute()
    created = not cube.exists()
    cube.parent.mkdir(parents=True, exist_ok=True)
    made = f"your look {kept_as!r}, kept from a still" if kept_as else f"the still {still.name}"
    write_cube(lut, cube, (f"The look of {made}, fitted to these shots (cinegrade look)",
                           "Display-referred Rec.709 in and out."))
    try:
        graded = grade_timeline(timeline, output, match=False, look=os.fspath(cube),
                                look_strength=strength, overwrite=overwrite, report=report, **options)
    except BaseException:
        if created:
            cube.unlink(missing_ok=True)
        raise
    if report is None or graded.found is None:
        return graded
    from cinegrade.grade.report import compare_to_still, still_section, with_section
    from cinegrade.media.atomic import write_text_atomically

    comparison = compare_to_still(read_still(still), still.name, strength, graded.shots,
                                  graded.found.views, graded.grades)
    page = Path(report).read_text(encoding="utf-8")
    write_text_atomically(report, with_section(page, still_section(comparison, graded.shots)))
    from dataclasses import replace

    return replace(graded, still=comparison)


def _shots_palette(timeline: str | os.PathLike, reading: Reading | None, on_note: Notes):
    """The pooled :class:`~cinegrade.colour.still_look.Palette` of the timeline's enabled shots
    (three frames each at 320 px, each shot weighing the same), None when none can be read."""
    import numpy as np

    from cinegrade.analysis.sampler import SampleSettings, sample_shots
    from cinegrade.colour.still_look import Palette, palette_of
    from cinegrade.timeline.shots import shots_from_timeline

    loaded, _ = _load(timeline, reading, on_note)
    by_media: dict = {}
    for shot in shots_from_timeline(loaded, timeline):
        if shot.enabled:
            by_media.setdefault((shot.media_path, shot.media_kind), []).append(shot)
    settings = SampleSettings(samples=3, width=320, dense=0)
    palettes = [palette_of(np.concatenate([f.reshape(-1, 3) for f in samples.frames]))
                for group in by_media.values() for _, samples in sample_shots(group, settings)
                if not isinstance(samples, str) and samples.frames]
    return Palette.pooled(palettes) if palettes else None


@dataclass(frozen=True)
class KeptLook:
    """What :func:`keep_look_from_still` wrote: the look's name, its .cube, its strength, the
    still it came from."""

    name: str
    cube: Path
    strength: float
    still: Path


def keep_look_from_still(still: str | os.PathLike, name: str, *, strength: float = 1.0,
                         data_home: str | os.PathLike | None = None, overwrite: bool = False) -> KeptLook:
    """Keep the look of the image file ``still`` (:func:`cinegrade.luts.looks.look_from_still`)
    at ``strength`` (baked in) as the user's look ``name``: a .cube in
    ``<data home>/cinegrade/looks/`` (XDG data home) that :func:`look_timeline`,
    :func:`grade_timeline` and :func:`install_kdenlive_looks` then take by name.
    :class:`InputError`: an unreadable image (its file), ``strength`` outside 0..1, a name that is
    a shipped look's or has no letter or digit (``name``), a kept look of that name without
    ``overwrite``; nothing is written then."""
    from cinegrade.luts.looks import blend_look, keep_user_look, look_from_still, user_look_path

    if not 0.0 <= float(strength) <= 1.0:
        raise RangeError("strength", float(strength), 0, 1)
    still = Path(still)
    existing = user_look_path(name, data_home)
    if existing is not None and not overwrite:
        raise OutputExists(existing, "a look of that name is kept there")
    lut = blend_look(look_from_still(still), float(strength))
    at = "" if float(strength) >= 1.0 else f" at {float(strength):g}"
    path = keep_user_look(lut, name, f"The look of the still {still.name}{at} (cinegrade looks --from-still)",
                          data_home, overwrite, still=still, still_strength=float(strength))
    return KeptLook(name.strip(), path, float(strength), still)


# --------------------------------------------------------------------------------------------
# export


@dataclass(frozen=True)
class Exported:
    """What :func:`export_grades` wrote: how many grades, where, the graded clips that carry
    no CDL (graded with method "lut": only their .cube can go), and what the target cannot carry
    (``not_carried``, one line each: a grade whose CDL changes along the clip goes as one)."""

    count: int
    target: Path
    without_cdl: tuple[str, ...] = field(default=())
    not_carried: tuple[str, ...] = field(default=())


#: The arguments of :func:`export_grades` of which exactly one is given (an error's field).
EXPORT_TARGETS = "ccc, cdl_dir, edl or lut_dir"


def export_grades(timeline: str | os.PathLike, *, ccc: str | os.PathLike | None = None,
                  cdl_dir: str | os.PathLike | None = None, edl: str | os.PathLike | None = None,
                  lut_dir: str | os.PathLike | None = None, overwrite: bool = False,
                  reading: Reading | None = None, on_note: Notes = None) -> Exported:
    """Hand a graded timeline's grades to a grading system; exactly one target:

    - ``ccc``: one ASC CDL ``ColorCorrectionCollection``, a ``ColorCorrection`` per clip with a
      CDL (id = the clip's name, made unique);
    - ``cdl_dir``: one ``.cdl`` (``ColorDecisionList`` with the clip's media as ``MediaRef``)
      per clip with a CDL;
    - ``edl``: a CMX 3600 EDL whose events carry ``*ASC_SOP`` and ``*ASC_SAT``;
    - ``lut_dir``: each graded clip's .cube, copied as ``<clip>.cube``; a live CDL (Kdenlive's
      SOP/Sat, perhaps changed by the editor) baked with the .cube after it into one 65³ .cube.

    None of them carries a CDL that changes along a clip (keyframes): such a clip goes with its
    static grade, and a line in ``not_carried`` (also heard by ``on_note``) says so.

    Raises :class:`InputError` (field :data:`EXPORT_TARGETS` when not exactly one is given, ``overwrite``
    for an existing file)."""
    from cinegrade.grade.apply import correction_ids
    from cinegrade.grade.effects import whole_grade_lut
    from cinegrade.media.atomic import write_bytes_atomically
    from cinegrade.media.cdl_files import CDLDocument, ColorCorrection, write_cdl_file
    from cinegrade.media.cube import write_cube
    from cinegrade.timeline.effects import cdl_to_otio_metadata, clip_cdl, clip_grade, cube_path
    from cinegrade.timeline.files import write_timeline
    from cinegrade.timeline.shots import clip_of, shots_from_timeline

    targets = [t for t in (ccc, cdl_dir, edl, lut_dir) if t]
    if len(targets) != 1:
        raise InputError("give exactly one of {field}", field=EXPORT_TARGETS)
    reading = reading or Reading()
    loaded, _ = _load(timeline, reading, on_note)
    shots = shots_from_timeline(loaded, timeline)
    base = str(Path(timeline).resolve().parent)
    names = [shot.clip_name for shot in shots]

    def refuse_existing(path: Path) -> None:
        if path.exists() and not overwrite:
            raise OutputExists(path, "nothing else was written")

    done, without = 0, []
    if ccc or cdl_dir:
        corrections = []
        cdls = [clip_cdl(clip_of(loaded, shot)) for shot in shots]
        for shot, cdl, id in zip(shots, cdls, correction_ids(names, [c is not None for c in cdls])):
            if cdl is None:
                if clip_grade(clip_of(loaded, shot)):
                    without.append(shot.clip_name)
                continue
            corrections.append(ColorCorrection(cdl, id=id, media_ref=shot.media_url or shot.media_path))
        if ccc:
            refuse_existing(Path(ccc))
            write_cdl_file(ccc, CDLDocument(tuple(corrections), kind="ccc"), "ccc")
        else:
            folder = Path(cdl_dir)
            paths = [folder / f"{c.id}.cdl" for c in corrections]
            for path in paths:
                refuse_existing(path)
            folder.mkdir(parents=True, exist_ok=True)
            for correction, path in zip(corrections, paths):
                write_cdl_file(path, CDLDocument((correction,), kind="cdl"), "cdl")
        done = len(corrections)
    elif edl:
        for shot in shots:
            clip = clip_of(loaded, shot)
            cdl = clip_cdl(clip)
            if cdl is not None:
                clip.metadata["cdl"] = cdl_to_otio_metadata(cdl)
                done += 1
            elif clip_grade(clip):
                without.append(shot.clip_name)
        rate = {"rate": reading.rate} if reading.rate else {}
        write_timeline(loaded, edl, "cmx_3600", overwrite=overwrite, **rate)
    else:
        folder = Path(lut_dir)
        copies, baked = [], []
        grades = [clip_grade(clip_of(loaded, shot)) for shot in shots]
        whole = [whole_grade_lut(g, base) for g in grades]  # a live CDL and its look, as one
        exported = [bool(g and g.get("cube")) or lut is not None for g, lut in zip(grades, whole)]
        for grade, lut, id, out in zip(grades, whole, correction_ids(names, exported), exported):
            if not out:
                continue
            path = folder / f"{id}.cube"
            refuse_existing(path)
            if lut is not None:
                baked.append((lut, path))
                continue
            source = Path(cube_path(grade["cube"], base))
            if not source.is_file():
                raise InputError("the grade's .cube is missing", source)
            copies.append((source, path))
        folder.mkdir(parents=True, exist_ok=True)
        for source, path in copies:
            write_bytes_atomically(path, source.read_bytes())
        for lut, path in baked:
            write_cube(lut, path, ("Display-referred Rec.709 in and out (cinegrade export): the clip's live "
                                   "ASC CDL and what follows it, baked",))
        done = len(copies) + len(baked)
    varying = [s.clip_name for s in shots if (clip_grade(clip_of(loaded, s)) or {}).get("keyframes")]
    not_carried = (f"{Path(targets[0]).name}: the CDL of {len(varying)} clip(s) changes over time "
                   f"(keyframes), which is not carried; each goes with its static grade: "
                   f"{', '.join(varying[:8])}{' …' if len(varying) > 8 else ''}",) if varying else ()
    for line in not_carried:
        if on_note is not None:
            on_note(line)
    return Exported(done, Path(targets[0]), tuple(without), not_carried)


# --------------------------------------------------------------------------------------------
# apply: grades coming back from a grading system


@dataclass(frozen=True)
class Applied:
    """What :func:`apply_grades` did: which grade went on which clip and by which key
    (``mapping``: :class:`~cinegrade.grade.apply.GradeMapping`, with the clips without a grade
    and the grades without a clip), each matched clip's new grade and .cube (``grades``:
    :class:`~cinegrade.grade.apply.AppliedGrade`, timeline order), the files."""

    timeline: str
    source: Path
    look: str
    live: bool
    mapping: Any
    grades: tuple
    output: Path
    #: the OTIO timeline as written
    otio_timeline: Any = None

    @property
    def grades_folder(self) -> Path:
        from cinegrade.grade.grade import grades_folder

        return grades_folder(self.output)

    def to_json(self) -> dict:
        """The document ``cinegrade apply --json`` prints (schema: :mod:`cinegrade.cli.apply`)."""
        from cinegrade.grade.apply import mapping_json

        return {"version": JSON_VERSION, "timeline": self.timeline, "source": os.fspath(self.source),
                "output": os.fspath(self.output), "look": self.look, "live_cdl": self.live,
                **mapping_json(self.mapping, self.grades)}


#: The arguments of :func:`apply_grades` of which exactly one is given (an error's field).
APPLY_SOURCES = "cdl, cdl_dir or edl"


def apply_grades(timeline: str | os.PathLike, output: str | os.PathLike, *,
                 cdl: str | os.PathLike | None = None, cdl_dir: str | os.PathLike | None = None,
                 edl: str | os.PathLike | None = None, look: str = "keep", live: bool = False,
                 lut_size: int = 65, overwrite: bool = False, reading: Reading | None = None,
                 kdenlive_version: str | None = None, on_note: Notes = None) -> Applied:
    """Put the grades a grading system sent back on the clips of ``timeline`` and write it to
    ``output``; exactly one source:

    - ``cdl``: a .ccc, a .cdl (``ColorDecisionList``) or a .cc file;
    - ``cdl_dir``: a folder of .cc/.cdl (and .ccc) files, typically one per clip;
    - ``edl``: a CMX 3600 EDL whose events carry ``*ASC_SOP``/``*ASC_SAT`` (read at
      ``reading.rate``, else the timeline's rate).

    Grades are matched to clips by ``ColorCorrection`` id (as :func:`export_grades` gives them),
    clip name, reel or media file name (:mod:`cinegrade.grade.apply`); each matched clip gets the
    CDL as cinegrade's grade, baked into ``<output stem>.grades/<nnn>-<clip>.cube`` at
    ``lut_size``³ (33 or 65; 65 keeps the CDL within a code value of OpenColorIO's) with the
    clip's earlier look after it (``look`` "keep") or without it ("replace"), and in
    ``clip.metadata["cdl"]``: Kdenlive gets the Apply LUT (and a disabled SOP/Sat with the CDL),
    an EDL ``*ASC_SOP``/``*ASC_SAT``. ``live``: the CDL as a live effect instead, as ``grade
    --method cdl`` writes it (Kdenlive: an enabled SOP/Sat the editor can tweak, which a
    re-read gives back as the CDL, then the look's .cube; frei0r renders it through 8-bit
    tables, within about 2 code values). Unmatched clips keep their grade.

    Raises :class:`InputError` (field :data:`APPLY_SOURCES` unless exactly one source is given,
    ``look``, ``lut_size``, ``overwrite`` for an existing ``output``) for a grade file or folder
    that cannot be read, or holds no grade, and when ``output`` is an input; nothing is written
    then.
    """
    from cinegrade.grade.apply import (
        LOOK_CHOICES,
        map_grades,
        put_grades,
        read_cdl_folder,
        read_cdl_grades,
        read_edl_grades,
        timeline_clips,
    )
    from cinegrade.grade.grade import LUT_SIZES
    from cinegrade.timeline.files import check_readable, find_adapter, takes_rate, write_timeline
    from cinegrade.timeline.shots import shots_from_timeline, timeline_rate

    sources = [s for s in (cdl, cdl_dir, edl) if s]
    if len(sources) != 1:
        raise InputError("give exactly one of {field}", field=APPLY_SOURCES)
    if look not in LOOK_CHOICES:
        raise ChoiceError("look", look, LOOK_CHOICES)
    if int(lut_size) not in LUT_SIZES:
        raise ChoiceError("lut_size", str(lut_size), tuple(map(str, LUT_SIZES)))
    check_readable(timeline)
    for source in (timeline, *sources):
        _refuse_input_as_output(source, output)
    if os.path.exists(output) and not overwrite:
        raise OutputExists(output, f"the old file is kept as {os.path.basename(output)}.bak")
    find_adapter(output, None, writing=True)  # no writer for OUT: say so before reading anything
    if not Path(output).resolve().parent.is_dir():
        raise InputError("the folder to write into does not exist", output)
    reading = reading or Reading()
    if cdl:
        grades = read_cdl_grades(cdl)
    elif cdl_dir:
        grades = read_cdl_folder(cdl_dir)
    loaded, used = _load(timeline, reading, on_note)
    if edl:
        rate = reading.rate if reading.rate is not None and takes_rate(find_adapter(timeline, used)) \
            else timeline_rate(loaded)
        grades = read_edl_grades(edl, rate)
    shots = shots_from_timeline(loaded, timeline)
    mapping = map_grades(timeline_clips(loaded, shots), grades)
    applied = put_grades(loaded, shots, mapping, look, timeline, output, int(lut_size), live)
    write_timeline(loaded, output, overwrite=overwrite,
                   **_writing_args(output, None, kdenlive_version))
    return Applied(os.fspath(timeline), Path(sources[0]), look, bool(live), mapping, applied,
                   Path(output), loaded)


# --------------------------------------------------------------------------------------------
# looks in Kdenlive


def install_kdenlive_looks(look: str | Sequence[str] | None = None, *, cube: str | os.PathLike | None = None,
                           name: str | None = None, strength: float = 1.0,
                           data_home: str | os.PathLike | None = None, overwrite: bool = False):
    """Install looks as Kdenlive custom effects ("cinegrade – Sepia" in the Effects panel, under
    Custom): every shipped look, those named by ``look`` (a look the user kept,
    :func:`keep_look_from_still`, goes as its own .cube under its name), or the user's ``cube``
    as ``name``; see :func:`cinegrade.luts.kdenlive.install_kdenlive_looks`. Returns
    ``KdenliveLooks``."""
    from cinegrade.luts.kdenlive import install_kdenlive_looks as install

    return install(look, cube=cube, name=name, strength=strength, data_home=data_home, overwrite=overwrite)


def uninstall_kdenlive_looks(look: str | Sequence[str] | None = None, *,
                             data_home: str | os.PathLike | None = None):
    """Remove exactly the Kdenlive effects (and .cube files) cinegrade installed, or those of
    ``look``; see :func:`cinegrade.luts.kdenlive.uninstall_kdenlive_looks`. Returns ``RemovedLooks``."""
    from cinegrade.luts.kdenlive import uninstall_kdenlive_looks as uninstall

    return uninstall(look, data_home=data_home)
