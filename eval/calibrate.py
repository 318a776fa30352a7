"""Fit the verifier's signal weights and thresholds on dev files; write them into factaid/calibration.json.

    python -m eval calibrate --write \
        --consistency ../shared/data/frank_valid.jsonl ../shared/data/xsumfaith_valid.jsonl \
        --claims ../shared/data/wice_dev.jsonl

Labels are per summary (consistency files) or per claim (WiCE-style files), signals per claim. Fitting is
multiple-instance: every claim of a consistent summary is a positive; of an inconsistent summary, only its
weakest claim under the current weights is taken as the negative (some claim is wrong, not all). Three
rounds of logistic regression. Two thresholds: the claim label's, one for every kind of text (the best
balanced accuracy of the labels as shipped, averaged over the files: ``shipped_threshold``), and the
balanced-accuracy one on the summary score (the mean over its claims) used by `python -m eval
consistency`. Figures printed for these dev files are 5-fold cross-validated. Signals are cached per file
under eval/runs/signals/, so refitting is quick. ``--ablate`` prints the held-out figures with each signal
left out, and ``--probes FILE`` what each fit does to a probe file's labels (never fitted on).
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
from factaid import models, verify
from factaid.verify import FEATURES, label_of, support_scale

from . import metrics, probes
from .metrics import AGGREGATORS, CLAIM_AGGREGATE, SUMMARY_AGGREGATE, best_threshold
from .runner import load_done, read_jsonl

# Scores, not counts: no firing rate.
SCORE_FEATURES = ("similarity", "window_coverage", "entailment", "contradiction")
SIGNAL_CODE = ("ingest.py", "sentences.py", "claims.py", "retrieve.py", "facts.py", "verify.py")
SIGNAL_DATA = ("opposites.txt",)  # what the signal code reads
CHECKER_SIGNALS = ("entailment", "contradiction")  # the signals the claim checker gives
RUNS = Path(__file__).resolve().parent / "runs" / "signals"
PACKAGE_FILE = Path(factaid.__file__).resolve().parent / "calibration.json"


def _document_and_summary(row: dict) -> tuple[str, str, int]:
    if "claim" in row:  # WiCE-style: candidate sentences are the document, the claim is the summary
        return "\n\n".join(row["sentences"]), row["claim"], int(row["label"] == "supported")
    return row["document"], row["summary"], int(row["label"])


def _signals(row: dict) -> tuple[list[list[float]], list[list[str]]]:
    """Each claim's signals, and the (premise, claim) pair its checker signals were read from."""
    document, summary, _ = _document_and_summary(row)
    source = factaid.ingest.from_text(document, source_id="S1", title=str(row["id"]))
    report = factaid.check([source], summary=summary)
    signals = [[claim.support[0].signals[name] for name in FEATURES] for claim in report.claims]
    return signals, [_checker_pair(claim, claim.support[0]) for claim in report.claims]


def _checker_pair(claim, support) -> list[str]:
    return [verify.checker_premise(support.evidence), claim.statement]


def signals_fingerprint() -> str:
    """A hash of the code that computes the signals other than the checker's, so that a cache never
    outlives a change to it."""
    package = Path(factaid.__file__).resolve().parent
    digest = hashlib.blake2b(digest_size=4)
    for name in (*SIGNAL_CODE, *SIGNAL_DATA):
        digest.update((package / name).read_bytes())
    return digest.hexdigest()


def checker_fingerprint() -> str:
    """A hash of the claim checker's weights and of how it reads its input (that part of models.py)."""
    digest = hashlib.blake2b(digest_size=4)
    digest.update((models.CHECKER_DIR / "model.safetensors").read_bytes())
    checker_input = (models.CHECKER_MAX_TOKENS, models.CHECKER_LABELS, models.native_bfloat16())
    digest.update(repr(checker_input).encode())
    return digest.hexdigest()


