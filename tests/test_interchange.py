"""Issue 14's interchange cases (tests/sample_data/interchange/, their README says what is right):
numbers written as plain decimals that read back exactly, the CDL node names real tools write,
ColorCorrectionRef inside a .cdl; through the CLI (convert, export), the readers, and
OpenColorIO reading what cinegrade wrote."""

from __future__ import annotations

import re
from pathlib import Path

import opentimelineio as otio
import PyOpenColorIO as ocio
import pytest
from click.testing import CliRunner

from cinegrade.cli.main import cinegrade
from cinegrade.colour.cdl import CDL
from cinegrade.errors import InputError
from cinegrade.media.cdl_files import CDLDocument, ColorCorrection, read_cdl_file, write_cdl_file
from cinegrade.timeline.effects import cdl_from_otio_metadata, cdl_to_otio_metadata
from cinegrade.timeline.files import read_timeline, write_timeline

ocio.SetLoggingLevel(ocio.LOGGING_LEVEL_NONE)  # it warns about MediaRef/ColorCorrectionRef

TINY = CDL(offset=(0.0, 0.0, 0.000044))  # edl_cdl_tiny_offset.edl
GRADE = CDL((1.2, 1.0, 0.8), (0.01, 0.0, -0.01), (1.0, 1.0, 1.0), 0.9)  # both .cc cases
EXPONENT = re.compile(r"\d[eE][-+]?\d")


@pytest.fixture(scope="module")
def cases(samples) -> Path:
    return samples / "interchange"


def cli(*words) -> object:
    return CliRunner().invoke(cinegrade, [str(w) for w in words])


def edl_cdls(path: Path, rate: int = 24) -> list[CDL]:
    return [cdl_from_otio_metadata(c.metadata) for c in read_timeline(path, rate=rate).find_clips()]


def ocio_cdl(path: Path, cccid: str = "") -> CDL:
    """What OpenColorIO reads from a .cc/.ccc/.cdl (its FileTransform, the way applications load one)."""
    ocio.ClearAllCaches()
    processor = ocio.Config.CreateRaw().getProcessor(ocio.FileTransform(src=str(path), cccId=cccid))
    found = [t for t in processor.createGroupTransform() if isinstance(t, ocio.CDLTransform)]
    assert len(found) == 1
    return CDL(tuple(found[0].getSlope()), tuple(found[0].getOffset()), tuple(found[0].getPower()),
               found[0].getSat())


def test_cases_are_the_shared_files_unchanged(cases):
    """Their provenance (README.md there): each file's sha256 as copied from shared/cases/interchange."""
    import hashlib

    listed = dict(re.findall(r"^\| `([^`]+)` \| ([0-9a-f]{64}) \|", (cases / "README.md").read_text(), re.M))
    assert sorted(listed) == sorted(p.name for p in cases.iterdir() if p.name != "README.md")
    for name, digest in listed.items():
        assert hashlib.sha256((cases / name).read_bytes()).hexdigest() == digest, name


# --- numbers: plain decimals, read back exactly ---------------------------------------------------


@pytest.mark.parametrize("command", ["convert", "export"])
def test_tiny_offset_edl_written_back_reads_back_the_same(cases, tmp_path, command):
    source = cases / "edl_cdl_tiny_offset.edl"
    assert edl_cdls(source) == [TINY]
    out = tmp_path / "x.edl"
    args = ["convert", source, out] if command == "convert" else ["export", source, "--edl", out]
    result = cli(*args, "--rate", "24")
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "*ASC_SOP (1.0 1.0 1.0) (0.0 0.0 0.000044) (1.0 1.0 1.0)" in text
    assert not EXPONENT.search(text)
    assert "cannot read back" not in result.output
    assert edl_cdls(out) == [TINY]
    assert cli("info", out, "--rate", "24").exit_code == 0  # cinegrade's own reading of it


def test_exported_ccc_and_cdl_read_back_exactly_here_and_in_opencolorio(cases, tmp_path):
    source = cases / "edl_cdl_tiny_offset.edl"
    assert cli("export", source, "--ccc", tmp_path / "g.ccc", "--rate", "24").exit_code == 0
    assert cli("export", source, "--cdl-dir", tmp_path / "cdls", "--rate", "24").exit_code == 0
    (cdl_file,) = (tmp_path / "cdls").iterdir()
    for path in (tmp_path / "g.ccc", cdl_file):
        assert "<Offset>0.0 0.0 0.000044</Offset>" in path.read_text()
        document = read_cdl_file(path)
        assert [c.cdl for c in document.corrections] == [TINY]
        assert ocio_cdl(path, document.corrections[0].id) == TINY  # OpenColorIO holds doubles: exact


def test_saturation_zero_survives_an_edl(tmp_path):
    """The EDL adapter leaves out a saturation that is falsy (``if asc_sat:``); as text it is written."""
    monochrome = CDL(slope=(1.1, 1.0, 0.9), saturation=0.0)
    timeline = otio.schema.Timeline(name="mono")
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    clip = otio.schema.Clip(name="shot", source_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(24, 24)))
    clip.metadata["cdl"] = cdl_to_otio_metadata(monochrome)
    track.append(clip)
    timeline.tracks.append(track)
    write_timeline(timeline, tmp_path / "mono.edl", rate=24)
    assert "*ASC_SAT 0.0" in (tmp_path / "mono.edl").read_text()
    assert edl_cdls(tmp_path / "mono.edl") == [monochrome]
    assert clip.metadata["cdl"]["asc_sat"] == 0.0  # the caller's timeline is left as it was


