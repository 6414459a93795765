"""Grades coming back from a grading system: which CDL goes on which clip, and why.

The round trip: ``cinegrade export`` hands a timeline's CDLs to a grading suite, the colourist
refines them there and sends back a .ccc, .cdl/.cc files or an EDL with ``*ASC_SOP``/``*ASC_SAT``;
``cinegrade apply`` puts them on the timeline's clips as cinegrade's grade effect (a .cube baked
from the CDL; in Kdenlive the Apply LUT, in an EDL ``*ASC_SOP``).

Matching (:func:`map_grades`, pure) tries the keys of :data:`MATCH_KEYS` in order:

- ``id``: a ``ColorCorrection`` id equal to the id ``cinegrade export`` gives the clip
  (:func:`correction_ids`);
- ``clip name``: the clip's name equal to a grade's id or name (an EDL event's clip name; the file
  name, without suffix, of a .cc or a one-decision .cdl);
- ``reel``: the clip's reel (an EDL event's source reel) equal to a grade's reel, id or name;
- ``file name``: the clip's media file name, or that name without suffix, equal to a grade's file
  (a .cdl's ``MediaRef``, an EDL's ``FROM CLIP``/``SOURCE FILE``), id or name.

At each key, among the clips still without a grade and the grades no earlier key used, per value:
one grade gives every clip with that value its CDL (a grade per source file, reel or name cut
several times); as many grades as clips are paired in order (timeline order, file order); any
other count leaves those clips to the next key, and says so if none matches them.

The applied CDL takes the place of the clip's match (:class:`~cinegrade.matching.match.Match`
with method ``cdl`` and evidence :data:`APPLIED`); the clip's look is kept after it or dropped
(:data:`LOOK_CHOICES`). The grade effect's metadata (:mod:`cinegrade.grade.effects`) records where
the CDL came from under ``"applied"``: ``{"source", "grade", "key", "value"}``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import unquote, urlparse

from cinegrade.colour.cdl import CDL
from cinegrade.errors import InputError
from cinegrade.grade.effects import grade_metadata
from cinegrade.grade.grade import (
    Grade,
    after_cdl_cube_name,
    bake_grade,
    cube_name,
    grade_comments,
    grades_folder,
)
from cinegrade.matching.match import Match
from cinegrade.media.cdl_files import CDLDocument, read_cdl_file
from cinegrade.media.cube import write_cube
from cinegrade.timeline.effects import (
    attach_effect,
    cdl_from_otio_metadata,
    clip_cdl,
    clip_grade,
    cube_path,
    rebase_grade,
    relative_cube,
    remove_grade,
)
from cinegrade.timeline.shots import Shot, clip_of, shots_from_timeline

#: The keys a grade is matched to a clip by, in the order they are tried.
MATCH_KEYS = ("id", "clip name", "reel", "file name")
#: What happens to a clip's look under an applied grade: kept after the CDL, or dropped.
LOOK_CHOICES = ("keep", "replace")
#: The ``evidence`` of the match an applied CDL becomes (in the grade effect's metadata).
APPLIED = "applied"
#: Suffixes of the CDL files read from a folder (any case).
CDL_SUFFIXES = (".cc", ".cdl", ".ccc")


@dataclass(frozen=True)
class TimelineClip:
    """What names one clip of the timeline to a grading system. ``index``: the shot's index
    (:class:`~cinegrade.timeline.shots.Shot`); ``correction_id``: the ``ColorCorrection`` id
    ``cinegrade export`` gives it; ``reel``: its EDL source reel, if any; ``file``: its media's
    file name (no folder), if any."""

    index: int
    name: str
    correction_id: str
    reel: str | None = None
    file: str | None = None


@dataclass(frozen=True)
class IncomingGrade:
    """One grade a grading system sent: its CDL and what names it. ``source``: the file it was
    read from; ``position``: its order among all grades read (0-based); ``id``: the
    ``ColorCorrection`` id; ``name``: an EDL event's clip name, or the file name without suffix of
    a CDL file that holds only this correction; ``reel``: an EDL event's source reel; ``file``:
    the media file name (no folder) a .cdl's ``MediaRef`` or an EDL event names."""

    cdl: CDL
    source: str
    position: int
    id: str | None = None
    name: str | None = None
    reel: str | None = None
    file: str | None = None

    @property
    def label(self) -> str:
        """How to call the grade: id, name, reel or file, else its number ("#3")."""
        return self.id or self.name or self.reel or self.file or f"#{self.position + 1}"


