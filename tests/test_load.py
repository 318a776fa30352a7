"""Many users at once: the running app answers simultaneous checks through its API, each with its own result.

Every user sends the bundled example pair with one sentence of their own added to the first source (an
inspector's name and hour) and a summary of their own, so a result routed to the wrong user, or built
from another user's document, shows up as a wrong summary, source text or verdict. Throughput and
latency are printed (``pytest -s``), never asserted.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import factaid
from factaid import ingest
from factaid.sentences import split_sentences
from factaid.types import CheckSettings, Report, Source

REPO = Path(__file__).resolve().parents[1]
USERS = 12
INSPECTORS = (
    "Mara Quill", "Tobin Ashe", "Lena Voss", "Piet Marlow", "Ada Renn", "Colm Hardy",
    "Ines Falk", "Rufus Dale", "Nora Stave", "Emil Brandt", "Kaja Lind", "Otto Weir",
)  # fmt: skip
OTHER_CLAIMS = (
    "The train carried wheat from Aldwick.",
    "14 wagons fell into the river.",
    "Nobody was hurt.",
    "The mayor is Ilse Vandermeer.",
    "The train was travelling at 40 kilometres per hour.",
    "The line will stay closed for a week.",
)


def _user_input(user: int) -> tuple[list[str], str]:
    """The user's two source texts and summary; odd users give the wrong hour for their inspector."""
    name, hour = INSPECTORS[user], user + 1
    texts = [p.read_text(encoding="utf-8") for p in sorted((REPO / "factaid" / "examples").glob("*.txt"))]
    texts[0] += f"\n\nInspector {name} of the safety board reached the bridge at {hour} p.m. on Tuesday."
    claimed_hour = hour if user % 2 == 0 else hour % 12 + 1
    summary = f"Inspector {name} reached the bridge at {claimed_hour} p.m. {OTHER_CLAIMS[user % 6]}"
    return texts, summary


def _api_args(texts: list[str], summary: str) -> list:
    """Positional inputs of the app's run_check endpoint: 8 source slots, then the summary settings."""
    from factaid import ui

    defaults = CheckSettings()  # the settings a direct factaid.check uses
    slots: list = []
    for i in range(ui.SOURCE_SLOTS):
        slots += ["Text", "", texts[i] if i < len(texts) else "", None, ""]
    return [*slots, ui.CHECK, defaults.mode, defaults.summary_sentences, summary, False, 0.5, defaults.top_k]


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
    from factaid import ui

    with socket.socket() as sock:  # a free port
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = ui.launch(port=port, prevent_thread_lock=True, quiet=True, show_error=True)
    yield f"http://127.0.0.1:{port}/"
    app.close()


def test_sentences_split_in_many_threads_match_one_thread():
    """The app runs checks in worker threads; a splitter shared between them once dropped sentences."""
    texts = [" ".join(_user_input(user)[0]) for user in range(USERS)] * 4
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


def _percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


@pytest.mark.slow
def test_simultaneous_users_each_get_their_own_correct_result(app_url, tmp_path):
    from gradio_client import Client

    inputs = [_user_input(user) for user in range(USERS)]
    expected = [_direct(texts, summary) for texts, summary in inputs]  # also loads the models
    # The inputs are worth checking: each inspector claim is judged on that user's own added sentence.
    assert [e["claims"][0]["label"] for e in expected] == ["supported", "contradicted"] * (USERS // 2)
    assert len({json.dumps(_verdicts(e)) for e in expected}) == USERS  # every user's answer differs

    clients = [
        Client(app_url, verbose=False, download_files=str(tmp_path / f"user{u}")) for u in range(USERS)
    ]
    finished: dict[int, float] = {}
    lock = threading.Lock()

    def done_at(user: int):
        def record(_job) -> None:
            with lock:
                finished[user] = time.perf_counter()

        return record

    started = time.perf_counter()
    jobs = []
    for user, (client, (texts, summary)) in enumerate(zip(clients, inputs)):
        job = client.submit(*_api_args(texts, summary), api_name="/check")
        job.add_done_callback(done_at(user))
        jobs.append(job)
    outputs = [job.result(timeout=600) for job in jobs]
    wall = max(finished.values()) - started

    for user, (output, (texts, summary)) in enumerate(zip(outputs, inputs)):
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
        assert INSPECTORS[user] in picker["value"] and INSPECTORS[user] in summary_html

    latencies = sorted(finished[user] - started for user in range(USERS))
    print(
        f"\n{USERS} simultaneous checks in {wall:.1f} s: {USERS / wall * 60:.1f} checks/min; latency "
        f"p50 {_percentile(latencies, 50):.1f} s, p95 {_percentile(latencies, 95):.1f} s "
        f"(queue of {USERS} at the app's concurrency limit)"
    )

    # The app is still up: one more user, after the burst, gets a result.
    texts, summary = inputs[0]
    after = Client(app_url, verbose=False, download_files=str(tmp_path / "after"))
    status = after.predict(*_api_args(texts, summary), api_name="/check")[0]
    assert status.startswith("**Checked 2 claims against 2 sources:**")
