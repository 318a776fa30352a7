"""Command line: ``python -m eval TASK --data FILE [--out DIR] [--limit N] [--workers N] [--ray [ADDRESS]]
[--tune FILE]``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from functools import partial
from pathlib import Path
from types import ModuleType

from factaid.errors import FactaidError, InputError
from factaid.rows import code_fingerprint, ray_address, require_ray, threads_per_worker

from . import consistency, evidence, metrics, probes, reports, summary
from .runner import run_rows

TASKS: dict[str, ModuleType] = {
    "consistency": consistency,
    "evidence": evidence,
    "summary": summary,
    "check": reports,
    "probes": probes,
}
RUNS = Path(__file__).resolve().parent / "runs"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m eval", description=__doc__)
    parser.add_argument("task", choices=sorted(TASKS))
    parser.add_argument(
        "--data",
        type=Path,
        required=True,
        help="a JSONL file of the task's schema (check: or a folder; probes: a probe JSON file)",
    )
    parser.add_argument("--out", type=Path, help="run folder (default: eval/runs/<task>-<data stem>)")
    parser.add_argument("--limit", type=int, help="take only the first N rows")
    parser.add_argument(
        "--workers",
        type=int,
        help="processes (with --ray: Ray actors) to spread rows over (default 1; with --ray, one per CPU)",
    )
    parser.add_argument(
        "--ray",
        nargs="?",
        const="local",
        metavar="ADDRESS",
        help="score rows on Ray actors: alone, a Ray started here; auto, ray://HOST:PORT or HOST:PORT, a "
        'running cluster (pip install "factaid[ray]")',
    )
    parser.add_argument(
        "--tune", type=Path, help="a validation file of the same schema to choose the threshold on"
    )
    parser.add_argument(
        "--aggregate",
        choices=sorted(metrics.AGGREGATORS),
        help=f"how claim scores become one score per row (default: {metrics.SUMMARY_AGGREGATE} for "
        f"consistency, as the shipped summary threshold; {metrics.CLAIM_AGGREGATE} for evidence verdicts)",
    )
    parser.add_argument("--modes", default="extractive", help="summary task: comma-separated summary modes")
    parser.add_argument(
        "--sentences", type=int, default=3, help="summary task: summary length, as Lead-3 (default 3)"
    )
    parser.add_argument("--no-verify", action="store_true", help="evidence task: retrieval only, no verdicts")
    parser.add_argument(
        "--supported-only",
        action="store_true",
        help="summary task: abstractive summaries keep only the sentences some source supports",
    )
    llm = parser.add_argument_group(
        "the LLM (summary task's abstractive mode; consistency and summary --judge llm)"
    )
    llm.add_argument("--llm", help="local LLM: short name, hub id, folder or .gguf file (default gemma-270m)")
    llm.add_argument(
        "--llm-engine", choices=("auto", "llama.cpp", "transformers"), help="how a local LLM runs"
    )
    llm.add_argument("--llm-url", metavar="URL", help="an OpenAI-compatible server's base URL")
    llm.add_argument("--llm-model", metavar="NAME", help="the model to ask at --llm-url")
    llm.add_argument("--llm-api", choices=("completion", "chat"), help="prompts to complete, or chat")
    llm.add_argument(
        "--judge", choices=("verifier", "llm"), help="consistency, summary: llm asks the LLM judge too"
    )
    args = parser.parse_args(argv)
    args.modes = tuple(m.strip() for m in args.modes.split(",") if m.strip())
    if args.ray is not None:
        try:
            ray_address(args.ray)
        except InputError as err:
            parser.error(str(err))
    if unknown := set(args.modes) - set(summary.MODES):
        parser.error(f"unknown --modes {sorted(unknown)}; choose from {', '.join(summary.MODES)}")
    if bool(args.llm_url) != bool(args.llm_model):
        parser.error("--llm-url and --llm-model go together")
    if args.limit is not None and args.limit < 1 or args.workers is not None and args.workers < 1:
        parser.error("--limit and --workers must be positive")
    if not args.data.exists():
        parser.error(f"--data {args.data}: no such file or folder")
    args.out = (args.out or RUNS / f"{args.task}-{args.data.stem}").resolve()
    return args


def scoring_options(args: argparse.Namespace) -> dict:
    """What changes a row's result: resuming needs the same options and factaid as the rows on disk."""
    options = {
        "task": args.task,
        "verify": not args.no_verify,
        "modes": list(args.modes),
        "sentences": args.sentences,
        "factaid": code_fingerprint(),
    }
    # The LLM settings given, as CheckSettings fields (the API key stays in the environment).
    llm = {
        field: getattr(args, field)
        for field in ("llm", "llm_engine", "llm_url", "llm_model", "llm_api", "judge")
        if getattr(args, field) is not None
    }
    if args.supported_only:
        llm["supported_only"] = True
    if llm:
        options["llm"] = llm
    if args.task == "check":
        options["out"] = str(args.out)
        options["rows"] = "reports inline"  # rows.jsonl holds each report; earlier runs' rows did not
    return options


