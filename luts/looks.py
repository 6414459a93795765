"""cinegrade's looks: documented recipes, baked reproducibly into the shipped ``luts/<name>.cube``.

Every recipe is a function from display-referred Rec.709 RGB in [0, 1] (float64, RGB in the last
axis) to the same. Recipes decode to linear light with the ITU-R BT.1886 EOTF (black 0, white 1:
a 2.4 power) where they mix light (luminance, filters, white balance, exposure) and work on the
display-encoded values where they shape tone (contrast curves). Luminance uses the Rec.709 Y
weights that colour-science derives from the BT.709 primaries and D65 (ITU-R BT.709-6). Toning
adds chroma in CIELAB at constant L* (CIE 015:2018), so a toned print keeps the monochrome's
lightness exactly where the toner stays in gamut.

Regenerate the shipped files with ``python -m cinegrade.luts.looks [DIR]``; the output is a pure
function of this file (no dates, no versions), and a test checks it byte for byte.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import colour
import numpy as np
from colour import LUT3D
from colour.adaptation import matrix_chromatic_adaptation_VonKries
from colour.models import RGB_COLOURSPACE_BT709, eotf_BT1886, eotf_inverse_BT1886
from colour.temperature import CCT_to_xy_CIE_D

from cinegrade.colour.lut import AnyLUT, apply_lut, bake_lut3d
from cinegrade.errors import InputError, RangeError
from cinegrade.media.atomic import write_bytes_atomically, write_text_atomically
from cinegrade.media.cube import read_cube, write_cube

LUT_SIZE = 33
Recipe = Callable[[np.ndarray], np.ndarray]

_D65 = RGB_COLOURSPACE_BT709.whitepoint
_RGB_TO_XYZ = RGB_COLOURSPACE_BT709.matrix_RGB_to_XYZ
_XYZ_TO_RGB = RGB_COLOURSPACE_BT709.matrix_XYZ_to_RGB
LUMINANCE_WEIGHTS = _RGB_TO_XYZ[1]  # 0.2126, 0.7152, 0.0722 from the primaries


# --------------------------------------------------------------------------------------------
# Building blocks


def _decode(rgb: np.ndarray) -> np.ndarray:
    """Display-encoded Rec.709 -> linear light (BT.1886 with black 0, white 1)."""
    return eotf_BT1886(np.clip(rgb, 0.0, 1.0))


def _encode(linear: np.ndarray) -> np.ndarray:
    return eotf_inverse_BT1886(np.clip(linear, 0.0, 1.0))


def _weighted_sum(linear: np.ndarray, weights: tuple[float, float, float] | np.ndarray) -> np.ndarray:
    """Weighted sum of R, G, B, normalised so white stays 1. Elementwise on purpose: a BLAS
    matrix product may round differently on another machine, and the shipped files must not."""
    w = np.asarray(weights, dtype=np.float64) / np.sum(weights)
    return linear[..., 0] * w[0] + linear[..., 1] * w[1] + linear[..., 2] * w[2]


def _weighted_grey(rgb: np.ndarray, weights: tuple[float, float, float] | np.ndarray) -> np.ndarray:
    """Linear-light weighted sum of display-encoded R, G, B (e.g. luminance, a film's response)."""
    return _weighted_sum(_decode(rgb), weights)


def _grey(linear_grey: np.ndarray) -> np.ndarray:
    encoded = _encode(linear_grey)
    return np.stack([encoded, encoded, encoded], axis=-1)


def _s_curve(v: np.ndarray, contrast: float, pivot: float = 0.5) -> np.ndarray:
    """Contrast S-curve on display-encoded values: slope ``contrast`` at ``pivot``, 0 -> 0, 1 -> 1,
    monotone (two power segments meeting at the pivot)."""
    v = np.clip(v, 0.0, 1.0)
    low = pivot * (v / pivot) ** contrast
    high = 1.0 - (1.0 - pivot) * ((1.0 - v) / (1.0 - pivot)) ** contrast
    return np.where(v <= pivot, low, high)


def _saturate_linear(rgb: np.ndarray, saturation: float) -> np.ndarray:
    """Scale chroma in linear light around Rec.709 luminance; returns display-encoded."""
    linear = _decode(rgb)
    y = _weighted_sum(linear, LUMINANCE_WEIGHTS)[..., None]
    return _encode(y + saturation * (linear - y))


def _white_balance(rgb: np.ndarray, cct: float, exposure_stops: float = 0.0) -> np.ndarray:
    """Render D65 white as daylight of ``cct`` kelvin: von Kries adaptation with CAT02 (CIE
    159:2004) from D65 to CIE daylight at ``cct`` in linear Rec.709, scaled so that the adapted
    white's largest channel is 1 (no clipping of white), then ``exposure_stops``."""
    xyz_d65 = colour.xy_to_XYZ(_D65)
    xyz_target = colour.xy_to_XYZ(CCT_to_xy_CIE_D(cct))
    adaptation = matrix_chromatic_adaptation_VonKries(xyz_d65, xyz_target, "CAT02")
    matrix = _XYZ_TO_RGB @ adaptation @ _RGB_TO_XYZ
    matrix = matrix / np.max(matrix.sum(axis=1)) * 2.0 ** exposure_stops
    linear = _decode(rgb)
    return _encode(np.einsum("ij,...j->...i", matrix, linear))


def _lab_chroma(chroma: float, hue_degrees: float) -> np.ndarray:
    """CIELAB (a*, b*) of a chroma and hue angle."""
    hue = np.radians(hue_degrees)
    return np.array([chroma * np.cos(hue), chroma * np.sin(hue)])


def _tone(grey_linear: np.ndarray, shadows: np.ndarray, highlights: np.ndarray,
          lightness_floor: float = 0.0) -> np.ndarray:
    """Tone a monochrome (linear luminance) in CIELAB: keep L*, add (a*, b*) that moves from
    ``shadows`` at black to ``highlights`` at white, faded to neutral at both ends by
    sqrt(sin(pi·t)), t = L*/100. ``lightness_floor`` lifts black (paper that never goes black)."""
    xyz = grey_linear[..., None] * colour.xy_to_XYZ(_D65)
    lightness = colour.XYZ_to_Lab(xyz, _D65)[..., 0]
    lightness = lightness_floor + (100.0 - lightness_floor) * lightness / 100.0
    t = np.clip(lightness / 100.0, 0.0, 1.0)[..., None]
    envelope = np.sqrt(np.sin(np.pi * t))
    ab = envelope * ((1.0 - t) * shadows + t * highlights)
    lab = np.concatenate([lightness[..., None], ab], axis=-1)
    linear = np.einsum("ij,...j->...i", _XYZ_TO_RGB, colour.Lab_to_XYZ(lab, _D65))
    return _encode(linear)


# --------------------------------------------------------------------------------------------
# Monochrome
#
# Black-and-white film is panchromatic: sensitive across the spectrum, but relatively more to
# blue and less to green than the eye, so skies render paler and foliage darker than luminance
# would. PANCHROMATIC below is that response per Rec.709 primary (a recipe value in the spirit of
# published emulsion curves, not a measurement). A contrast filter multiplies it by the filter's
# approximate transmittance per primary (Kodak Wratten numbers); normalising the weights is the
# filter factor (exposure compensation), so a white stays white.

PANCHROMATIC = (0.27, 0.52, 0.21)
FILTERS = {
    "yellow": (0.95, 0.88, 0.30),  # Wratten 8 (K2): darkens blue sky a little; close to the eye
    "orange": (0.95, 0.55, 0.06),  # Wratten 21: darker sky, lighter skin and brick
    "red": (0.95, 0.12, 0.02),     # Wratten 25 (A): near-black sky, pale skin, dramatic
    "green": (0.30, 0.85, 0.22),   # Wratten 11 (X1): lighter foliage, darker (ruddier) skin
}


def neutral_bw(rgb: np.ndarray) -> np.ndarray:
    """Rec.709 luminance in linear light, re-encoded: the eye's lightness, no colour."""
    return _grey(_weighted_grey(rgb, LUMINANCE_WEIGHTS))


def panchromatic_bw(rgb: np.ndarray) -> np.ndarray:
    """Panchromatic film without filter: blues lighter, greens darker than luminance."""
    return _grey(_weighted_grey(rgb, PANCHROMATIC))


def _filtered_bw(colour_filter: str) -> Recipe:
    weights = np.asarray(PANCHROMATIC) * np.asarray(FILTERS[colour_filter])

    def recipe(rgb: np.ndarray) -> np.ndarray:
        return _grey(_weighted_grey(rgb, weights))

    recipe.__doc__ = f"Panchromatic film behind a {colour_filter} filter (weights {np.round(weights / weights.sum(), 3)})."
    recipe.__name__ = f"_filtered_bw({colour_filter!r})"
    return recipe


def high_contrast_bw(rgb: np.ndarray) -> np.ndarray:
    """Neutral luminance, then an S-curve of slope 1.8 at mid-grey: crushed blacks, bright
    whites (hard paper grade)."""
    return _s_curve(neutral_bw(rgb), 1.8)


# --------------------------------------------------------------------------------------------
# Toned monochrome (on the panchromatic black-and-white)


def sepia(rgb: np.ndarray) -> np.ndarray:
    """Sepia toner: warm brown shadows and mid-tones (C* 22 at h 55°) to cream highlights
    (C* 12 at h 80°), neutral black and white."""
    return _tone(_weighted_grey(rgb, PANCHROMATIC), _lab_chroma(22, 55), _lab_chroma(12, 80))


def selenium(rgb: np.ndarray) -> np.ndarray:
    """Selenium toner: deeper blacks (luminance to the power 1.15) and a cool aubergine cast in
    the shadows (C* 9 at h 320°) that fades to neutral highlights."""
    grey = _weighted_grey(rgb, PANCHROMATIC) ** 1.15
    return _tone(grey, _lab_chroma(9, 320), _lab_chroma(1, 80))


def cyanotype(rgb: np.ndarray) -> np.ndarray:
    """Cyanotype (iron-based "blueprint"): Prussian blue (C* 40 at h 265°) to pale blue-white
    highlights, with no true black (L* lifted to 18 at black)."""
    return _tone(_weighted_grey(rgb, PANCHROMATIC), _lab_chroma(40, 265), _lab_chroma(10, 250),
                 lightness_floor=18.0)


def split_tone(rgb: np.ndarray) -> np.ndarray:
    """Split-toned print: cool blue-teal shadows (C* 14 at h 235°), warm highlights (C* 14 at
    h 75°), near-neutral mid-tones where the two opposite tints meet."""
    return _tone(_weighted_grey(rgb, PANCHROMATIC), _lab_chroma(14, 235), _lab_chroma(14, 75))


# --------------------------------------------------------------------------------------------
# Colour


def bleach_bypass(rgb: np.ndarray) -> np.ndarray:
    """Skip-bleach print: the retained silver image lowers saturation and raises contrast.
    Saturation 45 % in linear light, then an S-curve of slope 1.45 per channel."""
    return _s_curve(_saturate_linear(rgb, 0.45), 1.45)


def teal_orange(rgb: np.ndarray) -> np.ndarray:
    """Teal and orange: in CIELAB, hues turn 40 % of the way to the nearer of orange (h 60°, where
    skin lies) or teal (h 200°), in proportion to C*/(C*+10) so greys stay grey; shadows get a teal
    tint (C* 8 × (1-t)²), highlights an orange one (C* 6 × t²), chroma × 1.1."""
    linear = _decode(rgb)
    lab = colour.XYZ_to_Lab(np.einsum("ij,...j->...i", _RGB_TO_XYZ, linear), _D65)
    lightness, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    chroma, hue = np.hypot(a, b), np.degrees(np.arctan2(b, a))
    to_orange = (60.0 - hue + 180.0) % 360.0 - 180.0
    to_teal = (200.0 - hue + 180.0) % 360.0 - 180.0
    turn = np.where(np.abs(to_orange) <= np.abs(to_teal), to_orange, to_teal)
    hue = np.radians(hue + 0.4 * turn * chroma / (chroma + 10.0))
    t = np.clip(lightness / 100.0, 0.0, 1.0)[..., None]
    ab = 1.1 * chroma[..., None] * np.stack([np.cos(hue), np.sin(hue)], axis=-1)
    ab = ab + (1.0 - t) ** 2 * _lab_chroma(8, 200) + t ** 2 * _lab_chroma(6, 60)
    lab = np.concatenate([lightness[..., None], ab], axis=-1)
    return _encode(np.einsum("ij,...j->...i", _XYZ_TO_RGB, colour.Lab_to_XYZ(lab, _D65)))


def warm(rgb: np.ndarray) -> np.ndarray:
    """Warm: white rendered as 5200 K daylight (CAT02 from D65), like a tungsten-leaning balance."""
    return _white_balance(rgb, 5200.0)


def cool(rgb: np.ndarray) -> np.ndarray:
    """Cool: white rendered as 9000 K daylight (CAT02 from D65), like open shade."""
    return _white_balance(rgb, 9000.0)


def day_for_night(rgb: np.ndarray) -> np.ndarray:
    """Day for night: 1.7 stops under, saturation 35 % (night vision loses colour), white as
    12000 K (moonlight's conventional blue), then a gentle S-curve (slope 1.15) for dense blacks."""
    dim = _saturate_linear(rgb, 0.35)
    return _s_curve(_white_balance(dim, 12000.0, exposure_stops=-1.7), 1.15)


# --------------------------------------------------------------------------------------------
# The catalogue


@dataclass(frozen=True)
class Look:
    """A named look: its recipe and the line ``cinegrade looks`` prints."""

    name: str
    family: str  # "monochrome", "toned" or "colour"
    description: str
    recipe: Recipe


LOOKS: dict[str, Look] = {look.name: look for look in (
    Look("bw", "monochrome", "Black and white: Rec.709 luminance, as the eye sees lightness.", neutral_bw),
    Look("bw-panchromatic", "monochrome", "Panchromatic film: paler skies, darker foliage.", panchromatic_bw),
    Look("bw-yellow", "monochrome", "B&W behind a yellow filter: slightly darker sky, natural tones.",
         _filtered_bw("yellow")),
    Look("bw-orange", "monochrome", "B&W behind an orange filter: dark sky, smooth skin.", _filtered_bw("orange")),
    Look("bw-red", "monochrome", "B&W behind a red filter: dark, dramatic sky, pale skin.",
         _filtered_bw("red")),
    Look("bw-green", "monochrome", "B&W behind a green filter: light foliage, darker skin.", _filtered_bw("green")),
    Look("bw-high-contrast", "monochrome", "Hard black and white: crushed blacks, bright whites.", high_contrast_bw),
    Look("sepia", "toned", "Sepia-toned print: warm brown to cream.", sepia),
    Look("selenium", "toned", "Selenium-toned print: deep, cool aubergine blacks, neutral highlights.", selenium),
    Look("cyanotype", "toned", "Cyanotype: Prussian blue to pale blue-white, no true black.", cyanotype),
    Look("split-tone", "toned", "Split-toned print: cool shadows, warm highlights.", split_tone),
    Look("bleach-bypass", "colour", "Bleach bypass: muted colour, hard contrast.", bleach_bypass),
    Look("teal-orange", "colour", "Teal and orange: skin pulled to orange, the rest to teal.", teal_orange),
    Look("warm", "colour", "Warm white balance (5200 K).", warm),
    Look("cool", "colour", "Cool white balance (9000 K).", cool),
    Look("day-for-night", "colour", "Day for night: darker, desaturated, moonlight blue.", day_for_night),
)}


def bake_look(name: str, size: int = LUT_SIZE) -> LUT3D:
    """The look's recipe sampled on a ``size``³ lattice over display-referred [0, 1]."""
    look = LOOKS[name]
    # clip to the display range; + 0.0 turns a -0.0 into 0.0 so it cannot print as "-0.000000"
    return bake_lut3d(lambda rgb: np.clip(look.recipe(rgb), 0.0, 1.0) + 0.0, size, f"cinegrade {name}")


def write_look_luts(directory: str | Path | None = None, size: int = LUT_SIZE) -> list[Path]:
    """Bake every look into ``directory/<name>.cube`` (default: this package's folder)."""
    directory = Path(directory) if directory is not None else Path(__file__).resolve().parent
    written = []
    for name, look in LOOKS.items():
        comments = (look.description, f"Recipe: cinegrade.luts.looks.{look.recipe.__name__}",
                    "Display-referred Rec.709 in and out. Regenerate: python -m cinegrade.luts.looks")
        written.append(write_cube(bake_look(name, size), directory / f"{name}.cube", comments))
    return written


def shipped_lut(name: str) -> Path:
    """Path of a shipped look's .cube (inside the installed package)."""
    return Path(str(resources.files("cinegrade.luts").joinpath(f"{name}.cube")))


def resolve_look(name_or_path: str | Path, data_home: str | os.PathLike | None = None) -> AnyLUT:
    """The LUT for a look name (``cinegrade looks`` lists them), a path to the user's own .cube,
    or the name of a look the user kept (:func:`keep_user_look`, under ``data_home``).

    A shipped look's name always means that look; then an existing file is read as a .cube
    (InputError with file and line when it is not one); then a kept look's name.
    """
    text = str(name_or_path)
    if text in LOOKS:
        path = shipped_lut(text)
        if not path.is_file():
            raise InputError(f"look {text!r} is not installed (regenerate: python -m cinegrade.luts.looks)", path)
        return read_cube(path)
    path = Path(text).expanduser()
    if path.is_file():
        return read_cube(path)
    kept = user_look_path(text, data_home)
    if kept is not None:
        return read_cube(kept)
    if path.suffix:
        raise InputError("no such LUT file", path)
    yours = ", ".join(user_looks(data_home))
    raise InputError(f"unknown look {text!r}: not one of {', '.join(LOOKS)}"
                     f"{', nor of your looks (' + yours + ')' if yours else ''} nor a .cube file")


# --------------------------------------------------------------------------------------------
# Looks from a still, and the looks a user keeps

#: scikit-image's photographs (people, an animal, food, a city at dusk) that stand for ungraded
#: footage: a still's look is what takes their distributions to the still's.
REFERENCE_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket")


@functools.lru_cache(maxsize=1)
def reference_palette():
    """The pooled :class:`~cinegrade.colour.still_look.Palette` of :data:`REFERENCE_PHOTOS`,
    each weighing the same (their 8-bit sRGB codes read as display-referred Rec.709)."""
    from skimage import data

    from cinegrade.colour.still_look import Palette, palette_of

    return Palette.pooled([palette_of(getattr(data, name)()[..., :3].astype(np.float32) / 255.0)
                           for name in REFERENCE_PHOTOS])


def still_look(still: str | os.PathLike, source=None):
    """The :class:`~cinegrade.colour.still_look.StillLook` of the image file ``still`` (read
    with :func:`cinegrade.media.stills.read_still`): the transfer from ``source``'s
    distributions (a :class:`~cinegrade.colour.still_look.Palette`, e.g. of the footage it goes
    on; None: the reference photographs', :func:`reference_palette`) to the still's.
    :class:`InputError` for an unreadable image."""
    from cinegrade.colour.still_look import derive_still_look, palette_of
    from cinegrade.media.stills import read_still

    return derive_still_look(palette_of(read_still(still)), source if source is not None else reference_palette())


def look_from_still(still: str | os.PathLike, size: int = LUT_SIZE, source=None) -> LUT3D:
    """The look of the image file ``still`` (:func:`still_look`, from ``source``) at full
    strength as a ``size``³ LUT over display-referred Rec.709 [0, 1] (blend it with
    :func:`blend_look`)."""
    from cinegrade.colour.still_look import bake_still_look

    return bake_still_look(still_look(still, source), size, name=f"cinegrade look from {Path(still).name}")


def user_looks_folder(data_home: str | os.PathLike | None = None) -> Path:
    """Where the looks a user keeps live: ``<data home>/cinegrade/looks`` (XDG data home, as
    :func:`cinegrade.luts.kdenlive.kdenlive_folders` resolves it; beside the LUTs installed for
    Kdenlive)."""
    from cinegrade.luts.kdenlive import kdenlive_folders

    return kdenlive_folders(data_home).luts.parent / "looks"


def user_looks(data_home: str | os.PathLike | None = None) -> dict[str, Path]:
    """The looks the user kept, by name (the .cube's title), sorted."""
    folder = user_looks_folder(data_home)
    found = {_cube_title(path) or path.stem: path for path in sorted(folder.glob("*.cube"))} \
        if folder.is_dir() else {}
    return dict(sorted(found.items(), key=lambda item: item[0].lower()))


def user_look_path(name: str, data_home: str | os.PathLike | None = None) -> Path | None:
    """The .cube of the kept look called ``name`` (compared as :func:`slug` does), or None."""
    from cinegrade.luts.kdenlive import slug

    stem = slug(name)
    path = user_looks_folder(data_home) / f"{stem}.cube"
    return path if stem and path.is_file() else None


def user_look_description(path: Path) -> str:
    """The first comment of a kept look's .cube (what it was made from)."""
    comments = _cube_header(path)[1]
    return comments[0] if comments else ""


def keep_user_look(lut: AnyLUT, name: str, description: str, data_home: str | os.PathLike | None = None,
                   overwrite: bool = False, still: str | os.PathLike | None = None,
                   still_strength: float = 1.0) -> Path:
    """Write ``lut`` as the user's look ``name`` (``<data home>/cinegrade/looks/<slug>.cube``,
    titled ``name``, ``description`` its first comment) so that every command takes ``name``
    as a LOOK; with ``still`` (the image the look came from, at ``still_strength``) a copy of it
    beside the .cube (``<slug>.still<suffix>`` and ``<slug>.json``), so that a look laid on a
    timeline is fitted to its shots (:func:`kept_look_still`). :class:`InputError`: a name that is
    a shipped look's or has no letter or digit (field ``name``), a kept look of that name without
    ``overwrite``."""
    from cinegrade.errors import OutputExists
    from cinegrade.luts.kdenlive import slug

    name = name.strip()
    stem = slug(name)
    if not stem or not name.isprintable():
        raise InputError(f"{{field}} {name!r} needs a letter or a digit (and no control characters)", field="name")
    if stem in LOOKS:
        raise InputError(f"{{field}} {name!r} is a shipped look's name; choose another", field="name")
    path = user_looks_folder(data_home) / f"{stem}.cube"
    if path.exists() and not overwrite:
        raise OutputExists(path, "a look of that name is kept there")
    path.parent.mkdir(parents=True, exist_ok=True)
    named = lut.copy()
    named.name = name
    for stale in path.parent.glob(f"{stem}.still.*"):
        stale.unlink()
    path.with_suffix(".json").unlink(missing_ok=True)
    if still is not None:
        copy = path.with_name(f"{stem}.still{Path(still).suffix.lower()}")
        write_bytes_atomically(copy, Path(still).read_bytes())
        write_text_atomically(path.with_suffix(".json"), json.dumps(
            {"still": copy.name, "strength": float(still_strength)}) + "\n")
    return write_cube(named, path, (description, "Display-referred Rec.709 in and out (cinegrade look)."))


def kept_look_still(name: str, data_home: str | os.PathLike | None = None) -> tuple[Path, float] | None:
    """The still a kept look ``name`` came from and the strength it was kept at
    (:func:`keep_user_look`), or None: not a kept look, or one kept without its still."""
    path = user_look_path(name, data_home)
    if path is None:
        return None
    try:
        kept = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        still, strength = path.with_name(str(kept["still"])), float(kept["strength"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return (still, strength) if still.parent == path.parent and still.is_file() and 0 <= strength <= 1 else None


def _cube_header(path: Path) -> tuple[str | None, list[str]]:
    """(TITLE, comments) of a .cube, from the lines before its table."""
    title, comments = None, []
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as lines:
            for line in lines:
                line = line.strip()
                if line.startswith("TITLE"):
                    title = line[len("TITLE"):].strip().strip('"')
                elif line.startswith("#"):
                    comments.append(line[1:].strip())
                elif line[:1].isdigit() or line[:1] in "-.":
                    break
    except OSError:
        pass
    return title, comments


def _cube_title(path: Path) -> str | None:
    return _cube_header(path)[0]


def blend_look(lut: AnyLUT, strength: float, size: int = LUT_SIZE) -> AnyLUT:
    """``lut`` at ``strength`` in [0, 1]: the mix (1 - s)·input + s·look, as a 3D LUT.

    Blending the tables of a 3D LUT blends its output exactly at every input (interpolation is
    linear in the table), so this equals blending the graded and ungraded frames. A 1D or
    shaper+3D LUT is first sampled into a ``size``³ LUT over [0, 1]. Strength 1 returns ``lut``.
    """
    strength = float(strength)
    if not 0.0 <= strength <= 1.0:
        raise RangeError("strength", strength, 0, 1)
    if strength == 1.0:
        return lut
    if not isinstance(lut, LUT3D):
        source = lut
        lut = bake_lut3d(lambda rgb: apply_lut(rgb, source), size, getattr(source, "name", "look"))
    identity = LUT3D.linear_table(lut.size, lut.domain)
    table = (1.0 - strength) * identity + strength * np.asarray(lut.table, dtype=np.float64)
    return LUT3D(table, f"{lut.name} at {strength:g}", lut.domain)


def preview_swatch(photo: np.ndarray, lut: AnyLUT) -> np.ndarray:
    """``photo`` (uint8 sRGB-like, treated as display-referred Rec.709) beside itself through
    ``lut``, as one uint8 image: left half ungraded, right half graded."""
    rgb = photo[..., :3].astype(np.float32) / 255.0
    graded = np.clip(apply_lut(rgb, lut), 0.0, 1.0)
    gap = np.full((rgb.shape[0], max(2, rgb.shape[1] // 64), 3), 1.0, dtype=np.float32)
    side_by_side = np.concatenate([rgb, gap, graded], axis=1)
    return np.round(side_by_side * 255.0).astype(np.uint8)


def main(argv: list[str] | None = None) -> int:
    """``python -m cinegrade.luts.looks [DIR]``: (re)write every look's .cube."""
    args = sys.argv[1:] if argv is None else argv
    for path in write_look_luts(args[0] if args else None):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def write_previews(directory: str | os.PathLike, strength: float = 1.0) -> list[Path]:
    """A swatch PNG per look in ``directory`` (created): scikit-image's astronaut before (left)
    and through the look at ``strength`` (right). Returns the paths written."""
    from PIL import Image
    from skimage import data

    from cinegrade.media.atomic import atomic_path

    photo = data.astronaut()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in LOOKS:
        swatch = preview_swatch(photo, blend_look(resolve_look(name), strength))
        path = directory / f"{name}.png"
        with atomic_path(path) as temporary:
            Image.fromarray(swatch).save(temporary, format="PNG")
        written.append(path)
    return written
