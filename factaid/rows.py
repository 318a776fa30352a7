"""The resumable row loop behind ``factaid batch`` and ``python -m eval``: rows scored in this process, by
a pool of local processes, or by Ray actors on a laptop or a cluster.

Each finished row is appended to the output JSONL file and flushed at once, so a crash, Ctrl-C or SIGKILL
loses at most the row being written; a rerun reads the file (dropping a truncated last line) and scores
only the rows whose id is not in it. Only this process writes the file, keyed by id, so a worker that
dies loses and duplicates nothing: a Ray actor is restarted by Ray and its row retried. Every row is
scored from the same seed, so a row's result does not depend on the worker that ran it, or when.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import random
import re
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType

from tqdm import tqdm

from .errors import FactaidError, InputError

log = logging.getLogger(__name__)

Scorer = Callable[[dict], dict]  # a row in, its result out (without the id; the loop adds it)
Slim = Callable[[dict], dict]  # what of a result to keep in memory
SEED = 0
LOCAL = "local"  # --ray alone: a Ray instance started in this process
RAY_INSTALL = 'pip install "factaid[ray]"'
# A Ray actor whose process dies is restarted this many times, and the row it held is retried each time;
# one more death ends the run (finished rows are kept): a row that kills its worker again and again is
# named, not retried forever.
ACTOR_RESTARTS = 5
PACKAGE = Path(__file__).resolve().parent
SCORING_FILES = ("*.py", "*.json", "*.txt", "checker/*")  # code, calibration, word lists, checker
# Front ends and this loop never change a score: editing them does not make earlier rows stale.
NOT_SCORING = frozenset({"ui.py", "ui_render.py", "cli.py", "__main__.py", "rows.py", "batch.py"})


# ----------------------------------------------------------------------------- results on disk


def _result_of(line: str) -> dict | None:
    """The result a line holds, or None for a line cut short, blank or not a result."""
    try:
        result = json.loads(line)
    except json.JSONDecodeError:
        return None
    return result if isinstance(result, dict) and "id" in result else None


def load_done(path: Path, slim: Slim | None = None) -> dict[str, dict]:
    """Finished results by id (each passed through ``slim`` when given, to keep less in memory).

    A line cut short by a crash, or a repeated id, is dropped from the file so appends stay valid.
    """
    if not path.exists():
        return {}
    done: dict[str, dict] = {}
    clean, ended = True, True
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            ended = line.endswith("\n")
            result = _result_of(line)
            if result is None or result["id"] in done:
                clean = False
                continue
            done[result["id"]] = slim(result) if slim else result
    if not clean or not ended:
        log.warning("%s: dropping unreadable (truncated) or repeated lines", path)
        _rewrite_valid(path)
    return done


def _rewrite_valid(path: Path) -> None:
    """``path`` with only its readable lines, the first of each id, each ending in a newline."""
    seen: set[str] = set()
    spare = path.with_name(path.name + ".partial")
    with open(path, encoding="utf-8") as lines, open(spare, "w", encoding="utf-8") as kept:
        for line in lines:
            result = _result_of(line)
            if result is not None and result["id"] not in seen:
                seen.add(result["id"])
                kept.write(line.rstrip("\n") + "\n")
    os.replace(spare, path)


# ----------------------------------------------------------------------------- one row


def seed_everything(seed: int = SEED) -> None:
    """Same seed before every row, so a row's result does not depend on which worker ran it, or when."""
    random.seed(seed)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(seed)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def score_safely(scorer: Scorer, row: dict) -> dict:
    """A row's result, its id first; a FactaidError (bad input) is recorded as the row's error, not raised."""
    seed_everything()
    try:
        result = dict(scorer(row))
    except FactaidError as err:
        result = {"error": f"{type(err).__name__}: {err}"}
    result.pop("id", None)
    return {"id": row["id"], **result}


