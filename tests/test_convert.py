"""``cinegrade convert`` between OTIO, EDL (with CDL) and FCP 7 XML on the sample files,
and its refusals, through click's CliRunner and the installed executable."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import opentimelineio as otio
import pytest
from click.testing import CliRunner
from timeline_samples import NEGATIVE, cli_arguments, has_adapter, read_arguments, sample_names

from cinegrade.cli.main import cinegrade

EXECUTABLE = shutil.which("cinegrade", path=str(Path(sys.executable).parent))
READABLE = [name for name in sample_names() if name not in NEGATIVE]


def run(*words: str):
    return CliRunner().invoke(cinegrade, ["convert", *map(str, words)])


def _asc_numbers(text: str) -> list[float]:
    """Slope/offset/power numbers of every ASC_SOP line and every ASC_SAT value, read from the
    EDL text with a regular expression (independent of OTIO's parser)."""
    numbers = []
    for line in text.splitlines():
        if "ASC_SOP" in line or "ASC_SAT" in line:
            numbers += [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", line.split("ASC_S", 1)[1][2:])]
    return numbers


def _cdl_numbers(timeline: otio.schema.Timeline) -> list[float]:
    numbers = []
    for clip in timeline.find_clips():
        cdl = clip.metadata.get("cdl")
        if cdl:
            numbers += [float(v) for key in ("slope", "offset", "power") for v in cdl["asc_sop"][key]]
            numbers.append(float(cdl["asc_sat"]))
    return numbers


def _cut(timeline: otio.schema.Timeline) -> list[tuple]:
    """Clip name, source in, duration and record position of every clip, track by track."""
    return [(clip.name, clip.trimmed_range().start_time.to_frames(),
             clip.trimmed_range().duration.to_frames(), clip.range_in_parent().start_time.to_frames())
            for clip in timeline.find_clips()]


@pytest.mark.parametrize("name", READABLE)
def test_every_readable_sample_converts_to_otio(samples, tmp_path, name):
    out = tmp_path / "out.otio"
    result = run(samples / name, out, *cli_arguments(name, "--from-arg"))
    assert result.exit_code == 0, result.output
    written = otio.adapters.read_from_file(str(out))
    assert len(list(written.find_clips())) > 0 or name == "otio/gaps.otio"
    assert "not carried" not in result.stdout  # OTIO carries everything


@pytest.mark.parametrize("name", sample_names(("kdenlive",)))
def test_kdenlive_samples_convert_to_otio_and_fcp7_xml(samples, tmp_path, name):
    assert has_adapter("kdenlive"), "cinegrade's kdenlive adapter is not registered (a broken install)"
    original = otio.adapters.read_from_file(str(samples / name))
    for suffix in (".otio", ".xml"):
        result = run(samples / name, tmp_path / f"out{suffix}")
        assert result.exit_code == 0, result.output
    assert _cut(otio.adapters.read_from_file(str(tmp_path / "out.otio"))) == _cut(original)


@pytest.mark.parametrize("name", sample_names(("kdenlive",)))
def test_kdenlive_samples_come_back_equal_through_kdenlive_and_otio(samples, tmp_path, name):
    """Written elsewhere with no change, directly and through a .otio saved in between, the
    project is the same document (canonical XML): nothing lost, nothing added."""
    assert has_adapter("kdenlive"), "cinegrade's kdenlive adapter is not registered (a broken install)"
    import xml.etree.ElementTree as ET

    assert run(samples / name, tmp_path / "direct.kdenlive").exit_code == 0
    assert run(samples / name, tmp_path / "between.otio").exit_code == 0
    assert run(tmp_path / "between.otio", tmp_path / "via.kdenlive").exit_code == 0
    original = ET.canonicalize(from_file=str(samples / name), strip_text=True)
    for written in ("direct.kdenlive", "via.kdenlive"):
        assert ET.canonicalize(from_file=str(tmp_path / written), strip_text=True) == original, written


@pytest.mark.parametrize("name", sorted(NEGATIVE))
def test_negative_samples_exit_2_and_write_nothing(samples, tmp_path, name):
    result = run(samples / name, tmp_path / "out.otio", *cli_arguments(name, "--from-arg"))
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name, rate", [("edl/cdl.edl", "24"), ("edl/sample_cdl_edl.edl", "25")])
def test_cdl_survives_edl_to_otio_to_edl(samples, tmp_path, name, rate):
    expected = _asc_numbers((samples / name).read_text())
    assert expected
    result = run(samples / name, tmp_path / "a.otio", "--rate", rate)
    assert result.exit_code == 0, result.output
    as_otio = otio.adapters.read_from_file(str(tmp_path / "a.otio"))
    assert _cdl_numbers(as_otio) == pytest.approx(expected)
    result = run(tmp_path / "a.otio", tmp_path / "b.edl", "--rate", rate)
    assert result.exit_code == 0, result.output
    assert "CDL" not in result.stdout
    assert _asc_numbers((tmp_path / "b.edl").read_text()) == pytest.approx(expected)
    original = otio.adapters.read_from_file(str(samples / name), rate=float(rate))
    back = otio.adapters.read_from_file(str(tmp_path / "b.edl"), rate=float(rate))
    assert _cut(back) == _cut(original)


def test_edl_to_fcp7_xml_reports_the_cdl_it_cannot_carry(samples, tmp_path):
    source = samples / "edl/sample_cdl_edl.edl"
    with_cdl = source.read_text().count("ASC_SOP")
    result = run(source, tmp_path / "cut.xml", "--rate", "25")
    assert result.exit_code == 0, result.output
    assert f"not carried: fcp_xml (.xml): CDL of {with_cdl} clips dropped" in result.stdout
    xml = otio.adapters.read_from_file(str(tmp_path / "cut.xml"))
    assert _cut(xml) == _cut(otio.adapters.read_from_file(str(source), rate=25))
    # ... and onward to EDL: the cut survives, the CDL is gone as reported
    result = run(tmp_path / "cut.xml", tmp_path / "cut.edl", "--rate", "25")
    assert result.exit_code == 0, result.output
    assert _cut(otio.adapters.read_from_file(str(tmp_path / "cut.edl"), rate=25)) == _cut(xml)
    assert _asc_numbers((tmp_path / "cut.edl").read_text()) == []


@pytest.mark.parametrize("name", ["fcp7xml/premiere_example.xml", "fcp7xml/hiero_xml_export.xml",
                                  "fcp7xml/premiere_generators.xml"])
def test_fcp7_xml_round_trips_through_otio(samples, tmp_path, name):
    assert run(samples / name, tmp_path / "a.otio").exit_code == 0
    result = run(tmp_path / "a.otio", tmp_path / "b.xml")
    assert result.exit_code == 0, result.output
    original = otio.adapters.read_from_file(str(samples / name))
    assert _cut(otio.adapters.read_from_file(str(tmp_path / "b.xml"))) == _cut(original)


def test_multitrack_to_edl_keeps_the_first_video_track_and_says_what_went(samples, tmp_path):
    source = samples / "fcp7xml/premiere_example.xml"
    original = otio.adapters.read_from_file(str(source))
    result = run(source, tmp_path / "cut.edl")
    assert result.exit_code == 0, result.output
    markers = sum(len(i.markers) for i in [original.tracks, *original.tracks.find_children()]
                  if isinstance(i, otio.core.Item))
    assert f"not carried: cmx_3600 (.edl): {markers} markers dropped" in result.stdout
    assert "video tracks dropped" in result.stdout
    first_video = next(t for t in original.tracks if t.kind == otio.schema.TrackKind.Video)
    edl = otio.adapters.read_from_file(str(tmp_path / "cut.edl"), rate=30)
    assert [c.name for c in edl.find_clips()] == [c.name for c in first_video.find_clips()]


def test_unknown_suffix_lists_adapters_and_writes_nothing(samples, tmp_path):
    result = run(samples / "edl/cdl.edl", tmp_path / "cut.nope")
    assert result.exit_code == 2
    assert "cmx_3600 (.edl)" in result.stderr and "otio_json (.otio)" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_adapters_by_name(samples, tmp_path):
    result = run(samples / "edl/cdl.edl", tmp_path / "cut.txt", "--to", "otio_json")
    assert result.exit_code == 0, result.output
    result = run(tmp_path / "cut.txt", tmp_path / "cut.edl", "--from", "otio_json")
    assert result.exit_code == 0, result.output
    result = run(samples / "edl/cdl.edl", tmp_path / "x.otio", "--from", "nonesuch")
    assert result.exit_code == 2 and "unknown adapter" in result.stderr


def test_existing_output_needs_force_and_keeps_a_backup(samples, tmp_path):
    out = tmp_path / "cut.otio"
    out.write_text("precious")
    result = run(samples / "otio/simple_cut.otio", out)
    assert result.exit_code == 2 and out.read_text() == "precious"
    result = run(samples / "otio/simple_cut.otio", out, "--force")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cut.otio.bak").read_text() == "precious"
    assert len(list(otio.adapters.read_from_file(str(out)).find_clips())) == 4


def test_input_is_never_overwritten(samples, tmp_path):
    copy = tmp_path / "cut.otio"
    shutil.copy(samples / "otio/simple_cut.otio", copy)
    before = copy.read_bytes()
    result = run(copy, copy, "--force")
    assert result.exit_code == 2 and copy.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.otio"]


def test_rate_must_apply_to_one_side(samples, tmp_path):
    result = run(samples / "otio/simple_cut.otio", tmp_path / "x.xml", "--rate", "25")
    assert result.exit_code == 2 and "rate" in result.stderr
    result = run(samples / "otio/simple_cut.otio", tmp_path / "x.edl", "--rate", "0")
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def test_hostile_xml_is_refused_and_nothing_is_written(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("TOP-SECRET")
    hostile = tmp_path / "in.xml"
    hostile.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE xmeml [<!ENTITY x SYSTEM "{secret.as_uri()}">]>\n'
                       '<xmeml version="4"><sequence><name>&x;</name></sequence></xmeml>\n')
    result = run(hostile, tmp_path / "out.otio")
    assert result.exit_code == 2 and "refused" in result.stderr
    assert "TOP-SECRET" not in result.output
    assert not (tmp_path / "out.otio").exists()


def test_writer_that_cannot_write_the_timeline_exits_2(samples, tmp_path):
    result = run(samples / "otio/effects.otio", tmp_path / "out.edl")
    assert result.exit_code == 2, result.output
    assert "cmx_3600" in result.stderr and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_installed_executable(samples, tmp_path):
    assert EXECUTABLE, "the cinegrade executable is not installed beside this Python (a broken install)"
    done = subprocess.run([EXECUTABLE, "convert", str(samples / "edl/cdl.edl"), str(tmp_path / "c.otio")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert _cdl_numbers(otio.adapters.read_from_file(str(tmp_path / "c.otio"))) == \
        pytest.approx(_asc_numbers((samples / "edl/cdl.edl").read_text()))
    failed = subprocess.run([EXECUTABLE, "convert", str(samples / "edl/marza_CMX_example.edl"),
                             str(tmp_path / "m.otio")], capture_output=True, text=True, timeout=60)
    assert failed.returncode == 2
    assert failed.stderr.count("\n") == 1 and "Traceback" not in failed.stderr
    assert failed.stderr.startswith(f"cinegrade: error: {samples / 'edl/marza_CMX_example.edl'}:")
    assert not (tmp_path / "m.otio").exists()
    assert read_arguments("edl/cdl.edl") == {}  # cdl.edl is read at OTIO's default 24 fps
