"""Grades → the metadata of cinegrade's grade effect, and back (OTIO handling:
:mod:`cinegrade.timeline.effects`).

The effect is ``otio.schema.Effect(effect_name="cinegrade.grade", metadata={"cinegrade": {...}})``
with (schema ``version`` 1; the keys marked * are optional, absent meaning null)::

    {"version": 1,
     "cube": str | null,       the whole grade as one .cube, relative to the timeline file (POSIX
                               separators); with keyframes, the grade at the clip's first frame
     "cdl": {"asc_sop": {"slope", "offset", "power"}, "asc_sat"} | null,   method cdl only: the
                               static CDL, what a system without animation gets (EDL, .ccc)
     "live": "cdl" | null,     * which part the NLE applies as an effect the editor can tweak:
                               "cdl", the live CDL (Kdenlive: an enabled SOP/Sat) — the keyframes
                               if any, else "cdl" — followed by "cube_after_cdl"; null, the
                               "cube" alone (Kdenlive: one Apply LUT)
     "cube_after_cdl": str | null,   * with live "cdl": the .cube that follows the live CDL (the
                               look; with method lut also the match), null when nothing follows
     "keyframes": [{"frame": int, "cdl": {...}}, ...] | null,   * the live CDL along the clip:
                               frames from the clip's in-point (0 = its first frame; negative
                               before it), increasing; linear in between, held before the first
                               and after the last
     "look": str | null, "look_strength": float,
     "strength": float | null, the match's strength (null without a match)
     "reference": str | null,  the clip matched to
     "method": "cdl" | "lut" | null,
     "evidence": "aligned" | "global" | "scene" | "reference" | "none" | "applied" | null,
     "confidence": float | null, "uncertain": bool,
     "correction": [6 floats] | null,   the drift undone (cinegrade.matching.match)
     "via": {"clip", "correction", "confidence"} | null,   matched through another shot
     "applied": {"source", "grade", "key", "value"}}   * with evidence "applied": the grade file
                               and the ColorCorrection a colourist's CDL came from, and the key
                               (id, clip name, reel, file name) that put it on this clip
                               (cinegrade.grade.apply)

With method cdl the CDL goes into ``clip.metadata["cdl"]`` too, in OTIO's EDL layout, so the
cmx_3600 adapter writes it as ``*ASC_SOP``/``*ASC_SAT``. A re-run replaces cinegrade's effect
(and the CDL it wrote) and leaves every other effect and the user's own CDL alone; in Kdenlive
cinegrade's filters carry a mark of their own (the live SOP/Sat ``cinegrade:cdl=live``, the Apply
LUT ``cinegrade:grade``), so that the writer replaces exactly those, and the reader gives the
live SOP/Sat back as this effect's CDL or keyframes, with any values the editor changed.
"""

from __future__ import annotations

from collections.abc import Mapping

from cinegrade.errors import InputError
from cinegrade.grade.grade import CDLKeyframe, Grade, check_keyframes
from cinegrade.timeline.contract import GRADE_METADATA_VERSION
from cinegrade.timeline.effects import attach_effect, cdl_from_otio_metadata, cdl_to_otio_metadata

#: The value of ``"live"`` when the grade's CDL is applied as a live effect.
LIVE_CDL = "cdl"


def grade_metadata(grade: Grade, cube: str | None, cube_after_cdl: str | None = None,
                   live: bool = False) -> dict:
    """The effect's ``metadata["cinegrade"]`` for ``grade`` (schema in the module docstring).

    The grade's CDL (:attr:`Grade.live_cdl`) is live (``"live": "cdl"``) when ``live`` is asked
    for or it has keyframes (one .cube cannot hold those), and what follows it is given as
    ``cube_after_cdl`` (its .cube relative to the timeline, see
    :func:`~cinegrade.grade.grade.write_after_cdl_cubes`) or nothing follows it; otherwise the
    ``cube`` alone carries the grade."""
    match = grade.match
    cdl = match.cdl if match is not None and match.method == "cdl" else None
    live = grade.live_cdl and (live or bool(grade.keyframes)) and \
        (cube_after_cdl is not None or grade.after_cdl.is_identity)
    return {
        "version": GRADE_METADATA_VERSION,
        "cube": cube,
        "cdl": cdl_to_otio_metadata(cdl) if cdl is not None else None,
        "live": LIVE_CDL if live else None,
        "cube_after_cdl": cube_after_cdl if live else None,
        "keyframes": keyframes_metadata(grade.keyframes) if grade.keyframes else None,
        "look": grade.look,
        "look_strength": grade.look_strength,
        "strength": match.strength if match is not None else None,
        "reference": match.reference_name if match is not None else None,
        "method": match.method if match is not None else None,
        "evidence": match.evidence if match is not None else None,
        "confidence": round(match.confidence, 4) if match is not None else None,
        "uncertain": bool(match.uncertain) if match is not None else False,
        "correction": [round(v, 6) for v in match.drift] if match is not None else None,
        "via": _via_metadata(match.via) if match is not None and match.via is not None else None,
    }


def _via_metadata(via) -> dict:
    """The intermediate shot's match of a chained match (see ``matching.match_via``)."""
    return {"clip": via.clip_name, "correction": [round(v, 6) for v in via.drift],
            "confidence": round(via.confidence, 4)}


