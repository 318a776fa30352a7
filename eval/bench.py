"""``python -m eval bench [--out DIR]``: how fast factaid is on this machine, against the targets of issue 5.

Steps: cold CLI runs (a subprocess each; peak memory from ``os.wait4``) on the example articles and on the
bundled example (``factaid check --example``), an import check of extractive
mode (``python -X importtime``), warm checks in this process on the same and on new documents, the
verifier's throughput on a consistency file, the embedder's overhead over its bare model, how a warm
check grows with documents and claims, the app's throughput and latency for simultaneous users
(eval/load.py), and the rows per second of ``python -m eval consistency`` with 1 and 2 local processes
(``--workers``) beside 1 and 2 Ray actors (``--ray``), and what the LLM judge adds to a check
(``--steps judge``). Abstractive mode is measured with each engine of the bundled LLM, llama.cpp (where
installed) and transformers, cold and warm, with the tokens the LLM writes per second. factaid caches
embeddings and spaCy parses by content, so "new documents" are variants of the examples in which
*every* sentence differs (a marker word is put at the start of each), not just the first word:
otherwise all but one sentence would hit the caches. ``--steps`` runs some of the steps only
(``--steps rows``: the rows per second alone).

The machine may be shared: the load average is recorded at the start and the end of the run.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tqdm import tqdm

from . import load

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
OUT = REPO / "eval" / "runs" / "bench"
DATA = SHARED / "data" / "frank_valid.jsonl"
DOC_COUNTS = (1, 2, 5, 20)
CLAIM_COUNTS = (3, 10, 30)
STEPS = ("cold", "imports", "warm", "verifier", "embedder", "growth", "load", "rows", "judge")
# How the bundled LLM runs in abstractive mode (--llm-engine): both are measured, side by side.
ENGINES = ("llama.cpp", "transformers")
# How `python -m eval` spreads rows: (name, extra arguments), each run from a fresh process.
ROW_RUNS = (
    ("--workers 1", ["--workers", "1"]),
    ("--workers 2", ["--workers", "2"]),
    ("--ray --workers 1", ["--ray", "--workers", "1"]),
    ("--ray --workers 2", ["--ray", "--workers", "2"]),
)
# Modules extractive mode has no use for: the web UI, the LLM's GGUF reader, HTML/eval extras, and
# sentence-transformers with scikit-learn (the bundled embedder is read without them, models.py).
UNUSED_IN_EXTRACTIVE = (
    "gradio",
    "gguf",
    "llama_cpp",
    "openai",
    "fastapi",
    "uvicorn",
    "trafilatura",
    "rouge_score",
    "sentence_transformers",
    "sklearn",
)
TARGETS = {  # name: (limit, "max" = at most / "min" = at least, description)
    "warm_extractive_s": (1.5, "max", "warm extractive check of the two examples (new documents)"),
    # Issue 24: the default engine (llama.cpp for the bundled GGUF) from the CLI, and warm in one process.
    "cold_abstractive_s": (8.0, "max", "cold abstractive check from the CLI (default engine)"),
    "warm_abstractive_s": (
        3.0,
        "max",
        "warm abstractive check, default engine (slower of same/new documents)",
    ),
    # The cold-start target: the two example articles, a new `python -m factaid check` process each time.
    "cold_extractive_s": (5.0, "max", "cold extractive check of the example articles from the CLI"),
    "verifier_claims_per_s": (30.0, "min", "verifier claims per second (retrieve + judge)"),
    "overhead_ratio": (1.3, "max", "warm check time / model time inside it (extractive)"),
    "doc_growth_slope": (1.15, "max", "log-log slope of time vs documents, 5 -> 20 (1 = linear)"),
    "claim_growth_slope": (1.15, "max", "log-log slope of time vs claims, 10 -> 30 (1 = linear)"),
    "peak_rss_extractive_mb": (2500.0, "max", "peak resident memory, extractive CLI (MB)"),
}


# ----------------------------------------------------------------------------- pure helpers


def example_paths() -> list[Path]:
    """The two shared example articles, or the bundled ones when ../shared is absent."""
    shared = sorted((SHARED / "examples").glob("*.txt"))
    return shared or sorted((REPO / "factaid" / "examples").glob("*.txt"))


_SENTENCE_START = re.compile(r"(?:\A|(?<=[.!?…]\s)|(?<=[.!?…][\"'”’)]\s)|(?<=\n))(?=\S)")


def variant(text: str, number: int) -> str:
    """``text`` with a marker word at the start of every sentence and line, so no sentence is in a cache."""
    return _SENTENCE_START.sub(f"v{number} ", text)


def documents_of(texts: list[str], count: int, first: int) -> list[str]:
    """``count`` documents cycling through ``texts``, each a variant numbered from ``first`` on."""
    return [variant(texts[i % len(texts)], first + i) for i in range(count)]


def summary_of(texts: list[str], sentences: int, number: int) -> str:
    """A summary of ``sentences`` full-stop sentences (7+ words) taken in turn from ``texts``, then from
    further variants of them when one round has too few."""
    taken: list[str] = []
    for round_number in range(sentences):
        pools = [
            [s for s in re.split(r"(?<=[.!?])\s+", variant(t, number + round_number)) if _claim_like(s)]
            for t in texts
        ]
        if not any(pools):
            raise ValueError("the texts hold no sentence of 7 or more words ending in a full stop")
        taken += [pool[i] for i in range(max(map(len, pools))) for pool in pools if i < len(pool)]
        if len(taken) >= sentences:
            break
    return " ".join(taken[:sentences])


def _claim_like(sentence: str) -> bool:
    return len(sentence.split()) >= 7 and sentence.endswith(".") and "\n" not in sentence


def imported_modules(importtime_stderr: str) -> dict[str, float]:
    """Top-level packages imported, with their largest cumulative import time in seconds."""
    found: dict[str, float] = {}
    for line in importtime_stderr.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2].strip().split(".")[0]
        found[name] = max(found.get(name, 0.0), int(parts[1]) / 1e6)
    return found


def growth_slope(sizes: list[int], seconds: list[float]) -> float:
    """Log-log slope between the two largest sizes: 1 is linear growth, above 1 worse than linear."""
    (n1, t1), (n2, t2) = sorted(zip(sizes, seconds))[-2:]
    return math.log(t2 / t1) / math.log(n2 / n1)


def verdicts(measured: dict) -> list[dict]:
    """Each target with its measured figure and whether it is met (None when not measured)."""
    rows = []
    for name, (limit, kind, description) in TARGETS.items():
        value = measured.get(name)
        met = None if value is None else (value <= limit if kind == "max" else value >= limit)
        sign = "<=" if kind == "max" else ">="
        rows.append({"target": description, "value": value, "limit": f"{sign} {limit:g}", "met": met})
    return rows


def markdown(result: dict) -> str:
    """The tables of ``bench.md``: targets first, then every figure measured."""
    load = result["load_average"]
    lines = [
        f"## factaid bench ({result['cores']} cores, load average {load['start'][0]:.2f} at start, "
        f"{load['end'][0]:.2f} at end; torch threads {result['torch_threads']})",
        "",
        "| target | measured | limit | met |",
        "|---|---|---|---|",
    ]
    for row in result["targets"]:
        met = {True: "yes", False: "**no**", None: "not measured"}[row["met"]]
        value = "-" if row["value"] is None else f"{row['value']:.2f}"
        lines.append(f"| {row['target']} | {value} | {row['limit']} | {met} |")
    lines += ["", "| figure | value |", "|---|---|"]
    lines += [f"| {name} | {_show(value)} |" for name, value in _flatten(result["figures"])]
    return "\n".join(lines) + "\n"


def _flatten(tree: dict, prefix: str = "") -> Iterator[tuple[str, object]]:
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key} / ")
        else:
            yield f"{prefix}{key}", value


def _show(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return ", ".join(_show(v) for v in value) if isinstance(value, list) else str(value)


def row_rates(rows: int, first_row_s: float, last_row_s: float) -> dict:
    """Rows per second of a run: over the whole run (Ray's start and model loading included), and after
    its first row was written (the steady rate, which a long batch approaches)."""
    steady = (rows - 1) / (last_row_s - first_row_s) if rows > 1 and last_row_s > first_row_s else None
    return {"rows_per_s": rows / last_row_s, "rows_per_s_after_first": steady}


# ----------------------------------------------------------------------------- cold runs


def cold_run(arguments: list[str], importtime: bool = False) -> dict:
    """Wall time and peak RSS of one ``python -m factaid`` process (``os.wait4`` gives its own rusage)."""
    command = [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "factaid", *arguments]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        stderr = errors.read().decode("utf-8", "replace")
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}): {stderr[-500:]}")
    return {"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024, "stderr": stderr}


BUNDLED = "bundled example"  # the figures of `factaid check --example`, beside those of example_paths()


def cold(mode: str, repeats: int, engine: str = "auto", documents: list[str] | None = None) -> dict:
    """Median wall time of ``repeats`` cold checks of ``documents`` (default: the example articles; pass
    ["--example"] for the bundled example), each a new process."""
    documents = [str(p) for p in example_paths()] if documents is None else documents
    arguments = ["check", *documents, "--format", "json", "--mode", mode]
    arguments += ["--llm-engine", engine] if mode == "abstractive" else []
    runs = [cold_run(arguments) for _ in range(repeats)]
    return {
        "seconds_median": statistics.median(r["seconds"] for r in runs),
        "seconds": [r["seconds"] for r in runs],
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
    }


def import_check() -> dict:
    arguments = ["check", *map(str, example_paths()), "--format", "json"]
    modules = imported_modules(cold_run(arguments, importtime=True)["stderr"])
    slowest = sorted(modules.items(), key=lambda item: -item[1])[:8]
    return {
        "unused_imported": [name for name in UNUSED_IN_EXTRACTIVE if name in modules],
        "slowest_imports_s": {name: seconds for name, seconds in slowest},
    }


# ----------------------------------------------------------------------------- in-process runs


@contextlib.contextmanager
def model_clock(settings=None) -> Iterator[dict[str, float]]:
    """Seconds spent inside the embedder model, spaCy, the claim checker's forward pass and (abstractive
    mode, or the LLM judge) the LLM's calls, while open; ``llm_tokens`` counts the tokens the LLM wrote."""
    from factaid import llm, models

    clock = {"embedder": 0.0, "spacy": 0.0, "checker": 0.0, "llm": 0.0, "llm_tokens": 0}
    targets = [
        (models.get_embedder().encoder, "encode", "embedder"),
        (models.get_nlp(), "pipe", "spacy"),
        (models.get_checker().model, "forward", "checker"),  # nn.Module.__call__ looks up self.forward
    ]
    if settings is not None and (settings.mode == "abstractive" or settings.judge == "llm"):
        language_model = llm.get_language_model(settings)
        for method in ("complete", "chat"):
            targets.append((language_model, method, "llm"))
    for owner, method, key in targets:
        timed = _timed(getattr(owner, method), clock, key)
        setattr(owner, method, _counted(timed, owner, clock) if key == "llm" else timed)
    try:
        yield clock
    finally:
        for owner, method, _ in targets:
            delattr(owner, method)  # the class's method shows through again