@dataclass(frozen=True)
class GradeMatch:
    """``grade`` goes on ``clip`` because their ``key`` (one of :data:`MATCH_KEYS`) is ``value``."""

    clip: TimelineClip
    grade: IncomingGrade
    key: str
    value: str


@dataclass(frozen=True)
class ClipWithoutGrade:
    """A clip no grade matched, and why."""

    clip: TimelineClip
    reason: str


@dataclass(frozen=True)
class GradeMapping:
    """Which grade for which clip: ``matched`` in timeline order, the clips ``without_grade``
    (timeline order) and the grades ``unused`` (no clip matched them; file order)."""

    matched: tuple[GradeMatch, ...]
    without_grade: tuple[ClipWithoutGrade, ...]
    unused: tuple[IncomingGrade, ...]


# --------------------------------------------------------------------------------------------
# The mapping (pure)


def correction_ids(names: Sequence[str], exported: Sequence[bool] | None = None) -> tuple[str, ...]:
    """The ``ColorCorrection`` id ``cinegrade export`` gives each clip of ``names`` (timeline
    order): the name with every run of characters other than letters, digits, ``.``, ``_`` and
    ``-`` made ``_``, stripped of leading and trailing ``.``/``_`` ("clip" when nothing is left),
    and made unique with ``_2``, ``_3``… Export numbers only the clips it writes (``exported``:
    those with a CDL; default all), in timeline order; the others are numbered after them.

    >>> correction_ids(["shot 1", "shot 1", "b"])
    ('shot_1', 'shot_1_2', 'b')
    >>> correction_ids(["a", "a"], exported=[False, True])
    ('a_2', 'a')
    """
    exported = [True] * len(names) if exported is None else list(exported)
    counts: dict[str, int] = {}
    ids: list[str | None] = [None] * len(names)
    order = [i for i in range(len(names)) if exported[i]] + \
        [i for i in range(len(names)) if not exported[i]]
    for i in order:
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", names[i]).strip("._") or "clip"
        count = counts.get(safe, 0)
        counts[safe] = count + 1
        ids[i] = safe if count == 0 else f"{safe}_{count + 1}"
    return tuple(ids)  # type: ignore[arg-type]


def _stem(file: str) -> str:
    return file.rsplit(".", 1)[0] if "." in file.lstrip(".") else file


#: The passes of :func:`map_grades`: (key, the clip's value compared); a clip's media file name
#: is tried whole before without its suffix, so that a grade naming the file wins.
_PASSES = (("id", lambda clip: clip.correction_id), ("clip name", lambda clip: clip.name),
           ("reel", lambda clip: clip.reel), ("file name", lambda clip: clip.file),
           ("file name", lambda clip: _stem(clip.file) if clip.file else None))


def _grade_values(key: str, grade: IncomingGrade) -> set[str]:
    """The values of ``grade`` a clip's value is compared with at ``key``."""
    own = {"id": (grade.id,), "clip name": (grade.id, grade.name),
           "reel": (grade.reel, grade.id, grade.name),
           "file name": (grade.file, grade.id, grade.name)}[key]
    return {v for v in own if v}


