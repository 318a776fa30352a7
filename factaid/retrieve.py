"""Evidence retrieval: for each claim, the top-k sentences of every source.

Ranks by a mix of embedding cosine (meaning) and BM25 (exact words, names, numbers), so a claim about
"a quarter of a million" finds the sentence that says it even when another sentence is closer in topic.
Each source's sentences are embedded once, when the index is built.
"""

from __future__ import annotations

import re

import numpy as np

from .models import Embedder
from .types import Evidence, Source

SEMANTIC_WEIGHT = 0.7  # share of the embedding cosine in the hybrid score; the rest is BM25
_TOKEN = re.compile(r"\w+")
_STOP = frozenset(
    "a an the of to in on at for and or but is are was were be been has have had it its this that with as by "
    "from he she they we you i his her their our not no".split()
)


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens without stop words, for BM25."""
    return [t for t in _TOKEN.findall(text.lower()) if t not in _STOP]


def _bm25_normalised(bm25, query: list[str]) -> np.ndarray:
    scores = np.asarray(bm25.get_scores(query), dtype=np.float32) if query else np.zeros(bm25.corpus_size)
    top = float(scores.max()) if scores.size else 0.0
    return scores / top if top > 0 else np.zeros_like(scores)


class EvidenceIndex:
    """Sentence embeddings and a BM25 index per source, built once per check."""

    def __init__(self, sources: list[Source], embedder: Embedder) -> None:
        from rank_bm25 import BM25Okapi

        self.sources = sources
        self.embedder = embedder
        self.embeddings: dict[str, np.ndarray] = {}
        self._bm25 = {}
        all_texts = [s.text for source in sources for s in source.sentences]
        vectors = embedder.encode(all_texts)  # one batched call for every source
        offset = 0
        for source in sources:
            count = len(source.sentences)
            self.embeddings[source.id] = vectors[offset : offset + count]
            offset += count
            # BM25Okapi divides by the corpus size; a source always has at least one sentence here.
            self._bm25[source.id] = BM25Okapi([tokenize(s.text) or ["_"] for s in source.sentences])

    def scores(self, claim_vectors: np.ndarray, claim_texts: list[str], source: Source) -> np.ndarray:
        """Hybrid relevance in [0, 1] of every sentence of ``source`` for every claim: (claims, sentences)."""
        cosine = np.clip(claim_vectors @ self.embeddings[source.id].T, 0.0, 1.0)
        lexical = np.stack([_bm25_normalised(self._bm25[source.id], tokenize(t)) for t in claim_texts])
        return SEMANTIC_WEIGHT * cosine + (1 - SEMANTIC_WEIGHT) * lexical

    def search(self, claim_texts: list[str], top_k: int = 3) -> list[dict[str, list[Evidence]]]:
        """For each claim, a ranked list of evidence per source id."""
        if not claim_texts:
            return []
        claim_vectors = self.embedder.encode(claim_texts)
        results: list[dict[str, list[Evidence]]] = [{} for _ in claim_texts]
        for source in self.sources:
            relevance = self.scores(claim_vectors, claim_texts, source)
            k = min(top_k, relevance.shape[1])
            for claim_number, row in enumerate(relevance):
                best = np.argsort(-row, kind="stable")[:k]
                results[claim_number][source.id] = [evidence(source, int(i), float(row[i])) for i in best]
        return results


def evidence(source: Source, sentence_index: int, score: float) -> Evidence:
    sentence = source.sentences[sentence_index]
    return Evidence(source.id, sentence_index, sentence.span, sentence.text, round(score, 4))
