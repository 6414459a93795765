"""ASC CDL interchange: .cc, .ccc and .cdl XML files, and OTIO's ``clip.metadata["cdl"]``.

Reference: ASC CDL v1.2 ("ASC-CDL_Release1.2"), XML interchange syntax: a ``ColorCorrection``
(.cc) holds a ``SOPNode`` (Slope, Offset, Power) and a ``SatNode`` (Saturation); a
``ColorCorrectionCollection`` (.ccc) holds many; a ``ColorDecisionList`` (.cdl) holds
``ColorDecision`` elements that pair a ``ColorCorrection`` with a ``MediaRef``. ``Description``,
``InputDescription`` and ``ViewingDescription`` may appear at every level; unknown elements are
ignored, as the spec asks. Any namespace or none is accepted, and the kind comes from the root
element, not the file name (a .ccc holding one bare ``ColorCorrection`` is common). Files are
parsed with defusedxml (no entity expansion, no external entities).

The node names real files use are read as what they say: ``SOPNode``/``SatNode`` (v1.2),
``SATNode`` (v1.01), ``SopNode``, ``ASC_SOP`` and ``ASC_SAT`` (cdl_convert reads all six and writes
``ASC_SOP``/``ASC_SAT`` on request; OpenColorIO's test files ``cdl_test_ASC_SOP.cc`` and
``cdl_test_ASC_SAT.cc``; AMF files prefix them ``cdl:``). OpenColorIO 2 reads only ``SOPNode``,
``SatNode`` and ``SATNode`` and takes the other three as identity; here they are the grade they
hold. Values found anywhere else (an unknown node holding ``Slope``, ``Saturation`` inside the
SOP node, ``Slope`` directly in the correction) and a correction with no node at all are an
:class:`InputError` naming file and line, never an identity grade. A ``ColorCorrectionRef`` in a
``ColorDecision`` resolves to the ``ColorCorrection`` of that id elsewhere in the same file
(kept as a reference: written back as one); an id nowhere in the file is an :class:`InputError`.
Written files use the v1.2 names every reader knows, numbers as plain decimals that read back
exactly (:func:`cinegrade.media.numbers.decimal_text`).

OpenTimelineIO's EDL (cmx_3600) and ALE adapters keep a clip's CDL as
``clip.metadata["cdl"] = {"asc_sop": {"slope": [r, g, b], "offset": [...], "power": [...]},
"asc_sat": s}`` and write ``*ASC_SOP``/``*ASC_SAT`` from it;
:func:`cinegrade.timeline.effects.cdl_to_otio_metadata` and
:func:`~cinegrade.timeline.effects.cdl_from_otio_metadata` convert to and from that layout.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from cinegrade.colour.cdl import CDL
from cinegrade.errors import InputError
from cinegrade.media.atomic import atomic_path
from cinegrade.media.numbers import decimal_text

CDL_NAMESPACE = "urn:ASC:CDL:v1.01"  # what Resolve, Baselight and OpenColorIO's samples write
Kind = Literal["cc", "ccc", "cdl"]
_ROOT_KINDS: dict[str, Kind] = {
    "ColorCorrection": "cc",
    "ColorCorrectionCollection": "ccc",
    "ColorDecisionList": "cdl",
}
_SOP_TAGS = ("SOPNode", "SopNode", "ASC_SOP")
_SAT_TAGS = ("SatNode", "SATNode", "ASC_SAT")
_SOP_VALUES = ("Slope", "Offset", "Power")
_VALUE_NAMES = frozenset(name.lower() for name in (*_SOP_VALUES, "Saturation"))
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")  # XML 1.0 Char


@dataclass(frozen=True)
class Notes:
    """The free-text elements the spec allows at each level (collection, decision, correction)."""

    descriptions: tuple[str, ...] = ()
    input_description: str | None = None
    viewing_description: str | None = None


@dataclass(frozen=True)
class ColorCorrection:
    """One ``ColorCorrection`` with everything a round trip must keep.

    ``id`` is None when the element has no id attribute (allowed; OpenColorIO loads it too).
    ``media_ref`` and ``decision_notes`` belong to the enclosing ``ColorDecision`` of a .cdl.
    ``reference`` is True for a ``ColorDecision`` that held a ``ColorCorrectionRef``: ``cdl`` and
    ``id`` are those of the correction it names (its notes stay with it), and a .cdl writes it
    back as a reference.
    """

    cdl: CDL
    id: str | None = None
    notes: Notes = field(default_factory=Notes)
    sop_descriptions: tuple[str, ...] = ()
    sat_descriptions: tuple[str, ...] = ()
    media_ref: str | None = None
    decision_notes: Notes = field(default_factory=Notes)
    reference: bool = False


@dataclass(frozen=True)
class CDLDocument:
    """The contents of one .cc, .ccc or .cdl file; ``kind`` is what its root element says."""

    corrections: tuple[ColorCorrection, ...]
    notes: Notes = field(default_factory=Notes)
    kind: Kind = "ccc"

    def by_id(self, correction_id: str) -> ColorCorrection:
        """The correction with this id (what OpenColorIO calls the ``cccid``); :class:`InputError`
        naming the known ids when there is none."""
        for correction in self.corrections:
            if correction.id == correction_id and not correction.reference:
                return correction
        known = ", ".join(repr(c.id) for c in self.corrections if c.id and not c.reference)
        raise InputError(f"no ColorCorrection with id {correction_id!r} (ids: {known or 'none'})")


# --------------------------------------------------------------------------------------------
# Reading


def read_cdl_file(path: str | os.PathLike) -> CDLDocument:
    """Read a .cc, .ccc or .cdl file; malformed or refused XML (entities), another root element,
    a collection without corrections, missing or non-numeric SOP/Sat values, values outside
    ASC CDL v1.2's ranges (:class:`~cinegrade.colour.cdl.CDL`), values in no readable node and a
    ``ColorCorrectionRef`` to an id nowhere in the file raise :class:`InputError` with file and
    line, also when the file cannot be read."""
    root, lines = _parse_xml(Path(path))
    tag = _local(root.tag)
    if tag not in _ROOT_KINDS:
        raise InputError(
            f"root element <{tag}> is not an ASC CDL ColorCorrection, ColorCorrectionCollection "
            "or ColorDecisionList", path, lines.get(root))
    kind = _ROOT_KINDS[tag]
    reader = _Reader(Path(path), lines)
    if kind == "cc":
        return CDLDocument((reader.correction(root),), Notes(), kind)
    corrections: list[ColorCorrection | None] = []
    references: list[tuple[int, ET.Element, ET.Element]] = []  # resolved once all are read
    for child in root:
        name = _local(child.tag)
        if kind == "ccc" and name == "ColorCorrection":
            corrections.append(reader.correction(child))
        elif kind == "cdl" and name == "ColorDecision":
            ref = reader.correction_ref(child)
            if ref is not None:
                references.append((len(corrections), child, ref))
            corrections.append(reader.decision(child) if ref is None else None)
    for index, decision, ref in references:
        corrections[index] = reader.resolve(decision, ref, corrections)
    if not corrections:
        raise InputError(f"<{tag}> holds no ColorCorrection", path, lines.get(root))
    return CDLDocument(tuple(c for c in corrections if c is not None), reader.notes(root), kind)


class _Reader:
    """Turns elements into dataclasses, naming the file and line of whatever is wrong."""

    def __init__(self, path: Path, lines: dict[ET.Element, int]):
        self.path = path
        self.lines = lines

    def error(self, reason: str, element: ET.Element) -> InputError:
        return InputError(reason, self.path, self.lines.get(element))

    def decision(self, element: ET.Element) -> ColorCorrection:
        corrections = [c for c in element if _local(c.tag) == "ColorCorrection"]
        if len(corrections) != 1:
            raise self.error(f"<ColorDecision> needs one ColorCorrection (or ColorCorrectionRef), "
                             f"has {len(corrections)}", element)
        correction = self.correction(corrections[0])
        return ColorCorrection(
            correction.cdl, correction.id, correction.notes, correction.sop_descriptions,
            correction.sat_descriptions, media_ref=self.media_ref(element),
            decision_notes=self.notes(element))

    def correction_ref(self, decision: ET.Element) -> ET.Element | None:
        """The ``ColorCorrectionRef`` of a ``ColorDecision`` that holds one instead of a
        ``ColorCorrection``, else None."""
        refs = [c for c in decision if _local(c.tag) == "ColorCorrectionRef"]
        if not refs:
            return None
        if len(refs) > 1 or any(_local(c.tag) == "ColorCorrection" for c in decision):
            raise self.error("<ColorDecision> needs one ColorCorrection or one ColorCorrectionRef, "
                             "has more", refs[-1])
        return refs[0]

    def resolve(self, decision: ET.Element, ref: ET.Element,
                corrections: list[ColorCorrection | None]) -> ColorCorrection:
        """The decision holding ``ref``: the correction of that id read from the same file."""
        target = ref.get("ref")
        if not target:
            raise self.error("<ColorCorrectionRef> has no ref attribute", ref)
        found = {c.cdl for c in corrections if c is not None and not c.reference and c.id == target}
        if not found:
            raise self.error(f"ColorCorrectionRef {target!r}: no ColorCorrection with this id in the "
                             "file (references into other files are not followed)", ref)
        if len(found) > 1:
            raise self.error(f"ColorCorrectionRef {target!r} is ambiguous: ColorCorrections with "
                             "this id differ", ref)
        return ColorCorrection(found.pop(), target, media_ref=self.media_ref(decision),
                               decision_notes=self.notes(decision), reference=True)

    @staticmethod
    def media_ref(decision: ET.Element) -> str | None:
        media = [c for c in decision if _local(c.tag) == "MediaRef"]
        return media[0].get("ref") if media else None

    def correction(self, element: ET.Element) -> ColorCorrection:
        sop = [c for c in element if _local(c.tag) in _SOP_TAGS]
        sat = [c for c in element if _local(c.tag) in _SAT_TAGS]
        for nodes in (sop, sat):
            if len(nodes) > 1:
                raise self.error(f"more than one <{_local(nodes[1].tag)}>", nodes[1])
        self.refuse_stray_values(element, ())
        if not sop and not sat:
            raise self.error(f"<{_local(element.tag)}> holds no SOPNode or SatNode (nor "
                             f"{', '.join(_SOP_TAGS[1:] + _SAT_TAGS[1:])})", element)
        values: dict[str, object] = {}
        if sop:
            self.refuse_stray_values(sop[0], _SOP_VALUES)
            for name in _SOP_VALUES:
                values[name.lower()] = self.numbers(sop[0], name, 3)
        if sat:
            self.refuse_stray_values(sat[0], ("Saturation",))
            values["saturation"] = self.numbers(sat[0], "Saturation", 1)[0]
        try:
            cdl = CDL(**values)  # type: ignore[arg-type]
        except InputError as error:  # point at the offending value's element when we can
            field = error.reason.split()[1] if error.reason.startswith("CDL ") else ""
            node = sop[0] if field in ("slope", "offset", "power") else sat[0] if sat else None
            culprit = [c for c in node if _local(c.tag).lower() == field] if node is not None else []
            raise self.error(error.reason, culprit[0] if culprit else element) from None
        return ColorCorrection(
            cdl, element.get("id"), self.notes(element),
            sop_descriptions=self.descriptions(sop[0]) if sop else (),
            sat_descriptions=self.descriptions(sat[0]) if sat else ())

    def refuse_stray_values(self, parent: ET.Element, allowed: tuple[str, ...]) -> None:
        """InputError for ASC CDL values that would go unread: a value element in ``parent``
        other than ``allowed`` (any spelling), or, in a correction (``allowed`` empty), an
        element that is no SOP or Sat node but holds values."""
        for child in parent:
            name = _local(child.tag)
            if name in allowed or name in _SOP_TAGS or name in _SAT_TAGS:
                continue
            if name.lower() in _VALUE_NAMES:
                raise self.error(f"<{name}> in <{_local(parent.tag)}> is not read: ASC CDL values "
                                 "belong in a SOPNode (Slope, Offset, Power) or SatNode (Saturation)",
                                 child)
            if not allowed and any(_local(c.tag).lower() in _VALUE_NAMES for c in child):
                raise self.error(f"<{name}> holds ASC CDL values but is no SOP or Sat node "
                                 f"({', '.join(_SOP_TAGS + _SAT_TAGS)}): not read", child)

    def numbers(self, parent: ET.Element, name: str, count: int) -> tuple[float, ...]:
        children = [c for c in parent if _local(c.tag) == name]
        if len(children) != 1:
            raise self.error(f"<{_local(parent.tag)}> needs one <{name}>, has {len(children)}", parent)
        text = (children[0].text or "").split()
        try:
            numbers = tuple(float(token) for token in text)
        except ValueError:
            raise self.error(f"<{name}> {' '.join(text)!r} is not {count} number(s)", children[0]) from None
        if len(numbers) != count:
            raise self.error(f"<{name}> needs {count} number(s), has {len(numbers)}", children[0])
        return numbers

    def notes(self, element: ET.Element) -> Notes:
        def single(name: str) -> str | None:
            found = [_text(c) for c in element if _local(c.tag) == name]
            return "\n".join(found) if found else None

        return Notes(self.descriptions(element), single("InputDescription"), single("ViewingDescription"))

    @staticmethod
    def descriptions(element: ET.Element) -> tuple[str, ...]:
        return tuple(_text(c) for c in element if _local(c.tag) == "Description")


def _parse_xml(path: Path) -> tuple[ET.Element, dict[ET.Element, int]]:
    """Parse with defusedxml, recording each element's line for error messages."""

    class LineTreeBuilder(ET.TreeBuilder):
        expat = None

        def start(self, tag, attrs):  # type: ignore[no-untyped-def]
            element = super().start(tag, attrs)
            lines[element] = self.expat.CurrentLineNumber
            return element

    lines: dict[ET.Element, int] = {}
    builder = LineTreeBuilder()
    parser = DefusedXMLParser(target=builder)
    builder.expat = parser.parser
    try:
        data = path.read_bytes()
        parser.feed(data)
        root = parser.close()
    except OSError as error:
        raise InputError(f"cannot read the CDL file ({error.strerror or error})", path) from None
    except ParseError as error:
        raise InputError(f"not well-formed XML: {error.msg if hasattr(error, 'msg') else error}",
                         path, error.position[0]) from None
    except DefusedXmlException as error:
        raise InputError(f"refused XML: {error}", path, parser.parser.CurrentLineNumber) from None
    except (LookupError, ValueError) as error:  # expat cannot use the declaration's encoding
        raise InputError(f"cannot read the encoding the XML declares ({error})", path, 1) from None
    return root, lines


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(element: ET.Element) -> str:
    return " ".join((element.text or "").split())


