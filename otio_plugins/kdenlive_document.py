"""Kdenlive project documents: safe parsing, versions, ids, times, paths, sequences, guides.

A ``.kdenlive`` file is MLT XML plus Kdenlive's own ``kdenlive:*`` properties. This module knows
the format and nothing of OTIO: the reader and writer build on it. References (read, not copied):
Kdenlive's ``dev-docs/fileformat.md``, ``src/doc/documentvalidator.cpp`` and
``src/doc/documentchecker.cpp``; MLT's ``src/modules/xml/producer_xml.c`` (``root`` handling) and
``src/framework/mlt_property.c`` (time strings).

Document versions read here: 0.99 (Kdenlive 19.08–20.04, "timeline 2"), 1.00–1.04 (20.08–22.12)
and 1.1 (23.04 onwards, several sequences). Older documents have another track layout. Which
release writes and opens which version: :mod:`cinegrade.otio_plugins.kdenlive_version`.
"""

from __future__ import annotations

import json
import math
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from fractions import Fraction

import defusedxml
import opentimelineio as otio
from defusedxml.ElementTree import DefusedXMLParser

from cinegrade.errors import InputError

#: Document versions whose layout this module reads (track tractors of two playlists each).
#: Kdenlive writes its DOCUMENTVERSION with ``QString::number``: 1.00 (20.08–21.04) appears as "1".
SUPPORTED_VERSIONS = ("0.99", "1", "1.0", "1.00", "1.01", "1.02", "1.03", "1.04", "1.1")
#: The newest version cinegrade writes for new projects (Kdenlive 23.04 onwards), the default
#: where no installed Kdenlive says otherwise (:mod:`cinegrade.otio_plugins.kdenlive_version`).
CURRENT_VERSION = "1.1"
#: The format of Kdenlive 21.12–22.12 (one timeline, fixed guide categories), which cinegrade
#: also writes: Debian 12 ships Kdenlive 22.12.
LEGACY_VERSION = "1.04"
#: The versions cinegrade writes new projects in, newest first.
WRITTEN_VERSIONS = (CURRENT_VERSION, LEGACY_VERSION)

#: Kdenlive's nine default guide/marker categories (index -> colour, name), used by documents
#: without ``kdenlive:docproperties.guidesCategories`` (before 23.04) and for new projects.
DEFAULT_CATEGORIES: tuple[dict, ...] = tuple(
    {"color": colour, "comment": f"Category {i + 1}", "index": i}
    for i, colour in enumerate(
        ("#9b59b6", "#3daee9", "#1abc9c", "#1cdc9a", "#c9ce3b", "#fdbc4b", "#f39c1f", "#f47750", "#da4453")
    )
)

#: URL-like prefixes that MLT leaves alone (``is_known_prefix`` in producer_xml.c, abridged).
_KNOWN_PREFIX = re.compile(
    r"^(alsa|avfoundation|dshow|fbdev|gdigrab|jack|lavfi|oss|pulse|sndio|video4linux2|v4l2|x11grab|"
    r"async|cache|concat|crypto|data|file|ftp|fs|gopher|hls|https?|httpproxy|mmsh|mmst|pipe|rtmpt?|"
    r"rtp|srtp|subfile|tcp|udp|udplite|unix|color|colour|consumer):"
)
#: ``length`` Kdenlive gives generators of unlimited duration (black track, colour clips).
UNLIMITED_LENGTH = 2147483647
#: MLT keeps frame positions and profile numbers in C ``int`` (mlt_position is int32_t): values
#: outside this range are no MLT time and no frame rate.
_INT32_LOW, _INT32_END = -2**31, 2**31

_MEDIA_TAGS = ("producer", "chain", "playlist", "tractor")


class KdenliveInputError(InputError, otio.exceptions.OTIOError):
    """A bad Kdenlive project (or a timeline the Kdenlive writer cannot write): an
    :class:`~cinegrade.errors.InputError` (file, line, reason) and, for ``otioconvert`` and other
    OTIO callers, an ``OTIOError``. cinegrade's own timeline reading passes it through as it is
    (it already names the file and the problem)."""


