"""Reading, writing and measuring timeline files through OTIO's adapters (real sample files)."""

from __future__ import annotations

import math
import os
import re
from fractions import Fraction

import opentimelineio as otio
import pytest
from timeline_samples import NEGATIVE, has_adapter, read_arguments, sample_names

from cinegrade.errors import InputError
from cinegrade.timeline.files import (
    BACKUP_SUFFIX,
    carry_report,
    decode_timeline,
    encode_timeline,
    parse_adapter_argument,
    parse_rate,
    read_timeline,
    write_timeline,
)

READABLE = [name for name in sample_names() if name not in NEGATIVE]


def _raw_clip_names(result) -> list[str]:
    """Clip names as plain OTIO reads them (the oracle): for a collection, its first timeline's
    clips, or every clip in it when it holds no timeline."""
    if isinstance(result, otio.schema.SerializableCollection):
        timelines = [c for c in result if isinstance(c, otio.schema.Timeline)]
        result = timelines[0] if timelines else result
    return [clip.name for clip in result.find_clips()]


def _all_markers(timeline: otio.schema.Timeline) -> int:
    items = [timeline.tracks, *timeline.tracks.find_children()]
    return sum(len(item.markers) for item in items if isinstance(item, otio.core.Item))


@pytest.mark.parametrize("name", READABLE)
def test_every_readable_sample_reads_as_a_timeline(samples, name):
    path = samples / name
    timeline = read_timeline(path, **read_arguments(name))
    assert isinstance(timeline, otio.schema.Timeline)
    assert len(timeline.tracks) >= 1
    raw = otio.adapters.read_from_file(str(path), **read_arguments(name))
    assert [clip.name for clip in timeline.find_clips()] == _raw_clip_names(raw)


@pytest.mark.parametrize("name", sample_names(("kdenlive",)))
def test_kdenlive_samples_read_through_the_plugin_manifest(samples, name):
    assert has_adapter("kdenlive"), "cinegrade's kdenlive adapter is not registered (a broken install)"
    timeline = read_timeline(samples / name)
    assert len(timeline.tracks) >= 1
    assert any(True for _ in timeline.find_clips())


@pytest.mark.parametrize("name", sorted(NEGATIVE))
def test_negative_samples_fail_as_input_errors(samples, name):
    with pytest.raises(InputError) as caught:
        read_timeline(samples / name, **read_arguments(name))
    error = caught.value
    assert error.path == str(samples / name)
    assert "\n" not in str(error)


def test_unsupported_schema_error_names_the_line(samples):
    path = samples / "otio/premiere_example.otio"
    with pytest.raises(InputError) as caught:
        read_timeline(path)
    with pytest.raises(Exception) as raw:
        otio.adapters.read_from_file(str(path))
    assert f"line {caught.value.line}" in str(raw.value)
    assert "line" not in caught.value.reason


def test_edl_at_the_wrong_rate_names_the_line_of_the_timecode(samples):
    path = samples / "edl/25fps.edl"
    with pytest.raises(InputError) as caught:
        read_timeline(path)
    error = caught.value
    bad_timecode = re.search(r"Timecode '([^']+)'", error.reason).group(1)
    assert bad_timecode in path.read_text().splitlines()[error.line - 1]
    assert "--rate" in error.reason


def test_rate_29_97_reads_a_drop_frame_edl(samples):
    timeline = read_timeline(samples / "edl/python-edl_test_2997DF.edl", rate="29.97",
                             ignore_timecode_mismatch=True)
    assert timeline.duration().rate == pytest.approx(30000 / 1001)


@pytest.mark.parametrize("text, expected", [
    ("25", 25), ("24", 24), ("29.97", Fraction(30000, 1001)), ("30000/1001", Fraction(30000, 1001)),
    ("23.976", Fraction(24000, 1001)), ("59.94", Fraction(60000, 1001)), ("12.5", 12.5), (48, 48)])
def test_rates_are_parsed(text, expected):
    assert parse_rate(text) == pytest.approx(float(expected), abs=1e-12)


@pytest.mark.parametrize("text", ["0", "-25", "abc", "nan", "inf", "1/0", "25fps", "", "1e9"])
def test_impossible_rates_are_rejected(text):
    with pytest.raises(InputError, match="rate"):
        parse_rate(text)


