"""Summaries of several reports of one event: what the sources agree on first, one version of each fact,
and what only one source reports marked with it. Real articles (../shared, read at run time), the real
models and verifier."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import factaid
from factaid import agreement, ingest
from factaid.types import CheckSettings

PROBES = Path(__file__).resolve().parents[2] / "shared" / "data" / "news_probes_dev.json"
MARK = re.compile(agreement.MARK_PATTERN)


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
        found.append((match, (mark.group(1) or mark.group(2)) if mark else None))
        rest = rest[len(match) :].lstrip(" ")
    return found


def owners(text: str, sources) -> set[str]:
    return {source.id for source in sources for s in source.sentences if s.text == text}


def marked_parts(report) -> list[tuple[str, str | None, list]]:
    """(sentence, the source its mark names or None, its claims) in the summary's order."""
    found = []
    for text, mark in parts(report.summary, report.sources):
        start = report.summary.index(text)
        inside = [c for c in report.claims if start <= c.span.start and c.span.end <= start + len(text)]
        found.append((text, mark, inside))
    return found


@pytest.fixture(scope="module")
def example_report(shared_articles, nlp, embedder):
    return factaid.check([str(p) for p in shared_articles.values()])


@pytest.fixture(scope="module")
def probe_events(nlp, embedder):
    """The dev probe events: each event with the report on its outlets' articles (5-sentence summary)."""
    if not PROBES.is_file():
        pytest.skip(f"probe events not found: {PROBES}")
    events = []
    for event in json.loads(PROBES.read_text(encoding="utf-8"))["sets"]:
        sources = [
            ingest.from_text(article["text"], source_id=f"S{n}", title=article["source"])
            for n, article in enumerate(event["articles"], start=1)
        ]
        events.append((event, factaid.check(sources, settings=CheckSettings(summary_sentences=5))))
    return events


def test_agreed_facts_come_first_and_marks_follow_the_verifier(example_report, probe_events):
    for report in [example_report] + [report for _, report in probe_events]:
        found = marked_parts(report)
        marked = [mark is not None for _, mark, _ in found]
        assert marked == sorted(marked), report.summary  # every unmarked sentence before every marked one
        for text, mark, claims in found:
            assert claims, text  # the check judged every summary sentence's claims
            several = all(len(c.supported_by) >= 2 for c in claims)
            if mark is None:
                assert several, text
            else:
                assert mark in owners(text, report.sources) and not several, text
    assert not marked_parts(example_report)[0][1], "the two reports agree on the main event"


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
    for event, report in probe_events:
        sources = report.sources
        kept = [(_plain(text), owners(text, sources)) for text, _ in parts(report.summary, sources)]
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
            assert len(holding) <= 1, (probe["text"], holding, report.summary)
            checked += 1
    assert checked >= 5


def test_a_sentence_another_source_contradicts_is_marked_as_disputed(bundled_paths, nlp, embedder):
    """The bundled reports disagree on how many wagons fell: the sentence that gives one number is marked
    with the source that gives another, not as one source's alone."""
    report = factaid.check([str(p) for p in bundled_paths])
    disputed = re.findall(r"(S\d+) reports \(disputed by ([^)]*)\): ", report.summary)
    assert disputed, report.summary
    for own, others in disputed:
        start = report.summary.index(f"{own} reports (disputed by {others}): ")
        after = [c for c in report.claims if c.span.start > start]
        assert after and set(others.split(", ")) <= set(after[0].contradicted_by), after[0]
