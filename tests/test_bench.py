"""The benchmark's pure helpers: document variants that miss every cache, summaries, import parsing, targets.

No timing is asserted; the figures themselves are machine- and load-dependent.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from factaid.sentences import split_sentences

ROOT = Path(__file__).resolve().parents[1]

from eval import bench  # noqa: E402

ARTICLE = (
    "Putin says Syria's Assad is ready to share power\n\n"
    "Russian President Vladimir Putin said on Friday that Assad is ready to hold elections. "
    "The Syrian president “is in agreement with” holding elections for parliament, Putin told reporters. "
    "He did not say when.\n"
)


def test_a_variant_changes_every_sentence_and_each_variant_is_distinct():
    original = {s.text for s in split_sentences(ARTICLE)}
    first = [s.text for s in split_sentences(bench.variant(ARTICLE, 1))]
    second = [s.text for s in split_sentences(bench.variant(ARTICLE, 2))]
    assert len(first) == len(original) == 4
    assert not original & set(first) and not set(first) & set(second)
    assert first[0] == "v1 Putin says Syria's Assad is ready to share power"
    assert first[-1] == "v1 He did not say when."


def test_documents_cycle_through_the_texts_with_consecutive_numbers():
    documents = bench.documents_of(["Alpha one. Beta two.", "Gamma three."], 3, 7)
    assert documents == ["v7 Alpha one. v7 Beta two.", "v8 Gamma three.", "v9 Alpha one. v9 Beta two."]


def test_summary_takes_long_full_stop_sentences_in_turn_and_more_variants_when_short():
    texts = [
        "One two three four five six seven. Short one.",
        "Eight nine ten eleven twelve thirteen fourteen.",
    ]
    assert bench.summary_of(texts, 2, 1) == (
        "v1 One two three four five six seven. v1 Eight nine ten eleven twelve thirteen fourteen."
    )
    longer = bench.summary_of(texts, 3, 1).split(". ")
    assert len(longer) == 3 and longer[-1].startswith("v2 One")
    with pytest.raises(ValueError, match="no sentence"):
        bench.summary_of(["Too short."], 1, 1)


def test_importtime_lines_give_top_level_packages_with_their_largest_cumulative_time():
    stderr = (
        "import time: self [us] | cumulative | imported package\n"
        "import time:       100 |        200 |     torch._C\n"
        "import time:      1000 |    2500000 | torch\n"
        "import time:        50 |         50 | gradio.utils\n"
        "some other line\n"
    )
    assert bench.imported_modules(stderr) == {"torch": 2.5, "gradio": 0.00005}


def test_growth_slope_is_one_when_linear_and_above_one_when_worse():
    assert math.isclose(bench.growth_slope([1, 5, 20], [1.0, 5.0, 20.0]), 1.0)
    assert math.isclose(bench.growth_slope([20, 5, 1], [400.0, 25.0, 1.0]), 2.0)  # order does not matter
    assert bench.growth_slope([1, 5, 20], [2.0, 2.5, 3.0]) < 1.0  # fixed cost dominates


def test_verdicts_compare_each_target_in_its_direction_and_mark_missing_ones():
    rows = {r["target"]: r for r in bench.verdicts({"warm_extractive_s": 2.0, "verifier_claims_per_s": 31.0})}
    assert rows[bench.TARGETS["warm_extractive_s"][2]]["met"] is False
    assert rows[bench.TARGETS["verifier_claims_per_s"][2]]["met"] is True
    assert rows[bench.TARGETS["cold_extractive_s"][2]]["met"] is None
    assert len(rows) == len(bench.TARGETS)


def test_markdown_shows_load_targets_and_nested_figures():
    result = {
        "cores": 2,
        "torch_threads": 2,
        "load_average": {"start": [3.5, 3.0, 2.0], "end": [4.25, 3.0, 2.0]},
        "targets": bench.verdicts({"warm_extractive_s": 1.2}),
        "figures": {"warm extractive": {"same_documents_s": 0.16, "calls": {"embedder": 123.4}}},
    }
    table = bench.markdown(result)
    assert "load average 3.50 at start, 4.25 at end" in table
    assert "| warm extractive check of the two examples (new documents) | 1.20 | <= 1.5 | yes |" in table
    assert "| warm extractive / calls / embedder | 123 |" in table
    assert "| warm extractive / same_documents_s | 0.16 |" in table
    assert "not measured" in table


def test_row_rates_over_the_whole_run_and_after_the_first_row():
    rates = bench.row_rates(rows=11, first_row_s=6.0, last_row_s=11.0)
    assert rates == {"rows_per_s": 1.0, "rows_per_s_after_first": 2.0}
    assert bench.row_rates(rows=1, first_row_s=3.0, last_row_s=3.0)["rows_per_s_after_first"] is None


def test_differing_counts_ids_whose_results_differ_or_that_one_run_lacks():
    assert bench.differing({"a": [0.5], "b": [0.25]}, {"a": [0.5], "b": [0.25]}) == 0
    assert bench.differing({"a": [0.5], "b": [0.25]}, {"a": [0.5], "b": [0.3], "c": None}) == 2


def test_steps_choose_what_runs_and_targets_of_steps_not_run_are_not_measured():
    args = bench.parse_args(["--steps", "rows, warm", "--data", str(Path(bench.__file__))])
    assert args.steps == ("rows", "warm")
    with pytest.raises(SystemExit):
        bench.parse_args(["--steps", "rows,nap", "--data", str(Path(bench.__file__))])
    warm = {"new_documents_s": 1.2, "new_documents_model_s": 1.0, "same_documents_s": 0.3}
    measured = bench._measured({"warm extractive": warm, "rows": {"rows": 40}})
    assert measured == {"warm_extractive_s": 1.2, "overhead_ratio": pytest.approx(1.2)}
    assert [row["met"] for row in bench.verdicts(measured)].count(None) == len(bench.TARGETS) - 2


def test_cold_figures_cover_both_example_sets_and_the_articles_decide_the_target():
    articles = {"seconds_median": 4.2, "seconds": [4.1, 4.2, 4.4], "peak_rss_mb": 900.0}
    bundled = {"seconds_median": 6.0, "seconds": [6.0], "peak_rss_mb": 880.0}
    figures = {"cold extractive": articles, f"cold extractive, {bench.BUNDLED}": bundled}
    measured = bench._measured(figures)
    assert measured["cold_extractive_s"] == 4.2 and measured["peak_rss_extractive_mb"] == 900.0
    row = next(r for r in bench.verdicts(measured) if r["value"] == 4.2)
    assert row["limit"] == "<= 5" and row["met"] is True
    assert "cold extractive, bundled example / seconds_median | 6" in bench.markdown(
        {
            "cores": 2,
            "torch_threads": 2,
            "load_average": {"start": [0.5, 0, 0], "end": [0.6, 0, 0]},
            "targets": bench.verdicts(measured),
            "figures": figures,
        }
    )
