"""The ``check`` task: factaid's full JSON report for each document, written to DIR/reports/<id>.json.

Input: a folder of .txt/.md/.html files (one document each, read by factaid's ingest), or a JSONL file
whose rows carry ``document`` text and optionally a ``summary`` to check instead of writing one.

Each row is checked as ``factaid batch`` checks a line (factaid.batch.check_row) and its report kept in
``rows.jsonl``; this process writes the report files, so Ray actors on other machines write nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path

from factaid import batch
from factaid.errors import InputError
from factaid.types import LABELS

from . import common
from .runner import read_jsonl, require

SUFFIXES = (".txt", ".md", ".html", ".htm")


def load_rows(path: Path, limit: int | None) -> list[dict]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
        if not files:
            raise InputError(f"{path}: no {'/'.join(SUFFIXES)} file in this folder")
        return [{"id": p.name, "path": str(p)} for p in files[:limit]]
    rows = read_jsonl(path, limit)
    for row in rows:
        require(row, ("document",), str(path))
    return rows


def warm_up(options: dict) -> None:
    batch.warm_up()


def report_path(out: Path, row_id: str) -> Path:
    """A safe file name per id; ids that needed changing get a short hash so two never collide."""
    name = re.sub(r"[^\w.-]", "_", row_id)
    if name != row_id:
        name += "-" + hashlib.blake2b(row_id.encode(), digest_size=4).hexdigest()
    return out / "reports" / f"{name}.json"


def score_row(row: dict, options: dict) -> dict:
    document = row["path"] if "path" in row else common.text_source(row["document"], row["id"])
    return {"report": batch.check_row({"documents": [document], "summary": row.get("summary")})}


def counts(report: dict) -> dict:
    """A report's claims by label, its conflicts and warnings: one line of the table."""
    labels = Counter(claim["label"] for claim in report["claims"])
    return {
        "claims": len(report["claims"]),
        **{label: labels[label] for label in LABELS},
        "conflicts": len(report["conflicts"]),
        "warnings": len(report["warnings"]),
    }


def write_report(out: Path, row_id: str, report: dict) -> Path:
    """The report as ``factaid check --format json`` writes it, in DIR/reports/."""
    path = report_path(out, row_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def report(results: list[dict], tune_results: list[dict] | None, args) -> dict:
    ok = []
    for result in results:
        if "report" in result:
            write_report(args.out, result["id"], result["report"])
            ok.append(counts(result["report"]))
    table = [
        {
            "documents": len(results),
            "errors": len(results) - len(ok),
            "claims": sum(r["claims"] for r in ok),
            **{label: sum(r[label] for r in ok) for label in LABELS},
            "conflicts": sum(r["conflicts"] for r in ok),
        }
    ]
    errors = {r["id"]: r["error"] for r in results if "error" in r}
    return {"rows": len(results), "errors_by_id": errors, "tables": {"Reports written": table}}
