"""A tiny labelled scene set for the continuity tests, generated once per test session.

Two scenes of real photographs (scikit-image's coffee and chelsea) at 320×180, half a second a
shot, written by the test-media generator with known drifts:

- coffee: wide (neutral) → close (+0.5 stop: a drifted cut) → pan (+0.5 stop too: an undrifted
  reframing of the drifted close-up);
- chelsea: wide (neutral) → close (saturation ×1.3: a drifted cut).
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

DRIFTED_EXPOSURE = ("coffee-01-wide", "coffee-02-close")
UNDRIFTED = ("coffee-02-close", "coffee-03-pan")
DRIFTED_SATURATION = ("chelsea-01-wide", "chelsea-02-close")


@functools.lru_cache(maxsize=1)
def scene_set():
    """The :class:`cinegrade.demo.footage.SceneSet` (built on first use, removed at exit)."""
    from cinegrade.colour.drift import Drift
    from cinegrade.demo.footage import Framing, SceneSpec, ShotSpec, build_scene_set

    scenes = (
        SceneSpec("coffee", (ShotSpec("coffee", Framing("wide")),
                             ShotSpec("coffee", Framing("close", (0.5, 0.45, 2.0))),
                             ShotSpec("coffee", Framing("pan", (0.4, 0.5, 1.5), (0.6, 0.5, 1.5))))),
        SceneSpec("chelsea", (ShotSpec("chelsea", Framing("wide")),
                              ShotSpec("chelsea", Framing("close", (0.42, 0.38, 2.2))))),
    )
    drifts = {"coffee-01-wide": Drift(), "coffee-02-close": Drift(exposure_stops=0.5),
              "coffee-03-pan": Drift(exposure_stops=0.5), "chelsea-01-wide": Drift(),
              "chelsea-02-close": Drift(saturation=1.3)}
    folder = Path(tempfile.mkdtemp(prefix="cinegrade-continuity-"))
    atexit.register(shutil.rmtree, folder, True)
    return build_scene_set(folder, scenes, size=(320, 180), seconds=0.5, drifts=drifts)


@functools.lru_cache(maxsize=1)
def check_result():
    """``run_continuity`` over the drifted timeline (scenes from its markers)."""
    import opentimelineio as otio

    from cinegrade.analysis.sampler import SampleSettings
    from cinegrade.continuity.run import run_continuity
    from cinegrade.timeline.shots import shots_from_timeline

    path = scene_set().timeline_path
    shots = shots_from_timeline(otio.adapters.read_from_file(str(path)), path)
    return run_continuity(shots, sample_settings=SampleSettings(samples=3, width=320))
