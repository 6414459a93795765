"""Timeline files in and out through OpenTimelineIO's adapters, with user-facing errors.

The edge of cinegrade's data flow: ``read_timeline`` turns any file an installed OTIO adapter
reads (cinegrade's own adapters included, found through the plugin manifest like any other) into
an ``otio.schema.Timeline``; ``write_timeline`` writes one back atomically; ``carry_report`` measures
what a target format loses by writing to it in memory and reading the result back.

Every problem with the user's file or options becomes an :class:`InputError` naming the file and,
where the parser gives one, the line. XML input is parse-checked with defusedxml before any adapter
sees it, so entity expansion ("billion laughs") and external entities are refused up front.
"""

from __future__ import annotations

import inspect
import math
import os
import re
import shutil
import tempfile
import xml.etree.ElementTree as ElementTree
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import defusedxml
import defusedxml.ElementTree
import opentimelineio as otio

from cinegrade.errors import InputError, OutputExists
from cinegrade.media.atomic import atomic_path
from cinegrade.media.numbers import decimal_text
from cinegrade.timeline.contract import CDL_KEY
from cinegrade.timeline.effects import cdl_from_otio_metadata
from cinegrade.timeline.shots import timeline_rate

#: Suffix appended to an existing file that ``write_timeline(..., overwrite=True)`` replaces.
BACKUP_SUFFIX = ".bak"

# What third-party adapters raise on input they cannot handle (measured on ../shared/samples,
# broken files, and every sample written back through every writer): OTIOError subclasses
# (EDLParseError, UnsupportedSchemaError, NotSupportedError), ValueError (JSON parse errors,
# "No top-level sequences found", frame-rate mismatches, negative timecodes), xml ParseError (a
# SyntaxError), AttributeError/LookupError/TypeError from parsers walking malformed structures
# (cmx_3600 on dissolve_test_fail.edl), UnboundLocalError (fcp_xml writing generator clips),
# UnicodeError on binary input, ArithmeticError on zero rates, AssertionError from adapter checks.
ADAPTER_FAILURES = (otio.exceptions.OTIOError, ValueError, SyntaxError, AttributeError,
                    LookupError, TypeError, NameError, ArithmeticError, AssertionError,
                    RecursionError)

#: Adapters that print the numbers of ``clip.metadata["cdl"]`` with ``str.format``: cmx_3600's
#: ``*ASC_SOP``/``*ASC_SAT`` lines, where a float prints as Python's repr (``4.4e-05``, which the
#: adapter's own reader refuses) and a saturation of 0 is left out (``if asc_sat:``). They are
#: given the numbers as plain decimal text (:func:`writable_copy`), which they print as it is.
CDL_AS_TEXT_ADAPTERS = frozenset({"cmx_3600"})

# Writers that refuse to replace a file, even the empty temporary one atomic_path makes.
_REFUSE_EXISTING = frozenset({"otioz"})

# Common video rates written as decimals that stand for NTSC fractions.
_NTSC_RATES = {Fraction(n * 1000, 1001) for n in (24, 30, 48, 60, 120)}


def parse_rate(value: str | float | int | Fraction) -> float:
    """A frame rate from user text: ``25``, ``29.97`` (read as 30000/1001), ``30000/1001``.

    Decimals within 0.01 of an NTSC rate (23.976, 29.97, 59.94, ...) are taken as the exact
    fraction, since that is what such files mean and what OTIO's timecode maths expects.
    Frames per second, as a float; :class:`InputError` (field ``rate``) for text that is no
    rate, or a rate ≤ 0 or above 1000.

    >>> parse_rate("25"), parse_rate("29.97") == 30000 / 1001
    (25.0, True)
    """
    text = str(value).strip()
    try:
        rate = Fraction(text) if "/" in text else Fraction(float(text)).limit_denominator(1001)
    except (ValueError, ZeroDivisionError, OverflowError):
        raise InputError(f"{{field}} {text!r} is not a frame rate (e.g. 25, 29.97, 30000/1001)",
                         field="rate") from None
    if rate <= 0 or rate > 1000:
        raise InputError(f"{{field}} {text!r} must be a positive frame rate of at most 1000 fps",
                         field="rate")
    for ntsc in _NTSC_RATES:
        if abs(rate - ntsc) < Fraction(1, 100):
            rate = ntsc
    return float(rate)


