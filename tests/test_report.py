"""Report renderings: JSON that round-trips, readable Markdown, and HTML that never echoes document markup."""

from __future__ import annotations

import html
import json
import re
from dataclasses import replace

import pytest

import factaid
from factaid import report as report_stage
from factaid import ui_render
from factaid.types import (
    SCHEMA_VERSION,
    CheckSettings,
    Claim,
    Evidence,
    LLMVerdict,
    Report,
    Sentence,
    Source,
    SourceSupport,
    Span,
)

HOSTILE = '<script>alert("x")</script>'


@pytest.fixture(scope="module")
def hostile_report(nlp, embedder) -> Report:
    """A source and a summary that carry a script tag; passed as a Source so ingest cannot strip it."""
    text = f"The museum reopened on Friday after repairs. A visitor wrote {HOSTILE} on the guest book page."
    source = Source("", f"Museum {HOSTILE}", "text", text)
    return factaid.check([source], summary=f"The museum reopened on Friday. A visitor wrote {HOSTILE}.")


def test_json_round_trips_with_schema_spans_and_claims(bundled_report) -> None:
    data = json.loads(factaid.render(bundled_report, "json"))
    assert data["schema_version"] == SCHEMA_VERSION
    assert data == json.loads(json.dumps(bundled_report.to_dict()))
    assert [s["id"] for s in data["sources"]] == [s.id for s in bundled_report.sources]
    for source in data["sources"]:
        assert source["sentences"]
        for sentence in source["sentences"]:
            span = sentence["span"]
            assert source["text"][span["start"] : span["end"]] == sentence["text"]
    assert len(data["claims"]) == len(bundled_report.claims) >= 1
    for claim in data["claims"]:
        assert data["summary"][claim["span"]["start"] : claim["span"]["end"]] == claim["text"]
        assert claim["label"] in {"supported", "contradicted", "unsupported"}
        assert {s["source_id"] for s in claim["support"]} == {s["id"] for s in data["sources"]}
    assert data["conflicts"][0]["kind"] == "number"


def test_json_is_the_default_format(bundled_report) -> None:
    assert factaid.render(bundled_report) == factaid.render(bundled_report, "json")


def test_markdown_lists_sources_claims_and_conflicts(bundled_report) -> None:
    text = factaid.render(bundled_report, "md")
    assert text.startswith("# factaid report\n")
    for heading in ("## Sources", "## Claims", "## Where the sources disagree"):
        assert heading in text
    for source in bundled_report.sources:
        assert f"**{source.id}**" in text and source.title in text
    for claim in bundled_report.claims:
        assert f"{claim.index + 1}. " in text and claim.text in text
    assert "number — wagon" in text and ": 14 (" in text and ": 11 (" in text


def test_html_is_one_self_contained_page(bundled_report) -> None:
    page = factaid.render(bundled_report, "html")
    assert page.startswith("<!doctype html>") and page.endswith("</html>")
    assert "<script" not in page.lower()
    assert "Content-Security-Policy" in page
    for claim in bundled_report.claims:
        assert f"Claim {claim.index + 1}" in page


def test_html_escapes_markup_from_the_documents(hostile_report) -> None:
    assert HOSTILE in hostile_report.sources[0].text  # the markup reached the report unchanged
    page = factaid.render(hostile_report, "html")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;" in page


def test_page_dates_are_shown_and_escaped(hostile_report) -> None:
    source = replace(hostile_report.sources[0], page_dates=[f"3 June 2024 {HOSTILE}"])
    report = replace(hostile_report, sources=[source])
    html = factaid.render(report, "html")
    assert "dated 3 June 2024 &lt;script&gt;" in html and HOSTILE not in html
    assert f"dated 3 June 2024 {HOSTILE}" in factaid.render(report, "md")


def test_markdown_and_json_keep_document_text_verbatim(hostile_report) -> None:
    # Only HTML needs escaping; the other formats carry the text as it is.
    assert HOSTILE in json.loads(factaid.render(hostile_report, "json"))["sources"][0]["text"]
    assert HOSTILE in factaid.render(hostile_report, "md")


@pytest.mark.parametrize("fmt", ["pdf", "JSON", "", "html "])
def test_unknown_format_is_an_input_error(bundled_report, fmt: str) -> None:
    with pytest.raises(factaid.InputError, match="unknown report format"):
        factaid.render(bundled_report, fmt)


def test_every_listed_format_renders(bundled_report) -> None:
    for fmt in report_stage.FORMATS:
        assert factaid.render(bundled_report, fmt).strip()


# --- every number says what it is ----------------------------------------------------------------------
# A decimal shown bare next to an evidence sentence reads as that sentence's support; it is only its
# retrieval score. Each shown decimal must follow the words that name it.
_DECIMAL = re.compile(r"(?<![\w.])\d+\.\d+")
_NAMES = ("support probability ", "retrieval score ", "entailment ", "neutral ", "contradiction ")


def _sentences(text: str) -> list[Sentence]:
    found, start = [], 0
    for part in text.split(". "):
        part = part if part.endswith(".") else part + "."
        start = text.index(part, start)
        found.append(Sentence(len(found), part, Span(start, start + len(part))))
        start += len(part)
    return found


