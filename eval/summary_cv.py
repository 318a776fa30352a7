"""The extractive summary's choices, judged on rows that did not make them.

``python -m eval summary-cv --data FILE.jsonl [--folds 5] [--sentences 3] [--limit N]`` reads a summary
file (documents with references), writes every document's extractive summary under each setting of each
variant below, and cross-validates: in each fold, a variant's setting is the one with the best mean
ROUGE-1/2/L on the other folds' rows, and it is scored on the fold's own. Rows are dealt to folds within
each ``dataset`` (CNN/DM, XSum, ...), and each dataset is reported apart, with Lead-3 beside it.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from factaid import models, pipeline, retrieve, summarize
from factaid.summarize import Weights
from factaid.types import CheckSettings

from . import common, metrics
from .summary import lead3, load_rows, rouge

SCORED = ("rouge1", "rouge2", "rougeL")


@dataclass(frozen=True)
class Setting:
    """One setting a variant's folds choose from: the summarizer's weights, and the weight of PacSum's
    directed centrality, a signal measured here and not shipped (``directed_centrality``)."""

    weights: Weights
    directed: float = 0.0


def _grid(directed: tuple[float, ...] = (0.0,), **values: tuple) -> list[Setting]:
    settings: list[dict] = [{}]
    for name, options in values.items():
        settings = [{**s, name: option} for s in settings for option in options]
    return [Setting(replace(summarize.WEIGHTS, **s), d) for s in settings for d in directed]


# The shipped summarizer's grid, and variants with one part added, changed or taken out; the folds choose
# each variant's setting from its small grid.
LEAD, FREQUENCY = (1.0, 2.0), (0.5, 1.0)
VARIANTS: dict[str, list[Setting]] = {
    "shipped: lead + word frequency, 20 words a sentence": _grid(lead=LEAD, frequency=FREQUENCY),
    "+ directed centrality (PacSum)": _grid(directed=(0.5, 1.0), lead=LEAD, frequency=FREQUENCY),
    "- word frequency": _grid(lead=LEAD, frequency=(0.0,)),
    "- lead bias": _grid(lead=(0.0,), frequency=FREQUENCY),
    "- word budget (whole sentences)": _grid(lead=LEAD, frequency=FREQUENCY, words_per_sentence=(0,)),
    "+ redundancy bar 0.75 within a source": _grid(lead=LEAD, frequency=FREQUENCY, redundant=(0.75,)),
    "+ words a sentence chosen from 17, 20, 23": _grid(
        lead=LEAD, frequency=FREQUENCY, words_per_sentence=(17, 20, 23)
    ),
}
# PacSum's weight of a sentence's similarity to the sentences before it (those after it weigh 1): a
# sentence that later ones elaborate leads a topic; one that repeats earlier ones does not.
PRECEDING_WEIGHT = -1.0


def directed_centrality(similarity: np.ndarray) -> np.ndarray:
    """PacSum (Zheng and Lapata 2019) in one document: similarity to later sentences plus
    ``PRECEDING_WEIGHT`` times that to earlier ones, each edge above the document's smallest similarity."""
    off = similarity[~np.eye(len(similarity), dtype=bool)]
    edges = np.clip(similarity - (off.min() if len(off) else 0.0), 0.0, None)
    return np.triu(edges, 1).sum(axis=1) + PRECEDING_WEIGHT * np.tril(edges, -1).sum(axis=1)


def summary_of(sources, embeddings, setting: Setting, sentences: int) -> str:
    """One document's extractive summary: ``words_per_sentence`` 0 counts whole sentences instead."""
    weights = setting.weights
    candidates, vectors = summarize.rank_candidates(sources, embeddings, weights)
    if setting.directed and len(candidates) > 1:
        extra = setting.directed * summarize.scaled(directed_centrality(vectors @ vectors.T))
        candidates = [replace(c, score=c.score + float(e)) for c, e in zip(candidates, extra, strict=True)]
    if weights.words_per_sentence == 0:
        candidates = [replace(c, words=1) for c in candidates]
        budget = sentences
    else:
        budget = sentences * weights.words_per_sentence
    chosen = summarize.select(candidates, vectors, budget, weights.redundant)
    return " ".join(c.text for c in summarize.reading_order(candidates, chosen))


