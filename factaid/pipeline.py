"""The path of a check, top to bottom: ingest, sentences, summary, claims, evidence, verdicts, conflicts.

Limits of one check (each refusal is an ``InputError`` that names the limit):

- ``MAX_SOURCES`` documents. 50 work; more than 100 are refused before any is read.
- ``MAX_TOTAL_CHARS`` characters of cleaned text over all documents, and ``MAX_SENTENCES`` sentences.
  Time grows with the sentence count (every sentence is embedded and parsed by spaCy; `python -m eval
  bench` measures the growth), so these bound one check's time. Larger input is refused, not cut, so no
  verdict is given on part of a document without the user knowing. Split it and check the parts.
- ``MAX_SUMMARY_CHARS`` characters of summary: every claim is parsed and judged.
- A summary longer than its sources, near-identical sources and text that does not look English are
  checked, with a warning in ``Report.warnings``: the verdicts are meant for English text.
- Overlong sentences are cut at ``sentences.MAX_SENTENCE_CHARS`` characters.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

from . import agreement, ingest, judge, llm, models, retrieve, summarize, supported, verify
from . import claims as claims_stage
from . import conflicts as conflicts_stage
from .errors import InputError
from .sentences import split_sentences
from .types import CheckSettings, Claim, Report, Source

log = logging.getLogger(__name__)

# progress(fraction, message): the CLI wires it to tqdm, the UI to gr.Progress.
Progress = Callable[[float, str], None]

MAX_SOURCES = 100
MAX_TOTAL_CHARS = 500_000  # cleaned text of all documents: about 3,500 sentences of news prose
MAX_SENTENCES = 5_000  # the same bound for text made of very short sentences
MAX_SUMMARY_CHARS = 20_000  # about 150 sentences


def _no_progress(fraction: float, message: str) -> None:
    log.debug("%3.0f%% %s", 100 * fraction, message)


def load_sources(documents: Sequence[str | Source], settings: CheckSettings) -> list[Source]:
    """Turn paths, URLs, raw text or ready Sources into Sources with sentences, within the limits."""
    if isinstance(documents, (str, Source)):
        raise InputError("pass a list of documents, not a single one: check([document])")
    if not documents:
        raise InputError("no documents given: pass at least one file, URL or text")
    if len(documents) > MAX_SOURCES:
        raise InputError(f"{len(documents)} documents given; one check takes at most {MAX_SOURCES}")
    sources, total_chars, total_sentences = [], 0, 0
    for number, document in enumerate(documents, start=1):
        source = _load_one(document, f"S{number}", settings)
        if any(source.id == other.id for other in sources):
            raise InputError(f"two documents have the id {source.id!r}; give every Source its own id")
        total_chars += len(source.text)
        _within_limit(total_chars, MAX_TOTAL_CHARS, "characters of text", source)
        if not source.sentences:
            source.sentences = split_sentences(source.text)
        if not source.sentences:
            raise InputError(f"{source.id} ({source.origin}): no sentence found in the document")
        total_sentences += len(source.sentences)
        _within_limit(total_sentences, MAX_SENTENCES, "sentences", source)
        sources.append(source)
    return sources


def _within_limit(total: int, limit: int, what: str, source: Source) -> None:
    if total > limit:
        raise InputError(
            f"the documents hold over {limit:,} {what} (reached at {source.id}, {source.origin}); "
            f"one check takes at most {limit:,}: check fewer or shorter parts"
        )


def _load_one(document: str | Source, source_id: str, settings: CheckSettings) -> Source:
    if isinstance(document, Source):
        return replace(document, id=document.id or source_id)
    if not isinstance(document, str):
        raise InputError(
            f"{source_id}: a document is a path, URL or text (str), not {type(document).__name__}"
        )
    if not document.strip():
        raise InputError(f"{source_id}: empty document; pass a file path, an http(s) URL or the text itself")
    return ingest.load(document, source_id=source_id, allow_private_urls=settings.allow_private_urls)


def check_summary(summary: str, sources: list[Source]) -> list[str]:
    """Refuse an empty or oversized user summary; warn when it is longer than its sources or not English."""
    if not isinstance(summary, str) or not summary.strip():
        raise InputError("the summary to check is empty")
    if len(summary) > MAX_SUMMARY_CHARS:
        raise InputError(
            f"the summary has {len(summary):,} characters; one check takes at most {MAX_SUMMARY_CHARS:,}"
        )
    warnings = ingest.language_warnings("the summary", summary)
    source_chars = sum(len(s.text) for s in sources)
    if len(summary.strip()) > source_chars:
        warnings.append(
            f"the summary ({len(summary.strip()):,} characters) is longer than its sources "
            f"({source_chars:,}); it was checked, but a summary should condense them"
        )
    return warnings


def check(
    documents: Sequence[str | Source],
    summary: str | None = None,
    settings: CheckSettings | None = None,
    progress: Progress = _no_progress,
) -> Report:
    """Summarize ``documents`` (or take the user's ``summary``) and check every claim against them."""
    settings = settings or CheckSettings()
    if settings.judge not in ("verifier", "llm"):
        raise InputError(f"unknown judge {settings.judge!r}: use 'verifier' or 'llm'")
    progress(0.0, "reading documents")
    sources = load_sources(documents, settings)
    warnings = ingest.duplicate_warnings(sources) + [w for s in sources for w in s.warnings]
    if summary is not None:
        warnings += check_summary(summary, sources)

    embedder = models.get_embedder(settings.embedder)
    index = retrieve.EvidenceIndex(sources, embedder)

    claims: list[Claim] | None = None
    if summary is None:
        progress(0.15, f"writing a summary ({settings.mode})")
        if settings.mode == "extractive" and len(sources) > 1:
            summarize.check_settings(settings, sources)
            summary, claims = agreement.summarize_sources(sources, settings, index)  # claims judged
            if not claims:
                raise InputError("the summary holds no checkable claim")
        else:
            summary = summarize.summarize(sources, settings, index)
        origin = settings.mode
    else:
        origin = "user"
    summary_model = llm.get_language_model(settings).name if origin == "abstractive" else ""

    if claims is None:
        claims, judge_model = _judged_claims(summary, sources, index, settings, progress)
    else:
        claims, judge_model = _llm_judged(claims, settings, progress)
    removed, filtered_from = [], ""
    if settings.supported_only and origin != "user":
        kept, removed = supported.split_by_support(summary, claims)
        if removed:
            progress(0.85, "checking the supported sentences again")
            warnings.append(supported.describe(removed, len(removed) + len(split_sentences(kept))))
            filtered_from, summary = summary, kept
            claims = _judged_claims(summary, sources, index, settings, progress)[0] if kept else []

    progress(0.9, "comparing sources")
    conflicts = conflicts_stage.find_conflicts(sources, index) if len(sources) > 1 else []

    progress(1.0, "done")
    return Report(
        sources,
        summary,
        origin,
        claims,
        conflicts,
        settings,
        warnings,
        summary_model=summary_model,
        judge_model=judge_model,
        removed=removed,
        filtered_from=filtered_from,
    )


def _judged_claims(
    summary: str,
    sources: list[Source],
    index: retrieve.EvidenceIndex,
    settings: CheckSettings,
    progress: Progress,
) -> tuple[list[Claim], str]:
    """The summary's claims with their verdicts, and the LLM judge's model when it judged too."""
    progress(0.5, "splitting the summary into claims")
    claims = claims_stage.split_claims(summary)
    if not claims:
        raise InputError("the summary holds no checkable claim")

    progress(0.6, "retrieving evidence")
    candidates = index.search([c.statement for c in claims], top_k=settings.top_k)

    progress(0.75, "judging claims")
    return _llm_judged(verify.get_verifier(settings).judge(claims, candidates, sources), settings, progress)


def _llm_judged(claims: list[Claim], settings: CheckSettings, progress: Progress) -> tuple[list[Claim], str]:
    """With ``settings.judge == "llm"``, the claims as the LLM judge labels them too, and its model."""
    if settings.judge != "llm":
        return claims, ""
    if not claims:
        raise InputError("the summary holds no checkable claim")
    progress(0.8, "asking the LLM judge")
    return judge.judge_claims(claims, settings)