def adapter_listing(read: bool = False, write: bool = False) -> str:
    """The installed adapters and their suffixes, e.g. ``cmx_3600 (.edl), fcp_xml (.xml), ...``."""
    parts = []
    for adapter in otio.plugins.ActiveManifest().adapters:
        if read and not _can_read(adapter) or write and not _can_write(adapter):
            continue
        suffixes = ", ".join(f".{s}" for s in adapter.suffixes)
        parts.append(f"{adapter.name} ({suffixes})" if suffixes else adapter.name)
    return ", ".join(parts)


def find_adapter(path: str | os.PathLike, adapter: str | None = None, *,
                 writing: bool = False) -> otio.adapters.Adapter:
    """The adapter named ``adapter``, else the one registered for ``path``'s suffix.
    :class:`InputError` (listing the installed adapters) for an unknown name or suffix, or an
    adapter that cannot read (``writing``: write) timelines."""
    action = "write" if writing else "read"
    if adapter:
        try:
            found = otio.adapters.from_name(adapter)
        except otio.exceptions.NotSupportedError:
            raise InputError(f"unknown adapter {adapter!r}; installed adapters: "
                             f"{adapter_listing()}", path) from None
    else:
        suffix = Path(path).suffix.lstrip(".")
        try:
            found = otio.adapters.from_filepath(os.fspath(path))
        except (otio.exceptions.NoKnownAdapterForExtensionError, otio.exceptions.NotSupportedError):
            what = f"suffix .{suffix}" if suffix else "a file without suffix"
            raise InputError(f"no adapter for {what}; installed adapters: "
                             f"{adapter_listing()}", path) from None
    if not (_can_write(found) if writing else _can_read(found)):
        raise InputError(f"adapter {found.name} cannot {action} timelines; adapters that can: "
                         f"{adapter_listing(read=not writing, write=writing)}", path)
    return found


def _can_read(adapter: otio.adapters.Adapter) -> bool:
    return adapter.has_feature("read_from_file") or adapter.has_feature("read_from_string")


def _can_write(adapter: otio.adapters.Adapter) -> bool:
    return adapter.has_feature("write_to_file") or adapter.has_feature("write_to_string")


def _parameters(adapter: otio.adapters.Adapter, writing: bool) -> tuple[set[str], bool]:
    """Keyword parameters the adapter's read (or write) function takes, and whether it takes **kw."""
    names = ("write_to_file", "write_to_string") if writing else ("read_from_file", "read_from_string")
    module = adapter.module()
    accepted: set[str] = set()
    var_keyword = False
    for name in names:
        function = getattr(module, name, None)
        if function is None:
            continue
        for parameter in list(inspect.signature(function).parameters.values())[1:]:
            if parameter.kind is inspect.Parameter.VAR_KEYWORD:
                var_keyword = True
            elif parameter.name not in ("filepath", "input_str", "input_otio",
                                        "hook_function_argument_map"):
                accepted.add(parameter.name)
    return accepted, var_keyword


def adapter_arguments(adapter: otio.adapters.Adapter, rate: Any, arguments: dict[str, Any],
                      path: str | os.PathLike, *, writing: bool = False,
                      rate_required: bool = True) -> dict[str, Any]:
    """``arguments`` checked against what the adapter takes, with ``rate`` under the adapter's own
    name for it (``rate`` for cmx_3600, ``fps`` for ale). :class:`InputError` for arguments the
    adapter does not take, and (field ``rate``) for a bad rate or, with ``rate_required``, a
    rate the adapter takes no argument for."""
    accepted, var_keyword = _parameters(adapter, writing)
    arguments = dict(arguments)
    if rate is not None:
        rate_name = next((n for n in ("rate", "fps", "frame_rate") if n in accepted), None)
        if rate_name is not None:
            arguments[rate_name] = parse_rate(rate)
        elif rate_required:
            raise InputError(f"{{field}} does not apply: adapter {adapter.name} takes no frame rate "
                             "(the file carries its own)", path, field="rate")
    unknown = sorted(set(arguments) - accepted) if not var_keyword else []
    if unknown:
        takes = ", ".join(sorted(accepted)) or "none"
        raise InputError(f"adapter {adapter.name} takes no argument {', '.join(unknown)} "
                         f"(it takes: {takes})", path)
    return arguments