def test_adapter_arguments_from_text():
    assert parse_adapter_argument("ignore_timecode_mismatch=true") == ("ignore_timecode_mismatch", True)
    assert parse_adapter_argument("reelname_len=12") == ("reelname_len", 12)
    assert parse_adapter_argument("style=nucoda") == ("style", "nucoda")
    with pytest.raises(InputError):
        parse_adapter_argument("no-equals-sign")


def test_missing_directory_empty_and_binary_files(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_timeline(tmp_path / "absent.edl")
    with pytest.raises(InputError, match="directory"):
        read_timeline(tmp_path)
    (tmp_path / "empty.otio").write_text("  \n")
    with pytest.raises(InputError, match="empty"):
        read_timeline(tmp_path / "empty.otio")
    (tmp_path / "noise.otio").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError) as caught:
        read_timeline(tmp_path / "noise.otio")
    assert caught.value.path == str(tmp_path / "noise.otio")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path):
    path = tmp_path / "locked.edl"
    path.write_text("TITLE: x\n")
    path.chmod(0)
    with pytest.raises(InputError, match="cannot read"):
        read_timeline(path)


def test_latin1_edl_is_read(tmp_path):
    path = tmp_path / "latin.edl"
    path.write_bytes("TITLE: caf\xe9\n\n001  AX       V     C        01:00:00:00 01:00:01:00 "
                     "01:00:00:00 01:00:01:00\n* FROM CLIP NAME: caf\xe9.mov\n".encode("latin-1"))
    timeline = read_timeline(path)
    assert [clip.name for clip in timeline.find_clips()] == ["caf\xe9.mov"]


def test_unknown_suffix_lists_the_adapters(tmp_path):
    path = tmp_path / "cut.xyz"
    path.write_text("something")
    with pytest.raises(InputError) as caught:
        read_timeline(path)
    for adapter in otio.plugins.ActiveManifest().adapters:
        assert adapter.name in caught.value.reason
    assert "cmx_3600 (.edl)" in caught.value.reason


def test_unknown_adapter_and_arguments_are_input_errors(samples):
    with pytest.raises(InputError, match="unknown adapter"):
        read_timeline(samples / "edl/cdl.edl", adapter="no_such_adapter")
    with pytest.raises(InputError, match="takes no argument"):
        read_timeline(samples / "edl/cdl.edl", colour="blue")
    with pytest.raises(InputError, match="takes no frame rate"):
        read_timeline(samples / "otio/simple_cut.otio", rate=25)


def test_malformed_json_and_xml_name_their_line(tmp_path):
    bad_json = tmp_path / "bad.otio"
    bad_json.write_text('{"OTIO_SCHEMA": "Timeline.1",\n "name": "x",\n "tracks": [,]}\n')
    with pytest.raises(InputError) as caught:
        read_timeline(bad_json)
    assert caught.value.line == 3
    bad_xml = tmp_path / "bad.xml"
    bad_xml.write_text("<xmeml>\n<sequence>\n<name>a</nme>\n</sequence></xmeml>\n")
    with pytest.raises(InputError) as caught:
        read_timeline(bad_xml)
    assert caught.value.line == 3


