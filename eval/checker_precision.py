"""The claim checker in bfloat16 beside float32: speed and agreement on held-out NLI pairs.

    python -m eval checker-precision --nli ../shared/data/nli

150 pairs each of the held-out rows of MultiNLI and FEVER-NLI (eval/train_checker.py's split) and of RTE
and SummEdits, which training never saw; the figures behind ``models.native_bfloat16``.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
import time
from pathlib import Path

import numpy as np

from factaid import models, verify

from . import train_checker

SETS = ("mnli_3class_devm_taxinli", "docnli_fever_binary", "rte_glue", "summedits_benchmark")
PER_SET = 150


def _pairs(folder: Path) -> list[train_checker.Pair]:
    pairs = []
    for stem in SETS:
        rows = train_checker.read_set(folder, stem)
        if stem in train_checker.TRAIN:
            rows = [p for p in rows if train_checker._held_out(p.premise)]
        pairs += random.Random(0).sample(rows, PER_SET)
    return pairs


def _timed(scorer: verify.NLIScorer, pairs, bfloat16: bool) -> tuple[np.ndarray, float]:
    scorer.nli.bfloat16 = bfloat16
    premises, claims = [p.premise for p in pairs], [p.claim for p in pairs]
    scorer.probabilities(premises[:32], claims[:32])  # warm up
    started = time.perf_counter()
    found = scorer.probabilities(premises, claims)
    seconds = time.perf_counter() - started
    return np.array([[f[label] for label in models.CHECKER_LABELS] for f in found]), seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval checker-precision", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--nli", type=Path, required=True, help="the folder of NLI sets (../shared/data/nli)")
    args = parser.parse_args(argv)
    pairs = _pairs(args.nli)
    scorer = verify.NLIScorer(models.get_checker())
    shipped = scorer.nli.bfloat16
    try:
        full, full_s = _timed(scorer, pairs, bfloat16=False)
        half, half_s = _timed(scorer, pairs, bfloat16=True)
    finally:
        scorer.nli.bfloat16 = shipped
    # The other way to bfloat16: the weights themselves cast, so nothing is cast while scoring.
    import copy

    import torch

    cast = copy.deepcopy(scorer.nli.model).to(torch.bfloat16)
    cast_scorer = verify.NLIScorer(dataclasses.replace(scorer.nli, model=cast))
    weights, weights_s = _timed(cast_scorer, pairs, bfloat16=False)
    print(
        f"{len(pairs)} pairs; float32 {len(pairs) / full_s:.1f} pairs/s, bfloat16 autocast "
        f"{len(pairs) / half_s:.1f}, bfloat16 weights {len(pairs) / weights_s:.1f}"
    )
    for name, found in (("autocast", half), ("weights", weights)):
        same = np.mean(full.argmax(1) == found.argmax(1))
        print(
            f"bfloat16 {name}: same most probable label as float32 {same:.3f}; "
            f"largest probability difference {np.abs(full - found).max():.3f}"
        )
    print(f"this CPU multiplies bfloat16 natively: {models.native_bfloat16()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
