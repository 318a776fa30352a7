"""Sentence splitting: exact spans into the original text, on tricky real-world punctuation."""

from __future__ import annotations

import pytest

from factaid.sentences import split_sentences


def texts_of(text: str) -> list[str]:
    sentences = split_sentences(text)
    for number, sentence in enumerate(sentences):
        assert sentence.index == number
        assert text[sentence.span.start : sentence.span.end] == sentence.text
        assert sentence.text == sentence.text.strip()
    return [s.text for s in sentences]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The U.S. government said on Sept. 4 that Dr. Smith would attend. He did not.",
            ["The U.S. government said on Sept. 4 that Dr. Smith would attend.", "He did not."],
        ),
        (
            "J. R. R. Tolkien wrote The Hobbit. It sold well.",
            ["J. R. R. Tolkien wrote The Hobbit.", "It sold well."],
        ),
        (
            "Growth slowed to 3.5 percent in 2015. Prices rose by 2.1 percent.",
            ["Growth slowed to 3.5 percent in 2015.", "Prices rose by 2.1 percent."],
        ),
        (
            "Mr. and Mrs. Jones arrived at 5 p.m. on Friday. They left at 6 p.m.",
            ["Mr. and Mrs. Jones arrived at 5 p.m. on Friday.", "They left at 6 p.m."],
        ),
        (
            "The Ph.D. candidate met Gen. Smith in St. Petersburg. She was pleased.",
            ["The Ph.D. candidate met Gen. Smith in St. Petersburg.", "She was pleased."],
        ),
    ],
)
def test_abbreviations_initials_and_decimals_do_not_end_a_sentence(text: str, expected: list[str]) -> None:
    assert texts_of(text) == expected


def test_quotes_stay_with_their_sentence() -> None:
    text = '"We are ready," Putin said. He said: “This is primarily an issue.” Then he left.'
    assert texts_of(text) == [
        '"We are ready," Putin said.',
        "He said: “This is primarily an issue.”",
        "Then he left.",
    ]


def test_headline_without_punctuation_and_blank_line_paragraphs() -> None:
    text = (
        "Putin says Syria’s Assad is ready to share power\n\n"
        "First paragraph, sentence one. Sentence two.\n \n"
        "Second paragraph here."
    )
    assert texts_of(text) == [
        "Putin says Syria’s Assad is ready to share power",
        "First paragraph, sentence one.",
        "Sentence two.",
        "Second paragraph here.",
    ]


def test_no_sentence_crosses_a_blank_line() -> None:
    text = "A line that runs on\n\ninto the next paragraph without a stop"
    assert texts_of(text) == ["A line that runs on", "into the next paragraph without a stop"]


def test_outer_whitespace_is_trimmed_and_spans_still_exact() -> None:
    text = "   leading space.   trailing space.   \n"
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == ["leading space.", "trailing space."]
    assert sentences[0].span.start == 3


def test_repeated_sentences_get_their_own_spans() -> None:
    text = "It rained. It rained. It rained."
    sentences = split_sentences(text)
    assert [s.span.start for s in sentences] == [0, 11, 22]
    assert all(text[s.span.start : s.span.end] == "It rained." for s in sentences)


@pytest.mark.parametrize("text", ["", "   ", "\n\n\n", "... -- !!"])
def test_empty_or_punctuation_only_text_has_no_sentence(text: str) -> None:
    assert split_sentences(text) == []


def test_single_sentence() -> None:
    assert texts_of("One sentence with no final stop") == ["One sentence with no final stop"]


def test_shared_articles_split_with_exact_spans(shared_articles) -> None:
    aljazeera = texts_of(shared_articles["aljazeera"].read_text("utf-8"))
    assert aljazeera[0] == "Putin says Syria’s Assad is ready to share power"
    assert (
        "Russian President Vladimir Putin has said that Syria’s Bashar al-Assad is ready to hold snap "
        "parliamentary elections and allow a “healthy” opposition to share power."
    ) in aljazeera
    assert "Putin did not elaborate on what a “healthy” opposition was supposed to mean." in aljazeera

    moscow = texts_of(shared_articles["moscowtimes"].read_text("utf-8"))
    assert (
        "Russia, along with Iran, has been Assad's key international ally in the war that has been raging "
        "in Syria for four-and-a-half years and in which a quarter of a million people have been killed."
    ) in moscow
    # "U.S.-led" must not end the sentence.
    assert any(
        s.startswith("Moscow wants the U.S.-led coalition") and s.endswith("Kurdish forces.") for s in moscow
    )


def test_bundled_examples_split_with_exact_spans(bundled_paths) -> None:
    sentences = [texts_of(path.read_text("utf-8")) for path in bundled_paths]
    ledger, post = sentences  # sorted by file name: brenmoor_northern_ledger, brenmoor_valley_post
    # "6:40 a.m." ends one sentence and the next one starts after it.
    assert any(s.endswith("when it left the tracks at about 6:40 a.m.") for s in ledger)
    assert "Nobody was killed." in ledger
    assert "It came off the tracks at about 6:40 a.m." in post
    assert "No one died in the accident." in post
