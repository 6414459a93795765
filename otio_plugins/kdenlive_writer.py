"""OTIO timeline → Kdenlive document.

A timeline read from a Kdenlive project is written by editing that project's own document (kept in
``timeline.metadata["kdenlive"]["document"]``): only cinegrade's edits change it —
``cinegrade.grade`` effects become Kdenlive's "Apply LUT" filter (``avfilter.lut3d``) on the clip's
timeline entry (a live CDL: an enabled "SOP/Sat", ``frei0r.sopsat``, before it; see
:func:`grade_filters`), markers carrying ``metadata["cinegrade"]`` become guides in a guide
category named "cinegrade" — and every other element and property comes out as it was. A timeline from
elsewhere becomes a new, complete project (:func:`new_project`) in the newest document format
the installed Kdenlive opens, else 1.1 (:mod:`cinegrade.otio_plugins.kdenlive_version`).
"""

from __future__ import annotations

import math
import os
import uuid as uuid_module
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from fractions import Fraction

import opentimelineio as otio

from cinegrade.otio_plugins import kdenlive_version
from cinegrade.otio_plugins.kdenlive_document import (
    CURRENT_VERSION,
    DEFAULT_CATEGORIES,
    LEGACY_VERSION,
    KdenliveDocument,
    KdenliveInputError,
    Sequence,
    dump_json_list,
    frames_to_clock,
    insert_child,
    is_path_like,
    prop,
    properties,
    resolve_path,
    set_prop,
)
from cinegrade.otio_plugins.kdenlive_document import (
    UNLIMITED_LENGTH as UNLIMITED,
)
from cinegrade.otio_plugins.kdenlive_reader import (
    CINEGRADE_CATEGORY,
    GRADE_EFFECT,
    GRADE_MARK,
    KEY,
    LEGACY_PREFIX,
    otio_colour,
)
from cinegrade.otio_plugins.kdenlive_sopsat import CDL_MARK, LIVE, live_cdl, sopsat_properties
from cinegrade.timeline.effects import cube_path
from cinegrade.timeline.shots import timeline_rate

#: Kdenlive's "Apply LUT" effect (data/effects/avfilter/avfilter_lut3d.xml): the MLT service, the
#: effect id Kdenlive lists it under, and its parameters' defaults.
LUT_SERVICE = "avfilter.lut3d"
LUT_INTERPOLATION = "tetrahedral"
#: Colour of the "cinegrade" guide category; the fixed category documents before 1.1 (which
#: cannot have categories of their own) get instead, their comments prefixed with LEGACY_PREFIX.
CINEGRADE_COLOUR = "#ff00ff"
LEGACY_CATEGORY = 8


def write_document(timeline: otio.schema.Timeline, target_path: str | None = None,
                   version: str | float | None = kdenlive_version.AUTO) -> str:
    """The project text for ``timeline``: its original document edited, or a new project.

    ``version`` "auto" (or None): a timeline read from a Kdenlive project keeps that project's
    version (its document is edited); a new project gets the newest version the installed
    Kdenlive opens, else 1.1. "1.1"/"1.04" choose; one that differs from the version of the
    project the timeline was read from makes a new project in it.
    (:func:`~cinegrade.otio_plugins.kdenlive_version.resolve_document_version`.)
    """
    if not isinstance(timeline, otio.schema.Timeline):
        raise KdenliveInputError(f"the Kdenlive adapter writes timelines, not {type(timeline).__name__}", target_path)
    try:
        resolved, _ = kdenlive_version.resolve_document_version(version, timeline)
    except KdenliveInputError as error:
        raise KdenliveInputError(error.reason, target_path) from None
    if kdenlive_version.edits_source(resolved, timeline):
        return edit_document(timeline, target_path)
    return new_project(timeline, target_path, resolved)


def edit_document(timeline: otio.schema.Timeline, target_path: str | None = None) -> str:
    """The original document with cinegrade's grades and guides replaced by the timeline's."""
    meta = timeline.metadata[KEY]
    if target_path and meta.get("path") and os.path.abspath(target_path) == os.path.abspath(meta["path"]):
        raise KdenliveInputError("refusing to overwrite the project the timeline was read from; "
                                 "write to a new file", target_path)
    document = KdenliveDocument(meta["document"], meta.get("path"))
    sequence = _sequence_of(document, meta)
    rate = document.rate
    for clip in timeline.find_clips():
        locator = clip.metadata.get(KEY) or {}
        if "playlist" not in locator:
            continue
        entry = _entry(document, locator)
        grades = [e for e in clip.effects if e.effect_name == GRADE_EFFECT]
        set_grade(document, entry, grades[-1] if grades else None,
                  os.path.dirname(os.path.abspath(target_path)) if target_path else None,
                  media_in_point(clip, rate))
    set_cinegrade_guides(document, sequence, cinegrade_guides(timeline, rate))
    _keep_root(document, meta, target_path)
    return document.to_string()


