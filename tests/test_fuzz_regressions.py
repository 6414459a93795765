"""What fuzzing the readers found (benchmarks/fuzz.py), each as a small input that once broke the
property "a reader returns its value or raises InputError": it now gives a value or one line.

Kdenlive inputs are the fuzzer's minimized findings rewritten into one small valid project with
one fault each; .cube and CDL inputs are the minimized findings themselves.
"""

from __future__ import annotations

import opentimelineio as otio
import pytest

from cinegrade.errors import InputError
from cinegrade.media.cdl_files import read_cdl_file
from cinegrade.media.cube import read_cube
from cinegrade.otio_plugins.kdenlive_document import KdenliveInputError
from cinegrade.timeline.files import read_timeline

PROFILE = 'frame_rate_num="25" frame_rate_den="1" width="1920" height="1080"'


def project(profile: str = PROFILE, bin_properties: str = "", entry: str = 'in="0" out="49"', filters: str = "",
            blank: str = "25", mixcut: str | None = None) -> str:
    """A Kdenlive 1.04 project: one clip on each playlist of one track, the second starting
    ``blank`` frames in, inside the first (a mix when ``mixcut`` is given)."""
    mix = (f'<transition id="mix0" in="25" out="49"><property name="kdenlive:mixcut">{mixcut}</property>'
           '<property name="mlt_service">luma</property></transition>') if mixcut is not None else ""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<mlt LC_NUMERIC="C" producer="main_bin" root="/media">
 <profile {profile}/>
 <producer id="p0"><property name="resource">a.mp4</property><property name="length">100</property>
  <property name="kdenlive:id">2</property></producer>
 <playlist id="main_bin"><property name="kdenlive:docproperties.version">1.04</property>{bin_properties}
  <entry producer="p0"/></playlist>
 <playlist id="pl0"><entry producer="p0" {entry}>{filters}</entry></playlist>
 <playlist id="pl1"><blank length="{blank}"/><entry producer="p0" in="0" out="49"/></playlist>
 <tractor id="t0"><track producer="pl0"/><track producer="pl1"/>{mix}</tractor>
 <tractor id="main"><track producer="t0"/></tractor>
