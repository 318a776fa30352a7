"""A batch evaluation killed with SIGKILL mid-run, then rerun: no row lost, none duplicated, none rewritten.

Unlike tests/test_eval.py's kill test (the row loop alone, with a cheap scorer), this runs the real
command, ``python -m eval consistency``, over the real pipeline: with one process, and with two
workers, where only the parent is killed and its orphaned workers must exit by themselves.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ROWS = 12
PLACES = ("Harlow", "Brenmoor", "Corran", "Aldwick", "Tessel", "Marden")


def write_council_rows(path: Path, rows: int = ROWS) -> list[str]:
    """``rows`` consistency rows (half faithful, half not) with short documents; returns their ids."""
    lines = []
    for i in range(rows):
        place, number = PLACES[i % len(PLACES)], 10 + i
        document = (
            f"The council of {place} met on Monday evening. It approved a plan to repair {number} bridges "
            f"before the winter. The work will cost {number * 3} million euros. Mayor Ada Renn said the "
            "repairs were overdue. Residents had complained about the roads for years. The first crews "
            "will start in March."
        )
        faithful = i % 2 == 0
        summary = (
            f"The {place} council approved repairs to {number} bridges."
            if faithful
            else f"The {place} council rejected a plan to build {number + 5} bridges."
        )
        row = {
            "id": f"k{i:02d}",
            "dataset": "handmade",
            "split": "test",
            "document": document,
            "summary": summary,
            "label": int(faithful),
            "meta": {"place": place},
        }
        lines.append(json.dumps(row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [f"k{i:02d}" for i in range(rows)]


def _command(data: Path, out: Path, workers: int) -> list[str]:
    return [sys.executable, "-m", "eval", "consistency", "--data", str(data), "--out", str(out),
            "--workers", str(workers)]  # fmt: skip


def _complete_lines(path: Path) -> list[str]:
    """The lines of ``path`` that were fully written (a kill may leave the last one cut short)."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    return [line for line in lines if line.endswith("\n")]


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended meanwhile
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited and only waits to be reaped


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds worker processes through /proc")
@pytest.mark.parametrize("workers", [1, 2])
def test_sigkill_mid_run_then_rerun_keeps_every_row_once(tmp_path, workers):
    data, out = tmp_path / "small.jsonl", tmp_path / "run"
    ids = write_council_rows(data)
    rows_file = out / "rows.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        _command(data, out, workers), cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 240
        while len(_complete_lines(rows_file)) < 3 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert process.poll() is None, "the run ended before it could be killed"
        workers_before = _children(process.pid)
        process.send_signal(signal.SIGKILL)  # the parent only: it alone writes rows.jsonl
        process.wait()
        before_kill = _complete_lines(rows_file)
        assert 3 <= len(before_kill) < ROWS
        print(f"\nworkers={workers}: killed after {len(before_kill)} of {ROWS} rows")

        if workers > 1:  # orphaned pool workers see their task pipe close and exit
            assert len(workers_before) >= workers
            deadline = time.monotonic() + 60
            while any(_alive(pid) for pid in workers_before) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not any(_alive(pid) for pid in workers_before), "orphaned workers kept running"
    finally:
        with contextlib.suppress(ProcessLookupError):  # the run's own session: whatever is left of it
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    rerun = subprocess.run(_command(data, out, workers), cwd=ROOT, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr[-2000:]

    after = rows_file.read_text(encoding="utf-8").splitlines(keepends=True)
    assert after[: len(before_kill)] == before_kill  # rows written before the kill are untouched
    written = [json.loads(line)["id"] for line in after]
    assert sorted(written) == ids  # every input row exactly once
    results = [json.loads(line) for line in after]
    assert all("error" not in r and r["claim_scores"] for r in results), results
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["rows"] == ROWS and metrics["positives"] == ROWS // 2
