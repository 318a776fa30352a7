"""The resumable row loop shared by every task.

Each finished row is appended to ``rows.jsonl`` and flushed at once, so a crash, Ctrl-C or SIGKILL loses
at most the row being written; a rerun reads the file (dropping a truncated last line) and scores only
the rows not in it. With ``workers > 1`` rows go to spawned processes that each load their models once.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import random
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from tqdm import tqdm

from factaid.errors import FactaidError, InputError

log = logging.getLogger(__name__)

Scorer = Callable[[dict], dict]  # a row in, its result out (without the id; the runner adds it)
SEED = 0


def read_jsonl(path: Path, limit: int | None = None) -> list[dict]:
    """Rows of a JSONL file, each with a unique string ``id`` (the line number when the row has none)."""
    rows: list[dict] = []
    seen: set[str] = set()
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if limit is not None and len(rows) >= limit:
                break
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise InputError(f"{path}:{number}: not a JSON line ({err})") from err
            if not isinstance(row, dict):
                raise InputError(f"{path}:{number}: expected a JSON object per line")
            row["id"] = str(row.get("id", f"line{number}"))
            if row["id"] in seen:
                raise InputError(f"{path}:{number}: duplicate row id {row['id']!r}; ids must be unique")
            seen.add(row["id"])
            rows.append(row)
    return rows


def require(row: dict, fields: tuple[str, ...], data: str = "") -> None:
    """Typed error naming the first missing field, so a file of the wrong schema fails clearly."""
    for name in fields:
        if name not in row:
            raise InputError(
                f"{data} row {row.get('id')!r} has no {name!r} field; expected {', '.join(fields)}"
            )


def read_rows(path: Path, limit: int | None, fields: tuple[str, ...]) -> list[dict]:
    """The rows of a JSONL file of a task's schema, each checked for the task's fields."""
    rows = read_jsonl(path, limit)
    for row in rows:
        require(row, fields, str(path))
    return rows


def load_done(path: Path) -> dict[str, dict]:
    """Finished results by id; a line cut short by a crash is dropped from the file so appends stay valid."""
    if not path.exists():
        return {}
    raw = path.read_text(encoding="utf-8")
    done: dict[str, dict] = {}
    kept: list[str] = []
    for line in raw.splitlines():
        try:
            result = json.loads(line)
        except json.JSONDecodeError:
            log.warning("%s: dropping an unreadable (truncated) line", path)
            continue
        if isinstance(result, dict) and "id" in result and result["id"] not in done:
            done[result["id"]] = result
            kept.append(line)
    if len(kept) != len(raw.splitlines()) or (raw and not raw.endswith("\n")):
        path.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
    return done


def seed_everything(seed: int = SEED) -> None:
    """Same seed before every row, so a row's result does not depend on which worker ran it, or when."""
    random.seed(seed)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(seed)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def score_safely(scorer: Scorer, row: dict) -> dict:
    """A row's result with its id; a FactaidError (bad input) is recorded as the row's error, not raised."""
    seed_everything()
    try:
        result = dict(scorer(row))
    except FactaidError as err:
        result = {"error": f"{type(err).__name__}: {err}"}
    result["id"] = row["id"]
    return result


def threads_per_worker(workers: int) -> int:
    """FACTAID_THREADS for each worker, so workers x threads never exceeds the cores."""
    cores = os.cpu_count() or 1
    fair = max(1, cores // max(1, workers))
    asked = os.environ.get("FACTAID_THREADS")
    return min(int(asked), fair) if asked and asked.isdigit() and int(asked) > 0 else fair


# Worker-process state: set once by the pool initializer.
_worker_scorer: Scorer | None = None


def _init_worker(scorer: Scorer, warm_up: Callable[[], None] | None) -> None:
    global _worker_scorer
    _worker_scorer = scorer
    if warm_up is not None:
        warm_up()  # load models once per worker, before the first row


def _score_in_worker(row: dict) -> dict:
    if _worker_scorer is None:
        raise RuntimeError("the worker pool's initializer did not run")
    return score_safely(_worker_scorer, row)


def _results(
    rows: list[dict], scorer: Scorer, workers: int, warm_up: Callable[[], None] | None
) -> Iterator[dict]:
    if workers <= 1 or len(rows) <= 1:
        if warm_up is not None and rows:
            warm_up()
        for row in rows:
            yield score_safely(scorer, row)
        return
    context = multiprocessing.get_context("spawn")
    with context.Pool(min(workers, len(rows)), _init_worker, (scorer, warm_up)) as pool:
        yield from pool.imap_unordered(_score_in_worker, rows, chunksize=1)


def run_rows(
    rows: list[dict],
    scorer: Scorer,
    out_path: Path,
    *,
    workers: int = 1,
    warm_up: Callable[[], None] | None = None,
    desc: str = "rows",
) -> list[dict]:
    """Score every row not already in ``out_path``; return the results of ``rows``, sorted by id.

    ``scorer`` and ``warm_up`` must be picklable (module-level functions or partials) when workers > 1.
    """
    os.environ["FACTAID_THREADS"] = str(threads_per_worker(workers))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    done = load_done(out_path)
    todo = [row for row in rows if row["id"] not in done]
    with (
        open(out_path, "a", encoding="utf-8") as sink,
        tqdm(total=len(rows), initial=len(rows) - len(todo), desc=desc, unit="row", file=sys.stderr) as bar,
    ):
        for result in _results(todo, scorer, workers, warm_up):
            sink.write(json.dumps(result, sort_keys=True, ensure_ascii=False) + "\n")
            sink.flush()
            done[result["id"]] = result
            bar.update()
    return sorted((done[row["id"]] for row in rows), key=lambda result: result["id"])
