"""Shots of a timeline's scenes → pairwise evidence from every source → each scene solved
(:func:`cinegrade.evidence.scene.solve_scene`). Descriptions are made once per shot and
comparisons once per pair, each a pure task for any ``concurrent.futures.Executor``.

Which pairs are compared: in a scene of at most :data:`ALL_PAIRS` shots every pair; in a longer
one every shot with the scene's reference and with the :data:`WINDOW` shots after it (neighbours
in the cut share most: continuations, shot/reverse-shot patterns), so the work grows with the
number of shots, not its square.

With a cache (:class:`~cinegrade.analysis.cache.StatsCache`) each pair's evidence is kept under
a digest of what the two shots were described from (:func:`input_digest`) and the sources: a
second run with the same frames describes and compares nothing.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
from collections.abc import Mapping, Sequence

import numpy as np

from cinegrade.analysis.cache import cache_key
from cinegrade.evidence import faces, features, light, materials, palette, pixels  # noqa: F401  (they register)
from cinegrade.evidence.base import EVIDENCE_SOURCES, PairEvidence, ShotEvidenceInput, evidence_source
from cinegrade.evidence.scene import PRIOR_ERROR, SceneSolution, solve_scene
from cinegrade.media.spill import SpilledFrames

#: Shots after each shot it is compared with.
WINDOW = 3
#: Scenes of at most this many shots compare every pair: a character's close-up and the medium
#: shot that also shows them are often further apart in the cut than WINDOW (wide, medium,
#: close-up A, over-the-shoulder, reverse, close-up B).
ALL_PAIRS = 8


#: Registered sources left out unless named: whole-frame tone says next to nothing of a drift
#: across content (its exposure error is ~1.4 stops, near the prior's); the palette's chance
#: agreements are systematic — two photographs alternating in one scene (benchmarks/grade.py's
#: "two takes") matched under one false ×0.58 saturation on every pair, and the solve, which
#: outvotes one bad pair, took the eight cuts for errors — and its gain was small (multi-angle
#: match median unchanged, mean 5.18 → 5.14).
OPT_IN = ("tone", "palette")


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


#: Bump when a source describes or compares shots otherwise: cached evidence of other versions
#: is not found.
EVIDENCE_VERSION = 1


def input_digest(shot: ShotEvidenceInput) -> str:
    """Hex SHA-256 of everything a source may describe ``shot`` from — its frames, first and
    last frames, statistics and extras (arrays by dtype, shape and bytes; dataclasses field by
    field; numbers by their exact repr): equal digests, equal descriptions."""
    digest = hashlib.sha256()

    def add(value) -> None:
        if isinstance(value, np.ndarray):
            digest.update(f"array {value.dtype} {value.shape}".encode())
            digest.update(np.ascontiguousarray(value).tobytes())
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            digest.update(type(value).__name__.encode())
            for item in dataclasses.fields(value):
                add(item.name)
                add(getattr(value, item.name))
        elif isinstance(value, (tuple, list, SpilledFrames)):
            digest.update(f"[{len(value)}".encode())
            for item in value:
                add(item)
        elif isinstance(value, dict):
            digest.update(f"{{{len(value)}".encode())
            for key in sorted(value, key=repr):
                add(key)
                add(value[key])
        else:
            digest.update(f"{type(value).__name__} {value!r};".encode())

    add((shot.frames8, shot.first8, shot.last8, shot.stats, shot.extra))
    return digest.hexdigest()


def _evidence_key(a: str, b: str, sources: Sequence[str]) -> str:
    versions = [[name, EVIDENCE_SOURCES[name].version] for name in sources]
    return cache_key(("evidence", EVIDENCE_VERSION, a, b, versions), None, None)


def _evidence_json(found: Sequence[PairEvidence]) -> list[dict]:
    return [dataclasses.asdict(e) for e in found]


def _evidence_of(value: list[dict]) -> list[PairEvidence]:
    return [PairEvidence(e["source"], tuple(e["drift"]), tuple(e["error"]), e["support"], e["unit"],
                         e["note"], None if e["correlation"] is None else tuple(e["correlation"]))
            for e in value]


@dataclasses.dataclass(frozen=True)
class _ScenePlan:
    """One scene's work: its pairs, their cache keys, the evidence the cache holds, the pairs
    to compare and the shots to describe for them."""

    scene: str
    members: tuple[int, ...]
    anchor: int
    pairs: tuple[tuple[int, int], ...]
    keys: Mapping[tuple[int, int], str]
    known: Mapping[tuple[int, int], list[PairEvidence]]
    todo: tuple[tuple[int, int], ...]
    needed: tuple[int, ...]


def _plan(scene: str, members: Sequence[int], anchor: int, inputs: Mapping[int, ShotEvidenceInput],
          sources: Sequence[str], cache) -> _ScenePlan:
    pairs = scene_pairs(members, anchor)
    keys: dict[tuple[int, int], str] = {}
    known: dict[tuple[int, int], list[PairEvidence]] = {}
    if cache is not None:
        digests = {i: input_digest(inputs[i]) for i in sorted({i for pair in pairs for i in pair})}
        for a, b in pairs:
            keys[(a, b)] = _evidence_key(digests[a], digests[b], sources)
            value = cache.get_json(keys[(a, b)])
            if value is not None:
                known[(a, b)] = _evidence_of(value)
    todo = tuple(pair for pair in pairs if pair not in known)
    return _ScenePlan(scene, tuple(members), anchor, tuple(pairs), keys, known, todo,
                      tuple(sorted({i for pair in todo for i in pair})))


def _run(executor: concurrent.futures.Executor | None, function, *arguments) -> list:
    """``function`` over ``arguments`` (as ``map``): results at once without an executor, else
    futures."""
    if executor is None:
        return list(map(function, *arguments))
    return [executor.submit(function, *call) for call in zip(*arguments)]


def _results(values: list, executor: concurrent.futures.Executor | None) -> list:
    """What :func:`_run` gave, as results."""
    return values if executor is None else [future.result() for future in values]


def _describe(plan: _ScenePlan, inputs, sources, executor) -> list:
    return _run(executor, describe_shot, [inputs[i] for i in plan.needed], [sources] * len(plan.needed))


def scene_evidence(inputs: Mapping[int, ShotEvidenceInput], scenes: Mapping[int, str],
                   references: Mapping[str, int | None], sources: Sequence[str] | None = None,
                   executor: concurrent.futures.Executor | None = None, prior=PRIOR_ERROR,
                   cache=None
                   ) -> tuple[dict[tuple[int, int], list[PairEvidence]], dict[str, SceneSolution]]:
    """Evidence between the shots of each scene and each scene's solution. ``inputs``: shots by
    index (in timeline order); ``scenes``: scene label by index; ``references``: each scene's
    reference (None: its first shot with input); ``cache``: a
    :class:`~cinegrade.analysis.cache.StatsCache` keeping each pair's evidence (see the module
    docstring), or None. Returns the evidence by (a, b) pair and the solutions by scene label
    (scenes with one shot are left out). :class:`~cinegrade.errors.ChoiceError` (field
    ``evidence``) for an unknown source."""
    sources = tuple(default_sources() if sources is None else sources)
    per_shot = {name for name in sources if evidence_source(name).per_shot}
    by_scene: dict[str, list[int]] = {}
    for index in inputs:
        by_scene.setdefault(scenes[index], []).append(index)
    anchors = {scene: references.get(scene) if references.get(scene) in members else members[0]
               for scene, members in by_scene.items()}
    plans = [_plan(scene, members, anchors[scene], inputs, sources, cache)
             for scene, members in by_scene.items() if len(members) >= 2]
    evidence: dict[tuple[int, int], list[PairEvidence]] = {}
    solutions: dict[str, SceneSolution] = {}
    # two scenes' descriptions in memory at most: the next scene's shots are described while
    # this scene's pairs are compared and it is solved (no pool idle between scenes)
    described = _describe(plans[0], inputs, sources, executor) if plans else []
    for number, plan in enumerate(plans):
        descriptions = dict(zip(plan.needed, _results(described, executor)))
        compared = _run(executor, compare_shots, [descriptions[a] for a, _ in plan.todo],
                        [descriptions[b] for _, b in plan.todo], [sources] * len(plan.todo))
        del descriptions
        described = _describe(plans[number + 1], inputs, sources, executor) \
            if number + 1 < len(plans) else []
        known = dict(plan.known)
        for pair, found in zip(plan.todo, _results(compared, executor)):
            known[pair] = found
            if pair in plan.keys:
                cache.put_json(plan.keys[pair], _evidence_json(found))
        evidence.update({pair: known[pair] for pair in plan.pairs if known[pair]})
        solutions[plan.scene] = solve_scene(plan.members, plan.anchor, evidence, prior=prior,
                                            per_shot=per_shot)
    return evidence, solutions
