"""cinegrade's looks in Kdenlive's own Effects panel: each look installed as a Kdenlive custom
effect, an "Apply LUT" (``avfilter.lut3d``) preset whose .cube lives in a stable user folder, so
the editor drags "cinegrade – Sepia" onto clips.

Where (XDG Base Directory Specification 0.8; ``data home`` = ``$XDG_DATA_HOME`` when set to an
absolute path, else ``~/.local/share``):

- ``<data home>/kdenlive/effects/cinegrade-<look>.xml`` (``cinegrade-<look>_<percent>.xml``
  below full strength): the presets. This is where Kdenlive
  itself saves a custom effect (``CollapsibleEffectView::slotSaveEffect``: QStandardPaths'
  AppDataLocation + ``/effects/<id>.xml``) and what its ``EffectsRepository`` reads at start-up
  (every ``*.xml`` of every ``effects`` folder in the data dirs).
- ``<data home>/cinegrade/luts/<look>.cube``: the LUTs the presets name (a project that uses a
  preset names the file, so it must stay put).
- ``<data home>/cinegrade/kdenlive-looks.json``: what was installed, with each file's SHA-256, so
  uninstalling removes exactly those files and keeps any the user has since changed.

A preset is Kdenlive's own definition of Apply LUT (``data/effects/avfilter_lut3d.xml`` of
Kdenlive 22.12) in the form Kdenlive saves custom effects: ``id`` = the file's stem (Kdenlive's
"delete effect" removes ``<id>.xml``), ``type="customVideo"`` (listed under "Custom"),
``<name>`` first, and each parameter's ``value`` set (``AssetParameterModel`` takes ``value``,
else ``default``). Kdenlive reads the presets when it starts: restart it after installing.

Kdenlive's Apply LUT is FFmpeg's ``lut3d`` filter, which reads a plain 3D .cube over [0, 1]; a
user's 1D, shaper+3D or other-domain .cube is resampled into one (tetrahedral; 65³ for 1D and
shaper LUTs, at least ``LUT_SIZE``³ for 3D ones), and
a strength below 1 is baked in (Apply LUT has no mix).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from colour import LUT3D

from cinegrade.errors import InputError, OutputExists, RangeError
from cinegrade.luts.looks import LOOKS, LUT_SIZE, blend_look, resolve_look, shipped_lut, user_look_path, user_looks
from cinegrade.media.atomic import write_bytes_atomically, write_text_atomically
from cinegrade.media.cube import read_cube, write_cube

#: Kdenlive's "Apply LUT": the MLT service (tag) and its parameters, as in Kdenlive 22.12's
#: data/effects/avfilter_lut3d.xml.
LUT_SERVICE = "avfilter.lut3d"
LUT_INTERPOLATION = "tetrahedral"
#: Prefix of the ids (and file names) of cinegrade's presets; the display names start "cinegrade – ".
ID_PREFIX = "cinegrade-"
NAME_PREFIX = "cinegrade – "
#: Version of the manifest's layout.
MANIFEST_VERSION = 1
#: The largest 3D LUT a user's .cube is resampled into (FFmpeg's lut3d takes up to 256).
MAX_RESAMPLED_SIZE = 65


@dataclass(frozen=True)
class KdenliveFolders:
    """Where the presets, their LUTs and the manifest go (absolute paths)."""

    effects: Path
    luts: Path
    manifest: Path


def kdenlive_folders(data_home: str | os.PathLike | None = None) -> KdenliveFolders:
    """The folders under ``data_home`` (default: ``$XDG_DATA_HOME`` when absolute, else
    ``~/.local/share``, as the XDG Base Directory Specification and Qt's QStandardPaths say).

    >>> kdenlive_folders("/d").effects.as_posix(), kdenlive_folders("/d").luts.as_posix()
    ('/d/kdenlive/effects', '/d/cinegrade/luts')
    """
    if data_home is None:
        configured = os.environ.get("XDG_DATA_HOME", "")
        home = Path(configured) if os.path.isabs(configured) else Path.home() / ".local" / "share"
    else:
        home = Path(data_home).expanduser().absolute()
    return KdenliveFolders(home / "kdenlive" / "effects", home / "cinegrade" / "luts",
                           home / "cinegrade" / "kdenlive-looks.json")


@dataclass(frozen=True)
class KdenliveLook:
    """One installed preset: its Kdenlive id and display name, the look it carries (a shipped
    look's name, or the name given to a user's .cube, with ``source`` that file), at
    ``strength``, and the two files written."""

    effect_id: str
    name: str
    look: str
    strength: float
    effect: Path
    cube: Path
    source: Path | None = None


@dataclass(frozen=True)
class KdenliveLooks:
    """What :func:`install_kdenlive_looks` wrote: the presets, and the folders they are in."""

    looks: tuple[KdenliveLook, ...]
    folders: KdenliveFolders


@dataclass(frozen=True)
class RemovedLooks:
    """What :func:`uninstall_kdenlive_looks` did: the presets' ids uninstalled, the files
    removed, and the files kept with the reason (changed since installed; used by another
    effect)."""

    effect_ids: tuple[str, ...]
    removed: tuple[Path, ...]
    kept: tuple[tuple[Path, str], ...]


# --------------------------------------------------------------------------------------------
# Names


def look_title(look: str) -> str:
    """The display title of a shipped look's name.

    >>> look_title("bw-red"), look_title("day-for-night"), look_title("sepia")
    ('B&W red', 'Day for night', 'Sepia')
    """
    words = look.split("-")
    first = "B&W" if words[0] == "bw" else words[0].capitalize()
    return " ".join([first, *words[1:]])


def slug(name: str) -> str:
    """A look's name as a file name and id: lower case ASCII letters, digits and dashes.

    >>> slug("Film print №2 (warm)")
    'film-print-2-warm'
    """
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _percent(strength: float) -> int:
    return int(round(strength * 100))


def _names(look: str, strength: float, title: str) -> tuple[str, str, str]:
    """(effect id, display name, .cube file name) of ``look`` at ``strength``.

    >>> _names("sepia", 0.5, "Sepia")
    ('cinegrade-sepia_50', 'cinegrade – Sepia 50 %', 'sepia_50.cube')
    """
    # "_" never comes out of slug(): "sepia" at 2 % cannot meet a user's look named "Sepia 2"
    stem = slug(look) if strength >= 1.0 else f"{slug(look)}_{_percent(strength)}"
    shown = title if strength >= 1.0 else f"{title} {_percent(strength)} %"
    return ID_PREFIX + stem, NAME_PREFIX + shown, f"{stem}.cube"


# --------------------------------------------------------------------------------------------
# The preset


def effect_xml(effect_id: str, name: str, cube: str | os.PathLike, description: str,
               interpolation: str = LUT_INTERPOLATION) -> str:
    """The Kdenlive custom effect (UTF-8 XML text): Apply LUT with ``av.file`` = ``cube`` (an
    absolute path: a project that uses the effect names it), ``av.interp`` = ``interpolation``.

    >>> text = effect_xml("cinegrade-sepia", "cinegrade – Sepia", "/l/sepia.cube", "Warm.")
    >>> root = ET.fromstring(text.encode())
    >>> root.get("tag"), root.get("id"), root.get("type"), root.findtext("name")
    ('avfilter.lut3d', 'cinegrade-sepia', 'customVideo', 'cinegrade – Sepia')
    >>> [(p.get("name"), p.get("value")) for p in root.iter("parameter")]
    [('av.file', '/l/sepia.cube'), ('av.interp', 'tetrahedral')]
    """
    effect = ET.Element("effect", {"tag": LUT_SERVICE, "id": effect_id, "type": "customVideo"})
    ET.SubElement(effect, "name").text = name
    ET.SubElement(effect, "description").text = description
    ET.SubElement(effect, "author").text = "cinegrade"
    lut = ET.SubElement(effect, "parameter", {
        "type": "urllist", "name": "av.file", "paramlist": "%lutPaths",
        "filter": "LUT files (*.cube *.3dl *.dat *.m3d)", "newstuff": ":data/kdenlive_luts.knsrc",
        "value": os.fspath(cube)})
    ET.SubElement(lut, "name").text = "LUT file to apply"
    interp = ET.SubElement(effect, "parameter", {
        "type": "list", "name": "av.interp", "default": LUT_INTERPOLATION,
        "paramlist": "nearest;trilinear;tetrahedral", "value": interpolation})
    ET.SubElement(interp, "name").text = "Interpolation Mode"
    ET.SubElement(interp, "paramlistdisplay").text = "Nearest, Trilinear, Tetrahedral"
    ET.indent(effect, "    ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(effect, encoding="unicode") + "\n"


def _kdenlive_lut(lut, strength: float, name: str) -> LUT3D:
    """``lut`` at ``strength`` as what FFmpeg's lut3d reads: a 3D LUT over [0, 1] (resampled,
    tetrahedral, when it is not one)."""
    from cinegrade.colour.lut import apply_lut, bake_lut3d

    lut = blend_look(lut, strength)
    if isinstance(lut, LUT3D) and np.array_equal(lut.domain, [[0, 0, 0], [1, 1, 1]]):
        return lut
    # a 1D or shaper LUT is usually fine-grained: 65 nodes per axis keep a 0.8 power within 0.7
    # of an 8-bit code value at worst, near black (33 nodes: 1.3)
    size = min(MAX_RESAMPLED_SIZE, max(LUT_SIZE, lut.size)) if isinstance(lut, LUT3D) else MAX_RESAMPLED_SIZE
    return bake_lut3d(lambda rgb: apply_lut(rgb, lut), size, name)


# --------------------------------------------------------------------------------------------
# The manifest


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def _read_manifest(folders: KdenliveFolders) -> dict[str, dict]:
    """The installed presets by id (empty when nothing is installed)."""
    path = folders.manifest
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"not cinegrade's list of installed Kdenlive looks ({error})", path) from None
    looks = document.get("looks") if isinstance(document, dict) else None
    if not isinstance(looks, dict) or document.get("version") != MANIFEST_VERSION or \
            not all(isinstance(v, dict) and {"effect", "cube"} <= set(v) for v in looks.values()):
        raise InputError("not cinegrade's list of installed Kdenlive looks (version "
                         f"{MANIFEST_VERSION} with 'looks')", path)
    return looks


def _write_manifest(folders: KdenliveFolders, looks: dict[str, dict]) -> None:
    if not looks:
        folders.manifest.unlink(missing_ok=True)
        return
    folders.manifest.parent.mkdir(parents=True, exist_ok=True)
    document = {"version": MANIFEST_VERSION, "looks": dict(sorted(looks.items()))}
    write_text_atomically(folders.manifest, json.dumps(document, indent=1, ensure_ascii=False) + "\n")


def _owned(path: Path, manifest: dict[str, dict]) -> bool:
    """Whether ``path`` is a file cinegrade installed and nobody changed since."""
    digest = _sha256(path)
    return any(Path(entry[kind]) == path and entry.get(f"{kind}_sha256") == digest
               for entry in manifest.values() for kind in ("effect", "cube"))


# --------------------------------------------------------------------------------------------
# Install, uninstall


@dataclass(frozen=True)
class _Plan:
    look: KdenliveLook
    description: str
    lut: object = None  # a LUT to write; None: copy the shipped file


def _look_names(look: str | Sequence[str] | None) -> list[str]:
    return [] if not look else [look] if isinstance(look, str) else list(dict.fromkeys(look))


def install_kdenlive_looks(look: str | Sequence[str] | None = None, *, cube: str | os.PathLike | None = None,
                           name: str | None = None, strength: float = 1.0,
                           data_home: str | os.PathLike | None = None,
                           overwrite: bool = False) -> KdenliveLooks:
    """Install looks as Kdenlive custom effects ("cinegrade – Sepia" in the Effects panel's
    "Custom" group): every shipped look, or the one or ones named by ``look`` (shipped, or kept
    by the user from a still: :func:`cinegrade.luts.looks.keep_user_look`), or — with
    ``cube`` — the user's own .cube under ``name`` (default: the file's stem), at ``strength``
    in [0, 1] (below 1 the preset is a separate effect, "cinegrade – Sepia 50 %", the mix
    baked in). Returns what was installed.

    Files go under ``data_home`` (:func:`kdenlive_folders`); installing again replaces
    cinegrade's own files. Raises :class:`InputError`: an unknown look (field ``look``), a bad
    .cube (its file and line), a name that is a shipped look's or has no letter or digit
    (``name``; it goes with ``cube`` only), ``strength`` outside 0..1, a file in the way that
    cinegrade did not write or that was changed since (``overwrite`` replaces it). Nothing is
    written on bad input.
    """
    strength = float(strength)
    if not 0.0 <= strength <= 1.0:
        raise RangeError("strength", strength, 0, 1)
    folders = kdenlive_folders(data_home)
    wanted = _look_names(look)
    if cube is not None:
        if wanted:
            raise InputError("{field} installs your own .cube: give no shipped look with it", field="cube")
        plans = [_user_plan(Path(cube), name, strength, folders)]
    else:
        if name is not None:
            raise InputError("{field} names your own .cube: it goes with a .cube file", field="name")
        plans = [_named_plan(n, strength, folders, data_home) for n in wanted or LOOKS]
    manifest = _read_manifest(folders)
    if not overwrite:
        for plan in plans:
            for path in (plan.look.effect, plan.look.cube):
                if path.exists() and not _owned(path, manifest):
                    raise OutputExists(path, "cinegrade did not install it, or it was changed since; nothing was installed")
    folders.effects.mkdir(parents=True, exist_ok=True)
    folders.luts.mkdir(parents=True, exist_ok=True)
    for plan in plans:
        look = plan.look
        if plan.lut is None:
            write_bytes_atomically(look.cube, shipped_lut(look.look).read_bytes())
        else:
            write_cube(plan.lut, look.cube, (f"{look.name}: installed by cinegrade for Kdenlive's Apply LUT",))
        write_text_atomically(look.effect, effect_xml(look.effect_id, look.name, look.cube, plan.description))
        manifest[look.effect_id] = {
            "name": look.name, "look": look.look, "strength": look.strength,
            "source": os.fspath(look.source) if look.source else None,
            "effect": os.fspath(look.effect), "effect_sha256": _sha256(look.effect),
            "cube": os.fspath(look.cube), "cube_sha256": _sha256(look.cube)}
    _write_manifest(folders, manifest)
    return KdenliveLooks(tuple(plan.look for plan in plans), folders)


def _named_plan(look: str, strength: float, folders: KdenliveFolders,
                data_home: str | os.PathLike | None) -> _Plan:
    """A shipped look, or one the user kept (:func:`cinegrade.luts.looks.keep_user_look`),
    which goes as its own .cube under its title."""
    if look in LOOKS:
        return _shipped_plan(look, strength, folders)
    kept = user_look_path(look, data_home)
    if kept is None:
        yours = ", ".join(user_looks(data_home))
        raise InputError(f"{{field}}: unknown look {look!r}: not one of {', '.join(LOOKS)}"
                         + (f", nor of yours ({yours})" if yours else ""), field="look")
    titles = {path: title for title, path in user_looks(data_home).items()}
    return _user_plan(kept, titles.get(kept, look), strength, folders)


def _shipped_plan(look: str, strength: float, folders: KdenliveFolders) -> _Plan:
    effect_id, shown, cube_name = _names(look, strength, look_title(look))
    lut = None if strength >= 1.0 else _kdenlive_lut(resolve_look(look), strength, shown)
    if lut is None and not shipped_lut(look).is_file():
        resolve_look(look)  # says which file is missing
    installed = KdenliveLook(effect_id, shown, look, strength, folders.effects / f"{effect_id}.xml",
                             folders.luts / cube_name)
    at = "" if strength >= 1.0 else f" At {_percent(strength)} % (mixed with the ungraded image)."
    return _Plan(installed, f"{LOOKS[look].description}{at} A cinegrade look; its LUT: {installed.cube}", lut)


def _user_plan(source: Path, name: str | None, strength: float, folders: KdenliveFolders) -> _Plan:
    name = (name if name is not None else source.stem).strip()
    stem = slug(name)
    if not stem or not name.isprintable():
        raise InputError(f"{{field}} {name!r} needs a letter or a digit (and no control characters)", field="name")
    if stem in LOOKS:
        raise InputError(f"{{field}} {name!r} is a shipped look's name; choose another", field="name")
    if not source.is_file():
        raise InputError("no such .cube file", source)
    effect_id, shown, cube_name = _names(name, strength, name)
    lut = _kdenlive_lut(read_cube(source), strength, shown)
    installed = KdenliveLook(effect_id, shown, name, strength, folders.effects / f"{effect_id}.xml",
                             folders.luts / cube_name, source.absolute())
    at = "" if strength >= 1.0 else f" at {_percent(strength)} %"
    return _Plan(installed, f"Your look {name!r}{at}, from {source.name}; its LUT: {installed.cube}", lut)


def installed_kdenlive_looks(data_home: str | os.PathLike | None = None) -> tuple[KdenliveLook, ...]:
    """The presets cinegrade installed under ``data_home`` (by its manifest), by id."""
    folders = kdenlive_folders(data_home)
    return tuple(KdenliveLook(effect_id, entry.get("name", effect_id), entry.get("look", effect_id),
                              float(entry.get("strength", 1.0)), Path(entry["effect"]), Path(entry["cube"]),
                              Path(entry["source"]) if entry.get("source") else None)
                 for effect_id, entry in sorted(_read_manifest(folders).items()))


def uninstall_kdenlive_looks(look: str | Sequence[str] | None = None, *,
                             data_home: str | os.PathLike | None = None) -> RemovedLooks:
    """Remove the presets cinegrade installed (only those of ``look`` — a shipped look's name or
    the name a .cube was installed under, or several — at every strength, when given) and their
    .cube files — exactly the files it wrote, as its manifest lists them.

    A file changed since it was installed is kept (it is the user's now), and so is a .cube
    another effect in Kdenlive's folder still names (e.g. one the editor saved from a cinegrade
    preset). Projects that use a removed preset keep naming its .cube and render without the
    look. Raises :class:`InputError` (field ``look``) for a name nothing was installed under.
    """
    folders = kdenlive_folders(data_home)
    manifest = _read_manifest(folders)
    wanted = _look_names(look)
    installed = sorted({entry.get("look", i) for i, entry in manifest.items()})
    for name in wanted:
        if not any(slug(name) == slug(entry.get("look", "")) for entry in manifest.values()):
            raise InputError(f"{{field}}: no look {name!r} is installed in Kdenlive"
                             f"{' (installed: ' + ', '.join(installed) + ')' if installed else ''}", field="look")
    chosen = {effect_id: entry for effect_id, entry in manifest.items()
              if not wanted or slug(entry.get("look", "")) in {slug(n) for n in wanted}}
    removing = {Path(entry["effect"]) for entry in chosen.values()}
    others = [p for p in sorted(folders.effects.glob("*.xml")) if p not in removing] if folders.effects.is_dir() else []
    removed: list[Path] = []
    kept: list[tuple[Path, str]] = []
    for effect_id, entry in sorted(chosen.items()):
        for kind in ("effect", "cube"):
            path = Path(entry[kind])
            if not path.exists():
                continue
            if _sha256(path) != entry.get(f"{kind}_sha256"):
                kept.append((path, "changed since cinegrade installed it"))
                continue
            users = [p.name for p in others if kind == "cube" and _names_file(p, path)]
            if users:
                kept.append((path, f"used by {', '.join(users)} in {folders.effects}"))
                continue
            path.unlink()
            removed.append(path)
        del manifest[effect_id]
    _write_manifest(folders, manifest)
    for folder in (folders.luts, folders.luts.parent):
        try:
            folder.rmdir()  # only when empty: the folders are cinegrade's
        except OSError:
            pass
    return RemovedLooks(tuple(sorted(chosen)), tuple(removed), tuple(kept))


def _names_file(effect: Path, path: Path) -> bool:
    """Whether the effect file ``effect`` names ``path`` (as text: any parameter, any form)."""
    try:
        return os.fspath(path) in effect.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