def _counted(function, language_model, clock: dict):
    """``function`` (an LLM's complete or chat) adding the tokens of each answer to ``clock``."""

    def call(*args, **kwargs):
        text = function(*args, **kwargs)
        clock["llm_tokens"] += language_model.count_tokens(text)
        return text

    return call


MODEL_CALLS = ("embedder", "spacy", "checker", "llm")


def _timed(function, clock: dict[str, float], key: str):
    def call(*args, **kwargs):
        started = time.perf_counter()
        result = function(*args, **kwargs)
        clock[key] += time.perf_counter() - started
        return _timed_iter(result, clock, key) if isinstance(result, Iterator) else result

    return call


def _timed_iter(items: Iterator, clock: dict[str, float], key: str) -> Iterator:
    """spaCy's pipe parses lazily: time every step of the generator, not the call."""
    while True:
        started = time.perf_counter()
        try:
            item = next(items)
        except StopIteration:
            clock[key] += time.perf_counter() - started
            return
        clock[key] += time.perf_counter() - started
        yield item


def timed_check(documents: list, mode: str = "extractive", summary: str | None = None, settings=None) -> dict:
    """One check and its JSON rendering, with the time spent in model calls inside it."""
    import factaid

    settings = settings or factaid.CheckSettings(mode=mode)
    with model_clock(settings) as clock:
        started = time.perf_counter()
        report = factaid.check(documents, summary=summary, settings=settings)
        factaid.render(report, "json")
        seconds = time.perf_counter() - started
    model_seconds = sum(clock[key] for key in MODEL_CALLS)
    return {"seconds": seconds, "model_seconds": model_seconds, **clock, "claims": len(report.claims)}


