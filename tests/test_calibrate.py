"""The calibration fit: thresholds, aggregation and cross-validation on small hand-made signal sets."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eval import calibrate
from factaid.verify import FEATURES, VETO_SCALE


def claim(similarity: float, **counts: float) -> list[float]:
    """A claim's signal vector: similarity, coverages and the checker's entailment at ``similarity``,
    counts given."""
    values = {name: 0.0 for name in FEATURES}
    values.update(similarity=similarity, window_coverage=similarity)
    values["entailment"] = similarity
    values.update(counts)
    return [values[name] for name in FEATURES]


def test_the_shipped_threshold_serves_every_file_alike() -> None:
    # File "a" (80 rows) separates its classes at 0.7, files "b" and "c" (4 rows each) at 0.3. Pooled rows
    # would favour "a"; averaging the files' balanced accuracies keeps "b" and "c" right instead.
    labels = np.array([1] * 40 + [0] * 40 + [1, 1, 0, 0] * 2)
    scores = np.array([0.8] * 40 + [0.6] * 40 + [0.4, 0.4, 0.2, 0.2] * 2)
    groups = np.array(["a"] * 80 + ["b"] * 4 + ["c"] * 4)
    assert calibrate.shipped_threshold(labels, scores, groups) == pytest.approx(0.4)
    assert calibrate.shipped_threshold(labels[:80], scores[:80], groups[:80]) == pytest.approx(0.8)


@pytest.mark.parametrize("flaw", ["number_mismatch", "date_missing"])  # a veto, a date found nowhere
def test_summary_score_is_the_mean_and_a_flaw_scales_a_claim_down(flaw: str) -> None:
    rng = np.random.default_rng(0)
    bags = [(1, [claim(s)]) for s in rng.uniform(0.6, 1.0, 30)]
    bags += [(0, [claim(s)]) for s in rng.uniform(0.0, 0.4, 30)]
    model = calibrate._fit(bags)
    good, flawed = claim(0.9), claim(0.9, **{flaw: 1.0})
    p_good = model.predict_proba(np.array([good]))[0, 1]
    p_flawed = model.predict_proba(np.array([flawed]))[0, 1]
    [mean] = calibrate._summary_scores(model, [(1, [good, flawed])], "mean")
    [weakest] = calibrate._summary_scores(model, [(1, [good, flawed])], "min")
    assert mean == pytest.approx((p_good + p_flawed * VETO_SCALE) / 2)
    assert weakest == pytest.approx(p_flawed * VETO_SCALE)
    assert calibrate._summary_scores(model, [(0, [])], "mean")[0] == 0.0


def test_cross_validation_tunes_the_balanced_accuracy_threshold_per_file() -> None:
    # Both files separate their classes perfectly, but at different levels: one pooled threshold cannot
    # serve both, a threshold tuned on each file's own training rows can.
    rng = np.random.default_rng(1)
    high = [(1, [claim(s)]) for s in rng.uniform(0.85, 0.95, 40)] + [
        (0, [claim(s)]) for s in rng.uniform(0.65, 0.75, 40)
    ]
    low = [(1, [claim(s)]) for s in rng.uniform(0.45, 0.55, 40)] + [
        (0, [claim(s)]) for s in rng.uniform(0.15, 0.25, 40)
    ]
    figures = calibrate.cross_validated(high + low, ["high"] * 80 + ["low"] * 80)
    # One pooled threshold would give one file a balanced accuracy of 0.5 (all of it on one side); a
    # held-out score may still fall just past its file's threshold.
    assert figures["high"]["balanced_accuracy"] >= 0.95
    assert figures["low"]["balanced_accuracy"] >= 0.95
    assert figures["high"]["auc"] == figures["low"]["auc"] == 1.0
    # The shipped threshold is one for both files, so it cannot serve both perfectly.
    assert (
        min(figures["high"]["shipped_balanced_accuracy"], figures["low"]["shipped_balanced_accuracy"]) < 0.95
    )


def test_repeated_cross_validation_averages_over_fold_shuffles() -> None:
    rng = np.random.default_rng(2)
    bags = [(1, [claim(s)]) for s in rng.uniform(0.4, 0.9, 40)]
    bags += [(0, [claim(s)]) for s in rng.uniform(0.1, 0.6, 40)]
    groups = ["file"] * 80
    runs = [calibrate.cross_validated(bags, groups, seed=seed)["file"] for seed in range(3)]
    assert len({r["balanced_accuracy"] for r in runs}) > 1  # the shuffle changes the held-out figures
    summary = calibrate.repeated_cross_validation(bags, groups, 3)["file"]
    mean, sd = summary["balanced_accuracy"]
    assert mean == pytest.approx(np.mean([r["balanced_accuracy"] for r in runs]))
    assert sd == pytest.approx(np.std([r["balanced_accuracy"] for r in runs]))


def test_the_shown_scale_puts_the_label_threshold_at_one_half_and_keeps_the_order() -> None:
    from factaid.verify import shown_probability

    assert shown_probability(0.26, 0.26, 1.7) == pytest.approx(0.5)
    fitted = [0.05, 0.2, 0.26, 0.4, 0.9]
    shown = [shown_probability(p, 0.26, 1.7) for p in fitted]
    assert shown == sorted(shown) and len(set(shown)) == len(shown)
    assert shown[1] < 0.5 < shown[3]


def test_the_slope_matches_the_shown_probability_to_how_often_items_are_supported() -> None:
    # Items whose fitted probability p (around a centre of 0.3) is supported with the chance a slope of 2
    # gives: the fit finds that slope again; a file ten times the size of the other weighs the same.
    rng = np.random.default_rng(3)
    centre, slope = 0.3, 2.0
    fitted = rng.uniform(0.02, 0.9, 4000)
    logit = np.log(fitted / (1 - fitted)) - np.log(centre / (1 - centre))
    chance = 1 / (1 + np.exp(-slope * logit))
    labels = (rng.uniform(size=fitted.size) < chance).astype(int)
    groups = np.array(["big"] * 3600 + ["small"] * 400)
    assert calibrate.fit_slope(labels, fitted, groups, centre) == pytest.approx(slope, rel=0.25)


def test_the_reliability_table_counts_items_per_band_and_file() -> None:
    labels = np.array([1, 1, 0, 0, 1, 0])
    shown = np.array([0.9, 0.85, 0.1, 0.15, 0.5, 0.55])
    groups = np.array(["a"] * 4 + ["b"] * 2)
    rows = calibrate.reliability(labels, shown, groups)
    by_band = {(r["file"], r["shown probability"]): r for r in rows}
    assert by_band[("a", "0.8-1.0")]["items"] == 2 and by_band[("a", "0.8-1.0")]["supported"] == 1.0
    assert by_band[("a", "0.0-0.2")]["supported"] == 0.0
    assert by_band[("b", "0.4-0.6")]["items"] == 2 and by_band[("b", "0.4-0.6")]["supported"] == 0.5
    assert sum(r["items"] for r in rows) == len(labels)


def test_each_signal_alone_ranks_items_by_their_weakest_claim() -> None:
    # Entailment separates the items (its weakest claim decides), contradiction is read negated.
    bags = [
        (1, [claim(0.9, contradiction=0.1), claim(0.8, contradiction=0.2)]),
        (1, [claim(0.7, contradiction=0.1)]),
        (0, [claim(0.95, contradiction=0.9), claim(0.3, contradiction=0.8)]),
        (0, [claim(0.2, contradiction=0.7)]),
    ]
    [row] = calibrate.signals_alone(bags, ["f"] * 4)
    assert row["entailment alone"] == 1.0
    assert row["contradiction alone"] == 1.0


def test_the_checkers_doubt_stops_support_only_while_measured() -> None:
    from factaid import verify

    rng = np.random.default_rng(4)
    bags = [(1, [claim(s)]) for s in rng.uniform(0.5, 1.0, 40)]
    bags += [(0, [claim(s)]) for s in rng.uniform(0.0, 0.6, 40)]
    shipped = verify.unfound
    rows = calibrate.doubt_bars(bags, ["f"] * 80, [], [0.55])
    assert [r["checker must reach"] for r in rows] == ["(no such rule)", 0.55]
    assert verify.unfound is shipped
    # With the rule, every claim whose entailment is under the bar has its probability scaled down.
    doubted = dict(zip(FEATURES, claim(0.5)))
    assert not verify.unfound(doubted) and calibrate._doubting(verify.unfound, 0.55)(doubted)


def test_signal_rates_count_only_the_count_signals() -> None:
    bags = [(1, [claim(0.9)]), (1, [claim(0.9, date_missing=1.0)]), (0, [claim(0.2, missing_names=2.0)])]
    rates = calibrate.signal_rates(bags)
    assert "entailment" not in rates and "similarity" not in rates
    assert rates["date_missing"] == (0.5, 0.0)
    assert rates["missing_names"] == (0.0, 1.0)


def test_checker_key_changes_with_how_the_checker_reads_its_input(monkeypatch) -> None:
    from factaid import models

    before, signals = calibrate.checker_fingerprint(), calibrate.signals_fingerprint()
    monkeypatch.setattr(models, "CHECKER_MAX_TOKENS", models.CHECKER_MAX_TOKENS + 1)
    assert calibrate.checker_fingerprint() != before
    assert calibrate.signals_fingerprint() == signals  # retrieval and parsing need no recomputing
    monkeypatch.undo()
    assert calibrate.checker_fingerprint() == before


def test_a_new_checker_reads_the_cached_pairs_again(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(calibrate, "RUNS", tmp_path)
    data = tmp_path / "dev.jsonl"
    row = {
        "id": "harbour",
        "document": "The mayor approved the plan for a new harbour on Monday. About 300 workers will be "
        "hired.",
        "summary": "The mayor approved the harbour plan. About 800 workers will be hired.",
        "label": 0,
    }
    data.write_text(json.dumps(row) + "\n")
    [(label, computed)] = calibrate.load_signals(data, None)
    cache = tmp_path / f"dev-{calibrate.signals_fingerprint()}.jsonl"
    [item] = [json.loads(line) for line in cache.read_text().splitlines()]
    assert label == 0 and len(computed) == len(item["pairs"]) == 2
    # The cached pair is what the checker read: reading it again gives the same signals.
    entailment = FEATURES.index("entailment")
    from factaid import models, verify

    readings = verify.NLIScorer(models.get_checker()).probabilities(*zip(*item["pairs"]))
    assert [r["entailment"] for r in readings] == pytest.approx([c[entailment] for c in computed], abs=2e-3)
    # A cache read by another checker gets the current checker's readings, the other signals kept.
    for signals in item["signals"]:
        signals[entailment] = -1.0
    cache.write_text(json.dumps({**item, "checker": "another0"}) + "\n")
    [(_, refreshed)] = calibrate.load_signals(data, None)
    assert [v for c in refreshed for v in c] == pytest.approx([v for c in computed for v in c], abs=2e-3)
    assert json.loads(cache.read_text())["checker"] == calibrate.checker_fingerprint()


def _write_caches(folder, caches: dict[str, dict[str, list[list[float]]]]) -> None:
    """Signal caches of dev.jsonl: fingerprint -> row id -> signals per claim."""
    for fingerprint, signals in caches.items():
        lines = [json.dumps({"id": rid, "signals": s}) for rid, s in signals.items()]
        (folder / f"dev-{fingerprint}.jsonl").write_text("\n".join(lines) + "\n")


def test_compare_caches_counts_changed_rows_by_signal_and_label(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(calibrate, "RUNS", tmp_path)
    data = tmp_path / "dev.jsonl"
    rows = [{"id": f"r{i}", "document": "A text.", "summary": "A text.", "label": i % 2} for i in range(4)]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    old = {"r0": [claim(0.9)], "r1": [claim(0.8)], "r2": [claim(0.7)], "r3": [claim(0.6)]}
    new = {
        "r0": [claim(0.9, number_mismatch=1.0)],  # a count rose on a wrong summary (label 0)
        "r1": [claim(0.8)],  # unchanged
        "r2": [claim(0.7), claim(0.5)],  # one claim more
        "r3": [claim(0.6 + 1e-6)],  # below the tolerance
    }
    _write_caches(tmp_path, {"old00000": old, calibrate.signals_fingerprint(): new})
    assert calibrate.compare_caches(data, "old00000") == {
        "rows compared": 4,
        "any, label 0": 2,
        "claims, label 0": 1,
        "number_mismatch up, label 0": 1,
    }
    with pytest.raises(SystemExit, match="no cached signals"):
        calibrate.compare_caches(data, "missing0")
    # A cache made before the last signal existed: that signal counts as new where it fires.
    shorter = {rid: [signals[0][:-1]] for rid, signals in old.items()}
    newest = {**old, "r1": [claim(0.8, **{FEATURES[-1]: 1.0})]}
    _write_caches(tmp_path, {"old00001": shorter, calibrate.signals_fingerprint(): newest})
    assert calibrate.compare_caches(data, "old00001") == {
        "rows compared": 4,
        "any, label 1": 1,
        f"{FEATURES[-1]} new, label 1": 1,
    }
