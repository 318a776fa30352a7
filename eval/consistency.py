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
    settings = common.settings(options)
    if settings.judge == "llm":
        from factaid import llm

        llm.get_language_model(settings)


def score_row(row: dict, options: dict) -> dict:
    import factaid

    result = {
        "label": int(row["label"]),
        "dataset": row.get("dataset"),
        "overlap": metrics.word_overlap(row["summary"], row["document"]),
    }
    try:
        source = common.text_source(row["document"], row["id"])
        report = factaid.check([source], summary=row["summary"], settings=common.settings(options))
    except InputError as err:  # e.g. a summary with no checkable claim: the overlap still counts
        result["error"] = f"{type(err).__name__}: {err}"
        return result
    result.update(common.claim_fields(report))
    asked = [support.judge for claim in report.claims for support in claim.support if support.judge]
    if asked:  # the LLM judge ran: the verifier's own claim labels beside the final ones
        result["verifier_claim_labels"] = [
            "supported"
            if any(s.judge.verifier_label == "supported" for s in claim.support if s.judge)
            else "not supported"
            for claim in report.claims
        ]
        result["judge_questions"] = len(asked)
        result["judge_usable_answers"] = sum(verdict.decided for verdict in asked)
    return result


def label_rows(results: list[dict]) -> list[dict]:
    """Balanced accuracy of the labels themselves: a summary is consistent when every claim is supported
    (the rule of "labels as shipped"); with the LLM judge, its labels beside the verifier's alone, and the
    share of its answers that were usable."""
    checked = [r for r in results if r.get("claim_labels")]
    labels = [r["label"] for r in checked]
    rows = []
    for name, field in (
        ("factaid labels", "claim_labels"),
        ("verifier labels alone", "verifier_claim_labels"),
    ):
        if field == "verifier_claim_labels" and not any(field in r for r in checked):
            continue
        verdicts = [
            float(all(label == "supported" for label in r.get(field, r["claim_labels"]))) for r in checked
        ]
        row = {"labels": name, "n": len(checked), "bal_acc": metrics.balanced_accuracy(labels, verdicts, 0.5)}
        row["consistent_share"] = metrics.mean(verdicts)
        rows.append(row)
    questions = sum(r.get("judge_questions", 0) for r in checked)
    if questions:
        usable = sum(r.get("judge_usable_answers", 0) for r in checked)
        rows[0]["judge_usable_answers"] = f"{usable} of {questions}"
    return rows


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
    if any("judge_questions" in r for r in results):  # the LLM judge changes labels, not probabilities
        tables["Labels (a summary is consistent when every claim is supported)"] = label_rows(results)
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