def map_grades(clips: Sequence[TimelineClip], grades: Sequence[IncomingGrade]) -> GradeMapping:
    """Which of ``grades`` goes on which of ``clips`` (timeline order), by the keys of
    :data:`MATCH_KEYS` in order (rules: the module docstring; a media file name is tried whole,
    then without its suffix). Every clip gets at most one grade; a grade may go on several clips
    that share its value at one key.

    >>> cdl = CDL(saturation=0.9)
    >>> clips = [TimelineClip(0, "wide", "wide", file="A001.mov"),
    ...          TimelineClip(1, "close", "close", file="A002.mov"), TimelineClip(2, "new", "new")]
    >>> grades = [IncomingGrade(cdl, "g.ccc", 0, id="close"),
    ...           IncomingGrade(cdl, "g.ccc", 1, id="A001"), IncomingGrade(cdl, "g.ccc", 2, id="x")]
    >>> mapping = map_grades(clips, grades)
    >>> [(m.clip.name, m.grade.label, m.key) for m in mapping.matched]
    [('wide', 'A001', 'file name'), ('close', 'close', 'id')]
    >>> [c.clip.name for c in mapping.without_grade], [g.label for g in mapping.unused]
    (['new'], ['x'])
    """
    matched: dict[int, GradeMatch] = {}
    used: set[int] = set()
    ambiguous: dict[int, str] = {}
    for key, clip_value in _PASSES:
        values = [_grade_values(key, g) for g in grades]
        groups: dict[tuple[str, tuple[int, ...]], list[int]] = {}
        for i, clip in enumerate(clips):
            value = clip_value(clip) if i not in matched else None
            found = tuple(j for j in range(len(grades)) if j not in used and value in values[j]) \
                if value else ()
            if found:
                groups.setdefault((value, found), []).append(i)
        newly: set[int] = set()
        for (value, found), members in groups.items():
            if len(found) == 1:
                pairs = [(m, found[0]) for m in members]
            elif len(found) == len(members):
                pairs = list(zip(members, found))
            else:
                for m in members:
                    ambiguous.setdefault(m, f"{len(found)} grades have {key} {value!r}, "
                                            f"{len(members)} clip(s): which goes where is unclear")
                continue
            for m, j in pairs:
                matched[m] = GradeMatch(clips[m], grades[j], key, value)
                newly.add(j)
        used |= newly
    taken_by = {id(m.grade): m for m in matched.values()}

    def why(i: int, clip: TimelineClip) -> str:
        if i in ambiguous:
            return ambiguous[i]
        for key, clip_value in _PASSES:
            value = clip_value(clip)
            for grade in grades:
                other = taken_by.get(id(grade))
                if value and other is not None and value in _grade_values(key, grade):
                    return (f"the grade with its {key} {value!r} went to clip {other.clip.name!r} "
                            f"(by {other.key}), and a grade goes to the clips of one key only")
        return "no grade has its id, name, reel or file name"

    without = tuple(ClipWithoutGrade(c, why(i, c)) for i, c in enumerate(clips) if i not in matched)
    return GradeMapping(tuple(matched[i] for i in sorted(matched)), without,
                        tuple(g for j, g in enumerate(grades) if j not in used))


# --------------------------------------------------------------------------------------------
# Reading the grades (the files' edge)


def _file_name(reference: str | None) -> str | None:
    """The file name a media reference (a path or a URL, POSIX or Windows) ends in."""
    if not reference:
        return None
    parsed = urlparse(reference)
    path = unquote(parsed.path) if parsed.scheme in ("file", "http", "https") else reference
    name = PureWindowsPath(path).name if "\\" in path else PurePosixPath(path).name
    return name or None


def grades_from_document(document: CDLDocument, source: str, start: int = 0,
                         stem: str | None = None) -> tuple[IncomingGrade, ...]:
    """The grades of one CDL file's ``document`` read from ``source``, numbered from ``start``;
    ``stem`` (the file's name without suffix) names the correction of a .cc, or of a .cdl that
    holds one (a collection's name is not a clip's)."""
    single = len(document.corrections) == 1 and document.kind != "ccc"
    return tuple(IncomingGrade(c.cdl, source, start + k, id=c.id, name=stem if single else None,
                               file=_file_name(c.media_ref))
                 for k, c in enumerate(document.corrections))


