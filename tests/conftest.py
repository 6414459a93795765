"""Shared fixtures: where the read-only sample files live."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_SAMPLES = REPO.parent / "shared" / "samples"


@pytest.fixture(scope="session")
def samples() -> Path:
    """../shared/samples beside the checkout (real files from other tools); skip where absent."""
    if not SHARED_SAMPLES.is_dir():
        pytest.skip("../shared/samples is not beside this checkout")
    return SHARED_SAMPLES
