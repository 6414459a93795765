"""ASC CDL interchange: .cc, .ccc and .cdl XML files, and OTIO's ``clip.metadata["cdl"]``.

Reference: ASC CDL v1.2 ("ASC-CDL_Release1.2"), XML interchange syntax: a ``ColorCorrection``
(.cc) holds a ``SOPNode`` (Slope, Offset, Power) and a ``SatNode`` (Saturation); a
``ColorCorrectionCollection`` (.ccc) holds many; a ``ColorDecisionList`` (.cdl) holds
``ColorDecision`` elements that pair a ``ColorCorrection`` with a ``MediaRef``. ``Description``,
``InputDescription`` and ``ViewingDescription`` may appear at every level; unknown elements are
ignored, as the spec asks: ``ASC_SOP``/``ASC_SAT`` elements too (those are the EDL comment names),
exactly as OpenColorIO ignores them, so a file means the same here as in every OpenColorIO-based
application. ``SATNode`` (the v1.01 spelling) is read. Any namespace or none is accepted, and the
kind comes from the root element, not the file name (a .ccc holding one bare
``ColorCorrection`` is common). Files are parsed with
defusedxml (no entity expansion, no external entities).

OpenTimelineIO's EDL (cmx_3600) and ALE adapters keep a clip's CDL as
``clip.metadata["cdl"] = {"asc_sop": {"slope": [r, g, b], "offset": [...], "power": [...]},
"asc_sat": s}`` and write ``*ASC_SOP``/``*ASC_SAT`` from it;
:func:`cinegrade.timeline.effects.cdl_to_otio_metadata` and
:func:`~cinegrade.timeline.effects.cdl_from_otio_metadata` convert to and from that layout.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from cinegrade.colour.cdl import CDL
from cinegrade.errors import InputError
from cinegrade.media.atomic import atomic_path

CDL_NAMESPACE = "urn:ASC:CDL:v1.01"  # what Resolve, Baselight and OpenColorIO's samples write
Kind = Literal["cc", "ccc", "cdl"]
_ROOT_KINDS: dict[str, Kind] = {
    "ColorCorrection": "cc",
    "ColorCorrectionCollection": "ccc",
    "ColorDecisionList": "cdl",
}
_SOP_TAGS = ("SOPNode",)
_SAT_TAGS = ("SatNode", "SATNode")


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
    """

    cdl: CDL
    id: str | None = None
    notes: Notes = field(default_factory=Notes)
    sop_descriptions: tuple[str, ...] = ()
    sat_descriptions: tuple[str, ...] = ()
    media_ref: str | None = None
    decision_notes: Notes = field(default_factory=Notes)


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
            if correction.id == correction_id:
                return correction
        known = ", ".join(repr(c.id) for c in self.corrections if c.id)
        raise InputError(f"no ColorCorrection with id {correction_id!r} (ids: {known or 'none'})")


# --------------------------------------------------------------------------------------------
# Reading


def read_cdl_file(path: str | os.PathLike) -> CDLDocument:
    """Read a .cc, .ccc or .cdl file; malformed or refused XML (entities), another root element,
    a collection without corrections, missing or non-numeric SOP/Sat values and values outside
    ASC CDL v1.2's ranges (:class:`~cinegrade.colour.cdl.CDL`) raise :class:`InputError` with
    file and line, also when the file cannot be read."""
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
    corrections: list[ColorCorrection] = []
    for child in root:
        name = _local(child.tag)
        if kind == "ccc" and name == "ColorCorrection":
            corrections.append(reader.correction(child))
        elif kind == "cdl" and name == "ColorDecision":
            corrections.append(reader.decision(child))
    if not corrections:
        raise InputError(f"<{tag}> holds no ColorCorrection", path, lines.get(root))
    return CDLDocument(tuple(corrections), reader.notes(root), kind)


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
            refs = [c for c in element if _local(c.tag) == "ColorCorrectionRef"]
            reason = ("ColorCorrectionRef (a reference into another file) is not supported"
                      if refs else f"<ColorDecision> needs one ColorCorrection, has {len(corrections)}")
            raise self.error(reason, element)
        media = [c for c in element if _local(c.tag) == "MediaRef"]
        correction = self.correction(corrections[0])
        return ColorCorrection(
            correction.cdl, correction.id, correction.notes, correction.sop_descriptions,
            correction.sat_descriptions,
            media_ref=media[0].get("ref") if media else None,
            decision_notes=self.notes(element))

    def correction(self, element: ET.Element) -> ColorCorrection:
        sop = [c for c in element if _local(c.tag) in _SOP_TAGS]
        sat = [c for c in element if _local(c.tag) in _SAT_TAGS]
        for nodes in (sop, sat):
            if len(nodes) > 1:
                raise self.error(f"more than one <{_local(nodes[1].tag)}>", nodes[1])
        values: dict[str, object] = {}
        if sop:
            for name in ("Slope", "Offset", "Power"):
                values[name.lower()] = self.numbers(sop[0], name, 3)
        if sat:
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
    back where it was read from; values are written in full precision, positional notation.
    :class:`InputError` for another suffix (without ``kind``) or a .cc of several corrections.
    Returns ``path``.
    """
    path = Path(path)
    if isinstance(document, ColorCorrection):
        document = CDLDocument((document,), kind="cc")
    kind = kind or path.suffix.lower().lstrip(".")  # type: ignore[assignment]
    if kind not in ("cc", "ccc", "cdl"):
        raise InputError("a CDL file must end in .cc, .ccc or .cdl", path)
    if kind == "cc" and len(document.corrections) != 1:
        raise InputError(f"a .cc holds one ColorCorrection, not {len(document.corrections)}", path)
    if kind == "cc":
        root = _correction_element(document.corrections[0])
    else:
        root = ET.Element("ColorCorrectionCollection" if kind == "ccc" else "ColorDecisionList")
        _add_notes(root, document.notes)
        for correction in document.corrections:
            element = _correction_element(correction)
            if kind == "cdl":
                decision = ET.SubElement(root, "ColorDecision")
                _add_notes(decision, correction.decision_notes)
                if correction.media_ref is not None:
                    ET.SubElement(decision, "MediaRef", ref=correction.media_ref)
                decision.append(element)
            else:
                root.append(element)
    root.set("xmlns", CDL_NAMESPACE)
    ET.indent(root, space="    ")
    text = ET.tostring(root, encoding="unicode", xml_declaration=False)
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
        ET.SubElement(sop, name).text = " ".join(_decimal(v) for v in values)
    sat = ET.SubElement(element, "SatNode")
    for text in correction.sat_descriptions:
        ET.SubElement(sat, "Description").text = text
    ET.SubElement(sat, "Saturation").text = _decimal(cdl.saturation)
    return element


def _add_notes(element: ET.Element, notes: Notes) -> None:
    for text in notes.descriptions:
        ET.SubElement(element, "Description").text = text
    if notes.input_description is not None:
        ET.SubElement(element, "InputDescription").text = notes.input_description
    if notes.viewing_description is not None:
        ET.SubElement(element, "ViewingDescription").text = notes.viewing_description


def _decimal(value: float) -> str:
    """Shortest round-tripping positional form: the schema's xs:decimal has no exponent."""
    return np.format_float_positional(float(value), unique=True, trim="0")
