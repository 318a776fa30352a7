"""Extractive summaries of the two real news reports, with the real bundled embedder."""

from __future__ import annotations

import re

import pytest

from factaid import agreement, pipeline, retrieve, summarize
from factaid.errors import InputError
from factaid.types import CheckSettings


@pytest.fixture(scope="module")
def articles(shared_articles, embedder):
    sources = pipeline.load_sources([str(p) for p in shared_articles.values()], CheckSettings())
    return sources, retrieve.EvidenceIndex(sources, embedder)


def _split_back(summary: str, sources) -> list[str]:
    """The summary's sentences, recovered by matching source sentences in order (they are exact; a
    one-source sentence is led by its mark, which goes)."""
    found, rest = [], summary
    texts = sorted({s.text for source in sources for s in source.sentences}, key=len, reverse=True)
    while rest:
        rest = re.sub(f"^(?:{agreement.MARK_PATTERN})", "", rest)
        match = next((t for t in texts if rest.startswith(t)), None)
        assert match is not None, f"not an exact source sentence: {rest[:80]!r}"
        found.append(match)
        rest = rest[len(match) :].lstrip(" ")
    return found


@pytest.mark.parametrize("count", [1, 3, 5])
def test_extractive_states_the_main_event_within_its_word_budget(articles, count):
    sources, index = articles
    summary = summarize.summarize(sources, CheckSettings(summary_sentences=count), index)
    sentences = _split_back(summary, sources)
    words = [len(re.findall(r"\w+", s)) for s in sentences]
    budget = count * summarize.WEIGHTS.words_per_sentence
    assert sum(words[:-1]) < budget <= sum(words), (budget, words)  # the sentence that reaches it stays
    lede = [s for s in sentences if "elections" in s and "healthy" in s]
    assert lede, summary


def test_one_document_keeps_its_reading_order_and_no_mark(make_source, embedder):
    text = (
        "The river flooded the lower town of Marrow on Monday after three days of heavy rain. "
        "Rescue teams moved 300 people from the lower town to the school hall on the hill. "
        "The mayor said the old stone bridge would stay closed to all traffic until Friday. "
        "Engineers found deep cracks in two of the bridge supports during an inspection. "
        "The regional government promised money to repair the bridge before the winter."
    )
    source = make_source(text, "S1")
    index = retrieve.EvidenceIndex([source], embedder)
    summary = summarize.summarize([source], CheckSettings(summary_sentences=2), index)
    sentences = _split_back(summary, [source])
    words = [len(re.findall(r"\w+", t)) for t in sentences]
    assert not summary.startswith("Only") and sum(words[:-1]) < 2 * summarize.WEIGHTS.words_per_sentence
    assert sentences[0] == source.sentences[0].text  # the lede
    order = [next(s.index for s in source.sentences if s.text == t) for t in sentences]
    assert order == sorted(order)


def test_one_source_one_sentence(make_source, embedder):
    source = make_source(
        "The river flooded the lower town on Monday. Rescue teams moved 300 people to the school hall.",
        "S1",
    )
    index = retrieve.EvidenceIndex([source], embedder)
    summary = summarize.summarize([source], CheckSettings(summary_sentences=4), index)
    assert summary == source.text  # fewer sentences than asked for: all of them, once


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Putin said Assad is ready to hold snap parliamentary elections.", True),
        ("Putin says Syria’s Assad is ready to share power", False),  # headline, no full stop
        ("Source: News Agencies.", False),  # too short
        ("Will Assad really hold elections before the end of the year?", False),
        ("“We are not imposing anything, but we are ready to promote dialogue.”", False),  # no speaker
        ('"And the Syrian president agrees with that, all the way down to holding early elections.', False),
        ("“We are not imposing anything,” Putin told reporters in Vladivostok.", True),
    ],
)
def test_usable(text, expected):
    assert summarize.usable(text) is expected


def test_bad_settings(articles):
    sources, index = articles
    with pytest.raises(InputError, match="summary_sentences"):
        summarize.summarize(sources, CheckSettings(summary_sentences=0), index)
    with pytest.raises(InputError, match="mode"):
        summarize.summarize(sources, CheckSettings(mode="poem"), index)  # type: ignore[arg-type]
