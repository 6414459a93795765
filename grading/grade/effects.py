"""Grades → the metadata of cinegrade's grade effect, and back (OTIO handling:
:mod:`cinegrade.timeline.effects`).

The effect is ``otio.schema.Effect(effect_name="cinegrade.grade", metadata={"cinegrade": {...}})``
with (schema ``version`` 1)::

    {"version": 1,
     "cube": str | null,       the .cube, relative to the timeline file (POSIX separators)
     "cdl": {"asc_sop": {"slope", "offset", "power"}, "asc_sat"} | null,   method cdl only
     "look": str | null, "look_strength": float,
     "strength": float | null, the match's strength (null without a match)
     "reference": str | null,  the clip matched to
     "method": "cdl" | "lut" | null,
     "evidence": "aligned" | "global" | "reference" | "none" | null,
     "confidence": float | null, "uncertain": bool,
     "correction": [6 floats] | null,   the drift undone (cinegrade.matching.match)
     "via": {"clip", "correction", "confidence"} | null}   matched through another shot

With method cdl the CDL goes into ``clip.metadata["cdl"]`` too, in OTIO's EDL layout, so the
cmx_3600 adapter writes it as ``*ASC_SOP``/``*ASC_SAT``. A re-run replaces cinegrade's effect
(and the CDL it wrote) and leaves every other effect and the user's own CDL alone.
"""

from __future__ import annotations

from cinegrade.errors import InputError
from cinegrade.grade.grade import Grade
from cinegrade.timeline.contract import GRADE_METADATA_VERSION
from cinegrade.timeline.effects import attach_effect, cdl_from_otio_metadata, cdl_to_otio_metadata


def grade_metadata(grade: Grade, cube: str | None) -> dict:
    """The effect's ``metadata["cinegrade"]`` for ``grade`` (schema in the module docstring)."""
    match = grade.match
    cdl = match.cdl if match is not None and match.method == "cdl" else None
    return {
        "version": GRADE_METADATA_VERSION,
        "cube": cube,
        "cdl": cdl_to_otio_metadata(cdl) if cdl is not None else None,
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


def attach_grade(clip, grade: Grade, cube: str | None):
    """Replace cinegrade's grade on ``clip`` with ``grade`` (``cube``: its .cube relative to the
    timeline, see :func:`~cinegrade.timeline.effects.relative_cube`); with method cdl also set
    ``clip.metadata["cdl"]``. Returns the OTIO effect."""
    return attach_effect(clip, grade_metadata(grade, cube))


def match_from_metadata(shot_index: int, clip_name: str, metadata: dict | None):
    """The :class:`~cinegrade.matching.match.Match` an earlier run recorded in a clip's grade
    metadata (so ``cinegrade look`` keeps the match under a new look), or None when there is
    none or it is malformed (never raises). Scene and reference index are not recorded (None)."""
    from cinegrade.matching.match import METHODS, Match

    if not metadata or metadata.get("method") not in METHODS or not metadata.get("correction"):
        return None
    try:
        drift = tuple(float(v) for v in metadata["correction"])
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
