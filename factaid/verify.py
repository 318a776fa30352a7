"""Verification: for every claim and source, a label and a calibrated probability of support.

For each claim and each source, retrieval's best sentences (up to three, in document order) go to the
claim checker, factaid's 3-way cross-encoder (eval/train_checker.py, trained on human-labelled NLI and
fact-verification data), which gives the probabilities that they entail the claim, say nothing of it
(neutral) or contradict it. Beside it stand signals that parsing gets right where a small checker often
does not: names the source never mentions, numbers and dates that it gives differently for the same
thing, and dates that it never gives; and how close the claim is to its evidence in meaning (embedding
cosine) and in wording (the share of its content words found in the evidence). A logistic model,
fitted on pooled dev data by ``python -m eval calibrate``, turns them into one probability of support,
shown on a scale where the labels' cut is 0.5 (``Calibration``). Each signal's worth is measured by
ablation in eval/RESULTS.md.

Per source, the label is
- *contradicted* when the checker finds contradiction (more probable than ``CONTRADICTS`` and than
  entailment), or the evidence gives the claim's fact with another number or date;
- *supported* when the shown probability reaches the shipped threshold (0.5), unless the source never
  gives the claim's date;
- *unsupported* otherwise.

A claim is supported if some source supports it, else contradicted if some source contradicts it, else
unsupported. An optional NLI model (any sequence-classification model, ``CheckSettings.nli``) is
averaged into the probability.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np

from . import facts as F
from . import models
from .types import CheckSettings, Claim, Evidence, Label, Source, SourceSupport

FEATURES = (
    "similarity",  # max cosine between the claim and one evidence sentence
    "window_coverage",  # share of the claim's content words found in the evidence sentences
    "missing_names",  # names in the claim that the source never mentions
    "number_mismatch",  # a number the evidence gives differently for the same thing
    "date_mismatch",  # a date the evidence gives differently
    "date_missing",  # a date the source never gives, in its text or its page's date lines
    "entailment",  # the claim checker's probability that the evidence entails the claim
    "contradiction",  # ... and that it contradicts the claim
)
# A source that gives the claim's fact with another number or date contradicts it, whatever the other
# signals say; so does one whose evidence the checker reads as contradicting the claim.
VETO_FEATURES = ("number_mismatch", "date_mismatch")
# A date the source never gives, in any sentence or in the page's date lines, is found nowhere: that
# source does not support the claim, though nothing in it contradicts the claim either (small LLMs
# invent dates).
UNFOUND_FEATURES = ("date_missing",)
VETO_SCALE = 0.25  # scales the probability of a claim that is vetoed or has something unfound
# The checker contradicts a claim above this contradiction (and above its entailment). Chosen on the dev
# files (eval/RESULTS.md): at 0.5 its contradiction vetoed faithful summaries and lowered every figure.
CONTRADICTS = 0.9
CHECKER_DOUBTS = 0.5  # below this entailment, the checker's doubt is among a verdict's reasons
CHECKER_EVIDENCE_SENTENCES = 3  # the checker reads retrieval's best three sentences, in document order


@dataclass(frozen=True)
class Calibration:
    """The fitted verdict model. A logistic model of the signals gives a fitted probability; the
    probability shown is that one put on a scale where support is as likely as not at 0.5: the fitted
    probability at which the labels were best (``centre``, the best balanced accuracy on the dev files)
    maps to 0.5, and ``slope`` stretches the scale so that, on the dev files, the shown probability
    matches the share of items supported (each file and each class weighing the same). The label
    follows the shown probability: supported from ``threshold`` (0.5) up."""

    weights: dict[str, float]
    bias: float
    threshold: float  # a claim is supported when its shown probability reaches this
    summary_threshold: float  # a summary is consistent when the mean of its claims' shown ones reaches this
    centre: float = 0.5
    slope: float = 1.0
    provenance: dict = field(default_factory=dict)

    def fitted(self, features: dict[str, float]) -> float:
        """The logistic model's probability of support."""
        z = self.bias + sum(self.weights.get(name, 0.0) * value for name, value in features.items())
        return 1.0 / (1.0 + math.exp(-z))

    def shown(self, fitted: float) -> float:
        """The probability shown for a fitted one (monotone: the order of claims is kept)."""
        return shown_probability(fitted, self.centre, self.slope)


