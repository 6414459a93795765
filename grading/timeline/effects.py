"""cinegrade's grade effect on OTIO clips: put on, taken off, read back (the OTIO side of grades).

The effect is ``otio.schema.Effect(effect_name=GRADE_EFFECT, metadata={NAMESPACE: {...}})``
(:mod:`cinegrade.timeline.contract`; the metadata's schema: :mod:`cinegrade.grade.effects`). A
CDL goes into ``clip.metadata["cdl"]`` too, in OTIO's EDL layout, so the cmx_3600 adapter writes
it as ``*ASC_SOP``/``*ASC_SAT``. Taking the grade off removes cinegrade's effect and the CDL it
wrote, and leaves every other effect and the user's own CDL alone.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import opentimelineio as otio

from cinegrade.colour.cdl import CDL
from cinegrade.errors import InputError
from cinegrade.timeline.contract import CDL_KEY, GRADE_EFFECT, NAMESPACE


def cdl_to_otio_metadata(cdl: CDL) -> dict:
    """``cdl`` in the layout OTIO's EDL and ALE adapters read and write (``clip.metadata["cdl"]``).

    >>> cdl_to_otio_metadata(CDL(slope=(1.1, 1.0, 0.9)))["asc_sop"]["slope"]
    [1.1, 1.0, 0.9]
    """
    return {
        "asc_sop": {"slope": list(cdl.slope), "offset": list(cdl.offset), "power": list(cdl.power)},
        "asc_sat": cdl.saturation,
    }


def cdl_from_otio_metadata(metadata: Mapping) -> CDL | None:
    """The CDL in a clip's metadata (``clip.metadata``), or None when it carries none.

    A missing ``asc_sop`` means identity SOP, a missing ``asc_sat`` means saturation 1, as the
    EDL adapter writes either line alone. Malformed values (not a mapping, not numbers, or
    outside ASC CDL v1.2's ranges) raise InputError (no file: the caller knows it).

    >>> cdl_from_otio_metadata({"cdl": {"asc_sat": 0.5}}).saturation
    0.5
    """
    carried = metadata.get("cdl") if isinstance(metadata, Mapping) else None
    if carried is None:
        return None
    if not isinstance(carried, Mapping):
        raise InputError(f"clip metadata 'cdl' is not a mapping: {carried!r}")
    values: dict[str, object] = {}
    sop = carried.get("asc_sop")
    try:
        if sop is not None:
            for name in ("slope", "offset", "power"):
                if name in sop:
                    values[name] = tuple(float(v) for v in sop[name])
        if carried.get("asc_sat") is not None:
            values["saturation"] = float(carried["asc_sat"])
    except (TypeError, ValueError) as error:
        raise InputError(f"clip metadata 'cdl' has a non-numeric value: {error}") from None
    return CDL(**values)  # type: ignore[arg-type]


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
    return [e for e in clip.effects if e.effect_name == GRADE_EFFECT]


def remove_grade(clip: otio.schema.Clip) -> None:
    """Take cinegrade's grade off ``clip``: its effects, and ``metadata["cdl"]`` where it is the
    CDL cinegrade's effect carried (a CDL of the user's own stays)."""
    ours = [cdl_from_otio_metadata({"cdl": (e.metadata.get(NAMESPACE) or {}).get("cdl")})
            for e in cinegrade_effects(clip)]
    current = _clip_cdl(clip)
    if current is not None and any(c is not None and c == current for c in ours):
        del clip.metadata["cdl"]
    kept = [e for e in clip.effects if e.effect_name != GRADE_EFFECT]
    clip.effects[:] = kept


def clip_grade(clip: otio.schema.Clip) -> dict | None:
    """``metadata["cinegrade"]`` of the clip's (last) cinegrade grade as plain data, or None."""
    effects = cinegrade_effects(clip)
    if not effects:
        return None
    return _plain(effects[-1].metadata.get(NAMESPACE) or {})


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


def cube_path(cube: str | os.PathLike, base: str | None = None) -> str:
    """The absolute path MLT needs for a grade's .cube: relative paths joined to ``base``."""
    cube = os.path.expanduser(os.fspath(cube))
    return os.path.abspath(os.path.join(base, cube) if base and not os.path.isabs(cube) else cube)


def attach_effect(clip: otio.schema.Clip, metadata: Mapping) -> otio.schema.Effect:
    """Replace cinegrade's grade on ``clip`` by one carrying ``metadata`` (the grade effect's
    schema); a ``metadata["cdl"]`` also becomes ``clip.metadata["cdl"]``. The user's other
    effects keep their order; the grade comes last."""
    remove_grade(clip)
    effect = otio.schema.Effect(name=GRADE_EFFECT, effect_name=GRADE_EFFECT,
                                metadata={NAMESPACE: dict(metadata)})
    clip.effects.append(effect)
    if metadata.get(CDL_KEY) is not None:
        clip.metadata[CDL_KEY] = metadata[CDL_KEY]
    return effect


def rebase_grade(clip: otio.schema.Clip, base: str, output: str | os.PathLike) -> None:
    """Make the relative .cube paths of cinegrade's grade on ``clip`` (relative to ``base``,
    the folder of the timeline it was read from) relative to ``output``'s folder instead, so a
    clip left as it was keeps its grade when the timeline is written elsewhere."""
    kept = clip_grade(clip) or {}
    moved = {key: relative_cube(cube_path(kept[key], base), output)
             for key in ("cube", "cube_after_cdl")
             if kept.get(key) and not os.path.isabs(os.path.expanduser(kept[key]))}
    if any(kept[key] != path for key, path in moved.items()):
        effect = cinegrade_effects(clip)[-1]
        effect.metadata[NAMESPACE] = {**kept, **moved}