def test_a_file_that_would_not_read_back_is_not_written(tmp_path):
    timeline = otio.schema.Timeline(name="bad")
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    clip = otio.schema.Clip(name="shot", source_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(24, 24)))
    clip.metadata["cdl"] = {"asc_sop": {"slope": [float("inf"), 1.0, 1.0], "offset": [0.0] * 3,
                                        "power": [1.0] * 3}, "asc_sat": 1.0}
    track.append(clip)
    timeline.tracks.append(track)
    with pytest.raises(InputError, match="cannot read back"):
        write_timeline(timeline, tmp_path / "bad.edl", rate=24)
    assert list(tmp_path.iterdir()) == []


# --- the CDL node names real tools write ----------------------------------------------------------


@pytest.mark.parametrize("name", ["cc_sopnode_camelcase.cc", "cc_asc_sop_element.cc"])
def test_node_name_variants_read_as_what_they_say(cases, tmp_path, name):
    (correction,) = read_cdl_file(cases / name).corrections
    assert correction.id == "shot010" and correction.cdl == GRADE
    # written back with the v1.2 names, which OpenColorIO reads as the same grade (it takes
    # SopNode and ASC_SOP as identity in the original)
    for kind in ("cc", "ccc", "cdl"):
        path = write_cdl_file(tmp_path / f"{Path(name).stem}.{kind}", CDLDocument((correction,)), kind)
        text = path.read_text()
        assert "<SOPNode>" in text and "<SatNode>" in text and not EXPONENT.search(text)
        assert read_cdl_file(path).corrections[0].cdl == GRADE
        assert ocio_cdl(path, "" if kind == "cc" else "shot010") == GRADE


def test_cdl_convert_layout_reads_and_writes_back_exactly(tmp_path):
    """The forms cdl_convert's tests use: ASC_SAT before ASC_SOP, a leading-dot decimal, values
    far from 1, a reference to a correction read earlier."""
    (tmp_path / "cc.cdl").write_text(
        '<ColorDecisionList xmlns="urn:ASC:CDL:v1.01"><ColorDecision><ColorCorrection id="f54.112">'
        "<ASC_SAT><Saturation>1798787.01</Saturation></ASC_SAT><ASC_SOP><Slope>137829.329 1 1</Slope>"
        "<Offset>-342789423.013 0 0</Offset><Power>.0000998 0.0000000000000000113 1</Power></ASC_SOP>"
        '</ColorCorrection></ColorDecision><ColorDecision><ColorCorrectionRef ref="f54.112"/>'
        "</ColorDecision></ColorDecisionList>")
    document = read_cdl_file(tmp_path / "cc.cdl")
    wanted = CDL((137829.329, 1, 1), (-342789423.013, 0, 0), (0.0000998, 1.13e-17, 1), 1798787.01)
    assert [c.cdl for c in document.corrections] == [wanted, wanted]
    text = write_cdl_file(tmp_path / "again.cdl", document).read_text()
    assert "<Power>0.0000998 0.0000000000000000113 1.0</Power>" in text
    assert read_cdl_file(tmp_path / "again.cdl") == document
    assert ocio_cdl(tmp_path / "again.cdl", "f54.112") == wanted


def test_unreadable_node_is_an_input_error_never_identity(cases, tmp_path):
    text = (cases / "cc_asc_sop_element.cc").read_text().replace("ASC_SOP", "ASCSop")
    (tmp_path / "odd.cc").write_text(text)
    with pytest.raises(InputError) as caught:
        read_cdl_file(tmp_path / "odd.cc")
    assert (caught.value.line, "<ASCSop>") == (3, caught.value.reason.split()[0])


# --- ColorCorrectionRef ---------------------------------------------------------------------------


def test_reference_inside_the_file_resolves(cases, tmp_path):
    document = read_cdl_file(cases / "cdl_internal_ref.cdl")
    by_media = {c.media_ref: c for c in document.corrections}
    assert by_media["b.dpx"].cdl == CDL(slope=(1.1, 1.0, 1.0)) and by_media["b.dpx"].reference
    assert by_media[None].cdl == CDL(slope=(1.1, 1.0, 1.0)) and not by_media[None].reference
    assert document.by_id("a") is by_media[None]
    # written back: the reference stays one, and every reader gets the same grade
    written = write_cdl_file(tmp_path / "again.cdl", document)
    assert '<ColorCorrectionRef ref="a" />' in written.read_text()
    assert read_cdl_file(written) == document
    assert ocio_cdl(written, "a") == CDL(slope=(1.1, 1.0, 1.0))


def test_reference_to_an_id_nowhere_in_the_file_names_it(cases, tmp_path):
    text = (cases / "cdl_internal_ref.cdl").read_text().replace('ColorCorrectionRef ref="a"',
                                                                 'ColorCorrectionRef ref="shot999"')
    (tmp_path / "missing.cdl").write_text(text)
    with pytest.raises(InputError, match="'shot999'") as caught:
        read_cdl_file(tmp_path / "missing.cdl")
    assert caught.value.line == 10


def test_a_reference_without_its_correction_is_written_in_full(tmp_path):
    lone = ColorCorrection(CDL(saturation=0.5), "elsewhere", media_ref="c.dpx", reference=True)
    written = write_cdl_file(tmp_path / "lone.cdl", CDLDocument((lone,), kind="cdl"))
    assert "ColorCorrectionRef" not in written.read_text()
    assert read_cdl_file(written).corrections[0].cdl == CDL(saturation=0.5)
