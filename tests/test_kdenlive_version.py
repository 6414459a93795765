"""Which Kdenlive document version cinegrade writes: the release → version table from Kdenlive's
own source and files, ``kdenlive --version``, the default for new and for read projects, what a
1.04 document cannot hold, and the installed Kdenlive (Debian 12's 22.12 under ``make test``)
opening what the default writes — and refusing what it cannot open."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest
from click.testing import CliRunner
from test_kdenlive_gui import TOOLS, _graded, _open_in_kdenlive, cube  # noqa: F401  (cube: its LUT fixture)

from cinegrade.errors import InputError
from cinegrade.otio_plugins import kdenlive_adapter, kdenlive_version
from cinegrade.otio_plugins.kdenlive_document import load, prop


def canonical(text: str) -> str:
    return ET.canonicalize(text, strip_text=True)


@pytest.fixture
def installed(monkeypatch):
    """Pin what :func:`installed_kdenlive_release` answers: ``installed((22, 12, 3))`` or None."""
    def pin(release):
        monkeypatch.setattr(kdenlive_version, "installed_kdenlive_release", lambda: release)
    return pin


@pytest.fixture
def fresh_cache():
    kdenlive_version.installed_kdenlive_release.cache_clear()
    yield
    kdenlive_version.installed_kdenlive_release.cache_clear()


def _timeline(tmp_path: Path | None = None, name: str = "shot") -> otio.schema.Timeline:
    """One 12-frame clip at 25 fps on one video track; real media when ``tmp_path`` is given."""
    url = f"/media/{name}.mp4"
    if tmp_path is not None:
        from cinegrade.media.frames import encode_clip

        y, x = np.mgrid[0:72, 0:128]
        media = tmp_path / f"{name}.mp4"
        encode_clip(media, [np.stack([x / 127, y / 71, 0 * x + 0.5], -1).astype(np.float32)] * 12, fps=25)
        url = str(media)
    twelve = otio.opentime.TimeRange(otio.opentime.RationalTime(0, 25), otio.opentime.RationalTime(12, 25))
    clip = otio.schema.Clip(name=name, source_range=twelve, media_reference=otio.schema.ExternalReference(
        target_url=url, available_range=twelve))
    timeline = otio.schema.Timeline(name="version check", global_start_time=otio.opentime.RationalTime(0, 25))
    timeline.tracks.append(otio.schema.Track(name="V1", children=[clip]))
    return timeline


def _version_of(text: str) -> str:
    return prop(ET.fromstring(text.split("\n", 1)[1]).find("playlist[@id='main_bin']"),
                "kdenlive:docproperties.version")


# -- the table ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("release, version", [
    ((19, 4, 0), "0.98"), ((19, 11, 80), "0.99"), ((20, 4, 3), "0.99"),
    ((20, 7, 80), "1.00"), ((20, 12, 3), "1.00"), ((21, 4, 0), "1.00"),
    ((21, 8, 1), "1.02"), ((21, 12, 0), "1.04"), ((21, 12, 3), "1.04"), ((22, 8, 0), "1.04"),
    ((22, 11, 70), "1.04"), ((22, 12, 3), "1.04"),
    ((23, 3, 80), "1.1"), ((23, 4, 0), "1.1"), ((24, 2, 0), "1.1"), ((24, 12, 3), "1.1"), ((25, 12, 0), "1.1"),
    ((14, 12, 3), None),
])
def test_release_to_newest_document_version(release, version) -> None:
    """Kdenlive's DOCUMENTVERSION per release (kdenlivedoc.cpp at the release tags, files the
    releases wrote, dev-docs/fileformat.md): what it writes and the newest it opens."""
    assert kdenlive_version.newest_document_version(release) == version


def test_table_agrees_with_the_sample_projects(samples) -> None:
    """Every sample project: the version its Kdenlive release wrote is the table's."""
    checked = []
    for path in sorted((samples / "kdenlive").glob("*.kdenlive")):
        document = load(path, is_path=True)
        written_by = prop(document.main_bin, "kdenlive:docproperties.kdenliveversion")
        release = kdenlive_version.parse_kdenlive_version(f"kdenlive {written_by}")
        expected = kdenlive_version.newest_document_version(release)
        assert float(expected) == float(document.version), (path.name, written_by)
        checked.append(written_by.split()[0])
    assert {"19.11.80", "21.12.3", "22.12.3", "24.01.80", "25.12.0"} <= set(checked)


