"""HTML views of a Report for the web app.

Every piece of document or summary text goes through ``html.escape`` before it reaches the page;
highlights are built from escaped slices cut at the character spans the pipeline recorded, so a
source holding ``<script>`` shows that text literally and runs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from html import escape

from .types import Claim, Conflict, Evidence, Report, Source, SourceSupport

# Display status of a claim: the pipeline's label, plus "single" when only one of several sources backs it
# and "disputed" when one source backs it and another contradicts it.
STATUS_TEXT = {
    "supported": "supported",
    "single": "supported by one source only",
    "disputed": "disputed: sources disagree",
    "contradicted": "contradicted",
    "unsupported": "unsupported",
}

# Every number shown says what it is. A claim's or a source's score is the verifier's probability that the
# claim is supported; an evidence sentence's score only ranks it for retrieval and says nothing of support.
PROBABILITY = "support probability"
RELEVANCE = "retrieval score"
# The claim checker's own reading of a source's evidence, each probability named by its label.
CHECKER_LABELS = ("entailment", "neutral", "contradiction")


def checker_text(support: SourceSupport) -> str:
    """The checker's three probabilities for one source, named: "checker: entailment 0.91, neutral ..."."""
    if not support.checker:
        return ""
    named = ", ".join(
        f"{label} {support.checker[label]:.2f}" for label in CHECKER_LABELS if label in support.checker
    )
    return f"checker: {named}"


DECIDED_TEXT = {
    "verifier": "the verifier",
    "llm": "the LLM judge",
    "llm and verifier": "the LLM judge where its answer was usable, else the verifier",
}


def judge_text(support: SourceSupport) -> str:
    """Both judges' verdicts for one source and which one decided: "verifier: unsupported; LLM judge:
    supported (decided): the evidence says so", or the reason the LLM's answer was not used."""
    if support.judge is None:
        return ""
    verdict = support.judge
    if verdict.decided:
        return f"verifier: {verdict.verifier_label}; LLM judge: {verdict.answer} (decided): {verdict.reason}"
    return f"verifier: {verdict.verifier_label} (decided); LLM judge's answer not used: {verdict.reason}"


def decided_text(claim: Claim) -> str:
    """Whose labels a claim's verdict rests on, when the LLM judge ran."""
    judged = any(s.judge is not None for s in claim.support)
    return f"decided by {DECIDED_TEXT[claim.decided_by]}" if judged else ""


CSS = """
.fa-text { white-space: pre-wrap; line-height: 1.6; color: #111; background: #fff;
  padding: 10px 12px; border: 1px solid #ddd; border-radius: 6px; }
.fa-claim { padding: 1px 2px; border-radius: 3px; color: #111; }
.fa-summary-text .fa-claim { cursor: pointer; }
.fa-claim sup, .fa-score { font-size: 0.7em; font-weight: 600; margin-left: 2px; color: #333; }
.fa-st-supported { background: #c7f0c2; }
.fa-st-single { background: #fff0a8; }
.fa-st-disputed { background: #ffd29a; }
.fa-st-contradicted { background: #ffc4c4; }
.fa-st-unsupported { background: #e4e4e4; text-decoration: underline dashed #888; }
.fa-legend span.fa-claim { margin-right: 10px; display: inline-block; }
.fa-sources { display: flex; gap: 12px; align-items: flex-start; }
.fa-source { flex: 1 1 0; min-width: 0; }
.fa-source .fa-text { max-height: 520px; overflow-y: auto; }
.fa-source h4 { margin: 4px 0; color: inherit; }
mark.fa-ev { color: #111; padding: 1px 2px; border-radius: 3px; }
mark.fa-ev-supported { background: #9be39a; }
mark.fa-ev-contradicted { background: #ff9d9d; }
mark.fa-ev-unsupported { background: #ffe27a; }
mark.fa-ev-context { background: #e8e8e8; }
table.fa-table { border-collapse: collapse; width: 100%; }
table.fa-table td, table.fa-table th { border: 1px solid #ccc; padding: 4px 6px; vertical-align: top; }
.fa-muted { color: #777; font-size: 0.9em; }
"""


# Clicking a claim in the summary clicks its entry in the claim picker (a Radio with elem_id claim-picker).
SELECT_ON_CLICK_JS = """
element.addEventListener('click', (event) => {
  const claim = event.target.closest('[data-claim]');
  if (!claim) return;
  const inputs = document.querySelectorAll('#claim-picker input[type=radio]');
  const input = inputs[Number(claim.dataset.claim)];
  if (input) input.click();
});
"""


