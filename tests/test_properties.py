"""Properties for any text: exact, ordered, trimmed spans, and a number parser that never crashes."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