def shown_probability(fitted: float, centre: float, slope: float) -> float:
    """``fitted`` on the scale where ``centre`` is 0.5: the logistic of slope * (logit(fitted) -
    logit(centre))."""
    tiny = 1e-6
    fitted, centre = min(max(fitted, tiny), 1 - tiny), min(max(centre, tiny), 1 - tiny)
    z = slope * (math.log(fitted / (1 - fitted)) - math.log(centre / (1 - centre)))
    return 1.0 / (1.0 + math.exp(-z))


@lru_cache(maxsize=1)
def load_calibration() -> Calibration:
    """The fitted parameters shipped in the package (factaid/calibration.json)."""
    data = json.loads(resources.files("factaid").joinpath("calibration.json").read_text("utf-8"))
    return Calibration(
        data["weights"],
        data["bias"],
        data["threshold"],
        data["summary_threshold"],
        data.get("centre", 0.5),
        data.get("slope", 1.0),
        data.get("provenance", {}),
    )


def summary_threshold() -> float:
    return load_calibration().summary_threshold


@dataclass
class SourceView:
    """What the verifier needs of a source, computed once per check."""

    source: Source
    facts: list[F.Facts]
    words: set[str]
    lemmas: set[str]
    values: list[float]
    dates: set[str]
    page_dates: set[str]  # dates of the page's date lines, which no sentence holds

    @classmethod
    def of(cls, source: Source) -> SourceView:
        facts = F.facts_for([s.text for s in source.sentences])
        return cls(
            source,
            facts,
            F.all_words([source.title, source.text]),
            set().union(*(f.lemmas for f in facts)),
            [q.value for f in facts for q in f.quantities],
            set().union(*(f.dates for f in facts)),
            set().union(*(f.dates for f in F.facts_for(source.page_dates))),
        )


def _coverage(claim_lemmas: set[str], lemmas: set[str]) -> float:
    return len(claim_lemmas & lemmas) / len(claim_lemmas) if claim_lemmas else 1.0


def _numbers(claim: F.Facts, window: list[F.Facts], view: SourceView, reasons: list[str]) -> tuple[int, int]:
    mismatch = missing = 0
    window_quantities = [q for f in window for q in f.quantities]
    for quantity in claim.quantities:
        if any(F.same_value(quantity.value, v) for v in view.values):
            # Given somewhere, so conflicting only if the evidence counts it in another unit of time.
            rivals, claimed = _other_duration(quantity, window_quantities), f"{quantity.text} {quantity.unit}"
            if not rivals:
                continue
        else:
            rivals = [q for q in window_quantities if q.unit and q.unit == quantity.unit]
            claimed = quantity.text
        if rivals:
            mismatch += 1
            reasons.append(f"{view.source.id} gives {rivals[0].text} {rivals[0].unit}, not {claimed}")
        else:
            missing += 1
            reasons.append(f"{view.source.id} never gives the number {quantity.text!r}")
    return mismatch, missing


def _other_duration(quantity: F.Quantity, evidence: list[F.Quantity]) -> list[F.Quantity]:
    """The evidence's uses of the claim's number for another unit of time than the claim's ("four-and-a-half
    years" for "four and a half months"), when it never gives the number in the claim's unit."""
    if quantity.unit not in F.DURATIONS:
        return []
    same = [q for q in evidence if F.same_value(quantity.value, q.value)]
    if any(q.unit == quantity.unit for q in same):
        return []
    return [q for q in same if q.unit in F.DURATIONS]


