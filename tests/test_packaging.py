"""setup.cfg lists every sub-package of the library, so an installed (not editable) cinegrade has
every step: a missing one imports in the working tree and fails only once installed."""

from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_sub_package_of_grading_is_installed():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    listed = set(config["options"]["packages"].split())
    found = {"cinegrade." + p.parent.name for p in (ROOT / "grading").glob("*/__init__.py")}
    assert found <= listed, sorted(found - listed)
