"""The pluggable NLI cross-encoder: any sequence-classification folder joins the verifier's score."""

from __future__ import annotations

import math

import pytest

import factaid
from factaid import verify
from factaid.types import CheckSettings

DOCUMENT = (
    "The council voted on Monday to rebuild the harbour wall. "
    "Work will start in May and cost 3 million euros. "
    "The mayor said the old wall could not survive another winter."
)
SUMMARY = "The council voted to rebuild the harbour wall. The wall will cost 9 million euros."


def _softmax(logits: tuple[float, ...]) -> list[float]:
    total = sum(math.exp(x) for x in logits)
    return [math.exp(x) / total for x in logits]


@pytest.fixture(scope="module")
def base_report(embedder, nlp) -> factaid.Report:
    return factaid.check([DOCUMENT], summary=SUMMARY)


def _expected_label(score: float, threshold: float, base, entail: float, contra: float) -> str:
    if verify.vetoed(base.signals):  # a conflicting number, date, negation or actor
        return "contradicted"
    if score >= threshold and not verify.unfound(base.signals):
        return "supported"
    return "contradicted" if contra > max(entail, 0.5) else "unsupported"


@pytest.mark.parametrize(
    ("bias", "threshold", "first_label"),
    [
        ((4.0, 0.0, 0.0), None, "supported"),
        ((0.0, 4.0, 0.0), 0.6, "unsupported"),  # a neutral model pulls the faithful claim below
        ((0.0, 0.0, 4.0), 0.6, "contradicted"),
        ((4.0, 0.0, 0.0), 0.3, "supported"),
    ],
    ids=["entails", "neutral", "contradicts", "entails-low-threshold"],
)
def test_nli_probability_joins_every_source_score(
    tmp_path, base_report, make_classifier, bias, threshold, first_label
):
    folder = make_classifier(tmp_path / "nli", bias=bias)
    settings = CheckSettings(nli=str(folder), supported_threshold=threshold)
    report = factaid.check([DOCUMENT], summary=SUMMARY, settings=settings)
    entail, _, contra = _softmax(bias)
    threshold = verify.load_calibration().threshold if threshold is None else threshold
    assert [c.text for c in report.claims] == [c.text for c in base_report.claims]
    for claim, before in zip(report.claims, base_report.claims, strict=True):
        support, base = claim.support[0], before.support[0]
        assert support.score == pytest.approx((base.score + entail) / 2, abs=1e-3)
        assert support.label == _expected_label(support.score, threshold, base, entail, contra)
        if support.label == "contradicted" and not verify.vetoed(base.signals):
            assert any("NLI model" in reason for reason in support.reasons)
    # The document's 3 million euros veto "9 million" whatever the NLI model says, at any threshold.
    assert [c.support[0].label for c in report.claims] == [first_label, "contradicted"]


def test_nli_model_is_loaded_once_per_process(tmp_path, make_classifier):
    from factaid import models

    folder = str(make_classifier(tmp_path / "nli-once"))
    first = models.get_nli(folder)
    assert models.get_nli(folder) is first
    assert first.entailment_index == 0 and first.contradiction_index == 2
