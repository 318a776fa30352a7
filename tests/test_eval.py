"""eval/: metric functions against hand-computed values, and the resumable row loop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import pytest

from factaid.errors import InputError
from factaid.rows import threads_per_worker

ROOT = Path(__file__).resolve().parents[1]

from eval import metrics, probes, runner  # noqa: E402
from eval.__main__ import main  # noqa: E402

# ----------------------------------------------------------------------------- metrics


def test_auc_of_the_textbook_example():
    assert metrics.roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)


def test_auc_is_undefined_with_one_class():
    assert metrics.roc_auc([1, 1], [0.2, 0.9]) is None


def test_balanced_accuracy_at_a_threshold():
    # threshold 0.38: predictions 0,1,0,1 -> recall of 1s 1/2, recall of 0s 1/2
    assert metrics.balanced_accuracy([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], 0.38) == pytest.approx(0.5)
    # threshold 0.3: predictions 0,1,1,1 -> 2/2 and 1/2
    assert metrics.balanced_accuracy([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], 0.3) == pytest.approx(0.75)


def test_best_threshold_separates_and_ties_go_high():
    assert metrics.best_threshold([0, 0, 1, 1], [0.1, 0.2, 0.6, 0.7]) == pytest.approx(0.6)
    # 0.8 and 0.35 both give 0.75; the higher one wins
    assert metrics.best_threshold([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.8)
    with pytest.raises(ValueError, match="both classes"):
        metrics.best_threshold([1, 1], [0.1, 0.2])


def test_best_threshold_maximises_balanced_accuracy_on_an_imbalanced_set():
    labels = [0, 0, 0, 0, 0, 0, 1, 1]
    scores = [0.1, 0.2, 0.3, 0.5, 0.55, 0.9, 0.6, 0.7]
    threshold = metrics.best_threshold(labels, scores)
    assert threshold == pytest.approx(0.6)
    assert metrics.balanced_accuracy(labels, scores, threshold) == pytest.approx((1 + 5 / 6) / 2)


def test_best_balanced_accuracy_with_a_threshold_per_group_by_hand():
    labels = [1, 0, 1, 0, 0, 0]
    scores = [0.9, 0.2, 0.3, 0.8, 0.1, 0.5]
    groups = ["a", "a", "b", "b", "b", "b"]
    # One threshold for all: at 0.9 TPR 1/2, TNR 4/4 -> 0.75 is the best.
    assert metrics.balanced_accuracy(labels, scores, metrics.best_threshold(labels, scores)) == 0.75
    # Per group: a's best share is TP 1, TN 1 (at 0.9): 1/2 + 1/4; b's is TP 1, TN 1 (at 0.3) or TP 0,
    # TN 3 (above all): 3/4 either way. (3/4 + 3/4) / 2: no gain when the groups rank alike.
    assert metrics.best_balanced_accuracy_by_group(labels, scores, groups) == 0.75
    # Group a's scores sit lower than b's: now a threshold per group gains.
    scores = [0.4, 0.2, 0.7, 0.8, 0.1, 0.5]
    # One threshold: 0.4 -> TP 2, TN 2 (0.2, 0.1) -> (1 + 1/2) / 2 = 0.75; 0.7 -> TP 1, TN 3 -> 0.625.
    assert metrics.balanced_accuracy(labels, scores, metrics.best_threshold(labels, scores)) == 0.75
    # Per group: a at 0.4 (TP 1, TN 1); b at 0.7 (TP 1, TN 2: 0.1 and 0.5): (2/2 + 3/4) / 2.
    assert metrics.best_balanced_accuracy_by_group(labels, scores, groups) == 0.875
    assert metrics.best_balanced_accuracy_by_group([1, 1], [0.2, 0.3], ["a", "b"]) is None


def test_hit_and_complete_at_k_by_hand():
    ranked, gold = [4, 2, 7, 1, 0], [[2, 3], [7, 1]]
    assert [metrics.hit_at_k(ranked, gold, k) for k in (1, 3, 5)] == [False, True, True]
    # {2, 3}: 3 is never retrieved; {7, 1}: 1 comes fourth
    assert [metrics.complete_at_k(ranked, gold, k) for k in (1, 3, 5)] == [False, False, True]
    assert metrics.complete_at_k([3, 2], [[2, 3]], 2)
    # an empty gold set (WiCE's "no evidence" alternative) never counts as found
    assert not metrics.complete_at_k([0, 1], [[]], 2)
    assert not metrics.hit_at_k([0, 1], [[]], 2)


def test_aggregators_and_word_overlap():
    assert metrics.min_over_claims([0.9, 0.2, 0.7]) == pytest.approx(0.2)
    assert metrics.mean_over_claims([0.9, 0.3]) == pytest.approx(0.6)
    with pytest.raises(ValueError):
        metrics.min_over_claims([])
    assert metrics.word_overlap("The cat sat", "a cat sat down") == pytest.approx(2 / 3)
    assert metrics.word_overlap("", "anything") == 0.0


def test_markdown_table():
    table = metrics.markdown_table([{"signal": "x", "auc": 0.81234, "n": 3, "t": None}])
    assert table.splitlines() == ["| signal | auc | n | t |", "|---|---|---|---|", "| x | 0.812 | 3 | – |"]


# ----------------------------------------------------------------------------- the row loop


def _consistency_rows(path: Path, count: int = 8, subsets: tuple[str, ...] = ()) -> Path:
    lines = [
        {
            "id": f"r{i:02d}",
            "document": f"The council met on Monday. It approved plan number {i} for the harbour.",
            "summary": f"The council approved plan {i}." if i % 2 else f"The mayor rejected plan {i + 1}.",
            "label": i % 2,
        }
        for i in range(count)
    ]
    for i, line in enumerate(lines):
        if subsets:
            line["dataset"] = subsets[i * len(subsets) // count]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def overlap_scorer(row: dict, fail_after: int | None = None, calls: list | None = None) -> dict:
    """A real (cheap) scorer; it raises on call ``fail_after`` + 1 to stand for a crash."""
    if calls is not None:
        calls.append(row["id"])
        if fail_after is not None and len(calls) > fail_after:
            raise RuntimeError("crash")
    return {"overlap": metrics.word_overlap(row["summary"], row["document"]), "label": row["label"]}


def _ids_on_disk(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


def test_read_jsonl_limit_ids_and_errors(tmp_path):
    rows = runner.read_jsonl(_consistency_rows(tmp_path / "d.jsonl"), limit=3)
    assert [r["id"] for r in rows] == ["r00", "r01", "r02"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a"}\n{"id": "a"}\n')
    with pytest.raises(InputError, match="duplicate row id"):
        runner.read_jsonl(bad)
    bad.write_text('{"summary": "x"}\nnot json\n')
    with pytest.raises(InputError, match=":2: not a JSON line"):
        runner.read_jsonl(bad)


def test_a_crash_loses_no_row_and_a_rerun_duplicates_none(tmp_path):
    rows = runner.read_jsonl(_consistency_rows(tmp_path / "d.jsonl"))
    out = tmp_path / "run" / "rows.jsonl"
    calls: list[str] = []
    with pytest.raises(RuntimeError, match="crash"):
        runner.run_rows(rows, partial(overlap_scorer, fail_after=3, calls=calls), out)
    assert _ids_on_disk(out) == ["r00", "r01", "r02"]

    calls.clear()
    results = runner.run_rows(rows, partial(overlap_scorer, calls=calls), out)
    assert calls == ["r03", "r04", "r05", "r06", "r07"]  # finished rows were not scored again
    assert sorted(_ids_on_disk(out)) == [r["id"] for r in rows]
    fresh = runner.run_rows(rows, overlap_scorer, tmp_path / "fresh" / "rows.jsonl")
    assert results == fresh


def test_a_truncated_last_line_is_dropped_and_rescored(tmp_path):
    rows = runner.read_jsonl(_consistency_rows(tmp_path / "d.jsonl", count=3))
    out = tmp_path / "rows.jsonl"
    good = json.dumps({"id": "r00", **overlap_scorer(rows[0])})
    out.write_text(good + "\n" + '{"id": "r01", "overl')
    results = runner.run_rows(rows, overlap_scorer, out)
    assert [r["id"] for r in results] == ["r00", "r01", "r02"]
    assert sorted(_ids_on_disk(out)) == ["r00", "r01", "r02"]


_KILLABLE = """
import sys, time
from functools import partial
from pathlib import Path
from eval import runner, metrics

