"""Fit the verifier's signal weights and thresholds on dev files; write them into factaid/calibration.json.

    python -m eval calibrate --write \
        --consistency ../shared/data/frank_valid.jsonl ../shared/data/xsumfaith_valid.jsonl \
        --claims ../shared/data/wice_dev.jsonl

Labels are per summary (consistency files) or per claim (WiCE-style files), signals per claim. Fitting is
multiple-instance: every claim of a consistent summary is a positive; of an inconsistent summary, only its
weakest claim under the current weights is taken as the negative (some claim is wrong, not all). Three
rounds of logistic regression. Two thresholds: the claim label's cautious one (at most MAX_FALSE_SUPPORT
of wrong items have every claim pass) and the balanced-accuracy one on the summary score (the mean over
its claims) used by `python -m eval consistency`. Figures printed for these dev files are 5-fold
cross-validated. Signals are cached per file under eval/runs/signals/, so refitting is quick.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from datetime import date
from pathlib import Path

import numpy as np
from tqdm import tqdm

import factaid
from factaid import models
from factaid.verify import FEATURES, support_scale

from .metrics import AGGREGATORS, CLAIM_AGGREGATE, SUMMARY_AGGREGATE, best_threshold
from .runner import load_done, read_jsonl

# A claim is labelled supported only above the threshold that lets at most this share of wrong items
# (inconsistent summaries, unsupported claims) through: saying "supported" to an invented claim is the
# costliest mistake. The summary-level threshold for the benchmarks' balanced accuracy is fitted apart.
MAX_FALSE_SUPPORT = 0.10
# Scores, not counts: no firing rate.
SCORE_FEATURES = ("similarity", "clause_similarity", "window_coverage", "source_coverage", "checker")
SIGNAL_CODE = ("ingest.py", "sentences.py", "claims.py", "retrieve.py", "facts.py", "verify.py")
SIGNAL_DATA = ("checker/model.safetensors", "opposites.txt")  # what the signal code reads
RUNS = Path(__file__).resolve().parent / "runs" / "signals"
PACKAGE_FILE = Path(factaid.__file__).resolve().parent / "calibration.json"


def _document_and_summary(row: dict) -> tuple[str, str, int]:
    if "claim" in row:  # WiCE-style: candidate sentences are the document, the claim is the summary
        return "\n\n".join(row["sentences"]), row["claim"], int(row["label"] == "supported")
    return row["document"], row["summary"], int(row["label"])


def _signals(row: dict) -> list[list[float]]:
    document, summary, _ = _document_and_summary(row)
    source = factaid.ingest.from_text(document, source_id="S1", title=str(row["id"]))
    report = factaid.check([source], summary=summary)
    return [[claim.support[0].signals[name] for name in FEATURES] for claim in report.claims]


def signals_fingerprint() -> str:
    """A hash of the code that computes the signals, so a cache never outlives a change to it."""
    package = Path(factaid.__file__).resolve().parent
    digest = hashlib.blake2b(digest_size=4)
    for name in (*SIGNAL_CODE, *SIGNAL_DATA):
        digest.update((package / name).read_bytes())
    # How the checker reads its input lives in models.py, with much that does not touch the signals.
    checker_input = (models.CHECKER_MAX_TOKENS, models.CHECKER_EVIDENCE_SENTENCES, models.CHECKER_LAYERS)
    digest.update(repr(checker_input).encode())
    return digest.hexdigest()


def _cache(path: Path, fingerprint: str) -> Path:
    """Where the signals of a dev file's rows are cached for one version of the signal code."""
    return RUNS / f"{path.stem}-{fingerprint}.jsonl"


def load_signals(path: Path, limit: int | None) -> list[tuple[int, list[list[float]]]]:
    """(label, signals per claim) for each row, computed once and cached in a JSONL keyed by row id."""
    rows = read_jsonl(path, limit)
    cache = _cache(path, signals_fingerprint())
    cache.parent.mkdir(parents=True, exist_ok=True)
    done = load_done(cache)
    with cache.open("a", encoding="utf-8") as out:
        for row in tqdm([r for r in rows if r["id"] not in done], desc=path.stem, unit="row"):
            try:
                item = {"id": row["id"], "signals": _signals(row)}
            except factaid.InputError:
                item = {"id": row["id"], "signals": []}
            out.write(json.dumps(item) + "\n")
            out.flush()
            done[item["id"]] = item
    return [(_document_and_summary(r)[2], done[r["id"]]["signals"]) for r in rows]


