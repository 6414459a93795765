"""Projects cinegrade writes, rendered by MLT's own ``melt``: the grade shows in the pixels.

The check compares pixels, never exit codes: melt renders a project with a missing LUT or
missing media silently (exit 0).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest

from cinegrade.otio_plugins import kdenlive_adapter

from melt_render import MELT, melt_frame
pytestmark = pytest.mark.skipif(MELT is None, reason="MLT's melt is not installed")
RATE = 24
HEIGHT, WIDTH, COUNT = 48, 80, 6


def _frames() -> list[np.ndarray]:
    """Display-referred Rec.709 RGB in [0, 1]: ramps plus a pattern that moves frame to frame."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    return [np.stack([x / (WIDTH - 1), y / (HEIGHT - 1), 0.5 + 0.4 * np.sin(x / 6.0 + 1.5 * i)], -1)
            .clip(0, 1).astype(np.float32) for i in range(COUNT)]


@pytest.fixture(scope="module")
def graded_render(tmp_path_factory):
    """A new project from a generated clip, then the same project graded with a .cube."""
    import colour

    from cinegrade.grading.video_frames import encode_clip

    work = tmp_path_factory.mktemp("render")
    media = work / "media" / "shot.mp4"
    media.parent.mkdir()
    frames = _frames()
    encode_clip(media, frames, fps=RATE)
    clip = otio.schema.Clip(
        name="shot",
        media_reference=otio.schema.ExternalReference(
            target_url=str(media),
            available_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, RATE),
                                                    otio.opentime.RationalTime(COUNT, RATE))),
        source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(1, RATE), otio.opentime.RationalTime(4, RATE)))
    timeline = otio.schema.Timeline(name="render check", global_start_time=otio.opentime.RationalTime(0, RATE))
    timeline.tracks.append(otio.schema.Track(name="V1", children=[clip]))
    plain = work / "projects" / "plain.kdenlive"
    plain.parent.mkdir()
    kdenlive_adapter.write_to_file(timeline, plain)
    legacy = work / "projects" / "plain_1_04.kdenlive"
    kdenlive_adapter.write_to_file(timeline, legacy, version="1.04")

    # A look that moves every channel: a gamma, a channel rotation and a lift.
    table = colour.LUT3D.linear_table(17) ** 0.8
    lut = colour.LUT3D(table[..., [1, 2, 0]] * 0.85 + 0.08, name="render check")
    cube = work / "luts" / "look.cube"
    cube.parent.mkdir()
    colour.write_LUT(lut, str(cube))
    read_back = kdenlive_adapter.read_from_file(plain)
    read_back.find_clips()[0].effects.append(otio.schema.Effect(
        effect_name="cinegrade.grade", metadata={"cinegrade": {"cube": str(cube)}}))
    graded = work / "elsewhere" / "graded.kdenlive"
    graded.parent.mkdir()
    kdenlive_adapter.write_to_file(read_back, graded)
    elsewhere = work / "cwd"
    elsewhere.mkdir()
    frame = 2  # timeline frame 2 shows source frame 3
    return {
        "frames": frames, "lut": lut, "frame": frame,
        "plain": melt_frame(plain, frame, work / "out_plain", elsewhere),
        "graded": melt_frame(graded, frame, work / "out_graded", elsewhere),
        "legacy": melt_frame(legacy, frame, work / "out_legacy", elsewhere),
    }


def test_new_project_renders_its_media(graded_render) -> None:
    """melt renders the new project's clip at the right source frame (media path resolved)."""
    rendered = graded_render["plain"]
    assert rendered.shape == (HEIGHT, WIDTH, 3)
    errors = [np.median(np.abs(rendered - f * 255.0)) for f in graded_render["frames"]]
    assert int(np.argmin(errors)) == graded_render["frame"] + 1
    assert errors[graded_render["frame"] + 1] < 3.0  # H.264, 4:2:0 chroma, Y'CbCr round trips


def test_1_04_project_renders_the_same(graded_render) -> None:
    """The project for Kdenlive 20.08–22.12 (document 1.04) renders the same frame."""
    assert np.percentile(np.abs(graded_render["legacy"] - graded_render["plain"]), 99) <= 1.0


def test_apply_lut_matches_our_lut_engine(graded_render) -> None:
    """Rendered grade = the ungraded render through the same .cube (tetrahedral), ≤ 1 code value
    at the 99th percentile; and the grade is really there (a missing LUT renders ungraded)."""
    import colour

    plain, graded = graded_render["plain"], graded_render["graded"]
    ours = graded_render["lut"].apply(plain / 255.0, interpolator=colour.algebra.table_interpolation_tetrahedral)
    error = np.abs(ours * 255.0 - graded)
    assert np.percentile(error, 99) <= 1.0, f"p99 error {np.percentile(error, 99):.3f} code values"
    assert np.percentile(np.abs(graded - plain), 50) > 10.0


def test_real_project_edited_in_place_renders(samples, tmp_path) -> None:
    """A real Kdenlive 25.12 project (chain producer, user effects, root="") with generated
    footage: written elsewhere unchanged it renders the same pixels from another working folder,
    and with a grade it renders differently."""
    import colour

    from cinegrade.grading.video_frames import encode_clip

    project = tmp_path / "project"
    (project / "footage").mkdir(parents=True)
    source = samples / "kdenlive" / "ts_avfilter-colorbalance.kdenlive"
    (project / source.name).write_text(source.read_text())
    y, x = np.mgrid[0:54, 0:96]
    encode_clip(project / "footage" / "stock_flags.mp4",
                [np.stack([x / 95, y / 53, 0.3 + 0.02 * i + 0 * x], -1).astype(np.float32) for i in range(30)], fps=30)
    cube = tmp_path / "look.cube"
    colour.write_LUT(colour.LUT3D(colour.LUT3D.linear_table(9)[..., [2, 0, 1]], name="swap"), str(cube))
    elsewhere = tmp_path / "out"
    elsewhere.mkdir()

    def render(path: Path, tag: str, cwd: Path = elsewhere) -> np.ndarray:
        return melt_frame(path, 3, tmp_path / tag, cwd, size=(192, 108))

    timeline = kdenlive_adapter.read_from_file(project / source.name)
    unchanged = elsewhere / "unchanged.kdenlive"
    kdenlive_adapter.write_to_file(timeline, unchanged)
    original = render(project / source.name, "original", cwd=project)
    # MLT resolves root="" against the working folder: from elsewhere the original loses its media.
    assert not np.array_equal(render(project / source.name, "original_elsewhere"), original)
    assert np.array_equal(render(unchanged, "unchanged"), original)

    timeline.find_clips()[0].effects.append(otio.schema.Effect(
        effect_name="cinegrade.grade", metadata={"cinegrade": {"cube": str(cube)}}))
    graded = elsewhere / "graded.kdenlive"
    kdenlive_adapter.write_to_file(timeline, graded)
    assert np.percentile(np.abs(render(graded, "graded") - original), 90) > 10
