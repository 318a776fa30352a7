"""CheckSettings.supported_only: a written summary keeps only the sentences some source supports. Real
articles, the real verifier; the slow test lets the bundled Gemma write the summary."""

from __future__ import annotations

import re

import pytest

import factaid
from factaid import supported
from factaid.facts import STOP_WORDS
from factaid.types import CheckSettings

INVENTED = "Putin said Assad will step down next month and hand power to the army."


@pytest.fixture(scope="module")
def articles(shared_articles) -> list[str]:
    return [str(p) for p in shared_articles.values()]


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if w not in STOP_WORDS}


def test_the_sentence_with_an_invented_claim_is_removed(articles):
    report = factaid.check(articles, summary=factaid.check(articles).summary.split(". ")[0] + ". " + INVENTED)
    kept, removed = supported.split_by_support(report.summary, report.claims)
    assert [r.text for r in removed] == [INVENTED]
    assert removed[0].labels and all(label != "supported" for label in removed[0].labels)
    assert kept and INVENTED not in kept and kept in report.summary
    message = supported.describe(removed, 2)
    assert message.startswith("removed 1 of 2 summary sentences") and INVENTED in message


def test_a_user_summary_is_never_filtered(articles):
    settings = CheckSettings(supported_only=True)
    report = factaid.check(articles, summary=INVENTED, settings=settings)
    assert report.summary == INVENTED and not report.removed and report.claims


@pytest.mark.slow
def test_the_bundled_llm_summary_keeps_only_supported_sentences(articles):
    settings = CheckSettings(mode="abstractive", summary_sentences=3, supported_only=True)
    report = factaid.check(articles, settings=settings)
    assert report.removed, "the bundled Gemma writes at least one sentence no source supports here"
    assert report.filtered_from and all(r.text in report.filtered_from for r in report.removed)
    assert all(claim.label == "supported" for claim in report.claims)
    source_words = set().union(*(_words(source.text) for source in report.sources))
    invented = [r for r in report.removed if _words(r.text) - source_words]
    assert invented, "a removed sentence uses words no source has"
    assert any(w.startswith(f"removed {len(report.removed)} of ") for w in report.warnings)
