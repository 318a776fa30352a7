"""Many users at once: the running app answers simultaneous checks through its API, each with its own result.

Every user sends the bundled example pair with one sentence of their own added to the first source (an
inspector's name and hour) and a summary of their own, so a result routed to the wrong user, or built
from another user's document, shows up as a wrong summary, source text or verdict. Throughput and
latency are a benchmark's (``python -m eval bench``, which drives the app with the same eval/load.py).
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import factaid
from eval import load
from factaid import ingest
from factaid.sentences import split_sentences
from factaid.types import CheckSettings, Report, Source


def _verdicts(report: dict) -> list[tuple]:
    return [(c["text"], c["label"], c["supported_by"], c["contradicted_by"]) for c in report["claims"]]


def _scores(report: dict) -> list[float]:
    return [c["score"] for c in report["claims"]]


def _direct(texts: list[str], summary: str) -> dict:
    """factaid.check on the same input, with the sources built as the app builds pasted text."""
    sources = [ingest.from_text(text, source_id=f"S{i}") for i, text in enumerate(texts, start=1)]
    return factaid.check(sources, summary).to_dict()


@pytest.fixture(scope="module")
def app_url():
    with load.running_app() as url:
        yield url


def test_sentences_split_in_many_threads_match_one_thread():
    """The app runs checks in worker threads; a splitter shared between them once dropped sentences."""
    texts = [" ".join(load.user_input(user)[0]) for user in range(load.USERS)] * 4
    alone = [[s.text for s in split_sentences(text)] for text in texts]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda text: [s.text for s in split_sentences(text)], texts))
    assert together == alone


def test_downloads_written_at_once_while_expired_folders_are_swept(tmp_path, monkeypatch):
    """Every check sweeps download folders older than an hour; two sweeping at once once failed a check."""
    from factaid import ui

    monkeypatch.setattr(ui, "_DOWNLOADS", tmp_path)
    report = Report(
        [Source("S1", "Note", "text", "The bridge opened in 1932.")], "", "user", [], [], CheckSettings()
    )
    expired = time.time() - 2 * ui._DOWNLOAD_MAX_AGE_S
    for _ in range(20):
        for i in range(30):
            (tmp_path / f"old{i}").mkdir()
            os.utime(tmp_path / f"old{i}", (expired, expired))
        with ThreadPoolExecutor(8) as pool:
            written = list(pool.map(lambda _: ui._write_downloads(report), range(8)))
        assert all(Path(path).is_file() for paths in written for path in paths)
        assert not list(tmp_path.glob("old*"))


@pytest.mark.slow
def test_simultaneous_users_each_get_their_own_correct_result(app_url, tmp_path):
    from gradio_client import Client

    inputs = [load.user_input(user) for user in range(load.USERS)]
    expected = [_direct(texts, summary) for texts, summary in inputs]  # also loads the models
    # The inputs are worth checking: each inspector claim is judged on that user's own added sentence.
    assert [e["claims"][0]["label"] for e in expected] == ["supported", "contradicted"] * (load.USERS // 2)
    assert len({json.dumps(_verdicts(e)) for e in expected}) == load.USERS  # every user's answer differs

    burst = load.simultaneous_checks(app_url, inputs, tmp_path)

    for user, (output, (texts, summary)) in enumerate(zip(burst.outputs, inputs)):
        status, summary_html, picker, *_, downloads = output
        assert status.startswith(f"**Checked {len(expected[user]['claims'])} claims against 2 sources:**")
        assert "Error" not in status
        report_file = next(path for path in downloads if path.endswith(".json"))
        report = json.loads(Path(report_file).read_text(encoding="utf-8"))
        assert report["summary"] == summary and report["summary_origin"] == "user"
        assert report["sources"][0]["text"].endswith(texts[0].rsplit("\n\n", 1)[1])
        assert report["settings"] == expected[user]["settings"]
        assert _verdicts(report) == _verdicts(expected[user]), f"user {user}"
        assert _scores(report) == pytest.approx(_scores(expected[user]), abs=1e-3)
        assert load.INSPECTORS[user] in picker["value"] and load.INSPECTORS[user] in summary_html

    # The app is still up: one more user, after the burst, gets a result.
    texts, summary = inputs[0]
    after = Client(app_url, verbose=False, download_files=str(tmp_path / "after"))
    status = after.predict(*load.api_args(texts, summary), api_name="/check")[0]
    assert status.startswith("**Checked 2 claims against 2 sources:**")
