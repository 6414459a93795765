"""The HTML report: self-contained, every shot in the strip, warnings beside them, SVG plots;
and it renders in a real headless Chromium (skipped where Debian's ``chromium`` is absent, except
in CI, where that fails)."""

from __future__ import annotations

import dataclasses
import re
import subprocess

import numpy as np
import pytest
from continuity_media import check_result

from cinegrade.continuity.report import line_plot_svg, render_report, thumbnail_uri, write_report
from cinegrade.continuity.rules import ContinuityWarning


def hostile_result():
    """The check of the tiny set, with a clip renamed to markup and one warning about it."""
    result = check_result()
    shots = list(result.shots)
    shots[0] = dataclasses.replace(shots[0], clip_name='<script>alert("x")</script>')
    warning = ContinuityWarning("flicker", "error", shots[0].clip_name, shots[0].index, 0,
                                "wobble <b>", 0.1, 0.025, "stops")
    return dataclasses.replace(result, shots=tuple(shots), warnings=(warning, *result.warnings))


def test_report_is_self_contained_and_escaped():
    result = hostile_result()
    page = render_report(result, "tiny & set")
    assert "<script>" not in page and "&lt;script&gt;" in page and "wobble &lt;b&gt;" in page
    assert page.count("data:image/jpeg;base64,") == len(result.shots)
    assert page.count("<svg") == 3
    # nothing is fetched from elsewhere: no external src/href
    assert not re.search(r'(src|href)="(?!data:|#)', page)
    for warning in result.warnings:
        assert warning.rule in page


def test_thumbnail_and_plot():
    uri = thumbnail_uri(np.full((90, 160, 3), 0.5, np.float32))
    assert uri.startswith("data:image/jpeg;base64,")
    svg = line_plot_svg("Exposure", "stops", [0, 10, 20], [0.0, None, 1.0], ["a", "b", "c"], [False, False, True])
    assert svg.count("<circle") == 2 and "#f49d37" in svg


@pytest.mark.slow
def test_report_renders_in_headless_chromium(tmp_path, chromium):
    browser = chromium
    report = write_report(tmp_path / "report.html", hostile_result(), "tiny set")
    shot = tmp_path / "shot.png"
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
               f"--screenshot={shot}", "--window-size=1000,1200", report.resolve().as_uri()]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (1000, 1200)
        pixels = np.asarray(image.convert("RGB"), dtype=np.float32)
    # the page drew something: text and thumbnails, not a blank or error page
    assert pixels.std() > 20
    # the photographs' warm colours (coffee, the cat) show: the inline thumbnails decoded
    warm = (pixels[..., 0] - pixels[..., 2]) > 60
    assert warm.mean() > 0.01
