"""Matches and looks → one grade per shot, baked into one .cube per graded clip.

A :class:`Grade` is what one clip gets: its match toward the scene's reference
(:class:`cinegrade.matching.match.Match`, may be absent) followed by a look (a shipped look's
name or the user's .cube, blended at ``look_strength``). :func:`bake_grade` composes both into
one 3D LUT on display-referred Rec.709 [0, 1] — what Kdenlive's Apply LUT and every NLE expect —
and :func:`write_grade_cubes` writes them into ``<OUT stem>.grades/`` beside the output timeline.

Part of a grade can be *live*: an ASC CDL the NLE applies as an effect the editor can tweak
(Kdenlive's SOP/Sat) — the match of method ``cdl``, or CDL keyframes that change along the clip
(:class:`CDLKeyframe`, linear in between, as MLT animates them). What follows the live CDL (the
look; with method ``lut`` also the match) is :attr:`Grade.after_cdl`, baked by
:func:`write_after_cdl_cubes` into ``<nnn>-<clip>-after-cdl.cube``.

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

from cinegrade.colour.cdl import CDL, apply_cdl
from cinegrade.colour.lut import AnyLUT, apply_lut, bake_lut3d
from cinegrade.errors import InputError, RangeError
from cinegrade.matching.match import Match
from cinegrade.media.cube import write_cube

LUT_SIZES = (33, 65)


@dataclass(frozen=True)
class CDLKeyframe:
    """The live CDL ``cdl`` at ``frame``: frames from the clip's in-point (its first frame on
    the timeline is 0; before it, negative, e.g. in a dissolve's overlap), at the timeline's rate."""

    frame: int
    cdl: CDL


def check_keyframes(keyframes: Sequence[CDLKeyframe]) -> tuple[CDLKeyframe, ...]:
    """``keyframes`` as a tuple, checked: frames whole numbers in increasing order, each a
    :class:`~cinegrade.colour.cdl.CDL`; :class:`InputError` otherwise.

    >>> check_keyframes([CDLKeyframe(5, CDL()), CDLKeyframe(2, CDL())])
    Traceback (most recent call last):
    ...
    cinegrade.errors.InputError: CDL keyframes must have whole frames in increasing order, got 5, 2
    """
    keyframes = tuple(keyframes)
    frames = [k.frame for k in keyframes]
    if any(not isinstance(k.cdl, CDL) for k in keyframes):
        raise InputError("each CDL keyframe needs a CDL")
    if any(isinstance(f, bool) or int(f) != f for f in frames) or \
            any(b <= a for a, b in zip(frames, frames[1:])):
        raise InputError("CDL keyframes must have whole frames in increasing order, got "
                         + ", ".join(f"{f:g}" for f in frames))
    return keyframes


def cdl_at(keyframes: Sequence[CDLKeyframe], frame: float) -> CDL:
    """The CDL at ``frame`` along ``keyframes`` (checked, at least one): every value linear
    between the keyframes around ``frame`` — as MLT animates Kdenlive's SOP/Sat between
    keyframes of type ``=`` (its 0..1 parameters are affine in the CDL's values) — and held
    before the first and after the last. ``ValueError`` for no keyframes.

    >>> ks = (CDLKeyframe(0, CDL()), CDLKeyframe(10, CDL(slope=(1.2, 1.0, 0.8), saturation=0.8)))
    >>> cdl = cdl_at(ks, 5)
    >>> cdl.slope, cdl.saturation, cdl_at(ks, 40) == ks[-1].cdl
    ((1.1, 1.0, 0.9), 0.9, True)
    """
    if not keyframes:
        raise ValueError("cdl_at needs at least one keyframe")
    frames = [k.frame for k in keyframes]
    after = int(np.searchsorted(frames, frame, side="right"))
    if after == 0:
        return keyframes[0].cdl
    if after == len(keyframes):
        return keyframes[-1].cdl
    a, b = keyframes[after - 1], keyframes[after]
    t = (frame - a.frame) / (b.frame - a.frame)

    def mix(x, y):
        return tuple((1.0 - t) * u + t * v for u, v in zip(x, y))

    return CDL(mix(a.cdl.slope, b.cdl.slope), mix(a.cdl.offset, b.cdl.offset),
               mix(a.cdl.power, b.cdl.power), (1.0 - t) * a.cdl.saturation + t * b.cdl.saturation)


@dataclass(frozen=True)
class Grade:
    """One clip's grade: ``match`` (None: no correction) then ``look`` (None: no look) at
    ``look_strength``. ``look_lut`` is the look's LUT as read (a shipped look or the user's),
    resolved from ``look`` when not given. ``keyframes`` (:class:`CDLKeyframe`, frames from the
    clip's in-point): a CDL that changes along the clip, applied first; with a match of method
    ``cdl`` they carry it (each keyframe is the whole live CDL at its frame), with method ``lut``
    the match follows them. :class:`~cinegrade.errors.RangeError` (field ``look_strength``)
    outside 0..1; :class:`InputError` for an unknown look, a missing .cube or bad keyframes."""

    shot_index: int
    clip_name: str
    match: Match | None = None
    look: str | None = None
    look_strength: float = 1.0
    look_lut: AnyLUT | None = field(default=None, compare=False, repr=False)
    keyframes: tuple[CDLKeyframe, ...] = ()

    def __post_init__(self) -> None:
        if not 0.0 <= self.look_strength <= 1.0:
            raise RangeError("look_strength", self.look_strength, 0, 1)
        object.__setattr__(self, "keyframes", check_keyframes(self.keyframes))
        if self.look is not None and self.look_lut is None:
            from cinegrade.luts.looks import resolve_look

            object.__setattr__(self, "look_lut", resolve_look(self.look))

    @property
    def live_cdl(self) -> bool:
        """Whether part of the grade is a live CDL (an effect the editor can tweak, Kdenlive's
        SOP/Sat): CDL keyframes, or a match of method ``cdl`` that changes something."""
        return bool(self.keyframes) or (self.match is not None and self.match.method == "cdl"
                                        and not self.match.is_identity)

    def cdl_at(self, frame: float = 0) -> CDL | None:
        """The live CDL at ``frame`` (frames from the clip's in-point; :func:`cdl_at` between
        keyframes), or None when no part of the grade is live."""
        if self.keyframes:
            return cdl_at(self.keyframes, frame)
        if not self.live_cdl:
            return None
        return self.match.cdl if self.match.cdl is not None else CDL()

    @property
    def after_cdl(self) -> Grade:
        """What follows the live CDL (the grade itself when nothing is live): the look, and a
        match of method ``lut``; a match of method ``cdl`` is the live CDL, so not here."""
        if not self.live_cdl:
            return self
        match = self.match if self.match is not None and self.match.method != "cdl" else None
        return Grade(self.shot_index, self.clip_name, match, self.look, self.look_strength,
                     self.look_lut)

    @property
    def is_identity(self) -> bool:
        """Whether the grade changes nothing: no or an identity match, no look (or at 0), and
        only identity keyframes."""
        if self.keyframes:
            return all(k.cdl.is_identity for k in self.keyframes) and self.after_cdl.is_identity
        return (self.match is None or self.match.is_identity) and \
            (self.look is None or self.look_strength == 0.0)

    def apply(self, rgb: np.ndarray, frame: float = 0) -> np.ndarray:
        """Display-referred Rec.709 RGB (..., 3) through the match, then the look (blended),
        exactly (no LUT lattice in between); the same shape, float64, clipped to [0, 1]. The look
        is mixed in display-encoded values: (1 − s)·x + s·look(x), x the matched pixels. With
        keyframes the live CDL is the one at ``frame`` (frames from the clip's in-point)."""
        out = np.asarray(rgb, dtype=np.float64)
        if self.keyframes:
            return self.after_cdl.apply(apply_cdl(out, self.cdl_at(frame)))
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


def after_cdl_cube_name(grade: Grade) -> str:
    """File name of the .cube of what follows a grade's live CDL: ``<nnn>-<clip>-after-cdl.cube``."""
    return cube_name(grade).removesuffix(".cube") + "-after-cdl.cube"


def grade_comments(grade: Grade) -> tuple[str, ...]:
    """The lines a grade's .cube carries as comments: what it is made of."""
    lines = ["Display-referred Rec.709 in and out (cinegrade grade)."]
    if grade.match is not None and grade.match.evidence not in ("reference", "none"):
        m = grade.match
        to = f"Match to {m.reference_name!r}" if m.reference_name is not None else "Grade"
        lines.append(f"{to}: method {m.method}, {m.evidence}, "
                     f"confidence {m.confidence:.2f}, strength {m.strength:g}")
    if grade.look is not None:
        lines.append(f"Look {Path(grade.look).name if '/' in grade.look else grade.look} "
                     f"at {grade.look_strength:g}")
    if grade.keyframes:
        lines.append(f"CDL keyframes at frames {', '.join(str(k.frame) for k in grade.keyframes)}"
                     " of the clip: this .cube holds the grade at its first frame")
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


def write_after_cdl_cubes(grades: Sequence[Grade], output: str | Path, size: int = 33
                          ) -> dict[int, Path]:
    """For each grade with a live CDL, bake what follows the CDL (:attr:`Grade.after_cdl`: the
    look, or a match of method ``lut`` and the look) to ``<OUT stem>.grades/<nnn>-<clip>-after-cdl.cube``
    (atomically), unless that changes nothing; returns the paths by shot index. With the live CDL
    first, it renders the grade (:meth:`Grade.apply`)."""
    folder = grades_folder(output)
    written: dict[int, Path] = {}
    todo = [g for g in grades if g.live_cdl and not g.after_cdl.is_identity]
    if todo:
        folder.mkdir(parents=True, exist_ok=True)
    for grade in todo:
        after = grade.after_cdl
        comments = (grade_comments(after)[0].replace(
            "(cinegrade grade)", "(cinegrade grade, after its live ASC CDL)"), *grade_comments(after)[1:])
        written[grade.shot_index] = write_cube(bake_grade(after, size),
                                               folder / after_cdl_cube_name(grade), comments)
    return written