def warm(mode: str, texts: list[str], repeats: int, first: int, engine: str = "auto") -> dict:
    """Median warm check on the example files (same documents) and on new variants of them; in
    abstractive mode also the LLM's speed (tokens it wrote per second inside its calls, the reading of
    the prompt included)."""
    from factaid.types import CheckSettings

    settings = CheckSettings(mode=mode, llm_engine=engine)
    paths = [str(p) for p in example_paths()]
    timed_check(paths, settings=settings)  # loads the models and fills the caches for "same documents"
    same = [timed_check(paths, settings=settings) for _ in range(repeats)]
    new = [timed_check(documents_of(texts, 2, first + 2 * i), settings=settings) for i in range(repeats)]
    middle = sorted(new, key=lambda r: r["seconds"])[len(new) // 2]
    found = {
        "same_documents_s": statistics.median(r["seconds"] for r in same),
        "new_documents_s": middle["seconds"],
        "new_documents_model_s": middle["model_seconds"],
        "new_documents_calls_s": {k: middle[k] for k in MODEL_CALLS if middle[k]},
    }
    if mode == "abstractive":
        runs = same + new
        found["llm_tokens_written"] = sum(r["llm_tokens"] for r in runs)
        found["llm_tokens_per_s"] = found["llm_tokens_written"] / sum(r["llm"] for r in runs)
    return found


def judge_cost(texts: list[str], first: int, settings_kwargs: dict | None = None) -> dict:
    """What the LLM judge adds to a warm check of new variants of the examples (the extractive summary):
    seconds per claim and per question (one per claim and source), and how many answers were usable."""
    import factaid

    settings = factaid.CheckSettings(judge="llm", **(settings_kwargs or {}))
    plain = factaid.CheckSettings(**{**(settings_kwargs or {}), "judge": "verifier"})
    timed_check([str(p) for p in example_paths()], settings=settings)  # loads every model
    documents = documents_of(texts, 2, first)
    without = timed_check(documents, settings=plain)
    started = time.perf_counter()
    report = factaid.check(documents, settings=settings)
    seconds = time.perf_counter() - started
    asked = [s.judge for c in report.claims for s in c.support if s.judge is not None]
    extra = seconds - without["seconds"]
    return {
        "model": report.judge_model,
        "claims": len(report.claims),
        "questions": len(asked),
        "usable_answers": sum(v.decided for v in asked),
        "check_without_judge_s": without["seconds"],
        "check_with_judge_s": seconds,
        "judge_s_per_claim": extra / max(len(report.claims), 1),
        "judge_s_per_question": extra / max(len(asked), 1),
    }


def verifier_throughput(path: Path, limit: int) -> dict:
    """Claims per second of retrieval + judging over the first ``limit`` rows, and the seconds of that
    spent inside each model; the document's sentences, embeddings and spaCy parse are made beforehand
    (ingestion), the summary's claims split beforehand."""
    from factaid import claims as claims_stage
    from factaid import models, pipeline, retrieve, verify
    from factaid.errors import FactaidError
    from factaid.types import CheckSettings, Source

    settings = CheckSettings()
    embedder, verifier = models.get_embedder(), verify.get_verifier(settings)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[:limit]]
    seconds = split_seconds = 0.0
    inside = {"embedder": 0.0, "spacy": 0.0, "checker": 0.0}
    claims_done = 0
    with model_clock() as clock:
        for row in rows:
            try:
                sources = pipeline.load_sources([Source("S1", "row", "text", row["document"])], settings)
            except FactaidError:
                continue
            index = retrieve.EvidenceIndex(sources, embedder)
            verify.SourceView.of(sources[0])  # the document's spaCy parse, cached by content
            started = time.perf_counter()
            claims = claims_stage.split_claims(row["summary"])
            split_seconds += time.perf_counter() - started
            if not claims:
                continue
            before = {key: clock[key] for key in inside}
            started = time.perf_counter()
            candidates = index.search([c.statement for c in claims], top_k=settings.top_k)
            verifier.judge(claims, candidates, sources)
            seconds += time.perf_counter() - started
            claims_done += len(claims)
            for key in inside:
                inside[key] += clock[key] - before[key]
    return {
        "rows": len(rows),
        "claims": claims_done,
        "claims_per_s": claims_done / seconds,
        "claims_per_s_with_splitting": claims_done / (seconds + split_seconds),
        "seconds": seconds,
        "model_seconds": inside,
    }


