"""Which shared sample timelines are meant to be read, with what, and which are meant to fail.

Transcribed from ../shared/samples/README.md (the upstream projects' own notes): EDLs from 25 fps
projects need ``rate=25``, some also ``ignore_timecode_mismatch``; the negative files fail by design.
"""

from __future__ import annotations

from pathlib import Path

#: Folders of timeline formats cinegrade reads through OTIO's installed adapters.
TIMELINE_FOLDERS = ("edl", "fcp7xml", "fcpxml", "otio", "ale")

#: Files meant to fail (samples/README.md).
NEGATIVE = frozenset({
    "edl/dissolve_test_fail.edl",
    "edl/marza_CMX_example.edl",
    "otio/premiere_example.otio",
    "otio/screening_example.otio",
    "otio/image_reference_sample.otio",
    "fcp7xml/premiere_example_filter.xml",
    "fcp7xml/sample_just_track.xml",
})

_RATE_25 = ("edl/25fps.edl", "edl/timecode_mismatch.edl", "edl/python-edl_test_24.edl",
            "edl/python-edl_test_25.edl", "edl/python-edl_test_2997DF.edl",
            "edl/sample_cdl_edl.edl", "edl/sample_cdl_edl_with_gaps.edl")
_IGNORE_MISMATCH = ("edl/timecode_mismatch.edl", "edl/python-edl_test_24.edl",
                    "edl/python-edl_test_25.edl", "edl/python-edl_test_2997DF.edl")


#: Where conftest's ``samples`` fixture points (listed here too: parametrisation needs the names
#: at collection time).
SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"


def sample_names(folders=TIMELINE_FOLDERS) -> list[str]:
    """``folder/file`` names of the sample timelines, sorted; none when the samples are absent."""
    return sorted(f"{folder}/{path.name}" for folder in folders if (SAMPLES / folder).is_dir()
                  for path in (SAMPLES / folder).iterdir() if path.is_file())


def has_adapter(name: str) -> bool:
    """Whether an OTIO adapter of that name is installed (e.g. cinegrade's own ``kdenlive``)."""
    import opentimelineio as otio

    return any(adapter.name == name for adapter in otio.plugins.ActiveManifest().adapters)


def read_arguments(name: str) -> dict:
    """Keyword arguments ``read_timeline`` needs for a sample (rate, adapter arguments)."""
    arguments: dict = {}
    if name in _RATE_25:
        arguments["rate"] = 25
    if name in _IGNORE_MISMATCH:
        arguments["ignore_timecode_mismatch"] = True
    return arguments


def cli_arguments(name: str, option: str = "--adapter-arg") -> list[str]:
    """The same as command-line options (``--rate 25``, ``<option> KEY=VALUE``)."""
    words: list[str] = []
    for key, value in read_arguments(name).items():
        words += ["--rate", str(value)] if key == "rate" else [option, f"{key}={value}"]
    return words
