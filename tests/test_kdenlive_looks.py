"""cinegrade's looks as Kdenlive custom effects: ``cinegrade looks --install-kdenlive`` /
``--uninstall-kdenlive`` (:mod:`cinegrade.luts.kdenlive`).

The files, in a private home: where they go (XDG_DATA_HOME honoured), what they hold (Kdenlive's
own Apply LUT definition with the look's .cube), what uninstalling removes (exactly cinegrade's
files). Then for real: Debian's Kdenlive 22.12 under Xvfb starts with them installed, adds every
one to a clip (through its own D-Bus scripting interface, by effect id: it adds only effects its
repository loaded), saves the project, and lists them in its Effects panel (a screenshot, kept in
the test's folder, whose rows are counted); melt renders the project Kdenlive saved equal to the
project ``cinegrade look`` writes for the same look.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import colour
import numpy as np
import opentimelineio as otio
import pytest
from click.testing import CliRunner
from kdenlive_session import kdenlive_start
from melt_render import melt_frame

from cinegrade.cli.main import cinegrade
from cinegrade.colour.lut import apply_lut
from cinegrade.luts import kdenlive as kdenlive_looks
from cinegrade.luts.kdenlive import installed_kdenlive_looks, look_title
from cinegrade.luts.looks import LOOKS, blend_look, resolve_look, shipped_lut
from cinegrade.media.cube import read_cube

KDENLIVE_APPLY_LUT = Path("/usr/share/kdenlive/effects/avfilter_lut3d.xml")


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A private HOME and XDG_DATA_HOME (elsewhere, to show which one counts)."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    (tmp_path / "home").mkdir()
    return tmp_path


def _looks(*args: str):
    return CliRunner().invoke(cinegrade, ["looks", *args], catch_exceptions=False)


def _tree(root: Path) -> dict[str, str]:
    """Every file under ``root``: relative path → SHA-256."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _preset(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def _values(effect: ET.Element) -> dict[str, str]:
    return {p.get("name"): p.get("value") for p in effect.iter("parameter")}


# --------------------------------------------------------------------------------------------
# The files