def test_a_project_of_kdenlive_20_08_to_21_04_is_read(samples) -> None:
    """Kdenlive writes DOCUMENTVERSION 1.00 as "1" (QString::number)."""
    text = (samples / "kdenlive" / "ts_mix-luma.kdenlive").read_text(encoding="utf-8")
    text = text.replace('docproperties.version">1.04<', 'docproperties.version">1<')
    timeline = kdenlive_adapter.read_from_string(text)
    assert timeline.metadata["kdenlive"]["version"] == "1"
    assert canonical(kdenlive_adapter.write_to_string(timeline)) == canonical(text)


@pytest.mark.parametrize("release, version", [
    ((21, 8, 1), "1.04"), ((21, 12, 3), "1.04"), ((22, 12, 3), "1.04"), ((23, 4, 0), "1.1"), ((26, 4, 0), "1.1")])
def test_newest_version_cinegrade_writes_for_a_release(release, version) -> None:
    assert kdenlive_version.writable_version_for(release) == version


def test_which_releases_open_a_version() -> None:
    assert kdenlive_version.first_release_opening("1.04") == "21.12"
    assert kdenlive_version.first_release_opening("1.1") == "23.04"
    assert kdenlive_version.releases_opening("1.04") == "Kdenlive 21.12 or newer"


# -- kdenlive --version ------------------------------------------------------------------------------
@pytest.mark.parametrize("text, release", [
    ("kdenlive 22.12.3\n", (22, 12, 3)),
    ("QStandardPaths: XDG_RUNTIME_DIR not set, defaulting to '/tmp/runtime-root'\nkdenlive 24.12.3\n", (24, 12, 3)),
    ("Kdenlive 25.04\n", (25, 4, 0)),
    ("kdenlive 23.08.5 (rev. 1a2b3c4)", (23, 8, 5)),
    ("kf.dbusaddons: DBus session bus not found.", None),
    ("", None),
    (None, None),
])
def test_parse_kdenlive_version(text, release) -> None:
    assert kdenlive_version.parse_kdenlive_version(text) == release


