"""Summary quality against a human reference: ROUGE-1/2/L F1 of factaid's summaries, Lead-3 beside them,
and the share of each summary's claims that factaid's own verifier finds supported."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from . import common, metrics
from .runner import read_rows

FIELDS = ("document", "reference")
MODES = ("extractive", "abstractive")
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")


def load_rows(path: Path, limit: int | None) -> list[dict]:
    return read_rows(path, limit, FIELDS)


def warm_up(options: dict) -> None:
    from factaid import llm

    common.embedder()
    settings = common.settings(options, mode="abstractive")
    if "abstractive" in options["modes"] or settings.judge == "llm":
        llm.get_language_model(settings)  # the pipeline's cache key


@lru_cache(maxsize=1)
def _scorer():
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)


def _lines(text: str) -> str:
    """One sentence a line: what rougeLsum reads as summary-level sentence boundaries."""
    from factaid.sentences import split_sentences

    return "\n".join(s.text for s in split_sentences(text)) or text


def rouge(reference: str, prediction: str) -> dict[str, float]:
    """ROUGE F1 x 100; rougeLsum sees both texts one sentence a line."""
    scores = _scorer().score(_lines(reference), _lines(prediction))
    return {name: round(100 * scores[name].fmeasure, 4) for name in ROUGE_TYPES}


def lead3(document: str) -> str:
    from factaid.sentences import split_sentences

    return " ".join(s.text for s in split_sentences(document)[:3])


def score_row(row: dict, options: dict) -> dict:
    import factaid

    result: dict = {"lead3": rouge(row["reference"], lead3(row["document"]))}
    for mode in options["modes"]:
        settings = common.settings(options, mode=mode, summary_sentences=options.get("sentences", 3))
        report = factaid.check([common.text_source(row["document"], row["id"])], settings=settings)
        labels = [claim.label for claim in report.claims]
        result[mode] = {
            "summary": report.summary,
            "rouge": rouge(row["reference"], report.summary),
            "claims": len(labels),
            "supported_share": labels.count("supported") / len(labels) if labels else None,
            "model": report.summary_model,
        }
    return result


def report(results: list[dict], tune_results: list[dict] | None, args) -> dict:
    ok = [r for r in results if "error" not in r]
    table = []
    for system in ("lead3", *args.modes):
        rouges = [r[system] if system == "lead3" else r[system]["rouge"] for r in ok]
        line: dict = {"system": system if system == "lead3" else f"factaid {system}", "n": len(rouges)}
        line.update({name: metrics.mean(x[name] for x in rouges) for name in ROUGE_TYPES})
        shares = [] if system == "lead3" else [r[system]["supported_share"] for r in ok]
        line["claims_supported"] = metrics.mean(s for s in shares if s is not None)
        table.append(line)
    return {
        "rows": len(results),
        "errors": len(results) - len(ok),
        "tables": {"Summary quality (ROUGE F1 x 100; claims supported by factaid's verifier)": table},
    }