def claim_status(claim: Claim, n_sources: int) -> str:
    """The claim's label, or ``"disputed"`` when a source contradicts a claim that another supports, or
    ``"single"`` when 2+ sources were given and only one supports it."""
    if claim.label == "supported" and claim.contradicted_by:
        return "disputed"
    if claim.label == "supported" and n_sources > 1 and len(claim.supported_by) == 1:
        return "single"
    return claim.label


def _badge(status: str, text: str | None = None) -> str:
    return f'<span class="fa-claim fa-st-{status}">{escape(text or STATUS_TEXT[status])}</span>'


def legend_html() -> str:
    badges = "".join(_badge(status) for status in STATUS_TEXT)
    return f'<div class="fa-legend"><b>Legend:</b> {badges}</div>'


def summary_html(report: Report) -> str:
    """The summary with each claim wrapped in a span coloured by its status and numbered."""
    text, n_sources = report.summary, len(report.sources)
    parts, cursor = [], 0
    for claim in sorted(report.claims, key=lambda c: c.span.start):
        start, end = claim.span.start, claim.span.end
        if start < cursor or end > len(text) or end <= start:
            continue  # overlapping or broken span: leave that text unmarked rather than garble it
        status = claim_status(claim, n_sources)
        title = f"Claim {claim.index + 1}: {STATUS_TEXT[status]} ({PROBABILITY} {claim.score:.2f})"
        parts.append(escape(text[cursor:start]))
        parts.append(
            f'<span class="fa-claim fa-st-{status}" data-claim="{claim.index}" title="{escape(title)}">'
            f"{escape(text[start:end])}<sup>{claim.index + 1}</sup></span>"
        )
        cursor = end
    parts.append(escape(text[cursor:]))
    return f'<div class="fa-text fa-summary-text">{"".join(parts)}</div>'


def claim_choice(claim: Claim, n_sources: int) -> str:
    """The label of a claim in the claim picker."""
    text = claim.shown_text
    short = text if len(text) <= 90 else text[:87] + "..."
    status = STATUS_TEXT[claim_status(claim, n_sources)]
    return f"{claim.index + 1}. [{status}, {PROBABILITY} {claim.score:.2f}] {short}"


def support_for(claim: Claim, source_id: str) -> SourceSupport:
    """How this source bears on the claim (an unsupported entry with the claim's best evidence from it when
    the claim carries none for the source)."""
    for support in claim.support:
        if support.source_id == source_id:
            return support
    return SourceSupport(
        source_id, "unsupported", 0.0, [ev for ev in claim.evidence if ev.source_id == source_id]
    )


def evidence_status(support: SourceSupport, evidence: Evidence) -> str:
    """How to mark one evidence sentence: the source's label, except that in a contradicting source only
    the sentences that conflict with the claim are marked so (all, when none does on its own); the others
    are context."""
    elsewhere = support.conflicting and evidence.sentence_index not in support.conflicting
    if support.label == "contradicted" and elsewhere:
        return "context"
    return support.label


def highlighted_text(text: str, evidence: Iterable[Evidence], status: Callable[[Evidence], str]) -> str:
    """``text`` escaped, with each evidence span wrapped in ``<mark>`` carrying its status and score."""
    parts, cursor = [], 0
    for ev in sorted(evidence, key=lambda e: e.span.start):
        start, end = ev.span.start, ev.span.end
        if start < cursor or end > len(text) or end <= start:
            continue
        parts.append(escape(text[cursor:start]))
        parts.append(
            f'<mark class="fa-ev fa-ev-{status(ev)}" data-score="{ev.score:.2f}" '
            f'title="{RELEVANCE} {ev.score:.2f}">{escape(text[start:end])}</mark>'
            f'<span class="fa-score">[{RELEVANCE} {ev.score:.2f}]</span>'
        )
        cursor = end
    parts.append(escape(text[cursor:]))
    return "".join(parts)


def _source_panel(source: Source, claim: Claim | None) -> str:
    body, note = escape(source.text), ""
    if claim is not None:
        support = support_for(claim, source.id)
        body = highlighted_text(source.text, support.evidence, partial(evidence_status, support))
        scored = any(s is support for s in claim.support)  # not the stand-in of support_for
        note = escape(support.label) + (f", {PROBABILITY} {support.score:.2f}" if scored else "")
        if support.label == "contradicted" and support.conflicting:
            note += ": red where it conflicts with the claim, grey the rest of its evidence"
    if source.page_dates:
        note = f"dated {escape('; '.join(source.page_dates))}" + (f" | {note}" if note else "")
    return (
        f'<div class="fa-source" data-source="{escape(source.id)}">'
        f"<h4>{escape(source.id)}: {escape(source.title)}</h4>"
        f'<div class="fa-muted">{escape(source.origin)}{" | " + note if note else ""}</div>'
        f'<div class="fa-text">{body}</div></div>'
    )