def refresh_checker_signals(items: list[dict], pairs_of, set_reading) -> int:
    """Read again, with the current checker, the pairs of every cached item read by another checker,
    and put the readings into its signals: a new checker needs no new retrieval and parsing.
    ``pairs_of(item)`` lists an item's (premise, claim) pairs, ``set_reading(item, index, reading)``
    stores the reading of its pair ``index``. Returns how many items changed."""
    current = checker_fingerprint()
    stale = [item for item in items if item.get("checker") != current]
    work = [(item, i, pair) for item in stale for i, pair in enumerate(pairs_of(item))]
    if work:
        scorer = verify.NLIScorer(models.get_checker())
        chunk = 256
        for start in tqdm(range(0, len(work), chunk), desc="claim checker", unit="chunk"):
            part = work[start : start + chunk]
            readings = scorer.probabilities([p[0] for _, _, p in part], [p[1] for _, _, p in part])
            for (item, i, _), reading in zip(part, readings):
                set_reading(item, i, reading)
    for item in stale:
        item["checker"] = current
    return len(stale)


def _rewrite(cache: Path, items: list[dict]) -> None:
    scratch = cache.with_suffix(".tmp")
    scratch.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    scratch.replace(cache)


def _cache(path: Path, fingerprint: str) -> Path:
    """Where the signals of a dev file's rows are cached for one version of the signal code."""
    return RUNS / f"{path.stem}-{fingerprint}.jsonl"


def edit_claims(nli: Path, seed: int = 0) -> Path:
    """A claim file (WiCE-style rows) of the held-out edits of eval/train_checker.py: each edit of a
    held-out NLI premise (a swapped name or role, a moved statement, a negation, an overstatement) as a
    claim the premise does not support, each unchanged copy as one it does. Claims that read almost
    exactly like their evidence and are wrong are what the dev files lack, so that a fit on them alone
    leans on wording; this file lets a fit learn when the checker must overrule it. Written once under
    eval/runs/ (never from an example or a probe file)."""
    from . import train_checker

    path = RUNS.parent / f"edit_claims-{seed}.jsonl"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = []
        for kind, pairs in sorted(train_checker.held_out_edits(nli, seed).items()):
            for pair in pairs:
                key = hashlib.blake2b((pair.premise + "\n" + pair.claim).encode(), digest_size=6).hexdigest()
                label = "supported" if pair.label == train_checker.LABELS.index("entailment") else "refuted"
                rows.append(
                    {"id": f"{kind}-{key}", "sentences": [pair.premise], "claim": pair.claim, "label": label}
                )
        scratch = path.with_suffix(".tmp")
        scratch.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        scratch.replace(path)
    return path


def load_signals(path: Path, limit: int | None) -> list[tuple[int, list[list[float]]]]:
    """(label, signals per claim) for each row, computed once and cached in a JSONL keyed by row id;
    the checker's signals are read again when the checker changes (``refresh_checker_signals``)."""
    rows = read_jsonl(path, limit)
    cache = _cache(path, signals_fingerprint())
    cache.parent.mkdir(parents=True, exist_ok=True)
    done = load_done(cache)
    with cache.open("a", encoding="utf-8") as out:
        for row in tqdm([r for r in rows if r["id"] not in done], desc=path.stem, unit="row"):
            try:
                signals, pairs = _signals(row)
            except factaid.InputError:
                signals, pairs = [], []
            item = {"id": row["id"], "signals": signals, "pairs": pairs, "checker": checker_fingerprint()}
            out.write(json.dumps(item) + "\n")
            out.flush()
            done[item["id"]] = item

    def set_reading(item: dict, index: int, reading: dict[str, float]) -> None:
        for name in CHECKER_SIGNALS:
            item["signals"][index][FEATURES.index(name)] = reading[name]

    if refresh_checker_signals(list(done.values()), lambda item: item["pairs"], set_reading):
        _rewrite(cache, list(done.values()))
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


