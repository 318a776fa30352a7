"""How much the extractive summary favours a source's first sentences (``summarize.LEAD_WEIGHT``).

``python -m eval lead-weight --data FILE.jsonl [--weights 0.15,0.5,1] [--sentences 3] [--limit N]``
reads a summary file (documents with references), writes the extractive summary of every document at
each weight, and prints ROUGE for each beside Lead-3, then a two-fold held-out figure: the weight that
scores best on the even rows is scored on the odd ones and the reverse, so the weight shipped is not
judged on the rows that chose it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tqdm import tqdm

from factaid import models, pipeline, retrieve, summarize
from factaid.types import CheckSettings

from . import common, metrics
from .summary import ROUGE_TYPES, lead3, load_rows, rouge

DEFAULT_WEIGHTS = (0.15, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)


def objective(scores: dict[str, float]) -> float:
    """What a weight is chosen by: the mean of ROUGE-1, -2 and -L."""
    return (scores["rouge1"] + scores["rouge2"] + scores["rougeL"]) / 3


def two_fold(per_weight: dict[float, list[dict[str, float]]]) -> tuple[list[float], list[dict[str, float]]]:
    """The weight chosen on each fold's other rows (fold 0: even rows are held out), and every row's
    scores under the weight its fold did not choose on."""
    count = len(next(iter(per_weight.values())))
    chosen, held = [], [{} for _ in range(count)]
    for fold in (0, 1):

        def training_score(weight: float, fold: int = fold) -> float:
            return metrics.mean(objective(s) for i, s in enumerate(per_weight[weight]) if i % 2 != fold)

        best = max(per_weight, key=training_score)
        chosen.append(best)
        for i in range(fold, count, 2):
            held[i] = per_weight[best][i]
    return chosen, held


def _means(rows: list[dict[str, float]]) -> str:
    return " | ".join(f"{metrics.mean(r[name] for r in rows):.1f}" for name in ROUGE_TYPES)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval lead-weight", description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="a summary-task JSONL file")
    parser.add_argument("--weights", default=",".join(map(str, DEFAULT_WEIGHTS)))
    parser.add_argument("--sentences", type=int, default=3)
    parser.add_argument("--limit", type=int)
    args = parser.parse_args(argv)
    weights = [float(w) for w in args.weights.split(",") if w.strip()]
    rows = load_rows(args.data, args.limit)
    if len(rows) < 2 or not weights:
        parser.error("need at least two rows and one weight")
    settings = CheckSettings(summary_sentences=args.sentences)
    embedder = models.get_embedder()
    prepared = []
    for row in tqdm(rows, desc="documents"):
        sources = pipeline.load_sources([common.text_source(row["document"], row["id"])], settings)
        prepared.append((row, sources, retrieve.EvidenceIndex(sources, embedder)))
    shipped = summarize.LEAD_WEIGHT
    per_weight: dict[float, list[dict[str, float]]] = {}
    try:
        for weight in tqdm(weights, desc="weights"):
            summarize.LEAD_WEIGHT = weight
            per_weight[weight] = [
                rouge(row["reference"], summarize.summarize(sources, settings, index))
                for row, sources, index in prepared
            ]
    finally:
        summarize.LEAD_WEIGHT = shipped
    print(f"| lead weight (shipped {shipped}) | {' | '.join(ROUGE_TYPES)} |")
    print("|---" * (len(ROUGE_TYPES) + 1) + "|")
    print(f"| Lead-3 | {_means([rouge(row['reference'], lead3(row['document'])) for row in rows])} |")
    for weight, scores in per_weight.items():
        print(f"| {weight} | {_means(scores)} |")
    chosen, held = two_fold(per_weight)
    print(f"| held out, two folds (chose {chosen[0]} and {chosen[1]}) | {_means(held)} |")
    return 0
