"""Reading a task's rows, and the resumable row loop every task shares (factaid.rows, the loop behind
``factaid batch`` too).

Each finished row is appended to ``rows.jsonl`` and flushed at once, so a crash, Ctrl-C or SIGKILL loses
at most the row being written; a rerun reads the file (dropping a truncated last line) and scores only
the rows not in it. With ``workers > 1`` rows go to spawned processes that each load their models once;
with ``ray`` to Ray actors that do the same, on this machine or a cluster.
"""

from __future__ import annotations

import json
from pathlib import Path

from factaid.errors import InputError
from factaid.rows import (  # noqa: F401 - the loop's parts, re-exported for the tasks and tests
    SEED,
    Scorer,
    load_done,
    results,
    score_safely,
    seed_everything,
    threads_per_worker,
)
from factaid.rows import run_rows as _run_rows

EVAL = Path(__file__).resolve().parent
# Ray actors on a cluster's nodes import factaid from its installed package, but this eval package only
# exists in a checkout: it travels with the actors (without its run folders).
RAY_ENV = {"py_modules": [str(EVAL)], "excludes": ["runs/", "__pycache__/"]}


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


def run_rows(rows: list[dict], scorer: Scorer, out_path: Path, **options) -> list[dict]:
    """factaid.rows.run_rows, with this package shipped to Ray actors (see RAY_ENV)."""
    return _run_rows(rows, scorer, out_path, ray_env=RAY_ENV, **options)