</mlt>
"""


def guides(text: str, categories: str | None = None) -> str:
    found = f'<property name="kdenlive:docproperties.guides">{text}</property>'
    if categories is not None:
        found += f'<property name="kdenlive:docproperties.guidesCategories">{categories}</property>'
    return found


def read_kdenlive(path):
    """The Kdenlive adapter as OTIO (and cinegrade, through read_timeline) calls it."""
    return otio.adapters.from_name("kdenlive").read_from_file(str(path))


def test_the_project_without_faults_is_read(tmp_path):
    path = tmp_path / "ok.kdenlive"
    path.write_text(project(), encoding="utf-8")
    timeline = read_kdenlive(path)
    assert [len(track) for track in timeline.tracks] == [2]  # the second clip from the end of the first


REFUSED = {
    # found: ValueError from int() (the reader's metadata)
    "width not a number": (project(profile=PROFILE.replace('"1920"', '"1h80"')), "width '1h80' is not a whole number"),
    # found: ValueError from OTIO (an integer past int64 in the timeline's metadata)
    "frame rate past int64": (project(profile='frame_rate_num="18446744073709551616" frame_rate_den="1"'),
                              "no valid frame_rate_num/frame_rate_den"),
    "frame rate 0": (project(profile='frame_rate_num="0" frame_rate_den="1"'), "no valid frame_rate_num"),
    # found: OverflowError from int(float("inf")) (a blank's length), round(inf) (a clock's seconds)
    "blank of inf frames": (project(blank="inf"), "'inf' is not an MLT time"),
    "clock of inf seconds": (project(entry='in="0" out="00:00:' + "9" * 400 + '.0"'), "is not an MLT time"),
    "frames past int32": (project(entry='in="0" out="99999999999"'), "within MLT's range"),
    # found: ValueError and OverflowError from int(float(mixcut))
    "mixcut not a number": (project(mixcut="x"), "'x' is not an MLT time"),
    "mixcut inf": (project(mixcut="inf"), "'inf' is not an MLT time"),
    # found: RecursionError from json.loads, ValueError from int() past 4300 digits, a lone
    # surrogate OTIO cannot take (TypeError)
    "guides nested deeply": (project(bin_properties=guides("[" * 100_000)), "not valid JSON: nested too deeply"),
    "guides with a 5000-digit number": (project(bin_properties=guides('[{"pos": ' + "9" * 5000 + "}]")),
                                        "not valid JSON"),
    "guides with a lone surrogate": (project(bin_properties=guides('[{"pos": 1, "comment": "\\ud800"}]')),
                                     "not valid JSON"),
}


@pytest.mark.parametrize("name", REFUSED)
def test_a_faulty_kdenlive_project_is_refused_in_one_line(name, tmp_path):
    text, reason = REFUSED[name]
    path = tmp_path / "faulty.kdenlive"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KdenliveInputError, match=reason) as raised:
        read_kdenlive(path)
    assert raised.value.path == str(path) and "\n" not in str(raised.value)


READ = {
    # found: ValueError "key 'None' is not a string" (MLT ignores a property without a name)
    "property without a name": project(filters='<filter id="f0"><property>x</property>'
                                               '<property name="mlt_service">brightness</property></filter>'),
    # found: ValueError (a guide's position past int64 in metadata), OverflowError (1e400 is inf)
    "guide past int64": project(bin_properties=guides('[{"pos": 99999999999999999999999, "type": 0, "comment": "x"}]')),
    "guide at inf": project(bin_properties=guides('[{"pos": 1e400, "type": "x", "comment": 5}]')),
    # found: ValueError from int("x") (a category's index), AttributeError (a colour that is a number)
    "odd categories": project(bin_properties=guides('[{"pos": 3, "type": 0}]',
                                                    '[{"index": "x", "color": 5, "comment": "c"}, {"index": 1e400}]')),
}


@pytest.mark.parametrize("name", READ)
def test_an_odd_but_readable_kdenlive_project_is_read(name, tmp_path):
    path = tmp_path / "odd.kdenlive"
    path.write_text(READ[name], encoding="utf-8")
    timeline = read_kdenlive(path)
    assert [len(track) for track in timeline.tracks] == [2]


@pytest.mark.parametrize("encoding", ["f", "cp932"])
def test_a_kdenlive_project_in_an_encoding_expat_cannot_use_is_refused_in_one_line(encoding, tmp_path):
    path = tmp_path / "encoded.kdenlive"
    path.write_text(project().replace('encoding="utf-8"', f'encoding="{encoding}"'), encoding="utf-8")
    with pytest.raises(InputError):
        read_timeline(path)


# found: ValueError from int("²") ("²".isdigit() is True)
@pytest.mark.parametrize("size", ["\u00b2", "9" * 5000, "\u0663"])
@pytest.mark.parametrize("keyword", ["LUT_1D_SIZE", "LUT_3D_SIZE"])
def test_a_cube_size_that_is_no_ascii_integer_is_refused_with_its_line(keyword, size, tmp_path):
    path = tmp_path / "odd.cube"
    path.write_text(f"# a LUT\n{keyword} {size}\n", encoding="utf-8")
    with pytest.raises(InputError, match=f"{keyword} must be one integer") as raised:
        read_cube(path)
    assert raised.value.line == 2


# found: LookupError "unknown encoding: f"; the same kind: ValueError "multi-byte encodings are
# not supported", LookupError "'rot13' is not a text encoding"
@pytest.mark.parametrize("encoding", ["f", "cp932", "rot13"])
def test_a_cdl_file_in_an_encoding_expat_cannot_use_is_refused_in_one_line(encoding, tmp_path):
    path = tmp_path / "odd.cc"
    path.write_bytes(f'<?xml version="1.0" encoding="{encoding}"?>\n<ColorCorrection id="a"/>'.encode())
    with pytest.raises(InputError, match="encoding") as raised:
        read_cdl_file(path)
    assert raised.value.line == 1 and "\n" not in str(raised.value)