def check_resumable(out: Path, options: dict) -> None:
    stamp = out / "run.json"
    if stamp.exists():
        before = json.loads(stamp.read_text(encoding="utf-8"))
        if before != options:
            raise FactaidError(
                f"{out} holds rows scored with {before}, not {options} (a changed option or factaid "
                "fingerprint means changed code or calibration): pass another --out or delete the folder"
            )
    out.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps(options, sort_keys=True, indent=1) + "\n", encoding="utf-8")


def run(args: argparse.Namespace) -> dict:
    task = TASKS[args.task]
    started = time.perf_counter()
    if args.ray is not None:
        require_ray()  # before any row is read
    rows = task.load_rows(args.data, args.limit)  # both files are validated before any scoring
    tune_rows = task.load_rows(args.tune, None) if args.tune is not None else None
    options = scoring_options(args)
    check_resumable(args.out, options)
    scorer = partial(task.score_row, options=options)
    warm_up = partial(task.warm_up, options)
    common = {"workers": args.workers, "warm_up": warm_up, "ray": args.ray}
    results = run_rows(rows, scorer, args.out / "rows.jsonl", desc=args.task, **common)
    tune_results = None
    if tune_rows is not None:
        tune_out = args.out / f"tune-{args.tune.stem}.jsonl"
        tune_results = run_rows(tune_rows, scorer, tune_out, desc="tune", **common)
    found = task.report(results, tune_results, args)
    tune = str(args.tune) if args.tune else None
    found = {"task": args.task, "data": str(args.data), "tune": tune, "factaid": options["factaid"], **found}
    write_outputs(args.out, found, time.perf_counter() - started, args.workers, args.ray)
    return found


def to_markdown(found: dict) -> str:
    parts = [
        f"## {found['task']}: {found['data']}"
        + (f" (threshold tuned on {found['tune']})" if found["tune"] else "")
    ]
    for title, table in found["tables"].items():
        parts += ["", f"### {title}", "", metrics.markdown_table(table)]
    return "\n".join(parts) + "\n"


def write_outputs(
    out: Path, found: dict, seconds: float, workers: int | None, ray: str | None = None
) -> None:
    (out / "metrics.json").write_text(json.dumps(found, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    markdown = to_markdown(found)
    (out / "metrics.md").write_text(markdown, encoding="utf-8")
    timing = {"seconds": round(seconds, 1), "rows": found["rows"], "workers": workers, "ray": ray}
    # torch threads per local worker: the bfloat16 checker's scores move a little with them.
    timing["threads"] = None if ray else threads_per_worker(workers or 1)
    timing["at"] = time.time()
    with open(out / "timing.jsonl", "a", encoding="utf-8") as log_file:  # timings vary; metrics do not
        log_file.write(json.dumps(timing) + "\n")
    print(markdown)
    print(f"{found['rows']} rows in {seconds:.1f} s; outputs in {out}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["calibrate"]:  # fits the verifier on dev files: its own options
        from . import calibrate

        return calibrate.main(argv[1:])
    if argv[:1] == ["train-checker"]:  # trains the claim checker on NLI data: its own options
        from . import train_checker

        return train_checker.main(argv[1:])
    if argv[:1] == ["checker-precision"]:  # the checker in bfloat16 beside float32: its own options
        from . import checker_precision

        return checker_precision.main(argv[1:])
    if argv[:1] == ["bench"]:  # speed measurements: no --data rows, its own options
        from . import bench

        return bench.main(argv[1:])
    if argv[:1] == ["summary-compare"]:  # two summary runs on the same rows, row by row
        return summary.compare_main(argv[1:])
    if argv[:1] == ["summary-cv"]:  # the extractive summary's choices, cross-validated: own options
        from . import summary_cv

        return summary_cv.main(argv[1:])
    if argv[:1] == ["event-summaries"]:  # several outlets' reports of one event, summarized and checked
        from . import event_summaries

        return event_summaries.main(argv[1:])
    args = parse_args(argv)
    try:
        run(args)
    except FactaidError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"\ninterrupted: finished rows are kept in {args.out / 'rows.jsonl'}; rerun to resume",
            file=sys.stderr,
        )
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