# -- grades -------------------------------------------------------------------------------------------
def lut_filter_properties(cube: str, interpolation: str = LUT_INTERPOLATION) -> list[tuple[str, str]]:
    """The properties of an "Apply LUT" filter as Kdenlive writes its effects, plus cinegrade's mark."""
    return [
        ("mlt_service", LUT_SERVICE),
        ("kdenlive_id", LUT_SERVICE),
        ("av.file", cube),
        ("av.interp", interpolation),
        ("kdenlive:collapsed", "0"),
        (GRADE_MARK, "1"),
    ]


def grade_filters(settings, base: str | None = None, media_in: int = 0) -> list[tuple[str, list[tuple[str, str]]]]:
    """The Kdenlive filters of a grade (its ``metadata["cinegrade"]``, :mod:`cinegrade.grade.effects`),
    in stack order, each as (the mark naming it cinegrade's, its properties); [] when a grade
    that is not live has no .cube.

    - ``"live": "cdl"``: SOP/Sat, enabled, with the CDL or its keyframes (``media_in``: the media
      frame of the clip's in-point, where keyframe 0 goes), then Apply LUT with
      ``cube_after_cdl`` (none when nothing follows the CDL);
    - otherwise: Apply LUT with ``cube``, and with a ``cdl`` a disabled SOP/Sat copy after it.

    Relative .cube paths are relative to ``base``."""
    interpolation = settings.get("interpolation", LUT_INTERPOLATION)
    if settings.get("live") == "cdl" and (settings.get("cdl") or settings.get("keyframes")):
        filters = [(CDL_MARK, sopsat_properties(settings.get("cdl"), settings.get("keyframes"), media_in))]
        if settings.get("cube_after_cdl"):
            filters.append((GRADE_MARK, lut_filter_properties(cube_path(settings["cube_after_cdl"], base),
                                                              interpolation)))
        return filters
    if not settings.get("cube"):
        return []
    filters = [(GRADE_MARK, lut_filter_properties(cube_path(settings["cube"], base), interpolation))]
    if settings.get("cdl"):
        filters.append((CDL_MARK, sopsat_properties(settings["cdl"], live=False)))
    return filters


def set_grade(document: KdenliveDocument, entry: ET.Element, grade: otio.schema.Effect | None,
              base: str | None = None, media_in: int = 0) -> None:
    """Make ``entry`` carry exactly cinegrade's filters for ``grade`` (:func:`grade_filters`;
    none if None), leaving every other filter as it is.

    A relative .cube path is relative to ``base`` (the written project's folder; cinegrade keeps
    grade paths relative to the timeline), else to the working folder; ``media_in`` is the media
    frame of the clip's in-point (for keyframes).

    cinegrade's filters (by their marks) are updated in place (same id, same place in the stack),
    so that a re-run replaces rather than stacks; a filter whose grade is unchanged stays as it
    is — the live SOP/Sat when it applies the same CDL or keyframes, however Kdenlive formatted
    them, and switched off if the editor switched it off. A new filter goes right before or after
    its partner, else after Kdenlive's built-in effects; a rewritten pair is put in stack order.
    """
    ours = {mark: [f for f in entry.findall("filter") if prop(f, mark)] for mark in (GRADE_MARK, CDL_MARK)}
    wanted = []
    if grade is not None:
        settings = grade.metadata.get("cinegrade") or {}
        wanted = grade_filters(settings, base, media_in)
        if not wanted:
            raise document.error(f"the {GRADE_EFFECT} effect on entry {entry.get('producer')!r} has no "
                                 "metadata['cinegrade']['cube'] (.cube path)")
    marks = [mark for mark, _ in wanted]
    for mark, found in ours.items():
        for extra in found[0 if mark not in marks else 1:]:
            entry.remove(extra)
    placed: list[ET.Element] = []
    changed = False
    for index, (mark, values) in enumerate(wanted):
        target = ours[mark][0] if ours[mark] else None
        if target is None:
            target = ET.Element("filter", {"id": document.free_id("filter")})
            partner = next((ours[m][0] for m, _ in wanted[index + 1:] if ours[m]), None)
            if placed:
                position = list(entry).index(placed[-1]) + 1
            elif partner is not None:
                position = list(entry).index(partner)
            else:  # after Kdenlive's built-in effects (transform, volume): the grade acts on the source
                children = list(entry)
                position = next((i for i, child in enumerate(children) if child.tag == "filter"
                                 and prop(child, "kdenlive:builtin") != "1"), len(children))
            insert_child(entry, target, position)
        elif _unchanged(document, target, mark, values, media_in):
            placed.append(target)
            continue
        elif mark == CDL_MARK and prop(target, CDL_MARK) == LIVE and prop(target, "disable") == "1":
            values = values + [("disable", "1")]  # the editor's switch
        _replace_properties(target, values)
        placed.append(target)
        changed = True
    if changed:
        for before, after in zip(placed, placed[1:]):
            if list(entry).index(after) < list(entry).index(before):
                entry.remove(after)
                insert_child(entry, after, list(entry).index(before) + 1)


def _unchanged(document: KdenliveDocument, target: ET.Element, mark: str,
               wanted: list[tuple[str, str]], media_in: int) -> bool:
    """Whether cinegrade's filter ``target`` already applies ``wanted``: the same properties; for
    the live SOP/Sat the same CDL or keyframes, as :func:`live_cdl` reads them."""
    have = [(p.get("name"), p.text or "") for p in target.findall("property")]
    if have == wanted:
        return True
    wanted_props = dict(wanted)
    if mark != CDL_MARK or wanted_props.get(CDL_MARK) != LIVE or prop(target, CDL_MARK) != LIVE:
        return False
    return live_cdl(properties(target), media_in, document.frames) == \
        live_cdl(wanted_props, media_in, document.frames)


