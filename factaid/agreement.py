"""Several reports of one event: which facts of an extractive summary the sources agree on.

Two outlets' sentences are taken as two versions of one fact when the mean of their MiniLM cosine and
the share of the shorter one's content words that the other holds passes ``SAME_FACT``.
The summary keeps one version of each fact, states first the facts that some other source also gives,
then those that only one source gives, each marked with that source's id ("Only S2 reports: ..."), so a
reader sees at once which parts rest on one outlet's word.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from .facts import STOP_WORDS, WORD
from .types import Source

if TYPE_CHECKING:
    from .summarize import Candidate

# Above this, two news sentences of different outlets say the same thing: the best balanced accuracy
# between paraphrases and non-paraphrases of MRPC's sentence pairs, which come from different outlets'
# reports of the same stories (0.695; the cosine alone 0.678, the word share alone 0.668: `python -m eval
# same-fact`, eval/RESULTS.md).
SAME_FACT = 0.74
ONLY_ONE_MARK = "Only {source} reports: "


@lru_cache(maxsize=8192)
def content_words(text: str) -> frozenset[str]:
    return frozenset(w for w in WORD.findall(text.lower()) if w not in STOP_WORDS)


def word_share(one: str, other: str) -> float:
    """The share of the shorter text's distinct content words that the other text holds."""
    a, b = content_words(one), content_words(other)
    return len(a & b) / max(min(len(a), len(b)), 1)


def same_fact_score(cosine: float, one: str, other: str) -> float:
    """How surely two sentences of different sources say the same thing (compared with ``SAME_FACT``)."""
    return (cosine + word_share(one, other)) / 2


def select_facts(
    candidates: list[Candidate],
    vectors: np.ndarray,
    owners: np.ndarray,
    word_budget: float,
    redundant: float,
    same_fact: float = SAME_FACT,
) -> list[int]:
    """The best-scored sentences within ``word_budget`` words, as ``summarize.select`` takes them, where a
    sentence of another source that says a chosen one's fact (``same_fact_score``) is skipped too."""
    chosen: list[int] = []
    words = 0
    for i in sorted(range(len(candidates)), key=lambda i: -candidates[i].score):
        if words >= word_budget:
            break
        if any(
            _same(
                candidates[i],
                candidates[j],
                float(vectors[i] @ vectors[j]),
                owners[i] != owners[j],
                redundant,
                same_fact,
            )
            for j in chosen
        ):
            continue
        chosen.append(i)
        words += candidates[i].words
    return chosen


def _same(
    one: Candidate, other: Candidate, cosine: float, across: bool, redundant: float, same_fact: float
) -> bool:
    if cosine > redundant:
        return True
    return bool(across) and same_fact_score(cosine, one.text, other.text) > same_fact


def other_sources(
    candidate: Candidate, sources: list[Source], embeddings: dict[str, np.ndarray], same_fact: float
) -> list[str]:
    """Ids of the other sources that have a sentence saying the fact of ``candidate``."""
    own = sources[candidate.source_number]
    vector = embeddings[own.id][candidate.sentence_index]
    found = []
    for source in sources:
        if source.id == own.id or not source.sentences:
            continue
        cosines = embeddings[source.id] @ vector
        if any(
            same_fact_score(float(cosine), candidate.text, sentence.text) > same_fact
            for cosine, sentence in zip(cosines, source.sentences, strict=True)
        ):
            found.append(source.id)
    return found


def arrange(
    sources: list[Source],
    candidates: list[Candidate],
    chosen: list[int],
    embeddings: dict[str, np.ndarray],
    same_fact: float = SAME_FACT,
) -> str:
    """The chosen sentences, those another source also gives first, then each one-source sentence marked
    with its source; reading order within each part."""
    ordered = sorted((candidates[i] for i in chosen), key=lambda c: (c.source_number, c.sentence_index))
    agreed = [c for c in ordered if other_sources(c, sources, embeddings, same_fact)]
    alone = [c for c in ordered if c not in agreed]
    marked = [ONLY_ONE_MARK.format(source=sources[c.source_number].id) + c.text for c in alone]
    return " ".join([c.text for c in agreed] + marked)
