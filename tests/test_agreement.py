"""Summaries of several reports of one event: what the sources agree on first, one version of each fact,
and what only one source reports marked with it. Real articles (../shared, read at run time), the real
embedder and parse."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from factaid import agreement, ingest, pipeline, retrieve, summarize
from factaid.types import CheckSettings

PROBES = Path(__file__).resolve().parents[2] / "shared" / "data" / "news_probes_dev.json"
MARK = re.compile(r"Only (S\d+) reports: ")


def parts(summary: str, sources) -> list[tuple[str, str | None]]:
    """(sentence, the source its mark names or None), in the summary's order; every sentence must be a
    source sentence word for word."""
    texts = sorted({s.text for source in sources for s in source.sentences}, key=len, reverse=True)
    found, rest = [], summary
    while rest:
        mark = MARK.match(rest)
        rest = rest[mark.end() :] if mark else rest
        match = next((t for t in texts if rest.startswith(t)), None)
        assert match is not None, f"not an exact source sentence: {rest[:80]!r}"
        found.append((match, mark.group(1) if mark else None))
        rest = rest[len(match) :].lstrip(" ")
    return found


def owners(text: str, sources) -> set[str]:
    return {source.id for source in sources for s in source.sentences if s.text == text}


def summary_of(sources, embedder, count: int) -> tuple[str, retrieve.EvidenceIndex]:
    index = retrieve.EvidenceIndex(sources, embedder)
    return summarize.summarize(sources, CheckSettings(summary_sentences=count), index), index


@pytest.fixture(scope="module")
def example(shared_articles, embedder):
    sources = pipeline.load_sources([str(p) for p in shared_articles.values()], CheckSettings())
    summary, index = summary_of(sources, embedder, 5)
    return sources, summary, index


@pytest.fixture(scope="module")
def probe_events(embedder):
    """The dev probe events' articles, each event's outlets as sources, and their 5-sentence summaries."""
    if not PROBES.is_file():
        pytest.skip(f"probe events not found: {PROBES}")
    events = []
    for event in json.loads(PROBES.read_text(encoding="utf-8"))["sets"]:
        sources = [
            ingest.from_text(article["text"], source_id=f"S{n}", title=article["source"])
            for n, article in enumerate(event["articles"], start=1)
        ]
        sources = pipeline.load_sources(sources, CheckSettings())
        summary, index = summary_of(sources, embedder, 5)
        events.append((event, sources, summary, index))
    return events


def test_agreed_facts_come_first_and_one_source_facts_are_marked(example):
    sources, summary, index = example
    found = parts(summary, sources)
    marked = [mark is not None for _, mark in found]
    assert marked == sorted(marked), summary  # every unmarked sentence before every marked one
    assert not marked[0], "the sources agree on the main event"
    for text, mark in found:
        (own,) = owners(text, sources)
        number = next(n for n, source in enumerate(sources) if source.id == own)
        position = next(s.index for s in sources[number].sentences if s.text == text)
        candidate = summarize.Candidate(number, position, text, 0.0)
        others = agreement.other_sources(candidate, sources, index.embeddings, agreement.SAME_FACT)
        if mark:
            assert mark == own and not others, (text, others)
        else:
            assert others, text


def test_two_outlets_versions_of_a_fact_are_not_both_kept(example, probe_events):
    """No two kept sentences of different outlets say one fact (by the measured same-fact score), on the
    example articles and on every probe event."""
    for sources, summary, index in [example] + [(s, summary, i) for _, s, summary, i in probe_events]:
        kept = [text for text, _ in parts(summary, sources)]
        vectors = {s.text: index.embeddings[src.id][s.index] for src in sources for s in src.sentences}
        for i, one in enumerate(kept):
            for other in kept[i + 1 :]:
                if owners(one, sources) & owners(other, sources):
                    continue
                cosine = float(vectors[one] @ vectors[other])
                assert agreement.same_fact_score(cosine, one, other) <= agreement.SAME_FACT, (one, other)


def _plain(text: str) -> str:
    return " ".join(text.translate(str.maketrans("’‘“”", "''\"\"")).split())


def annotated_versions(probe: dict) -> dict[str, str]:
    """A supported probe's evidence as the annotators quoted it: outlet -> its one quoted passage (outlets
    whose evidence joins several passages are left out: each passage holds only part of the fact)."""
    versions = {}
    for part in probe.get("evidence", "").split(" | "):
        outlet, _, quoted = part.partition(": ")
        passages = re.findall(r'"([^"]+)"', quoted)
        if len(passages) == 1:
            versions[outlet.strip()] = _plain(passages[0])
    return versions


def test_a_fact_several_outlets_state_is_kept_once(probe_events):
    """For each probe fact that annotators quoted from several outlets: the summary keeps the quoted
    version of at most one outlet."""
    checked = 0
    for event, sources, summary, _ in probe_events:
        kept = [(_plain(text), owners(text, sources)) for text, _ in parts(summary, sources)]
        outlet = {source.title: source.id for source in sources}
        for probe in event["probes"]:
            versions = annotated_versions(probe) if probe["expect"] == "supported" else {}
            if len(versions) < 2:
                continue
            holding = {
                name
                for name, passage in versions.items()
                for text, ids in kept
                if passage in text and outlet.get(name) in ids
            }
            assert len(holding) <= 1, (probe["text"], holding, summary)
            checked += 1
    assert checked >= 5
