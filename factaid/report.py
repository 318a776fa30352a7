"""Renderings of a Report: JSON (the documented schema), Markdown, and one self-contained HTML page.

All three come from the same dataclasses; the HTML page reuses the web app's escaped views, so the
report and the app show the same thing and no document text is ever emitted unescaped.
"""

from __future__ import annotations

import json
from html import escape

from . import ui_render
from .errors import InputError
from .types import Claim, Report

FORMATS = ("json", "md", "html")
_MARK = {"supported": "✅", "single": "✅", "disputed": "⚖️", "contradicted": "❌", "unsupported": "⚠️"}


def to_json(report: Report) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2)


def summary_origin(report: Report) -> str:
    """How the summary came to be: "extractive", "user", or "abstractive, written by MODEL"."""
    if report.summary_model:
        return f"{report.summary_origin}, written by {report.summary_model}"
    return report.summary_origin


def _claim_markdown(claim: Claim, report: Report) -> list[str]:
    status = ui_render.claim_status(claim, len(report.sources))
    lines = [
        f"{claim.index + 1}. {_MARK[status]} **{ui_render.STATUS_TEXT[status]}** "
        f"({ui_render.PROBABILITY} {claim.score:.2f}) — {claim.shown_text}"
    ]
    for support in claim.support:
        checker = f"; {ui_render.checker_text(support)}" if support.checker else ""
        probability = f"{ui_render.PROBABILITY} {support.score:.2f}"
        lines.append(f"   - {support.source_id}: {support.label} ({probability}{checker})")
        if support.judge is not None:
            lines.append(f"     - {ui_render.judge_text(support)}")
    if decided := ui_render.decided_text(claim):
        lines.append(f"   - {decided}")
    # A supported claim's reasons come from the sources that disagree with it.
    heading = "disputed" if claim.label == "supported" else "why not"
    lines += [f"   - {heading}: {reason}" for reason in claim.reasons]
    for evidence in claim.evidence:
        support = ui_render.support_for(claim, evidence.source_id)
        conflicts = ", conflicts" if ui_render.evidence_status(support, evidence) == "contradicted" else ""
        lines.append(
            f"   - [{evidence.source_id} sentence {evidence.sentence_index}, "
            f"{ui_render.RELEVANCE} {evidence.score:.2f}{conflicts}] > {evidence.text}"
        )
    return lines


def to_markdown(report: Report) -> str:
    lines = ["# factaid report", "", f"Summary ({summary_origin(report)}):", "", f"> {report.summary}", ""]
    if report.judge_model:
        lines += [f"Claims judged by the verifier and the LLM judge {report.judge_model}.", ""]
    lines += ["## Sources", ""]
    lines += [
        f"- **{s.id}** {s.title or '(untitled)'} — {s.origin}, {len(s.sentences)} sentences"
        + (f"; dated {'; '.join(s.page_dates)}" if s.page_dates else "")
        for s in report.sources
    ]
    lines += ["", "## Claims", ""]
    for claim in report.claims:
        lines += _claim_markdown(claim, report)
    if report.conflicts:
        lines += ["", "## Where the sources disagree", ""]
        for conflict in report.conflicts:
            values = "; ".join(f"{v.source_id}: {v.value} (“{v.evidence.text}”)" for v in conflict.values)
            lines.append(f"- {conflict.kind} — {conflict.topic}: {values}")
    if report.warnings:
        lines += ["", "## Warnings", ""] + [f"- {w}" for w in report.warnings]
    return "\n".join(lines) + "\n"


def to_html(report: Report) -> str:
    """A single page with inline CSS and no script: safe to open, mail or archive."""
    evidence_views = "".join(
        f"<h3>Claim {c.index + 1}</h3>{ui_render.claim_detail_html(report, c.index)}"
        f"{ui_render.sources_html(report, c.index)}"
        for c in report.claims
    )
    warnings = "".join(f"<li>{escape(w)}</li>" for w in report.warnings)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy'"
        " content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>factaid report</title><style>{ui_render.CSS}</style></head><body>"
        f"<h1>factaid report</h1>{ui_render.legend_html()}"
        f"<h2>Summary ({escape(summary_origin(report))})</h2>{ui_render.summary_html(report)}"
        + (
            f"<p>Claims judged by the verifier and the LLM judge {escape(report.judge_model)}.</p>"
            if report.judge_model
            else ""
        )
        + f"<h2>Claims × sources</h2>{ui_render.agreement_html(report)}"
        f"<h2>Where the sources disagree</h2>{ui_render.conflicts_html(report)}"
        f"<h2>Evidence</h2>{evidence_views}"
        + (f"<h2>Warnings</h2><ul>{warnings}</ul>" if warnings else "")
        + "</body></html>"
    )


def render(report: Report, fmt: str = "json") -> str:
    """The report as ``json``, ``md`` or ``html`` text."""
    renderers = {"json": to_json, "md": to_markdown, "html": to_html}
    if fmt not in renderers:
        raise InputError(f"unknown report format {fmt!r}: choose one of {', '.join(FORMATS)}")
    return renderers[fmt](report)