def embedder_overhead(texts: list[str], first: int) -> dict:
    """factaid's Embedder.encode beside its bare encoder (forward pass, pooling, norm) on the same fresh
    sentences, and the bare encoder's speed with one thread against all cores."""
    import torch

    from factaid import models
    from factaid.sentences import split_sentences

    embedder = models.get_embedder()

    def sentences(number: int) -> list[str]:
        return [s.text for t in documents_of(texts, 2, number) for s in split_sentences(t)]

    bare = ours = 0.0
    for round_number in range(2):  # both orders, so neither side gains from running second
        batch = sentences(first + round_number)
        for side in ("ours", "bare") if round_number else ("bare", "ours"):
            started = time.perf_counter()
            if side == "bare":
                embedder.encoder.encode(batch, batch_size=64)
                bare += time.perf_counter() - started
            else:
                embedder.encode(batch)
                ours += time.perf_counter() - started
    count = 2 * len(batch)
    threads = {}
    default = torch.get_num_threads()
    for number in sorted({1, os.cpu_count() or 1}):
        torch.set_num_threads(number)
        batch = sentences(first + 10 + number)
        started = time.perf_counter()
        embedder.encoder.encode(batch, batch_size=64)
        threads[f"{number} threads"] = len(batch) / (time.perf_counter() - started)
    torch.set_num_threads(default)
    return {
        "factaid_sentences_per_s": count / ours,
        "bare_model_sentences_per_s": count / bare,
        "overhead_ratio": ours / bare,
        "bare_sentences_per_s_by_threads": threads,
    }