def sources_html(report: Report, claim_index: int | None = None) -> str:
    """All sources side by side, with the selected claim's evidence highlighted in each."""
    claim = report.claims[claim_index] if claim_index is not None else None
    panels = "".join(_source_panel(source, claim) for source in report.sources)
    return f'<div class="fa-sources">{panels}</div>'


def claim_detail_html(report: Report, claim_index: int | None) -> str:
    """Why the claim got its verdict: support probability, reasons, and what each source says."""
    if claim_index is None:
        return '<p class="fa-muted">Select a claim to see its evidence.</p>'
    claim = report.claims[claim_index]
    status = claim_status(claim, len(report.sources))
    reasons = "".join(f"<li>{escape(reason)}</li>" for reason in claim.reasons)
    backing = (
        f"supported by: {escape(', '.join(claim.supported_by) or 'none')}; "
        f"contradicted by: {escape(', '.join(claim.contradicted_by) or 'none')}"
    )
    judged = any(s.judge is not None for s in claim.support)
    rows = "".join(
        f"<tr><td>{escape(s.source_id)}</td><td>{_badge(s.label)} {PROBABILITY} {s.score:.2f}</td>"
        f"<td>{escape(checker_text(s))}</td>"
        + (f"<td class='fa-judge'>{escape(judge_text(s))}</td>" if judged else "")
        + f"<td>{escape('; '.join(s.reasons))}</td></tr>"
        for s in claim.support
    )
    judge_head = "<th>Verifier and LLM judge</th>" if judged else ""
    table = (
        '<table class="fa-table"><tr><th>Source</th><th>Verdict</th><th>Claim checker</th>'
        f"{judge_head}<th>Why</th></tr>{rows}</table>"
        if rows
        else ""
    )
    decided = decided_text(claim)
    if decided:
        backing += f"; {decided}"
    return (
        f"<div class='fa-claim-detail'><p><b>Claim {claim.index + 1}</b>: {escape(claim.shown_text)}</p>"
        f"<p>{_badge(status)} {PROBABILITY} <b>{claim.score:.2f}</b> "
        f"<span class='fa-muted'>{backing}</span></p>"
        f"<ul>{reasons}</ul>{table}</div>"
    )


def agreement_html(report: Report) -> str:
    """A claims x sources table: how each source bears on each claim."""
    head = "".join(f"<th>{escape(s.id)}: {escape(s.title)}</th>" for s in report.sources)
    rows = []
    for claim in report.claims:
        status = claim_status(claim, len(report.sources))
        cells = []
        for source in report.sources:
            support = next((s for s in claim.support if s.source_id == source.id), None)
            if support is None:
                cells.append("<td>-</td>")
                continue
            badge = _badge(support.label, f"{support.label}, {PROBABILITY} {support.score:.2f}")
            judged = (
                f"<br><span class='fa-muted'>{escape(judge_text(support))}</span>" if support.judge else ""
            )
            cells.append(f"<td>{badge}{judged}</td>")
        rows.append(
            f"<tr><td>{claim.index + 1}. {escape(claim.shown_text)}</td>"
            f"<td>{_badge(status)} {PROBABILITY} {claim.score:.2f}</td>{''.join(cells)}</tr>"
        )
    return (
        f'<table class="fa-table" id="fa-agreement-table"><tr><th>Claim</th><th>Verdict</th>{head}</tr>'
        f"{''.join(rows)}</table>"
    )


def _conflict_html(conflict: Conflict) -> str:
    items = "".join(
        f"<li><b>{escape(v.source_id)}</b>: <code>{escape(v.value)}</code> "
        f'<span class="fa-muted">"{escape(v.evidence.text)}"</span></li>'
        for v in conflict.values
    )
    return f"<div><p><b>{escape(conflict.kind)}</b>: {escape(conflict.topic)}</p><ul>{items}</ul></div>"


def conflicts_html(report: Report) -> str:
    """Facts on which the sources disagree with each other."""
    if len(report.sources) < 2:
        return '<p class="fa-muted">Conflicts are looked for between two or more sources.</p>'
    if not report.conflicts:
        return "<p>No conflicting numbers, dates, names or opposite words found between the sources.</p>"
    return "".join(_conflict_html(conflict) for conflict in report.conflicts)
