"""The readers of untrusted files fuzzed with atheris: Kdenlive projects, .cube LUTs, ASC CDL files.

Each target of ``benchmarks/fuzz.py`` runs for ``CINEGRADE_FUZZ_SECONDS`` (default 30) from its
seeds in tests/sample_data; any input on which a reader raises something other than InputError,
hangs (5 s) or takes more than 1 GB fails the test, printing the input. A first test plants a
bug and a hang in a reader of the harness' own to show that it finds both.

atheris comes with the test extra (setup.cfg) where it has wheels, Linux x86_64; elsewhere these
tests skip, but not in CI on Linux x86_64, where the extra installs it.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import in_ci

FUZZ = Path(__file__).resolve().parent.parent / "benchmarks" / "fuzz.py"
SECONDS = float(os.environ.get("CINEGRADE_FUZZ_SECONDS", "30"))


@pytest.fixture(autouse=True)
def _atheris() -> None:
    try:
        import atheris  # noqa: F401
    except ImportError:
        has_wheel = sys.platform == "linux" and platform.machine() == "x86_64"
        if in_ci() and has_wheel:
            pytest.fail("atheris is not installed although setup.cfg's test extra installs it here", pytrace=False)
        pytest.skip("atheris is not installed: its wheels are for Linux x86_64 (pip install atheris)")


def fuzz(target: str, seconds: float, out: Path, *options: str) -> tuple[dict, str]:
    """Run benchmarks/fuzz.py on one target: its summary and what it printed."""
    summary = out / "summary.json"
    completed = subprocess.run(
        [sys.executable, os.fspath(FUZZ), "--target", target, "--seconds", str(seconds), "--out", os.fspath(out),
         "--fresh", "--json", os.fspath(summary), *options],
        capture_output=True, text=True, timeout=seconds + 300)
    assert summary.exists(), f"fuzz.py wrote no summary:\n{completed.stdout}\n{completed.stderr[-3000:]}"
    return json.loads(summary.read_text(encoding="utf-8"))["targets"][target], completed.stdout


def describe(crashes: list[dict]) -> str:
    """Each crash with its (minimized) input in full, for the failure message."""
    parts = []
    for crash in crashes:
        source = crash.get("minimized") or crash.get("input")
        data = Path(source).read_bytes() if source and os.path.exists(source) else b""
        parts.append(f"{crash['kind']}: {crash['signature']}\ninput ({len(data)} bytes, {source}):\n{data!r}\n"
                     f"{crash.get('traceback', '')[-2000:]}")
    return "\n\n".join(parts)


def test_the_harness_finds_a_planted_bug_and_a_planted_hang(tmp_path):
    result, printed = fuzz("planted", 6, tmp_path, "--timeout", "1", "--minimize-seconds", "5")
    by_kind = {crash["kind"]: crash for crash in result["crashes"]}
    assert set(by_kind) == {"exception", "timeout"}, printed
    assert by_kind["exception"]["signature"].startswith("ValueError at benchmarks/fuzz.py")
    assert Path(by_kind["exception"]["minimized"]).read_bytes() == b"crash"
    assert Path(by_kind["timeout"]["input"]).read_bytes().startswith(b"hang")
    assert result["workers"] >= 2  # the hang ended a worker, another went on


@pytest.mark.parametrize("target", ["kdenlive", "cube", "cdl"])
def test_a_reader_returns_or_raises_input_error_for_any_bytes(target, tmp_path):
    result, printed = fuzz(target, SECONDS, tmp_path, "--minimize-seconds", "15")
    assert not result["crashes"], f"{printed}\n{describe(result['crashes'])}"
    assert result["executions"] > 100, printed  # past the seeds: it fuzzed
