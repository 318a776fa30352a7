"""Evidence retrieval: real sentences in, real rankings out (bundled MiniLM embedder and spaCy lemmas)."""

from __future__ import annotations

import numpy as np
import pytest

from factaid import retrieve

BRIDGE = (
    "The Harbor Bridge opened to traffic in 1932 after eight years of construction. "
    "Crowds walked across the Harbor Bridge when it opened in 1932. "
    "When the Harbor Bridge opened in 1932, it was the widest long-span bridge in the world. "
    "Its steel arch was designed by the engineer John Bradfield. "
    "The city also built a new ferry terminal near the quay. "
    "Tolls are collected from cars heading south."
)
BRIDGE_CLAIM = "The Harbor Bridge, designed by John Bradfield, opened in 1932."
CHESS = (
    "Marta Reyes won the national chess championship in 2004 after a tense tie-break. "
    "The 2004 national chess championship was won by Marta Reyes, then nineteen. "
    "Reyes took the national chess title in 2004 after a tie-break against the defending champion. "
    "Her family had moved to Porto when she was a child. "
    "The tournament was held in a hotel ballroom."
)
CHESS_CLAIM = "Marta Reyes won the 2004 national chess championship after a tie-break; she grew up in Porto."


def ranked_indices(index: retrieve.EvidenceIndex, claim: str, source_id: str, top_k: int) -> list[int]:
    return [e.sentence_index for e in index.search([claim], top_k=top_k)[0][source_id]]


def test_two_part_claim_gets_both_supporting_sentences_in_the_top_two(make_source, embedder):
    source = make_source(CHESS, "S1")
    index = retrieve.EvidenceIndex([source], embedder)
    # Sorting by similarity to the whole claim fills ranks 2 and 3 with retellings of the title win.
    by_similarity = np.argsort(-(index.embeddings["S1"] @ embedder.encode([CHESS_CLAIM])[0]))[:3]
    assert 3 not in by_similarity

    top_two = ranked_indices(index, CHESS_CLAIM, "S1", top_k=2)
    assert 3 in top_two  # where she grew up
    assert {0, 1, 2} & set(top_two)  # the title


def test_first_item_is_the_single_most_relevant_sentence(make_source, embedder):
    source = make_source(BRIDGE, "S1")
    index = retrieve.EvidenceIndex([source], embedder)
    found = index.search(["Tolls are collected from southbound cars."], top_k=3)[0]["S1"]
    assert found[0].sentence_index == 5
    assert found[0].text == "Tolls are collected from cars heading south."
    assert found[0].score == max(e.score for e in found)
    assert all(0.0 <= e.score <= 1.0 for e in found)


def test_inflected_words_match_by_lemma(make_source, embedder):
    source = make_source(
        "The board votes on the budget every spring. "
        "Last week the board extended the merger deadline to June 21. "
        "The merger was first announced in October.",
        "S1",
    )
    index = retrieve.EvidenceIndex([source], embedder)
    assert ranked_indices(index, "The board extends the deadline.", "S1", top_k=1) == [1]
    assert retrieve.content_terms(["The boards voted, extending deadlines."]) == [
        ("board", "vote", "extend", "deadline")
    ]


def test_a_rare_word_weighs_more_than_one_in_every_sentence():
    terms = retrieve.source_terms(
        [["bradfield", "bridge"], ["bridge", "open"], ["bridge", "toll"], ["bridge", "ferry"]]
    )
    weights = retrieve.term_weights(["bridge", "bradfield", "moon"], terms.idf)
    assert weights.sum() == pytest.approx(1.0)
    assert weights[1] > weights[0] >= 0.0
    assert weights[2] == 0.0  # a word the source never uses cannot be covered: it takes no share


def test_residual_is_empty_once_the_picks_say_the_whole_claim():
    vectors = np.eye(3)
    claim = np.array([0.6, 0.8, 0.0])
    assert retrieve.residual_cosine(vectors, claim, [0, 1]) == pytest.approx(np.zeros(3))
    # with only the first axis picked, what is left of the claim is the second axis
    assert retrieve.residual_cosine(vectors, claim, [0]) == pytest.approx([0.0, 1.0, 0.0])


def test_search_returns_top_k_per_source_for_every_claim(make_source, embedder):
    sources = [
        make_source(BRIDGE, "S1"),
        make_source("John Bradfield was born in 1875. He studied engineering in Sydney.", "S2"),
    ]
    index = retrieve.EvidenceIndex(sources, embedder)
    results = index.search([BRIDGE_CLAIM, "Bradfield studied engineering."], top_k=3)
    assert len(results) == 2
    assert [len(r["S1"]) for r in results] == [3, 3]
    assert [len(r["S2"]) for r in results] == [2, 2]  # a source with fewer sentences than top_k
    assert results[1]["S2"][0].text == "He studied engineering in Sydney."
    for found in results[0].values():
        indices = [e.sentence_index for e in found]
        assert len(set(indices)) == len(indices)
    assert index.search([], top_k=3) == []
