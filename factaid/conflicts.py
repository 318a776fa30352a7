"""Cross-source view: where the sources themselves give different numbers, dates or names for one fact,
or say it with opposite words ("approved" / "rejected").

Retrieval first: each sentence is compared only with its nearest sentence in every other source (by the
embeddings the index already holds); facts are compared only between such aligned pairs.
"""

from __future__ import annotations

from itertools import combinations

from . import facts as F
from .retrieve import EvidenceIndex, evidence
from .types import Conflict, ConflictValue, Source

SAME_FACT = 0.6  # cosine above which two sentences from different sources report the same fact


def _aligned_pairs(index: EvidenceIndex, a: Source, b: Source) -> list[tuple[int, int, float]]:
    """(sentence in a, nearest sentence in b, cosine) for pairs close enough to be the same fact."""
    similarity = index.embeddings[a.id] @ index.embeddings[b.id].T
    nearest = similarity.argmax(axis=1)
    return [
        (i, int(j), float(similarity[i, j])) for i, j in enumerate(nearest) if similarity[i, j] >= SAME_FACT
    ]


def _number_conflicts(fa: F.Facts, fb: F.Facts) -> list[tuple[str, str, str]]:
    found = []
    for qa in fa.quantities:
        rivals = [qb for qb in fb.quantities if qa.unit and qb.unit == qa.unit]
        if rivals and not any(F.same_value(qa.value, qb.value) for qb in rivals):
            found.append((qa.unit, qa.text, rivals[0].text))
    return found


def _date_conflicts(fa: F.Facts, fb: F.Facts) -> list[tuple[str, str, str]]:
    found = []
    for kind in ("year", "month", "weekday"):
        da = sorted(F.date_text(d) for d in fa.dates if d.startswith(kind + ":"))
        db = sorted(F.date_text(d) for d in fb.dates if d.startswith(kind + ":"))
        if da and db and not set(da) & set(db):
            found.append((kind, ", ".join(da), ", ".join(db)))
    return found


def _name_conflicts(fa: F.Facts, fb: F.Facts) -> list[tuple[str, str, str]]:
    found = []
    for verb in sorted(fa.roles.keys() & fb.roles.keys()):
        sa, sb = fa.roles[verb], fb.roles[verb]
        named_a = [n for n in fa.names if F.name_in(n, sa)]
        named_b = [n for n in fb.names if F.name_in(n, sb)]
        if named_a and named_b and not any(F.same_word(x, y) for x in sa for y in sb):
            found.append((f"who did '{verb}'", named_a[0], named_b[0]))
    return found


def _opposite_conflicts(fa: F.Facts, fb: F.Facts) -> list[tuple[str, str, str]]:
    return [(" ".join(sorted(a.arguments & b.arguments)), a.lemma, b.lemma) for a, b in F.opposed(fa, [fb])]


def find_conflicts(sources: list[Source], index: EvidenceIndex) -> list[Conflict]:
    """Numbers, dates, names and opposite words that differ between aligned sentences of different sources."""
    facts = {s.id: F.facts_for([x.text for x in s.sentences]) for s in sources}
    conflicts: dict[tuple, Conflict] = {}
    for a, b in combinations(sources, 2):
        for i, j, cosine in _aligned_pairs(index, a, b):
            fa, fb = facts[a.id][i], facts[b.id][j]
            for kind, finder in (
                ("number", _number_conflicts),
                ("date", _date_conflicts),
                ("name", _name_conflicts),
                ("opposite", _opposite_conflicts),
            ):
                for topic, value_a, value_b in finder(fa, fb):
                    key = (kind, topic, a.id, value_a.lower(), b.id, value_b.lower())
                    conflicts.setdefault(
                        key,
                        Conflict(
                            kind,
                            topic,
                            [
                                ConflictValue(a.id, value_a, evidence(a, i, cosine)),
                                ConflictValue(b.id, value_b, evidence(b, j, cosine)),
                            ],
                        ),
                    )
    return list(conflicts.values())
