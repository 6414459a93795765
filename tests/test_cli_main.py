"""The command group itself: help, start-up time, error convention, plugin registration."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import click
from click.testing import CliRunner

from cinegrade.cli.main import COMMANDS, LazyGroup, cinegrade
from cinegrade.errors import InputError

EXECUTABLE = shutil.which("cinegrade", path=str(Path(sys.executable).parent)) or shutil.which("cinegrade")


def test_help_lists_every_command():
    result = CliRunner().invoke(cinegrade, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output


def test_every_listed_command_imports_and_has_help():
    for name in COMMANDS:
        command = LazyGroup().get_command(click.Context(cinegrade), name)
        assert isinstance(command, click.Command), name
        assert CliRunner().invoke(cinegrade, [name, "--help"]).exit_code == 0, name


def test_installed_help_is_fast_and_does_not_import_colour():
    assert EXECUTABLE, "the cinegrade executable is not installed (a broken install)"
    best = min(_timed([EXECUTABLE, "--help"]) for _ in range(3))
    assert best < 0.5, f"cinegrade --help took {best:.2f} s"
    probe = "import sys; from cinegrade.cli.main import main; sys.argv=['cinegrade','--help']\n" \
            "try:\n    main()\nexcept SystemExit:\n    pass\n" \
            "assert 'colour' not in sys.modules, 'colour imported by --help'"
    subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True)


def _timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def test_unknown_command_is_a_usage_error():
    result = CliRunner().invoke(cinegrade, ["no-such-command"])
    assert result.exit_code == 2


def test_input_error_formats_file_and_line():
    assert str(InputError("bad\n  token", "a.xml", 12)) == "a.xml:12: bad token"
    assert str(InputError("no such file", "b.edl")) == "b.edl: no such file"
    assert str(InputError("--rate must be positive")) == "--rate must be positive"


def test_plugin_manifest_is_registered_through_the_entry_point():
    import opentimelineio as otio

    env_free = {k: v for k, v in os.environ.items() if k != "OTIO_DISABLE_ENTRYPOINTS_PLUGINS"}
    code = ("import opentimelineio as otio, json; "
            "print(json.dumps(otio.plugins.ActiveManifest(force_reload=True).source_files))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         env=env_free).stdout
    ours = Path(__file__).resolve().parents[1] / "otio_plugins" / "plugin_manifest.json"
    import json
    sources = [Path(p).resolve() for p in json.loads(out)]
    installed = [p for p in sources if p.name == "plugin_manifest.json" and p.parent.name == "otio_plugins"]
    assert installed, sources
    assert installed[0].read_text() == ours.read_text()
    assert otio.plugins.ActiveManifest() is not None