def _replace_properties(target: ET.Element, wanted: list[tuple[str, str]]) -> None:
    for child in list(target):
        target.remove(child)
    target.text = None
    for name, value in wanted:
        set_prop(target, name, value)


def media_in_point(clip: otio.schema.Clip, rate: float) -> int:
    """The media frame (from the media's first frame, as MLT counts) of ``clip``'s in-point:
    where a clip effect's keyframe 0 goes."""
    start = clip.trimmed_range().start_time.value_rescaled_to(rate)
    available = clip.media_reference.available_range if clip.media_reference is not None else None
    if available is not None:
        start -= available.start_time.value_rescaled_to(rate)
    return max(round(start), 0)


# -- guides -------------------------------------------------------------------------------------------
def cinegrade_guides(timeline: otio.schema.Timeline, rate: float) -> list[dict]:
    """cinegrade's markers (``metadata["cinegrade"]``) anywhere in the timeline, as guide
    positions (timeline frames) and comments, sorted by position."""
    found: list[dict] = []

    def add(marker: otio.schema.Marker, frame: int) -> None:
        if "cinegrade" in marker.metadata:
            found.append({"pos": int(frame), "comment": marker.name or marker.metadata["cinegrade"].get("rule", "")})

    for marker in timeline.tracks.markers:
        add(marker, round(marker.marked_range.start_time.value_rescaled_to(rate)))
    for track in timeline.tracks:
        for marker in track.markers:
            add(marker, round(marker.marked_range.start_time.value_rescaled_to(rate)))
        for item in track:
            if not isinstance(item, otio.schema.Clip) or not item.markers:
                continue
            placed = item.range_in_parent().start_time
            trimmed = item.trimmed_range().start_time
            for marker in item.markers:
                at = placed + (marker.marked_range.start_time - trimmed)
                add(marker, round(at.value_rescaled_to(rate)))
    return sorted(found, key=lambda g: g["pos"])


def set_cinegrade_guides(document: KdenliveDocument, sequence: Sequence, wanted: list[dict]) -> None:
    """Replace cinegrade's guides of ``sequence`` by ``wanted``; the user's guides stay as they are."""
    element, name = document.guides_holder(sequence)
    guides = document.guides(sequence)
    has_categories = prop(document.main_bin, "kdenlive:docproperties.guidesCategories") is not None
    if has_categories:
        categories = document.categories()
        category = next((c for c in categories if c.get("comment") == CINEGRADE_CATEGORY), None)
        index = int(category["index"]) if category else max((int(c.get("index", 0)) for c in categories), default=-1) + 1

        def is_ours(guide: dict) -> bool:
            return category is not None and int(guide.get("type", -1)) == index

        new = [{"comment": g["comment"], "pos": g["pos"], "type": index} for g in wanted]
    else:
        categories, category, index = [], None, LEGACY_CATEGORY

        def is_ours(guide: dict) -> bool:
            return str(guide.get("comment", "")).startswith(LEGACY_PREFIX)

        new = [{"comment": LEGACY_PREFIX + g["comment"], "pos": g["pos"], "type": index} for g in wanted]
    ours = [g for g in guides if is_ours(g)]
    if [(g.get("pos"), g.get("comment")) for g in ours] == [(g["pos"], g["comment"]) for g in new]:
        return
    if has_categories and category is None and new:
        categories.append({"color": CINEGRADE_COLOUR, "comment": CINEGRADE_CATEGORY, "index": index})
        set_prop(document.main_bin, "kdenlive:docproperties.guidesCategories", dump_json_list(categories))
    merged = sorted([g for g in guides if not is_ours(g)] + new, key=lambda g: int(g.get("pos", 0)))
    set_prop(element, name, dump_json_list(merged))
    # A 1.1 sequence shows its guides as the markers of its bin clip too.
    if element is sequence.element and prop(element, "kdenlive:markers") is not None:
        set_prop(element, "kdenlive:markers", dump_json_list(merged))


# -- places and paths -------------------------------------------------------------------------------
def _sequence_of(document: KdenliveDocument, meta: dict) -> Sequence:
    wanted = meta.get("sequence_element")
    for sequence in document.sequences():
        if sequence.element.get("id") == wanted or (meta.get("sequence") and sequence.uuid == meta.get("sequence")):
            return sequence
    raise document.error(f"the timeline's sequence {meta.get('sequence') or wanted!r} is not in its document")


def _entry(document: KdenliveDocument, locator: dict) -> ET.Element:
    """The playlist entry a clip was read from (playlist id, entry index, producer id)."""
    playlist = document.element(locator["playlist"], "a clip of the timeline")
    entries = playlist.findall("entry")
    index = int(locator.get("entry", -1))
    if not 0 <= index < len(entries) or entries[index].get("producer") != locator.get("producer"):
        raise document.error(f"clip entry {index} of playlist {locator['playlist']!r} no longer matches the "
                             "document the timeline was read from")
    return entries[index]