@dataclass(frozen=True)
class Sequence:
    """One timeline of the document: its tractor, its uuid (1.1) and name."""

    element: ET.Element
    uuid: str | None
    name: str


class KdenliveDocument:
    """A parsed Kdenlive project: the element tree plus what reading and editing it needs.

    ``path`` is where it was read from (None for a string); relative media paths resolve against
    the document ``root`` (the project folder when ``root`` is empty, as Kdenlive does).
    """

    def __init__(self, text: str, path: str | os.PathLike | None = None):
        self.text = text
        self.path = os.fspath(path) if path is not None else None
        self.root = parse_xml(text, self.path)
        if self.root.tag != "mlt":
            raise self.error(f"not a Kdenlive project: the root element is <{self.root.tag}>, not <mlt>")
        self.by_id: dict[str, ET.Element] = {}
        for element in self.root:
            if element.tag in _MEDIA_TAGS and element.get("id") is not None:
                self.by_id[element.get("id")] = element
        self.main_bin = self.by_id.get("main_bin")
        if self.main_bin is None or self.main_bin.tag != "playlist":
            raise self.error("not a Kdenlive project: no <playlist id=\"main_bin\"> (a plain MLT file?)")
        self.version = prop(self.main_bin, "kdenlive:docproperties.version")
        if self.version is None:
            raise self.error("not a Kdenlive project: no kdenlive:docproperties.version in main_bin")
        if self.version.strip() not in SUPPORTED_VERSIONS:
            raise self.error(
                f"unsupported Kdenlive document version {self.version!r} "
                f"(cinegrade reads {SUPPORTED_VERSIONS[0]} to {SUPPORTED_VERSIONS[-1]})"
            )
        self.version = self.version.strip()
        profile = self.root.find("profile")
        try:
            numerator, denominator = int(profile.get("frame_rate_num")), int(profile.get("frame_rate_den"))
        except (AttributeError, TypeError, ValueError):
            numerator = denominator = 0
        if not (0 < numerator < _INT32_END and 0 < denominator < _INT32_END):
            raise self.error("the <profile> has no valid frame_rate_num/frame_rate_den (positive integers)")
        self.fps = Fraction(numerator, denominator)
        self.profile = profile
        self._bin_clips: dict[str | None, ET.Element] | None = None  # bin_clip's index

    # -- errors, ids --------------------------------------------------------------------------
    def error(self, reason: str) -> KdenliveInputError:
        """An input error naming this document."""
        return KdenliveInputError(reason, self.path)

    def element(self, element_id: str, referrer: str) -> ET.Element:
        """The producer/chain/playlist/tractor with ``element_id``; a broken reference is an error."""
        found = self.by_id.get(element_id)
        if found is None:
            raise self.error(f"{referrer} refers to {element_id!r}, which the document does not define")
        return found

    def free_id(self, prefix: str) -> str:
        """An unused id ``prefix<N>`` (Kdenlive's own scheme: filter12, transition3, ...)."""
        used = {e.get("id") for e in self.root.iter() if e.get("id")}
        numbers = [int(m.group(1)) for i in used if (m := re.fullmatch(re.escape(prefix) + r"(\d+)", i))]
        n = max(numbers, default=-1) + 1
        while f"{prefix}{n}" in used:
            n += 1
        return f"{prefix}{n}"

    # -- time -----------------------------------------------------------------------------------
    @property
    def rate(self) -> float:
        """Frame rate as OTIO takes it."""
        return float(self.fps)

    def frames(self, value: str | None, default: int = 0) -> int:
        """An MLT time value in frames (as mlt_property.c parses it: frames, clock, timecode);
        an input error for text that is none, or a time outside MLT's int32 frame positions."""
        try:
            frames = time_to_frames(value, self.fps, default)
        except (ValueError, OverflowError):  # OverflowError: "inf"
            frames = None
        if frames is None or not _INT32_LOW <= frames < _INT32_END:
            raise self.error(f"{value!r} is not an MLT time (frames, HH:MM:SS.mmm or HH:MM:SS:FF) "
                             "within MLT's range")
        return frames

    def profile_number(self, name: str) -> int:
        """A whole-number attribute of the ``<profile>`` (``width``, ``height``); 0 if absent."""
        value = (self.profile.get(name) or "").strip() or "0"
        if not (value.isascii() and value.isdigit() and len(value) < 12 and int(value) < _INT32_END):
            raise self.error(f"the <profile> {name} {value[:40]!r} is not a whole number")
        return int(value)

    def clock(self, frames: int) -> str:
        """Frames as the ``HH:MM:SS.mmm`` clock string Kdenlive writes."""
        return frames_to_clock(frames, self.fps)

    # -- paths ------------------------------------------------------------------------------------
    @property
    def effective_root(self) -> str | None:
        """The folder relative paths resolve against: ``root``, or the project folder if empty."""
        root = self.root.get("root") or ""
        if root:
            return root
        if self.path:
            return os.path.dirname(os.path.abspath(self.path))
        return None

    def resolve(self, value: str) -> str:
        """A path property made absolute like MLT's producer_xml does (URLs, colours untouched)."""
        return resolve_path(value, self.effective_root)

    # -- sequences --------------------------------------------------------------------------------
    def sequences(self) -> list[Sequence]:
        """The document's timelines: 1.1 sequence tractors, else the one main tractor."""
        if self.version == "1.1":
            found: dict[str, Sequence] = {}
            bin_ids = [e.get("producer") for e in self.main_bin.findall("entry")]
            candidates = [e for e in self.root.findall("tractor") if prop(e, "kdenlive:uuid")]
            for uuid in dict.fromkeys(prop(e, "kdenlive:uuid") for e in candidates):
                same = [e for e in candidates if prop(e, "kdenlive:uuid") == uuid]
                # The bin's entry is the copy Kdenlive loads; then the tractor named by the uuid.
                chosen = next((e for e in same if e.get("id") in bin_ids), None)
                chosen = chosen or next((e for e in same if e.get("id") == uuid), same[0])
                found[uuid] = Sequence(chosen, uuid, prop(chosen, "kdenlive:clipname") or uuid)
            if found:
                return list(found.values())
        tractors = self.root.findall("tractor")
        if not tractors:
            raise self.error("the document has no <tractor> (no timeline)")
        main = tractors[-1]
        name = self.root.get("title") or main.get("title") or ""
        return [Sequence(main, None, name)]

    def default_sequence(self) -> Sequence:
        """The sequence the document plays: the one its last (project) tractor wraps (1.1), which
        is the timeline Kdenlive opens active and melt renders; else the only one."""
        sequences = self.sequences()
        if self.version == "1.1":
            last = self.root.findall("tractor")[-1]
            if prop(last, "kdenlive:projectTractor") == "1":
                track = last.find("track")
                target = self.element(track.get("producer"), "the project tractor") if track is not None else None
                uuid = prop(target, "kdenlive:uuid") if target is not None else None
                for sequence in sequences:
                    if sequence.uuid == uuid:
                        return sequence
            active = prop(self.main_bin, "kdenlive:docproperties.activetimeline")
            for sequence in sequences:
                if sequence.uuid == active:
                    return sequence
        return sequences[0]

    def sequence(self, name: str | None) -> Sequence:
        """The sequence named ``name`` (clip name or uuid, braces optional); default if None."""
        if name is None:
            return self.default_sequence()
        sequences = self.sequences()
        wanted = name.strip().strip("{}")
        for sequence in sequences:
            if sequence.name == name or (sequence.uuid and sequence.uuid.strip("{}") == wanted):
                return sequence
        names = ", ".join(repr(s.name) for s in sequences)
        raise self.error(f"no sequence {name!r} in the project (it has {names})")

    # -- guides and categories --------------------------------------------------------------------
    def guides_holder(self, sequence: Sequence) -> tuple[ET.Element, str]:
        """Where a sequence keeps its guides: (element, property name)."""
        if self.version == "1.1" and sequence.uuid:
            return sequence.element, "kdenlive:sequenceproperties.guides"
        return self.main_bin, "kdenlive:docproperties.guides"

    def guides(self, sequence: Sequence) -> list[dict]:
        """The sequence's guides: dicts with ``pos`` (frames), ``comment``, ``type`` (category)."""
        element, name = self.guides_holder(sequence)
        return self.json_list(element, name)

    def categories(self) -> list[dict]:
        """Guide/marker categories (``index``, ``color``, ``comment``): the document's or Kdenlive's."""
        if prop(self.main_bin, "kdenlive:docproperties.guidesCategories") is not None:
            return self.json_list(self.main_bin, "kdenlive:docproperties.guidesCategories")
        return [dict(c) for c in DEFAULT_CATEGORIES]

    def json_list(self, element: ET.Element, name: str) -> list[dict]:
        """A JSON list property (guides, markers, categories); malformed JSON is an input error."""
        text = prop(element, name)
        if text is None or not text.strip():
            return []
        try:
            value = json.loads(text)
            json.dumps(value, ensure_ascii=False).encode("utf-8")  # "\ud800": a string no XML holds
        except (ValueError, RecursionError) as error:  # ValueError: JSON, Unicode, over 4300 digits
            reason = "nested too deeply" if isinstance(error, RecursionError) else error
            raise self.error(f"property {name} of {element.get('id')!r} is not valid JSON: {reason}") from None
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(f"property {name} of {element.get('id')!r} is not a JSON list of objects")
        return value

    def bin_clip(self, kdenlive_id: str | None) -> ET.Element | None:
        """The project-bin clip with Kdenlive id ``kdenlive_id`` (it carries the clip markers): the
        first bin entry's, as the bin was when first asked (indexed once: a scan per clip made
        reading quadratic in the clips)."""
        if self._bin_clips is None:
            self._bin_clips = {}
            for entry in self.main_bin.findall("entry"):
                element = self.by_id.get(entry.get("producer"))
                if element is not None:
                    self._bin_clips.setdefault(prop(element, "kdenlive:id"), element)
        return self._bin_clips.get(kdenlive_id) if kdenlive_id is not None else None

    # -- serialisation --------------------------------------------------------------------------
    def to_string(self) -> str:
        """The (possibly edited) document as XML text, declaration included."""
        return "<?xml version='1.0' encoding='utf-8'?>\n" + ET.tostring(self.root, encoding="unicode") + "\n"


