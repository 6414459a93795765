""".cc/.ccc/.cdl reading and writing, checked against OpenColorIO; OTIO's clip.metadata["cdl"]."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import opentimelineio as otio
import PyOpenColorIO as ocio
import pytest
import skimage.data as skimage_data

from cinegrade.colour.cdl import CDL, apply_cdl
from cinegrade.errors import InputError
from cinegrade.media.cdl_files import CDLDocument, ColorCorrection, Notes, read_cdl_file, write_cdl_file
from cinegrade.timeline.effects import cdl_from_otio_metadata, cdl_to_otio_metadata

ocio.SetLoggingLevel(ocio.LOGGING_LEVEL_NONE)  # it warns about MediaRef, which it does not model

_unique = itertools.count()


@pytest.fixture(scope="module")
def pixels() -> np.ndarray:
    photo = skimage_data.astronaut()[::4, ::4].reshape(-1, 3).astype(np.float32) / 255.0
    return np.concatenate([photo, np.random.default_rng(1).uniform(-0.3, 1.3, (5000, 3)).astype(np.float32)])


def _ocio_file(path: Path, cccid: str | None):
    """OpenColorIO's own reading of a CDL file: its CDLTransform and a CPU processor."""
    ocio.ClearAllCaches()  # OpenColorIO caches files by path
    transform = ocio.FileTransform(src=str(path), cccId=cccid or "")
    processor = ocio.Config.CreateRaw().getProcessor(transform)
    cdls = [t for t in processor.createGroupTransform() if isinstance(t, ocio.CDLTransform)]
    assert len(cdls) == 1
    return cdls[0], processor.getOptimizedCPUProcessor(ocio.OPTIMIZATION_LOSSLESS)


def _assert_same_numbers(ours: CDL, theirs) -> None:
    np.testing.assert_allclose(ours.slope, theirs.getSlope(), rtol=1e-6)
    np.testing.assert_allclose(ours.offset, theirs.getOffset(), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.power, theirs.getPower(), rtol=1e-6)
    assert ours.saturation == pytest.approx(theirs.getSat(), rel=1e-6)


def _v12_names(path: Path, folder: Path) -> Path:
    """``path`` with the node names OpenColorIO does not know (SopNode, ASC_SOP, ASC_SAT) spelt
    as ASC CDL v1.2 does: what the file says, as OpenColorIO reads it."""
    text = re.sub(r"(</?)(?:SopNode|ASC_SOP)\b", r"\1SOPNode", path.read_text(encoding="utf-8"))
    text = re.sub(r"(</?)ASC_SAT\b", r"\1SatNode", text)
    spelt = folder / f"{next(_unique)}{path.suffix}"
    spelt.write_text(text, encoding="utf-8")
    return spelt


def test_every_sample_reads_as_opencolorio_reads_it(samples, tmp_path):
    files = sorted((samples / "cdl").iterdir())
    assert len(files) >= 10
    for path in files:
        document = read_cdl_file(path)
        assert document.corrections
        for correction in document.corrections:
            if document.kind != "cc" and not correction.id:
                continue  # OpenColorIO addresses entries by id only
            theirs, _ = _ocio_file(_v12_names(path, tmp_path), correction.id if document.kind != "cc" else None)
            _assert_same_numbers(correction.cdl, theirs)


def test_ids_descriptions_and_media_refs_as_in_the_samples(samples):
    cc = read_cdl_file(samples / "cdl" / "cdl_test1.cc")
    assert cc.kind == "cc" and cc.corrections[0].id == "foo"
    assert cc.corrections[0].sop_descriptions == ("this is a description",)
    assert cc.corrections[0].cdl == CDL((1.1, 1.2, 1.3), (2.1, 2.2, 2.3), (3.1, 3.2, 3.3), 0.7)

    ccc = read_cdl_file(samples / "cdl" / "cdl_test1.ccc")
    assert ccc.kind == "ccc"
    assert ccc.notes.descriptions == ("This is a color correction collection example.",
                                      "It includes all possible description uses.")
    assert ccc.notes.input_description == "These should be applied in ACESproxy color space."
    first = ccc.by_id("cc0001")
    assert first.notes.descriptions == ("CC-level description 1a", "CC-level description 1b")
    assert first.sop_descriptions == ("Example look", "For scenes 1 and 2")
    assert first.sat_descriptions == ("boosting sat",)
    assert first.cdl == CDL((1.0, 1.0, 0.9), (-0.03, -0.02, 0.0), (1.25, 1.0, 1.0), 1.7)
    assert [c.id for c in ccc.corrections][-2:] == ["", None]  # empty id, missing id: both kept
    assert ccc.corrections[-1].cdl == CDL(saturation=0.0)  # no SOPNode: identity SOP

    cdl = read_cdl_file(samples / "cdl" / "cdl_test1.cdl")
    assert cdl.kind == "cdl"
    assert cdl.corrections[0].media_ref == "some/Project/image.dpx"
    assert cdl.corrections[0].decision_notes.viewing_description == "ColorDecision-level viewing description 1"
    # Kind comes from the root element, not the suffix:
    assert read_cdl_file(samples / "cdl" / "cdl_test_cc_file_with_extension.ccc").kind == "cc"
    # SATNode is the v1.01 spelling of SatNode; ASC_SOP/ASC_SAT (which OpenColorIO 2 ignores) are
    # read as what they say, as cdl_convert reads them.
    assert read_cdl_file(samples / "cdl" / "cdl_test_SATNode.cc").corrections[0].cdl.saturation == 0.42
    assert read_cdl_file(samples / "cdl" / "cdl_test_ASC_SAT.cc").corrections[0].cdl == \
        CDL((1.1, 1.2, 1.3), (2.1, 2.2, 2.3), (3.1, 3.2, 3.3), 0.42)
    assert read_cdl_file(samples / "cdl" / "cdl_test_ASC_SOP.cc").corrections[0].cdl == \
        CDL((1.1, 1.2, 1.3), (2.1, 2.2, 2.3), (3.1, 3.2, 3.3), 0.42)