def load_probe_signals(path: Path) -> list[dict]:
    """Each probe of a probe file (eval/probes.py) with its signals per claim and source, cached like the
    dev files' signals. Probes are never fitted on: they only measure what a fit does to them."""
    rows = probes.load_rows(path, None)
    cache = _cache(path, signals_fingerprint())
    cache.parent.mkdir(parents=True, exist_ok=True)
    done = load_done(cache)
    with cache.open("a", encoding="utf-8") as out:
        for row in tqdm([r for r in rows if r["id"] not in done], desc=path.stem, unit="probe"):
            report = factaid.check(probes.sources_of(row), summary=row["text"])
            item = {
                "id": row["id"],
                "signals": [
                    {s.source_id: [s.signals[name] for name in FEATURES] for s in claim.support}
                    for claim in report.claims
                ],
                "pairs": [
                    {s.source_id: _checker_pair(claim, s) for s in claim.support} for claim in report.claims
                ],
                "checker": checker_fingerprint(),
            }
            out.write(json.dumps(item) + "\n")
            out.flush()
            done[item["id"]] = item

    def slots(item: dict) -> list[tuple[int, str]]:
        """(claim, source) of each of a probe's checker pairs, in one fixed order."""
        return [(c, source) for c, claim in enumerate(item["pairs"]) for source in sorted(claim)]

    def set_reading(item: dict, index: int, reading: dict[str, float]) -> None:
        claim, source = slots(item)[index]
        for name in CHECKER_SIGNALS:
            item["signals"][claim][source][FEATURES.index(name)] = reading[name]

    def pairs_of(item: dict) -> list[list[str]]:
        return [item["pairs"][claim][source] for claim, source in slots(item)]

    if refresh_checker_signals(list(done.values()), pairs_of, set_reading):
        _rewrite(cache, list(done.values()))
    return [{**row, "signals": done[row["id"]]["signals"]} for row in rows]


def probe_figures(model, threshold: float, rows: list[dict], dropped: tuple[str, ...] = ()) -> dict:
    """Probe accuracy and exact-outlet count of a fit, labelling as the verifier does (verify.label_of)."""
    right = exact = contradicted = 0
    supported_probes = [r for r in rows if r["expect"] == "supported"]
    for row in rows:
        parts = []
        for claim in row["signals"]:
            labels = {}
            for source_id, values in claim.items():
                features = dict(zip(FEATURES, _without(values, dropped)))
                score = model.predict_proba(np.array([_without(values, dropped)]))[0, 1] * support_scale(
                    features
                )
                labels[source_id] = label_of(float(score), threshold, features)
            label = next((x for x in ("supported", "contradicted") if x in labels.values()), "unsupported")
            parts.append((label, [s for s, x in labels.items() if x == "supported"]))
        label, supported_by = probes.verdict(parts)
        result = {"label": label, "supported_by": supported_by, "sources": row["sources"]}
        right += probes.is_right(label, row["expect"])
        if row["expect"] == "supported":
            exact += probes.exact(result)
            contradicted += label == "contradicted"
    return {
        "right": f"{right}/{len(rows)}",
        "exact outlets": f"{exact}/{len(supported_probes)}",
        "supported labelled contradicted": contradicted,
    }


def _without(values: list[float], dropped: tuple[str, ...]) -> list[float]:
    """A claim's signals with the dropped ones set to 0 (for a count signal: never fires)."""
    return [0.0 if name in dropped else value for name, value in zip(FEATURES, values)]


def _claim_scores(model, claims: list[list[float]]) -> np.ndarray:
    """Current scores of a summary's claims; before the first fit, meaning plus wording (a fixed prior,
    so the fit never depends on the calibration file it replaces)."""
    if model is None:
        similarity, coverage = FEATURES.index("similarity"), FEATURES.index("window_coverage")
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


