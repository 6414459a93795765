"""The OTIO contract: the names and keys cinegrade writes into timelines and reads back, in one
place. Every adapter and step uses these, so that a re-run finds and replaces exactly its own.

- The grade: ``otio.schema.Effect(effect_name=GRADE_EFFECT, metadata={NAMESPACE: {...}})`` on
  the clip (schema: :mod:`cinegrade.grade.effects`); a CDL also in ``clip.metadata[CDL_KEY]`` in
  OTIO's EDL layout ``{"asc_sop": {"slope", "offset", "power"}, "asc_sat"}``.
- Warnings: ``otio.schema.Marker`` with ``metadata[NAMESPACE]`` = {rule, severity, value,
  threshold, unit, …} (:mod:`cinegrade.timeline.markers`); in Kdenlive, guides in the guide
  category :data:`GUIDE_CATEGORY` (before document 1.1, which has no categories to add, the
  comment prefix :data:`LEGACY_GUIDE_PREFIX`).
- The editor's cues cinegrade reads: a marker whose name starts with :data:`SCENE_MARKER`
  (any case) starts a scene; a marker named :data:`REFERENCE_MARKER` (any case) on a clip makes
  it its scene's reference.
"""

from __future__ import annotations

#: Key of cinegrade's metadata on effects, markers and clips.
NAMESPACE = "cinegrade"
#: ``effect_name`` of cinegrade's grade effect.
GRADE_EFFECT = "cinegrade.grade"
#: Version of the grade effect's metadata schema.
GRADE_METADATA_VERSION = 1
#: OTIO's key of a clip's ASC CDL (the EDL adapter's ``*ASC_SOP``/``*ASC_SAT``).
CDL_KEY = "cdl"
#: Kdenlive guide category of cinegrade's warnings.
GUIDE_CATEGORY = "cinegrade"
#: Prefix of the comment of cinegrade's guides in documents before 1.1.
LEGACY_GUIDE_PREFIX = "cinegrade: "
#: A marker whose name starts with this word (any case) starts a scene: "scene: kitchen".
SCENE_MARKER = "scene"
#: A marker of this name (any case) on a clip makes it its scene's reference.
REFERENCE_MARKER = "reference"
#: Severities of warnings, mildest first.
INFO, WARNING, ERROR = "info", "warning", "error"
SEVERITIES = (INFO, WARNING, ERROR)


def is_scene_marker(name: str) -> bool:
    """Whether a marker of this name starts a scene.

    >>> is_scene_marker("Scene: kitchen"), is_scene_marker("reference")
    (True, False)
    """
    return name.strip().lower().startswith(SCENE_MARKER)


def is_reference_marker(name: str) -> bool:
    """Whether a marker of this name marks its clip as the scene's reference.

    >>> is_reference_marker(" Reference ")
    True
    """
    return name.strip().lower() == REFERENCE_MARKER
