"""Evidence retrieval: for each claim, the top-k sentences of every source.

A claim often states several facts ("X, born in 1950, won the Y award for Z"), and no one sentence says
them all. Sorting sentences by similarity to the whole claim fills ranks 2-5 with near-copies of the best
sentence; the ranking here is a greedy cover instead:

1. relevance(s) = the share of the claim's content words that sentence s contains, each word weighted by
   its BM25 idf within the source (a rare name or number counts more than a word every sentence has),
   plus COSINE_WEIGHT x the embedding cosine (paraphrase, and a tie-break between equal shares).
   The first pick is the most relevant sentence.
2. Every next pick maximises the share of the claim's words that no pick holds yet, plus
   RELEVANCE_WEIGHT x its relevance, plus a cosine to the claim's meaning that the picks do not explain
   yet (the claim vector minus its projection onto the picked sentences' vectors).

Words are compared as spaCy lemmas ("extended" finds "extend"). Each source's sentences are embedded
once, when the index is built, and lemmatized once, on its first search. The work per claim is linear in
the number of sentences: no model call per (claim, sentence) pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .facts import STOP_WORDS, WORD, facts_for
from .models import Embedder
from .types import Evidence, Source

COSINE_WEIGHT = 0.2  # cosine's weight beside the word-coverage share in a sentence's relevance
RELEVANCE_WEIGHT = 0.5  # after the first pick: relevance's weight beside the newly covered share
# Weight of the cosine to the not-yet-explained claim meaning: the same as the whole-claim cosine's
# weight in a later pick, so meaning counts as much for what is missing as for the claim as a whole.
RESIDUAL_WEIGHT = RELEVANCE_WEIGHT * COSINE_WEIGHT


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens without stop words (plain BM25's tokens; eval's BM25 baseline uses them)."""
    return [t for t in WORD.findall(text.lower()) if t not in STOP_WORDS]


def content_terms(texts: list[str]) -> list[tuple[str, ...]]:
    """Lower-case lemmas of each text without stop words, so inflections match ("votes" ~ "voted").
    They come from the verifier's spaCy parse (facts.facts_for), so each text is parsed once per process."""
    return [facts.terms for facts in facts_for(texts)]


@dataclass(frozen=True)
class SourceTerms:
    """A source's sentences as sets of content terms, with each term's BM25 idf in that source."""

    sentences: list[frozenset[str]]
    idf: dict[str, float]


def source_terms(sentence_terms: Sequence[Sequence[str]]) -> SourceTerms:
    from rank_bm25 import BM25Okapi

    if not sentence_terms:
        return SourceTerms([], {})
    # BM25Okapi divides by the corpus size and mean length: every sentence gets at least one token.
    bm25 = BM25Okapi([terms or ["_"] for terms in sentence_terms])
    return SourceTerms([frozenset(terms) for terms in sentence_terms], bm25.idf)


def term_weights(claim_terms: list[str], idf: dict[str, float]) -> np.ndarray:
    """idf weights of the claim's distinct terms, summing to 1 (all 0 if none is informative here).

    A term the source never uses gets 0: no sentence can cover it, so it should not dilute the shares.
    BM25Okapi floors the idf of words in over half the sentences to a small value; a negative one is 0.
    """
    weights = np.array([max(idf.get(term, 0.0), 0.0) for term in claim_terms])
    total = weights.sum()
    return weights / total if total > 0 else np.zeros(len(claim_terms))


def term_hits(sentences: list[frozenset[str]], claim_terms: list[str]) -> np.ndarray:
    """(sentences, claim terms) matrix: 1 where the sentence contains the term."""
    hits = np.zeros((len(sentences), len(claim_terms)))
    for row, sentence in enumerate(sentences):
        hits[row] = [term in sentence for term in claim_terms]
    return hits