def growth(texts: list[str], first: int) -> dict:
    """Warm extractive check time for more documents, and for a user summary of more claims."""
    documents = {n: timed_check(documents_of(texts, n, first + 100 * i)) for i, n in enumerate(DOC_COUNTS)}
    claims = {}
    for i, n in enumerate(CLAIM_COUNTS):
        number = first + 1000 + 10 * i
        claims[n] = timed_check(documents_of(texts, 2, number), summary=summary_of(texts, n, number + 5))
    return {
        "documents_s": {str(n): r["seconds"] for n, r in documents.items()},
        "summary_claims": {str(n): r["claims"] for n, r in claims.items()},
        "claims_s": {str(n): r["seconds"] for n, r in claims.items()},
        "doc_growth_slope": growth_slope(list(documents), [r["seconds"] for r in documents.values()]),
        "claim_growth_slope": growth_slope(
            [r["claims"] for r in claims.values()], [r["seconds"] for r in claims.values()]
        ),
    }


def differing(one: dict[str, object], other: dict[str, object]) -> int:
    """How many ids two runs gave different results (an id only one run has counts)."""
    return sum(
        key not in one or key not in other or one[key] != other[key] for key in one.keys() | other.keys()
    )


def _complete_lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def timed_rows(arguments: list[str], rows_file: Path, rows: int) -> dict:
    """One ``python -m eval`` run in a new process: when its first and last row reached ``rows_file``
    (polled every 20 ms), and when the process ended."""
    started = time.perf_counter()
    first = last = None
    with tempfile.TemporaryFile() as errors:
        command = [sys.executable, "-m", "eval", *arguments]
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=errors)
        while process.poll() is None:
            written, now = _complete_lines(rows_file), time.perf_counter() - started
            first = now if first is None and written else first
            last = now if last is None and written >= rows else last
            time.sleep(0.02)
        ended = time.perf_counter() - started
        errors.seek(0)
        stderr = errors.read().decode("utf-8", "replace")
    if process.returncode != 0 or _complete_lines(rows_file) < rows:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}): {stderr[-500:]}")
    first, last = first or ended, last or ended  # rows written in the last 20 ms
    return {"first_row_s": first, "last_row_s": last, "process_s": ended, **row_rates(rows, first, last)}


