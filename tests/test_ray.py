"""``--ray`` on a real Ray cluster: started by this module on 127.0.0.1 with two CPUs (so two worker
processes, one actor each), stopped after.

Ray gives the same rows as ``--workers 1``, with identical scores; a worker process killed mid-run is
restarted by Ray and its row retried, with no row lost or written twice; a bad ``factaid batch`` line
is reported in its output line while the batch goes on. Every comparison is against ``--workers 1`` in
this same run, never against stored scores, and with one torch thread, as each of the two actors runs:
where the CPU multiplies bfloat16 matrices (models.native_bfloat16) the checker's probabilities move in
the third decimal with the thread count, whoever runs the row.

The cluster requires a token of its own (Ray's token authentication, RAY_AUTH_MODE=token), given to the
drivers, which run as commands in their own processes, as a user runs them.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("ray")  # the extra factaid[ray]; CI installs it (setup.sh)

from test_batch import batch_lines, read_output  # noqa: E402
from test_eval_kill import write_council_rows  # noqa: E402

from eval.__main__ import main as eval_main  # noqa: E402
from factaid import cli  # noqa: E402

FACTAID = Path(sys.executable).with_name("factaid")

ROOT = Path(__file__).resolve().parents[1]
ROWS = 10


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        children = _children(todo.pop())
        found += children
        todo += children
    return found


def _title(pid: int) -> str:
    """A process's command line as it shows it (Ray workers set theirs: ray::RowWorker.score)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def cluster() -> Iterator[dict]:
    """A one-node Ray cluster on 127.0.0.1 with 2 CPUs and a token: its address, its Ray Client address,
    the environment a driver needs (the token), and the pid of the `ray start` that owns its processes."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("finds Ray's worker processes through /proc")
    temp = tempfile.mkdtemp(prefix="ray")  # short: Ray's socket paths must fit in 107 characters
    port, client_port = _free_port(), _free_port()
    token = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAY_USAGE_STATS_ENABLED": "0", **token}
    command = [
        str(Path(sys.executable).with_name("ray")), "start", "--head", "--block",
        "--node-ip-address=127.0.0.1", f"--port={port}", "--num-cpus=2", "--include-dashboard=false",
        f"--ray-client-server-port={client_port}", f"--temp-dir={temp}", "--object-store-memory=100000000",
        "--disable-usage-stats",
    ]  # fmt: skip
    head = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    started, output = time.monotonic(), []
    try:
        for line in head.stdout:  # `ray start --block` says so once every process is up, then blocks
            output.append(line)
            if "Ray runtime started" in line or time.monotonic() - started > 120:
                break
        assert head.poll() is None and "Ray runtime started" in "".join(output), "".join(output)[-3000:]
        yield {
            "address": f"127.0.0.1:{port}",
            "client": f"ray://127.0.0.1:{client_port}",
            "env": {**os.environ, "PYTHONPATH": str(ROOT), **token},
            "head": head.pid,
            "temp": Path(temp),
        }
    finally:
        processes = _descendants(head.pid)
        head.terminate()  # `ray start --block` stops what it started
        with contextlib.suppress(subprocess.TimeoutExpired):
            head.wait(30)
        deadline = time.monotonic() + 30
        while any(map(_alive, processes)) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in [head.pid, *processes]:  # what is left of this cluster: its own processes only
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        head.wait()
        shutil.rmtree(temp, ignore_errors=True)


def _write_rows(path: Path) -> Path:
    write_council_rows(path, ROWS)
    return path


def _results(out: Path) -> dict[str, dict]:
    lines = [json.loads(line) for line in (out / "rows.jsonl").read_text(encoding="utf-8").splitlines()]
    by_id = {line["id"]: line for line in lines}
    assert len(by_id) == len(lines), "a row written twice"
    return by_id


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """torch on one thread in this process, as in an actor given one CPU (models are loaded already, so
    FACTAID_THREADS alone would come too late)."""
    import torch

    threads, asked = torch.get_num_threads(), os.environ.get("FACTAID_THREADS")
    os.environ["FACTAID_THREADS"] = "1"
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        if asked is None:
            os.environ.pop("FACTAID_THREADS", None)
        else:
            os.environ["FACTAID_THREADS"] = asked


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    """The rows and the metrics of ``python -m eval consistency --workers 1`` (in this process)."""
    folder = tmp_path_factory.mktemp("reference")
    data, out = _write_rows(folder / "rows.jsonl"), folder / "run"
    with one_thread():
        assert eval_main(["consistency", "--data", str(data), "--out", str(out), "--workers", "1"]) == 0
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    return {"data": data, "rows": _results(out), "tables": metrics["tables"]}


# Ray Client starts a server process per connection; on two busy cores that start has failed once in
# several suites (the same command passed when run again), so a driver that meets it runs once more:
# the run resumes where it stopped, and a lasting failure still fails, with the server's own log.
CLIENT_START_FAILED = "Starting Ray client server failed"


def _run(command: list, cluster: dict) -> str:
    """Run a driver command against the cluster; its stderr."""
    for _attempt in range(2):
        done = subprocess.run(
            command, cwd=ROOT, env=cluster["env"], capture_output=True, text=True, timeout=300
        )
        if done.returncode == 0 or CLIENT_START_FAILED not in done.stderr:
            break
    logs = "".join(
        f"\n{log}:\n{log.read_text(errors='replace')[-1500:]}"
        for log in sorted(cluster["temp"].glob("session_latest/logs/ray_client_server*.err"))
    )
    assert done.returncode == 0, done.stderr[-3000:] + logs
    return done.stderr


def test_ray_gives_the_rows_and_scores_of_one_process(cluster, reference, tmp_path):
    out = tmp_path / "run"
    arguments = ["consistency", "--data", str(reference["data"]), "--out", str(out)]
    # Through Ray Client, as from outside a cluster: the eval package travels to the actors.
    _run([sys.executable, "-m", "eval", *arguments, "--ray", cluster["client"], "--workers", "2"], cluster)
    rows = _results(out)
    assert sorted(rows) == [f"k{i:02d}" for i in range(ROWS)]
    assert all(row["claim_scores"] for row in rows.values()), rows
    assert rows == reference["rows"]  # identical scores, not close ones
    assert json.loads((out / "metrics.json").read_text())["tables"] == reference["tables"]
    timing = json.loads((out / "timing.jsonl").read_text().splitlines()[-1])
    assert timing["ray"] == cluster["client"] and timing["workers"] == 2


def test_a_worker_killed_mid_run_loses_no_row_and_writes_none_twice(cluster, reference, tmp_path):
    out = tmp_path / "run"
    rows_file = out / "rows.jsonl"
    command = [
        sys.executable, "-m", "eval", "consistency", "--data", str(reference["data"]), "--out", str(out),
        "--ray", cluster["address"], "--workers", "2",
    ]  # fmt: skip
    driver = subprocess.Popen(
        command, cwd=ROOT, env=cluster["env"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline, busy = time.monotonic() + 180, []
        while not busy and driver.poll() is None and time.monotonic() < deadline:
            written = rows_file.read_text().count("\n") if rows_file.exists() else 0
            if written:  # a row is done, so the actors are up: kill one that is scoring a row
                busy = [pid for pid in _descendants(cluster["head"]) if "ray::RowWorker.score" in _title(pid)]
            time.sleep(0.02)
        assert busy, f"no busy Ray worker found before the run ended: {driver.poll()}"
        os.kill(busy[0], signal.SIGKILL)
        at_kill = rows_file.read_text().count("\n")
        assert at_kill < ROWS, "the run ended before the kill"
        _, stderr = driver.communicate(timeout=240)
    finally:
        if driver.poll() is None:
            driver.kill()
    assert driver.returncode == 0, stderr.decode(errors="replace")[-3000:]
    print(f"\nkilled Ray worker {busy[0]} with {at_kill} of {ROWS} rows written")
    assert not _alive(busy[0])
    assert _results(out) == reference["rows"]  # every row once, each as one process scores it


def test_batch_on_ray_reports_a_bad_line_and_goes_on(cluster, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # the batch's relative path, read by the actors from the driver's folder
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(batch_lines()) + "\n")
    one, spread = tmp_path / "one.jsonl", tmp_path / "ray.jsonl"
    with one_thread():
        assert cli.main(["batch", str(source), "-o", str(one), "--workers", "1"]) == 0
    command = [str(FACTAID), "batch", str(source), "-o", str(spread), "--ray", cluster["address"]]
    stderr = _run([*command, "--workers", "2"], cluster)
    assert stderr.endswith(f"factaid: 5 lines done, 3 with an error, in {spread}\n")
    found = read_output(spread)
    assert found == read_output(one)
    assert sorted(id for id, line in found.items() if "error" in line) == ["line2", "missing", "nodocs"]
    assert found["harbour"]["claims"] and found["7"]["claims"]
    before = spread.read_text()
    _run(command, cluster)
    assert spread.read_text() == before  # resumed: every line was done, nothing checked again
