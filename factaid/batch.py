"""``factaid batch INPUT.jsonl -o OUTPUT.jsonl``: one check per input line, one JSON report per output line.

An input line is ``{"id": ..., "documents": [file path, URL or text, ...], "summary": optional}``: the
documents are summarized and checked, or the summary is checked against them when given. An output line
is ``{"id": ..., **report}`` in the JSON report schema (as ``factaid check --format json`` writes it), or
``{"id": ..., "error": ...}`` for a line that cannot be checked (not JSON, no documents, a document that
does not load): the batch goes on. A line without an id is named ``line<N>``, its line number.

Lines are written as they finish, by this process alone (factaid.rows): with ``--workers`` or ``--ray``
the output is not in input order. A rerun skips the ids already in OUTPUT, so an interrupted batch
resumes; delete a line of OUTPUT to check that input line again. ``python -m eval check`` checks its rows
with ``check_row`` too.
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import InputError
from .rows import run_rows
from .types import CheckSettings


def parse_line(line: str, number: int) -> dict | None:
    """The row of one input line (None for a blank line); a line that is no row becomes a row holding
    its ``error``, so the error is reported in its output line."""
    if not line.strip():
        return None
    fallback = f"line{number}"
    try:
        row = json.loads(line)
    except json.JSONDecodeError as err:
        return {"id": fallback, "error": f"line {number}: not a JSON line ({err})"}
    if not isinstance(row, dict):
        return {"id": fallback, "error": f"line {number}: expected a JSON object, not {type(row).__name__}"}
    given = row.get("id")
    if given is None:
        row["id"] = fallback
    elif isinstance(given, (str, int)) and not isinstance(given, bool):
        row["id"] = str(given)
    else:
        return {"id": fallback, "error": f"line {number}: 'id' must be a string or a number"}
    return row


def read_batch(path: Path) -> list[dict]:
    """The rows of an input file, in order; refused as a whole (before any check) when it cannot be read
    or two lines share an id, since ids name the output lines and what a rerun skips."""
    rows: list[dict] = []
    first_line: dict[str, int] = {}
    try:
        with open(path, encoding="utf-8") as lines:  # lines end at \n only: JSON text may hold U+2028
            for number, line in enumerate(lines, start=1):
                row = parse_line(line, number)
                if row is None:
                    continue
                if row["id"] in first_line:
                    raise InputError(
                        f"{path}:{number}: id {row['id']!r} again (first on line {first_line[row['id']]}); "
                        "ids name the output lines, so each must be unique"
                    )
                first_line[row["id"]] = number
                rows.append(row)
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read {path}: {err}") from err
    return rows


def check_row(row: dict, settings: CheckSettings | None = None) -> dict:
    """The JSON report (a dict) of one row: ``documents`` checked, against ``summary`` when given.

    A row read with an error, no documents or a summary that is not text raises InputError, which the
    row loop records as the row's error.
    """
    from . import check

    if "error" in row:
        raise InputError(row["error"])
    documents = row.get("documents")
    if not isinstance(documents, list):
        raise InputError(
            "'documents' must be a list of file paths, URLs or texts"
            + ("" if "documents" in row else f"; the line has {sorted(row)}")
        )
    summary = row.get("summary")
    if summary is not None and not isinstance(summary, str):
        raise InputError("'summary' must be a string")
    return check(documents, summary=summary, settings=settings).to_dict()


def warm_up() -> None:
    """Load the check's embedder before the first row, once per worker."""
    from . import models

    models.get_embedder(CheckSettings().embedder)


def _slim(result: dict) -> dict:
    """What the batch keeps in memory of a written line: its id and error, not its report."""
    return {key: result[key] for key in ("id", "error") if key in result}


def run(source: Path, output: Path, *, workers: int | None = None, ray: str | None = None) -> dict:
    """Check every line of ``source`` not yet in ``output``; the count of lines and of errors."""
    if source.resolve() == output.resolve():
        raise InputError(f"{output}: the output must be another file than the input")
    if not source.is_file():
        raise InputError(f"{source}: no such file")
    rows = read_batch(source)
    done = run_rows(
        rows, check_row, output, workers=workers, warm_up=warm_up, desc="batch", ray=ray, slim=_slim
    )
    return {"lines": len(done), "errors": sum("error" in result for result in done)}
