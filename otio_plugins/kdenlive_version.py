"""Which Kdenlive document version to write: the newest one the user's Kdenlive opens.

Kdenlive refuses a project whose document version is newer than its own: ``KdenliveDoc::Open``
(``src/doc/kdenlivedoc.cpp``) validates every file with ``DocumentValidator::validate(
DOCUMENTVERSION)``, and ``DocumentValidator::upgrade`` (``src/doc/documentvalidator.cpp``)
answers a ``version > currentVersion`` with "This project type is unsupported (version %1) and
cannot be loaded. Please consider upgrading your Kdenlive version." ("Unable to open project").
Before 23.04 ``validate`` reads ``kdenlive:docproperties.version`` from the first ``<playlist>``
(``mlt.firstChildElement("playlist")``): in a 1.1 document that is a track, the version reads as
0, and Kdenlive says "Version of the project file cannot be read" ("Incorrect project file") and
misreads the project as one of its own version. ``kdenlivedoc.cpp`` says of its constant:
"Only increment this on major releases [...] Increasing the document version means that older
Kdenlive versions won't be able to open the project files". So a release opens exactly the
documents up to the ``DOCUMENTVERSION`` it was built with, which is also the version it writes
(``kdenlive:docproperties.version``, via ``QString::number``: 1.00 is written "1").

:data:`DOCUMENT_VERSIONS`, from Kdenlive's own source and files it wrote:

* 15.04 → 0.88, 15.08 → 0.91, 16.04 → 0.94, 16.08 → 0.95, 17.08 → 0.96, 19.04 → 0.98,
  19.08 → 0.99, 20.08 → 1.00: ``const double DOCUMENTVERSION`` in ``src/doc/kdenlivedoc.cpp``
  at KDE/kdenlive's release tags v15.04.0 to v21.03.80 (e.g. v20.04.3 ``= 0.99;``, v20.07.80 to
  v21.03.80 ``= 1.00;``; read from a GitHub mirror of the history that carries KDE's tags).
* 21.04 still 1.00: a project saved by 21.04.0 has ``kdenliveversion`` 21.04.0 and
  ``docproperties.version`` "1"; 21.08 → 1.02: one saved by 21.08.1 has "1.02".
* 21.12 → 1.04: KDE/kdenlive-test-suite ``projects/mix-luma.kdenlive`` (21.12.3) and
  ``mix-slide.kdenlive`` (22.12.3) have "1.04", as do projects of 22.08.0 and OpenTimelineIO's
  ``kdenlive_example_v221170.kdenlive`` (22.11.70); Debian 12's Kdenlive 22.12.3 opens 1.04 and
  refuses 1.05 (tests/test_kdenlive_version.py). A series' point releases share the version of
  its first: the constant changes only with feature releases, as its comment asks.
* 23.04 → 1.1: KDE/kdenlive ``dev-docs/fileformat.md``: "Generation 4: Comma / Point — Used in
  Kdenlive versions 20.08.0 to 22.12.3" and "Generation 5: Current format — Used in Kdenlive
  versions from 23.04.0, Kdenlive document version: 1.1" (multiple sequences); the user manual
  (KDE/documentation-docs-kdenlive-org, "Project File Details") names 20.08.0 and 23.04.0 as the
  releases that upgrade the document version; ``kdenlivedoc.cpp`` on master:
  ``const double DOCUMENTVERSION = 1.1;``.

cinegrade writes 1.1 and 1.04 (:data:`~cinegrade.otio_plugins.kdenlive_document.WRITTEN_VERSIONS`):
1.04 opens in every Kdenlive from 21.12 on, 1.1 from 23.04 on.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile

import opentimelineio as otio

from cinegrade.otio_plugins.kdenlive_document import (
    CURRENT_VERSION,
    DEFAULT_CATEGORIES,
    LEGACY_VERSION,
    WRITTEN_VERSIONS,
    KdenliveDocument,
    KdenliveInputError,
)

#: (first feature release, the document version it and later releases up to the next row write
#: and open), oldest first. Kdenlive's releases follow KDE Gear: YY.MM.patch.
DOCUMENT_VERSIONS: tuple[tuple[tuple[int, int], str], ...] = (
    ((15, 4), "0.88"),
    ((15, 8), "0.91"),
    ((16, 4), "0.94"),
    ((16, 8), "0.95"),
    ((17, 8), "0.96"),
    ((19, 4), "0.98"),
    ((19, 8), "0.99"),
    ((20, 8), "1.00"),
    ((21, 8), "1.02"),
    ((21, 12), "1.04"),
    ((23, 4), "1.1"),
)

#: Seconds ``kdenlive --version`` may take (it starts Qt and KDE's frameworks, ~0.1 s).
VERSION_TIMEOUT = 5.0
AUTO = "auto"

_RELEASE = re.compile(r"kdenlive\s+v?(\d+)\.(\d+)(?:\.(\d+))?", re.IGNORECASE)

Release = tuple[int, int, int]


# -- the installed Kdenlive ---------------------------------------------------------------------------
def parse_kdenlive_version(text: str | None) -> Release | None:
    """The release in ``kdenlive --version`` output ("kdenlive 22.12.3" → (22, 12, 3)); None if
    the text names none."""
    match = _RELEASE.search(text or "")
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def _version_output(command: list[str]) -> str:
    """What ``command`` (``kdenlive --version``, maybe under a private D-Bus) prints, or "".

    Qt needs no display (``QT_QPA_PLATFORM=offscreen``); Kdenlive's settings file, which it
    writes on any start, goes to a temporary folder instead of the user's.
    """
    with tempfile.TemporaryDirectory(prefix="cinegrade-kdenlive-") as scratch:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=scratch,
                   XDG_CACHE_HOME=os.path.join(scratch, "cache"))
        try:
            result = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                                    text=True, errors="replace", timeout=VERSION_TIMEOUT, check=False)
        except (OSError, subprocess.SubprocessError):
            return ""
    return result.stdout + "\n" + result.stderr


@functools.lru_cache(maxsize=1)
def installed_kdenlive_release() -> Release | None:
    """The release of the ``kdenlive`` on PATH, from ``kdenlive --version``; None where there is
    none, it fails or its answer names no release. Asked once per process.

    Kdenlive 22.12 exits before printing its version where no D-Bus session bus runs (a
    terminal without a desktop, CI); then it is asked again under ``dbus-run-session``.
    """
    executable = shutil.which("kdenlive")
    if executable is None:
        return None
    found = parse_kdenlive_version(_version_output([executable, "--version"]))
    if found is None and shutil.which("dbus-run-session"):
        found = parse_kdenlive_version(_version_output(["dbus-run-session", "--", executable, "--version"]))
    return found


# -- releases and document versions --------------------------------------------------------------------
def _feature_release(release: tuple[int, ...]) -> tuple[int, int]:
    """(year, month) of the feature release ``release`` belongs to: betas and development builds
    (patch 70 and up, "23.03.80") count as the release they lead to."""
    year, month = release[0], release[1]
    patch = release[2] if len(release) > 2 else 0
    if patch >= 70:
        year, month = (year + 1, 1) if month >= 12 else (year, month + 1)
    return year, month


def newest_document_version(release: tuple[int, ...]) -> str | None:
    """The newest document version Kdenlive ``release`` ((22, 12, 3), or (22, 12)) opens — the
    one it writes; None for releases before 15.04 (another project format)."""
    feature = _feature_release(release)
    found = None
    for first, version in DOCUMENT_VERSIONS:
        if feature >= first:
            found = version
    return found


def first_release_opening(version: str) -> str:
    """The oldest Kdenlive release that opens document ``version`` ("1.04" → "21.12")."""
    wanted = _number(version)
    for (year, month), written in DOCUMENT_VERSIONS:
        if _number(written) >= wanted - 1e-9:
            return f"{year}.{month:02d}"
    return f"{DOCUMENT_VERSIONS[-1][0][0]}.{DOCUMENT_VERSIONS[-1][0][1]:02d}"


def releases_opening(version: str) -> str:
    """Which Kdenlive opens a document of ``version``, for messages: "Kdenlive 21.12 or newer"."""
    return f"Kdenlive {first_release_opening(version)} or newer"


def release_text(release: tuple[int, ...]) -> str:
    return ".".join(f"{part:02d}" if i == 1 else str(part) for i, part in enumerate(release))


def _number(version: str) -> float:
    try:
        return float(version)
    except (TypeError, ValueError):
        return -1.0


def writable_version_for(release: tuple[int, ...]) -> str:
    """The newest version cinegrade writes that Kdenlive ``release`` opens; for releases older
    than 21.12, which open none of them, the oldest (1.04), which they refuse."""
    opens = _number(newest_document_version(release) or "0")
    for version in WRITTEN_VERSIONS:
        if _number(version) <= opens + 1e-9:
            return version
    return WRITTEN_VERSIONS[-1]


# -- choosing the version of a write ---------------------------------------------------------------------
def requested_version(requested) -> str | None:
    """An explicit version as cinegrade names it ("1.1", "1.04"), or None for "auto"/None.

    Numbers are accepted (``--to-arg version=1.04`` arrives as the float 1.04); anything else
    is an input error naming what cinegrade writes."""
    if requested is None or (isinstance(requested, str) and requested.strip().lower() in ("", AUTO)):
        return None
    for version in WRITTEN_VERSIONS:
        if isinstance(requested, (int, float)) and not isinstance(requested, bool):
            if abs(float(requested) - float(version)) < 1e-9:
                return version
        elif str(requested).strip() == version:
            return version
    raise KdenliveInputError(
        f"cinegrade writes new Kdenlive projects in document format {CURRENT_VERSION} "
        f"({releases_opening(CURRENT_VERSION)}) or {LEGACY_VERSION} ({releases_opening(LEGACY_VERSION)}), "
        f"or picks one with 'auto'; not {requested!r}")


def source_version(timeline: otio.schema.Timeline | None) -> str | None:
    """The document version of the Kdenlive project ``timeline`` was read from, if any."""
    if timeline is None:
        return None
    meta = timeline.metadata.get("kdenlive") if hasattr(timeline, "metadata") else None
    if not hasattr(meta, "get") or not meta.get("version"):  # OTIO metadata: AnyDictionary
        return None
    return str(meta["version"]).strip()


def edits_source(version: str, timeline: otio.schema.Timeline | None) -> bool:
    """Whether writing ``timeline`` in ``version`` edits the Kdenlive document it was read from
    (same version) rather than making a new project."""
    if timeline is None:
        return False
    meta = timeline.metadata.get("kdenlive") or {}
    source = source_version(timeline)
    return bool(meta.get("document")) and source is not None and \
        abs(_number(source) - _number(version)) < 1e-9


def resolve_document_version(requested=None, timeline: otio.schema.Timeline | None = None) -> tuple[str, str]:
    """The Kdenlive document version a write of ``timeline`` produces, and why (for a message).

    ``requested``: "1.1" or "1.04" (also as numbers), or None/"auto". In that order:

    1. an explicit version wins; for a timeline read from a Kdenlive project of another version
       that means a new project in that version (what it cannot carry: :func:`not_carried`);
    2. a timeline read from a Kdenlive project keeps that project's version (its document is
       edited in place);
    3. a new project gets the newest version the installed Kdenlive opens
       (:func:`installed_kdenlive_release`, :func:`writable_version_for`);
    4. else 1.1, what Kdenlive 23.04 onwards writes.

    E.g. ``("1.04", "the installed Kdenlive 22.12.3 opens documents up to 1.04")``.
    """
    explicit = requested_version(requested)
    source = source_version(timeline)
    meta = (timeline.metadata.get("kdenlive") or {}) if timeline is not None else {}
    if explicit is not None:
        if source is not None and meta.get("document") and not edits_source(explicit, timeline):
            return explicit, (f"asked for; the project it was read from is {source}, so it is written "
                              f"as a new {explicit} project ({releases_opening(explicit)})")
        return explicit, f"asked for ({releases_opening(explicit)})"
    if source is not None and meta.get("document"):
        reason = "the version of the project it was read from, whose document is edited"
        release = installed_kdenlive_release()
        if release is not None:
            opens = newest_document_version(release)
            if opens is not None and _number(source) > _number(opens) + 1e-9:
                reason += (f"; the installed Kdenlive {release_text(release)} opens documents up to {opens}: "
                           f"ask for {writable_version_for(release)} for a new project it opens")
        return source, reason
    if source in WRITTEN_VERSIONS:
        return source, "the version of the Kdenlive project the timeline came from"
    release = installed_kdenlive_release()
    if release is not None:
        opens = newest_document_version(release)
        version = writable_version_for(release)
        if opens is not None and _number(version) <= _number(opens) + 1e-9:
            return version, f"the installed Kdenlive {release_text(release)} opens documents up to {opens}"
        return version, (f"the installed Kdenlive {release_text(release)} opens documents up to {opens or 'none'}, "
                         f"older than any cinegrade writes: it will refuse the project "
                         f"({releases_opening(version)} opens it)")
    return CURRENT_VERSION, f"no installed Kdenlive found; {releases_opening(CURRENT_VERSION)} opens it"


# -- what a 1.04 document cannot hold ------------------------------------------------------------------
def not_carried(timeline: otio.schema.Timeline, version=None) -> list[str]:
    """What a new document of ``version`` (resolved as :func:`resolve_document_version` does)
    cannot hold of ``timeline``, as one line, or none.

    Before 1.1 a document is one timeline with nine fixed guide categories: a project read from
    a 1.1 document loses its other sequences, and guides and markers lose the categories that
    are not Kdenlive's nine defaults (they fall back to a default category by colour).
    cinegrade's own guides are carried (category 8, comment prefix "cinegrade: "). An edited
    document (same version as read) loses nothing.
    """
    version, _ = resolve_document_version(version, timeline)
    if _number(version) >= _number(CURRENT_VERSION) or edits_source(version, timeline):
        return []
    parts = []
    others = _other_sequences(timeline)
    if others:
        names = ", ".join(repr(name) for name in others)
        parts.append(f"{len(others)} other sequence{'s' if len(others) != 1 else ''} of the project ({names})")
    nested = sum(1 for clip in timeline.find_clips()
                 if isinstance(clip.media_reference, otio.schema.GeneratorReference)
                 and clip.media_reference.generator_kind == "KdenliveSequence")
    if nested:
        parts.append(f"{nested} sequence clip{'s' if nested != 1 else ''} (nested sequences)")
    categories, markers = custom_categories(timeline)
    if categories:
        names = ", ".join(repr(name) for name in categories)
        parts.append(f"guide categor{'ies' if len(categories) != 1 else 'y'} {names} "
                     f"({markers} guide{'s' if markers != 1 else ''} or marker{'s' if markers != 1 else ''} "
                     "fall back to a fixed category)")
    if not parts:
        return []
    return [f"document {version} ({releases_opening(version)}) holds one sequence and nine fixed guide "
            f"categories: {'; '.join(parts)} not carried"]


def _other_sequences(timeline: otio.schema.Timeline) -> list[str]:
    meta = timeline.metadata.get("kdenlive") or {}
    if not meta.get("document") or source_version(timeline) != CURRENT_VERSION:
        return []
    try:
        document = KdenliveDocument(meta["document"], meta.get("path"))
        sequences = document.sequences()
    except KdenliveInputError:
        return []
    written = meta.get("sequence")
    return [s.name for s in sequences if s.uuid != written]


def custom_categories(timeline: otio.schema.Timeline) -> tuple[list[str], int]:
    """The guide/marker categories of ``timeline`` (from a Kdenlive 1.1 project) that are not one
    of Kdenlive's nine fixed ones (another index, name or colour), and how many markers have one."""
    defaults = {int(c["index"]): c for c in DEFAULT_CATEGORIES}
    names: dict[str, None] = {}
    count = 0
    for marker in _all_markers(timeline):
        if "cinegrade" in marker.metadata:
            continue
        kdenlive = marker.metadata.get("kdenlive") or {}
        index = kdenlive.get("type")
        try:
            index = int(index)
        except (TypeError, ValueError):
            continue
        name, colour = kdenlive.get("category"), kdenlive.get("color")
        default = defaults.get(index)
        if default is None or (name and name != default["comment"]) or \
                (colour and str(colour).lower() != default["color"].lower()):
            names[str(name or f"category {index}")] = None
            count += 1
    return list(names), count


def _all_markers(timeline: otio.schema.Timeline):
    yield from timeline.tracks.markers
    for track in timeline.tracks:
        yield from track.markers
        for item in track:
            if isinstance(item, otio.core.Item):
                yield from item.markers


__all__ = [
    "DOCUMENT_VERSIONS", "parse_kdenlive_version", "installed_kdenlive_release", "newest_document_version",
    "first_release_opening", "releases_opening", "writable_version_for", "requested_version",
    "resolve_document_version", "not_carried", "custom_categories", "AUTO",
]