def row_throughput(path: Path, rows: int) -> dict:
    """``python -m eval consistency`` on the first ``rows`` rows of ``path``, spread each way of ROW_RUNS
    (Ray's runs left out when Ray is not installed), and how many rows' scores two ways differ on."""
    import importlib.util

    found: dict = {"rows": rows}
    scores: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "rows.jsonl"
        with open(path, encoding="utf-8") as lines:
            data.write_text("".join(itertools.islice(lines, rows)), encoding="utf-8")
        for name, extra in ROW_RUNS:
            if "--ray" in extra and importlib.util.find_spec("ray") is None:
                found[name] = 'not measured: pip install "factaid[ray]"'
                continue
            out = Path(folder) / name.replace(" ", "").replace("-", "_")
            arguments = ["consistency", "--data", str(data), "--out", str(out), *extra]
            found[name] = timed_rows(arguments, out / "rows.jsonl", rows)
            lines = (out / "rows.jsonl").read_text(encoding="utf-8").splitlines()
            scores[name] = {r["id"]: r.get("claim_scores") for r in map(json.loads, lines)}
    # Ray against processes with as many threads each; then one thread against two, which moves the
    # checker's bfloat16 probabilities where the CPU has bfloat16 (models.native_bfloat16).
    for one, other in (
        (ROW_RUNS[2][0], ROW_RUNS[0][0]),
        (ROW_RUNS[3][0], ROW_RUNS[1][0]),
        (ROW_RUNS[1][0], ROW_RUNS[0][0]),
    ):
        if one in scores and other in scores:
            found[f"rows differing, {one} vs {other}"] = differing(scores[one], scores[other])
    return found


# ----------------------------------------------------------------------------- entry point


def run(args: argparse.Namespace) -> dict:
    import torch

    from factaid import models

    load_start = os.getloadavg()
    texts = [p.read_text(encoding="utf-8") for p in example_paths()]
    modes = (
        ["extractive"] if args.skip_abstractive else ["extractive"] + [f"abstractive {e}" for e in _engines()]
    )
    figures: dict = {"llm_cache": "present" if _llm_cached() else "absent: built by the first run, not timed"}
    steps = [f"cold {m}" for m in modes] + ["imports"] + [f"warm {m}" for m in modes]
    steps += ["verifier", "embedder", "growth", "load", "rows", "judge"]
    steps = [step for step in steps if step.split()[0] in args.steps]
    for step in tqdm(steps, desc="bench", unit="step", file=sys.stderr):
        if step.startswith("cold"):
            mode, engine = (step.split()[1:] + ["auto"])[:2]
            if mode == "abstractive" and engine == "transformers" and not _llm_cached():
                cold_run(["check", "--example", "--mode", mode, "--llm-engine", engine])  # dequantizes once
            if mode == "abstractive" and engine == "llama.cpp" and not _gguf_cached():
                cold_run(
                    ["check", "--example", "--mode", mode, "--llm-engine", engine]
                )  # joins Gemma's parts
            figures[step] = cold(mode, args.repeats, engine)
            figures[f"{step}, {BUNDLED}"] = cold(mode, args.repeats, engine, ["--example"])
        elif step == "imports":
            figures[step] = import_check()
        elif step.startswith("warm"):
            mode, engine = (step.split()[1:] + ["auto"])[:2]
            figures[step] = warm(mode, texts, args.repeats if mode == "extractive" else 1, 10, engine)
        elif step == "judge":
            figures[step] = judge_cost(texts, 500)
        elif step == "verifier":
            figures[step] = verifier_throughput(args.data, args.rows)
        elif step == "embedder":
            figures[step] = embedder_overhead(texts, 200)
        elif step == "growth":
            figures[step] = growth(texts, 300)
        elif step == "rows":
            figures[step] = row_throughput(args.data, args.batch_rows)
        else:
            with tempfile.TemporaryDirectory() as downloads:
                figures[step] = load.load_figures(args.users, Path(downloads))
    measured = _measured(figures)
    models.torch_threads()
    return {
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average": {"start": list(load_start), "end": list(os.getloadavg())},
        "targets": verdicts(measured),
        "measured": measured,
        "figures": figures,
    }


