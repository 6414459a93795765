"""Shared fixtures: where the sample files live; programs the slow tests run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from timeline_samples import SAMPLES, missing_samples


@pytest.fixture(scope="session")
def samples() -> Path:
    """tests/sample_data: real files from other tools (provenance in its SOURCES.tsv). A missing
    file is an error, never a skip."""
    missing = missing_samples()
    if missing:
        pytest.fail(f"sample files listed in {SAMPLES / 'SOURCES.tsv'} are missing: {', '.join(missing)}",
                    pytrace=False)
    return SAMPLES


def in_ci() -> bool:
    """Whether the tests run in CI (``CI`` set, as CI services do, and not to a false value)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_program(*names: str) -> str:
    """The path of the first of ``names`` found on PATH. Where none is, skip on a developer's
    machine but fail in CI: ``make test`` installs these programs (Debian packages), so there a
    missing one is a broken setup, not a reason to skip."""
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    message = f"{' or '.join(names)} is not installed (`make test` installs it)"
    if in_ci():
        pytest.fail(f"{message}; in CI every test must run", pytrace=False)
    pytest.skip(message)


@pytest.fixture(name="require_program", scope="session")
def _require_program_fixture():
    """:func:`require_program` for tests and fixtures: ``require_program("xdotool")``."""
    return require_program


@pytest.fixture(scope="session")
def melt() -> str:
    """MLT's ``melt`` (session-scoped, so it is checked before module fixtures that render)."""
    return require_program("melt")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's headless-capable Chromium."""
    return require_program("chromium", "chromium-browser")
