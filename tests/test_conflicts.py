"""Cross-source conflicts: numbers, dates, actors and opposite words that differ between aligned sentences;
none otherwise."""

from __future__ import annotations

import pytest

import factaid
from factaid.conflicts import find_conflicts
from factaid.retrieve import EvidenceIndex
from factaid.types import Conflict

HARBOUR_A = (
    "The city council approved the new harbour plan on Monday. The harbour will cost 40 million euros. "
    "About 300 workers will be hired. Construction should end in 2027."
)
# The same facts in other words: nothing to report.
HARBOUR_B = (
    "On Monday, the new harbour plan was approved by the city council. The project is expected to cost "
    "40 million euros. Around 300 workers are to be hired. Work should be finished in 2027."
)
# Same wording, other weekday and year.
HARBOUR_C = (
    "The city council approved the new harbour plan on Tuesday. The harbour will cost 40 million euros. "
    "About 300 workers will be hired. Construction should end in 2029."
)


@pytest.fixture()
def conflicts_between(make_source, embedder):
    def run(*texts: str) -> list[Conflict]:
        sources = [make_source(text, f"S{n}") for n, text in enumerate(texts, start=1)]
        return find_conflicts(sources, EvidenceIndex(sources, embedder))

    return run


def summarised(conflicts: list[Conflict]) -> list[tuple[str, str, list[tuple[str, str]]]]:
    return [(c.kind, c.topic, [(v.source_id, v.value) for v in c.values]) for c in conflicts]


def test_bundled_examples_disagree_on_the_wagons(bundled_report) -> None:
    numbers = [c for c in bundled_report.conflicts if c.kind == "number"]
    assert len(numbers) == 1, summarised(bundled_report.conflicts)
    conflict = numbers[0]
    assert conflict.topic == "wagon"
    assert sorted(v.value for v in conflict.values) == ["11", "14"]
    assert sorted(v.source_id for v in conflict.values) == [s.id for s in bundled_report.sources]
    for value in conflict.values:
        source = bundled_report.source(value.source_id)
        evidence = value.evidence
        assert source.text[evidence.span.start : evidence.span.end] == evidence.text
        assert f"{value.value} of its wagons" in evidence.text
        assert 0.0 <= evidence.score <= 1.0


def test_bundled_examples_agree_on_everything_else(bundled_report) -> None:
    assert [c.kind for c in bundled_report.conflicts] == ["number"], summarised(bundled_report.conflicts)


def test_agreeing_sources_have_no_conflict(conflicts_between) -> None:
    assert conflicts_between(HARBOUR_A, HARBOUR_B) == []


def test_agreeing_sources_have_no_conflict_through_check(nlp, embedder) -> None:
    report = factaid.check([HARBOUR_A, HARBOUR_B], summary="The harbour will cost 40 million euros.")
    assert report.conflicts == []
    assert report.claims[0].label == "supported"


def test_one_source_has_no_conflict(conflicts_between) -> None:
    assert conflicts_between(HARBOUR_A) == []


def test_changed_weekday_and_year_are_date_conflicts(conflicts_between) -> None:
    assert sorted(summarised(conflicts_between(HARBOUR_A, HARBOUR_C))) == [
        ("date", "weekday", [("S1", "Monday"), ("S2", "Tuesday")]),
        ("date", "year", [("S1", "2027"), ("S2", "2029")]),
    ]


def test_different_named_actor_is_a_name_conflict(conflicts_between) -> None:
    found = conflicts_between(
        "Mayor Ilse Vandermeer opened the new bridge in Brenmoor on Monday.",
        "Governor Tom Berg opened the new bridge in Brenmoor on Monday.",
    )
    assert summarised(found) == [("name", "who did 'open'", [("S1", "ilse vandermeer"), ("S2", "tom berg")])]


def test_opposite_words_for_one_fact_are_an_opposite_conflict(conflicts_between) -> None:
    found = conflicts_between(HARBOUR_A, HARBOUR_A.replace("approved", "rejected"))
    assert summarised(found) == [("opposite", "council plan", [("S1", "approve"), ("S2", "reject")])]
    # "was not rejected" says what "approved" says: no conflict.
    assert conflicts_between(HARBOUR_A, HARBOUR_A.replace("approved", "did not reject")) == []


def test_unrelated_sentences_are_not_compared(conflicts_between) -> None:
    # Different numbers, but about different things: no aligned pair, no conflict.
    found = conflicts_between("The bridge is 40 metres long.", "The choir sang 12 songs at the festival.")
    assert found == []
