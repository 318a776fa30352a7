"""The path of a check, top to bottom: ingest, sentences, summary, claims, evidence, verdicts, conflicts."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

from . import claims as claims_stage
from . import conflicts as conflicts_stage
from . import ingest, models, retrieve, summarize, verify
from .errors import InputError
from .sentences import split_sentences
from .types import CheckSettings, Report, Source

log = logging.getLogger(__name__)

# progress(fraction, message): the CLI wires it to tqdm, the UI to gr.Progress.
Progress = Callable[[float, str], None]


def _no_progress(fraction: float, message: str) -> None:
    log.debug("%3.0f%% %s", 100 * fraction, message)


def load_sources(documents: Sequence[str | Source], settings: CheckSettings) -> list[Source]:
    """Turn paths, URLs, raw text or ready Sources into Sources with sentences."""
    if not documents:
        raise InputError("no documents given: pass at least one file, URL or text")
    sources = []
    for number, document in enumerate(documents, start=1):
        source_id = f"S{number}"
        if isinstance(document, Source):
            source = replace(document, id=document.id or source_id)
        else:
            source = ingest.load(
                document, source_id=source_id, allow_private_urls=settings.allow_private_urls
            )
        if not source.sentences:
            source.sentences = split_sentences(source.text)
        if not source.sentences:
            raise InputError(f"{source.origin}: no sentence found in the document")
        sources.append(source)
    return sources


def check(
    documents: Sequence[str | Source],
    summary: str | None = None,
    settings: CheckSettings | None = None,
    progress: Progress = _no_progress,
) -> Report:
    """Summarize ``documents`` (or take the user's ``summary``) and check every claim against them."""
    settings = settings or CheckSettings()
    progress(0.0, "reading documents")
    sources = load_sources(documents, settings)
    warnings = ingest.duplicate_warnings(sources) + [w for s in sources for w in s.warnings]

    embedder = models.get_embedder(settings.embedder)
    index = retrieve.EvidenceIndex(sources, embedder)

    if summary is None:
        progress(0.15, f"writing a summary ({settings.mode})")
        summary = summarize.summarize(sources, settings, index)
        origin = settings.mode
    else:
        if not summary.strip():
            raise InputError("the summary to check is empty")
        origin = "user"

    progress(0.5, "splitting the summary into claims")
    claims = claims_stage.split_claims(summary)
    if not claims:
        raise InputError("the summary holds no checkable claim")

    progress(0.6, "retrieving evidence")
    candidates = index.search([c.text for c in claims], top_k=settings.top_k)

    progress(0.75, "judging claims")
    claims = verify.get_verifier(settings).judge(claims, candidates, sources)

    progress(0.9, "comparing sources")
    conflicts = conflicts_stage.find_conflicts(sources, index) if len(sources) > 1 else []

    progress(1.0, "done")
    return Report(sources, summary, origin, claims, conflicts, settings, warnings)