def _claim_probabilities(model, bags, shown: tuple[float, float] | None = None) -> list[list[float]]:
    """Each summary's claim probabilities, scaled as factaid scales them (vetoes, dates found nowhere);
    with ``shown`` (centre, slope), on the scale factaid shows (verify.shown_probability)."""
    probabilities = []
    for _, claims in bags:
        raw = model.predict_proba(np.array(claims))[:, 1] if claims else []
        scales = [support_scale(dict(zip(FEATURES, c))) for c in claims]
        fitted = [float(p * s) for p, s in zip(raw, scales)]
        probabilities.append([verify.shown_probability(p, *shown) for p in fitted] if shown else fitted)
    return probabilities


def _aggregated(probabilities: list[list[float]], aggregate: str) -> np.ndarray:
    """One score per summary (0 for a summary without claims)."""
    return np.array([AGGREGATORS[aggregate](p) if p else 0.0 for p in probabilities])


def _summary_scores(model, bags, aggregate: str) -> np.ndarray:
    """Claim probabilities, with the verifier's veto applied as in factaid, aggregated per summary."""
    return _aggregated(_claim_probabilities(model, bags), aggregate)


def shipped_threshold(labels: np.ndarray, scores: np.ndarray, groups: np.ndarray) -> float:
    """The one claim threshold shipped for every kind of text: the one whose labels (an item is
    supported when all its claims are) have the best balanced accuracy averaged over the dev files, each
    file counting the same, so that no kind of text pays for another."""
    candidates = np.unique(np.round(scores, 4))
    names = [g for g in dict.fromkeys(groups) if len(set(labels[groups == g])) == 2]
    if not names or not candidates.size:
        return 0.5
    mean_balanced = np.zeros(len(candidates))
    for name in names:
        own = groups == name
        positives = np.sort(scores[own & (labels == 1)])
        negatives = np.sort(scores[own & (labels == 0)])
        # At each candidate: the share of positives at or above it, and of negatives below it.
        true_positive = 1 - np.searchsorted(positives, candidates, side="left") / len(positives)
        true_negative = np.searchsorted(negatives, candidates, side="left") / len(negatives)
        mean_balanced += (true_positive + true_negative) / 2 / len(names)
    return float(candidates[int(np.argmax(mean_balanced))])


