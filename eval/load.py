"""Many users at once against the running app, through its API (gradio_client): the driver that
``tests/test_load.py`` asserts on and ``python -m eval bench`` times.

Every user sends the bundled example pair with one sentence of their own added to the first source (an
inspector's name and hour) and a summary of their own, so a result routed to the wrong user, or built
from another user's document, shows up as a wrong summary, source text or verdict.
"""

from __future__ import annotations

import contextlib
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from factaid.types import CheckSettings

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


def user_input(user: int) -> tuple[list[str], str]:
    """The user's two source texts and summary; odd users give the wrong hour for their inspector."""
    name, hour = INSPECTORS[user % len(INSPECTORS)], user % 12 + 1
    texts = [p.read_text(encoding="utf-8") for p in sorted((REPO / "factaid" / "examples").glob("*.txt"))]
    texts[0] += f"\n\nInspector {name} of the safety board reached the bridge at {hour} p.m. on Tuesday."
    claimed_hour = hour if user % 2 == 0 else hour % 12 + 1
    summary = f"Inspector {name} reached the bridge at {claimed_hour} p.m. {OTHER_CLAIMS[user % 6]}"
    return texts, summary


def api_args(texts: list[str], summary: str) -> list:
    """Positional inputs of the app's /check endpoint: the source slots, then the summary settings."""
    from factaid import ui

    defaults = CheckSettings()  # the settings a direct factaid.check uses
    slots: list = []
    for i in range(ui.SOURCE_SLOTS):
        slots += ["Text", "", texts[i] if i < len(texts) else "", None, ""]
    summary_inputs = [
        ui.CHECK,
        defaults.mode,
        defaults.summary_sentences,
        summary,
        False,
        0.5,
        defaults.top_k,
    ]
    return [*slots, *summary_inputs, "", "", defaults.llm_api, defaults.judge]


@contextlib.contextmanager
def running_app() -> Iterator[str]:
    """The app on a free port of 127.0.0.1, in this process; yields its URL."""
    from factaid import ui

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = ui.launch(port=port, prevent_thread_lock=True, quiet=True, show_error=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()


@dataclass
class Burst:
    outputs: list  # each user's endpoint output, in user order
    latencies: list[float]  # seconds from the burst's start to each user's result, in user order
    wall: float  # seconds from the start to the last result


def simultaneous_checks(url: str, inputs: list[tuple[list[str], str]], downloads: Path) -> Burst:
    """Every input submitted at once, each by a client of its own; waits for all results."""
    from gradio_client import Client

    clients = [
        Client(url, verbose=False, download_files=str(downloads / f"user{u}")) for u in range(len(inputs))
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
        job = client.submit(*api_args(texts, summary), api_name="/check")
        job.add_done_callback(done_at(user))
        jobs.append(job)
    outputs = [job.result(timeout=600) for job in jobs]
    latencies = [finished[user] - started for user in range(len(inputs))]
    return Burst(outputs, latencies, max(latencies))


def _percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def load_figures(users: int, downloads: Path) -> dict:
    """Throughput and latency of ``users`` simultaneous checks, after one check that loads the models."""
    inputs = [user_input(user) for user in range(users)]
    with running_app() as url:
        simultaneous_checks(url, inputs[:1], downloads / "warm-up")
        burst = simultaneous_checks(url, inputs, downloads / "burst")
    return {
        "users": users,
        "wall_s": burst.wall,
        "checks_per_min": users / burst.wall * 60,
        "latency_p50_s": _percentile(burst.latencies, 50),
        "latency_p95_s": _percentile(burst.latencies, 95),
    }