def parse_xml(text: str, path: str | None = None) -> ET.Element:
    """Parse untrusted XML (no entity expansion, no external entities, no network).

    Comments and processing instructions are kept so that an edited document loses nothing.
    """
    parser = DefusedXMLParser(target=ET.TreeBuilder(insert_comments=True, insert_pis=True))
    try:
        parser.feed(text)
        return parser.close()
    except defusedxml.DefusedXmlException as error:
        raise KdenliveInputError(f"refusing hostile XML ({type(error).__name__}: {error})", path) from None
    except ET.ParseError as error:
        line = error.position[0] if getattr(error, "position", None) else None
        raise KdenliveInputError(f"not well-formed XML: {error}", path, line) from None


def read_text(path: str | os.PathLike) -> str:
    """A project file's text (UTF-8, the encoding Kdenlive writes)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise KdenliveInputError(f"cannot read the project: {error.strerror}", path) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise KdenliveInputError(f"not UTF-8 text: {error}", path) from None


# -- properties -----------------------------------------------------------------------------------
def prop(element: ET.Element, name: str) -> str | None:
    """The text of ``<property name=...>`` (last one wins, as in MLT); '' for an empty one."""
    value = None
    for child in element.findall("property"):
        if child.get("name") == name:
            value = child.text or ""
    return value


def properties(element: ET.Element) -> dict[str, str]:
    """All named ``<property>`` children as an ordered dict (MLT ignores one without a name)."""
    return {child.get("name"): child.text or "" for child in element.findall("property") if child.get("name") is not None}


def set_prop(element: ET.Element, name: str, value: str) -> None:
    """Set a property in place (appended before non-property children if new)."""
    for child in element.findall("property"):
        if child.get("name") == name:
            child.text = value
            return
    new = ET.Element("property", {"name": name})
    new.text = value
    children = list(element)
    position = next((i for i, c in enumerate(children) if c.tag != "property"), len(children))
    insert_child(element, new, position)


def insert_child(parent: ET.Element, child: ET.Element, position: int) -> None:
    """Insert keeping the surrounding indentation (copies a sibling's tail)."""
    children = list(parent)
    if children:
        reference = children[min(position, len(children) - 1)]
        if position >= len(children):
            child.tail = reference.tail
            reference.tail = children[-2].tail if len(children) > 1 else (parent.text or "\n")
        else:
            child.tail = (children[position - 1].tail if position > 0 else parent.text) or "\n"
    else:
        child.tail = parent.tail
        parent.text = (parent.tail or "\n") + " "
    parent.insert(position, child)


def dump_json_list(value: list[dict]) -> str:
    """A JSON list as Kdenlive writes it (QJsonDocument::Indented: four spaces, final newline)."""
    return json.dumps(value, indent=4, ensure_ascii=False) + "\n"


# -- time -------------------------------------------------------------------------------------------
def time_to_frames(value: str | None, fps: Fraction, default: int = 0) -> int:
    """An MLT time value in frames: ``123``, clock ``HH:MM:SS.mmm`` or timecode ``HH:MM:SS:FF``.

    Follows ``time_clock_to_frames``/``time_code_to_frames`` of MLT's mlt_property.c.
    """
    if value is None or not value.strip():
        return default
    value = value.strip()
    if ":" not in value:
        return int(float(value))
    if "." in value or "," in value:
        parts = value.replace(",", ".").split(":")
        seconds = float(parts[-1])
        minutes = int(parts[-2]) if len(parts) > 1 else 0
        hours = int(parts[-3]) if len(parts) > 2 else 0
        return math.floor(fps * hours * 3600) + math.floor(fps * minutes * 60) + round(float(fps) * seconds)
    parts = [int(p) for p in re.split("[:;]", value)]
    frames = parts[-1]
    seconds = parts[-2] if len(parts) > 1 else 0
    minutes = parts[-3] if len(parts) > 2 else 0
    hours = parts[-4] if len(parts) > 3 else 0
    return round(float(fps) * (hours * 3600 + minutes * 60 + seconds)) + frames


def frames_to_clock(frames: int, fps: Fraction) -> str:
    """Frames as the ``HH:MM:SS.mmm`` string Kdenlive writes, chosen so that MLT parses it back
    to the same frame (MLT floors the hour and minute parts before adding the rounded seconds)."""
    millis = round(Fraction(frames) / fps * 1000)
    hours, rest = divmod(millis, 3600_000)
    minutes = rest // 60_000
    remaining = frames - math.floor(fps * hours * 3600) - math.floor(fps * minutes * 60)
    seconds_millis = round(Fraction(remaining) / fps * 1000)
    seconds, millis = divmod(seconds_millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


# -- paths ------------------------------------------------------------------------------------------
def resolve_path(value: str, root: str | None) -> str:
    """``value`` made absolute against ``root`` the way MLT's XML producer qualifies paths."""
    if not value or value.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[/\\]", value):
        return value
    if _KNOWN_PREFIX.match(value) or not root:
        return value
    return os.path.normpath(os.path.join(root, value))


def is_path_like(resource: str, service: str | None) -> bool:
    """Whether a producer's resource names a file (not a colour, a count or a URL)."""
    if service in ("color", "colour") or not resource:
        return False
    if resource.startswith("0x") or resource.startswith("#") or _KNOWN_PREFIX.match(resource):
        return False
    return True


def load(text_or_path: str | os.PathLike, *, is_path: bool) -> KdenliveDocument:
    """Parse a document from a file path or from its text."""
    if is_path:
        return KdenliveDocument(read_text(text_or_path), text_or_path)
    return KdenliveDocument(text_or_path)


__all__ = [
    "KdenliveDocument", "KdenliveInputError", "Sequence", "load", "parse_xml", "prop", "properties",
    "set_prop", "insert_child", "dump_json_list", "time_to_frames", "frames_to_clock", "resolve_path",
    "DEFAULT_CATEGORIES", "CURRENT_VERSION", "LEGACY_VERSION", "WRITTEN_VERSIONS", "UNLIMITED_LENGTH",
]