@pytest.mark.parametrize("source", ["cdl_test1.ccc", "cdl_test1.cdl", "looks_context_test1.cdl"])
@pytest.mark.parametrize("kind", ["ccc", "cdl"])
def test_round_trip_keeps_everything(samples, tmp_path, source, kind):
    document = read_cdl_file(samples / "cdl" / source)
    written = write_cdl_file(tmp_path / f"out.{kind}", document)
    again = read_cdl_file(written)
    assert again.kind == kind
    assert again.corrections == document.corrections if kind == "cdl" else all(
        (a.cdl, a.id, a.notes, a.sop_descriptions, a.sat_descriptions) ==
        (b.cdl, b.id, b.notes, b.sop_descriptions, b.sat_descriptions)
        for a, b in zip(again.corrections, document.corrections))
    assert again.notes == document.notes


def test_opencolorio_reads_what_we_write_and_gives_the_same_pixels(samples, tmp_path, pixels):
    rng = np.random.default_rng(4)
    corrections = [ColorCorrection(CDL(tuple(rng.uniform(0.2, 1.8, 3)), tuple(rng.uniform(-0.2, 0.2, 3)),
                                       tuple(rng.uniform(0.4, 2.5, 3)), float(rng.uniform(0.0, 2.0))),
                                   id=f"shot_{i:03d}", notes=Notes((f"shot {i}",)))
                   for i in range(4)]
    document = CDLDocument(tuple(corrections), Notes(("cinegrade test",)))
    for kind in ("cc", "ccc", "cdl"):
        for correction in corrections:
            path = tmp_path / f"{next(_unique)}.{kind}"
            write_cdl_file(path, correction if kind == "cc" else document)
            theirs, processor = _ocio_file(path, None if kind == "cc" else correction.id)
            _assert_same_numbers(correction.cdl, theirs)
            # OpenColorIO applies file CDLs unclamped (CDL_NO_CLAMP) ...
            out = pixels.copy()
            processor.applyRGB(out)
            np.testing.assert_allclose(out, apply_cdl(pixels, correction.cdl, clamp=False), atol=1e-4)
            # ... and clamped like ours once its style is the ASC one.
            theirs.setStyle(ocio.CDL_ASC)
            clamped = pixels.copy()
            ocio.Config.CreateRaw().getProcessor(theirs).getDefaultCPUProcessor().applyRGB(clamped)
            np.testing.assert_allclose(clamped, apply_cdl(pixels, correction.cdl), atol=1e-4)


def test_written_file_is_atomic_and_cc_holds_one(tmp_path):
    document = CDLDocument((ColorCorrection(CDL(), "a"), ColorCorrection(CDL(), "b")))
    with pytest.raises(InputError):
        write_cdl_file(tmp_path / "two.cc", document)
    with pytest.raises(InputError):
        write_cdl_file(tmp_path / "grade.xml", document)
    write_cdl_file(tmp_path / "two.ccc", document)
    assert [p.name for p in tmp_path.iterdir()] == ["two.ccc"]  # no temporary left behind
    # OpenColorIO refuses a collection whose ids repeat, so it is never written
    twice = CDLDocument((ColorCorrection(CDL(), "a"), ColorCorrection(CDL(saturation=0.5), "a")))
    with pytest.raises(InputError, match="'a' appears more than once"):
        write_cdl_file(tmp_path / "twice.ccc", twice)
    with pytest.raises(InputError, match="U\\+0007"):
        write_cdl_file(tmp_path / "bell.ccc", CDLDocument((ColorCorrection(CDL(), "a\x07"),)))
    assert [p.name for p in tmp_path.iterdir()] == ["two.ccc"]


