"""Grades → OTIO: the ``cinegrade.grade`` effect on each clip (and the CDL where there is one).

The effect is ``otio.schema.Effect(effect_name="cinegrade.grade", metadata={"cinegrade": {...}})``
with (schema ``version`` 1)::

    {"version": 1,
     "cube": str,              the .cube, relative to the timeline file (POSIX separators)
     "cdl": {"asc_sop": {"slope", "offset", "power"}, "asc_sat"} | null,   method cdl only
     "look": str | null, "look_strength": float,
     "strength": float,        the match's strength
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

import os
from pathlib import Path

import opentimelineio as otio

from cinegrade.colour.cdl import CDL
from cinegrade.errors import InputError
from cinegrade.grade.grade import Grade
from cinegrade.media.cdl_files import cdl_from_otio_metadata, cdl_to_otio_metadata

EFFECT_NAME = "cinegrade.grade"
KEY = "cinegrade"
METADATA_VERSION = 1


def grade_metadata(grade: Grade, cube: str | None) -> dict:
    """The effect's ``metadata["cinegrade"]`` for ``grade`` (schema in the module docstring)."""
    match = grade.match
    cdl = match.cdl if match is not None and match.method == "cdl" else None
    return {
        "version": METADATA_VERSION,
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


def relative_cube(cube: str | os.PathLike, timeline_path: str | os.PathLike) -> str:
    """``cube`` relative to the folder of ``timeline_path`` (POSIX separators), or absolute
    when no relative path exists (another drive)."""
    try:
        return Path(os.path.relpath(Path(cube).resolve(),
                                    Path(timeline_path).resolve().parent)).as_posix()
    except ValueError:
        return Path(cube).resolve().as_posix()


def cinegrade_effects(clip: otio.schema.Clip) -> list[otio.schema.Effect]:
    """cinegrade's grade effects on ``clip`` (normally one)."""
    return [e for e in clip.effects if e.effect_name == EFFECT_NAME]


def remove_grade(clip: otio.schema.Clip) -> None:
    """Take cinegrade's grade off ``clip``: its effects, and ``metadata["cdl"]`` where it is the
    CDL cinegrade's effect carried (a CDL of the user's own stays)."""
    ours = [cdl_from_otio_metadata({"cdl": (e.metadata.get(KEY) or {}).get("cdl")})
            for e in cinegrade_effects(clip)]
    current = _clip_cdl(clip)
    if current is not None and any(c is not None and c == current for c in ours):
        del clip.metadata["cdl"]
    kept = [e for e in clip.effects if e.effect_name != EFFECT_NAME]
    clip.effects[:] = kept


def attach_grade(clip: otio.schema.Clip, grade: Grade, cube: str | None) -> otio.schema.Effect:
    """Replace cinegrade's grade on ``clip`` with ``grade`` (``cube``: its .cube relative to the
    timeline, see :func:`relative_cube`); with method cdl also set ``clip.metadata["cdl"]``.
    The user's other effects keep their order; the grade comes last."""
    remove_grade(clip)
    metadata = grade_metadata(grade, cube)
    effect = otio.schema.Effect(name=EFFECT_NAME, effect_name=EFFECT_NAME, metadata={KEY: metadata})
    clip.effects.append(effect)
    if metadata["cdl"] is not None:
        clip.metadata["cdl"] = metadata["cdl"]
    return effect


def clip_grade(clip: otio.schema.Clip) -> dict | None:
    """``metadata["cinegrade"]`` of the clip's (last) cinegrade grade as plain data, or None."""
    effects = cinegrade_effects(clip)
    if not effects:
        return None
    return _plain(effects[-1].metadata.get(KEY) or {})


def _plain(value):
    """OTIO's AnyDictionary/AnyVector as plain dicts and lists (they die with their owner)."""
    if hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or type(value).__name__ == "AnyVector":
        return [_plain(v) for v in value]
    return value


def clip_cdl(clip: otio.schema.Clip) -> CDL | None:
    """The CDL a clip carries: cinegrade's grade's, else ``metadata["cdl"]`` (e.g. from an EDL)."""
    grade = clip_grade(clip)
    if grade and grade.get("cdl"):
        return cdl_from_otio_metadata({"cdl": grade["cdl"]})
    return _clip_cdl(clip)


def _clip_cdl(clip: otio.schema.Clip) -> CDL | None:
    try:
        return cdl_from_otio_metadata(clip.metadata)
    except Exception:  # noqa: BLE001 - a malformed user CDL is not ours to judge here
        return None


def match_from_metadata(shot_index: int, clip_name: str, metadata: dict | None):
    """The :class:`~cinegrade.matching.match.Match` an earlier run recorded in a clip's grade
    metadata (so ``cinegrade look`` keeps the match under a new look), or None."""
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