def threads_per_worker(workers: int) -> int:
    """FACTAID_THREADS for each worker, so workers x threads never exceeds the cores."""
    cores = os.cpu_count() or 1
    fair = max(1, cores // max(1, workers))
    asked = os.environ.get("FACTAID_THREADS")
    return min(int(asked), fair) if asked and asked.isdigit() and int(asked) > 0 else fair


def code_fingerprint(package: Path = PACKAGE) -> str:
    """A hash of factaid's scoring code and the data it reads (calibration, the claim checker's weights,
    word lists), so rows of two factaid versions never mix."""
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted(p for pattern in SCORING_FILES for p in package.glob(pattern)):
        if path.name not in NOT_SCORING:
            digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


# ----------------------------------------------------------------------------- local processes

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


def _process_results(
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


# ----------------------------------------------------------------------------- Ray actors

_ADDRESS = re.compile(r"(local|auto|ray://[^\s/:]+:\d+|[^\s/:]+:\d+)")


def ray_address(value: str) -> str:
    """The argument of ``--ray``: local (a Ray started here), auto (the cluster this machine belongs to),
    ray://HOST:PORT (Ray Client) or HOST:PORT (the head's GCS address)."""
    if not _ADDRESS.fullmatch(value):
        raise InputError(
            f"--ray {value!r}: expected auto, ray://HOST:PORT or HOST:PORT (or --ray alone, for a Ray "
            "started here); put --ray after the input file"
        )
    return value


def host_port(address: str) -> tuple[str, int] | None:
    """The head's host and port in a HOST:PORT or ray://HOST:PORT address (None for local and auto)."""
    found = re.fullmatch(r"(?:ray://)?([^\s/:]+):(\d+)", address)
    return (found[1], int(found[2])) if found else None


def check_reachable(address: str, seconds: float = 10.0) -> None:
    """Refuse an address where nothing listens, which Ray would wait on for minutes."""
    import socket

    where = host_port(address)
    if where is None:
        return
    try:
        socket.create_connection(where, timeout=seconds).close()
    except OSError as err:
        raise FactaidError(
            f"--ray {address}: nothing answers there ({err}); start Ray on the head (ray start --head) or "
            "check the address"
        ) from err


def require_ray() -> ModuleType:
    """The ray module, or one clear error saying how to install it."""
    try:
        import ray
    except ImportError as err:
        raise FactaidError(f"--ray needs Ray, an optional extra: {RAY_INSTALL}") from err
    return ray


def actor_plan(node_cpus: Sequence[float], workers: int | None) -> tuple[int, int]:
    """(actors, threads each): ``workers`` actors (default one per CPU of the cluster) share its CPUs, as
    processes share a machine's; an actor reserves as many CPUs as it runs threads, never more than the
    largest node has, so every actor can be placed."""
    cpus = [int(c) for c in node_cpus if c >= 1]
    total = sum(cpus)
    actors = workers or max(1, total)
    if not cpus:  # no CPU yet (an autoscaling cluster): one thread each, Ray places them when nodes come
        return actors, 1
    return actors, max(1, min(total // actors, max(cpus)))


class RowWorker:
    """A Ray actor: loads the models once (``warm_up``), then scores rows as a pool process does.

    It runs in the driver's working directory when its node has that folder, so relative paths in rows
    read the same files as in a local process.
    """

    def __init__(self, scorer: Scorer, warm_up: Callable[[], None] | None, threads: int, cwd: str) -> None:
        os.environ["FACTAID_THREADS"] = str(threads)
        if os.path.isdir(cwd):
            os.chdir(cwd)
        self.scorer = scorer
        if warm_up is not None:
            warm_up()

    def ready(self) -> dict:
        """Where this actor runs, and the factaid it imported (the driver checks they match)."""
        import socket

        return {"host": socket.gethostname(), "pid": os.getpid(), "factaid": code_fingerprint()}

    def score(self, row: dict) -> dict:
        return score_safely(self.scorer, row)


def last_line(text: str) -> str:
    """The last non-blank line of an error text (a traceback's last line names the exception)."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _start_ray(ray: ModuleType, address: str, ray_env: dict | None) -> None:
    """Start a Ray here (LOCAL) or join a cluster; ``ray_env`` is the job's runtime_env (Ray uploads its
    local folders to the cluster, which it does for a job only, not for an actor)."""
    common = {"logging_level": logging.WARNING, "runtime_env": ray_env}
    if address == LOCAL:
        ray.init(address="local", num_cpus=os.cpu_count() or 1, include_dashboard=False, **common)
    else:
        ray.init(address=address, **common)


def _ray_results(
    rows: list[dict],
    scorer: Scorer,
    workers: int | None,
    warm_up: Callable[[], None] | None,
    address: str,
    ray_env: dict | None,
) -> Iterator[dict]:
    ray = require_ray()
    started_here = not ray.is_initialized()
    if started_here:
        check_reachable(address)
        try:
            _start_ray(ray, address, ray_env)
        except (ConnectionError, RuntimeError, ValueError) as err:
            raise FactaidError(f"--ray {address}: cannot start or reach Ray: {last_line(err)}") from err
    actors: list = []
    try:
        node_cpus = [node["Resources"].get("CPU", 0) for node in ray.nodes() if node["Alive"]]
        count, threads = actor_plan(node_cpus, workers)
        actor_class = ray.remote(RowWorker).options(
            num_cpus=threads, max_restarts=ACTOR_RESTARTS, max_task_retries=-1
        )
        cwd = os.getcwd()
        actors = [actor_class.remote(scorer, warm_up, threads, cwd) for _ in range(min(count, len(rows)))]
        yield from _dispatch(ray, actors, rows)
    finally:
        for actor in actors:
            ray.kill(actor)
        if started_here:
            ray.shutdown()


def _dispatch(ray: ModuleType, actors: list, rows: list[dict]) -> Iterator[dict]:
    """One row at a time to each actor, the next as soon as it is free; results as they finish.

    An actor gets its first row once its models are loaded, so an actor still waiting for a node holds
    no row back. A dead actor's row is retried by Ray on the restarted actor (``max_task_retries``).
    """
    fingerprint = code_fingerprint()
    queue = deque(rows)
    waiting = {actor.ready.remote(): (actor, None) for actor in actors}
    while waiting:
        [finished], _ = ray.wait(list(waiting), num_returns=1)
        actor, row = waiting.pop(finished)
        try:
            value = ray.get(finished)
        except ray.exceptions.RayActorError as err:
            raise FactaidError(_actor_failure(row, err)) from err
        if row is None:
            if value["factaid"] != fingerprint:
                raise FactaidError(
                    f"the Ray worker on {value['host']} imports another factaid (code {value['factaid']}, "
                    f"here {fingerprint}): install the same factaid on every node"
                )
        else:
            yield value
        if queue:
            row = queue.popleft()
            waiting[actor.score.remote(row)] = (actor, row)


def _actor_failure(row: dict | None, err: Exception) -> str:
    if row is None or getattr(err, "actor_init_failed", False):
        return f"a Ray worker could not start: {last_line(err)}"
    return (
        f"row {row['id']!r}: its Ray worker died {ACTOR_RESTARTS + 1} times ({last_line(err)}); "
        "finished rows are kept: rerun to resume, or take the row out if it kills its worker"
    )


# ----------------------------------------------------------------------------- the loop


def results(
    rows: list[dict],
    scorer: Scorer,
    *,
    workers: int | None = None,
    warm_up: Callable[[], None] | None = None,
    ray: str | None = None,
    ray_env: dict | None = None,
) -> Iterator[dict]:
    """Each row's result, in the order they finish: from Ray actors when ``ray`` names an address (see
    ray_address), else from ``workers`` local processes (this process when 1)."""
    if ray is not None:
        yield from _ray_results(rows, scorer, workers, warm_up, ray, ray_env)
    else:
        yield from _process_results(rows, scorer, workers or 1, warm_up)


def run_rows(
    rows: list[dict],
    scorer: Scorer,
    out_path: Path,
    *,
    workers: int | None = None,
    warm_up: Callable[[], None] | None = None,
    desc: str = "rows",
    ray: str | None = None,
    ray_env: dict | None = None,
    slim: Slim | None = None,
) -> list[dict]:
    """Score every row not already in ``out_path``; return the results of ``rows``, sorted by id.

    ``scorer`` and ``warm_up`` must be picklable (module-level functions or partials) for workers or Ray.
    ``ray_env``: the Ray job's runtime_env when this call starts or joins Ray (e.g. code the actors cannot
    import from their node).
    ``slim``: what to keep in memory of each result (and so return), for files too large to hold.
    """
    if ray is None:
        os.environ["FACTAID_THREADS"] = str(threads_per_worker(workers or 1))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    done = load_done(out_path, slim)
    todo = [row for row in rows if row["id"] not in done]
    with (
        open(out_path, "a", encoding="utf-8") as sink,
        tqdm(total=len(rows), initial=len(rows) - len(todo), desc=desc, unit="row", file=sys.stderr) as bar,
    ):
        if todo:
            found = results(todo, scorer, workers=workers, warm_up=warm_up, ray=ray, ray_env=ray_env)
            for result in found:
                sink.write(json.dumps(result, ensure_ascii=False) + "\n")
                sink.flush()
                done[result["id"]] = slim(result) if slim else result
                bar.update()
    return sorted((done[row["id"]] for row in rows), key=lambda result: result["id"])
