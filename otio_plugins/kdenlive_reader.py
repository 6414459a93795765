"""Kdenlive document → OTIO timeline.

One sequence becomes one ``otio.schema.Timeline``: Kdenlive tracks in MLT order (bottom first, as
OTIO stacks are), clips with source ranges and media references, gaps, same-track mixes as OTIO
transitions, every filter as an OTIO Effect (all its MLT properties kept), guides as timeline
markers and bin-clip markers as clip markers. Everything the writer needs to edit the original
document in place (its text and the element ids) goes into ``metadata["kdenlive"]``.
"""

from __future__ import annotations

import colorsys
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import opentimelineio as otio

from cinegrade.otio_plugins.kdenlive_document import (
    UNLIMITED_LENGTH,
    KdenliveDocument,
    is_path_like,
    prop,
    properties,
)
from cinegrade.otio_plugins.kdenlive_sopsat import CDL_MARK, COPY, LIVE, live_cdl

#: The OTIO effect name of cinegrade's grade (DESIGN.md), and the guide category of its markers.
GRADE_EFFECT = "cinegrade.grade"
CINEGRADE_CATEGORY = "cinegrade"
#: Property that marks a filter as cinegrade's own (MLT and Kdenlive ignore unknown properties).
GRADE_MARK = "cinegrade:grade"
#: Before document 1.1 guide categories are fixed: cinegrade's guides carry this comment prefix.
LEGACY_PREFIX = "cinegrade: "
#: Key of everything Kdenlive-specific in OTIO metadata.
KEY = "kdenlive"

_GENERATORS = {"color": "SolidColor", "colour": "SolidColor", "kdenlivetitle": "KdenliveTitle",
               "qtext": "Text", "frei0r.test_pat_B": "SMPTEBars", "noise": "Noise", "count": "Counter"}
_DISSOLVES = {"mix", "luma", "dissolve", "movit.luma_mix"}


def read_timeline(document: KdenliveDocument, sequence_name: str | None = None) -> otio.schema.Timeline:
    """The OTIO timeline of one sequence (``sequence_name``: clip name or uuid; default: the
    sequence the document plays)."""
    sequence = document.sequence(sequence_name)
    rate = document.rate
    timeline = otio.schema.Timeline(name=sequence.name or _stem(document.path))
    timeline.global_start_time = otio.opentime.RationalTime(0, rate)
    timeline.metadata[KEY] = {
        "document": document.text,
        "path": document.path,
        "root": document.effective_root,
        "version": document.version,
        "sequence": sequence.uuid,
        "sequence_element": sequence.element.get("id"),
        "fps": [document.fps.numerator, document.fps.denominator],
        "width": document.profile_number("width"),
        "height": document.profile_number("height"),
    }
    categories = {_int(c.get("index", i), i): c for i, c in enumerate(document.categories())}
    for filter_element in sequence.element.findall("filter"):
        if prop(filter_element, "internal_added") is None:
            timeline.tracks.effects.append(effect_from_filter(filter_element))
    fixed_categories = prop(document.main_bin, "kdenlive:docproperties.guidesCategories") is None
    for guide in document.guides(sequence):
        timeline.tracks.markers.append(marker_from_json(guide, categories, rate, guide=True,
                                                        fixed_categories=fixed_categories))

    track_refs = []
    for position, track_ref in enumerate(sequence.element.findall("track")):
        track_element = document.element(track_ref.get("producer"), f"track {position} of {sequence.name!r}")
        if not _is_black_track(track_element):
            track_refs.append((track_ref, track_element, _is_audio(track_element)))
    # Kdenlive numbers audio tracks from the video tracks down (A1 is the top audio track).
    audio_left = sum(1 for _, _, is_audio in track_refs if is_audio)
    video_count = 0
    for track_ref, track_element, is_audio in track_refs:
        if is_audio:
            default_name = f"A{audio_left}"
            audio_left -= 1
        else:
            video_count += 1
            default_name = f"V{video_count}"
        timeline.tracks.append(read_track(document, track_element, track_ref, is_audio, default_name, categories))
    return timeline