def _balanced_weights(labels: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Item weights under which every file, and within it each class, weighs the same."""
    weights = np.zeros(len(labels))
    cells = {(g, y) for g, y in zip(groups, labels)}
    for group, label in cells:
        cell = (groups == group) & (labels == label)
        weights[cell] = 1.0 / cell.sum() / len(cells)
    return weights


def fit_slope(labels: np.ndarray, weakest: np.ndarray, groups: np.ndarray, centre: float) -> float:
    """The slope of the shown scale (verify.shown_probability) whose shown probabilities of each item's
    weakest claim best match the items' labels in log loss, every file and class weighing the same."""
    from scipy.optimize import minimize_scalar

    weights = _balanced_weights(labels, groups)
    clipped = np.clip(weakest, 1e-6, 1 - 1e-6)
    centred = np.log(clipped / (1 - clipped)) - np.log(centre / (1 - centre))

    def loss(slope: float) -> float:
        log_p = -np.logaddexp(0.0, -slope * centred)  # log sigmoid(slope * centred)
        log_not_p = -np.logaddexp(0.0, slope * centred)
        return float(-(weights * (labels * log_p + (1 - labels) * log_not_p)).sum())

    return float(minimize_scalar(loss, bounds=(0.05, 20.0), method="bounded").x)


def reliability(
    labels: np.ndarray, shown: np.ndarray, groups: np.ndarray, edges=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
) -> list[dict]:
    """Per file and band of the shown probability of an item's weakest claim: how many items, their mean
    shown probability, and the share of them supported, as counted and with both classes weighing the
    same (the share the scale is fitted to)."""
    rows = []
    for name in dict.fromkeys(groups):
        own = groups == name
        weights = _balanced_weights(labels[own], groups[own])
        for low, high in zip(edges, edges[1:]):
            band = (shown[own] >= low) & ((shown[own] < high) if high < 1 else (shown[own] <= high))
            if not band.any():
                continue
            in_band = labels[own][band]
            rows.append(
                {
                    "file": name,
                    "shown probability": f"{low:.1f}-{high:.1f}",
                    "items": int(band.sum()),
                    "mean shown": round(float(shown[own][band].mean()), 3),
                    "supported": round(float(in_band.mean()), 3),
                    "supported, classes equal": round(
                        float((weights[band] * in_band).sum() / weights[band].sum()), 3
                    ),
                }
            )
    return rows


def cross_validated(
    bags, groups: list[str], folds: int = 5, aggregate: str = SUMMARY_AGGREGATE, seed: int = 0
) -> dict[str, dict[str, float]]:
    """Held-out figures of the model as shipped: fitted on the training folds of every file pooled,
    scored per file (``groups`` names each bag's file) and over all: AUC and balanced accuracy of the
    summary score (threshold tuned on the training folds of the same file, as ``python -m eval
    consistency --tune`` does), and the support rates of faithful and wrong items when every claim must
    reach the one shipped threshold (``shipped_threshold``), and the balanced accuracy of those labels."""
    return cross_validated_by_aggregate(bags, groups, folds, (aggregate,), seed)[0][aggregate]


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
) -> tuple[dict[str, dict[str, dict[str, float]]], np.ndarray]:
    """``cross_validated``'s figures for each way of aggregating claims, from the same fitted folds; and
    the held-out shown probability of every item's weakest claim (for ``reliability``)."""
    labels, names = np.array([label for label, _ in bags]), np.array(groups)
    order = np.random.default_rng(seed).permutation(len(bags))
    scores = {a: np.zeros(len(bags)) for a in aggregates}
    balanced = {a: np.zeros(len(bags), dtype=bool) for a in aggregates}
    shipped = np.zeros(len(bags), dtype=bool)
    weakest = np.zeros(len(bags))
    for fold in range(folds):
        test = order[fold::folds]
        train = np.setdiff1d(order, test)
        model = _fit([bags[i] for i in train])
        held_out = _claim_probabilities(model, [bags[i] for i in test])
        trained = _claim_probabilities(model, [bags[i] for i in train])
        fitted = _aggregated(trained, CLAIM_AGGREGATE)
        centre = shipped_threshold(labels[train], fitted, names[train])
        scale = (centre, fit_slope(labels[train], fitted, names[train], centre))
        # The label as shipped: the weakest claim's shown probability reaches 0.5 (its fitted one, centre).
        weakest[test] = _aggregated(
            _claim_probabilities(model, [bags[i] for i in test], scale), CLAIM_AGGREGATE
        )
        shipped[test] = weakest[test] >= 0.5
        for aggregate in aggregates:
            train_scores = _aggregated(trained, aggregate)
            scores[aggregate][test] = _aggregated(held_out, aggregate)
            # Scores on the fitted scale: the shown one is monotone in it per fold, but differs from fold
            # to fold, which would blur the pooled held-out ranking. The SummaC protocol tunes the
            # balanced-accuracy threshold per benchmark, on its own dev rows.
            for name in set(names[test]):
                own = names[train] == name
                threshold = best_threshold(labels[train][own], train_scores[own])
                rows = test[names[test] == name]
                balanced[aggregate][rows] = scores[aggregate][rows] >= threshold
    masks = [*((g, names == g) for g in dict.fromkeys(groups)), ("all", names == names)]
    figures = {
        a: {
            name: _figures(labels[mask], scores[a][mask], balanced[a][mask], shipped[mask])
            for name, mask in masks
        }
        for a in aggregates
    }
    return figures, weakest


