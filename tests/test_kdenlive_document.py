"""Kdenlive documents: time strings, paths, sequences, and refusing bad or hostile input."""

from __future__ import annotations

from fractions import Fraction

import pytest

from cinegrade.errors import InputError
from cinegrade.otio_plugins import kdenlive_adapter
from cinegrade.otio_plugins.kdenlive_document import (
    KdenliveDocument,
    KdenliveInputError,
    frames_to_clock,
    load,
    resolve_path,
    time_to_frames,
)

MINIMAL = """<?xml version='1.0' encoding='utf-8'?>
<mlt LC_NUMERIC="C" producer="main_bin" root="">
 <profile frame_rate_num="25" frame_rate_den="1" width="320" height="240"/>
 {body}
 <playlist id="main_bin"><property name="kdenlive:docproperties.version">{version}</property></playlist>
 <tractor id="tractor9"><track producer="{track}"/></tractor>
</mlt>
"""


def test_time_strings_follow_mlt() -> None:
    """Clock strings round the seconds at the frame rate; timecodes count frames; plain ints."""
    assert time_to_frames("00:00:14.480", Fraction(25)) == 362
    assert time_to_frames("00:00:00.967", Fraction(30)) == 29  # 29.01 frames
    assert time_to_frames("00:00:05:00", Fraction(25)) == 125
    assert time_to_frames("01:00:00:12", Fraction(24)) == 86400 + 12
    assert time_to_frames("87", Fraction(25)) == 87
    ntsc = Fraction(30000, 1001)
    for frames in (0, 1, 29, 1799, 107892):
        assert time_to_frames(frames_to_clock(frames, ntsc), ntsc) == frames


def test_paths_resolve_like_mlt_root() -> None:
    """Relative paths join the root; absolute paths, colours and URLs stay as they are."""
    assert resolve_path("footage/a.mp4", "/proj") == "/proj/footage/a.mp4"
    assert resolve_path("/abs/a.mp4", "/proj") == "/abs/a.mp4"
    assert resolve_path("0xff80ffff", "/proj") == "/proj/0xff80ffff"  # callers skip colours
    assert resolve_path("https://x/y.mp4", "/proj") == "https://x/y.mp4"
    assert resolve_path("a.mp4", None) == "a.mp4"


def test_empty_root_means_project_folder(samples) -> None:
    document = load(samples / "kdenlive" / "ts_transform.kdenlive", is_path=True)
    assert document.root.get("root") == ""
    assert document.effective_root == str(samples / "kdenlive")


def test_sequences_of_a_1_1_document(samples) -> None:
    """ts_sequences holds three sequences; the default is the one the project tractor plays."""
    document = load(samples / "kdenlive" / "ts_sequences.kdenlive", is_path=True)
    names = sorted(s.name for s in document.sequences())
    assert names == ["Sequence 1", "Sequence 2", "Sequence 3"]
    last = document.root.findall("tractor")[-1]
    played = last.find("track").get("producer")
    assert document.default_sequence().element.get("id") == played
    assert document.sequence("{33ab7e7b-b157-40a8-95c5-133789a4b043}").name == "Sequence 2"
    with pytest.raises(InputError, match="no sequence 'Nope'"):
        document.sequence("Nope")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("this is not xml", "not well-formed XML"),
        ("<fcpxml version='1.8'/>", "not a Kdenlive project"),
        ("<mlt><producer id='p'/><tractor id='t'><track producer='p'/></tractor></mlt>", "main_bin"),
        (MINIMAL.format(body="", version="0.91", track="x"), "unsupported Kdenlive document version '0.91'"),
        (MINIMAL.format(body="", version="1.04", track="ghost"), "refers to 'ghost'"),
        (MINIMAL.format(body="<playlist id='p1'><entry producer='gone' in='0' out='3'/></playlist>"
                        "<tractor id='t1'><track producer='p1'/><track producer='p1'/></tractor>",
                        version="1.04", track="t1"), "refers to 'gone'"),
        (MINIMAL.format(body="<producer id='c'><property name='mlt_service'>color</property></producer>"
                        "<playlist id='p1'><entry producer='c' in='soon' out='3'/></playlist>"
                        "<tractor id='t1'><track producer='p1'/><track producer='p1'/></tractor>",
                        version="1.1", track="t1"), "'soon' is not an MLT time"),
    ],
)
def test_bad_documents_are_input_errors(tmp_path, text: str, message: str) -> None:
    """Every kind of bad input is one InputError naming the file and the problem."""
    path = tmp_path / "bad.kdenlive"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message) as caught:
        kdenlive_adapter.read_from_file(path)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, KdenliveInputError)


def test_entity_expansion_is_refused(tmp_path) -> None:
    """Billion laughs: refused before any expansion."""
    laughs = "<!DOCTYPE mlt [<!ENTITY a 'lol'>" + "".join(
        f"<!ENTITY {chr(98 + i)} '&{chr(97 + i)};&{chr(97 + i)};&{chr(97 + i)};&{chr(97 + i)};'>" for i in range(9)
    ) + "]>\n<mlt title='&j;'/>"
    path = tmp_path / "laughs.kdenlive"
    path.write_text(laughs)
    with pytest.raises(InputError, match="hostile XML") as caught:
        kdenlive_adapter.read_from_file(path)
    assert caught.value.path == str(path)


def test_external_entities_are_refused(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me")
    text = f"<!DOCTYPE mlt [<!ENTITY x SYSTEM 'file://{secret}'>]>\n<mlt title='&x;'/>"
    with pytest.raises(InputError, match="hostile XML"):
        KdenliveDocument(text, "ext.kdenlive")


def test_missing_file_is_input_error(tmp_path) -> None:
    with pytest.raises(InputError, match="cannot read the project"):
        kdenlive_adapter.read_from_file(tmp_path / "absent.kdenlive")