def _dates(claim: F.Facts, window: list[F.Facts], view: SourceView, reasons: list[str]) -> tuple[int, int]:
    mismatch = missing = 0
    window_dates = set().union(*(f.dates for f in window)) if window else set()
    if claim.dates & view.page_dates - view.dates:
        reasons.append(f"{view.source.id}'s page is dated {'; '.join(view.source.page_dates)}")
    for date in sorted(claim.dates - view.dates - view.page_dates):
        kind = date.split(":")[0]
        rivals = sorted(d for d in window_dates if d.startswith(kind + ":"))
        if rivals and kind != "rel":
            mismatch += 1
            reasons.append(f"{view.source.id} dates it {F.date_text(rivals[0])}, not {F.date_text(date)}")
        else:
            missing += 1
            reasons.append(f"{view.source.id} never gives the date {F.date_text(date)!r}")
    return mismatch, missing


def vetoed(features: dict[str, float]) -> bool:
    """Whether the source contradicts the claim: a hard check fires, or the checker reads contradiction."""
    return any(features.get(name, 0.0) > 0 for name in VETO_FEATURES) or checker_contradicts(features)


def checker_contradicts(features: dict[str, float]) -> bool:
    contradiction = features.get("contradiction", 0.0)
    return contradiction >= CONTRADICTS and contradiction > features.get("entailment", 0.0)


def unfound(features: dict[str, float]) -> bool:
    return any(features.get(name, 0.0) > 0 for name in UNFOUND_FEATURES)


def support_scale(features: dict[str, float]) -> float:
    """What the calibrated probability is multiplied by: less than 1 when the source contradicts the
    claim or something of the claim is found nowhere in it."""
    return VETO_SCALE if vetoed(features) or unfound(features) else 1.0


def support_probability(calibration: Calibration, features: dict[str, float]) -> float:
    """The shown probability that the source supports the claim, lowered by ``support_scale``."""
    return calibration.shown(calibration.fitted(features) * support_scale(features))


def claim_features(
    claim: F.Facts,
    similarities: list[float],
    window: list[F.Facts],
    view: SourceView,
    checker: dict[str, float],
) -> tuple[dict[str, float], list[str]]:
    """Signals of one claim against one source's evidence window, with reasons in words.
    ``similarities`` are the claim's cosines to the window's sentences, ``checker`` the checker's
    probabilities for the window. Numbers the source never gives, and words it has none for, are among
    the reasons but no signal: leaving them out of the fit lost nothing (eval/RESULTS.md)."""
    reasons: list[str] = []
    missing_names = [n for n in claim.names if not F.name_in(n, view.words)]
    reasons += [f"{view.source.id} never mentions {n!r}" for n in missing_names]
    unseen = sorted(claim.lemmas - view.lemmas - {w for n in missing_names for w in n.split()})
    if unseen:
        reasons.append(f"{view.source.id} has no word for: {', '.join(unseen)}")
    number_mismatch, _ = _numbers(claim, window, view, reasons)
    date_mismatch, date_missing = _dates(claim, window, view, reasons)
    entailment, contradiction = checker["entailment"], checker["contradiction"]
    if contradiction >= CONTRADICTS and contradiction > entailment:
        reasons.append(f"the claim checker reads {view.source.id}'s evidence as contradicting it")
    elif entailment < CHECKER_DOUBTS:
        reasons.append(f"the claim checker finds no support in {view.source.id}'s evidence")
    features = {
        "similarity": max(similarities, default=0.0),
        "window_coverage": _coverage(
            claim.lemmas, set().union(*(f.lemmas for f in window)) if window else set()
        ),
        "missing_names": float(len(missing_names)),
        "number_mismatch": float(number_mismatch),
        "date_mismatch": float(date_mismatch),
        "date_missing": float(date_missing),
        "entailment": entailment,
        "contradiction": contradiction,
    }
    return features, reasons


