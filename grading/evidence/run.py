"""Shots of a timeline's scenes → pairwise evidence from every source → each scene solved
(:func:`cinegrade.evidence.scene.solve_scene`). Descriptions are made once per shot and
comparisons once per pair, each a pure task for any ``concurrent.futures.Executor``.

Which pairs are compared: in a scene of at most :data:`ALL_PAIRS` shots every pair; in a longer
one every shot with the scene's reference and with the :data:`WINDOW` shots after it (neighbours
in the cut share most: continuations, shot/reverse-shot patterns), so the work grows with the
number of shots, not its square.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Mapping, Sequence

from cinegrade.evidence import faces, features, light, materials, pixels  # noqa: F401  (they register)
from cinegrade.evidence.base import EVIDENCE_SOURCES, PairEvidence, ShotEvidenceInput, evidence_source
from cinegrade.evidence.scene import PRIOR_ERROR, SceneSolution, solve_scene

#: Shots after each shot it is compared with.
WINDOW = 3
#: Scenes of at most this many shots compare every pair: a character's close-up and the medium
#: shot that also shows them are often further apart in the cut than WINDOW (wide, medium,
#: close-up A, over-the-shoulder, reverse, close-up B).
ALL_PAIRS = 8


#: Registered sources left out unless named: whole-frame tone says next to nothing of a drift
#: across content (its exposure error is ~1.4 stops, near the prior's).
OPT_IN = ("tone",)


def default_sources() -> tuple[str, ...]:
    """Every registered source but :data:`OPT_IN`, in registry order."""
    return tuple(name for name in EVIDENCE_SOURCES if name not in OPT_IN)


def describe_shot(shot: ShotEvidenceInput, sources: Sequence[str]) -> dict[str, object]:
    """Each source's description of one shot, by source name (None where it has nothing)."""
    return {name: evidence_source(name).describe(shot) for name in sources}


def compare_shots(a: Mapping[str, object], b: Mapping[str, object], sources: Sequence[str]
                  ) -> list[PairEvidence]:
    """Evidence of how shot B differs from shot A from every source; of sources of one family
    only the strongest (most total weight) is kept."""
    best: dict[str, PairEvidence] = {}
    for name in sources:
        source = evidence_source(name)
        found = source.compare(a.get(name), b.get(name))
        if found is None:
            continue
        family = source.family or name
        if family not in best or found.weight.sum() > best[family].weight.sum():
            best[family] = found
    return list(best.values())


def shot_inputs(shots: Sequence, views: Mapping, stats: Mapping) -> dict[int, ShotEvidenceInput]:
    """What the sources describe each shot from: its view's detail frames (its frames where it
    has none), its frames and ORB features (:class:`~cinegrade.correspondence.views.ShotView`;
    ``extra`` "view8" and "features") and its statistics, by shot index (shots without a view
    are left out)."""
    return {shot.index: ShotEvidenceInput(views[shot.index].detail8 or views[shot.index].frames8,
                                          stats.get(shot.index),
                                          extra={"features": views[shot.index].features,
                                                 "view8": views[shot.index].frames8})
            for shot in shots if shot.index in views}


def scene_pairs(members: Sequence[int], reference: int | None, window: int = WINDOW
                ) -> list[tuple[int, int]]:
    """The (a, b) pairs of a scene's shots (in timeline order) compared: every pair in a scene
    of at most :data:`ALL_PAIRS` shots, else each with the next ``window`` and each with the
    reference.

    >>> scene_pairs([3, 4, 5], 3, window=1)
    [(3, 4), (3, 5), (4, 5)]
    >>> scene_pairs(list(range(10)), 0, window=1)[-3:]
    [(0, 7), (0, 8), (0, 9)]
    """
    if len(members) <= ALL_PAIRS:
        window = len(members)
    pairs = [(members[i], members[j]) for i in range(len(members))
             for j in range(i + 1, min(len(members), i + 1 + window))]
    if reference is not None:
        pairs += [(reference, m) for m in members if m != reference
                  and (reference, m) not in pairs and (m, reference) not in pairs]
    return pairs


def scene_evidence(inputs: Mapping[int, ShotEvidenceInput], scenes: Mapping[int, str],
                   references: Mapping[str, int | None], sources: Sequence[str] | None = None,
                   executor: concurrent.futures.Executor | None = None, prior=PRIOR_ERROR
                   ) -> tuple[dict[tuple[int, int], list[PairEvidence]], dict[str, SceneSolution]]:
    """Evidence between the shots of each scene and each scene's solution. ``inputs``: shots by
    index (in timeline order); ``scenes``: scene label by index; ``references``: each scene's
    reference (None: its first shot with input). Returns the evidence by (a, b) pair and the
    solutions by scene label (scenes with one shot are left out).
    :class:`~cinegrade.errors.ChoiceError` (field ``evidence``) for an unknown source."""
    sources = tuple(default_sources() if sources is None else sources)
    for name in sources:
        evidence_source(name)
    by_scene: dict[str, list[int]] = {}
    for index in inputs:
        by_scene.setdefault(scenes[index], []).append(index)
    anchors = {scene: references.get(scene) if references.get(scene) in members else members[0]
               for scene, members in by_scene.items()}
    evidence: dict[tuple[int, int], list[PairEvidence]] = {}
    solutions: dict[str, SceneSolution] = {}
    for scene, members in by_scene.items():  # one scene's descriptions in memory at a time
        if len(members) < 2:
            continue
        pairs = scene_pairs(members, anchors[scene])
        needed = sorted({i for pair in pairs for i in pair})
        shots = [inputs[i] for i in needed]
        if executor is None:
            described = [describe_shot(shot, sources) for shot in shots]
        else:
            described = list(executor.map(describe_shot, shots, [sources] * len(shots)))
        descriptions = dict(zip(needed, described))
        arguments = ([descriptions[a] for a, _ in pairs], [descriptions[b] for _, b in pairs],
                     [sources] * len(pairs))
        if executor is None:
            compared = list(map(compare_shots, *arguments))
        else:
            compared = list(executor.map(compare_shots, *arguments))
        del descriptions, described, arguments
        evidence.update({pair: found for pair, found in zip(pairs, compared) if found})
        solutions[scene] = solve_scene(members, anchors[scene], evidence, prior=prior)
    return evidence, solutions
