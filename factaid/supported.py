"""Keep of a written summary only what the sources support (``CheckSettings.supported_only``).

An LLM's summary may state things no source says. This stage takes the verifier's verdicts on its claims
and removes every summary sentence that holds a claim no source supports, naming each removed sentence,
its unsupported claims and the verifier's reasons; what is left is checked again as the summary.
"""

from __future__ import annotations

from .sentences import split_sentences
from .types import Claim, RemovedSentence


def split_by_support(summary: str, claims: list[Claim]) -> tuple[str, list[RemovedSentence]]:
    """(the summary without the sentences that hold an unsupported claim, those sentences)."""
    kept: list[str] = []
    removed: list[RemovedSentence] = []
    for sentence in split_sentences(summary):
        inside = [c for c in claims if c.span.start < sentence.span.end and c.span.end > sentence.span.start]
        failing = [c for c in inside if c.label != "supported"]
        if not failing:
            kept.append(sentence.text)
            continue
        reasons = list(dict.fromkeys(reason for c in failing for reason in c.reasons))
        removed.append(
            RemovedSentence(sentence.text, [c.text for c in failing], [c.label for c in failing], reasons)
        )
    return " ".join(kept), removed


def describe(removed: list[RemovedSentence], total: int) -> str:
    """The report's warning: how many sentences were removed, and why."""
    parts = []
    for sentence in removed:
        claims = ", ".join(f'{label}: "{claim}"' for claim, label in zip(sentence.claims, sentence.labels))
        why = f"; {'; '.join(sentence.reasons)}" if sentence.reasons else ""
        parts.append(f'"{sentence.text}" ({claims}{why})')
    return (
        f"removed {len(removed)} of {total} summary sentences whose claims no source supports: "
        + " | ".join(parts)
    )
