"""Summary-level consistency (FRANK, XSumFaith, SummaC protocol): is the summary faithful to the document?

factaid checks the summary against the document; the summary's score aggregates its claims' scores
(the mean by default, as the shipped summary threshold was fitted). The word-overlap floor is scored
beside it on the same rows, same threshold protocol. A file that mixes subsets (FRANK's CNN/DM and XSum
summaries, in its `dataset` field) also gets each subset's figures: a score can separate a file's
classes by telling its subsets apart (FRANK's XSum summaries are mostly inconsistent) rather than
faithful from unfaithful summaries.
"""

from __future__ import annotations

from pathlib import Path

from factaid.errors import InputError

from . import common, metrics
from .runner import read_rows

FIELDS = ("document", "summary", "label")


def load_rows(path: Path, limit: int | None) -> list[dict]:
    return read_rows(path, limit, FIELDS)


def warm_up(options: dict) -> None:
    common.embedder()


def score_row(row: dict, options: dict) -> dict:
    import factaid

    result = {
        "label": int(row["label"]),
        "dataset": row.get("dataset"),
        "overlap": metrics.word_overlap(row["summary"], row["document"]),
    }
    try:
        report = factaid.check([common.text_source(row["document"], row["id"])], summary=row["summary"])
    except InputError as err:  # e.g. a summary with no checkable claim: the overlap still counts
        result["error"] = f"{type(err).__name__}: {err}"
        return result
    result.update(common.claim_fields(report))
    return result


def signals(results: list[dict], aggregate: metrics.Aggregator) -> dict[str, tuple[list, list, list]]:
    """(labels, scores, subsets) per signal; factaid's cover the rows whose summary had claims."""
    checked = [r for r in results if r.get("claim_scores")]
    return {
        "factaid": (
            [r["label"] for r in checked],
            [aggregate(r["claim_scores"]) for r in checked],
            [str(r.get("dataset")) for r in checked],
        ),
        "word overlap (floor)": (
            [r["label"] for r in results],
            [r["overlap"] for r in results],
            [str(r.get("dataset")) for r in results],
        ),
    }


def report(results: list[dict], tune_results: list[dict] | None, args) -> dict:
    aggregate_name = args.aggregate or metrics.SUMMARY_AGGREGATE
    aggregate = metrics.AGGREGATORS[aggregate_name]
    tuned = signals(tune_results, aggregate) if tune_results is not None else None
    package = common.package_threshold("summary") if tuned is None else None

    def table(rows: list[dict], suffix: str = "") -> list[dict]:
        return [
            common.signal_row(
                name + suffix,
                labels,
                scores,
                threshold=package if name == "factaid" else None,
                tune=tuned[name][:2] if tuned else None,
            )
            for name, (labels, scores, _) in signals(rows, aggregate).items()
        ]

    tables = {"Consistency (label 1 = consistent)": table(results)}
    subsets = sorted({r.get("dataset") for r in results} - {None})
    if len(subsets) > 1:
        tables["By subset (the rows' `dataset` field)"] = [
            line
            for subset in subsets
            for line in table([r for r in results if r.get("dataset") == subset], f" · {subset}")
        ]
        # How far a score could go by knowing the subset: one threshold per subset, tuned in-sample.
        tables["Whole file, one threshold per subset (in-sample upper bound)"] = [
            {
                "signal": name,
                "n": len(labels),
                "bal_acc": metrics.best_balanced_accuracy_by_group(labels, scores, subsets_of_rows),
            }
            for name, (labels, scores, subsets_of_rows) in signals(results, aggregate).items()
        ]
    return {
        "rows": len(results),
        "rows_without_claims": sum(1 for r in results if not r.get("claim_scores")),
        "positives": sum(r["label"] for r in results),
        "aggregate": aggregate_name,
        "tables": tables,
    }