def _fake_kdenlive(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "kdenlive"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    return folder


def test_installed_release_is_asked_once_offscreen_and_leaves_the_users_settings(
        tmp_path, monkeypatch, fresh_cache) -> None:
    calls = tmp_path / "calls"
    folder = _fake_kdenlive(tmp_path / "bin", f"""
        echo run >> "{calls}"
        [ "$1" = --version ] && [ "$QT_QPA_PLATFORM" = offscreen ] || exit 1
        mkdir -p "$XDG_CONFIG_HOME" && echo "[UiSettings]" > "$XDG_CONFIG_HOME/kdenliverc"
        echo "kdenlive 21.12.3"
        """)
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    assert kdenlive_version.installed_kdenlive_release() == (21, 12, 3)
    assert kdenlive_version.installed_kdenlive_release() == (21, 12, 3)
    assert calls.read_text().count("run") == 1
    assert not (tmp_path / "home").exists()  # kdenliverc went to a temporary folder


def test_installed_release_without_a_session_bus(tmp_path, monkeypatch, fresh_cache, require_program) -> None:
    """Kdenlive 22.12 prints nothing and exits 1 where no D-Bus session bus runs: asked again
    under dbus-run-session."""
    require_program("dbus-run-session")
    folder = _fake_kdenlive(tmp_path / "bin", """
        [ -n "$DBUS_SESSION_BUS_ADDRESS" ] || { echo "kf.dbusaddons: DBus session bus not found." >&2; exit 1; }
        echo "kdenlive 22.12.3"
        """)
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    assert kdenlive_version.installed_kdenlive_release() == (22, 12, 3)


@pytest.mark.parametrize("body", [None, "echo 'no version here'\n", "sleep 5\n"],
                         ids=["not installed", "unparsable", "hangs"])
def test_no_usable_kdenlive_gives_none(tmp_path, monkeypatch, fresh_cache, body) -> None:
    folder = tmp_path / "bin"
    folder.mkdir()
    if body is not None:
        _fake_kdenlive(folder, body)
    monkeypatch.setenv("PATH", str(folder))  # no dbus-run-session either
    monkeypatch.setattr(kdenlive_version, "VERSION_TIMEOUT", 0.5)
    assert kdenlive_version.installed_kdenlive_release() is None


# -- the default --------------------------------------------------------------------------------------
def test_new_project_for_the_installed_22_12_is_1_04(installed) -> None:
    installed((22, 12, 3))
    version, reason = kdenlive_version.resolve_document_version(None, _timeline())
    assert version == "1.04"
    assert "22.12.3" in reason and "1.04" in reason
    text = kdenlive_adapter.write_to_string(_timeline())
    assert _version_of(text) == "1.04" and "kdenlive:projectTractor" not in text


def test_new_project_without_kdenlive_is_1_1(installed) -> None:
    installed(None)
    version, reason = kdenlive_version.resolve_document_version("auto", _timeline())
    assert (version, "no installed Kdenlive" in reason) == ("1.1", True)
    text = kdenlive_adapter.write_to_string(_timeline())
    assert _version_of(text) == "1.1" and "kdenlive:projectTractor" in text


def test_new_project_for_a_newer_kdenlive_is_1_1(installed) -> None:
    installed((24, 12, 3))
    assert kdenlive_version.resolve_document_version(None, _timeline())[0] == "1.1"


def test_kdenlive_older_than_any_written_version_is_said(installed) -> None:
    installed((21, 8, 1))
    version, reason = kdenlive_version.resolve_document_version(None, _timeline())
    assert version == "1.04" and "1.02" in reason and "refuse" in reason


@pytest.mark.parametrize("name", ["ts_transform", "kdenlive_example_v240770", "ts_mix-slide",
                                  "kdenlive_example_v191180"])
@pytest.mark.parametrize("release", [(22, 12, 3), None, (25, 12, 0)])
def test_read_project_keeps_its_own_version(samples, installed, name, release) -> None:
    """Whatever Kdenlive is installed, a project read from Kdenlive is edited in its own version:
    written back unchanged it is the same document."""
    installed(release)
    path = samples / "kdenlive" / f"{name}.kdenlive"
    timeline = kdenlive_adapter.read_from_file(path)
    own = load(path, is_path=True).version
    version, reason = kdenlive_version.resolve_document_version(None, timeline)
    assert version == own
    if release == (22, 12, 3) and own == "1.1":
        assert "22.12.3 opens documents up to 1.04" in reason and "ask for 1.04" in reason
    assert canonical(kdenlive_adapter.write_to_string(timeline)) == canonical(path.read_text(encoding="utf-8"))
    assert kdenlive_adapter.not_carried(timeline) == []


@pytest.mark.parametrize("requested, version", [("1.1", "1.1"), ("1.04", "1.04"), (1.04, "1.04"), (1.1, "1.1")])
def test_explicit_version_wins(installed, requested, version) -> None:
    installed((22, 12, 3))
    assert kdenlive_version.resolve_document_version(requested, _timeline())[0] == version
    assert _version_of(kdenlive_adapter.write_to_string(_timeline(), version=requested)) == version


@pytest.mark.parametrize("requested", ["0.98", "1.05", 2, "latest"])
def test_other_versions_are_input_errors(requested) -> None:
    with pytest.raises(InputError, match="document format"):
        kdenlive_adapter.write_to_string(_timeline(), version=requested)


# -- what 1.04 cannot hold -------------------------------------------------------------------------------
def test_1_04_from_a_project_of_three_sequences_says_what_it_drops(samples, tmp_path, installed) -> None:
    installed((22, 12, 3))
    path = samples / "kdenlive" / "ts_sequences.kdenlive"
    timeline = kdenlive_adapter.read_from_file(path)
    others = [s.name for s in load(path, is_path=True).sequences()
              if s.uuid != timeline.metadata["kdenlive"]["sequence"]]
    version, reason = kdenlive_version.resolve_document_version("1.04", timeline)
    assert version == "1.04" and "new 1.04 project" in reason
    lines = kdenlive_adapter.not_carried(timeline, version="1.04")
    assert len(lines) == 1
    assert lines[0].startswith("document 1.04 (Kdenlive 21.12 or newer)")
    assert f"{len(others)} other sequences" in lines[0] and all(repr(n) in lines[0] for n in others)
    out = tmp_path / "downgraded.kdenlive"
    kdenlive_adapter.write_to_file(timeline, out, version="1.04")
    assert load(out, is_path=True).version == "1.04"
    assert [c.name for c in kdenlive_adapter.read_from_file(out).find_clips()] == \
        [c.name for c in timeline.find_clips()]


def test_convert_reports_the_1_04_losses_as_not_carried(samples, tmp_path) -> None:
    from cinegrade.cli.main import cinegrade

    out = tmp_path / "for-debian.kdenlive"
    result = CliRunner().invoke(cinegrade, ["convert", str(samples / "kdenlive" / "ts_sequences.kdenlive"),
                                            str(out), "--to-arg", "version=1.04"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "document 1.04" in line]
    assert len(lines) == 1 and lines[0].startswith("not carried: kdenlive (.kdenlive): document 1.04"), \
        result.output
    assert "other sequences" in lines[0]
    assert load(out, is_path=True).version == "1.04"


def _with_custom_category(samples) -> str:
    """The 24.07 sample with a tenth guide category, "Interviews", given to its second guide."""
    root = ET.parse(samples / "kdenlive" / "kdenlive_example_v240770.kdenlive").getroot()
    for element in root.iter("property"):
        name = element.get("name")
        if name == "kdenlive:docproperties.guidesCategories":
            categories = json.loads(element.text)
            categories.append({"color": "#00ff00", "comment": "Interviews", "index": 9})
            element.text = json.dumps(categories)
        elif name in ("kdenlive:sequenceproperties.guides", "kdenlive:markers"):
            guides = json.loads(element.text)
            guides[1]["type"] = 9
            element.text = json.dumps(guides)
    return "<?xml version='1.0' encoding='utf-8'?>\n" + ET.tostring(root, encoding="unicode")


def test_1_04_says_which_guide_categories_it_cannot_hold(samples, installed) -> None:
    installed((22, 12, 3))
    timeline = kdenlive_adapter.read_from_string(_with_custom_category(samples))
    assert kdenlive_version.custom_categories(timeline) == (["Interviews"], 1)
    lines = kdenlive_adapter.not_carried(timeline, version="1.04")
    assert len(lines) == 1 and "guide category 'Interviews'" in lines[0], lines
    assert kdenlive_adapter.not_carried(timeline) == []  # by default it stays 1.1: nothing lost
    text = kdenlive_adapter.write_to_string(timeline, version="1.04")
    back = kdenlive_adapter.read_from_string(text)
    assert [m.name for m in back.tracks.markers] == [m.name for m in timeline.tracks.markers]
    assert all(0 <= m.metadata["kdenlive"]["type"] <= 8 for m in back.tracks.markers)


def test_new_projects_lose_nothing_in_1_04(installed) -> None:
    installed((22, 12, 3))
    timeline = _timeline()
    timeline.tracks.markers.append(otio.schema.Marker(name="note", marked_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(3, 25)), color=otio.schema.MarkerColor.GREEN))
    assert kdenlive_adapter.not_carried(timeline) == []
    from cinegrade.timeline.files import carry_report

    assert carry_report(timeline, "kdenlive") == []


# -- the installed Kdenlive (Debian 12: 22.12) -------------------------------------------------------------
@pytest.fixture
def kdenlive_gui(require_program):
    """Debian's kdenlive, xvfb, xdotool and dbus: skipped without them, failed in CI."""
    for tool in TOOLS:
        require_program(tool)
    release = kdenlive_version.installed_kdenlive_release()
    assert release is not None, "kdenlive is installed but `kdenlive --version` names no release"
    return release


def _assert_opened(project: Path, windows: list[str], log: Path, cube_path: Path) -> None:
    """Kdenlive shows the project and nothing else (no "Incorrect project file", "Problems
    found" or "Unable to open project" dialog), put the clip on the timeline and loaded the
    Apply LUT effect (avfilter.lut3d) with the grade's .cube — as its own log says."""
    assert any(w.startswith(project.stem) for w in windows), windows
    assert len(windows) == 1, f"Kdenlive showed a dialog: {windows}"
    text = log.read_text(errors="replace")
    assert re.search(r"qml: loaded clip:", text), "Kdenlive put no clip on the timeline"
    assert re.search(r'"avfilter\.lut3d"\s*:\s*Setting parameter\s+"av\.file"\s+to\s+"'
                     + re.escape(str(cube_path)) + '"', text), "Kdenlive loaded no Apply LUT with the grade"


@pytest.mark.slow
def test_default_version_opens_in_the_installed_kdenlive(kdenlive_gui, tmp_path, cube) -> None:  # noqa: F811
    project = tmp_path / "defaultversion.kdenlive"
    kdenlive_adapter.write_to_file(_graded(_timeline(tmp_path), cube), project)
    assert load(project, is_path=True).version == kdenlive_version.writable_version_for(kdenlive_gui)
    windows = _open_in_kdenlive(project, tmp_path / "gui")
    _assert_opened(project, windows, tmp_path / "gui" / "kdenlive.log", cube)


@pytest.mark.slow
def test_convert_from_otio_opens_in_the_installed_kdenlive(kdenlive_gui, tmp_path, cube) -> None:  # noqa: F811
    from cinegrade.cli.main import cinegrade

    source = tmp_path / "graded.otio"
    otio.adapters.write_to_file(_graded(_timeline(tmp_path), cube), str(source))
    project = tmp_path / "converted.kdenlive"
    result = CliRunner().invoke(cinegrade, ["convert", str(source), str(project)])
    assert result.exit_code == 0, result.output
    assert load(project, is_path=True).version == kdenlive_version.writable_version_for(kdenlive_gui)
    windows = _open_in_kdenlive(project, tmp_path / "gui")
    _assert_opened(project, windows, tmp_path / "gui" / "kdenlive.log", cube)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["one step newer", "1.1"])