def read_timeline(path: str | os.PathLike, adapter: str | None = None, rate: Any = None,
                  timeline_name: str | None = None, on_note: Callable[[str], None] | None = None,
                  **adapter_args: Any) -> otio.schema.Timeline:
    """Read a timeline file with the adapter named ``adapter`` or the one for its suffix.

    ``rate`` (``25``, ``"29.97"``, ``"30000/1001"``) goes to adapters that take one (cmx_3600's
    ``rate``, ale's ``fps``); it is an error for adapters that read the rate from the file.
    A file holding something other than a Timeline is accepted where a user would expect it:
    a collection of timelines (an FCP X event) gives the one named ``timeline_name``, or its
    first, and then tells ``on_note`` which others it holds; a bare clip, track, stack or a
    collection of clips (an ALE, an FCP X clip list) is wrapped into a timeline with one video
    track. A timeline without tracks is rejected as empty.

    Every problem with the file or the arguments is an :class:`InputError` naming the file (and
    the line where the parser gives one): missing, empty or unreadable files, XML declaring
    entities, no adapter, arguments it does not take (field ``rate`` for the rate), what the
    adapter fails on, no timeline named ``timeline_name``.
    """
    path = Path(path)
    check_readable(path)
    found = find_adapter(path, adapter)
    arguments = adapter_arguments(found, rate, adapter_args, path)
    if _looks_like_xml(path):
        _refuse_hostile_xml(path)
    try:
        try:
            result = found.read_from_file(os.fspath(path), **arguments)
        except UnicodeDecodeError:
            if not found.has_feature("read_from_string"):
                raise
            # EDLs and ALEs from Windows tools are often Latin-1/CP1252, not UTF-8
            result = found.read_from_string(path.read_bytes().decode("latin-1"), **arguments)
    except InputError:
        raise
    except ADAPTER_FAILURES as error:
        raise _input_error(error, path, found, hint_rate=rate is None and takes_rate(found)) from None
    return _as_timeline(result, path, timeline_name, on_note)


def check_readable(path: str | os.PathLike) -> None:
    """Raise :class:`InputError` unless ``path`` is an existing, readable, non-empty file."""
    path = Path(path)
    if not path.exists():
        raise InputError("no such file", path)
    if path.is_dir():
        raise InputError("is a directory, not a timeline file", path)
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror or error}", path) from None
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf"):
        raise InputError("empty file: no timeline in it", path)