@dataclass
class _Placed:
    """A clip of one sub-playlist placed on the track, before mixes trim it."""

    start: int
    end: int  # exclusive
    clip: otio.schema.Clip
    playlist: str
    trim_head: int = 0
    trim_tail: int = 0
    transition_before: otio.schema.Transition | None = field(default=None)


def read_track(document: KdenliveDocument, element: ET.Element, track_ref: ET.Element, is_audio: bool,
               default_name: str, categories: dict) -> otio.schema.Track:
    """One Kdenlive track (a tractor of two playlists, or a bare playlist) as an OTIO track."""
    rate = document.rate
    kind = otio.schema.TrackKind.Audio if is_audio else otio.schema.TrackKind.Video
    hide = track_ref.get("hide") or ""
    off = hide in (("audio", "both") if is_audio else ("video", "both"))
    track = otio.schema.Track(name=prop(element, "kdenlive:track_name") or default_name, kind=kind)
    track.enabled = not off
    playlists = []
    if element.tag == "tractor":
        for sub in element.findall("track"):
            playlists.append(document.element(sub.get("producer"), f"track tractor {element.get('id')!r}"))
    else:
        playlists.append(element)
    track.metadata[KEY] = {
        "id": element.get("id"),
        "playlists": [p.get("id") for p in playlists],
        "hide": hide or None,
        "locked": prop(element, "kdenlive:locked_track") == "1",
        "properties": properties(element),
    }
    for filter_element in element.findall("filter"):
        if prop(filter_element, "internal_added") is None:
            track.effects.append(effect_from_filter(filter_element))

    placed: list[_Placed] = []
    for playlist in playlists:
        if playlist.tag != "playlist":
            raise document.error(f"track {element.get('id')!r} holds <{playlist.tag}> {playlist.get('id')!r}, not a playlist")
        cursor = 0
        entry_index = 0
        for child in playlist:
            if child.tag == "blank":
                cursor += document.frames(child.get("length"))
            elif child.tag == "entry":
                clip, length = read_clip(document, playlist, child, entry_index, categories)
                placed.append(_Placed(cursor, cursor + length, clip, playlist.get("id")))
                cursor += length
                entry_index += 1

    if element.tag == "tractor":
        _apply_mixes(document, element, placed)
    placed.sort(key=lambda p: (p.start + p.trim_head, p.end))
    cursor = 0
    for item in placed:
        start = item.start + item.trim_head
        end = item.end - item.trim_tail
        if start > cursor:
            track.append(otio.schema.Gap(source_range=_range(0, start - cursor, rate)))
        elif start < cursor:  # overlap without a mix: keep the later clip from the cursor on
            item.trim_head += cursor - start
            start = cursor
        if end <= start:
            continue
        source = item.clip.source_range
        item.clip.source_range = _range(source.start_time.to_frames() + item.trim_head, end - start, rate)
        shift_grade_keyframes(item.clip, -item.trim_head)
        if item.transition_before is not None and len(track) and isinstance(track[-1], otio.schema.Clip):
            track.append(item.transition_before)
        track.append(item.clip)
        cursor = end
    return track


