"""Matches and looks → one grade per shot, baked into one .cube per graded clip.

A :class:`Grade` is what one clip gets: its match toward the scene's reference
(:class:`cinegrade.matching.match.Match`, may be absent) followed by a look (a shipped look's
name or the user's .cube, blended at ``look_strength``). :func:`bake_grade` composes both into
one 3D LUT on display-referred Rec.709 [0, 1] — what Kdenlive's Apply LUT and every NLE expect —
and :func:`write_grade_cubes` writes them into ``<OUT stem>.grades/`` beside the output timeline.

:func:`match_timeline` runs the steps before it for a whole timeline (statistics, views, scenes,
references, matches); :func:`graded_continuity` checks the graded result with the continuity
rules, on the same views through each shot's LUT.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cinegrade.colour.lut import AnyLUT, apply_lut, bake_lut3d
from cinegrade.errors import InputError, RangeError
from cinegrade.matching.match import Match
from cinegrade.media.cube import write_cube

LUT_SIZES = (33, 65)


@dataclass(frozen=True)
class Grade:
    """One clip's grade: ``match`` (None: no correction) then ``look`` (None: no look) at
    ``look_strength``. ``look_lut`` is the look's LUT as read (a shipped look or the user's),
    resolved from ``look`` when not given. :class:`~cinegrade.errors.RangeError` (field
    ``look_strength``) outside 0..1; :class:`InputError` for an unknown look or missing .cube."""

    shot_index: int
    clip_name: str
    match: Match | None = None
    look: str | None = None
    look_strength: float = 1.0
    look_lut: AnyLUT | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.look_strength <= 1.0:
            raise RangeError("look_strength", self.look_strength, 0, 1)
        if self.look is not None and self.look_lut is None:
            from cinegrade.luts.looks import resolve_look

            object.__setattr__(self, "look_lut", resolve_look(self.look))

    @property
    def is_identity(self) -> bool:
        """Whether the grade changes nothing: no or an identity match, and no look (or at 0)."""
        return (self.match is None or self.match.is_identity) and \
            (self.look is None or self.look_strength == 0.0)

    def apply(self, rgb: np.ndarray) -> np.ndarray:
        """Display-referred Rec.709 RGB (..., 3) through the match, then the look (blended),
        exactly (no LUT lattice in between); the same shape, float64, clipped to [0, 1]. The look
        is mixed in display-encoded values: (1 − s)·x + s·look(x), x the matched pixels."""
        out = np.asarray(rgb, dtype=np.float64)
        if self.match is not None:
            out = self.match.correct(out)
        if self.look_lut is not None and self.look_strength > 0:
            looked = apply_lut(np.clip(out, 0.0, 1.0), self.look_lut)
            out = (1.0 - self.look_strength) * out + self.look_strength * looked
        return np.clip(out, 0.0, 1.0)


def bake_grade(grade: Grade, size: int = 33):
    """``grade`` sampled on a ``size``³ lattice over display-referred Rec.709 [0, 1] (33 or 65):
    a :class:`colour.LUT3D`. :class:`InputError` for another size."""
    if size not in LUT_SIZES:
        raise InputError(f"LUT size {size} is not one of {', '.join(map(str, LUT_SIZES))}")
    lut = bake_lut3d(lambda rgb: grade.apply(rgb) + 0.0, size, f"cinegrade grade {grade.clip_name}")
    return lut


def grades_folder(output: str | Path) -> Path:
    """``<OUT stem>.grades/`` beside the output timeline: where its clips' .cube files go."""
    output = Path(output)
    return output.with_name(f"{output.stem}.grades")


def cube_name(grade: Grade) -> str:
    """File name of a grade's .cube: shot number and the clip's name, made file-safe."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", grade.clip_name).strip("._") or "clip"
    return f"{grade.shot_index + 1:03d}-{safe[:60]}.cube"


def grade_comments(grade: Grade) -> tuple[str, ...]:
    """The lines a grade's .cube carries as comments: what it is made of."""
    lines = ["Display-referred Rec.709 in and out (cinegrade grade)."]
    if grade.match is not None and grade.match.evidence not in ("reference", "none"):
        m = grade.match
        lines.append(f"Match to {m.reference_name!r}: method {m.method}, {m.evidence}, "
                     f"confidence {m.confidence:.2f}, strength {m.strength:g}")
    if grade.look is not None:
        lines.append(f"Look {Path(grade.look).name if '/' in grade.look else grade.look} "
                     f"at {grade.look_strength:g}")
    return tuple(lines)


def write_grade_cubes(grades: Sequence[Grade], output: str | Path, size: int = 33
                      ) -> dict[int, Path]:
    """Bake and write each non-identity grade to ``<OUT stem>.grades/<nnn>-<clip>.cube``
    (atomically); returns the paths by shot index. Cubes of earlier runs for clips that are no
    longer graded are left alone (the user may still reference them)."""
    folder = grades_folder(output)
    written: dict[int, Path] = {}
    todo = [g for g in grades if not g.is_identity]
    if todo:
        folder.mkdir(parents=True, exist_ok=True)
    for grade in todo:
        written[grade.shot_index] = write_cube(bake_grade(grade, size), folder / cube_name(grade),
                                               grade_comments(grade))
    return written
