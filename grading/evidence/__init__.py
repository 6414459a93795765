"""Evidence of how two shots of one scene differ in colour, from whatever they share — pixels,
surfaces seen from another angle or scale, the same character, the same light — and the whole
scene solved from it jointly (:mod:`cinegrade.evidence.scene`).

Every source (:data:`cinegrade.evidence.base.EVIDENCE_SOURCES`) gives a
:class:`~cinegrade.evidence.base.PairEvidence`: the drift parameters A → B
(:data:`cinegrade.colour.drift.PARAMETERS`) with a standard error per parameter.
"""