def test_bare_clip_and_track_are_wrapped_into_a_timeline(tmp_path):
    clip = otio.schema.Clip(name="lonely", source_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(48, 24)))
    otio.adapters.write_to_file(clip, str(tmp_path / "clip.otio"))
    timeline = read_timeline(tmp_path / "clip.otio")
    assert [c.name for c in timeline.find_clips()] == ["lonely"]
    assert timeline.tracks[0].kind == otio.schema.TrackKind.Video
    track = otio.schema.Track(name="T", children=[clip.deepcopy(), clip.deepcopy()])
    otio.adapters.write_to_file(track, str(tmp_path / "track.otio"))
    assert len(list(read_timeline(tmp_path / "track.otio").find_clips())) == 2
    otio.adapters.write_to_file(otio.schema.Timeline(name="void"), str(tmp_path / "void.otio"))
    with pytest.raises(InputError, match="no tracks"):
        read_timeline(tmp_path / "void.otio")


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE xmeml [
 <!ENTITY a "ha">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
]>
<xmeml version="4"><sequence><name>&e;</name><rate><timebase>24</timebase></rate>
<media><video><track></track></video></media></sequence></xmeml>
"""


def test_entity_expansion_is_refused_though_the_adapter_would_expand_it(tmp_path):
    path = tmp_path / "laughs.xml"
    path.write_text(BILLION_LAUGHS)
    unguarded = otio.adapters.read_from_file(str(path), adapter_name="fcp_xml")
    assert len(unguarded.name) == 2 * 10 ** 4  # what the guard exists for
    with pytest.raises(InputError, match="refused"):
        read_timeline(path)


@pytest.mark.parametrize("suffix", [".xml", ".fcpxml", ".kdenlive"])
def test_external_entities_are_refused_and_never_read(tmp_path, suffix):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    path = tmp_path / f"xxe{suffix}"
    path.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE xmeml [ <!ENTITY x SYSTEM "{secret.as_uri()}"> ]>\n'
                    '<xmeml version="4"><sequence><name>&x;</name></sequence></xmeml>\n')
    if suffix == ".kdenlive":
        assert has_adapter("kdenlive"), "cinegrade's kdenlive adapter is not registered (a broken install)"
    with pytest.raises(InputError) as caught:
        read_timeline(path)
    assert "refused" in caught.value.reason
    assert "TOP-SECRET" not in str(caught.value)


def test_write_is_atomic_refuses_overwrite_and_keeps_a_backup(samples, tmp_path):
    timeline = read_timeline(samples / "otio/simple_cut.otio")
    target = tmp_path / "cut.otio"
    assert write_timeline(timeline, target) is None
    first = target.read_bytes()
    assert [c.name for c in read_timeline(target).find_clips()] == \
        [c.name for c in timeline.find_clips()]
    with pytest.raises(InputError, match="exists"):
        write_timeline(timeline, target)
    timeline.name = "renamed"
    backup = write_timeline(timeline, target, overwrite=True)
    assert backup == target.with_name(target.name + BACKUP_SUFFIX)
    assert backup.read_bytes() == first
    assert read_timeline(target).name == "renamed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.otio", "cut.otio.bak"]


def test_otioz_writer_that_refuses_existing_files_writes(samples, tmp_path):
    timeline = read_timeline(samples / "edl/cdl.edl")
    write_timeline(timeline, tmp_path / "cut.otioz")
    assert [c.name for c in read_timeline(tmp_path / "cut.otioz").find_clips()] == \
        [c.name for c in timeline.find_clips()]


def test_a_file_only_its_own_reader_refuses_is_written_and_said(samples, tmp_path):
    """cmx_3600 writes this timeline as an EDL its own reader refuses (an AttributeError inside
    it): other programs read it, so it is written, and what is carried says it was not measured.
    (An EDL whose CDLs would not read back is refused: tests/test_interchange.py.)"""
    timeline = read_timeline(samples / "edl/python-edl_test_25.edl", rate=25, ignore_timecode_mismatch=True)
    write_timeline(timeline, tmp_path / "out.edl", rate=25)
    assert (tmp_path / "out.edl").is_file()
    [said] = carry_report(timeline, "cmx_3600", rate=25)
    assert "cannot read back what it wrote" in said


def test_failed_write_leaves_nothing(samples, tmp_path):
    timeline = read_timeline(samples / "otio/effects.otio")
    with pytest.raises(InputError, match="cannot write"):
        write_timeline(timeline, tmp_path / "out.edl")
    with pytest.raises(InputError, match="folder"):
        write_timeline(timeline, tmp_path / "missing" / "out.otio")
    assert list(tmp_path.iterdir()) == []


def test_otio_json_carries_everything(samples):
    for name in ("otio/effects.otio", "otio/premiere_example_v0.18.1.otio", "otio/transition.otio"):
        assert carry_report(read_timeline(samples / name), "otio_json") == []


def test_carry_report_counts_what_an_edl_drops(samples):
    timeline = read_timeline(samples / "fcp7xml/premiere_example.xml")
    report = carry_report(timeline, "cmx_3600")
    markers = _all_markers(timeline)
    assert markers > 0
    assert f"cmx_3600 (.edl): {markers} markers dropped" in report
    video = sum(1 for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video)
    assert any(f"{video - 1} video tracks dropped ({video} → 1)" in line for line in report)


def _cdl_by_clip(timeline: otio.schema.Timeline) -> list[tuple[str, dict]]:
    return [(clip.name, clip.metadata["cdl"]) for clip in timeline.find_clips()
            if "cdl" in clip.metadata]


def _cdl_close(a: list[tuple[str, dict]], b: list[tuple[str, dict]]) -> bool:
    if [name for name, _ in a] != [name for name, _ in b]:
        return False
    for (_, x), (_, y) in zip(a, b):
        for key in ("slope", "offset", "power"):
            if not all(math.isclose(float(p), float(q), abs_tol=1e-6)
                       for p, q in zip(x["asc_sop"][key], y["asc_sop"][key])):
                return False
        if not math.isclose(float(x["asc_sat"]), float(y["asc_sat"]), abs_tol=1e-6):
            return False
    return True


def _asc_lines(text: str) -> list[list[float]]:
    """Slope, offset, power numbers of every ASC_SOP line of an EDL (independent of OTIO)."""
    return [float(v) for line in text.splitlines() if "ASC_SOP" in line
            for v in re.findall(r"-?\d+(?:\.\d+)?", line.split("SOP", 1)[1])]


@pytest.mark.parametrize("name, rate", [("edl/cdl.edl", 24), ("edl/sample_cdl_edl.edl", 25)])
def test_cdl_survives_edl_otio_edl(samples, name, rate):
    original = read_timeline(samples / name, rate=rate)
    cdl = _cdl_by_clip(original)
    from_text = _asc_lines((samples / name).read_text())
    assert [float(v) for _, c in cdl for k in ("slope", "offset", "power")
            for v in c["asc_sop"][k]] == pytest.approx(from_text)
    as_otio = decode_timeline(encode_timeline(original, "otio_json"), "otio_json")
    assert _cdl_close(_cdl_by_clip(as_otio), cdl)
    edl = encode_timeline(as_otio, "cmx_3600", rate=rate)
    assert _asc_lines(edl.decode()) == pytest.approx(from_text)
    assert _cdl_close(_cdl_by_clip(decode_timeline(edl, "cmx_3600", rate=rate)), cdl)
    assert carry_report(original, "otio_json") == []
    assert not any("CDL" in line for line in carry_report(original, "cmx_3600", rate=rate))


def test_fcp7_xml_cannot_carry_cdl_and_says_so(samples):
    original = read_timeline(samples / "edl/sample_cdl_edl.edl", rate=25)
    with_cdl = (samples / "edl/sample_cdl_edl.edl").read_text().count("ASC_SOP")
    assert f"fcp_xml (.xml): CDL of {with_cdl} clips dropped" in carry_report(original, "fcp_xml")


def _cut(timeline: otio.schema.Timeline) -> list[tuple]:
    """Clip name, source range and record position on its track, for every clip."""
    return [(clip.name, clip.trimmed_range().start_time.to_frames(),
             clip.trimmed_range().duration.to_frames(),
             clip.range_in_parent().start_time.to_frames(), clip.parent().name)
            for clip in timeline.find_clips()]


@pytest.mark.parametrize("name, via", [
    ("fcp7xml/premiere_example.xml", "otio_json"),
    ("fcp7xml/premiere_example.xml", "fcp_xml"),
    ("fcp7xml/hiero_xml_export.xml", "fcp_xml"),
    ("otio/premiere_example_v0.18.1.otio", "fcp_xml"),
    ("otio/simple_cut.otio", "cmx_3600"),
    ("edl/premiere_example.edl", "fcp_xml"),
    ("edl/sample_cdl_edl.edl", "otio_json"),
    ("edl/sample_cdl_edl.edl", "fcp_xml"),
])
def test_sample_round_trips_keep_the_cut(samples, name, via):
    arguments = read_arguments(name)
    original = read_timeline(samples / name, **arguments)
    write_args = {"rate": arguments["rate"]} if via == "cmx_3600" and "rate" in arguments else {}
    back = decode_timeline(encode_timeline(original, via, **write_args), via, **write_args)
    names = lambda cut: [row[:4] for row in cut]  # noqa: E731 - track names differ by format
    assert names(_cut(back)) == names(_cut(original))