def read_cdl_grades(path: str | os.PathLike, start: int = 0) -> tuple[IncomingGrade, ...]:
    """The grades in a .ccc, .cdl or .cc file (:func:`~cinegrade.media.cdl_files.read_cdl_file`:
    :class:`InputError` with file and line for what it cannot read)."""
    return grades_from_document(read_cdl_file(path), os.fspath(path), start, Path(path).stem)


def read_cdl_folder(folder: str | os.PathLike) -> tuple[IncomingGrade, ...]:
    """The grades of every .cc, .cdl and .ccc file in ``folder`` (not below it), files in name
    order. :class:`InputError` when it is missing, not a folder or holds no such file."""
    folder = Path(folder)
    if not folder.exists():
        raise InputError("no such folder", folder)
    if not folder.is_dir():
        raise InputError("is not a folder of .cc or .cdl files", folder)
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in CDL_SUFFIXES and p.is_file())
    if not files:
        raise InputError("holds no .cc, .cdl or .ccc file", folder)
    grades: list[IncomingGrade] = []
    for path in files:
        grades.extend(read_cdl_grades(path, len(grades)))
    return tuple(grades)


def read_edl_grades(path: str | os.PathLike, rate: float) -> tuple[IncomingGrade, ...]:
    """The grades of a CMX 3600 EDL: every event with ``*ASC_SOP`` or ``*ASC_SAT`` (read by
    OpenTimelineIO's cmx_3600 adapter at ``rate``), named by its clip name, source reel and
    media file (``FROM CLIP``, ``FROM FILE`` or a ``SOURCE FILE`` comment). :class:`InputError`
    naming the file for an EDL the adapter cannot read, a CDL outside ASC CDL v1.2's ranges, or
    no event with a CDL."""
    from cinegrade.timeline.files import read_timeline

    timeline = read_timeline(path, "cmx_3600", rate=rate)
    grades: list[IncomingGrade] = []
    for shot in shots_from_timeline(timeline, path):
        clip = clip_of(timeline, shot)
        try:
            cdl = cdl_from_otio_metadata(clip.metadata)
        except InputError as error:
            raise InputError(f"the event of clip {shot.clip_name!r}: {error.reason}", path) from None
        if cdl is None:
            continue
        edl = clip.metadata.get("cmx_3600") or {}
        source_files = [str(c).split(":", 1)[1].strip() for c in edl.get("comments") or ()
                        if str(c).upper().startswith("SOURCE FILE:")]
        file = _file_name(shot.media_url or shot.media_path) or \
            (_file_name(source_files[0]) if source_files else None)
        grades.append(IncomingGrade(cdl, os.fspath(path), len(grades), name=shot.clip_name or None,
                                    reel=edl.get("reel") or None, file=file))
    if not grades:
        raise InputError("holds no event with *ASC_SOP or *ASC_SAT", path)
    return tuple(grades)


def timeline_clips(timeline, shots: Sequence[Shot]) -> tuple[TimelineClip, ...]:
    """What names each of ``shots`` (clips of the OTIO ``timeline``) to a grading system."""
    clips = [clip_of(timeline, shot) for shot in shots]
    ids = correction_ids([s.clip_name for s in shots], [clip_cdl(c) is not None for c in clips])
    return tuple(TimelineClip(s.index, s.clip_name, ids[k],
                              (c.metadata.get("cmx_3600") or {}).get("reel") or None,
                              _file_name(s.media_path or s.media_url))
                 for k, (s, c) in enumerate(zip(shots, clips)))


# --------------------------------------------------------------------------------------------
# Onto the timeline