def _keep_root(document: KdenliveDocument, meta: dict, target_path: str | None) -> None:
    """Keep relative media paths pointing at the same files when the project is written elsewhere.

    MLT resolves relative resources against ``root`` and, when ``root`` is empty, against the
    working directory (producer_xml.c); Kdenlive takes an empty ``root`` as the project folder.
    A project written to another folder therefore gets the original folder as explicit ``root``
    — only where that keeps a file reachable that the new folder would lose, so that a project
    whose media resolves either way (or nowhere) comes back unchanged.
    """
    if target_path is None or document.root.get("root"):
        return
    original = meta.get("root") or document.effective_root
    target_dir = os.path.dirname(os.path.abspath(target_path))
    if not original or os.path.abspath(original) == target_dir:
        return
    relative = [resource for resource in _file_resources(document)
                if resolve_path(resource, target_dir) != resource]
    if any(os.path.exists(resolve_path(r, os.path.abspath(original))) and
           not os.path.exists(resolve_path(r, target_dir)) for r in relative):
        document.root.set("root", os.path.abspath(original))


def _file_resources(document: KdenliveDocument) -> list[str]:
    """The file paths the document's producers and chains read, as written."""
    found = []
    for element in document.root.iter():
        if element.tag in ("producer", "chain"):
            props = properties(element)
            for name in ("resource", "warp_resource", "kdenlive:originalurl"):
                value = props.get(name)
                if value and is_path_like(value, props.get("mlt_service")):
                    found.append(value)
    return found


# -- new projects -------------------------------------------------------------------------------------
#: MLT version written in new projects' <mlt version> (Debian 12/13's melt is 7.x).
MLT_VERSION = "7.12.0"
_BIN_FOLDER_SEQUENCES = "2"
# LEGACY_VERSION ("1.04", Kdenlive 21.12–22.12: one timeline, fixed guide categories) comes
# from kdenlive_document.


def _internal_transition(index: int, is_audio: bool, legacy: bool) -> list[tuple[str, str]]:
    """Kdenlive's automatic track transition: audio mix, or video compositing over the tracks
    below (qtblend since 23.04; frei0r.cairoblend before, which also renders without X11)."""
    if is_audio:
        return [("a_track", "0"), ("b_track", str(index)), ("mlt_service", "mix"), ("kdenlive_id", "mix"),
                ("internal_added", "237"), ("always_active", "1"), ("accepts_blanks", "1"), ("sum", "1")]
    if legacy:
        return [("a_track", "0"), ("b_track", str(index)), ("version", "0.1"), ("mlt_service", "frei0r.cairoblend"),
                ("kdenlive_id", "frei0r.cairoblend"), ("internal_added", "237"), ("always_active", "1")]
    return [("a_track", "0"), ("b_track", str(index)), ("compositing", "0"), ("distort", "0"),
            ("rotate_center", "0"), ("mlt_service", "qtblend"), ("kdenlive_id", "qtblend"),
            ("internal_added", "237"), ("always_active", "1")]