@pytest.mark.parametrize("text, line, reason", [
    ("<ColorCorrection id='x'>\n<SOPNode>\n<Slope>1 1</Slope>\n", 4, "well-formed"),
    ("<ColorCorrection id='x'>\n<SOPNode>\n<Slope>1 1</Slope><Offset>0 0 0</Offset><Power>1 1 1</Power>"
     "</SOPNode></ColorCorrection>", 3, "3 number"),
    ("<ColorCorrection>\n <SatNode>\n  <Saturation>lots</Saturation>\n </SatNode>\n</ColorCorrection>", 3, "number"),
    ("<ColorCorrection>\n <SOPNode><Slope>1 1 1</Slope><Offset>0 0 0</Offset>\n <Power>1 0 1</Power>"
     "</SOPNode>\n</ColorCorrection>", 3, "power"),
    ("<?xml version='1.0'?>\n<Timeline/>", 2, "not an ASC CDL"),
    ("<ColorCorrectionCollection>\n</ColorCorrectionCollection>", 1, "no ColorCorrection"),
    # values where no reader looks are refused, never read as identity
    ("<ColorCorrection>\n <SOP><Slope>1 1 1</Slope></SOP>\n</ColorCorrection>", 2, "<SOP> holds ASC CDL values"),
    ("<ColorCorrection>\n <sopnode>\n <slope>2 2 2</slope></sopnode></ColorCorrection>", 2, "no SOP or Sat node"),
    ("<ColorCorrection>\n <SOPNode><Slope>1 1 1</Slope><Offset>0 0 0</Offset><Power>1 1 1</Power>\n"
     "<Saturation>0.5</Saturation></SOPNode></ColorCorrection>", 3, "<Saturation> in <SOPNode> is not read"),
    ("<ColorCorrection>\n\n<Slope>2 2 2</Slope></ColorCorrection>", 3, "<Slope> in <ColorCorrection>"),
    ("<ColorCorrection id='empty'>\n</ColorCorrection>", 1, "holds no SOPNode or SatNode"),
    ("<ColorCorrection><SOPNode><Slope>1 1 1</Slope><Offset>0 0 0</Offset><Power>1 1 1</Power></SOPNode>\n"
     "<ASC_SOP><Slope>1 1 1</Slope><Offset>0 0 0</Offset><Power>1 1 1</Power></ASC_SOP></ColorCorrection>",
     2, "more than one <ASC_SOP>"),
    ("<ColorDecisionList><ColorDecision><MediaRef ref='x.dpx'/>\n<ColorCorrectionRef ref='nowhere'/>"
     "</ColorDecision></ColorDecisionList>", 2, "'nowhere'"),
    ("<ColorDecisionList><ColorDecision>\n<ColorCorrectionRef/></ColorDecision></ColorDecisionList>", 2,
     "no ref attribute"),
    ("<ColorDecisionList><ColorDecision><ColorCorrection id='a'><SatNode><Saturation>1</Saturation></SatNode>"
     "</ColorCorrection>\n<ColorCorrectionRef ref='a'/></ColorDecision></ColorDecisionList>", 2, "one ColorCorrection or"),
    ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>\n'
     "<ColorCorrection><SatNode><Saturation>&lol2;</Saturation></SatNode></ColorCorrection>", 2, "refused"),
])
def test_bad_files_name_file_and_line(tmp_path, text, line, reason):
    path = tmp_path / "bad.cc"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        read_cdl_file(path)
    assert caught.value.path == str(path)
    assert caught.value.line == line
    assert reason.lower() in caught.value.reason.lower()


def test_otio_metadata_from_real_edl_and_ale(samples, tmp_path):
    ale = otio.adapters.read_from_file(str(samples / "ale" / "sample_cdl.ale"))
    clip = next(iter(ale.find_clips()))
    cdl = cdl_from_otio_metadata(clip.metadata)
    assert cdl == CDL((0.8714, 0.9334, 0.9947), (-0.087, -0.0922, -0.0808), (0.9988, 1.0218, 1.0101), 0.9)

    # The EDL sample carries a power of 0, which ASC CDL v1.2 (and OpenColorIO) refuse.
    edl = otio.adapters.read_from_file(str(samples / "edl" / "cdl.edl"))
    with pytest.raises(InputError, match="power"):
        cdl_from_otio_metadata(next(iter(edl.find_clips())).metadata)
    assert cdl_from_otio_metadata(otio.schema.Clip().metadata) is None

    # Our layout survives OTIO's EDL writer and reader (*ASC_SOP / *ASC_SAT lines).
    edl.tracks[0][0].metadata["cdl"] = cdl_to_otio_metadata(cdl)
    path = tmp_path / "out.edl"
    otio.adapters.write_to_file(edl, str(path))
    assert "*ASC_SOP" in path.read_text()
    back = otio.adapters.read_from_file(str(path))
    assert cdl_from_otio_metadata(next(iter(back.find_clips())).metadata) == cdl


def test_otio_metadata_partial_and_malformed():
    assert cdl_from_otio_metadata({"cdl": {"asc_sat": 0.5}}) == CDL(saturation=0.5)
    assert cdl_from_otio_metadata({"cdl": {"asc_sop": {"slope": [2, 2, 2]}}}) == CDL(slope=(2.0, 2.0, 2.0))
    with pytest.raises(InputError):
        cdl_from_otio_metadata({"cdl": {"asc_sat": "much"}})
    with pytest.raises(InputError):
        cdl_from_otio_metadata({"cdl": [1, 2, 3]})
