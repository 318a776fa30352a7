"""The ``factaid`` command: a thin front end over factaid.check and factaid.render."""

from __future__ import annotations

import argparse
import logging
import sys
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
        help="summary length in sentences (default 5; abstractive: at most, the LLM may stop sooner)",
    )
    check.add_argument("--format", choices=FORMATS, default="md", help="report format (default md)")
    check.add_argument("-o", "--output", type=Path, help="write the report to OUT instead of stdout")
    check.add_argument("--top-k", type=int, default=3, help="evidence sentences per claim and source")
    check.add_argument("--threshold", type=float, help="probability above which a claim is supported")
    check.add_argument("--embedder", default="minilm", help="short name, hub id or path")
    check.add_argument("--llm", default="gemma-270m", help="short name, hub id or path (abstractive)")
    check.add_argument("--nli", help="optional NLI / claim-check classifier: hub id or path")
    check.add_argument("--allow-private-urls", action="store_true", help="allow loopback/private addresses")

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
    return CheckSettings(
        mode=args.mode,
        summary_sentences=args.sentences,
        top_k=args.top_k,
        embedder=args.embedder,
        llm=args.llm,
        nli=args.nli,
        supported_threshold=args.threshold,
        allow_private_urls=args.allow_private_urls,
    )


def _check(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from . import check, render

    bundled = sorted(str(p) for p in EXAMPLES.glob("*.txt")) if args.example else []
    documents = list(args.documents) + bundled
    if not documents:
        raise InputError("give at least one DOC (file or URL), or --example")
    settings, summary = _settings(args), _summary(args)
    # disable=None: a bar on a terminal, nothing in pipes and logs.
    with tqdm(total=100, desc="checking", unit="%", file=sys.stderr, leave=False, disable=None) as bar:

        def progress(fraction: float, message: str) -> None:
            bar.set_postfix_str(message)
            bar.update(round(100 * fraction) - bar.n)

        report = check(documents, summary=summary, settings=settings, progress=progress)
    text = render(report, args.format)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    try:
        if args.command == "serve":
            from .ui import main as serve

            serve(args.host, args.port)
        else:
            _check(args)
    except FactaidError as err:
        print(f"factaid: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("factaid: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