def residual_cosine(sentence_vectors: np.ndarray, claim_vector: np.ndarray, picked: list[int]) -> np.ndarray:
    """Cosine (clipped at 0) of every sentence to what the picked sentences leave unexplained of the claim:
    the claim vector minus its least-squares projection onto the picked sentences' vectors."""
    basis = sentence_vectors[picked].T
    coefficients, *_ = np.linalg.lstsq(basis, claim_vector, rcond=None)
    residual = claim_vector - basis @ coefficients
    norm = float(np.linalg.norm(residual))
    if norm < 1e-6:  # the picks span the claim's vector: nothing left to explain
        return np.zeros(len(sentence_vectors))
    return np.clip(sentence_vectors @ (residual / norm), 0.0, 1.0)


def cover_rank(
    hits: np.ndarray, weights: np.ndarray, sentence_vectors: np.ndarray, claim_vector: np.ndarray, k: int
) -> list[tuple[int, float]]:
    """Greedy cover of the claim by k sentences: (sentence index, relevance in [0, 1]), best first.

    ``hits`` and ``weights`` come from term_hits and term_weights; the vectors are L2-normalised.
    """
    relevance = hits @ weights + COSINE_WEIGHT * np.clip(sentence_vectors @ claim_vector, 0.0, 1.0)
    picked = [int(np.argmax(relevance))]  # argmax keeps the first of equals: document order on ties
    uncovered = 1.0 - hits[picked[0]]
    while len(picked) < min(k, len(relevance)):
        newly_covered = hits @ (weights * uncovered)
        step = (
            newly_covered
            + RELEVANCE_WEIGHT * relevance
            + RESIDUAL_WEIGHT * residual_cosine(sentence_vectors, claim_vector, picked)
        )
        step[picked] = -np.inf
        best = int(np.argmax(step))
        picked.append(best)
        uncovered *= 1.0 - hits[best]
    scale = 1.0 + COSINE_WEIGHT  # relevance's maximum: every word covered, cosine 1
    return [(i, float(relevance[i]) / scale) for i in picked]


class EvidenceIndex:
    """Sentence embeddings per source, built once per check; content terms built on the first search."""

    def __init__(self, sources: list[Source], embedder: Embedder) -> None:
        self.sources = sources
        self.embedder = embedder
        self.embeddings: dict[str, np.ndarray] = {}
        self._terms: dict[str, SourceTerms] = {}
        all_texts = [s.text for source in sources for s in source.sentences]
        vectors = embedder.encode(all_texts)  # one batched call for every source
        offset = 0
        for source in sources:
            count = len(source.sentences)
            self.embeddings[source.id] = vectors[offset : offset + count]
            offset += count

    def _source_terms(self) -> dict[str, SourceTerms]:
        """Every source's terms, lemmatized the first time they are needed (a summary written from the
        index alone never needs them)."""
        if not self._terms:
            for source in self.sources:
                self._terms[source.id] = source_terms(content_terms([s.text for s in source.sentences]))
        return self._terms

    def search(self, claim_texts: list[str], top_k: int = 3) -> list[dict[str, list[Evidence]]]:
        """For each claim, a ranked list of at most ``top_k`` evidence sentences per source id.

        The first item is the single most relevant sentence; the next ones cover the claim's other parts.
        Evidence.score is the sentence's own relevance in [0, 1], so it need not fall with the rank.
        """
        if not claim_texts:
            return []
        claim_vectors = self.embedder.encode(claim_texts)
        claim_terms = [list(dict.fromkeys(terms)) for terms in content_terms(claim_texts)]
        all_terms = self._source_terms()
        results: list[dict[str, list[Evidence]]] = [{} for _ in claim_texts]
        for source in self.sources:
            vectors, sentence_terms = self.embeddings[source.id], all_terms[source.id]
            for number, (vector, words) in enumerate(zip(claim_vectors, claim_terms)):
                ranked = []
                if top_k > 0 and source.sentences:
                    hits = term_hits(sentence_terms.sentences, words)
                    ranked = cover_rank(hits, term_weights(words, sentence_terms.idf), vectors, vector, top_k)
                results[number][source.id] = [evidence(source, i, score) for i, score in ranked]
        return results


def evidence(source: Source, sentence_index: int, score: float) -> Evidence:
    sentence = source.sentences[sentence_index]
    return Evidence(source.id, sentence_index, sentence.span, sentence.text, round(score, 4))