def _looks_like_xml(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<")


def _refuse_hostile_xml(path: Path) -> None:
    """Parse-check XML with defusedxml: entity declarations and external references are refused
    (xml.etree, which OTIO's XML adapters use, expands internal entities up to expat's
    amplification limit: a 1 kB file becomes megabytes of clip names)."""
    try:
        defusedxml.ElementTree.parse(os.fspath(path), forbid_dtd=False, forbid_entities=True,
                                     forbid_external=True)
    except defusedxml.DefusedXmlException as error:
        raise InputError(f"refused: the XML declares entities or external references ({error}); "
                         "cinegrade does not expand them", path) from None
    except ElementTree.ParseError as error:
        line = error.position[0] if getattr(error, "position", None) else None
        raise InputError(f"malformed XML: {_strip_position(str(error))}", path, line) from None
    except (LookupError, ValueError) as error:  # an encoding expat cannot use ("f", "cp932")
        raise InputError(f"cannot read the encoding the XML declares ({error})", path, 1) from None


def _strip_position(message: str) -> str:
    return re.sub(r":? line \d+, column \d+$", "", message)


def _input_error(error: BaseException, path: Path, adapter: otio.adapters.Adapter,
                 hint_rate: bool = False) -> InputError:
    """An adapter's exception as one user-facing line with the line number where one is known."""
    message = str(error).strip() or type(error).__name__
    line = _line_of_error(error, message, path)
    message = re.sub(r"\s*\(?\bline \d+, column \d+\)?", "", message)
    message = re.sub(r":?\s*near line \d+", "", message)
    message = re.sub(r"\s*\(\s*\)", "", message)
    if not isinstance(error, (otio.exceptions.OTIOError, ValueError, SyntaxError)):
        message = f"{type(error).__name__}: {message}"
    reason = f"cannot read as {adapter.name}: {message}"
    if hint_rate and re.search(r"rate|timecode|duration", message, re.IGNORECASE):
        reason += (" (the file may use another frame rate: try --rate 25 or --rate 30000/1001; "
                   "adapter argument ignore_timecode_mismatch=true tolerates uneven durations)")
    return InputError(reason, path, line)


def _line_of_error(error: BaseException, message: str, path: Path) -> int | None:
    position = getattr(error, "position", None)
    if isinstance(position, tuple) and position:
        return int(position[0])
    if isinstance(getattr(error, "lineno", None), int):
        return int(error.lineno)
    found = re.search(r"\bline (\d+)", message)
    if found:
        return int(found.group(1))
    # cmx_3600 names the timecode or clip it choked on, not the line: find that token.
    token = re.search(r"Timecode '([^']+)'|value: (\S+) for clip|for clip (.+)$", message)
    if token:
        needle = next(g for g in token.groups() if g)
        try:
            with path.open(encoding="utf-8", errors="replace") as handle:
                for number, text in enumerate(handle, start=1):
                    if needle in text:
                        return number
        except OSError:
            return None
    return None


def _as_timeline(result: Any, path: Path, name: str | None = None,
                 on_note: Callable[[str], None] | None = None) -> otio.schema.Timeline:
    if isinstance(result, otio.schema.SerializableCollection):
        timelines = [c for c in result if isinstance(c, otio.schema.Timeline)]
        names = ", ".join(repr(t.name) for t in timelines)
        if name is not None:
            chosen = [t for t in timelines if t.name == name]
            if not chosen:
                raise InputError(f"holds no timeline named {name!r}"
                                 + (f"; it holds {names}" if timelines else ""), path)
            result = chosen[0]
        elif timelines:
            result = timelines[0]
            if len(timelines) > 1 and on_note is not None:
                on_note(f"{path}: holds {len(timelines)} timelines ({names}); read the first, "
                        "pick another by its name")
        else:
            items = [c for c in result if isinstance(c, otio.core.Item)]
            if not items:
                raise InputError("holds no timeline and no clips", path)
            track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
            for item in items:
                track.append(item.deepcopy())
            result = _wrap(track, result.name or path.stem)
    elif isinstance(result, otio.schema.Track):
        result = _wrap(result.deepcopy(), result.name or path.stem)
    elif isinstance(result, (otio.schema.Clip, otio.schema.Stack)):
        track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
        track.append(result.deepcopy())
        result = _wrap(track, result.name or path.stem)
    elif name is not None and getattr(result, "name", None) != name:
        raise InputError(f"holds one timeline, {getattr(result, 'name', '')!r}, not {name!r}",
                         path)
    if not isinstance(result, otio.schema.Timeline):
        raise InputError(f"holds a {type(result).__name__}, not a timeline", path)
    if len(result.tracks) == 0:
        raise InputError("empty timeline: no tracks (a fragment, not a sequence?)", path)
    return result


def _wrap(track: otio.schema.Track, name: str) -> otio.schema.Timeline:
    timeline = otio.schema.Timeline(name=name)
    timeline.tracks.append(track)
    return timeline


def encode_timeline(timeline: otio.schema.Timeline, adapter: str,
                    **adapter_args: Any) -> bytes:
    """The file ``adapter`` would write for ``timeline``, in memory (a copy is written: some
    adapters modify what they are given). The adapter's own exceptions pass through
    (:data:`ADAPTER_FAILURES`; OTIO's ``NotSupportedError`` for an unknown name)."""
    found = otio.adapters.from_name(adapter)
    copy = writable_copy(timeline, found.name)
    if found.has_feature("write_to_string"):
        text = found.write_to_string(copy, **adapter_args)
        return text.encode("utf-8") if isinstance(text, str) else bytes(text)
    suffix = f".{found.suffixes[0]}" if found.suffixes else ""
    with tempfile.TemporaryDirectory(prefix="cinegrade-") as folder:
        target = Path(folder) / f"timeline{suffix}"
        found.write_to_file(copy, os.fspath(target), **adapter_args)
        return target.read_bytes()


def writable_copy(timeline: otio.schema.Timeline, adapter: str | None = None) -> otio.schema.Timeline:
    """A copy of ``timeline`` for a writer (some adapters modify what they are given), with each
    clip's cut spelled out as ``source_range`` for writers that need one; for the ``adapter``
    names in :data:`CDL_AS_TEXT_ADAPTERS`, each clip's CDL numbers as plain decimal text
    (:func:`~cinegrade.media.numbers.decimal_text`: ``0.000044``, exact)."""
    copy = timeline.deepcopy()
    for clip in copy.find_clips():
        if clip.source_range is None:
            try:
                clip.source_range = clip.trimmed_range()
            except otio.exceptions.CannotComputeAvailableRangeError:
                pass
        if adapter in CDL_AS_TEXT_ADAPTERS and clip.metadata.get(CDL_KEY) is not None:
            clip.metadata[CDL_KEY] = _as_decimal_text(clip.metadata[CDL_KEY])
    return copy


def _as_decimal_text(value: Any) -> Any:
    """OTIO metadata ``value`` as plain data with every finite float as its decimal text."""
    if isinstance(value, float):
        return decimal_text(value) if math.isfinite(value) else value
    if hasattr(value, "items"):
        return {str(k): _as_decimal_text(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or type(value).__name__ == "AnyVector":
        return [_as_decimal_text(v) for v in value]
    return value


def _read_arguments(adapter: otio.adapters.Adapter, write_args: Mapping[str, Any],
                    timeline: otio.schema.Timeline) -> dict[str, Any]:
    """The arguments to read back what ``adapter`` wrote with ``write_args``: those its reader
    takes, and a frame rate (the one written with, else the timeline's) where it takes one."""
    accepted = _parameters(adapter, writing=False)[0]
    read_args = {k: v for k, v in write_args.items() if k in accepted}
    rate_name = next((n for n in ("rate", "fps", "frame_rate") if n in accepted), None)
    if rate_name is not None and rate_name not in read_args:
        read_args[rate_name] = write_args.get("rate", write_args.get("fps", timeline_rate(timeline)))
    return read_args


def _carried_cdls(timeline: Any) -> list:
    """The CDL (``clip.metadata["cdl"]``) of every clip that carries a valid one, in order."""
    cdls = []
    for clip in timeline.find_clips() if hasattr(timeline, "find_clips") else ():
        try:
            cdl = cdl_from_otio_metadata(clip.metadata)
        except InputError:
            continue
        if cdl is not None:
            cdls.append(cdl)
    return cdls


def check_reads_back(adapter: otio.adapters.Adapter, path: str | os.PathLike,
                     timeline: otio.schema.Timeline, write_args: Mapping[str, Any],
                     target: str | os.PathLike | None = None) -> None:
    """For the formats that carry a CDL as its numbers (:data:`CDL_AS_TEXT_ADAPTERS`: EDL), when
    ``timeline`` carries CDLs: :class:`InputError` (naming ``target``, default ``path``) unless
    ``adapter`` reads back the file it wrote at ``path`` with every clip's CDL the one written,
    number for number — a grade must never be written where it cannot be read. (Kdenlive carries
    one as SOP/Sat's sliders, at their own resolution.) Other formats are not checked here: what
    their own readers cannot take back is reported by :func:`carry_report`, and a file another
    program reads is not refused because OTIO's reader of it is weaker."""
    target = path if target is None else target
    if adapter.name not in CDL_AS_TEXT_ADAPTERS or not _can_read(adapter) \
            or not any(clip.metadata.get(CDL_KEY) is not None for clip in timeline.find_clips()):
        return
    try:
        back = adapter.read_from_file(os.fspath(path), **_read_arguments(adapter, write_args, timeline))
    except ADAPTER_FAILURES as error:
        raise InputError(f"adapter {adapter.name} wrote a file it cannot read back "
                         f"({str(error).strip() or type(error).__name__})", target) from None
    written, read = _carried_cdls(timeline), _carried_cdls(back)
    if read != written:
        wrong = next((i for i, (a, b) in enumerate(zip(written, read)) if a != b), min(len(written), len(read)))
        raise InputError(f"adapter {adapter.name} wrote CDLs that read back otherwise (CDL {wrong + 1} of "
                         f"{len(written)}: {read[wrong] if wrong < len(read) else 'missing'}, not "
                         f"{written[wrong] if wrong < len(written) else 'none'})", target)


def decode_timeline(data: bytes, adapter: str, **adapter_args: Any) -> Any:
    """What ``adapter`` reads from ``data`` (UTF-8; the inverse of :func:`encode_timeline`). The
    adapter's own exceptions pass through, as there."""
    found = otio.adapters.from_name(adapter)
    if found.has_feature("read_from_string"):
        return found.read_from_string(data.decode("utf-8"), **adapter_args)
    suffix = f".{found.suffixes[0]}" if found.suffixes else ""
    with tempfile.TemporaryDirectory(prefix="cinegrade-") as folder:
        source = Path(folder) / f"timeline{suffix}"
        source.write_bytes(data)
        return found.read_from_file(os.fspath(source), **adapter_args)


def write_timeline(timeline: otio.schema.Timeline, path: str | os.PathLike,
                   adapter: str | None = None, *, overwrite: bool = False,
                   **adapter_args: Any) -> Path | None:
    """Write ``timeline`` to ``path`` atomically (temp file in the target folder, then rename).

    Refuses an existing ``path`` unless ``overwrite``; then the old file is kept beside it as
    ``<name>.bak`` (replacing an older backup), and that backup's path is returned (else
    None). The file is read back with the same adapter before it replaces anything
    (:func:`check_reads_back`). Nothing is left behind when the adapter fails.

    :class:`~cinegrade.errors.OutputExists` (field ``overwrite``) for an existing file without
    ``overwrite``; :class:`InputError` for a folder as ``path``, a missing folder, no adapter
    for the suffix, arguments it does not take, what the adapter fails on, or a file it cannot
    read back as written.
    """
    path = Path(path)
    found = find_adapter(path, adapter, writing=True)
    arguments = adapter_arguments(found, adapter_args.pop("rate", None), adapter_args, path,
                                  writing=True)
    if path.is_dir():
        raise InputError("is a directory", path)
    if path.exists() and not overwrite:
        raise OutputExists(path, f"the old file is kept as {path.name}{BACKUP_SUFFIX}")
    if not path.parent.is_dir():
        raise InputError("the folder to write into does not exist", path)
    backup = path.with_name(path.name + BACKUP_SUFFIX) if path.exists() else None
    try:
        # written to a temporary file in the target folder, so that adapters which write paths
        # relative to the file (Kdenlive's root) see the folder the file will live in
        with atomic_path(path) as temporary:
            if found.name in _REFUSE_EXISTING:
                temporary.unlink()
            found.write_to_file(writable_copy(timeline, found.name), os.fspath(temporary), **arguments)
            check_reads_back(found, temporary, timeline, arguments, path)
            if backup is not None:
                shutil.copy2(path, backup)
    except InputError:
        raise
    except ADAPTER_FAILURES as error:
        raise InputError(f"adapter {found.name} cannot write this timeline: "
                         f"{str(error).strip() or type(error).__name__}", path) from None
    return backup



def timeline_for_adapter(timeline: otio.schema.Timeline, adapter: str,
                         **adapter_args: Any) -> otio.schema.Timeline:
    """``timeline``, or the largest part of it ``adapter`` accepts when it refuses the whole.

    Formats with one picture track (EDL) refuse multitrack timelines; then the first enabled video
    track is kept with the audio tracks, then alone. Writers that fail on image-sequence or
    generator media (fcp_xml) get those clips with their media reference left out. Each variant
    is tried by writing it in memory; what they drop, :func:`carry_report` measures and reports.
    :class:`InputError` (with the first failure) when the adapter accepts none of them.
    """
    bases = [timeline]
    video = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video and t.enabled]
    audio = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Audio and t.enabled]
    if video:
        bases.append(_with_tracks(timeline, [video[0], *audio]))
        bases.append(_with_tracks(timeline, [video[0]]))
    failure: BaseException | None = None
    for base in bases:
        for candidate in (base, _with_plain_media(base)):
            if candidate is None:
                continue
            try:
                encode_timeline(candidate, adapter, **adapter_args)
                return candidate
            except InputError:
                raise
            except ADAPTER_FAILURES as error:
                failure = failure or error
    raise InputError(f"adapter {adapter} cannot write this timeline: "
                     f"{str(failure).strip() or type(failure).__name__}")


def _with_plain_media(timeline: otio.schema.Timeline) -> otio.schema.Timeline | None:
    """A copy whose clips keep only file references (others become missing), or None when the
    timeline has no other kind."""
    if all(isinstance(c.media_reference, (otio.schema.ExternalReference, otio.schema.MissingReference))
           for c in timeline.find_clips()):
        return None
    plain = timeline.deepcopy()
    for clip in plain.find_clips():
        if not isinstance(clip.media_reference, (otio.schema.ExternalReference,
                                                 otio.schema.MissingReference)):
            reference = clip.media_reference
            clip.media_reference = otio.schema.MissingReference(
                name=reference.name, available_range=reference.available_range,
                metadata=reference.metadata)
    return plain


def _with_tracks(timeline: otio.schema.Timeline,
                 tracks: list[otio.schema.Track]) -> otio.schema.Timeline:
    reduced = otio.schema.Timeline(name=timeline.name, global_start_time=timeline.global_start_time,
                                   metadata=timeline.metadata)
    for marker in timeline.tracks.markers:
        reduced.tracks.markers.append(marker.deepcopy())
    for track in tracks:
        reduced.tracks.append(track.deepcopy())
    return reduced


def census(timeline: otio.schema.Timeline) -> Counter:
    """What a timeline holds, counted the way :func:`carry_report` compares: tracks by kind,
    clips, transitions, markers and effects anywhere, and clips per top-level metadata key."""
    counts: Counter = Counter()
    for track in timeline.tracks:
        counts[f"{str(track.kind).lower()} tracks"] += 1
    counts["markers"] += len(timeline.tracks.markers)
    counts["effects"] += len(timeline.tracks.effects)
    for child in timeline.tracks.find_children():
        if isinstance(child, otio.schema.Clip):
            counts["clips"] += 1
            reference = child.media_reference
            if isinstance(reference, otio.schema.ImageSequenceReference):
                counts["image sequence references"] += 1
            elif isinstance(reference, otio.schema.GeneratorReference):
                counts["generator references"] += 1
            for key, value in child.metadata.items():
                if value not in (None, {}, [], ""):
                    counts[f"metadata:{key}"] += 1
        elif isinstance(child, otio.schema.Transition):
            counts["transitions"] += 1
        if isinstance(child, otio.core.Item):
            counts["markers"] += len(child.markers)
            counts["effects"] += len(child.effects)
    return counts


def carry_report(timeline: otio.schema.Timeline, adapter_name: str,
                 **adapter_args: Any) -> list[str]:
    """What ``adapter_name``'s format cannot carry of ``timeline``, one line per loss.

    Measured, not looked up: the timeline is written with the adapter in memory (reduced to what
    the adapter accepts, see :func:`timeline_for_adapter`), read back with it, and the
    :func:`census` of both compared. E.g. ``["cmx_3600 (.edl): 3 markers dropped"]``. What a
    read-back cannot show, an adapter module may say itself with a ``not_carried(timeline,
    **write_args)`` function returning such lines (cinegrade's Kdenlive adapter: the sequences
    and guide categories a 1.04 document cannot hold).
    """
    found = otio.adapters.from_name(adapter_name)
    suffixes = ", ".join(f".{s}" for s in found.suffixes)
    label = f"{found.name} ({suffixes})" if suffixes else found.name
    if not _can_read(found):
        return [f"{label}: cannot be read back, so what it carries was not measured"]
    written = timeline_for_adapter(timeline, found.name, **adapter_args)
    read_args = _read_arguments(found, adapter_args, written)
    try:
        back = _as_timeline(decode_timeline(encode_timeline(written, found.name, **adapter_args),
                                            found.name, **read_args), Path("."))
    except (InputError, *ADAPTER_FAILURES) as error:
        return [f"{label}: cannot read back what it wrote ({error}); nothing measured"]
    before, after = census(timeline), census(back)
    lines = []
    for key in sorted(before):
        lost = before[key] - after.get(key, 0)
        if lost <= 0:
            continue
        if key == "metadata:cdl":
            lines.append(f"{label}: CDL of {_count(lost, 'clips')} dropped")
        elif key.startswith("metadata:"):
            lines.append(f"{label}: {key[9:]!r} metadata of {_count(lost, 'clips')} dropped")
        elif key.endswith(" tracks"):
            lines.append(f"{label}: {_count(lost, key)} dropped ({before[key]} → {after[key]})")
        else:
            lines.append(f"{label}: {_count(lost, key)} dropped")
    own = getattr(found.module(), "not_carried", None)
    if callable(own):
        lines += [f"{label}: {line}" for line in own(written, **adapter_args)]
    return lines


def _count(number: int, plural: str) -> str:
    return f"{number} {plural if number != 1 else plural[:-1]}"



def parse_adapter_argument(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` from the command line as an adapter keyword argument: ``true``/``false``
    become booleans, numbers become numbers, anything else stays text. :class:`InputError`
    unless it is ``KEY=VALUE`` with an identifier as key.

    >>> parse_adapter_argument("ignore_timecode_mismatch=true"), parse_adapter_argument("rate=25")
    (('ignore_timecode_mismatch', True), ('rate', 25))
    """
    key, separator, value = text.partition("=")
    key = key.strip()
    if not separator or not key.isidentifier():
        raise InputError(f"adapter argument {text!r} is not KEY=VALUE")
    value = value.strip()
    if value.lower() in ("true", "false"):
        return key, value.lower() == "true"
    for kind in (int, float):
        try:
            return key, kind(value)
        except ValueError:
            pass
    return key, value


def takes_rate(adapter: otio.adapters.Adapter, writing: bool = False) -> bool:
    """Whether the adapter's read (or write) function takes a frame rate."""
    accepted, _ = _parameters(adapter, writing)
    return bool(accepted & {"rate", "fps", "frame_rate"})


#: The OTIO adapter name of cinegrade's Kdenlive adapter (plugin_manifest.json), which takes
#: ``sequence`` as an adapter argument.
KDENLIVE_ADAPTER = "kdenlive"


@dataclass(frozen=True)
class Reading:
    """How to read a timeline file: the OTIO ``adapter`` (default: by suffix), a frame ``rate``
    for formats without one (EDL: 25, "29.97", "30000/1001"), extra ``adapter_args``, and the
    ``sequence`` to read (a Kdenlive 1.1 project's sequence, or a timeline of a file that holds
    several, such as an FCP X event; default the main or first one)."""

    adapter: str | None = None
    rate: Any = None
    adapter_args: Mapping[str, Any] = field(default_factory=dict)
    sequence: str | None = None


def load_timeline(path: str | os.PathLike, reading: Reading | None = None,
                  on_note: Callable[[str], None] | None = None
                  ) -> tuple[otio.schema.Timeline, str]:
    """The timeline at ``path`` read as ``reading`` says, and the name of the adapter that read
    it. ``on_note`` gets notes such as "holds 3 timelines; read the first". Raises
    :class:`~cinegrade.errors.InputError` as :func:`read_timeline` does (field ``rate`` for the
    rate; an unknown adapter or sequence is named in the message, without a field)."""
    reading = reading or Reading()
    check_readable(path)
    arguments = dict(reading.adapter_args)
    used = find_adapter(path, reading.adapter).name
    if reading.sequence is not None and used == KDENLIVE_ADAPTER:
        arguments["sequence"] = reading.sequence  # the adapter picks among a project's sequences
    elif reading.sequence is not None:
        arguments["timeline_name"] = reading.sequence  # among a collection's timelines
    return read_timeline(path, used, rate=reading.rate, on_note=on_note, **arguments), used
