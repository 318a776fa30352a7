"""Hand-written claims about news events: is each labelled as expected and credited to the right outlets?

    python -m eval probes --data ../shared/data/news_probes_dev.json

The file holds ``sets``, each with its event's ``articles`` (``source``: the outlet, ``title``, ``text``)
and ``probes``: a claim (``text``), the label it should get (``expect``: a label, or "not_supported",
met by contradicted and unsupported alike), the outlets that state it (``sources``) and what kind of
claim it is (``kind``: a paraphrase, a changed number, a swapped role ...).
Every probe is checked on its own against all the articles of its set, as a user would check one
sentence. A probe that factaid splits into several claims takes the weakest of their labels
(contradicted, then unsupported, then supported) and the outlets that support every part.

Reported: accuracy over all probes and per kind, the exact-outlet rate (supported probes credited to
exactly the outlets that state them), supported probes labelled contradicted, and every miss.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from factaid import ingest
from factaid.errors import InputError
from factaid.types import LABELS

from . import common

# What a probe may expect: a label, or "not_supported" (contradicted or unsupported, either is right).
EXPECTED = (*LABELS, "not_supported")


def load_rows(path: Path, limit: int | None) -> list[dict]:
    """One row per probe, carrying its set's articles; ids are "<event>:<probe number>"."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = [
            {
                "id": f"{event['event']}:{number:02d}",
                "articles": [
                    {"source": a["source"], "title": a.get("title", ""), "text": a["text"]}
                    for a in event["articles"]
                ],
                "text": probe["text"],
                "expect": probe["expect"],
                "sources": list(probe.get("sources", [])),
                "kind": probe.get("kind", "unknown"),
            }
            for event in data["sets"]
            for number, probe in enumerate(event["probes"])
        ]
    except (ValueError, KeyError, TypeError) as err:
        raise InputError(
            f"{path}: not a probe file ({type(err).__name__}: {err}); expected "
            '{"sets": [{"event", "articles": [{"source", "text"}], "probes": [{"text", "expect"}]}]}'
        ) from err
    for row in rows:
        if row["expect"] not in EXPECTED:
            raise InputError(f"{path}: probe {row['id']} expects {row['expect']!r}, not one of {EXPECTED}")
    return rows[:limit]


def is_right(label: str, expect: str) -> bool:
    """Whether a label meets what a probe expects: "not_supported" is met by contradicted and unsupported."""
    return label != "supported" if expect == "not_supported" else label == expect


def warm_up(options: dict) -> None:
    common.embedder()


# Over a probe's parts: any contradicted part makes it contradicted, else any unsupported part.
_WEAKEST_FIRST = ("contradicted", "unsupported", "supported")


def verdict(parts: list[tuple[str, list[str]]]) -> tuple[str, list[str]]:
    """A probe's label and supporting outlets from its claims' (label, supporting sources)."""
    labels = {label for label, _ in parts}
    label = next(name for name in _WEAKEST_FIRST if name in labels)
    return label, sorted(set.intersection(*(set(sources) for _, sources in parts)))


def exact(result: dict) -> bool:
    """A supported probe credited to exactly the outlets that state it."""
    return result["label"] == "supported" and result["supported_by"] == sorted(result["sources"])


def sources_of(row: dict) -> list:
    return [
        ingest.from_text(a["text"], source_id=a["source"], title=a["title"] or a["source"])
        for a in row["articles"]
    ]


def score_row(row: dict, options: dict) -> dict:
    import factaid

    report = factaid.check(sources_of(row), summary=row["text"])
    label, supported_by = verdict([(c.label, c.supported_by) for c in report.claims])
    return {
        "kind": row["kind"],
        "expect": row["expect"],
        "sources": sorted(row["sources"]),
        "label": label,
        "supported_by": supported_by,
        "contradicted_by": sorted({s for claim in report.claims for s in claim.contradicted_by}),
        "scores": {
            support.source_id: {
                "supported": support.score,
                **{name: support.signals.get(name, 0.0) for name in ("entailment", "contradiction")},
            }
            for claim in report.claims[:1]
            for support in claim.support
        },
        "claims": len(report.claims),
    }


def report(results: list[dict], tune_results: list[dict] | None, args) -> dict:
    checked = [r for r in results if "label" in r]
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for result in checked:
        by_kind[result["kind"]].append(result)
    supported = [r for r in checked if r["expect"] == "supported"]
    kinds = [
        {
            "kind": kind,
            "n": len(group),
            "right": sum(is_right(r["label"], r["expect"]) for r in group),
            "accuracy": round(sum(is_right(r["label"], r["expect"]) for r in group) / len(group), 3),
        }
        for kind, group in sorted(by_kind.items())
    ]
    right = sum(is_right(r["label"], r["expect"]) for r in checked)
    overall = {
        "probes": len(results),
        "errors": len(results) - len(checked),
        "right": right,
        "accuracy": round(right / len(checked), 3) if checked else None,
        "supported probes": len(supported),
        "exact outlets": sum(exact(r) for r in supported),
        "supported probes labelled contradicted": sum(r["label"] == "contradicted" for r in supported),
    }
    misses = [
        {
            "id": r["id"],
            "kind": r["kind"],
            "expect": r["expect"],
            "label": r.get("label", r.get("error", "")),
            "sources": ",".join(r.get("sources", [])),
            "supported_by": ",".join(r.get("supported_by", [])),
        }
        for r in results
        if "label" not in r
        or not is_right(r["label"], r["expect"])
        or (r["expect"] == "supported" and not exact(r))
    ]
    return {
        "rows": len(results),
        "summary": overall,
        "tables": {"Overall": [overall], "By kind of claim": kinds, "Misses (label or outlets)": misses},
    }