def compare_caches(path: Path, old_fingerprint: str) -> dict[str, int]:
    """How the cached signals of ``path`` under the current code differ from an older fingerprint's,
    row by row by id: rows whose number of claims changed, and per signal that rose or fell by more than
    1e-4 on some claim, the rows of each label (1 faithful or supported, 0 wrong). Signals the older
    cache lacks (new ones come last in FEATURES) count as "new" where they are not 0."""

    def read(fingerprint: str) -> dict[str, list[list[float]]]:
        cache = _cache(path, fingerprint)
        if not cache.exists():
            raise SystemExit(f"no cached signals {cache}: run calibrate at that commit first")
        return {rid: item["signals"] for rid, item in load_done(cache).items()}

    labels = {row["id"]: _document_and_summary(row)[2] for row in read_jsonl(path, None)}
    old, new = read(old_fingerprint), read(signals_fingerprint())
    changed: dict[str, int] = {}
    for rid in sorted(set(old) & set(new), key=str):
        if len(old[rid]) != len(new[rid]):
            kinds = {"claims"}
        else:
            kinds = {
                f"{name} {'up' if b > a else 'down'}"
                for before, after in zip(old[rid], new[rid])
                for name, a, b in zip(FEATURES, before, after)
                if abs(a - b) > 1e-4
            }
            kinds |= {
                f"{name} new"
                for before, after in zip(old[rid], new[rid])
                for name, b in zip(FEATURES[len(before) :], after[len(before) :])
                if abs(b) > 1e-4
            }
        for kind in kinds | ({"any"} if kinds else set()):
            key = f"{kind}, label {labels[rid]}"
            changed[key] = changed.get(key, 0) + 1
    return {"rows compared": len(set(old) & set(new)), **dict(sorted(changed.items()))}


def _claim_scores(model, claims: list[list[float]]) -> np.ndarray:
    """Current scores of a summary's claims; before the first fit, meaning plus wording (a fixed prior,
    so the fit never depends on the calibration file it replaces)."""
    if model is None:
        similarity, coverage = FEATURES.index("similarity"), FEATURES.index("source_coverage")
        return np.array([c[similarity] + c[coverage] for c in claims])
    return model.decision_function(np.array(claims))


def _fit(bags, rounds: int = 3):
    from sklearn.linear_model import LogisticRegression

    model = None
    for _ in range(rounds):
        x, y = [], []
        for label, claims in bags:
            if not claims:
                continue
            if label == 1:
                x += claims
                y += [1] * len(claims)
            else:
                index = int(np.argmin(_claim_scores(model, claims)))
                x.append(claims[index])
                y.append(0)
        model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000).fit(
            np.array(x), np.array(y)
        )
    return model


def _claim_probabilities(model, bags) -> list[list[float]]:
    """Each summary's claim probabilities, scaled as factaid scales them (vetoes, dates found nowhere)."""
    probabilities = []
    for _, claims in bags:
        raw = model.predict_proba(np.array(claims))[:, 1] if claims else []
        scales = [support_scale(dict(zip(FEATURES, c))) for c in claims]
        probabilities.append([float(p * s) for p, s in zip(raw, scales)])
    return probabilities


def _aggregated(probabilities: list[list[float]], aggregate: str) -> np.ndarray:
    """One score per summary (0 for a summary without claims)."""
    return np.array([AGGREGATORS[aggregate](p) if p else 0.0 for p in probabilities])


def _summary_scores(model, bags, aggregate: str) -> np.ndarray:
    """Claim probabilities, with the verifier's veto applied as in factaid, aggregated per summary."""
    return _aggregated(_claim_probabilities(model, bags), aggregate)


