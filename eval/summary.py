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
        if settings.supported_only and mode == "abstractive":
            written = report.filtered_from or report.summary
            result[mode]["written"] = {
                "summary": written,
                "rouge": rouge(row["reference"], written),
                "sentences": len(_lines(written).splitlines()) if written else 0,
                "removed": len(report.removed),
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
        written = [r[system]["written"] for r in ok if system != "lead3" and "written" in r[system]]
        if written:
            table.append(_before_filter(system, written))
    return {
        "rows": len(results),
        "errors": len(results) - len(ok),
        "tables": {"Summary quality (ROUGE F1 x 100; claims supported by factaid's verifier)": table},
    }


def _before_filter(system: str, written: list[dict]) -> dict:
    """The LLM's summaries as written, before --supported-only removed sentences, and how many it removed."""
    line: dict = {"system": f"factaid {system} as written, before the filter", "n": len(written)}
    line.update({name: metrics.mean(w["rouge"][name] for w in written) for name in ROUGE_TYPES})
    sentences = sum(w["sentences"] for w in written)
    line["sentences_removed"] = f"{sum(w['removed'] for w in written)} of {sentences}"
    line["summaries_emptied"] = sum(w["removed"] and w["removed"] == w["sentences"] for w in written)
    return line


def compare(first: Path, second: Path, system: str = "abstractive", resamples: int = 5000) -> dict:
    """Two runs of this task on the same rows (run folders), row by row: how many summaries are the same
    word for word, and the differences (first minus second) of the share of claims the verifier supports
    and of ROUGE-1, with 95% bootstrap intervals over the rows (seeded, so a rerun gives the same)."""
    import json
    import random

    def rows(folder: Path) -> dict[str, dict]:
        lines = (folder / "rows.jsonl").read_text(encoding="utf-8").splitlines()
        return {row["id"]: row[system] for row in map(json.loads, lines) if system in row}

    one, other = rows(first), rows(second)
    ids = sorted(one.keys() & other.keys())
    rng = random.Random(0)

    def interval(values: list[float]) -> list[float]:
        means = sorted(sum(rng.choices(values, k=len(values))) / len(values) for _ in range(resamples))
        return [round(means[int(0.025 * resamples)], 4), round(means[int(0.975 * resamples) - 1], 4)]

    shares = [
        one[i]["supported_share"] - other[i]["supported_share"]
        for i in ids
        if one[i]["supported_share"] is not None and other[i]["supported_share"] is not None
    ]
    rouge1 = [one[i]["rouge"]["rouge1"] - other[i]["rouge"]["rouge1"] for i in ids]
    return {
        "rows": len(ids),
        "same_summary": sum(one[i]["summary"] == other[i]["summary"] for i in ids),
        "claims": [sum(one[i]["claims"] for i in ids), sum(other[i]["claims"] for i in ids)],
        "supported_share_higher_lower_same": [sum(d > 0 for d in shares), sum(d < 0 for d in shares)]
        + [sum(d == 0 for d in shares)],
        "supported_share_difference": round(sum(shares) / len(shares), 4) if shares else None,
        "supported_share_difference_95": interval(shares) if shares else None,
        "rouge1_difference": round(sum(rouge1) / len(rouge1), 4) if rouge1 else None,
        "rouge1_difference_95": interval(rouge1) if rouge1 else None,
    }


def compare_main(argv: list[str]) -> int:
    """``python -m eval summary-compare RUN_A RUN_B``: compare two run folders of this task row by row."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m eval summary-compare", description=compare.__doc__)
    parser.add_argument("first", type=Path, help="a run folder of python -m eval summary")
    parser.add_argument("second", type=Path, help="another, on the same rows")
    parser.add_argument("--system", default="abstractive", choices=MODES)
    args = parser.parse_args(argv)
    for folder in (args.first, args.second):
        if not (folder / "rows.jsonl").is_file():
            parser.error(f"{folder}: no rows.jsonl; give a run folder of python -m eval summary")
    print(json.dumps(compare(args.first, args.second, args.system), indent=1))
    return 0