def _apply_mixes(document: KdenliveDocument, tractor: ET.Element, placed: list[_Placed]) -> None:
    """Same-track mixes: trim both clips to the cut and put an OTIO transition between them.

    A mix is a transition of the track tractor with ``kdenlive:mixcut``: it spans [in, out) where
    the incoming clip (starting at ``in``) overlaps the outgoing one (ending at ``out``) on the
    other playlist; the cut lies ``mixcut`` frames before ``out`` (Kdenlive's timeline shows
    "Cut at: mix duration − mixcut" and draws the cut ``mixcut`` frames from the mix's end).
    """
    rate = document.rate
    for transition in tractor.findall("transition"):
        mixcut = prop(transition, "kdenlive:mixcut")
        if mixcut is None:
            continue
        mix_in = document.frames(transition.get("in"))
        mix_out = document.frames(transition.get("out"))
        duration = mix_out - mix_in
        cut_offset = min(max(document.frames(mixcut), 0), max(duration, 0))
        incoming = next((p for p in placed if p.start == mix_in), None)
        if incoming is None:
            continue
        outgoing = next((p for p in placed if p.end == mix_out and p.playlist != incoming.playlist), None)
        if outgoing is None:
            outgoing = min((p for p in placed if p.playlist != incoming.playlist and p.start < mix_in < p.end),
                           key=lambda p: abs(p.end - mix_out), default=None)
        if outgoing is None:
            continue
        cut = mix_out - cut_offset
        outgoing.trim_tail = max(outgoing.end - cut, 0)
        incoming.trim_head = max(cut - incoming.start, 0)
        service = prop(transition, "mlt_service") or ""
        kdenlive_id = prop(transition, "kdenlive_id") or service
        kind = (otio.schema.TransitionTypes.SMPTE_Dissolve
                if kdenlive_id in _DISSOLVES and not prop(transition, "resource")
                else otio.schema.TransitionTypes.Custom)
        incoming.transition_before = otio.schema.Transition(
            name=kdenlive_id,
            transition_type=kind,
            in_offset=otio.opentime.RationalTime(cut - mix_in, rate),
            out_offset=otio.opentime.RationalTime(mix_out - cut, rate),
            metadata={KEY: {"id": transition.get("id"), "in": mix_in, "out": mix_out,
                            "mixcut": cut_offset, "properties": properties(transition)}},
        )


def read_clip(document: KdenliveDocument, playlist: ET.Element, entry: ET.Element, index: int,
              categories: dict) -> tuple[otio.schema.Clip, int]:
    """One playlist entry as an OTIO clip, and its length on the track in frames."""
    rate = document.rate
    referrer = f"entry {index} of playlist {playlist.get('id')!r}"
    producer_id = entry.get("producer")
    producer = document.element(producer_id, referrer)
    entry_in = document.frames(entry.get("in"), document.frames(producer.get("in"), 0))
    entry_out = document.frames(entry.get("out"), document.frames(producer.get("out"), entry_in))
    length = max(entry_out - entry_in + 1, 0)
    kdenlive_id = prop(entry, "kdenlive:id") or prop(producer, "kdenlive:id")
    bin_clip = document.bin_clip(kdenlive_id)
    name = ((prop(bin_clip, "kdenlive:clipname") if bin_clip is not None else None)
            or prop(producer, "kdenlive:clipname") or "")
    reference = media_reference(document, producer, rate)
    if not name:
        name = reference.name or os.path.basename(getattr(reference, "target_url", "") or "") or producer_id
    clip = otio.schema.Clip(name=name, media_reference=reference, source_range=_range(entry_in, length, rate))
    clip.metadata[KEY] = {"playlist": playlist.get("id"), "entry": index, "producer": producer_id,
                          "kdenlive_id": kdenlive_id, "properties": properties(entry)}
    for filter_element in entry.findall("filter"):
        clip.effects.append(effect_from_filter(filter_element))
    take_live_cdl(clip, entry_in, document.frames)
    if bin_clip is not None:
        for marker in document.json_list(bin_clip, "kdenlive:markers"):
            clip.markers.append(marker_from_json(marker, categories, rate))
    return clip, length


def media_reference(document: KdenliveDocument, producer: ET.Element, rate: float) -> otio.core.MediaReference:
    """The media of a producer/chain: a file, a generator (colour, title) or a nested sequence."""
    props = properties(producer)
    service = props.get("mlt_service")
    length = document.frames(props.get("length"), 0)
    if not length:
        length = document.frames(producer.get("out"), -1) + 1
    available = _range(0, length, rate) if 0 < length < UNLIMITED_LENGTH else None
    meta = {KEY: {"id": producer.get("id"), "mlt_service": service}}
    if producer.tag in ("tractor", "playlist"):
        return otio.schema.GeneratorReference(
            name=prop(producer, "kdenlive:clipname") or producer.get("id"), generator_kind="KdenliveSequence",
            parameters={"uuid": prop(producer, "kdenlive:uuid"), "id": producer.get("id")},
            available_range=available, metadata=meta)
    resource = props.get("warp_resource") or props.get("resource") or ""
    if service in _GENERATORS or not is_path_like(resource, service):
        return otio.schema.GeneratorReference(
            name=props.get("kdenlive:clipname") or service or "", generator_kind=_GENERATORS.get(service, service or ""),
            parameters={"resource": resource}, available_range=available, metadata=meta)
    original = props.get("kdenlive:originalurl")
    path = document.resolve(original or resource)
    meta[KEY]["resource"] = resource
    return otio.schema.ExternalReference(target_url=path, available_range=available, metadata=meta)


