"""Claim splitting: exact spans into the summary; clauses with their own subjects split, the rest whole."""

from __future__ import annotations

import pytest

from factaid.claims import split_claims


def claim_texts(summary: str) -> list[str]:
    claims = split_claims(summary)
    for number, claim in enumerate(claims):
        assert claim.index == number
        assert summary[claim.span.start : claim.span.end] == claim.text
        assert claim.label == "unsupported" and claim.score == 0.0  # not judged yet
    return [c.text for c in claims]


def test_one_claim_per_simple_sentence(nlp) -> None:
    summary = (
        "Putin said Assad is ready to hold snap parliamentary elections. "
        "Obama is lifting sanctions on Russia."
    )
    assert claim_texts(summary) == [
        "Putin said Assad is ready to hold snap parliamentary elections.",
        "Obama is lifting sanctions on Russia.",
    ]


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        (
            "Putin met Obama in Vladivostok, and Assad agreed to hold elections.",
            ["Putin met Obama in Vladivostok", "Assad agreed to hold elections."],
        ),
        (
            "The mayor approved the plan, but the council rejected it.",
            ["The mayor approved the plan", "the council rejected it."],
        ),
        (
            "The driver was injured and the line was closed for a week.",
            ["The driver was injured", "the line was closed for a week."],
        ),
        ("The company cut jobs; it said demand fell.", ["The company cut jobs", "it said demand fell."]),
    ],
)
def test_compound_sentence_splits_into_clauses_with_own_subjects(nlp, summary, expected) -> None:
    assert claim_texts(summary) == expected


def test_relative_clause_is_kept_whole(nlp) -> None:
    summary = (
        "Russia has been an ally in the war that has raged for four-and-a-half years and in which "
        "a quarter of a million people have been killed."
    )
    assert claim_texts(summary) == [summary]


def test_a_predicate_sharing_the_subject_is_checked_with_it(nlp) -> None:
    """ "and thanked the crews" is judged on its own, led by the subject it shares: a clause added to a
    faithful one must not pass with it."""
    claims = split_claims("The train left Aldwick at dawn and sank into the river.")
    assert [(c.text, c.statement) for c in claims] == [
        ("The train left Aldwick at dawn", "The train left Aldwick at dawn"),
        ("sank into the river.", "The train sank into the river."),
    ]
    # Words after the second verb that the first one needs belong to both: one claim.
    for summary in ("The train derailed and sank into the river.", "Chen was born and raised in New York."):
        assert claim_texts(summary) == [summary]
    # The parser hangs "and thanked" on "stay"; a finite verb joins the finite "said".
    summary = "Mayor Ilse Vandermeer said the line would stay closed and thanked the crews for their help."
    assert [c.statement for c in split_claims(summary)] == [
        "Mayor Ilse Vandermeer said the line would stay closed",
        "Mayor Ilse Vandermeer thanked the crews for their help.",
    ]
    # A participle shares the auxiliary; a verb with its own keeps it.
    assert split_claims("Lee Smith was arrested in Leeds and charged with murder.")[1].statement == (
        "Lee Smith was charged with murder."
    )
    assert split_claims("Russia has backed Assad since 2011 and will keep its troops there.")[
        1
    ].statement == ("Russia will keep its troops there.")


def test_shared_verb_or_negated_subject_is_not_split(nlp) -> None:
    # What "not" covers in "did not meet Bob and left" is unclear; a verb joined below the root stays.
    assert claim_texts("Anna did not meet Bob and left the city.") == [
        "Anna did not meet Bob and left the city."
    ]
    summary = "Putin said Assad is ready to hold elections and share power with the opposition."
    assert claim_texts(summary) == [summary]
    assert claim_texts("Officials said the bridge, which opened in 1990, was safe.") == [
        "Officials said the bridge, which opened in 1990, was safe."
    ]


@pytest.mark.parametrize(
    "summary", ["Putin spoke, and Assad agreed to talks.", "Prices rose; wages fell sharply last year."]
)
def test_short_pieces_are_not_split_off(nlp, summary: str) -> None:
    assert claim_texts(summary) == [summary]


def test_a_clause_that_leans_on_the_one_before_is_not_split_off(nlp) -> None:
    """ "but he is not" says nothing checkable alone; "she is a doctor" does."""
    summary = "His mother says he does not understand why his sister can go to school but he is not."
    assert claim_texts(summary) == [summary]
    assert claim_texts("Anna was tired but her brother was too.") == [
        "Anna was tired but her brother was too."
    ]
    assert claim_texts("The shop was closed and the owner was away.") == [
        "The shop was closed",
        "the owner was away.",
    ]
    assert claim_texts("Anna is a doctor and her brother is a nurse.") == [
        "Anna is a doctor",
        "her brother is a nurse.",
    ]


def test_a_list_number_joins_the_sentence_it_numbers(nlp) -> None:
    summary = "Hamilton took pole ahead of Vettel. 20. Roberto Merhi of Marussia was last on the grid."
    assert claim_texts(summary) == [
        "Hamilton took pole ahead of Vettel.",
        "20. Roberto Merhi of Marussia was last on the grid.",
    ]


def test_claim_spans_index_the_whole_summary(nlp) -> None:
    summary = "Title line\n\nThe council met on Monday, and the mayor resigned on Tuesday.  Then it rained."
    assert claim_texts(summary) == [
        "Title line",
        "The council met on Monday",
        "the mayor resigned on Tuesday.",
        "Then it rained.",
    ]


def test_empty_summary_has_no_claim(nlp) -> None:
    assert split_claims("") == []
    assert split_claims("  \n ") == []
