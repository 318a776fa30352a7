"""Properties for any text: exact, ordered, trimmed spans, a number parser that never crashes, and reports
of generated documents and summaries that hold every invariant of a report (tests/invariants.py)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from invariants import assert_report_invariants

import factaid
from factaid import facts as F
from factaid.claims import split_claims
from factaid.sentences import split_sentences

WORDS = [
    "Putin", "said", "the", "U.S.", "Dr.", "Sept.", "J.", "R.", "3.5", "250,000", "million", "a", "quarter",
    "of", "half", "and", "war", "Assad", "is", "ready", "to", "hold", "elections", "not", "14", "wagons",
]  # fmt: skip
PIECES = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from([".", ",", ";", ":", "!", "?", '"', "“", "”", "'", "(", ")", "-", "...", "\n", "\n\n"]),
    st.sampled_from([" ", " ", "  ", "\t"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=4),
)
TEXT = st.lists(PIECES, max_size=60).map("".join)
NUMBER_VOCABULARY = (
    "zero one four eleven fourteen twenty ninety hundred thousand million billion bn m half quarter "
    "quarters third thirds a an and of - 1,000 3.5 250,000 1,2 ,,"
).split()
NUMBER_WORDS = st.lists(
    st.one_of(
        st.sampled_from(NUMBER_VOCABULARY),
        st.text(max_size=6),
    ),
    max_size=8,
)
SETTINGS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(TEXT)
def test_sentence_spans_are_exact_ordered_disjoint_and_trimmed(text: str) -> None:
    previous_end = 0
    for number, sentence in enumerate(split_sentences(text)):
        start, end = sentence.span.start, sentence.span.end
        assert sentence.index == number
        assert previous_end <= start < end <= len(text)
        assert text[start:end] == sentence.text
        assert sentence.text == sentence.text.strip()
        previous_end = end


@SETTINGS
@given(TEXT)
def test_claim_spans_lie_in_the_summary(nlp, text: str) -> None:
    previous_end = 0
    for number, claim in enumerate(split_claims(text)):
        assert claim.index == number
        assert previous_end <= claim.span.start < claim.span.end <= len(text)
        assert text[claim.span.start : claim.span.end] == claim.text
        previous_end = claim.span.end


@SETTINGS
@given(NUMBER_WORDS)
def test_parse_number_never_crashes(words: list[str]) -> None:
    value = F.parse_number(words)
    assert value is None or value >= 0


@SETTINGS
@given(TEXT)
def test_quantities_and_dates_never_crash(nlp, text: str) -> None:
    doc = nlp(text)
    for quantity in F.quantities(doc):
        assert quantity.text and quantity.value >= 0
    assert all(":" in d for d in F.dates(doc))


# News-like sentences put together from parts, with the abbreviations, decimals, quotes and brackets that
# sentence splitting and evidence spans must survive.
SUBJECTS = ["The mayor", "Putin", "The U.S. envoy", "Dr. Anna Holm", "The council", "Castell Freight", "He"]
VERBS = ["approved", "said", "rejected", "did not approve", "wants to hold", "reported", "denied"]
OBJECTS = [
    "the plan", "early elections", "a 3.5 million euro budget", "14 wagons", '"healthy" opposition',
    "the talks (in Vladivostok)", "a quarter of a million people", "the report on Sept. 4",
]  # fmt: skip
ENDINGS = [".", " on Friday.", " in 2015.", ", officials said.", " last year!", "?"]
SENTENCE = st.builds(
    lambda s, v, o, e: f"{s} {v} {o}{e}",
    st.sampled_from(SUBJECTS), st.sampled_from(VERBS), st.sampled_from(OBJECTS), st.sampled_from(ENDINGS),
)  # fmt: skip
DOCUMENT = st.lists(SENTENCE, min_size=1, max_size=6).map(" ".join)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    documents=st.lists(DOCUMENT, min_size=1, max_size=3),
    summary=st.one_of(st.none(), st.lists(SENTENCE, min_size=1, max_size=4).map(" ".join)),
)
def test_reports_of_generated_input_hold_every_invariant(nlp, embedder, documents, summary) -> None:
    report = factaid.check(documents, summary=summary)
    assert report.summary_origin == ("user" if summary is not None else "extractive")
    assert len(report.sources) == len(documents) and report.claims
    assert_report_invariants(report)
