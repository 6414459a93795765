"""Where the sample files live, which sample timelines are meant to be read, with what, and
which are meant to fail.

Transcribed from sample_data/README.md (the upstream projects' own notes): EDLs from 25 fps
projects need ``rate=25``, some also ``ignore_timecode_mismatch``; the negative files fail by design.
"""

from __future__ import annotations

from pathlib import Path

#: Folders of timeline formats cinegrade reads through OTIO's installed adapters.
TIMELINE_FOLDERS = ("edl", "fcp7xml", "fcpxml", "otio", "ale")

#: Files meant to fail (sample_data/README.md).
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


#: The sample files the tests read, copied into the repository with their provenance
#: (SOURCES.tsv: file, repo, path, commit); conftest's ``samples`` fixture points here (named here
#: too: parametrisation needs the names at collection time).
SAMPLES = Path(__file__).resolve().parent / "sample_data"


def listed_samples() -> list[str]:
    """``folder/file`` names SAMPLES/SOURCES.tsv gives a provenance for."""
    lines = (SAMPLES / "SOURCES.tsv").read_text(encoding="utf-8").splitlines()
    assert lines and lines[0].split("\t") == ["file", "repo", "path", "commit"], \
        f"{SAMPLES / 'SOURCES.tsv'} does not start with the header file, repo, path, commit"
    return [line.split("\t")[0] for line in lines[1:] if line.strip()]


def missing_samples() -> list[str]:
    """Files SOURCES.tsv lists that are not in SAMPLES (all of them when it is absent)."""
    if not (SAMPLES / "SOURCES.tsv").is_file():
        return [str(SAMPLES / "SOURCES.tsv")]
    return [name for name in listed_samples() if not (SAMPLES / name).is_file()]


def sample_names(folders=TIMELINE_FOLDERS) -> list[str]:
    """``folder/file`` names of the sample timelines, sorted. A missing folder is an error (at
    collection), never an empty parameter list that would skip the tests."""
    absent = [folder for folder in folders if not (SAMPLES / folder).is_dir()]
    if absent:
        raise FileNotFoundError(f"sample folders missing from {SAMPLES}: {', '.join(absent)}")
    return sorted(f"{folder}/{path.name}" for folder in folders
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
