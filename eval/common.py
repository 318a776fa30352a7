"""What several tasks share: turning benchmark rows into factaid Sources, and the threshold protocol."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from factaid import ingest
from factaid.types import Report, Sentence, Source, Span

from . import metrics

log = logging.getLogger(__name__)

FALLBACK_THRESHOLD = 0.5


def embedder():
    """The pipeline's own embedder instance: called as pipeline.check calls it, so the lru_cache key
    matches and sentences embedded for retrieval are not embedded again by the check."""
    from factaid import models
    from factaid.types import CheckSettings

    return models.get_embedder(CheckSettings().embedder)


def settings(options: dict, **fields):
    """The CheckSettings of a run: the defaults, the LLM options given on the command line
    (``options["llm"]``), then ``fields``."""
    from factaid.types import CheckSettings

    return CheckSettings(**{**options.get("llm", {}), **fields})


def text_source(text: str, row_id: str) -> Source:
    """A document given as text, cleaned as pasted text is (never read as a path or URL)."""
    return ingest.from_text(text, source_id="S1", title=row_id)


def sentences_source(sentences: Sequence[str], row_id: str) -> Source:
    """A Source over given sentences, kept as they are (no re-splitting): text is their newline join."""
    parts, cursor = [], 0
    for index, sentence in enumerate(sentences):
        parts.append(Sentence(index, sentence, Span(cursor, cursor + len(sentence))))
        cursor += len(sentence) + 1
    return Source(id="S1", title=row_id, origin="text", text="\n".join(sentences), sentences=parts)


def claim_fields(report: Report) -> dict:
    """Per-claim scores and labels of a report, as stored in rows.jsonl (aggregated at report time)."""
    return {
        "claim_scores": [float(claim.score) for claim in report.claims],
        "claim_labels": [claim.label for claim in report.claims],
    }


def _claim_threshold() -> float:
    from factaid import verify

    return verify.load_calibration().threshold


def _summary_threshold() -> float:
    from factaid import verify

    return verify.summary_threshold()


# Where the shipped thresholds come from: a claim is supported / a summary consistent at or above them.
PACKAGE_THRESHOLDS = {
    "claim": (_claim_threshold, "factaid calibration: threshold"),
    "summary": (_summary_threshold, "factaid.verify.summary_threshold()"),
}


def package_threshold(kind: str) -> tuple[float, str]:
    """The decision threshold shipped with factaid, or 0.5 (with a warning) if the package has none yet."""
    getter, origin = PACKAGE_THRESHOLDS[kind]
    try:
        return float(getter()), origin
    except (ImportError, AttributeError, KeyError) as err:
        log.warning("no shipped %s threshold (%s): using %.2f", kind, err, FALLBACK_THRESHOLD)
        return FALLBACK_THRESHOLD, f"fallback {FALLBACK_THRESHOLD}"


def signal_row(
    name: str,
    labels: list[int],
    scores: list[float],
    threshold: tuple[float, str] | None,
    tune: tuple[list[int], list[float]] | None,
) -> dict:
    """One table row for a score: AUC, balanced accuracy at the protocol's threshold, in-sample best.

    Threshold: tuned on ``tune`` when given, else ``threshold`` (the package's), else the in-sample best
    (optimistic, marked as such).
    """
    if tune is not None:
        chosen, origin = metrics.best_threshold(*tune), "tuned on --tune"
    elif threshold is not None:
        chosen, origin = threshold
    elif len(set(labels)) == 2:
        chosen, origin = metrics.best_threshold(labels, scores), "in-sample (optimistic)"
    else:
        chosen, origin = FALLBACK_THRESHOLD, f"fallback {FALLBACK_THRESHOLD}"
    in_sample = (
        metrics.balanced_accuracy(labels, scores, metrics.best_threshold(labels, scores))
        if len(set(labels)) == 2
        else None
    )
    return {
        "signal": name,
        "n": len(labels),
        "auc": metrics.roc_auc(labels, scores),
        "bal_acc": metrics.balanced_accuracy(labels, scores, chosen),
        "threshold": round(chosen, 4),
        "threshold_from": origin,
        "bal_acc_in_sample_best": in_sample,
    }