# --------------------------------------------------------------------------------------------
# Writing


def write_cdl_file(path: str | os.PathLike, document: CDLDocument | ColorCorrection,
                   kind: Kind | None = None) -> Path:
    """Write ``document`` as .cc, .ccc or .cdl (``kind``, else the file's suffix), atomically.

    A .cc holds exactly one correction. Every id, description and media reference is written
    back where it was read from; values are written as the shortest plain decimals that read back
    to the same numbers (:func:`~cinegrade.media.numbers.decimal_text`), with the v1.2 node
    names. A correction read from a ``ColorCorrectionRef`` is written back as one in a .cdl when
    the correction it names is in ``document`` (else in full); a .ccc holds that correction once.
    :class:`InputError` for another suffix (without ``kind``), a .cc of several corrections, or
    text XML 1.0 cannot hold (control characters). Returns ``path``.
    """
    path = Path(path)
    if isinstance(document, ColorCorrection):
        document = CDLDocument((document,), kind="cc")
    kind = kind or path.suffix.lower().lstrip(".")  # type: ignore[assignment]
    if kind not in ("cc", "ccc", "cdl"):
        raise InputError("a CDL file must end in .cc, .ccc or .cdl", path)
    if kind == "cc" and len(document.corrections) != 1:
        raise InputError(f"a .cc holds one ColorCorrection, not {len(document.corrections)}", path)
    twice = sorted(i for i, n in Counter(c.id for c in document.corrections
                                        if c.id and not c.reference).items() if n > 1)
    if twice:  # the spec asks for unique ids, and OpenColorIO refuses to load a file without them
        raise InputError(f"ColorCorrection id {twice[0]!r} appears more than once; ids must be unique", path)
    if kind == "cc":
        root = _correction_element(document.corrections[0])
    else:
        root = ET.Element("ColorCorrectionCollection" if kind == "ccc" else "ColorDecisionList")
        _add_notes(root, document.notes)
        defined = {(c.id, c.cdl) for c in document.corrections if not c.reference}
        for correction in document.corrections:
            by_ref = correction.reference and (correction.id, correction.cdl) in defined
            if kind == "cdl":
                decision = ET.SubElement(root, "ColorDecision")
                _add_notes(decision, correction.decision_notes)
                if correction.media_ref is not None:
                    ET.SubElement(decision, "MediaRef", ref=correction.media_ref)
                if by_ref:
                    ET.SubElement(decision, "ColorCorrectionRef", ref=correction.id)  # type: ignore[arg-type]
                else:
                    decision.append(_correction_element(correction))
            elif not by_ref:
                root.append(_correction_element(correction))
    root.set("xmlns", CDL_NAMESPACE)
    ET.indent(root, space="    ")
    text = ET.tostring(root, encoding="unicode", xml_declaration=False)
    bad = _NOT_XML.search(text)
    if bad:
        raise InputError(f"U+{ord(bad.group()):04X} cannot be written in XML (in an id, "
                         "description or media reference)", path)
    with atomic_path(path) as temporary:
        temporary.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n", encoding="utf-8",
                             newline="\n")
    return path


def _correction_element(correction: ColorCorrection) -> ET.Element:
    element = ET.Element("ColorCorrection")
    if correction.id is not None:
        element.set("id", correction.id)
    _add_notes(element, correction.notes)
    cdl = correction.cdl
    sop = ET.SubElement(element, "SOPNode")
    for text in correction.sop_descriptions:
        ET.SubElement(sop, "Description").text = text
    for name, values in (("Slope", cdl.slope), ("Offset", cdl.offset), ("Power", cdl.power)):
        ET.SubElement(sop, name).text = " ".join(decimal_text(v) for v in values)
    sat = ET.SubElement(element, "SatNode")
    for text in correction.sat_descriptions:
        ET.SubElement(sat, "Description").text = text
    ET.SubElement(sat, "Saturation").text = decimal_text(cdl.saturation)
    return element


def _add_notes(element: ET.Element, notes: Notes) -> None:
    for text in notes.descriptions:
        ET.SubElement(element, "Description").text = text
    if notes.input_description is not None:
        ET.SubElement(element, "InputDescription").text = notes.input_description
    if notes.viewing_description is not None:
        ET.SubElement(element, "ViewingDescription").text = notes.viewing_description