class NLIScorer:
    """Entailment, neutral and contradiction probabilities of (evidence, claim) pairs from an NLI model."""

    def __init__(self, model: models.NLIModel, batch_size: int = 32) -> None:
        self.nli = model
        self.batch_size = batch_size

    def probabilities(self, premises: list[str], claims: list[str]) -> list[dict[str, float]]:
        """Each pair's probabilities by label; a model without a contradiction label (a binary checker)
        gives none, and neutral is what entailment and contradiction leave."""
        import torch

        # Pairs of similar length share a batch, so little of it is padding; results keep input order.
        order = sorted(range(len(claims)), key=lambda i: len(premises[i]) + len(claims[i]))
        results: list[dict[str, float]] = [{} for _ in claims]
        bfloat16 = torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.nli.bfloat16)
        with torch.inference_mode(), bfloat16:
            for start in range(0, len(order), self.batch_size):
                chosen = order[start : start + self.batch_size]
                batch = self.nli.tokenizer(
                    [premises[i] for i in chosen],
                    [claims[i] for i in chosen],
                    truncation=True,
                    max_length=self.nli.max_length,
                    padding=True,
                    return_tensors="pt",
                )
                probs = torch.softmax(self.nli.model(**batch).logits.float(), dim=-1)
                for i, row in zip(chosen, probs.tolist()):
                    entailment = row[self.nli.entailment_index]
                    index = self.nli.contradiction_index
                    contradiction = row[index] if index is not None else 0.0
                    results[i] = {
                        "entailment": entailment,
                        "neutral": max(0.0, 1.0 - entailment - contradiction),
                        "contradiction": contradiction,
                    }
        return results

    def score(self, premises: list[str], claims: list[str]) -> list[tuple[float, float]]:
        """(entailment, contradiction) of each pair."""
        return [(p["entailment"], p["contradiction"]) for p in self.probabilities(premises, claims)]


class Verifier:
    """Judges claims against retrieved evidence; one instance per model setup, reused across checks."""

    def __init__(
        self,
        embedder: models.Embedder,
        calibration: Calibration,
        checker: NLIScorer,
        threshold: float | None = None,
        nli: NLIScorer | None = None,
    ) -> None:
        self.embedder = embedder
        self.checker = checker
        self.calibration = calibration
        self.threshold = calibration.threshold if threshold is None else threshold
        self.nli = nli

    def judge(
        self, claims: list[Claim], candidates: list[dict[str, list[Evidence]]], sources: list[Source]
    ) -> list[Claim]:
        """Fill label, score, support and evidence of every claim; ``candidates`` come from retrieval."""
        views = [SourceView.of(source) for source in sources]
        claim_facts = F.facts_for([c.statement for c in claims])
        claim_vectors = self.embedder.encode([c.statement for c in claims])
        checked = self._checker_probabilities(claims, candidates, views)
        supports = [
            [
                self._support(claim, f, v, found[view.source.id], view, checks[view.source.id])
                for view in views
            ]
            for claim, f, v, found, checks in zip(claims, claim_facts, claim_vectors, candidates, checked)
        ]
        if self.nli is not None:
            self._add_nli(claims, supports)
        return [decide(claim, support) for claim, support in zip(claims, supports)]

    def _checker_probabilities(
        self, claims: list[Claim], candidates: list[dict[str, list[Evidence]]], views: list[SourceView]
    ) -> list[dict[str, dict[str, float]]]:
        """The checker's probabilities for every claim and source, in one batched call."""
        keys = [(i, view.source.id) for i in range(len(claims)) for view in views]
        premises = [checker_premise(candidates[i][source_id]) for i, source_id in keys]
        found = self.checker.probabilities(premises, [claims[i].statement for i, _ in keys])
        checked: list[dict[str, dict[str, float]]] = [{} for _ in claims]
        for (i, source_id), probabilities in zip(keys, found):
            checked[i][source_id] = probabilities
        return checked

    def _support(
        self,
        claim: Claim,
        facts: F.Facts,
        vector: np.ndarray,
        evidence: list[Evidence],
        view: SourceView,
        checker: dict[str, float],
    ) -> SourceSupport:
        vectors = self.embedder.encode([e.text for e in evidence])
        similarities = [float(s) for s in vectors @ vector]
        window = [view.facts[e.sentence_index] for e in evidence]
        features, reasons = claim_features(facts, similarities, window, view, checker)
        score = support_probability(self.calibration, features)
        label = label_of(score, self.threshold, features)
        signals = {name: round(value, 4) for name, value in features.items()}
        checked = {name: round(value, 4) for name, value in checker.items()}
        support = SourceSupport(
            view.source.id, label, round(score, 4), evidence, reasons, signals, checker=checked
        )
        if label == "contradicted" and evidence:
            support.conflicting = self._conflicting(claim, facts, similarities, evidence, view)
        return support

    def _conflicting(
        self,
        claim: Claim,
        facts: F.Facts,
        similarities: list[float],
        evidence: list[Evidence],
        view: SourceView,
    ) -> list[int]:
        """Where the conflict is, for the reader: the evidence sentences that, read as the only evidence
        (by the checker too), still contradict the claim."""
        alone = self.checker.probabilities([e.text for e in evidence], [claim.statement] * len(evidence))
        conflicting = []
        for i, item in enumerate(evidence):
            window = [view.facts[item.sentence_index]]
            features, _ = claim_features(facts, [similarities[i]], window, view, alone[i])
            if vetoed(features):
                conflicting.append(item.sentence_index)
        return conflicting

    def _add_nli(self, claims: list[Claim], supports: list[list[SourceSupport]]) -> None:
        pairs = [
            (" ".join(e.text for e in s.evidence), c.statement, s)
            for c, row in zip(claims, supports)
            for s in row
        ]
        scores = self.nli.score([p for p, _, _ in pairs], [c for _, c, _ in pairs])
        for (_, _, support), (entail, contra) in zip(pairs, scores):
            support.score = round((support.score + entail) / 2, 4)
            # The same rule as without NLI (a conflicting fact still vetoes support), then its contradiction.
            support.label = label_of(support.score, self.threshold, support.signals)
            if support.label == "unsupported" and contra > max(entail, 0.5):
                support.label = "contradicted"
                support.reasons.append(
                    f"the NLI model finds {support.source_id} contradicts it ({contra:.2f})"
                )