def _cautious_threshold(labels: np.ndarray, scores: np.ndarray) -> float:
    """The lowest threshold that lets at most MAX_FALSE_SUPPORT of the wrong items pass as supported."""
    wrong = np.sort(scores[labels == 0])
    if not wrong.size:
        return 0.5
    return float(np.quantile(wrong, 1 - MAX_FALSE_SUPPORT, method="higher")) + 1e-4


def cross_validated(
    bags, groups: list[str], folds: int = 5, aggregate: str = SUMMARY_AGGREGATE, seed: int = 0
) -> dict[str, dict[str, float]]:
    """Held-out figures of the model as shipped: fitted on the training folds of every file pooled,
    scored per file (``groups`` names each bag's file) and over all: AUC and balanced accuracy of the
    summary score (threshold tuned on the training folds of the same file, as ``python -m eval
    consistency --tune`` does), and the support rates of faithful and wrong items when every claim must
    reach the pooled cautious threshold."""
    return cross_validated_by_aggregate(bags, groups, folds, (aggregate,), seed)[aggregate]


def repeated_cross_validation(bags, groups: list[str], repeats: int) -> dict[str, dict[str, tuple]]:
    """Mean and standard deviation of ``cross_validated``'s figures over ``repeats`` shuffles of the
    folds: how much of a change in the figures is the luck of one split."""
    runs = [cross_validated(bags, groups, seed=seed) for seed in range(repeats)]
    return {
        name: {
            key: (float(np.mean([r[name][key] for r in runs])), float(np.std([r[name][key] for r in runs])))
            for key in runs[0][name]
        }
        for name in runs[0]
    }


def cross_validated_by_aggregate(
    bags, groups: list[str], folds: int, aggregates: tuple[str, ...], seed: int = 0
) -> dict[str, dict[str, dict[str, float]]]:
    """``cross_validated``'s figures for each way of aggregating claims, from the same fitted folds."""
    labels, names = np.array([label for label, _ in bags]), np.array(groups)
    order = np.random.default_rng(seed).permutation(len(bags))
    scores = {a: np.zeros(len(bags)) for a in aggregates}
    balanced = {a: np.zeros(len(bags), dtype=bool) for a in aggregates}
    cautious = np.zeros(len(bags), dtype=bool)
    for fold in range(folds):
        test = order[fold::folds]
        train = np.setdiff1d(order, test)
        model = _fit([bags[i] for i in train])
        held_out = _claim_probabilities(model, [bags[i] for i in test])
        trained = _claim_probabilities(model, [bags[i] for i in train])
        cautious[test] = _aggregated(held_out, CLAIM_AGGREGATE) >= _cautious_threshold(
            labels[train], _aggregated(trained, CLAIM_AGGREGATE)
        )
        for aggregate in aggregates:
            train_scores = _aggregated(trained, aggregate)
            scores[aggregate][test] = _aggregated(held_out, aggregate)
            # The SummaC protocol tunes the balanced-accuracy threshold per benchmark, on its own dev rows.
            for name in set(names[test]):
                own = names[train] == name
                threshold = best_threshold(labels[train][own], train_scores[own])
                rows = test[names[test] == name]
                balanced[aggregate][rows] = scores[aggregate][rows] >= threshold
    masks = [*((g, names == g) for g in dict.fromkeys(groups)), ("all", names == names)]
    return {
        a: {
            name: _figures(labels[mask], scores[a][mask], balanced[a][mask], cautious[mask])
            for name, mask in masks
        }
        for a in aggregates
    }


def _figures(labels, scores, balanced, cautious) -> dict[str, float]:
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score

    return {
        "auc": round(float(roc_auc_score(labels, scores)), 4),
        "balanced_accuracy": round(float(balanced_accuracy_score(labels, balanced)), 4),
        "cautious_true_support": round(float(cautious[labels == 1].mean()), 4),
        "cautious_false_support": round(float(cautious[labels == 0].mean()), 4),
    }


