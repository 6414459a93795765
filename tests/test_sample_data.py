"""tests/sample_data: every file has its provenance in SOURCES.tsv and every listed file is there."""

from __future__ import annotations

import re

from timeline_samples import SAMPLES, listed_samples


def test_every_sample_file_has_a_provenance_and_every_listed_file_is_there():
    # interchange/: the project's own failure cases, not from a public repository; their README
    # gives each file's sha256 (tests/test_interchange.py holds it)
    on_disk = sorted(str(path.relative_to(SAMPLES)) for path in SAMPLES.rglob("*")
                     if path.is_file() and path.parent != SAMPLES and path.parent.name != "interchange")
    assert sorted(listed_samples()) == on_disk


def test_provenance_rows_name_a_repository_a_path_and_a_commit():
    rows = (SAMPLES / "SOURCES.tsv").read_text(encoding="utf-8").splitlines()[1:]
    assert rows
    for row in rows:
        file, repo, path, commit = row.split("\t")
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", repo), row
        assert path and file.rsplit("/", 1)[-1], row
        assert re.fullmatch(r"[0-9a-f]{40}", commit), row
