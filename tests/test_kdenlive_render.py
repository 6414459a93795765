"""Projects cinegrade writes, rendered by MLT's own ``melt``: the grade shows in the pixels.

The check compares pixels, never exit codes: melt renders a project with a missing LUT or
missing media silently (exit 0).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest
from dissolve_media import MIX_COLOURS, dissolving_timeline
from melt_render import melt_frame

from cinegrade.otio_plugins import kdenlive_adapter

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("melt")]
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

    from cinegrade.media.frames import encode_clip

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

    from cinegrade.media.frames import encode_clip

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


@pytest.mark.parametrize("version", ["1.1", "1.04"])
def test_dissolves_become_mixes_that_melt_renders(tmp_path, version) -> None:
    """OTIO dissolves written into a new project become Kdenlive same-track mixes: melt shows A
    alone, a ramp from A to B across the first cut, B alone, a ramp from B to C, C alone — each
    mix running the right way (the second, incoming on the first sub-playlist, needs
    ``reverse``) — and our reader gives the transitions back."""
    timeline = dissolving_timeline(tmp_path, size=(WIDTH, HEIGHT))
    project = tmp_path / f"dissolves-{version}.kdenlive"
    kdenlive_adapter.write_to_file(timeline, project, version=version)

    colours = {name: np.array(c) * 255 for name, c in MIX_COLOURS.items()}

    def seen(frame: int) -> np.ndarray:
        return melt_frame(project, frame, tmp_path / f"out{frame}", size=(WIDTH, HEIGHT)) \
            [8:-8, 8:-8].reshape(-1, 3).mean(axis=0)

    def between(frame: int, first: str, second: str) -> float:
        """Where a frame sits from ``first`` (0) to ``second`` (1), by projection."""
        a, b = colours[first], colours[second]
        return float((seen(frame) - a) @ (b - a) / ((b - a) @ (b - a)))

    for frame, name in ((3, "A"), (18, "B"), (31, "C")):
        assert np.abs(seen(frame) - colours[name]).max() < 8, (frame, name)
    # each mix spans [cut - 4, cut + 4]: a ramp from the outgoing to the incoming shot (MLT's
    # luma holds or skips one step of it, for Kdenlive's own mixes too)
    for cut, outgoing, incoming in ((12, "A", "B"), (24, "B", "C")):
        ramp = [between(frame, outgoing, incoming) for frame in range(cut - 5, cut + 7)]
        assert ramp[0] == pytest.approx(0, abs=0.03) and ramp[-1] == pytest.approx(1, abs=0.03)
        assert all(b >= a - 0.01 for a, b in zip(ramp, ramp[1:])), ramp
        assert 0.25 < ramp[5] < 0.75, ramp  # the cut frame is a blend of both

    back = kdenlive_adapter.read_from_file(project).tracks[0]
    assert [type(item).__name__ for item in back] == ["Clip", "Transition", "Clip", "Transition", "Clip"]
    for original, read in zip(timeline.tracks[0], back):
        if isinstance(original, otio.schema.Clip):
            assert read.source_range == original.source_range
        else:
            assert (read.in_offset, read.out_offset) == (original.in_offset, original.out_offset)


def test_dissolves_without_handles_become_cuts(tmp_path) -> None:
    """A dissolve needs media before the incoming shot's first frame: without it (sources from
    frame 0) the shots are cut, whole and in place."""
    timeline = dissolving_timeline(tmp_path, size=(WIDTH, HEIGHT), head=0)
    project = tmp_path / "cuts.kdenlive"
    kdenlive_adapter.write_to_file(timeline, project)
    back = kdenlive_adapter.read_from_file(project).tracks[0]
    assert [type(item).__name__ for item in back] == ["Clip", "Clip", "Clip"]
    assert [c.source_range for c in back] == [c.source_range for c in timeline.find_clips()]