def gain_interval(system: list[dict], baseline: list[dict], name: str, resamples: int = 2000) -> str:
    """Mean of system minus baseline over rows, with a 95% bootstrap interval (seeded)."""
    differences = np.array([s[name] - b[name] for s, b in zip(system, baseline, strict=True)])
    rng = np.random.default_rng(0)
    means = np.sort(rng.choice(differences, (resamples, len(differences))).mean(axis=1))
    low, high = means[int(0.025 * resamples)], means[int(0.975 * resamples) - 1]
    return f"{differences.mean():+.1f} ({low:+.1f}, {high:+.1f})"


def objective(scores: dict[str, float]) -> float:
    return sum(scores[name] for name in SCORED) / len(SCORED)


def folds_of(datasets: list[str], count: int) -> list[int]:
    """Each row's fold: rows dealt in turn within each dataset, so every fold holds some of each."""
    seen: dict[str, int] = {}
    folds = []
    for name in datasets:
        folds.append(seen.get(name, 0) % count)
        seen[name] = seen.get(name, 0) + 1
    return folds


def cross_validate(per_setting: list[list[dict]], folds: list[int]) -> tuple[list[int], list[dict]]:
    """For each fold, the setting best on the other folds' rows; every row scored under its fold's."""
    chosen, held = [], [{} for _ in folds]
    for fold in sorted(set(folds)):
        train = [i for i, f in enumerate(folds) if f != fold]
        best = max(
            range(len(per_setting)),
            key=lambda s: metrics.mean(objective(per_setting[s][i]) for i in train),
        )
        chosen.append(best)
        for i, f in enumerate(folds):
            if f == fold:
                held[i] = per_setting[best][i]
    return chosen, held


def _means(rows: list[dict]) -> str:
    return " | ".join(f"{metrics.mean(r[name] for r in rows):.1f}" for name in SCORED)


def cv_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval summary-cv", description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="a summary-task JSONL file")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--sentences", type=int, default=3)
    parser.add_argument("--limit", type=int)
    args = parser.parse_args(argv)
    rows = load_rows(args.data, args.limit)
    if len(rows) < args.folds:
        parser.error("need at least one row per fold")
    embedder = models.get_embedder()
    prepared = []
    for row in tqdm(rows, desc="documents"):
        sources = pipeline.load_sources([common.text_source(row["document"], row["id"])], CheckSettings())
        prepared.append((sources, retrieve.EvidenceIndex(sources, embedder).embeddings))
    datasets = [row.get("dataset", "all") for row in rows]
    folds = folds_of(datasets, args.folds)
    lead = [rouge(row["reference"], lead3(row["document"])) for row in rows]
    columns = " | ".join(SCORED)
    print(
        f"| system ({args.folds}-fold held out) | dataset | n | {columns} | ROUGE-1, ROUGE-2 minus Lead-3 "
        "(95% interval) | settings chosen |"
    )
    print("|---" * 8 + "|")
    for name in sorted(set(datasets)):
        members = [i for i, d in enumerate(datasets) if d == name]
        print(f"| Lead-3 | {name} | {len(members)} | {_means([lead[i] for i in members])} | | |")
    for variant, grid in tqdm(VARIANTS.items(), desc="variants"):
        per_setting = []
        for setting in tqdm(grid, desc=variant[:24], leave=False):
            summaries = [summary_of(s, e, setting, args.sentences) for s, e in prepared]
            per_setting.append([rouge(row["reference"], x) for row, x in zip(rows, summaries, strict=True)])
        chosen, held = cross_validate(per_setting, folds)
        settings = "; ".join(sorted({_describe(grid[c]) for c in chosen}))
        for name in sorted(set(datasets)):
            members = [i for i, d in enumerate(datasets) if d == name]
            ours, theirs = [held[i] for i in members], [lead[i] for i in members]
            gains = ", ".join(gain_interval(ours, theirs, score) for score in ("rouge1", "rouge2"))
            print(f"| {variant} | {name} | {len(members)} | {_means(ours)} | {gains} | {settings} |")
    return 0


def _describe(setting: Setting) -> str:
    weights = setting.weights
    directed = f", directed {setting.directed}" if setting.directed else ""
    return (
        f"lead {weights.lead}, frequency {weights.frequency}{directed}, words/sentence "
        f"{weights.words_per_sentence}, redundant {weights.redundant}"
    )


def main(argv: list[str]) -> int:
    return cv_main(argv)