def test_docstring_examples() -> None:
    """The module's examples (tests/test_doctests.py walks only the library's own folder)."""
    import doctest

    result = doctest.testmod(kdenlive_looks, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 5 and result.failed == 0


def test_install_writes_a_preset_and_a_lut_per_look_in_xdg_data_home(home) -> None:
    result = _looks("--install-kdenlive")
    assert result.exit_code == 0, result.output
    effects, luts = home / "data" / "kdenlive" / "effects", home / "data" / "cinegrade" / "luts"
    assert sorted(p.stem for p in effects.iterdir()) == sorted(f"cinegrade-{name}" for name in LOOKS)
    for name in LOOKS:
        effect = _preset(effects / f"cinegrade-{name}.xml")
        assert (effect.tag, effect.get("tag"), effect.get("id"), effect.get("type")) == \
            ("effect", "avfilter.lut3d", f"cinegrade-{name}", "customVideo")
        assert effect.findtext("name") == f"cinegrade – {look_title(name)}"
        assert LOOKS[name].description in effect.findtext("description")
        cube = Path(_values(effect)["av.file"])
        assert cube == luts / f"{name}.cube" and cube.is_absolute()
        assert cube.read_bytes() == shipped_lut(name).read_bytes()
        assert _values(effect)["av.interp"] == "tetrahedral"
        assert f"cinegrade – {look_title(name)}" in result.output
    assert not any((home / "home").rglob("*")), "wrote into HOME although XDG_DATA_HOME is set"
    assert {look.effect_id for look in installed_kdenlive_looks()} == {f"cinegrade-{n}" for n in LOOKS}


def test_without_xdg_data_home_the_presets_go_to_home_local_share(home, monkeypatch) -> None:
    monkeypatch.delenv("XDG_DATA_HOME")
    assert _looks("--install-kdenlive", "--look", "sepia").exit_code == 0
    assert (home / "home/.local/share/kdenlive/effects/cinegrade-sepia.xml").is_file()
    assert (home / "home/.local/share/cinegrade/luts/sepia.cube").is_file()
    monkeypatch.setenv("XDG_DATA_HOME", "relative/path")  # the XDG spec: ignored when relative
    assert _looks("--uninstall-kdenlive").exit_code == 0
    assert not (home / "home/.local/share/kdenlive/effects/cinegrade-sepia.xml").exists()


def test_preset_is_kdenlives_own_apply_lut_with_values(home, require_program) -> None:
    """Parameters as in Kdenlive 22.12's own data/effects/avfilter_lut3d.xml (same names, types,
    lists, filters), plus the values; read from the installed Kdenlive."""
    require_program("kdenlive")
    _looks("--install-kdenlive", "--look", "cool")
    ours = _preset(home / "data/kdenlive/effects/cinegrade-cool.xml")
    kdenlive = _preset(KDENLIVE_APPLY_LUT)
    assert ours.get("tag") == kdenlive.get("tag")

    def definition(effect: ET.Element) -> list:
        return [({k: v for k, v in p.attrib.items() if k != "value"},
                 [(child.tag, child.text) for child in p]) for p in effect.iter("parameter")]

    assert definition(ours) == definition(kdenlive)


def test_strength_and_a_users_own_cube(home) -> None:
    """Strength below 1 is its own preset with the mix baked in; a user's 1D .cube becomes the
    plain 3D .cube FFmpeg's lut3d reads, equal to the original through cinegrade's LUT engine."""
    assert _looks("--install-kdenlive", "--look", "sepia", "--strength", "0.5").exit_code == 0
    half = home / "data/cinegrade/luts/sepia_50.cube"
    effect = _preset(home / "data/kdenlive/effects/cinegrade-sepia_50.xml")
    assert effect.findtext("name") == "cinegrade – Sepia 50 %" and _values(effect)["av.file"] == str(half)
    rng = np.random.default_rng(3)
    rgb = rng.random((500, 3))
    expected = blend_look(resolve_look("sepia"), 0.5)
    assert np.abs(apply_lut(rgb, read_cube(half)) - apply_lut(rgb, expected)).max() < 1e-5

    curve = colour.LUT3x1D(colour.LUT3x1D.linear_table(1024) ** [0.8, 1.0, 1.25], name="curve")
    mine = home / "mine.cube"
    colour.write_LUT(curve, str(mine))
    result = _looks("--install-kdenlive", "--cube", str(mine), "--name", "Film print")
    assert result.exit_code == 0, result.output
    effect = _preset(home / "data/kdenlive/effects/cinegrade-film-print.xml")
    assert effect.findtext("name") == "cinegrade – Film print"
    installed = read_cube(_values(effect)["av.file"])
    assert isinstance(installed, colour.LUT3D) and np.array_equal(installed.domain, [[0, 0, 0], [1, 1, 1]])
    assert installed.size == 65
    error = np.abs(apply_lut(rgb, installed) - apply_lut(rgb, curve))
    # within an 8-bit code value; the most near black, where a 0.8 power is steepest
    assert error.max() < 1 / 255 and np.percentile(error, 99) < 0.25 / 255


def test_a_kept_look_installs_with_shipped_ones_in_one_step(home) -> None:
    """A look the user kept goes with shipped ones in one list: its own .cube under its title,
    the shipped ones as files of their own; an unknown name lists the user's looks too."""
    from cinegrade.luts.looks import keep_user_look

    lut = colour.LUT3D(colour.LUT3D.linear_table(17) ** [1.0, 0.9, 1.2], name="x")
    keep_user_look(lut, "Night Market", "from a still")
    installed = kdenlive_looks.install_kdenlive_looks(["sepia", "night market"])
    assert [(look.name, look.look) for look in installed.looks] == [
        ("cinegrade – Sepia", "sepia"), ("cinegrade – Night Market", "Night Market")]
    rgb = np.random.default_rng(5).random((400, 3))
    assert np.abs(apply_lut(rgb, read_cube(installed.looks[1].cube)) - apply_lut(rgb, lut)).max() < 1e-5
    assert installed.looks[0].cube.read_bytes() == shipped_lut("sepia").read_bytes()
    with pytest.raises(Exception, match="nor of yours \\(Night Market\\)"):
        kdenlive_looks.install_kdenlive_looks(["sepia", "night marquee"])


@pytest.mark.parametrize("args, says", [
    (["--cube", "BAD"], "BAD:2: the table has 1 rows"),
    (["--cube", "MISSING"], "MISSING: no such .cube file"),
    (["--cube", "GOOD", "--name", "sepia"], "--name 'sepia' is a shipped look's name"),
    (["--look", "sepai"], "--look: unknown look 'sepai'"),
    (["--strength", "2"], "--strength"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(home, args, says) -> None:
    (home / "bad.cube").write_text("LUT_3D_SIZE 2\n0 0 0\n")
    (home / "good.cube").write_bytes(shipped_lut("warm").read_bytes())
    names = {"BAD": home / "bad.cube", "MISSING": home / "missing.cube", "GOOD": home / "good.cube"}
    args = [str(names.get(a, a)) for a in args]
    says = says.replace("BAD", str(names["BAD"])).replace("MISSING", str(names["MISSING"]))
    run = subprocess.run([sys.executable, "-m", "cinegrade.cli", "looks", "--install-kdenlive", *args],
                         capture_output=True, text=True, env=os.environ, timeout=120)
    assert run.returncode == 2, run.stderr
    assert len(run.stderr.splitlines()) == 1 and says in run.stderr, run.stderr
    assert not (home / "data").exists()


def test_a_file_in_the_way_is_kept_unless_forced(home) -> None:
    effects = home / "data/kdenlive/effects"
    effects.mkdir(parents=True)
    theirs = effects / "cinegrade-warm.xml"
    theirs.write_text("<effect/>")
    result = _looks("--install-kdenlive")
    assert result.exit_code == 2 and str(theirs) in result.output and "--force" in result.output
    assert [p.name for p in effects.iterdir()] == ["cinegrade-warm.xml"] and theirs.read_text() == "<effect/>"
    assert not (home / "data/cinegrade").exists()
    assert _looks("--install-kdenlive", "--force").exit_code == 0
    assert _preset(theirs).get("tag") == "avfilter.lut3d"
    assert _looks("--install-kdenlive").exit_code == 0  # installing again replaces its own files


def test_uninstall_removes_exactly_cinegrades_files(home) -> None:
    """The editor's own effects and LUTs stay; so does a preset they changed, and a .cube an effect
    they saved from a cinegrade preset still names; everything else cinegrade wrote goes."""
    data = home / "data"
    effects, luts = data / "kdenlive/effects", data / "cinegrade/luts"
    effects.mkdir(parents=True)
    (effects / "My blur.xml").write_text('<effect tag="avfilter.boxblur" id="My blur" type="customVideo"/>')
    (data / "kdenlive/luts").mkdir()
    (data / "kdenlive/luts/theirs.cube").write_bytes(shipped_lut("cool").read_bytes())
    before = _tree(data)
    mine = home / "mine.cube"
    mine.write_bytes(shipped_lut("warm").read_bytes())
    assert _looks("--install-kdenlive").exit_code == 0
    assert _looks("--install-kdenlive", "--cube", str(mine), "--name", "Film print").exit_code == 0
    # the editor saves "My sepia" from cinegrade – Sepia (Kdenlive copies the preset, new id)
    sepia = (effects / "cinegrade-sepia.xml").read_text().replace('id="cinegrade-sepia"', 'id="My sepia"')
    (effects / "My sepia.xml").write_text(sepia)
    changed = effects / "cinegrade-cool.xml"
    changed.write_text(changed.read_text().replace("tetrahedral\"", "trilinear\"", 1))
    kept = {p.relative_to(data).as_posix() for p in (effects / "My sepia.xml", changed, luts / "sepia.cube")}

    one = _looks("--uninstall-kdenlive", "--look", "film print")
    assert one.exit_code == 0 and not (effects / "cinegrade-film-print.xml").exists()
    assert (effects / "cinegrade-warm.xml").exists()
    result = _looks("--uninstall-kdenlive")
    assert result.exit_code == 0, result.output
    after = _tree(data)
    assert set(after) == set(before) | kept, sorted(set(after) ^ (set(before) | kept))
    assert all(after[path] == digest for path, digest in before.items())
    assert "used by My sepia.xml" in result.output and "changed since" in result.output
    assert installed_kdenlive_looks() == ()
    assert _looks("--uninstall-kdenlive").exit_code == 0  # nothing left: nothing to do


# --------------------------------------------------------------------------------------------
# For real: Kdenlive 22.12 loads them, melt renders them

RATE, FRAMES, SIZE = 25, 250, (128, 72)
#: What the test searches the Effects panel for ("_": a space) and how many custom effects each
#: must list once every look and the user's "Film print" are installed: few enough to fit the
#: panel whatever its height ("cinegrade", all 17, is kept as a screenshot to look at).
SEARCHES = {"B&W": 7, "Film_print": 1, "sepia": 1, "zzz": 0, "cinegrade": None}

#: Shell run inside Xvfb with a private home ($WORK/home; sockets in the short $SHORT): start
#: Kdenlive on the project, then through its D-Bus interface select the clip under the playhead,
#: add every effect of $EFFECTS (by id), save; show the Effects panel and search it for each term
#: of $SEARCHES ("_" for a space), a screenshot each.
SESSION = kdenlive_start("$WORK/home") + textwrap.dedent("""\
    win=$(xdotool search --onlyvisible --name "^$NAME" | head -1)
    xdotool windowmove $win 0 0 windowsize $win 1280 800; sleep 2
    service=$(dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.ListNames \\
              | grep -o 'org\\.kde\\.kdenlive-[0-9]*' | head -1)
    call() { dbus-send --session --print-reply --dest="$service" /kdenlive/MainWindow_1 "$1" "string:$2"; }
    call org.kde.KMainWindow.activateAction select_timeline_clip; sleep 1
    for id in $EFFECTS; do call org.kde.kdenlive.MainWindow.addEffect "$id"; sleep 0.3; done
    sleep 1
    call org.kde.KMainWindow.activateAction file_save; sleep 2
    call org.kde.KMainWindow.activateAction raise_effect_list; sleep 1
    search() {  # type $1 into the Effects panel's search field, take screenshot $WORK/list-$2.png
        xdotool mousemove 100 77 click 1; sleep 0.3; xdotool key ctrl+a
        xdotool type --delay 40 "$1"; sleep 1.5
        /usr/bin/import-im6.q16 -window root "$WORK/list-$2.png"
    }
    for term in $SEARCHES; do search "$(echo "$term" | tr _ ' ')" "$term"; done
    for w in $(xdotool search --onlyvisible --name '.' 2>/dev/null); do echo "WINDOW $(xdotool getwindowname $w)"; done
    kill $pid 2>/dev/null; sleep 1; kill -9 $pid 2>/dev/null
    kill $bus 2>/dev/null
    exit 0
    """)


def _frames() -> list[np.ndarray]:
    """Display-referred Rec.709 in [0, 1]: every hue, ramps of lightness, moving a little."""
    y, x = np.mgrid[0:SIZE[1], 0:SIZE[0]]
    return [np.stack([x / (SIZE[0] - 1), y / (SIZE[1] - 1), 0.5 + 0.4 * np.sin(x / 9.0 + 0.1 * i)], -1)
            .clip(0, 1).astype(np.float32) for i in range(FRAMES)]


@pytest.fixture(scope="module")
def kdenlive_session(tmp_path_factory, require_program) -> dict:
    """Looks installed by the command line into a private home, then Kdenlive on a project with
    one clip adds every installed look to it and saves."""
    for tool in ("kdenlive", "xvfb-run", "xdotool", "dbus-daemon", "dbus-send", "import-im6.q16", "melt"):
        require_program(tool)
    from cinegrade.media.frames import encode_clip
    from cinegrade.otio_plugins import kdenlive_adapter

    work = tmp_path_factory.mktemp("kdenlive_looks")
    media = work / "media" / "shot.mp4"
    media.parent.mkdir()
    encode_clip(media, _frames(), fps=RATE)
    whole = otio.opentime.TimeRange(otio.opentime.RationalTime(0, RATE), otio.opentime.RationalTime(FRAMES, RATE))
    clip = otio.schema.Clip(name="shot", source_range=whole, media_reference=otio.schema.ExternalReference(
        target_url=str(media), available_range=whole))
    timeline = otio.schema.Timeline(name="looks", global_start_time=otio.opentime.RationalTime(0, RATE))
    timeline.tracks.append(otio.schema.Track(name="V1", children=[clip]))
    plain = work / "plain.kdenlive"
    kdenlive_adapter.write_to_file(timeline, plain)
    project = work / "looks.kdenlive"
    project.write_bytes(plain.read_bytes())

    data = work / "home" / ".local" / "share"
    mine = work / "mine.cube"
    mine.write_bytes(shipped_lut("teal-orange").read_bytes())
    env = {**os.environ, "HOME": str(work / "home"), "XDG_DATA_HOME": str(data)}
    for args in ([], ["--cube", str(mine), "--name", "Film print"]):
        run = subprocess.run([sys.executable, "-m", "cinegrade.cli", "looks", "--install-kdenlive", *args],
                             capture_output=True, text=True, env=env, timeout=120)
        assert run.returncode == 0, run.stderr
    ids = sorted(p.stem for p in (data / "kdenlive" / "effects").glob("*.xml"))
    assert len(ids) == len(LOOKS) + 1

    script = work / "session.sh"
    script.write_text(SESSION)
    # a short folder for the sockets (108-byte socket paths)
    with tempfile.TemporaryDirectory(prefix="cgl") as short:
        result = subprocess.run(
            ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", "sh", str(script)],
            env={"WORK": str(work), "SHORT": short, "PROJECT": str(project), "NAME": project.stem,
                 "EFFECTS": " ".join(ids), "SEARCHES": " ".join(SEARCHES), "PATH": "/usr/bin:/bin"},
            capture_output=True, text=True, timeout=150)
    windows = [line[len("WINDOW "):] for line in result.stdout.splitlines() if line.startswith("WINDOW ")]
    print(f"screenshots: {work}/list-*.png; windows: {windows}")
    return {"work": work, "plain": plain, "saved": project, "ids": ids, "data": data, "windows": windows,
            "session": result}


@pytest.mark.slow
def test_kdenlive_adds_every_installed_look_to_a_clip(kdenlive_session) -> None:
    """Kdenlive's addEffect takes an effect id its repository knows (an unknown one adds
    nothing): the saved project carries each preset, naming its installed .cube."""
    saved = ET.parse(kdenlive_session["saved"]).getroot()
    filters = {}
    for element in saved.iter("filter"):
        props = {p.get("name"): p.text for p in element.iter("property")}
        if (props.get("kdenlive_id") or "").startswith("cinegrade-"):
            filters[props["kdenlive_id"]] = props
    assert sorted(filters) == kdenlive_session["ids"], kdenlive_session["session"].stderr[-2000:]
    luts = kdenlive_session["data"] / "cinegrade" / "luts"
    root = Path(saved.get("root"))  # Kdenlive writes paths inside the project's folder relative to it
    for effect_id, props in filters.items():
        assert props["mlt_service"] == "avfilter.lut3d"
        assert root / props["av.file"] == luts / f"{effect_id.removeprefix('cinegrade-')}.cube"
        assert props["av.interp"] == "tetrahedral"
    assert len(kdenlive_session["windows"]) == 1, f"Kdenlive showed a dialog: {kdenlive_session['windows']}"


@pytest.mark.slow
def test_kdenlive_effect_list_shows_them(kdenlive_session) -> None:
    """The Effects panel searched for "B&W" lists the 7 black-and-white looks under Custom, for
    "Film print" the user's look, for "zzz" nothing (rows counted by the custom effects' red
    icons); the screenshots are kept (list-cinegrade.png shows them all)."""
    from PIL import Image

    counts = {}
    for term in SEARCHES:
        screen = kdenlive_session["work"] / f"list-{term}.png"
        assert screen.is_file(), f"no screenshot {screen}"
        pixels = np.asarray(Image.open(screen).convert("RGB")).astype(int)
        icons = pixels[85:420, 38:58]
        red = (icons[..., 0] > 180) & (icons[..., 1] < 80) & (icons[..., 2] < 80)
        rows = (red.sum(axis=1) >= 4).astype(int)
        counts[term] = int(np.sum(np.diff(np.r_[0, rows, 0]) == 1))
    print(f"rows per search: {counts}; screenshots in {kdenlive_session['work']}")
    assert {t: c for t, c in counts.items() if SEARCHES[t] is not None} == \
        {t: n for t, n in SEARCHES.items() if n is not None}
    assert counts["cinegrade"] >= 12  # as many as the panel's height shows


@pytest.mark.slow
def test_project_using_an_installed_look_renders_as_cinegrade_look(kdenlive_session, tmp_path) -> None:
    """The project Kdenlive saved, with only its "cinegrade – Sepia" kept, renders in melt equal to
    the project ``cinegrade look PLAIN sepia`` writes (≤ 1 code value at the 99th percentile),
    and differently from the ungraded clip."""
    tree = ET.parse(kdenlive_session["saved"])
    for entry in tree.getroot().iter("entry"):
        for element in list(entry.findall("filter")):
            props = {p.get("name"): p.text for p in element.iter("property")}
            if props.get("kdenlive_id") != "cinegrade-sepia":
                entry.remove(element)
    with_preset = tmp_path / "with_preset.kdenlive"
    tree.write(with_preset, encoding="utf-8", xml_declaration=True)
    assert with_preset.read_text().count("avfilter.lut3d") == 1

    looked = tmp_path / "looked.kdenlive"
    result = CliRunner().invoke(cinegrade, ["look", str(kdenlive_session["plain"]), "sepia", "-o", str(looked),
                                            "--quiet", "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    frame = 40
    ours = melt_frame(with_preset, frame, tmp_path / "out_preset")
    reference = melt_frame(looked, frame, tmp_path / "out_look")
    plain = melt_frame(kdenlive_session["plain"], frame, tmp_path / "out_plain")
    error = np.abs(ours - reference)
    print(f"installed preset vs cinegrade look: p99 {np.percentile(error, 99):.2f}, max {error.max():.0f} "
          f"code values; vs ungraded: median {np.median(np.abs(ours - plain)):.1f}")
    assert np.percentile(error, 99) <= 1.0, f"p99 {np.percentile(error, 99):.2f} code values"
    assert np.percentile(np.abs(ours - plain), 50) > 10.0