def signal_rates(bags) -> dict[str, tuple[float, float]]:
    """Per count signal: share of faithful and of wrong items in which it fires on at least one claim."""
    rates = {}
    for name in (n for n in FEATURES if n not in SCORE_FEATURES):
        k = FEATURES.index(name)
        fired = {
            label: [any(c[k] > 0 for c in claims) for y, claims in bags if y == label] for label in (1, 0)
        }
        rates[name] = (round(float(np.mean(fired[1])), 3), round(float(np.mean(fired[0])), 3))
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval calibrate", description=__doc__.split("\n")[0])
    parser.add_argument("--consistency", type=Path, nargs="*", default=[], help="summary-level dev files")
    parser.add_argument(
        "--claims", type=Path, nargs="*", default=[], help="claim-level (WiCE-style) dev files"
    )
    parser.add_argument("--limit", type=int, help="first N rows of each file")
    parser.add_argument("--write", action="store_true", help="write factaid/calibration.json")
    parser.add_argument("--rates", action="store_true", help="print how often each signal fires per file")
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="also print the mean and sd of the 5-fold figures over N shuffles",
    )
    parser.add_argument(
        "--compare",
        metavar="FINGERPRINT",
        help="print how each file's signals differ, row by row, from those cached under an older "
        "fingerprint (the suffix of a file in eval/runs/signals/)",
    )
    args = parser.parse_args(argv)
    files = [*args.consistency, *args.claims]
    if not files:
        parser.error("give at least one --consistency or --claims file")
    per_file = {path: load_signals(path, args.limit) for path in files}
    if args.compare:
        print(f"signals {signals_fingerprint()} against {args.compare}, rows changed:")
        for path in files:
            print(f"{path.name:24s} {json.dumps(compare_caches(path, args.compare))}")
    bags = [bag for path in files for bag in per_file[path]]
    if args.rates:
        for path in files:
            for name, (faithful, wrong) in signal_rates(per_file[path]).items():
                print(f"{path.name:24s} {name:16s} fires in {faithful:.0%} of faithful, {wrong:.0%} of wrong")
    groups = [path.name for path in files for _ in per_file[path]]
    # The summary score's aggregate was chosen by these held-out figures: show the other one beside it.
    other = next(name for name in AGGREGATORS if name != SUMMARY_AGGREGATE)
    by_aggregate = cross_validated_by_aggregate(bags, groups, 5, (SUMMARY_AGGREGATE, other))
    figures = by_aggregate[SUMMARY_AGGREGATE]
    for name, v in by_aggregate[other].items():
        auc, balanced = v["auc"], v["balanced_accuracy"]
        print(f"{name:24s} 5-fold CV, {other} over claims: AUC {auc:.3f}, balanced accuracy {balanced:.3f}")
    model = _fit(bags)
    labels = np.array([b[0] for b in bags])
    weakest, scores = (_summary_scores(model, bags, name) for name in (CLAIM_AGGREGATE, SUMMARY_AGGREGATE))
    for name, v in figures.items():
        print(
            f"{name:24s} 5-fold CV: AUC {v['auc']:.3f}, balanced accuracy {v['balanced_accuracy']:.3f}; "
            f"cautious threshold passes {v['cautious_true_support']:.0%} of faithful, "
            f"{v['cautious_false_support']:.0%} of wrong items"
        )
    if args.repeats > 1:
        for name, v in repeated_cross_validation(bags, groups, args.repeats).items():
            (auc, auc_sd), (balanced, balanced_sd) = v["auc"], v["balanced_accuracy"]
            print(
                f"{name:24s} 5-fold CV over {args.repeats} shuffles: AUC {auc:.3f} (sd {auc_sd:.3f}), "
                f"balanced accuracy {balanced:.3f} (sd {balanced_sd:.3f})"
            )
    calibration = {
        "weights": {name: round(float(w), 4) for name, w in zip(FEATURES, model.coef_[0])},
        "bias": round(float(model.intercept_[0]), 4),
        "threshold": round(_cautious_threshold(labels, weakest), 4),
        "summary_threshold": round(best_threshold(labels, scores), 4),
        "provenance": {
            "fitted": True,
            "date": date.today().isoformat(),
            "command": "python -m eval calibrate " + " ".join(argv if argv is not None else sys.argv[1:]),
            "data": {path.name: len(per_file[path]) for path in files},
            "cross_validated": figures,
        },
    }
    print(json.dumps(calibration, indent=2))
    if args.write:
        PACKAGE_FILE.write_text(json.dumps(calibration, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {PACKAGE_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
