"""Kdenlive's "SOP/Sat" effect (MLT filter ``frei0r.sopsat``) ↔ an ASC CDL in OTIO's EDL layout
(``{"asc_sop": {"slope", "offset", "power"}, "asc_sat"}``): its parameters, their keyframes, and
the mark that names the filter cinegrade's.

frei0r normalises every parameter to 0..1; the plugin (frei0r-plugins, src/filter/sopsat/sopsat.cpp,
plugin version 0.3) maps them as slope = 20·v, offset = 8·(v − 0.5), power = 20·v and saturation
= 10·v (so 0.05, 0.5, 0.05 and 0.1 are the identity), clamps below 0 before the power and
computes through 8-bit tables with Rec.709 luma weights, truncating: each channel's table holds
``(int)(CDL(i / 255) · 255)``, and where the saturation is not within 0.001 of 1 the saturation
stage truncates its result again — on average ½ code value lost per stage, all channels alike
near the identity and unevenly elsewhere (a colour cast). cinegrade's SOP/Sat carries
:func:`truncation_bias` in its offsets (marked :data:`BIAS`) so that those truncations round: on
melt's renders of a 56-mired creep held by keyframes on bikes.mp4, the frames just after the
creep's start were 1.46 ΔE2000 from the truth (0.66 at the identity before it) and are
0.7 now (benchmarks/within_shot.py). The reader takes the bias off again, so the CDL read back is
the one written, and an editor's slider move reads as the CDL melt then renders.

Kdenlive 22.12 (data/effects/frei0r_sopsat.xml, the definition of version 0.2) declares all 13
parameters ``animated``: a value is a number, or MLT keyframes ``POS=VALUE;POS=VALUE`` (``=``
linear, ``|=`` discrete, ``~=`` smooth), POS in frames of the clip's *media* — a filter on a
playlist entry sees its producer's frame positions — or the ``HH:MM:SS.mmm`` clock Kdenlive writes
when it saves. cinegrade writes whole frames and linear keyframes; the CDL's values are affine in
the parameters, so MLT's linear animation of the parameters is the CDL interpolated linearly.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable, Mapping, Sequence

from cinegrade.errors import InputError
from cinegrade.media.numbers import decimal_text

#: The MLT service (and Kdenlive effect id) of SOP/Sat.
SOPSAT_SERVICE = "frei0r.sopsat"
#: Property marking a SOP/Sat as cinegrade's (MLT and Kdenlive keep unknown properties).
CDL_MARK = "cinegrade:cdl"
#: The mark's value on the live CDL: enabled, the clip's CDL (the editor may change it).
LIVE = "live"
#: The mark's value on the disabled copy of a CDL that an Apply LUT also carries.
COPY = "1"
#: Property keeping an unanimated CDL's exact numbers (the sliders hold 9 decimals of a 0..1
#: scale, and undoing offset's x/8 + 0.5 loses bits): ``slope r g b offset r g b power r g b
#: saturation s``, plain decimals. Read only while the sliders still show those numbers.
EXACT = "cinegrade:cdl.values"
#: Property saying the offsets carry :func:`truncation_bias`; its value names the rule.
BIAS = "cinegrade:cdl.bias"
BIAS_RULE = "frei0r-truncation"

_CHANNELS = ("r", "g", "b", "a")
#: (parameter suffix, OTIO key, CDL value of the unit value v, unit value of the CDL value x).
_SOP = (("Slope", "slope", lambda v: 20.0 * v, lambda x: x / 20.0),
        ("Offset", "offset", lambda v: 8.0 * (v - 0.5), lambda x: x / 8.0 + 0.5),
        ("Power", "power", lambda v: 20.0 * v, lambda x: x / 20.0))
#: The identity of the alpha channel, which cinegrade leaves alone.
_ALPHA = {"Slope": 1.0, "Offset": 0.0, "Power": 1.0}
#: The 13 parameters, in Kdenlive's order.
PARAMETERS = tuple(f"{c}{name}" for name, *_ in _SOP for c in _CHANNELS) + ("saturation",)

_KEY = re.compile(r"^\s*(?P<pos>[^=|~]+?)\s*(?P<type>[^0-9\s.:=-]?)=\s*(?P<value>[^;]*?)\s*$")


def unit_values(cdl: Mapping | None) -> dict[str, float]:
    """SOP/Sat's 13 parameters (0..1, clamped) for ``cdl`` in OTIO's layout (missing parts: the
    identity).

    >>> round(unit_values({"asc_sop": {"slope": [1.1, 1, 1]}, "asc_sat": 0.9})["rSlope"], 9)
    0.055
    """
    cdl = cdl or {}
    sop = cdl.get("asc_sop") or {}
    values: dict[str, float] = {}
    for name, key, _, to_unit in _SOP:
        given = [float(v) for v in (sop.get(key) or [_ALPHA[name]] * 3)]
        for channel, value in zip(_CHANNELS, [*given, _ALPHA[name]]):
            values[f"{channel}{name}"] = to_unit(value)
    saturation = cdl.get("asc_sat")
    values["saturation"] = (1.0 if saturation is None else float(saturation)) / 10.0
    return {name: min(1.0, max(0.0, value)) for name, value in values.items()}


def truncation_bias(saturation_unit: float) -> float:
    """The offset (display-referred code value / 255, added to every colour channel's) that
    makes frei0r's SOP/Sat round where it truncates (see the module docstring): ½ code value
    for the tables' truncation, a whole one where the saturation stage truncates again (frei0r
    runs it when the saturation, 10 × ``saturation_unit``, is 0.001 or more from 1).

    >>> round(truncation_bias(0.1) * 255, 3), round(truncation_bias(0.098) * 255, 3)
    (0.5, 1.0)
    """
    return (0.5 if abs(10.0 * saturation_unit - 1.0) < 0.001 else 1.0) / 255.0


def biased(values: Mapping[str, float], sign: float = 1.0) -> dict[str, float]:
    """SOP/Sat's parameters ``values`` (0..1) with :func:`truncation_bias` added to the colour
    offsets (``sign`` −1: taken off, as the reader does)."""
    shift = sign * truncation_bias(float(values.get("saturation", 0.1))) / 8.0
    out = dict(values)
    for channel in _CHANNELS[:3]:
        name = f"{channel}Offset"
        out[name] = min(1.0, max(0.0, float(values.get(name, 0.5)) + shift))
    return out


def cdl_from_units(values: Mapping[str, float]) -> dict:
    """The CDL (OTIO's layout, values rounded to 6 decimals) that SOP/Sat's parameters
    ``values`` apply; a missing parameter is frei0r's default. Values outside ASC CDL v1.2's
    ranges (a parameter below 0, a power of 0, which Kdenlive's sliders allow) become the
    nearest valid ones: slope and saturation 0, power 1e-6 (frei0r renders 0 alike).

    >>> cdl_from_units({"rSlope": 0.055, "bOffset": 0.49, "saturation": 0.09})
    {'asc_sop': {'slope': [1.1, 1.0, 1.0], 'offset': [0.0, 0.0, -0.08], 'power': [1.0, 1.0, 1.0]}, 'asc_sat': 0.9}
    >>> cdl_from_units({"rPower": 0.0, "gSlope": -0.1})["asc_sop"]["power"][0]
    1e-06
    """
    defaults = unit_values(None)
    lowest = {"slope": 0.0, "offset": -math.inf, "power": 1e-6}
    sop = {key: [max(round(to_cdl(float(values.get(f"{c}{name}", defaults[f"{c}{name}"]))), 6), lowest[key]) + 0.0
                 for c in _CHANNELS[:3]]
           for name, key, to_cdl, _ in _SOP}
    saturation = round(10.0 * float(values.get("saturation", defaults["saturation"])), 6)
    return {"asc_sop": sop, "asc_sat": max(saturation, 0.0) + 0.0}


def sopsat_properties(cdl: Mapping | None = None, keyframes: Sequence[Mapping] | None = None,
                      media_in: int = 0, live: bool = True) -> list[tuple[str, str]]:
    """The properties of a SOP/Sat filter, as Kdenlive writes its effects, plus cinegrade's mark.

    ``cdl``: OTIO's layout; ``keyframes``: ``[{"frame", "cdl"}]`` (frames from the clip's
    in-point, increasing), which animate every parameter linearly instead (``POS=VALUE;…``, POS
    = ``media_in`` + frame: the media frame of the clip's in-point plus the offset; a keyframe
    before the media's first frame, where MLT would count from the end, is left out unless it
    is the last such one, which goes to 0). ``live``: the enabled live CDL; else a disabled copy
    (mark :data:`COPY`).

    >>> dict(sopsat_properties(keyframes=[{"frame": 0, "cdl": {}},
    ...                                   {"frame": 25, "cdl": {"asc_sat": 1.5}}], media_in=10))["saturation"]
    '10=0.100000000;35=0.150000000'
    """
    if keyframes:
        placed = [(media_in + int(k["frame"]), k) for k in keyframes]
        kept = [p for p in placed if p[0] >= 0]
        earlier = [k for position, k in placed if position < 0]
        if earlier and (not kept or kept[0][0] > 0):
            kept.insert(0, (0, earlier[-1]))
        placed = kept
        frames = [f for f, _ in placed]
        units = [biased(_written(unit_values(k["cdl"]))) for _, k in placed]
        values = {name: ";".join(f"{f}={_number(u[name])}" for f, u in zip(frames, units))
                  for name in PARAMETERS}
    else:
        values = {name: _number(v) for name, v in biased(_written(unit_values(cdl))).items()}
    properties = [("mlt_service", SOPSAT_SERVICE), ("kdenlive_id", SOPSAT_SERVICE)]
    properties += [(name, values[name]) for name in PARAMETERS]
    if not live:
        properties.append(("disable", "1"))
    properties += [("kdenlive:collapsed", "0"), (CDL_MARK, LIVE if live else COPY), (BIAS, BIAS_RULE)]
    if not keyframes and cdl and _representable(cdl):
        properties.append((EXACT, _exact_text(cdl)))
    return properties


def _written(values: Mapping[str, float]) -> dict[str, float]:
    """Parameters as their written text reads back (frei0r judges the saturation by it)."""
    return {name: float(_number(value)) for name, value in values.items()}


def _representable(cdl: Mapping) -> bool:
    """Whether SOP/Sat's sliders hold ``cdl`` (none clamped), to a millionth."""
    shown = cdl_from_units(unit_values(cdl))
    sop = cdl.get("asc_sop") or {}
    wanted = [*(sop.get("slope") or [1.0] * 3), *(sop.get("offset") or [0.0] * 3),
              *(sop.get("power") or [1.0] * 3), 1.0 if cdl.get("asc_sat") is None else cdl["asc_sat"]]
    got = [*shown["asc_sop"]["slope"], *shown["asc_sop"]["offset"], *shown["asc_sop"]["power"], shown["asc_sat"]]
    return all(abs(float(a) - b) <= 1e-6 for a, b in zip(wanted, got))


def _exact_text(cdl: Mapping) -> str:
    sop = cdl.get("asc_sop") or {}
    numbers = [*(sop.get("slope") or [1.0] * 3), *(sop.get("offset") or [0.0] * 3),
               *(sop.get("power") or [1.0] * 3), 1.0 if cdl.get("asc_sat") is None else cdl["asc_sat"]]
    return " ".join(decimal_text(float(v)) for v in numbers)


def exact_cdl(properties: Mapping[str, str], to_frames: Callable[[str], int]) -> dict | None:
    """The CDL (OTIO's layout) kept in :data:`EXACT`, where the filter's sliders still show it
    (each within half their last printed digit: Kdenlive may print them otherwise when it
    saves); None where there is none or the editor has moved a slider.

    >>> written = dict(sopsat_properties({"asc_sop": {"offset": [4.4e-05, 0, 0]}, "asc_sat": 0.9}))
    >>> exact_cdl(written, int)["asc_sop"]["offset"]
    [4.4e-05, 0.0, 0.0]
    >>> exact_cdl({**written, "rOffset": "0.6"}, int) is None
    True
    """
    try:
        numbers = [float(v) for v in str(properties.get(EXACT) or "").split()]
        if len(numbers) != 10 or not all(map(math.isfinite, numbers)):
            return None
        cdl = {"asc_sop": {"slope": numbers[0:3], "offset": numbers[3:6], "power": numbers[6:9]},
               "asc_sat": numbers[9]}
        shown = unit_values(cdl)
        if properties.get(BIAS) == BIAS_RULE:
            shown = biased(_written(shown))
        for name in PARAMETERS:
            keys = parse_animation(properties.get(name), to_frames)
            if len(keys) != 1 or keys[0][0] is not None or abs(keys[0][1] - shown[name]) > 5e-9:
                return None
    except (TypeError, ValueError, InputError):
        return None
    return cdl


def _number(value: float) -> str:
    return f"{value:.9f}"


def parse_animation(text: str | None, to_frames: Callable[[str], int]
                    ) -> list[tuple[int | None, float, str]]:
    """An MLT property value as keys ``(position, value, type)``: one key with position None for
    a plain number; else one per keyframe (``POS[type]=VALUE``, POS through ``to_frames``: frames
    or a clock), in order, type ``""`` (linear), ``"|"`` (discrete), ``"~"`` (smooth) or MLT's
    other letters. ``ValueError`` when it is neither or a value is not finite.

    >>> parse_animation("0=0.05;00:00:01.000|=0.1", lambda pos: 25 if ":" in pos else int(pos))
    [(0, 0.05, ''), (25, 0.1, '|')]
    """
    text = (text or "").strip()
    if "=" not in text:
        return [(None, _finite(text), "")]
    keys = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        found = _KEY.match(part)
        if found is None:
            raise ValueError(f"{part!r} is not an MLT keyframe")
        keys.append((to_frames(found["pos"]), _finite(found["value"]), found["type"]))
    if not keys:
        raise ValueError(f"{text!r} has no keyframes")
    return sorted(keys, key=lambda k: k[0])


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value


def value_at(keys: Sequence[tuple[int | None, float, str]], position: float) -> float:
    """The value of parsed keys (:func:`parse_animation`) at ``position``: linear between keys
    (a discrete key holds until the next; a smooth one is taken as linear), held before the first
    and after the last."""
    if len(keys) == 1 or position <= keys[0][0]:
        return keys[0][1]
    after = bisect.bisect_right(keys, position, key=lambda key: key[0])  # keys in order: O(log n)
    if after >= len(keys):
        return keys[-1][1]
    (a, u, kind), (b, v, _) = keys[after - 1], keys[after]
    return u if kind == "|" else u + (v - u) * (position - a) / (b - a)


def live_cdl(properties: Mapping[str, str], media_in: int, to_frames: Callable[[str], int]) -> dict:
    """What cinegrade's live SOP/Sat (its ``properties``) applies: ``{"cdl": …, "keyframes": …}``
    in the grade metadata's layout (:mod:`cinegrade.grade.effects`). Unanimated: the CDL, no
    keyframes. Animated: a keyframe wherever a parameter has one (frame = media position −
    ``media_in``, the media frame of the clip's in-point), each the CDL there, and as ``cdl`` the
    CDL at the clip's in-point. A parameter Kdenlive could not read counts as its default."""
    exact = exact_cdl(properties, to_frames)
    if exact is not None:
        return {"cdl": exact, "keyframes": None}
    keys: dict[str, list] = {}
    for name in PARAMETERS:
        try:
            keys[name] = parse_animation(properties.get(name), to_frames)
        except (TypeError, ValueError, InputError):  # InputError: a position to_frames cannot read
            keys[name] = [(None, unit_values(None)[name], "")]
    positions = sorted({k[0] for listed in keys.values() for k in listed if k[0] is not None})

    bias = properties.get(BIAS) == BIAS_RULE

    def cdl_at(position: float) -> dict:
        values = {name: value_at(listed, position) for name, listed in keys.items()}
        return cdl_from_units(biased(values, -1.0) if bias else values)

    first = cdl_at(media_in)
    if not positions:
        return {"cdl": first, "keyframes": None}
    keyframes = [{"frame": p - media_in, "cdl": cdl_at(p)} for p in positions]
    if all(k["cdl"] == keyframes[0]["cdl"] for k in keyframes):
        return {"cdl": keyframes[0]["cdl"], "keyframes": None}
    return {"cdl": first, "keyframes": keyframes}
