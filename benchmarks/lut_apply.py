"""How fast cinegrade applies a 3D LUT to a 1080p float32 frame, against OpenColorIO in the same run.

    python benchmarks/lut_apply.py [--size 33] [--repeats 20]

The frame is a real photograph (scikit-image's astronaut) resized to 1920×1080, display-referred
float32 RGB; the LUT is a shipped look. Printed: megapixels per second for cinegrade's
``apply_lut`` (the whole call a grading step makes: new output array) and for OpenColorIO's CPU
processor through ``PackedImageDesc`` on a copy of the frame (the anchor), their ratio,
colour-science's ``LUT3D.apply`` with tetrahedral interpolation on a slice for scale, and
the largest differences from colour-science and OpenColorIO over the whole frame.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np


def _rates(runs: dict, megapixels: float, repeats: int) -> dict[str, tuple[float, float]]:
    """Best and median MP/s of each run, timed in alternation so that both see the same load
    (this machine is shared: absolute rates swing 2x, the ratio much less)."""
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    for run in runs.values():
        run()  # warm-up: processor creation, caches
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            seconds[name].append(time.perf_counter() - start)
    return {name: (megapixels / min(s), megapixels / statistics.median(s)) for name, s in seconds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=33, help="LUT size (33 or 65)")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--look", default="teal-orange")
    args = parser.parse_args()

    import PyOpenColorIO as ocio
    from colour import LUT3D
    from colour.algebra import table_interpolation_tetrahedral
    from PIL import Image
    from skimage import data

    from cinegrade.colour.lut import apply_lut, bake_lut3d
    from cinegrade.luts.looks import resolve_look

    photo = Image.fromarray(data.astronaut()).resize((1920, 1080), Image.Resampling.BICUBIC)
    frame = np.asarray(photo, dtype=np.float32) / 255.0
    megapixels = frame.shape[0] * frame.shape[1] / 1e6
    lut = resolve_look(args.look)
    if args.size != lut.size:
        shipped = lut
        lut = bake_lut3d(lambda rgb: apply_lut(rgb, shipped), args.size, shipped.name)

    cube = ocio.Lut3DTransform(gridSize=lut.size)
    cube.setData(np.ascontiguousarray(lut.table, dtype=np.float32).reshape(-1))
    cube.setInterpolation(ocio.INTERP_TETRAHEDRAL)
    processor = ocio.Config.CreateRaw().getProcessor(cube).getDefaultCPUProcessor()
    buffer = frame.copy()
    image = ocio.PackedImageDesc(buffer, frame.shape[1], frame.shape[0], 3)

    def anchor() -> None:
        np.copyto(buffer, frame)  # the same input every time, as for ours
        processor.apply(image)

    rates = _rates({"ours": lambda: apply_lut(frame, lut), "ocio": anchor}, megapixels, args.repeats)
    (ours_best, ours_median), (ocio_best, ocio_median) = rates["ours"], rates["ocio"]

    rows = frame.reshape(-1, 3)
    part = rows[: rows.shape[0] // 16].astype(np.float64)
    start = time.perf_counter()
    reference_part = LUT3D(lut.table).apply(part, interpolator=table_interpolation_tetrahedral)
    colour_rate = part.shape[0] / 1e6 / (time.perf_counter() - start)
    reference = np.concatenate([reference_part, LUT3D(lut.table).apply(
        rows[part.shape[0]:].astype(np.float64), interpolator=table_interpolation_tetrahedral)])
    ours = apply_lut(frame, lut).reshape(-1, 3)
    theirs = frame.copy()
    processor.apply(ocio.PackedImageDesc(theirs, frame.shape[1], frame.shape[0], 3))

    print(f"1920x1080 float32, {lut.size}^3 LUT '{args.look}', tetrahedral, {os.cpu_count()} cores")
    print(f"{'engine':<34} {'best MP/s':>10} {'median MP/s':>12}")
    print(f"{'cinegrade apply_lut':<34} {ours_best:>10.1f} {ours_median:>12.1f}")
    print(f"{'OpenColorIO CPU (copy + in place)':<34} {ocio_best:>10.1f} {ocio_median:>12.1f}")
    print(f"{'colour-science LUT3D.apply':<34} {colour_rate:>10.2f}")
    print(f"ratio cinegrade / OpenColorIO: best {ours_best / ocio_best:.2f}, median {ours_median / ocio_median:.2f}")
    print(f"max |cinegrade - colour-science| = {np.abs(ours - reference).max():.2e}")
    print(f"max |cinegrade - OpenColorIO|    = {np.abs(ours - theirs.reshape(-1, 3)).max():.2e}")


if __name__ == "__main__":
    main()