def _two_source_report() -> Report:
    """A hand-built report: S1 supports the claim, S2 contradicts it; no numbers in any text."""
    texts = [
        "Putin said Assad is ready to share power. The talks ended late.",
        "Assad refused to share power, an aide said. Talks go on.",
    ]
    sources = [
        Source(f"S{n}", f"Report {n}", "text", text, _sentences(text))
        for n, text in enumerate(texts, start=1)
    ]
    evidence = [
        Evidence(s.id, 0, s.sentences[0].span, s.sentences[0].text, score)
        for s, score in zip(sources, (0.17, 0.64))
    ]
    support = [
        SourceSupport(
            "S1",
            "supported",
            0.88,
            [evidence[0]],
            ["the evidence states it"],
            checker={"entailment": 0.93, "neutral": 0.05, "contradiction": 0.02},
        ),
        SourceSupport(
            "S2",
            "contradicted",
            0.07,
            [evidence[1]],
            ["a negation"],
            conflicting=[0],
            checker={"entailment": 0.03, "neutral": 0.16, "contradiction": 0.81},
        ),
    ]
    summary = "Assad is ready to share power."
    claim = Claim(
        0, summary, Span(0, len(summary)), "supported", 0.91, ["S1"], ["S2"], evidence, support, ["disputed"]
    )
    return Report(sources, summary, "user", [claim], [], CheckSettings())


def _unnamed_numbers(text: str) -> list[str]:
    return [
        text[max(0, m.start() - 30) : m.end()]
        for m in _DECIMAL.finditer(text)
        if not text[: m.start()].endswith(_NAMES)
    ]


def _shown_html_text(page: str) -> str:
    """What a reader sees of an HTML page: its text and its hover titles, without style sheets."""
    page = re.sub(r"<style>.*?</style>", "", page, flags=re.DOTALL)
    titles = re.findall(r'title="([^"]*)"', page)
    return " ".join(html.unescape("\n".join([re.sub(r"<[^>]+>", " ", page), *titles])).split())


def test_markdown_names_every_number_it_shows() -> None:
    markdown = factaid.render(_two_source_report(), "md")
    assert "**disputed: sources disagree** (support probability 0.91) — " in markdown
    assert "[S1 sentence 0, retrieval score 0.17] > Putin said Assad is ready to share power." in markdown
    assert "[S2 sentence 0, retrieval score 0.64, conflicts] > Assad refused" in markdown
    assert (
        "   - S2: contradicted (support probability 0.07; checker: entailment 0.03, neutral 0.16, "
        in markdown
    )
    assert len(_DECIMAL.findall(markdown)) == 11  # claim, two sources with the checker's three, evidence
    assert _unnamed_numbers(markdown) == []


def test_html_report_and_app_views_name_every_number_they_show() -> None:
    report = _two_source_report()
    page = _shown_html_text(factaid.render(report, "html"))
    assert "support probability 0.91" in page and "retrieval score 0.17" in page
    assert "contradicted, support probability 0.07" in page
    assert "checker: entailment 0.93, neutral 0.05, contradiction 0.02" in page
    assert _unnamed_numbers(page) == []
    views = [ui_render.claim_choice(report.claims[0], 2), ui_render.summary_html(report)]
    views += [ui_render.sources_html(report, 0), ui_render.claim_detail_html(report, 0)]
    views += [ui_render.agreement_html(report), ui_render.conflicts_html(report)]
    for view in views:
        assert _unnamed_numbers(_shown_html_text(view)) == [], view
    assert ui_render.claim_choice(report.claims[0], 2).startswith("1. [disputed: sources disagree, support")


def test_reports_show_both_judges_and_which_decided() -> None:
    """With the LLM judge, every format shows its verdict beside the verifier's, and whose label stands."""
    report = _two_source_report()
    first, second = report.claims[0].support
    first.judge = LLMVerdict("supported", "It says Assad is ready to share power.", "supported", True)
    second.judge = LLMVerdict("", "the answer was not one JSON object: 'I cannot'", "contradicted", False)
    report.claims[0].decided_by = "llm and verifier"
    report.summary_model, report.judge_model = "", "llama3.2 at http://localhost:11434/v1"
    markdown = factaid.render(report, "md")
    assert (
        "Claims judged by the verifier and the LLM judge llama3.2 at http://localhost:11434/v1." in markdown
    )
    assert (
        "     - verifier: supported; LLM judge: supported (decided): It says Assad is ready to share power."
        in markdown
    )
    assert (
        "     - verifier: contradicted (decided); LLM judge's answer not used: the answer was not" in markdown
    )
    assert "   - decided by the LLM judge where its answer was usable, else the verifier" in markdown
    page = _shown_html_text(factaid.render(report, "html"))
    assert "Verifier and LLM judge" in page and "LLM judge: supported (decided)" in page
    assert "decided by the LLM judge where its answer was usable" in page
    assert _unnamed_numbers(page) == [] and _unnamed_numbers(markdown) == []
    data = json.loads(factaid.render(report, "json"))
    assert data["claims"][0]["decided_by"] == "llm and verifier"
    assert data["claims"][0]["support"][1]["judge"] == {
        "answer": "",
        "reason": "the answer was not one JSON object: 'I cannot'",
        "verifier_label": "contradicted",
        "decided": False,
    }
    assert data["judge_model"] == report.judge_model and data["schema_version"] == "1.7"
    # Without the judge, nothing of it shows.
    plain = factaid.render(_two_source_report(), "md")
    assert "LLM judge" not in plain and "decided by" not in plain