def checker_premise(evidence: list[Evidence]) -> str:
    """The best evidence sentences in document order, as the checker reads them."""
    best = sorted(evidence[:CHECKER_EVIDENCE_SENTENCES], key=lambda e: e.sentence_index)
    return " ".join(e.text for e in best)


def label_of(score: float, threshold: float, features: dict[str, float]) -> Label:
    """One source's label: contradicted when vetoed, supported when the probability reaches the
    threshold with nothing unfound, unsupported otherwise."""
    if vetoed(features):
        return "contradicted"
    return "supported" if score >= threshold and not unfound(features) else "unsupported"


def decide(claim: Claim, support: list[SourceSupport]) -> Claim:
    """A claim's verdict over all sources: supported by any, else contradicted by any, else unsupported."""
    claim.support = support
    claim.supported_by = [s.source_id for s in support if s.label == "supported"]
    claim.contradicted_by = [s.source_id for s in support if s.label == "contradicted"]
    claim.score = max(s.score for s in support)
    if claim.supported_by:
        claim.label = "supported"
        # Sources that disagree stay visible: their evidence and reasons show the dispute.
        chosen = [s for s in support if s.label in ("supported", "contradicted")]
        explained = [s for s in support if s.label == "contradicted"]
    else:
        claim.label = "contradicted" if claim.contradicted_by else "unsupported"
        chosen = explained = support
    claim.evidence = sorted((e for s in chosen for e in s.evidence[:2]), key=lambda e: -e.score)
    claim.reasons = list(dict.fromkeys(r for s in explained for r in s.reasons))
    return claim


@lru_cache(maxsize=4)
def _verifier(embedder: str, nli: str | None, threshold: float | None) -> Verifier:
    scorer = NLIScorer(models.get_nli(nli)) if nli else None
    checker = NLIScorer(models.get_checker())
    return Verifier(models.get_embedder(embedder), load_calibration(), checker, threshold, scorer)


def get_verifier(settings: CheckSettings) -> Verifier:
    return _verifier(settings.embedder, settings.nli, settings.supported_threshold)