def keyframes_metadata(keyframes) -> list[dict]:
    """CDL keyframes as the metadata's ``"keyframes"``: ``[{"frame": int, "cdl": {...}}]``, the
    CDL in OTIO's EDL layout."""
    return [{"frame": int(k.frame), "cdl": cdl_to_otio_metadata(k.cdl)} for k in keyframes]


def keyframes_from_metadata(metadata: Mapping | None) -> tuple[CDLKeyframe, ...]:
    """The CDL keyframes a grade's metadata carries (``()`` when none). :class:`InputError` when
    they are malformed: not a list of ``{"frame", "cdl"}``, frames not whole and increasing, or
    a CDL outside ASC CDL v1.2's ranges.

    >>> keyframes_from_metadata({"keyframes": [{"frame": 0, "cdl": {"asc_sat": 0.9}}]})[0].cdl.saturation
    0.9
    """
    listed = (metadata or {}).get("keyframes")
    if not listed:
        return ()
    try:
        keyframes = [CDLKeyframe(_whole(k["frame"]), cdl_from_otio_metadata({"cdl": k["cdl"]}))
                     for k in listed]
    except (TypeError, KeyError, ValueError) as error:
        raise InputError(f"grade metadata 'keyframes' is malformed: {error!r}") from None
    if any(k.cdl is None for k in keyframes):
        raise InputError("grade metadata 'keyframes' has a keyframe without a CDL")
    return check_keyframes(keyframes)


def _whole(value) -> int:
    number = float(value)
    if number != int(number):
        raise ValueError(f"frame {value!r} is not a whole number")
    return int(number)


def attach_grade(clip, grade: Grade, cube: str | None, cube_after_cdl: str | None = None,
                 live: bool = False):
    """Replace cinegrade's grade on ``clip`` with ``grade`` (``cube``: its .cube relative to the
    timeline, see :func:`~cinegrade.timeline.effects.relative_cube`; ``cube_after_cdl`` and
    ``live``: its CDL as a live effect, see :func:`grade_metadata`); with method cdl also set
    ``clip.metadata["cdl"]``. Returns the OTIO effect."""
    return attach_effect(clip, grade_metadata(grade, cube, cube_after_cdl, live))


def match_from_metadata(shot_index: int, clip_name: str, metadata: dict | None):
    """The :class:`~cinegrade.matching.match.Match` an earlier run recorded in a clip's grade
    metadata (so ``cinegrade look`` keeps the match under a new look), or None when there is
    none or it is malformed (never raises). Scene and reference index are not recorded (None).
    A CDL match read back from a live effect (Kdenlive's SOP/Sat, perhaps changed by the
    editor) records no ``correction``: its CDL is the match."""
    from cinegrade.matching.match import METHODS, Match

    if not metadata or metadata.get("method") not in METHODS:
        return None
    from_live = metadata.get("method") == "cdl" and metadata.get("cdl") is not None
    if not metadata.get("correction") and not from_live:
        return None
    try:
        drift = tuple(float(v) for v in metadata.get("correction") or (0.0,) * 6)
        cdl = cdl_from_otio_metadata({"cdl": metadata.get("cdl")})
        strength = float(metadata.get("strength") if metadata.get("strength") is not None else 1.0)
        via = metadata.get("via")
        if via:
            via = Match(shot_index, str(via.get("clip")), None, None, metadata.get("reference"),
                        "lut", "aligned", tuple(float(v) for v in via["correction"]),
                        float(via.get("confidence") or 0.0), strength)
        return Match(shot_index, clip_name, None, None, metadata.get("reference"),
                     metadata["method"], metadata.get("evidence") or "aligned", drift,
                     float(metadata.get("confidence") or 0.0), strength, cdl, via=via or None)
    except (TypeError, ValueError, KeyError, InputError):
        return None


def whole_grade_lut(metadata: Mapping | None, base: str | None = None, size: int = 65):
    """The whole grade a clip's grade ``metadata`` applies as one :class:`colour.LUT3D`
    (``size``³, display-referred Rec.709 [0, 1]) when no single .cube holds it: a live CDL
    (``"live": "cdl"``, as read back from Kdenlive, with ``"cube": null``) followed by its
    ``cube_after_cdl`` (relative paths joined to ``base``); keyframes go as the static CDL.
    None when the ``"cube"`` already holds the grade, or there is no live CDL.
    :class:`InputError`: the .cube after the CDL is missing or unreadable (its file)."""
    if not metadata or metadata.get("cube") or metadata.get("live") != LIVE_CDL or not metadata.get("cdl"):
        return None
    from cinegrade.colour.cdl import apply_cdl
    from cinegrade.colour.lut import apply_lut, bake_lut3d
    from cinegrade.media.cube import read_cube
    from cinegrade.timeline.effects import cube_path

    cdl = cdl_from_otio_metadata({"cdl": metadata["cdl"]})
    after = metadata.get("cube_after_cdl")
    look = read_cube(cube_path(after, base)) if after else None
    return bake_lut3d(lambda rgb: apply_cdl(rgb, cdl) if look is None else apply_lut(apply_cdl(rgb, cdl), look),
                      size, "cinegrade grade: live ASC CDL" + (" then its look" if look is not None else ""))