@dataclass(frozen=True)
class AppliedGrade:
    """What one matched clip got: the ``match`` (clip, grade, key), its new :class:`Grade` (the
    CDL, then the look kept), the .cube written (None: the grade changes nothing, so the clip
    carries no grade), and whether its earlier grade was a bare .cube whose look cannot be kept
    (``look_unknown``: a grade read back from a Kdenlive project carries only its .cube)."""

    match: GradeMatch
    grade: Grade
    cube: Path | None = None
    look_unknown: bool = False


def earlier_look(earlier: dict | None, base: str | None = None) -> tuple[str | None, float, bool]:
    """The look a clip's earlier grade metadata ``earlier`` carries, as (look, strength, unknown):
    the recorded look (OTIO keeps the whole metadata); for a live CDL match read back from a
    Kdenlive project (``"live": "cdl"``, method cdl) the .cube after the CDL, which is the look
    (absolute, relative paths joined to ``base``); otherwise a grade that is only a .cube has a
    look that is not known (``unknown`` True).

    >>> earlier_look({"cube": "a.cube", "look": "warm", "look_strength": 0.5})
    ('warm', 0.5, False)
    >>> earlier_look({"cube": "/p/a.cube"})
    (None, 1.0, True)
    """
    earlier = earlier or {}
    if "look" in earlier:
        look = earlier.get("look")
        return look, float(earlier.get("look_strength", 1.0)) if look else 1.0, False
    if earlier.get("live") == "cdl" and earlier.get("method") == "cdl":
        after = earlier.get("cube_after_cdl")
        return (cube_path(after, base) if after else None), 1.0, False
    return None, 1.0, bool(earlier.get("cube") or earlier.get("cube_after_cdl"))


def applied_grade(match: GradeMatch, earlier: dict | None, look: str,
                  base: str | None = None) -> tuple[Grade, bool]:
    """The :class:`Grade` ``match`` puts on its clip, whose earlier grade metadata is ``earlier``
    (None: none; .cube paths relative to ``base``): the CDL as the match, then (``look`` "keep")
    the earlier look (:func:`earlier_look`). Also whether the earlier grade's look is unknown.
    :class:`InputError` when a kept look's .cube cannot be read."""
    clip, grade = match.clip, match.grade
    cdl_match = Match(clip.index, clip.name, None, None, None, "cdl", APPLIED, (0.0,) * 6, 1.0,
                      cdl=grade.cdl)
    kept, strength, unknown = earlier_look(earlier, base)
    if look != "keep":
        kept, strength = None, 1.0
    return Grade(clip.index, clip.name, cdl_match, kept, strength), unknown


def _cube_comments(applied: GradeMatch, grade: Grade, after_cdl: bool = False) -> tuple[str, ...]:
    base, *look = grade_comments(replace(grade, match=None))
    incoming = applied.grade
    cdl = f"ASC CDL {incoming.label!r} from {Path(incoming.source).name}, matched by " \
          f"{applied.key} {applied.value!r}"
    if after_cdl:
        return (base.replace("(cinegrade grade)", "(cinegrade apply, after its live ASC CDL)"),
                f"After the live {cdl}", *look)
    return (base.replace("(cinegrade grade)", "(cinegrade apply)"), cdl, *look)


def _free_path(path: Path, taken: set[Path]) -> Path:
    """``path``, or ``<stem>-2.cube``… when the input timeline uses it."""
    candidate, number = path, 1
    while Path(os.path.realpath(candidate)) in taken:
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate


