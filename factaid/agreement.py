"""Several reports of one event: the extractive summary keeps one version of each fact, states first what
the sources agree on, then what only one of them reports, marked as such ("Only S2 reports: ...", or
"S2 reports (disputed by S1): ..." where another source contradicts it).

Whether another source states a sentence's fact is the verifier's call, the same one the report shows:
candidate sentences are taken best-scored first (``summarize.rank_candidates``), and each one's claims are
checked against every source as a summary's claims are. A candidate and a chosen sentence of another
source are two versions of one fact when a claim of either is supported by the other's source with the
other sentence among the evidence, or when the two are paraphrases (``PARAPHRASE_COSINE``, which spares
the verifier the plain cases); the candidate is skipped. A kept sentence is agreed on when every
claim of it is supported by two sources or more. The verdicts are the report's own: the check does not
judge these claims again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from . import claims as claims_stage
from . import retrieve, summarize, verify
from .types import CheckSettings, Claim, Source, Span

ONLY_ONE_MARK = "Only {source} reports: "
# A sentence that another source contradicts is not one source's alone: the mark names who disputes it.
DISPUTED_MARK = "{source} reports (disputed by {others}): "
# Either mark, as it leads a sentence of the summary: the reporting source is group 1 or group 2.
MARK_PATTERN = r"Only (S\d+) reports: |(S\d+) reports \(disputed by [^)]*\): "
# Two sentences of different outlets closer than this are paraphrases: the best balanced accuracy of the
# MiniLM cosine between MRPC's paraphrases and non-paraphrases, news sentences of different outlets (0.681;
# `python -m eval same-fact` at commit a2da297, eval/RESULTS.md). The verifier is not asked about them.
PARAPHRASE_COSINE = 0.76


@dataclass
class Kept:
    candidate: summarize.Candidate
    claims: list[Claim]  # spans into the candidate's text

    @property
    def agreed(self) -> bool:
        return all(len(claim.supported_by) >= 2 for claim in self.claims)


def summarize_sources(
    sources: list[Source], settings: CheckSettings, index: retrieve.EvidenceIndex
) -> tuple[str, list[Claim]]:
    """The summary of several sources, and its claims with their verdicts (spans into the summary)."""
    weights = summarize.WEIGHTS
    candidates, vectors = summarize.rank_candidates(sources, index.embeddings, weights)
    order = sorted(range(len(candidates)), key=lambda i: -candidates[i].score)
    budget = settings.summary_sentences * weights.words_per_sentence
    verifier = verify.get_verifier(settings)
    kept: list[Kept] = []
    ahead: list[int] = []  # candidates kept or being judged: what a paraphrase would repeat
    words = position = 0
    while words < budget and position < len(order):
        # Judge as many candidates as would fill the budget if none were a second version: each batch is
        # one call of every model. A paraphrase of one ahead of it from another source is not judged.
        batch: list[summarize.Candidate] = []
        while position < len(order) and words + sum(c.words for c in batch) < budget:
            i = order[position]
            position += 1
            if not _paraphrase(i, ahead, candidates, vectors):
                batch.append(candidates[i])
                ahead.append(i)
        for candidate, claims in zip(batch, _judged(batch, sources, index, settings, verifier), strict=True):
            if words >= budget:
                break
            if claims and not _repeats(candidate, claims, kept, sources):
                kept.append(Kept(candidate, claims))
                words += candidate.words
    return arrange(kept, sources)


def _paraphrase(i: int, ahead: list[int], candidates: list[summarize.Candidate], vectors) -> bool:
    """Whether candidate ``i`` is a paraphrase of one ahead of it from another source."""
    others = [j for j in ahead if candidates[j].source_number != candidates[i].source_number]
    return bool(others) and float((vectors[others] @ vectors[i]).max()) > PARAPHRASE_COSINE


def _judged(
    batch: list[summarize.Candidate],
    sources: list[Source],
    index: retrieve.EvidenceIndex,
    settings: CheckSettings,
    verifier: verify.Verifier,
) -> list[list[Claim]]:
    """Each candidate's claims (spans into its own text), judged against every source in one call."""
    per_candidate = [claims_stage.split_claims(c.text) for c in batch]
    claims = [replace(claim, index=n) for n, claim in enumerate(c for cs in per_candidate for c in cs)]
    if not claims:
        return per_candidate
    judged = iter(
        verifier.judge(claims, index.search([c.statement for c in claims], settings.top_k), sources)
    )
    return [[next(judged) for _ in claims] for claims in per_candidate]


def _repeats(
    candidate: summarize.Candidate, claims: list[Claim], kept: list[Kept], sources: list[Source]
) -> bool:
    """Whether the candidate and a kept sentence of another source are two versions of one fact: a claim
    of either is supported by the other's source with the other sentence among the evidence."""
    own = sources[candidate.source_number].id
    for other in kept:
        if other.candidate.source_number == candidate.source_number:
            continue
        other_source = sources[other.candidate.source_number].id
        if _supported_with(claims, other_source, other.candidate.sentence_index) or _supported_with(
            other.claims, own, candidate.sentence_index
        ):
            return True
    return False


def _supported_with(claims: list[Claim], source_id: str, sentence_index: int) -> bool:
    """Whether ``source_id`` supports one of ``claims`` with its sentence ``sentence_index`` as evidence."""
    return any(
        support.source_id == source_id
        and support.label == "supported"
        and any(e.sentence_index == sentence_index for e in support.evidence)
        for claim in claims
        for support in claim.support
    )


def arrange(kept: list[Kept], sources: list[Source]) -> tuple[str, list[Claim]]:
    """The summary: agreed sentences in reading order, then each one-source sentence led by its mark; and
    the claims of both with spans into it."""

    def reading(item: Kept) -> tuple[int, int]:
        return item.candidate.source_number, item.candidate.sentence_index

    agreed = sorted((k for k in kept if k.agreed), key=reading)
    alone = sorted((k for k in kept if not k.agreed), key=reading)
    parts: list[str] = []
    claims: list[Claim] = []
    cursor = 0
    for item in agreed + alone:
        mark = "" if item.agreed else _mark(item, sources[item.candidate.source_number].id)
        start = cursor + len(mark)
        parts.append(mark + item.candidate.text)
        claims += [replace(_shifted(c, start), index=len(claims) + n) for n, c in enumerate(item.claims)]
        cursor = start + len(item.candidate.text) + 1
    return " ".join(parts), claims


def _mark(item: Kept, source_id: str) -> str:
    disputing = sorted({s for claim in item.claims for s in claim.contradicted_by} - {source_id})
    if disputing:
        return DISPUTED_MARK.format(source=source_id, others=", ".join(disputing))
    return ONLY_ONE_MARK.format(source=source_id)


def _shifted(claim: Claim, offset: int) -> Claim:
    return replace(claim, span=Span(claim.span.start + offset, claim.span.end + offset))