def effect_from_filter(element: ET.Element) -> otio.schema.Effect:
    """An MLT filter as an OTIO Effect: name from ``kdenlive_id`` else ``mlt_service``; cinegrade's
    own Apply LUT comes back as the ``cinegrade.grade`` effect it was written from."""
    props = properties(element)
    meta = {KEY: {"id": element.get("id"), "mlt_service": props.get("mlt_service"),
                  "kdenlive_id": props.get("kdenlive_id"), "properties": props}}
    for key in ("in", "out"):
        if element.get(key) is not None:
            meta[KEY][key] = element.get(key)
    if props.get(GRADE_MARK):
        meta["cinegrade"] = {"cube": props.get("av.file", "")}
        return otio.schema.Effect(name=GRADE_EFFECT, effect_name=GRADE_EFFECT, metadata=meta)
    name = props.get("kdenlive_id") or props.get("mlt_service") or ""
    return otio.schema.Effect(name=name, effect_name=name, metadata=meta)


def take_live_cdl(clip: otio.schema.Clip, media_in: int, to_frames) -> None:
    """cinegrade's live SOP/Sat on ``clip`` (mark ``cinegrade:cdl=live``), read as a filter,
    becomes the CDL — or the CDL keyframes, frames from ``media_in`` (the media frame of the
    entry's in) — of the clip's ``cinegrade.grade`` effect, as the editor left its values (see
    :mod:`~cinegrade.otio_plugins.kdenlive_sopsat`); cinegrade's Apply LUT is then what follows
    the CDL (``cube_after_cdl``). The CDL goes into ``clip.metadata["cdl"]`` too."""
    def mark(effect: otio.schema.Effect):
        if effect.effect_name == GRADE_EFFECT:
            return None
        return ((effect.metadata.get(KEY) or {}).get("properties") or {}).get(CDL_MARK)

    live = [e for e in clip.effects if mark(e) == LIVE]
    if not live:
        _take_cdl_copy(clip, [e for e in clip.effects if mark(e) == COPY], to_frames)
        return
    found = live_cdl(live[0].metadata[KEY]["properties"], media_in, to_frames)
    settings = {"cube": None, "cube_after_cdl": None, "live": "cdl",
                "method": None if found["keyframes"] else "cdl", **found}
    grade = next((e for e in clip.effects if e.effect_name == GRADE_EFFECT), None)
    if grade is not None:
        settings["cube_after_cdl"] = (grade.metadata.get("cinegrade") or {}).get("cube")
        grade.metadata["cinegrade"] = settings
    else:
        grade = otio.schema.Effect(name=GRADE_EFFECT, effect_name=GRADE_EFFECT,
                                   metadata={KEY: dict(live[0].metadata[KEY]), "cinegrade": settings})
        clip.effects.insert(list(clip.effects).index(live[0]), grade)
    clip.effects[:] = [e for e in clip.effects if mark(e) != LIVE]
    clip.metadata["cdl"] = found["cdl"]


def _take_cdl_copy(clip: otio.schema.Clip, copies: list, to_frames) -> None:
    """The disabled SOP/Sat copy (mark ``cinegrade:cdl=1``) beside cinegrade's Apply LUT gives
    the grade back its CDL (``clip.metadata["cdl"]`` too), so that exporting the project's
    CDLs, or writing it again, keeps them; the writer makes the copy again from the grade."""
    grade = next((e for e in clip.effects if e.effect_name == GRADE_EFFECT), None)
    if not copies or grade is None:
        return
    found = live_cdl(copies[0].metadata[KEY]["properties"], 0, to_frames)
    settings = dict(grade.metadata.get("cinegrade") or {})
    settings["cdl"] = found["cdl"]
    grade.metadata["cinegrade"] = settings
    clip.metadata["cdl"] = found["cdl"]
    clip.effects[:] = [e for e in clip.effects if all(e is not c for c in copies)]


