"""OTIO adapter for Kdenlive projects (``.kdenlive``): OTIO's entry points, nothing more.

Reading takes one sequence (``sequence=`` a name or uuid; default: the one the project plays).
Writing edits the Kdenlive document a timeline was read from (kept in its metadata), or writes a
new project for a timeline from elsewhere, by default (``version="auto"``) in the newest document
version the installed Kdenlive opens, else 1.1; ``version="1.04"``/``"1.1"`` choose
(:func:`~cinegrade.otio_plugins.kdenlive_version.resolve_document_version` says which and why).
:func:`not_carried` says what the chosen version cannot hold. Bad input raises
:class:`~cinegrade.otio_plugins.kdenlive_document.KdenliveInputError` (an ``InputError``).
"""

from __future__ import annotations

import os

import opentimelineio as otio

from cinegrade.media.atomic import write_text_atomically
from cinegrade.otio_plugins import kdenlive_document, kdenlive_reader, kdenlive_version, kdenlive_writer


def read_from_string(input_str: str, sequence: str | None = None) -> otio.schema.Timeline:
    """A timeline from the text of a Kdenlive project."""
    return kdenlive_reader.read_timeline(kdenlive_document.load(input_str, is_path=False), sequence)


def read_from_file(filepath: str | os.PathLike, sequence: str | None = None) -> otio.schema.Timeline:
    """A timeline from a ``.kdenlive`` file (relative media resolved against its ``root``)."""
    return kdenlive_reader.read_timeline(kdenlive_document.load(filepath, is_path=True), sequence)


def write_to_string(input_otio: otio.schema.Timeline, version: str = kdenlive_version.AUTO,
                    target_path: str | os.PathLike | None = None) -> str:
    """The Kdenlive project text of a timeline (edited original, or a new project).

    ``version``: "auto", "1.1" or "1.04" (see the module docstring). ``target_path``: where the
    text will be saved, if known; a project saved away from the folder its relative media paths
    resolve against then gets that folder as ``root``.
    """
    target = os.fspath(target_path) if target_path is not None else None
    return kdenlive_writer.write_document(input_otio, target_path=target, version=version)


def write_to_file(input_otio: otio.schema.Timeline, filepath: str | os.PathLike,
                  version: str = kdenlive_version.AUTO) -> None:
    """Write the project atomically (temp file beside the target, then rename)."""
    text = kdenlive_writer.write_document(input_otio, target_path=os.fspath(filepath), version=version)
    write_text_atomically(filepath, text)


def not_carried(input_otio: otio.schema.Timeline, version: str = kdenlive_version.AUTO,
                **_other_arguments) -> list[str]:
    """What the project written with ``version`` cannot hold of the timeline, one line or none
    (a 1.04 document: one sequence, nine fixed guide categories). ``carry_report`` adds it to
    what it measures by reading the written project back."""
    return kdenlive_version.not_carried(input_otio, version)
