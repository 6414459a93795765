"""Frames of a Kdenlive project rendered by MLT's ``melt``, the renderer Kdenlive itself uses."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

MELT = shutil.which("melt")


def melt_frame(project: Path, frame: int, out_dir: Path, cwd: Path | None = None,
               size: tuple[int, int] | None = None) -> np.ndarray:
    """Frame ``frame`` of ``project`` as 8-bit RGB in float64, rendered by melt from ``cwd``
    (default: ``out_dir``), at ``size`` (width, height) or the project's profile."""
    from PIL import Image

    out_dir.mkdir(parents=True, exist_ok=True)
    scale = [f"width={size[0]}", f"height={size[1]}"] if size else []
    # real_time=-1: render every frame, never drop one when the machine is slower than real time
    # a one-frame render on a loaded machine sometimes ends (exit 0) before the frame is
    # written: melt stops its consumer when the producer reaches `out`; try again then
    # and about 2 in 100 never end (melt's main thread waiting for a consumer thread that has
    # gone, no frame written): stopped after a minute and tried again too
    said = "no run ended"
    for _ in range(3):
        try:
            run = subprocess.run([MELT, str(project), "-consumer", f"avformat:{out_dir / 'f_%03d.png'}",
                                  "vcodec=png", "real_time=-1", *scale, f"in={frame}", f"out={frame}"],
                                 cwd=cwd or out_dir, capture_output=True, text=True, timeout=60, check=False)
            said = f"exit {run.returncode}: {run.stderr[-2000:]}"
        except subprocess.TimeoutExpired:
            said = "melt did not end within 60 s"
        rendered = sorted(out_dir.glob("f_*.png"))
        if rendered:
            break
    assert rendered, f"melt wrote no frame for {project} ({said})"
    return np.asarray(Image.open(rendered[0]).convert("RGB")).astype(np.float64)