def test_the_installed_kdenlive_refuses_newer_documents(kdenlive_gui, tmp_path, how) -> None:
    """The table's upper bound, checked on the real program: a document labelled one step newer
    than the release's version is refused; so is a 1.1 project where the release is older than
    23.04 (the reported problem)."""
    newest = kdenlive_version.newest_document_version(kdenlive_gui)
    if how == "1.1":
        if float(newest) >= 1.1:
            pytest.skip(f"Kdenlive {kdenlive_gui} opens 1.1")
        text = kdenlive_adapter.write_to_string(_timeline(tmp_path), version="1.1")
    else:
        written = kdenlive_version.writable_version_for(kdenlive_gui)
        text = kdenlive_adapter.write_to_string(_timeline(tmp_path), version=written)
        newer = f"{float(newest) + 0.01:.2f}"
        text = text.replace(f'docproperties.version">{written}<', f'docproperties.version">{newer}<')
        assert f'">{newer}<' in text
    project = tmp_path / "toonew.kdenlive"
    project.write_text(text, encoding="utf-8")
    windows = _open_in_kdenlive(project, tmp_path / "gui")
    assert windows and not any(w.startswith("toonew") for w in windows), windows


@pytest.mark.slow
def test_the_demos_graded_project_opens_in_the_installed_kdenlive(kdenlive_gui, tmp_path) -> None:
    """What the README's first command leaves for the editor opens in the Kdenlive `make test`
    installs: no dialog, the clips on the timeline, Apply LUT with each clip's grade."""
    from cinegrade.cli.main import cinegrade

    folder = tmp_path / "demo"
    result = CliRunner().invoke(cinegrade, ["demo", str(folder), "--photos-only", "--seconds", "0.3",
                                            "--size", "320x180", "--quiet"])
    assert result.exit_code == 0, result.output
    written = kdenlive_version.writable_version_for(kdenlive_gui)
    assert f"Kdenlive document {written}: the installed Kdenlive" in result.output
    project = folder / "cinegrade-demo-graded.kdenlive"
    assert load(project, is_path=True).version == written
    windows = _open_in_kdenlive(project, tmp_path / "gui")
    cubes = sorted((folder / "cinegrade-demo-graded.grades").glob("*.cube"))
    _assert_opened(project, windows, tmp_path / "gui" / "kdenlive.log", cubes[0].resolve())