def _figures(labels, scores, balanced, shipped) -> dict[str, float]:
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score

    return {
        "auc": round(float(roc_auc_score(labels, scores)), 4),
        "balanced_accuracy": round(float(balanced_accuracy_score(labels, balanced)), 4),
        "shipped_balanced_accuracy": round(float(balanced_accuracy_score(labels, shipped)), 4),
        "shipped_true_support": round(float(shipped[labels == 1].mean()), 4),
        "shipped_false_support": round(float(shipped[labels == 0].mean()), 4),
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


def signals_alone(bags, groups: list[str]) -> list[dict]:
    """Per file, the AUC of each score signal alone: the weakest claim's value (contradiction negated,
    so that higher always means supported) against the item's label."""
    from sklearn.metrics import roc_auc_score

    labels, names = np.array([label for label, _ in bags]), np.array(groups)
    rows = []
    for name in dict.fromkeys(groups):
        own = [i for i in np.flatnonzero(names == name) if bags[i][1]]
        row: dict = {"file": name}
        for signal in SCORE_FEATURES:
            k, sign = FEATURES.index(signal), -1.0 if signal == "contradiction" else 1.0
            weakest = [min(sign * c[k] for c in bags[i][1]) for i in own]
            row[f"{signal} alone"] = round(float(roc_auc_score(labels[own], weakest)), 3)
        rows.append(row)
    return rows


def checker_doubts_by_kind(probe_rows: list[dict]) -> list[dict]:
    """Per probe kind, in how many probes the checker alone doubts the weakest claim: its entailment from
    the best source is under ``verify.CHECKER_DOUBTS`` (right for a false probe, wrong for a true one)."""
    k = FEATURES.index("entailment")
    found: dict[tuple[str, str], list[bool]] = {}
    for row in probe_rows:
        best = [max(values[k] for values in claim.values()) for claim in row["signals"]]
        found.setdefault((row["expect"], row["kind"]), []).append(
            min(best, default=0.0) < verify.CHECKER_DOUBTS
        )
    return [
        {"expect": expect, "kind": kind, "checker doubts": f"{sum(doubts)}/{len(doubts)}"}
        for (expect, kind), doubts in sorted(found.items())
    ]


def _print_figures(title: str, figures: dict[str, dict[str, float]]) -> None:
    for name, v in figures.items():
        shipped, faithful, wrong = (
            v[f"shipped_{k}"] for k in ("balanced_accuracy", "true_support", "false_support")
        )
        print(
            f"{title}{name:24s} AUC {v['auc']:.3f}, balanced accuracy {v['balanced_accuracy']:.3f} "
            f"(threshold per file); labels as shipped: balanced accuracy {shipped:.3f}, "
            f"supported {faithful:.0%} of faithful, {wrong:.0%} of wrong"
        )


def ablation(
    bags, groups: list[str], probe_rows: list[dict], dropped: tuple[str, ...], repeats: int
) -> list[dict]:
    """Held-out figures (means over ``repeats`` fold shuffles) with each signal left out in turn, beside
    the fit with all of them; and what each fit does to the probes."""
    rows = []
    for name in (None, *(n for n in FEATURES if n not in dropped)):
        without = (*dropped, name) if name else dropped
        thinned = [(label, [_without(c, without) for c in claims]) for label, claims in bags]
        figures = repeated_cross_validation(thinned, groups, repeats)
        row = {"without": name or "(nothing)"}
        for file, v in figures.items():
            row[f"{file} AUC"] = round(v["auc"][0], 3)
            row[f"{file} shipped bal. acc."] = round(v["shipped_balanced_accuracy"][0], 3)
        if probe_rows:
            model, threshold = fit_with_threshold(thinned, groups)
            row.update(probe_figures(model, threshold, probe_rows, without))
        rows.append(row)
    return rows


def contradiction_bars(bags, groups: list[str], probe_rows: list[dict], bars: list[float]) -> list[dict]:
    """Held-out figures (3 fold shuffles) with the checker's contradiction vetoing support at each bar."""
    rows, shipped_bar = [], verify.CONTRADICTS
    try:
        for bar in bars:
            verify.CONTRADICTS = bar
            row: dict = {"contradiction vetoes at": bar}
            for file, v in repeated_cross_validation(bags, groups, 3).items():
                row[f"{file} AUC / shipped"] = f"{v['auc'][0]:.3f} / {v['shipped_balanced_accuracy'][0]:.3f}"
            if probe_rows:
                model, threshold = fit_with_threshold(bags, groups)
                row.update(probe_figures(model, threshold, probe_rows))
            rows.append(row)
    finally:
        verify.CONTRADICTS = shipped_bar
    return rows


def doubt_bars(bags, groups: list[str], probe_rows: list[dict], bars: list[float]) -> list[dict]:
    """Held-out figures (3 fold shuffles) if a source whose evidence the checker reads as entailing the
    claim with a probability under each bar could not support it (as a date found nowhere cannot:
    ``verify.unfound``), beside the verifier as shipped."""
    rows, shipped = [], verify.unfound
    try:
        for bar in (None, *bars):
            verify.unfound = shipped if bar is None else _doubting(shipped, bar)
            row: dict = {"checker must reach": "(no such rule)" if bar is None else bar}
            for file, v in repeated_cross_validation(bags, groups, 3).items():
                row[f"{file} AUC / shipped"] = f"{v['auc'][0]:.3f} / {v['shipped_balanced_accuracy'][0]:.3f}"
            if probe_rows:
                model, threshold = fit_with_threshold(bags, groups)
                row.update(probe_figures(model, threshold, probe_rows))
            rows.append(row)
    finally:
        verify.unfound = shipped
    return rows


def _doubting(unfound, bar: float):
    return lambda features: unfound(features) or features.get("entailment", 1.0) < bar


def fit_with_threshold(bags, groups: list[str]):
    model = _fit(bags)
    labels = np.array([b[0] for b in bags])
    weakest = _summary_scores(model, bags, CLAIM_AGGREGATE)
    return model, shipped_threshold(labels, weakest, np.array(groups))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval calibrate", description=__doc__.split("\n")[0])
    parser.add_argument("--consistency", type=Path, nargs="*", default=[], help="summary-level dev files")
    parser.add_argument(
        "--claims", type=Path, nargs="*", default=[], help="claim-level (WiCE-style) dev files"
    )
    parser.add_argument(
        "--probes", type=Path, help="a probe file (eval/probes.py) to measure fits on, never fit"
    )
    parser.add_argument(
        "--edit-claims",
        type=Path,
        metavar="NLI_FOLDER",
        help="add a claim file of edits of held-out premises of these NLI sets (``edit_claims``)",
    )
    parser.add_argument("--limit", type=int, help="first N rows of each file")
    parser.add_argument("--write", action="store_true", help="write factaid/calibration.json")
    parser.add_argument("--rates", action="store_true", help="print how often each signal fires per file")
    parser.add_argument("--drop", nargs="*", default=[], choices=FEATURES, help="signals to fit without")
    parser.add_argument("--ablate", action="store_true", help="print held-out figures without each signal")
    parser.add_argument(
        "--signals-alone",
        action="store_true",
        help="print each score signal's AUC alone per file, and per probe kind where the checker doubts",
    )
    parser.add_argument(
        "--reliability",
        action="store_true",
        help="print, per file, how the held-out shown probabilities match the share of items supported",
    )
    parser.add_argument(
        "--contradiction-bars",
        type=float,
        nargs="*",
        default=[],
        help="print held-out figures with the checker's contradiction vetoing at each of these bars",
    )
    parser.add_argument(
        "--doubt-bars",
        type=float,
        nargs="*",
        default=[],
        help="print held-out figures if no source could support a claim with its entailment under each bar",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="also print the mean and sd of the 5-fold figures over N shuffles (and use them in --ablate)",
    )
    parser.add_argument(
        "--compare",
        metavar="FINGERPRINT",
        help="print how each file's signals differ, row by row, from those cached under an older "
        "fingerprint (the suffix of a file in eval/runs/signals/)",
    )
    args = parser.parse_args(argv)
    files = [*args.consistency, *args.claims]
    if args.edit_claims:
        files.append(edit_claims(args.edit_claims))
    if not files:
        parser.error("give at least one --consistency or --claims file")
    dropped = tuple(args.drop)
    per_file = {path: load_signals(path, args.limit) for path in files}
    probe_rows = load_probe_signals(args.probes) if args.probes else []
    if args.compare:
        print(f"signals {signals_fingerprint()} against {args.compare}, rows changed:")
        for path in files:
            print(f"{path.name:24s} {json.dumps(compare_caches(path, args.compare))}")
    bags = [
        (label, [_without(c, dropped) for c in claims]) for path in files for label, claims in per_file[path]
    ]
    if args.signals_alone:
        print(
            metrics.markdown_table(signals_alone(bags, [path.name for path in files for _ in per_file[path]]))
        )
        if probe_rows:
            print(metrics.markdown_table(checker_doubts_by_kind(probe_rows)))
    if args.rates:
        for path in files:
            for name, (faithful, wrong) in signal_rates(per_file[path]).items():
                print(f"{path.name:24s} {name:16s} fires in {faithful:.0%} of faithful, {wrong:.0%} of wrong")
    groups = [path.name for path in files for _ in per_file[path]]
    # The summary score's aggregate was chosen by these held-out figures: show the other one beside it.
    other = next(name for name in AGGREGATORS if name != SUMMARY_AGGREGATE)
    by_aggregate, held_out_shown = cross_validated_by_aggregate(bags, groups, 5, (SUMMARY_AGGREGATE, other))
    figures = by_aggregate[SUMMARY_AGGREGATE]
    for name, v in by_aggregate[other].items():
        auc, balanced = v["auc"], v["balanced_accuracy"]
        print(f"{name:24s} 5-fold CV, {other} over claims: AUC {auc:.3f}, balanced accuracy {balanced:.3f}")
    _print_figures("5-fold CV: ", figures)
    if args.repeats > 1:
        for name, v in repeated_cross_validation(bags, groups, args.repeats).items():
            (auc, auc_sd), (shipped, shipped_sd) = v["auc"], v["shipped_balanced_accuracy"]
            print(
                f"{name:24s} 5-fold CV over {args.repeats} shuffles: AUC {auc:.3f} (sd {auc_sd:.3f}), "
                f"labels as shipped: balanced accuracy {shipped:.3f} (sd {shipped_sd:.3f})"
            )
    labels = np.array([b[0] for b in bags])
    if args.reliability:
        print("held-out (5-fold) shown probability of each item's weakest claim against its label:")
        print(metrics.markdown_table(reliability(labels, held_out_shown, np.array(groups))))
    model, threshold = fit_with_threshold(bags, groups)
    weakest = _summary_scores(model, bags, CLAIM_AGGREGATE)
    slope = fit_slope(labels, weakest, np.array(groups), threshold)
    scores = _aggregated(_claim_probabilities(model, bags, (threshold, slope)), SUMMARY_AGGREGATE)
    if probe_rows:
        print(f"{args.probes.name}: {json.dumps(probe_figures(model, threshold, probe_rows, dropped))}")
    if args.contradiction_bars:
        print(metrics.markdown_table(contradiction_bars(bags, groups, probe_rows, args.contradiction_bars)))
    if args.doubt_bars:
        print(metrics.markdown_table(doubt_bars(bags, groups, probe_rows, args.doubt_bars)))
    if args.ablate:
        print(metrics.markdown_table(ablation(bags, groups, probe_rows, dropped, args.repeats)))
    calibration = {
        "weights": {
            name: round(float(w), 4) for name, w in zip(FEATURES, model.coef_[0]) if name not in dropped
        },
        "bias": round(float(model.intercept_[0]), 4),
        "threshold": 0.5,
        "centre": round(threshold, 4),
        "slope": round(slope, 4),
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
