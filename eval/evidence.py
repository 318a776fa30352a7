"""Claims with gold evidence (WiCE): does factaid find the evidence, and does it judge the claim right?

Retrieval: the row's candidate sentences become one Source (kept as given, not re-split); factaid's
hybrid ranking is compared with BM25 alone and embeddings alone, by hit@k and complete@k over claims
labelled supported or partially supported. Verdict (LLM-AggreFact protocol): supported = 1, the rest 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from factaid.errors import InputError

from . import common, metrics
from .runner import read_rows

FIELDS = ("claim", "sentences", "gold_evidence", "label")
LABELS = ("supported", "partially_supported", "not_supported")
EVIDENCE_LABELS = ("supported", "partially_supported")
TOP_K = 5
KS = (1, 3, 5)
METHODS = ("factaid", "bm25", "embedding")


def load_rows(path: Path, limit: int | None) -> list[dict]:
    rows = read_rows(path, limit, FIELDS)
    for row in rows:
        if row["label"] not in LABELS:
            raise InputError(
                f"{path}: row {row['id']!r} has label {row['label']!r}; expected one of {LABELS}"
            )
        if not row["sentences"]:
            raise InputError(f"{path}: row {row['id']!r} has no candidate sentences")
    return rows


def warm_up(options: dict) -> None:
    common.embedder()


def _top(scores: np.ndarray, k: int = TOP_K) -> list[int]:
    """Indices of the k best scores; ties keep document order (stable sort), so runs are deterministic."""
    return [int(i) for i in np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")[:k]]


def rankings(claim: str, source) -> dict[str, list[int]]:
    """Top-k sentence indices of the claim by factaid's hybrid retrieval and by each half of it alone."""
    from rank_bm25 import BM25Okapi

    from factaid import retrieve

    embedder = common.embedder()
    index = retrieve.EvidenceIndex([source], embedder)
    hybrid = index.search([claim], top_k=TOP_K)[0][source.id]
    cosine = index.embeddings[source.id] @ embedder.encode([claim])[0]
    bm25 = BM25Okapi([retrieve.tokenize(s.text) or ["_"] for s in source.sentences])
    query = retrieve.tokenize(claim)
    lexical = bm25.get_scores(query) if query else np.zeros(len(source.sentences))
    return {
        "factaid": [e.sentence_index for e in hybrid],
        "bm25": _top(lexical),
        "embedding": _top(cosine),
    }


def score_row(row: dict, options: dict) -> dict:
    source = common.sentences_source(row["sentences"], row["id"])
    result = {
        "label": row["label"],
        "gold_evidence": row["gold_evidence"],
        "ranked": rankings(row["claim"], source),
    }
    if options.get("verify", True):
        import factaid

        try:
            report = factaid.check([source], summary=row["claim"])
            result.update(common.claim_fields(report))
        except InputError as err:  # a claim the splitter finds nothing checkable in
            result["error"] = f"{type(err).__name__}: {err}"
    return result


def retrieval_table(results: list[dict]) -> list[dict]:
    """hit@k and complete@k per method over the claims that have gold evidence."""
    rows = [r for r in results if r["label"] in EVIDENCE_LABELS and any(r["gold_evidence"])]
    table = []
    for method in METHODS:
        line: dict = {"method": method, "n": len(rows)}
        for name, hit in (("hit", metrics.hit_at_k), ("complete", metrics.complete_at_k)):
            for k in KS:
                line[f"{name}@{k}"] = metrics.mean(
                    hit(r["ranked"][method], r["gold_evidence"], k) for r in rows
                )
        table.append(line)
    return table


def verdicts(results: list[dict], aggregate: metrics.Aggregator) -> tuple[list[int], list[float]]:
    checked = [r for r in results if r.get("claim_scores")]
    return [int(r["label"] == "supported") for r in checked], [aggregate(r["claim_scores"]) for r in checked]


def shipped_labels_row(results: list[dict]) -> dict:
    """Balanced accuracy of factaid's own labels: the claim is supported iff all its parts are."""
    checked = [r for r in results if r.get("claim_labels")]
    labels = [int(r["label"] == "supported") for r in checked]
    predicted = [float(all(label == "supported" for label in r["claim_labels"])) for r in checked]
    return {
        "signal": "factaid labels as shipped",
        "n": len(checked),
        "auc": None,
        "bal_acc": metrics.balanced_accuracy(labels, predicted, 0.5),
        "threshold": None,
        "threshold_from": "verifier's own labels",
        "bal_acc_in_sample_best": None,
    }


def report(results: list[dict], tune_results: list[dict] | None, args) -> dict:
    tables = {"Evidence retrieval (supported + partially supported claims)": retrieval_table(results)}
    if any("claim_scores" in r for r in results):
        aggregate = metrics.AGGREGATORS[args.aggregate or metrics.CLAIM_AGGREGATE]
        tune = verdicts(tune_results, aggregate) if tune_results is not None else None
        package = common.package_threshold("claim") if tune is None else None
        verdict = common.signal_row("factaid claim score", *verdicts(results, aggregate), package, tune)
        tables["Verdict (supported = 1, the rest = 0)"] = [verdict, shipped_labels_row(results)]
    return {
        "rows": len(results),
        "rows_with_gold_evidence": tables[next(iter(tables))][0]["n"],
        "labels": {label: sum(r["label"] == label for r in results) for label in LABELS},
        "aggregate": args.aggregate or metrics.CLAIM_AGGREGATE,
        "tables": tables,
    }