def slow(row):
    time.sleep(0.3)  # pacing, so the parent can kill us mid-run
    return {"overlap": metrics.word_overlap(row["summary"], row["document"])}

rows = runner.read_jsonl(Path(sys.argv[1]))
runner.run_rows(rows, slow, Path(sys.argv[2]))
"""


def test_sigkill_mid_run_then_resume(tmp_path):
    data, out = _consistency_rows(tmp_path / "d.jsonl", count=12), tmp_path / "rows.jsonl"
    script = tmp_path / "killable.py"
    script.write_text(_KILLABLE)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, str(script), str(data), str(out)], env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not out.exists() or len(out.read_text().splitlines()) < 2):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 2 <= len(_ids_on_disk(out)) < 12
    rows = runner.read_jsonl(data)
    results = runner.run_rows(rows, overlap_scorer, out)
    assert [r["id"] for r in results] == [r["id"] for r in rows]
    assert sorted(_ids_on_disk(out)) == [r["id"] for r in rows]


def test_workers_spread_rows_over_processes(tmp_path):
    rows = runner.read_jsonl(_consistency_rows(tmp_path / "d.jsonl", count=6))
    one = runner.run_rows(rows, overlap_scorer, tmp_path / "a.jsonl")
    two = runner.run_rows(rows, overlap_scorer, tmp_path / "b.jsonl", workers=2)
    assert one == two


def test_threads_per_worker_never_oversubscribes(monkeypatch):
    monkeypatch.setenv("FACTAID_THREADS", "64")
    cores = os.cpu_count() or 1
    assert runner.threads_per_worker(2) * min(2, cores) <= max(cores, 2)
    assert runner.threads_per_worker(1) <= cores


# ----------------------------------------------------------------------------- tasks over the real pipeline


def _wice_rows(path: Path) -> Path:
    rows = [
        {
            "id": "w1",
            "claim": "The bridge was opened in 1932 by the governor.",
            "sentences": [
                "The town lies on the river.",
                "The bridge was opened in 1932.",
                "The governor cut the ribbon at the bridge.",
                "Fishing is popular in summer.",
            ],
            "gold_evidence": [[1, 2]],
            "label": "supported",
        },
        {
            "id": "w2",
            "claim": "Maria Lopez won the chess championship in Madrid.",
            "sentences": [
                "Madrid hosted many events.",
                "Maria Lopez won the chess championship.",
                "It rained.",
            ],
            "gold_evidence": [[1]],
            "label": "partially_supported",
        },
        {
            "id": "w3",
            "claim": "The factory closed in 1990.",
            "sentences": ["The factory opened in 1950.", "It employs 300 people."],
            "gold_evidence": [[]],
            "label": "not_supported",
        },
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_evidence_task_end_to_end_and_resumable(tmp_path, capsys):
    data, out = _wice_rows(tmp_path / "wice.jsonl"), tmp_path / "run"
    assert main(["evidence", "--data", str(data), "--out", str(out)]) == 0
    found = json.loads((out / "metrics.json").read_text())
    retrieval = {line["method"]: line for line in found["tables"][next(iter(found["tables"]))]}
    assert retrieval["factaid"]["n"] == 2  # not_supported rows are left out
    assert retrieval["factaid"]["hit@1"] == 1.0
    assert retrieval["factaid"]["complete@5"] == 1.0
    assert set(retrieval) == {"factaid", "bm25", "embedding"}
    verdict = found["tables"]["Verdict (supported = 1, the rest = 0)"][0]
    assert verdict["n"] == 3 and 0.0 <= verdict["threshold"] <= 1.0
    assert "| factaid |" in capsys.readouterr().out
    assert (out / "metrics.md").read_text().startswith("## evidence")
    [timing] = [json.loads(line) for line in (out / "timing.jsonl").read_text().splitlines()]
    assert timing["rows"] == 3 and timing["threads"] == threads_per_worker(1) >= 1
    before = (out / "rows.jsonl").read_text()
    assert main(["evidence", "--data", str(data), "--out", str(out)]) == 0  # resumes: nothing rescored
    assert (out / "rows.jsonl").read_text() == before
    assert json.loads((out / "metrics.json").read_text()) == found
    assert main(["evidence", "--data", str(data), "--out", str(out), "--no-verify"]) == 2  # options differ


def test_consistency_task_with_tuning_reports_the_floor_beside(tmp_path):
    data = _consistency_rows(tmp_path / "c.jsonl", count=4)
    out = tmp_path / "run"
    assert main(["consistency", "--data", str(data), "--tune", str(data), "--out", str(out)]) == 0
    found = json.loads((out / "metrics.json").read_text())
    table = found["tables"]["Consistency (label 1 = consistent)"]
    assert [line["signal"] for line in table] == ["factaid", "word overlap (floor)"]
    assert all(line["threshold_from"] == "tuned on --tune" for line in table)
    assert (out / f"tune-{data.stem}.jsonl").exists()
    assert len(found["tables"]) == 1  # one subset: no table by subset


def test_consistency_reports_each_subset_of_a_mixed_file(tmp_path):
    data = _consistency_rows(tmp_path / "c.jsonl", count=8, subsets=("cnndm", "xsum"))
    out = tmp_path / "run"
    assert main(["consistency", "--data", str(data), "--out", str(out)]) == 0
    found = json.loads((out / "metrics.json").read_text())
    (title,) = [t for t in found["tables"] if t.startswith("By subset")]
    by_subset = {line["signal"]: line for line in found["tables"][title]}
    assert list(by_subset) == [
        "factaid · cnndm",
        "word overlap (floor) · cnndm",
        "factaid · xsum",
        "word overlap (floor) · xsum",
    ]
    assert all(line["n"] == 4 for line in by_subset.values())
    # The faithful summaries copy the document's words; the others bring "mayor" and "rejected".
    assert by_subset["word overlap (floor) · xsum"]["auc"] == 1.0
    (bound,) = [t for t in found["tables"] if t.startswith("Whole file, one threshold per subset")]
    # Overlap separates each subset perfectly, so with a threshold per subset it is perfect on the file.
    assert {line["signal"]: line["bal_acc"] for line in found["tables"][bound]}["word overlap (floor)"] == 1.0


_NEWS = (
    "The city council approved the new harbour plan on Monday. The plan costs 12 million euros. "
    "Work on the harbour will start in May. Local fishermen welcomed the decision. "
    "The mayor said the harbour would bring 200 jobs to the town."
)


def test_rouge_and_lead3():
    from eval import summary

    text = "The cat sat on the mat."
    assert summary.rouge(text, text)["rouge1"] == pytest.approx(100.0)
    lead = summary.lead3(_NEWS)
    assert lead.startswith("The city council approved") and lead.endswith("start in May.")


def test_summary_task_scores_factaid_beside_lead3(tmp_path):
    data, out = tmp_path / "refs.jsonl", tmp_path / "run"
    row = {"id": "d1", "document": _NEWS, "reference": "The council approved a 12 million euro harbour plan."}
    data.write_text(json.dumps(row) + "\n")
    assert main(["summary", "--data", str(data), "--out", str(out)]) == 0
    table = json.loads((out / "metrics.json").read_text())["tables"]
    systems = {line["system"]: line for line in next(iter(table.values()))}
    assert set(systems) == {"lead3", "factaid extractive"}
    assert 0 < systems["factaid extractive"]["rouge1"] <= 100
    assert 0 <= systems["factaid extractive"]["claims_supported"] <= 1


def test_check_task_writes_one_json_report_per_document(tmp_path):
    folder, out = tmp_path / "docs", tmp_path / "run"
    folder.mkdir()
    (folder / "harbour news.txt").write_text(_NEWS)
    (folder / "ignored.csv").write_text("a,b")
    assert main(["check", "--data", str(folder), "--out", str(out)]) == 0
    (report_file,) = (out / "reports").iterdir()
    report = json.loads(report_file.read_text())
    assert report["claims"] and report["summary"]
    found = json.loads((out / "metrics.json").read_text())
    assert found["rows"] == 1 and found["tables"]["Reports written"][0]["claims"] == len(report["claims"])


def test_summary_settings_are_chosen_on_other_folds_and_scored_on_their_own() -> None:
    from eval import summary_cv

    def scores(value: float) -> dict[str, float]:
        return {"rouge1": value, "rouge2": value, "rougeL": value, "rougeLsum": value}

    # Rows dealt within each dataset: a, b, a, b -> folds 0, 0, 1, 1.
    folds = summary_cv.folds_of(["a", "b", "a", "b"], 2)
    assert folds == [0, 0, 1, 1]
    # Fold 0's rows prefer setting 1, fold 1's rows setting 0.
    per_setting = [
        [scores(10), scores(10), scores(30), scores(30)],
        [scores(20), scores(20), scores(20), scores(20)],
    ]
    chosen, held = summary_cv.cross_validate(per_setting, folds)
    # Fold 0 is chosen on fold 1's rows (setting 0 wins there) and the reverse.
    assert chosen == [0, 1]
    assert [row["rouge1"] for row in held] == [10, 10, 20, 20]
    assert summary_cv.objective({"rouge1": 30, "rouge2": 6, "rougeL": 18, "rougeLsum": 99}) == 18


def _probe_file(path: Path) -> Path:
    """A probe file over the bundled example: two outlets that disagree on how many wagons fell."""
    examples = ROOT / "factaid" / "examples"
    articles = [
        {"source": outlet, "title": outlet, "text": (examples / f"brenmoor_{outlet}.txt").read_text()}
        for outlet in ("valley_post", "northern_ledger")
    ]
    probes = [
        {
            "text": "Eleven of the train's wagons fell into the Tessel River.",
            "expect": "supported",
            "sources": ["valley_post"],
            "kind": "one-source",
        },
        {"text": "The freight train was carrying coal.", "expect": "not_supported", "kind": "entity-swap"},
        {"text": "The train was heading for Corran.", "expect": "contradicted", "kind": "made-up"},
    ]
    path.write_text(json.dumps({"sets": [{"event": "brenmoor", "articles": articles, "probes": probes}]}))
    return path


def test_probes_task_scores_labels_and_outlets_and_resumes(tmp_path, capsys):
    data, out = _probe_file(tmp_path / "probes.json"), tmp_path / "run"
    assert main(["probes", "--data", str(data), "--out", str(out)]) == 0
    rows = {r["id"]: r for r in map(json.loads, (out / "rows.jsonl").read_text().splitlines())}
    assert sorted(rows) == ["brenmoor:00", "brenmoor:01", "brenmoor:02"]
    # The Valley Post states the wagons claim (11 wagons; the Northern Ledger gives 14).
    wagons = rows["brenmoor:00"]
    assert "valley_post" in wagons["supported_by"] or wagons["label"] != "supported", wagons
    right = [r for r in rows.values() if probes.is_right(r["label"], r["expect"])]
    exact = [r for r in rows.values() if r["expect"] == "supported" and probes.exact(r)]
    found = json.loads((out / "metrics.json").read_text())
    assert found["summary"]["right"] == len(right) and found["summary"]["exact outlets"] == len(exact)
    missed = {
        r["id"] for r in rows.values() if r not in right or (r["expect"] == "supported" and r not in exact)
    }
    assert {m["id"] for m in found["tables"]["Misses (label or outlets)"]} == missed
    # Both outlets say the train was heading for Corran: a probe expecting "contradicted" is a miss.
    assert rows["brenmoor:02"]["label"] != "contradicted" and "brenmoor:02" in missed
    kinds = {k["kind"]: k["n"] for k in found["tables"]["By kind of claim"]}
    assert kinds == {"entity-swap": 1, "made-up": 1, "one-source": 1}
    before = (out / "rows.jsonl").read_text()
    assert main(["probes", "--data", str(data), "--out", str(out)]) == 0  # resumes: nothing rescored
    assert (out / "rows.jsonl").read_text() == before


def test_probes_task_refuses_a_file_of_another_shape(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"sets": [{"event": "x", "probes": [{"text": "A claim."}]}]}))
    assert main(["probes", "--data", str(bad), "--out", str(tmp_path / "run")]) == 2
    assert "not a probe file" in capsys.readouterr().err


def test_summary_compare_matches_rows_and_counts_differences(tmp_path):
    from eval import summary

    def run(name: str, shares: list[float], rouge1: list[float], texts: list[str]) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        rows = [
            {
                "id": f"r{i}",
                "abstractive": {"summary": t, "claims": 2, "supported_share": s, "rouge": {"rouge1": r}},
            }
            for i, (s, r, t) in enumerate(zip(shares, rouge1, texts))
        ]
        (folder / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        return folder

    first = run("a", [1.0, 0.5, 0.0], [30.0, 20.0, 10.0], ["A.", "B.", "C."])
    second = run("b", [0.5, 0.5, 0.5], [20.0, 20.0, 20.0], ["A.", "X.", "Y."])
    found = summary.compare(first, second)
    assert found["rows"] == 3 and found["same_summary"] == 1 and found["claims"] == [6, 6]
    assert found["supported_share_higher_lower_same"] == [1, 1, 1]
    assert found["supported_share_difference"] == 0.0 and found["rouge1_difference"] == 0.0
    low, high = found["rouge1_difference_95"]
    assert low < 0 < high
    assert main(["summary-compare", str(first), str(second)]) == 0


def test_code_fingerprint_changes_with_the_checkers_weights_and_word_lists(tmp_path):
    """Rows scored with another checker or word list must not be resumed as if nothing changed."""
    import shutil

    import factaid
    from factaid.rows import code_fingerprint

    package = tmp_path / "factaid"
    shutil.copytree(Path(factaid.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    before = code_fingerprint(package)
    assert before == code_fingerprint(Path(factaid.__file__).parent)
    for changed in ("checker/model.safetensors", "opposites.txt"):
        path = package / changed
        original = path.read_bytes()
        path.write_bytes(original + b"\0")
        assert code_fingerprint(package) != before, changed
        path.write_bytes(original)
        assert code_fingerprint(package) == before
    (package / "ui.py").write_text("# the UI does not score rows\n")
    assert code_fingerprint(package) == before