def shift_grade_keyframes(clip: otio.schema.Clip, frames: int) -> None:
    """Move the CDL keyframes of the clip's grade by ``frames`` (its in-point moved the other way)."""
    for effect in clip.effects:
        settings = effect.metadata.get("cinegrade") if effect.effect_name == GRADE_EFFECT else None
        if frames and settings and settings.get("keyframes"):
            settings["keyframes"] = [{"frame": int(k["frame"]) + frames, "cdl": k["cdl"]}
                                     for k in settings["keyframes"]]


def marker_from_json(marker: dict, categories: dict, rate: float, guide: bool = False,
                     fixed_categories: bool = False) -> otio.schema.Marker:
    """A Kdenlive guide or clip marker (``pos`` frames, ``comment``, category ``type``).

    cinegrade's own guides (category "cinegrade"; before 1.1, the comment prefix
    ``cinegrade: ``) come back with ``metadata["cinegrade"]`` so that a re-run replaces them.
    """
    category = categories.get(_int(marker.get("type")), {})
    colour = category.get("color", "")
    colour = colour if isinstance(colour, str) else ""
    comment = str(marker.get("comment", ""))
    meta = {KEY: {"pos": _scalar(marker.get("pos")), "type": _scalar(marker.get("type")),
                  "category": _scalar(category.get("comment")), "color": colour}}
    if guide and category.get("comment") == CINEGRADE_CATEGORY:
        meta["cinegrade"] = {"guide": True}
    elif guide and fixed_categories and comment.startswith(LEGACY_PREFIX):
        meta["cinegrade"] = {"guide": True}
        comment = comment[len(LEGACY_PREFIX):]
    return otio.schema.Marker(
        name=comment,
        marked_range=_range(_int(marker.get("pos")), 0, rate),
        color=otio_colour(colour),
        metadata=meta,
    )


def otio_colour(hex_colour: str) -> str:
    """The OTIO marker colour nearest in hue to a Kdenlive category colour (``#rrggbb``)."""
    try:
        red, green, blue = (int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4))
    except (ValueError, IndexError):
        return otio.schema.MarkerColor.RED
    hue, saturation, value = colorsys.rgb_to_hsv(red, green, blue)
    if saturation < 0.2:
        return otio.schema.MarkerColor.WHITE if value > 0.5 else otio.schema.MarkerColor.BLACK
    degrees = hue * 360
    bins = ((15, "RED"), (45, "ORANGE"), (70, "YELLOW"), (165, "GREEN"), (195, "CYAN"), (255, "BLUE"),
            (290, "PURPLE"), (330, "MAGENTA"), (345, "PINK"), (361, "RED"))
    return getattr(otio.schema.MarkerColor, next(name for limit, name in bins if degrees < limit))


def _int(value, default: int = 0) -> int:
    """A JSON number Kdenlive wrote (int, float or numeric string); ``default`` if unusable."""
    try:
        return int(float(value))
    except (TypeError, ValueError, OverflowError):
        return default


def _scalar(value):
    """A JSON value as OTIO metadata holds it: numbers, strings, booleans, None (an integer past
    int64, a list or an object becomes None)."""
    if isinstance(value, int) and not isinstance(value, bool) and not -2**63 <= value < 2**63:
        return None
    return value if value is None or isinstance(value, (str, int, float)) else None


def _is_black_track(element: ET.Element) -> bool:
    return element.get("id") == "black_track" or prop(element, "kdenlive:playlistid") == "black_track"


def _is_audio(element: ET.Element) -> bool:
    return prop(element, "kdenlive:audio_track") == "1"


def _range(start: int, duration: int, rate: float) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(otio.opentime.RationalTime(start, rate),
                                   otio.opentime.RationalTime(duration, rate))


def _stem(path: str | None) -> str:
    return os.path.splitext(os.path.basename(path))[0] if path else ""


__all__ = ["read_timeline", "effect_from_filter", "marker_from_json", "GRADE_EFFECT", "GRADE_MARK", "LEGACY_PREFIX",
           "CINEGRADE_CATEGORY", "KEY"]
