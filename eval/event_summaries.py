"""Summaries of several outlets' reports of one event, beside what the verifier says of them.

    python -m eval event-summaries --data ../shared/data/news_probes_dev.json [--sentences 5]

Reads a probe file's events (``sets``, each with its ``articles``: ``source``, ``text``), checks each
event's articles with factaid's extractive summary, and prints every summary and one table: how many of
its sentences state what the sources agree on and how many are marked as one source's ("Only S2
reports: ..."), and how often the verifier, which reads every source afterwards, agrees with the mark: a
marked sentence whose claims only its own source supports, an unmarked one that some other source
supports too.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from tqdm import tqdm

import factaid
from factaid import agreement, ingest
from factaid.sentences import split_sentences
from factaid.types import CheckSettings, Report

MARK = re.compile(agreement.MARK_PATTERN)


def sentence_verdicts(report: Report) -> list[tuple[str | None, set[str]]]:
    """Per summary sentence: the source its mark names (None when unmarked), and the sources that
    support every one of its claims."""
    verdicts = []
    for sentence in split_sentences(report.summary):
        mark = MARK.match(sentence.text)
        claims = [
            c for c in report.claims if c.span.start < sentence.span.end and c.span.end > sentence.span.start
        ]
        supporting = set.intersection(*(set(c.supported_by) for c in claims)) if claims else set()
        verdicts.append(((mark.group(1) or mark.group(2)) if mark else None, supporting))
    return verdicts


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval event-summaries", description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="a probe file with events' articles")
    parser.add_argument("--sentences", type=int, default=5)
    args = parser.parse_args(argv)
    events = json.loads(args.data.read_text(encoding="utf-8"))["sets"]
    lines = []
    for event in tqdm(events, desc="events"):
        sources = [
            ingest.from_text(article["text"], source_id=f"S{number}", title=article["source"])
            for number, article in enumerate(event["articles"], start=1)
        ]
        report = factaid.check(sources, settings=CheckSettings(summary_sentences=args.sentences))
        outlets = ", ".join(f"{s.id} {s.title}" for s in report.sources)
        print(f"### {event.get('title', event.get('event', ''))} ({outlets})\n\n{report.summary}\n")
        verdicts = sentence_verdicts(report)
        agreed = [supporting for mark, supporting in verdicts if mark is None]
        marked = [(mark, supporting) for mark, supporting in verdicts if mark is not None]
        lines.append(
            f"| {event.get('title', '')} | {len(verdicts)} | {len(agreed)} | "
            f"{sum(len(s) >= 2 for s in agreed)} | {len(marked)} | "
            f"{sum(s == {mark} for mark, s in marked)} |"
        )
    print(
        "| event | sentences | unmarked (agreed) | of them supported by 2+ sources (verifier) "
        "| marked as one source's | of them supported by that source alone (verifier) |"
    )
    print("|---|---|---|---|---|---|")
    print("\n".join(lines))
    return 0
