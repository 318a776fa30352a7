"""End to end through the `factaid` command, as a user runs it: real files in, real reports out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from factaid.cli import main

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "examples"
ARTICLES = sorted(str(p) for p in SHARED.glob("*.txt"))
BOILERPLATE = ("Advertisement", "Source: News Agencies", "Original url", "[EPA]", "By [The Moscow Times]")


@pytest.fixture(scope="module")
def example_report(tmp_path_factory) -> dict:
    """`factaid check ../shared/examples/*.txt --format json`, run in-process (models load once)."""
    if len(ARTICLES) != 2:
        pytest.skip("../shared/examples not found")
    out = tmp_path_factory.mktemp("cli") / "report.json"
    assert main(["check", *ARTICLES, "--format", "json", "-o", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def test_summary_states_the_main_event_without_boilerplate(example_report):
    summary = example_report["summary"]
    assert "Putin" in summary and "Assad" in summary
    assert "parliamentary elections" in summary and "healthy" in summary
    assert not any(junk in summary for junk in BOILERPLATE)


def test_each_claim_cites_every_source_that_reports_it(example_report):
    texts = {s["id"]: s["text"] for s in example_report["sources"]}
    lede = example_report["claims"][0]
    assert lede["label"] == "supported" and sorted(lede["supported_by"]) == ["S1", "S2"]
    for claim in example_report["claims"]:
        assert claim["label"] == "supported", claim["text"]  # an extractive summary is the sources' own text
        cited = {e["source_id"] for e in claim["evidence"]}
        assert set(claim["supported_by"]) <= cited
        for evidence in claim["evidence"]:
            span = evidence["span"]
            assert texts[evidence["source_id"]][span["start"] : span["end"]] == evidence["text"]


def test_user_summary_and_markdown_report(tmp_path, capsys):
    summary = tmp_path / "summary.txt"
    summary.write_text("Putin said Assad will step down next month.", encoding="utf-8")
    assert main(["check", *ARTICLES, "--summary-file", str(summary), "--format", "md"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# factaid report") and "unsupported" in out and "next month" in out


def test_bad_input_exits_non_zero_with_one_line(tmp_path):
    missing = tmp_path / "nothing.txt"
    result = subprocess.run(
        [sys.executable, "-m", "factaid", "check", str(missing)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"factaid: error: no such file: {missing}")
    assert result.stdout == ""


def test_empty_document_is_refused(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n\n", encoding="utf-8")
    assert main(["check", str(empty)]) == 2
    assert "empty" in capsys.readouterr().err


@pytest.mark.slow
def test_abstractive_mode_runs_offline_and_flags_what_it_invents(tmp_path, monkeypatch):
    """The bundled Gemma writes the summary; no claim whose words the sources lack passes as supported."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = tmp_path / "report.json"
    args = [
        "check",
        *ARTICLES,
        "--mode",
        "abstractive",
        "--sentences",
        "2",
        "--format",
        "json",
        "-o",
        str(out),
    ]
    assert main(args) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["summary_origin"] == "abstractive" and report["claims"]
    for claim in report["claims"]:
        coverage = max(s["signals"]["window_coverage"] for s in claim["support"])
        if coverage < 0.6:
            assert claim["label"] != "supported", claim
        assert 0.0 <= claim["score"] <= 1.0 and claim["reasons"] or claim["label"] == "supported"


def test_the_cli_loads_the_embedder_then_the_other_models_of_a_check_in_the_background():
    """`factaid check` loads the embedder, then spaCy and the claim checker in a thread of their own while
    the check runs (a fresh process, so nothing is loaded before)."""
    program = (
        "from factaid import cli, models; from factaid.types import CheckSettings; "
        "loading = cli.start_loading(CheckSettings()); "
        "print(loading.name, loading.daemon, ('get_embedder', 'minilm') in models._loaded); loading.join(); "
        "print(sorted(key[0] for key in models._loaded))"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=300, check=True, cwd=REPO
    )
    started, loaded = result.stdout.strip().splitlines()
    assert started == "factaid-models True True"
    assert loaded == "['get_checker', 'get_embedder', 'get_nlp']"