def put_grades(timeline, shots: Sequence[Shot], mapping: GradeMapping, look: str,
               timeline_path: str | os.PathLike, output: str | os.PathLike,
               lut_size: int = 65, live: bool = False) -> tuple[AppliedGrade, ...]:
    """Put ``mapping``'s grades on the clips of the OTIO ``timeline`` (read from
    ``timeline_path``, to be written to ``output``) as cinegrade's grade effect, as ``grade
    --method cdl`` puts its own: each grade (:func:`applied_grade`) baked whole into
    ``<output stem>.grades/<nnn>-<clip>.cube`` and, when a look follows the CDL, the look into
    ``<nnn>-<clip>-after-cdl.cube`` (what follows a live CDL, see
    :func:`~cinegrade.grade.effects.grade_metadata`), ``lut_size``³, written atomically and never
    over a .cube the input uses; its CDL in ``clip.metadata["cdl"]`` too; a grade that changes
    nothing takes cinegrade's grade off. ``live``: the CDL is the live part of the grade
    (Kdenlive: an enabled SOP/Sat), else the whole .cube carries it. The other clips keep their
    grade, its .cube paths made relative to ``output``. Builds every grade before writing anything (:class:`InputError` for
    a kept look that cannot be read)."""
    by_index = {s.index: s for s in shots}
    base = str(Path(timeline_path).resolve().parent)
    earlier = {s.index: clip_grade(clip_of(timeline, s)) for s in shots}
    taken = {Path(os.path.realpath(cube_path(g["cube"], base)))
             for g in earlier.values() if g and g.get("cube")}
    planned = [(m, *applied_grade(m, earlier[m.clip.index], look, base)) for m in mapping.matched]
    folder = grades_folder(output)
    done: list[AppliedGrade] = []
    for match, grade, unknown in planned:
        clip = clip_of(timeline, by_index[match.clip.index])
        if grade.is_identity:
            remove_grade(clip)
            done.append(AppliedGrade(match, grade, None, unknown))
            continue
        folder.mkdir(parents=True, exist_ok=True)
        cube = write_cube(bake_grade(grade, lut_size), _free_path(folder / cube_name(grade), taken),
                          _cube_comments(match, grade))
        after = None
        if grade.live_cdl and not grade.after_cdl.is_identity:  # the look after the live CDL
            after = write_cube(bake_grade(grade.after_cdl, lut_size),
                               _free_path(folder / after_cdl_cube_name(grade), taken),
                               _cube_comments(match, grade.after_cdl, after_cdl=True))
        metadata = grade_metadata(grade, relative_cube(cube, output),
                                  relative_cube(after, output) if after else None, live=live) | {APPLIED: {
            "source": match.grade.source, "grade": match.grade.label, "key": match.key,
            "value": match.value}}
        attach_effect(clip, metadata)
        done.append(AppliedGrade(match, grade, cube, unknown))
    for unmatched in mapping.without_grade:
        rebase_grade(clip_of(timeline, by_index[unmatched.clip.index]), base, output)
    return tuple(done)


def mapping_json(mapping: GradeMapping, applied: Iterable[AppliedGrade]) -> dict:
    """The mapping as plain data: ``applied`` (clip, index, grade, key, value, look, cube,
    look_unknown), ``clips_without_grade`` (clip, index, reason), ``grades_without_clip``."""
    def grade_json(g: IncomingGrade) -> dict:
        sop = {"slope": list(g.cdl.slope), "offset": list(g.cdl.offset), "power": list(g.cdl.power)}
        return {"label": g.label, "id": g.id, "name": g.name, "reel": g.reel, "file": g.file,
                "source": g.source, "position": g.position, "asc_sop": sop, "asc_sat": g.cdl.saturation}

    return {
        "applied": [{"clip": a.match.clip.name, "index": a.match.clip.index,
                     "grade": grade_json(a.match.grade), "key": a.match.key, "value": a.match.value,
                     "look": a.grade.look, "look_strength": a.grade.look_strength if a.grade.look else None,
                     "cube": os.fspath(a.cube) if a.cube else None, "look_unknown": a.look_unknown}
                    for a in applied],
        "clips_without_grade": [{"clip": c.clip.name, "index": c.clip.index, "reason": c.reason}
                                for c in mapping.without_grade],
        "grades_without_clip": [grade_json(g) for g in mapping.unused],
    }