def new_project(timeline: otio.schema.Timeline, target_path: str | None = None,
                version: str = CURRENT_VERSION) -> str:
    """A complete Kdenlive project for a timeline from elsewhere (EDL, FCP XML, OTIO), in document
    format 1.1 (Kdenlive 23.04+) or, with ``version="1.04"``, for Kdenlive 21.12–22.12.

    Profile from the timeline's rate and the media's resolution; one bin clip per media; one
    sequence with the timeline's tracks (audio below video, as Kdenlive orders them), clips, gaps,
    Kdenlive effects that came with the clips and cinegrade's grades; guides from the timeline
    markers; (1.1) the project tractor that makes melt play the sequence. Media paths are written
    absolute and ``root`` is the project's folder, so the project opens from any working folder.
    Transitions between two clips become Kdenlive's same-track mixes (:func:`track_layout`);
    those the media's handles or the clips' lengths cannot hold become cuts.
    """
    if version not in (CURRENT_VERSION, LEGACY_VERSION):
        raise KdenliveInputError(f"cinegrade writes new Kdenlive projects in document format {CURRENT_VERSION} "
                                 f"(Kdenlive 23.04+) or {LEGACY_VERSION} (21.12–22.12), not {version!r}", target_path)
    fps = _timeline_rate(timeline)
    rate = float(fps)
    width, height = _resolution(timeline)
    root_dir = os.path.dirname(os.path.abspath(target_path)) if target_path else os.getcwd()
    mlt = ET.Element("mlt", {"LC_NUMERIC": "C", "producer": "main_bin", "root": root_dir, "version": MLT_VERSION})
    divisor = math.gcd(width, height)
    ET.SubElement(mlt, "profile", {
        "description": f"{width}x{height} {float(fps):.3g} fps", "width": str(width), "height": str(height),
        "progressive": "1", "sample_aspect_num": "1", "sample_aspect_den": "1",
        "display_aspect_num": str(width // divisor), "display_aspect_den": str(height // divisor),
        "frame_rate_num": str(fps.numerator), "frame_rate_den": str(fps.denominator), "colorspace": "709",
    })
    ids = _Ids()
    clock = lambda frames: frames_to_clock(frames, fps)  # noqa: E731

    def frames(time: otio.opentime.RationalTime) -> int:
        return round(time.value_rescaled_to(rate))

    # Bin clips: one producer per distinct media.
    media: dict[str, ET.Element] = {}
    bin_order: list[ET.Element] = []
    categories = [dict(c) for c in DEFAULT_CATEGORIES]
    for clip in timeline.find_clips():
        key = _media_key(clip)
        if key in media:
            continue
        producer = ET.SubElement(mlt, "producer", {"id": ids.next("producer"), "in": clock(0)})
        kdenlive_id = str(len(media) + 4)  # Kdenlive numbers bin items from its folders up
        _producer_properties(producer, clip, kdenlive_id, rate, clock)
        media[key] = producer
        bin_order.append(producer)
    # Clip markers that are not cinegrade's belong to the bin clip (source frames).
    for clip in timeline.find_clips():
        markers = [m for m in clip.markers if "cinegrade" not in m.metadata]
        if markers and prop(media[_media_key(clip)], "kdenlive:markers") is None:
            set_prop(media[_media_key(clip)], "kdenlive:markers", dump_json_list(
                [{"comment": m.name, "pos": frames(m.marked_range.start_time), "type": _category_of(m, categories)}
                 for m in markers]))

    total = max(frames(timeline.tracks.duration()), 1)
    black = ET.SubElement(mlt, "producer", {"id": ids.next("producer"), "in": clock(0), "out": clock(total - 1)})
    for name, value in (("length", str(UNLIMITED)), ("eof", "continue"), ("resource", "black"),
                        ("aspect_ratio", "1"), ("mlt_service", "color"), ("kdenlive:playlistid", "black_track"),
                        ("mlt_image_format", "rgba"), ("set.test_audio", "0")):
        set_prop(black, name, value)

    audio = [t for t in timeline.tracks if isinstance(t, otio.schema.Track) and t.kind == otio.schema.TrackKind.Audio]
    video = [t for t in timeline.tracks if isinstance(t, otio.schema.Track) and t.kind != otio.schema.TrackKind.Audio]
    track_ids: list[tuple[str, bool, bool]] = []
    for track in list(reversed(audio)) + video:
        is_audio = track.kind == otio.schema.TrackKind.Audio
        placements, mixes = track_layout(track, rate)
        playlists = []
        for index in range(2):
            playlist = ET.SubElement(mlt, "playlist", {"id": ids.next("playlist")})
            if is_audio:
                set_prop(playlist, "kdenlive:audio_track", "1")
            cursor = 0
            for placed in (p for p in placements if p.playlist == index):
                if placed.start > cursor:
                    ET.SubElement(playlist, "blank", {"length": clock(placed.start - cursor)})
                producer = media[_media_key(placed.clip)]
                entry = ET.SubElement(playlist, "entry", {
                    "producer": producer.get("id"), "in": clock(placed.source_in),
                    "out": clock(placed.source_in + placed.length - 1)})
                set_prop(entry, "kdenlive:id", prop(producer, "kdenlive:id"))
                for effect in placed.clip.effects:
                    _write_effect(entry, effect, ids, root_dir, media_in_point(placed.clip, rate))
                cursor = placed.start + placed.length
            playlists.append(playlist)
        playlist, second = playlists
        tractor = ET.SubElement(mlt, "tractor", {"id": ids.next("tractor"), "in": clock(0), "out": clock(total - 1)})
        if is_audio:
            set_prop(tractor, "kdenlive:audio_track", "1")
        for name, value in (("kdenlive:trackheight", "67"), ("kdenlive:timeline_active", "1"),
                            ("kdenlive:collapsed", "0"), ("kdenlive:track_name", track.name or "")):
            set_prop(tractor, name, value)
        hide = "video" if is_audio else "audio"
        ET.SubElement(tractor, "track", {"hide": hide, "producer": playlist.get("id")})
        ET.SubElement(tractor, "track", {"hide": hide, "producer": second.get("id")})
        for mix in mixes:
            transition = ET.SubElement(tractor, "transition", {
                "id": ids.next("transition"), "in": clock(mix.start), "out": clock(mix.end)})
            for name, value in _mix_properties(mix, is_audio):
                set_prop(transition, name, value)
        track_ids.append((tractor.get("id"), is_audio, track.enabled))

    legacy = version == LEGACY_VERSION
    sequence_uuid = "{" + str(uuid_module.uuid4()) + "}"
    ours = len(categories)
    guides = [{"comment": (LEGACY_PREFIX if legacy else "") + g["comment"], "pos": g["pos"],
               "type": LEGACY_CATEGORY if legacy else ours} for g in cinegrade_guides(timeline, rate)]
    # Kdenlive has no track markers: the timeline's and the tracks' markers all become guides.
    user_markers = [(marker, marker.marked_range.start_time) for marker in timeline.tracks.markers]
    user_markers += [(marker, track.transformed_time(marker.marked_range.start_time, timeline.tracks))
                     for track in timeline.tracks for marker in track.markers]
    for marker, start in user_markers:
        guide = {"comment": marker.name, "pos": frames(start), "type": _category_of(marker, categories)}
        if "cinegrade" not in marker.metadata and guide not in guides:
            guides.append(guide)
    guides.sort(key=lambda g: g["pos"])
    if not legacy and any(g["type"] == ours for g in guides):
        categories.append({"color": CINEGRADE_COLOUR, "comment": CINEGRADE_CATEGORY, "index": ours})
    sequence = ET.Element("tractor", {"id": ids.next("tractor") if legacy else sequence_uuid,
                                      "in": clock(0), "out": clock(total - 1)})
    n_audio = sum(1 for _, a, _ in track_ids if a)
    if not legacy:
        for name, value in (
            ("kdenlive:duration", clock(total)), ("kdenlive:maxduration", str(total)),
            ("kdenlive:clipname", timeline.name or "Sequence 1"), ("kdenlive:description", ""),
            ("kdenlive:uuid", sequence_uuid), ("kdenlive:producer_type", "17"),
            ("kdenlive:control_uuid", sequence_uuid), ("kdenlive:id", "3"), ("kdenlive:clip_type", "0"),
            ("kdenlive:folderid", _BIN_FOLDER_SEQUENCES),
            ("kdenlive:sequenceproperties.hasAudio", "1" if n_audio else "0"),
            ("kdenlive:sequenceproperties.hasVideo", "1" if len(track_ids) > n_audio else "0"),
            ("kdenlive:sequenceproperties.activeTrack", "0"),
            ("kdenlive:sequenceproperties.tracksCount", str(len(track_ids))),
            ("kdenlive:sequenceproperties.documentuuid", sequence_uuid),
            ("kdenlive:sequenceproperties.audioTarget", "-1"), ("kdenlive:sequenceproperties.videoTarget", "-1"),
            ("kdenlive:sequenceproperties.position", "0"), ("kdenlive:sequenceproperties.scrollPos", "0"),
            ("kdenlive:sequenceproperties.zonein", "0"), ("kdenlive:sequenceproperties.zoneout", str(total)),
            ("kdenlive:sequenceproperties.zoom", "8"), ("kdenlive:sequenceproperties.verticalzoom", "1"),
            ("kdenlive:sequenceproperties.disablepreview", "0"),
            ("kdenlive:sequenceproperties.groups", dump_json_list([])),
            ("kdenlive:sequenceproperties.guides", dump_json_list(guides)),
            ("kdenlive:markers", dump_json_list(guides)),
        ):
            set_prop(sequence, name, value)
    ET.SubElement(sequence, "track", {"producer": black.get("id")})
    for tractor_id, is_audio, enabled in track_ids:
        attributes = {"producer": tractor_id}
        if not enabled:
            attributes["hide"] = "audio" if is_audio else "video"
        ET.SubElement(sequence, "track", attributes)
    for index, (_, is_audio, _) in enumerate(track_ids, start=1):
        transition = ET.SubElement(sequence, "transition", {"id": ids.next("transition")})
        for name, value in _internal_transition(index, is_audio, legacy):
            set_prop(transition, name, value)
    for effect in timeline.tracks.effects:
        _write_effect(sequence, effect, ids, root_dir)

    if not legacy:
        mlt.append(sequence)
    main_bin = ET.SubElement(mlt, "playlist", {"id": "main_bin"})
    settings = [("kdenlive:docproperties.audioChannels", "2"),
                ("kdenlive:docproperties.documentid", str(uuid_module.uuid4().int % 10**13)),
                ("kdenlive:docproperties.enableproxy", "0"),
                ("kdenlive:docproperties.kdenliveversion", "cinegrade"),
                ("kdenlive:docproperties.version", version),
                ("kdenlive:documentnotes", ""),
                ("xml_retain", "1")]
    if legacy:
        settings += [("kdenlive:docproperties.guides", dump_json_list(guides))]
    else:
        settings += [(f"kdenlive:folder.-1.{_BIN_FOLDER_SEQUENCES}", "Sequences"),
                     ("kdenlive:sequenceFolder", _BIN_FOLDER_SEQUENCES),
                     ("kdenlive:expandedFolders", _BIN_FOLDER_SEQUENCES),
                     ("kdenlive:docproperties.activetimeline", sequence_uuid),
                     ("kdenlive:docproperties.opensequences", sequence_uuid),
                     ("kdenlive:docproperties.uuid", sequence_uuid),
                     ("kdenlive:docproperties.guidesCategories", dump_json_list(categories))]
    for name, value in sorted(settings):
        set_prop(main_bin, name, value)
    for producer in bin_order:
        ET.SubElement(main_bin, "entry", {"producer": producer.get("id"), "in": clock(0),
                                          "out": producer.get("out") or clock(0)})
    if legacy:
        # Kdenlive ≤ 22.12 reads the document version from the first <playlist>: main_bin goes
        # before the tracks; the last tractor is the timeline itself.
        mlt.remove(main_bin)
        first_playlist = next(i for i, e in enumerate(mlt) if e.tag == "playlist")
        mlt.insert(first_playlist, main_bin)
        mlt.append(sequence)
    else:
        ET.SubElement(main_bin, "entry", {"producer": sequence_uuid, "in": clock(0), "out": clock(total - 1)})
        project = ET.SubElement(mlt, "tractor", {"id": ids.next("tractor"), "in": clock(0), "out": clock(total - 1)})
        set_prop(project, "kdenlive:projectTractor", "1")
        ET.SubElement(project, "track", {"producer": sequence_uuid, "in": clock(0), "out": clock(total - 1)})
    ET.indent(mlt, space=" ")
    return "<?xml version='1.0' encoding='utf-8'?>\n" + ET.tostring(mlt, encoding="unicode") + "\n"


@dataclass
class PlacedClip:
    """A clip as a Kdenlive track holds it: on sub-playlist ``playlist`` (0 or 1) from record
    frame ``start`` for ``length`` frames, from media frame ``source_in`` (handles included
    where a mix overlaps it with its neighbour)."""

    clip: otio.schema.Clip
    start: int
    length: int
    source_in: int
    playlist: int


@dataclass(frozen=True)
class Mix:
    """A Kdenlive same-track mix: the incoming clip (on ``incoming_playlist``) starts at
    ``start``, the outgoing one ends at ``end`` (exclusive), the cut between them is at ``cut``."""

    start: int
    end: int
    cut: int
    incoming_playlist: int
    transition: otio.schema.Transition


def track_layout(track: otio.schema.Track, rate: float) -> tuple[list[PlacedClip], list[Mix]]:
    """Where each clip of ``track`` goes in Kdenlive's two-playlist track, and its mixes.

    Clips follow one another on one sub-playlist; an OTIO transition between two clips (cut at
    record frame c, ``in_offset`` a, ``out_offset`` b) becomes a mix: the outgoing clip runs on
    b frames past c, the incoming clip starts a frames before c on the other sub-playlist, and
    the mix spans [c − a, c + b) with ``kdenlive:mixcut`` b — the layout Kdenlive writes and
    :func:`cinegrade.otio_plugins.kdenlive_reader.read_track` reads back. A transition whose
    handles the media lacks (where its available range is known), that would overlap another
    mix, or that is longer than a clip it joins, becomes a cut; so does one at either end of
    the track or next to a gap (a fade from or to nothing is no mix). Every mix is a dissolve:
    an SMPTE wipe arrives as one.
    """
    def frames(time: otio.opentime.RationalTime) -> int:
        return round(time.value_rescaled_to(rate))

    def media_frames(clip: otio.schema.Clip) -> tuple[int, int | None]:
        """(media frame of the clip's first frame, media length or None where unknown)."""
        start = frames(clip.trimmed_range().start_time)
        available = clip.media_reference.available_range if clip.media_reference else None
        if available is None:
            return max(start, 0), None
        return max(start - frames(available.start_time), 0), frames(available.duration)

    placements: list[PlacedClip] = []
    mixes: list[Mix] = []
    ends = [0, 0]  # where each sub-playlist is free from
    position, pending, previous = 0, None, None
    for item in track:
        if isinstance(item, otio.schema.Transition):
            pending = item
            continue
        length = frames(item.trimmed_range().duration)
        if length <= 0:
            continue
        if not isinstance(item, otio.schema.Clip):
            position += length
            pending, previous = None, None
            continue
        source_in, _ = media_frames(item)
        placed = PlacedClip(item, position, length, source_in,
                            previous.playlist if previous is not None else 0)
        if pending is not None and previous is not None:
            before, after = frames(pending.in_offset), frames(pending.out_offset)
            _, outgoing_media = media_frames(previous.clip)
            other = 1 - previous.playlist
            if (before >= 0 and after >= 0 and before + after > 0
                    and source_in - before >= 0
                    and (outgoing_media is None
                         or previous.source_in + previous.length + after <= outgoing_media)
                    and position - before >= max(ends[other], previous.start)
                    and after <= length):
                previous.length += after
                ends[previous.playlist] = previous.start + previous.length
                placed = PlacedClip(item, position - before, length + before,
                                    source_in - before, other)
                mixes.append(Mix(position - before, position + after, position, other, pending))
        placements.append(placed)
        ends[placed.playlist] = placed.start + placed.length
        position += length
        pending, previous = None, placed
    return placements, mixes


def _mix_properties(mix: Mix, is_audio: bool) -> list[tuple[str, str]]:
    """The properties of a mix's transition: Kdenlive's dissolve ("luma" for pictures, "mix"
    for sound, as Kdenlive writes them), ``reverse`` 1 when the incoming clip is on the first
    sub-playlist (MLT's a_track)."""
    reverse = "1" if mix.incoming_playlist == 0 else "0"
    mixcut = str(mix.end - mix.cut)
    if is_audio:
        return [("a_track", "0"), ("b_track", "1"), ("mlt_service", "mix"), ("kdenlive_id", "mix"),
                ("kdenlive:mixcut", mixcut), ("start", "-1"), ("accepts_blanks", "1"),
                ("reverse", reverse)]
    return [("a_track", "0"), ("b_track", "1"), ("factory", "loader"), ("resource", ""),
            ("mlt_service", "luma"), ("kdenlive_id", "luma"), ("kdenlive:mixcut", mixcut),
            ("softness", "0"), ("alpha_over", "1"), ("invert", "0"), ("reverse", reverse)]


class _Ids:
    """Kdenlive-style ids (producer0, playlist3, ...), one counter per prefix."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def next(self, prefix: str) -> str:
        n = self.counts.get(prefix, 0)
        self.counts[prefix] = n + 1
        return f"{prefix}{n}"


def _timeline_rate(timeline: otio.schema.Timeline) -> Fraction:
    """The timeline's frame rate as an exact fraction (29.97 → 30000/1001)."""
    rate = timeline_rate(timeline)
    for standard in (Fraction(24000, 1001), Fraction(30000, 1001), Fraction(60000, 1001)):
        if abs(float(standard) - rate) < 1e-3:
            return standard
    return Fraction(rate).limit_denominator(1001)


def _resolution(timeline: otio.schema.Timeline) -> tuple[int, int]:
    """Width and height of the first readable video media (PyAV), else 1920×1080."""
    for clip in timeline.find_clips():
        reference = clip.media_reference
        path = getattr(reference, "target_url", None)
        if not path:
            continue
        if path.startswith("file://"):
            from urllib.parse import unquote, urlparse

            path = unquote(urlparse(path).path)
        if not os.path.isfile(path):
            continue
        try:
            import av

            with av.open(path) as container:
                if container.streams.video:
                    stream = container.streams.video[0]
                    return int(stream.codec_context.width), int(stream.codec_context.height)
        except Exception:  # unreadable media: try the next clip  # noqa: BLE001
            continue
    return 1920, 1080


def _media_key(clip: otio.schema.Clip) -> str:
    reference = clip.media_reference
    if isinstance(reference, otio.schema.ExternalReference):
        return "file:" + (reference.target_url or "")
    if isinstance(reference, otio.schema.GeneratorReference):
        return f"gen:{reference.generator_kind}:{sorted(reference.parameters.items())}"
    return "missing:" + (clip.name or "")


def _producer_properties(producer: ET.Element, clip: otio.schema.Clip, kdenlive_id: str, rate: float, clock) -> None:
    reference = clip.media_reference
    available = reference.available_range if reference is not None else None
    length = round(available.duration.value_rescaled_to(rate)) if available is not None else UNLIMITED
    producer.set("out", clock(max(length - 1, 0)))
    if isinstance(reference, otio.schema.GeneratorReference) and reference.generator_kind == "SolidColor":
        service, resource = "color", str(reference.parameters.get("resource") or reference.parameters.get("color")
                                          or "0x000000ff")
    else:
        service = "avformat-novalidate"
        resource = getattr(reference, "target_url", None) or clip.name or "missing"
        if resource.startswith("file://"):
            from urllib.parse import unquote, urlparse

            resource = unquote(urlparse(resource).path)
        resource = os.path.abspath(resource) if not resource.startswith(("/", "color:")) else resource
    for name, value in (("length", str(length)), ("eof", "pause"), ("resource", resource),
                        ("mlt_service", service), ("seekable", "1"),
                        ("kdenlive:clipname", clip.name or os.path.basename(resource)),
                        ("kdenlive:id", kdenlive_id), ("kdenlive:folderid", "-1"),
                        ("kdenlive:clip_type", "0"), ("kdenlive:originalurl", resource)):
        set_prop(producer, name, value)


def _write_effect(parent: ET.Element, effect: otio.schema.Effect, ids: _Ids,
                  base: str | None = None, media_in: int = 0) -> None:
    """Write a Kdenlive effect that came from a Kdenlive project, or cinegrade's grade
    (``media_in``: the media frame of the clip's in-point, for keyframes)."""
    if effect.effect_name == GRADE_EFFECT:
        filters = grade_filters(effect.metadata.get("cinegrade") or {}, base, media_in)
        if not filters:
            raise KdenliveInputError(f"a {GRADE_EFFECT} effect has no metadata['cinegrade']['cube']")
        for _, wanted in filters:
            element = ET.SubElement(parent, "filter", {"id": ids.next("filter")})
            for name, value in wanted:
                set_prop(element, name, value)
        return
    kdenlive = effect.metadata.get(KEY) or {}
    if not kdenlive.get("properties"):
        return  # an effect of another application: Kdenlive has no equivalent we could name
    if kdenlive["properties"].get(CDL_MARK):
        return  # cinegrade's SOP/Sat: written again from the grade above
    element = ET.SubElement(parent, "filter", {"id": ids.next("filter")})
    for key in ("in", "out"):
        if kdenlive.get(key) is not None:
            element.set(key, str(kdenlive[key]))
    for name, value in kdenlive["properties"].items():
        set_prop(element, name, str(value))


def _category_of(marker: otio.schema.Marker, categories: list[dict]) -> int:
    """The Kdenlive category of a marker: its own if it came from Kdenlive and the project has
    it (a 1.04 document has only the nine fixed ones), else by colour."""
    kdenlive = marker.metadata.get(KEY) or {}
    if isinstance(kdenlive.get("type"), int) and \
            any(int(c.get("index", -1)) == kdenlive["type"] for c in categories):
        return kdenlive["type"]
    for category in categories:
        if otio_colour(category["color"]) == marker.color:
            return int(category["index"])
    return 0