def _llm_cached() -> bool:
    from factaid import models

    return (models.cache_dir() / "llm" / "gemma-270m" / "model.safetensors").is_file()


def _gguf_cached() -> bool:
    from factaid import models

    return (models.cache_dir() / "gguf" / "gemma-270m.gguf").is_file()


def _engines() -> list[str]:
    """The engines measured: llama.cpp only where llama-cpp-python is installed."""
    from factaid import models

    return [e for e in ENGINES if e != "llama.cpp" or models.llama_cpp_installed()]


def _default_engine() -> str:
    from factaid import llm
    from factaid.types import CheckSettings

    return llm.engine(CheckSettings(mode="abstractive"))


def _measured(figures: dict) -> dict:
    """The figures the targets name, from the steps that ran."""
    found = {}
    if "warm extractive" in figures:
        warm_x = figures["warm extractive"]
        found["warm_extractive_s"] = warm_x["new_documents_s"]
        found["overhead_ratio"] = warm_x["new_documents_s"] / warm_x["new_documents_model_s"]
    if "cold extractive" in figures:
        found["cold_extractive_s"] = figures["cold extractive"]["seconds_median"]
        found["peak_rss_extractive_mb"] = figures["cold extractive"]["peak_rss_mb"]
    if "verifier" in figures:
        found["verifier_claims_per_s"] = figures["verifier"]["claims_per_s"]
    if "growth" in figures:
        found["doc_growth_slope"] = figures["growth"]["doc_growth_slope"]
        found["claim_growth_slope"] = figures["growth"]["claim_growth_slope"]
    default = f"abstractive {_default_engine()}"
    if f"warm {default}" in figures:
        # The LLM's output is not cached and its length depends on the text (the variants' marker words
        # changed it), so the slower of the two is the honest figure.
        abstractive = figures[f"warm {default}"]
        found["warm_abstractive_s"] = max(abstractive["same_documents_s"], abstractive["new_documents_s"])
    if f"cold {default}" in figures:
        found["cold_abstractive_s"] = figures[f"cold {default}"]["seconds_median"]
    return found


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m eval bench", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"output folder (default {OUT})")
    parser.add_argument("--data", type=Path, default=DATA, help="consistency JSONL for the verifier")
    parser.add_argument("--rows", type=int, default=200, help="rows of --data for the verifier")
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per cold figure and warm extractive figure"
    )
    parser.add_argument("--skip-abstractive", action="store_true", help="leave out the LLM mode")
    parser.add_argument("--users", type=int, default=load.USERS, help="simultaneous users of the app")
    parser.add_argument(
        "--batch-rows", type=int, default=40, help="rows of --data for the rows step (--workers, --ray)"
    )
    parser.add_argument(
        "--steps",
        default=",".join(STEPS),
        help=f"comma-separated steps to run (default all: {','.join(STEPS)})",
    )
    args = parser.parse_args(argv)
    args.steps = tuple(step.strip() for step in args.steps.split(",") if step.strip())
    if unknown := sorted(set(args.steps) - set(STEPS)):
        parser.error(f"unknown --steps {unknown}; choose from {', '.join(STEPS)}")
    if args.rows < 1 or args.repeats < 1 or args.users < 2 or args.batch_rows < 2:
        parser.error("--rows and --repeats must be positive, --users and --batch-rows at least 2")
    if not args.data.is_file():
        parser.error(f"--data {args.data}: no such file")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    table = markdown(result)
    (args.out / "bench.md").write_text(table, encoding="utf-8")
    print(table)
    return 0
