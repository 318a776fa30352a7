"""Metrics of the field's protocols: ROC AUC, balanced accuracy at a tuned threshold, hit@k, complete@k.

Threshold rule everywhere: a score ``>= threshold`` predicts the positive class (1 = consistent/supported).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence

import numpy as np
from sklearn.metrics import balanced_accuracy_score, roc_auc_score, roc_curve

_WORD = re.compile(r"\w+")

# How a summary's claim scores become one summary score: a summary is only as good as its worst claim.
Aggregator = Callable[[Sequence[float]], float]


def min_over_claims(scores: Sequence[float]) -> float:
    """The field's convention (SummaC, MiniCheck): the summary score is its weakest claim's score."""
    if not scores:
        raise ValueError("cannot aggregate zero claim scores")
    return float(min(scores))


def mean_over_claims(scores: Sequence[float]) -> float:
    if not scores:
        raise ValueError("cannot aggregate zero claim scores")
    return float(sum(scores) / len(scores))


AGGREGATORS: dict[str, Aggregator] = {"min": min_over_claims, "mean": mean_over_claims}
# A summary's consistency score is the mean of its claims' probabilities (chosen on the dev files by
# 5-fold CV in eval/RESULTS.md: the min lets one misjudged claim sink a long faithful summary). A claim's
# own label, and WiCE's verdict, need every part supported: the min, at the cautious claim threshold.
SUMMARY_AGGREGATE = "mean"
CLAIM_AGGREGATE = "min"


def word_overlap(summary: str, document: str) -> float:
    """Share of the summary's (lower-cased) words that occur anywhere in the document: the floor signal."""
    words = _WORD.findall(summary.lower())
    if not words:
        return 0.0
    vocabulary = set(_WORD.findall(document.lower()))
    return sum(word in vocabulary for word in words) / len(words)


def _finite(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def roc_auc(labels: Sequence[int], scores: Sequence[float]) -> float | None:
    """ROC AUC, or None when only one class is present (AUC is undefined then)."""
    if len(set(labels)) < 2:
        return None
    return _finite(roc_auc_score(labels, scores))


def balanced_accuracy(labels: Sequence[int], scores: Sequence[float], threshold: float) -> float | None:
    if not labels:
        return None
    predictions = (np.asarray(scores, dtype=float) >= threshold).astype(int)
    return _finite(balanced_accuracy_score(labels, predictions))


def best_threshold(labels: Sequence[int], scores: Sequence[float]) -> float:
    """The threshold that maximises balanced accuracy on (labels, scores); ties go to the highest one."""
    if len(set(labels)) < 2:
        raise ValueError("threshold tuning needs both classes in the tuning rows")
    fpr, tpr, thresholds = roc_curve(labels, scores)
    best = int(np.argmax(tpr - fpr))  # balanced accuracy = (tpr + 1 - fpr) / 2
    threshold = float(thresholds[best])
    if math.isinf(threshold):  # roc_curve's "predict nothing positive" point
        threshold = float(np.nextafter(max(scores), np.inf))
    return threshold


def best_balanced_accuracy_by_group(
    labels: Sequence[int], scores: Sequence[float], groups: Sequence[str]
) -> float | None:
    """The whole set's best balanced accuracy when each group (a file's subsets) gets its own threshold:
    an in-sample upper bound on what the score can reach by also knowing the group.

    Balanced accuracy is (TP / P + TN / N) / 2 over the whole set, a sum over groups, so each group's
    threshold is chosen on its own to maximise its share TP_g / P + TN_g / N.
    """
    labels_, scores_, groups_ = np.asarray(labels), np.asarray(scores, dtype=float), np.asarray(groups)
    positives, negatives = int(labels_.sum()), int((labels_ == 0).sum())
    if not positives or not negatives:
        return None
    total = 0.0
    for group in np.unique(groups_):
        y, s = labels_[groups_ == group], scores_[groups_ == group]
        candidates = np.append(np.unique(s), np.inf)  # inf: predict every row negative
        predicted = s[None, :] >= candidates[:, None]
        shares = (predicted & (y == 1)).sum(1) / positives + (~predicted & (y == 0)).sum(1) / negatives
        total += float(shares.max())
    return total / 2


def hit_at_k(ranked: Sequence[int], gold_sets: Iterable[Iterable[int]], k: int) -> bool:
    """At least one gold sentence (from any gold set) among the top k."""
    top = set(ranked[:k])
    return any(index in top for gold in gold_sets for index in gold)


def complete_at_k(ranked: Sequence[int], gold_sets: Iterable[Iterable[int]], k: int) -> bool:
    """Some gold set lies entirely within the top k."""
    top = set(ranked[:k])
    return any(set(gold) <= top for gold in gold_sets if gold)


def mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return float(sum(values) / len(values)) if values else None


def markdown_table(rows: list[dict]) -> str:
    """A Markdown table of dict rows (the first row's keys are the columns); floats to 3 decimals."""
    if not rows:
        return "(no rows)"
    columns = list(rows[0])

    def cell(value) -> str:
        if value is None:
            return "–"
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines)
