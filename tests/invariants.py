"""What every report must hold, whatever went in: shared by the tests on real articles (test_verify.py)
and the property tests on generated input (test_properties.py)."""

from __future__ import annotations

import math

from factaid.types import LABELS, Report


def assert_report_invariants(report: Report) -> None:
    """Spans are exact slices, scores are probabilities, and each verdict follows its sources' labels."""
    ids = [s.id for s in report.sources]
    for source in report.sources:
        for number, sentence in enumerate(source.sentences):
            assert sentence.index == number
            assert source.text[sentence.span.start : sentence.span.end] == sentence.text
    previous_end = 0
    for claim in report.claims:
        assert previous_end <= claim.span.start < claim.span.end <= len(report.summary)
        assert report.summary[claim.span.start : claim.span.end] == claim.text
        previous_end = claim.span.end

        items = claim.evidence + [e for s in claim.support for e in s.evidence]
        assert items, f"{claim.text!r} has no evidence"
        for e in items:
            source = report.source(e.source_id)
            assert source.text[e.span.start : e.span.end] == e.text
            assert source.sentences[e.sentence_index].text == e.text
        scores = [claim.score] + [s.score for s in claim.support] + [e.score for e in items]
        assert all(0.0 <= x <= 1.0 and not math.isnan(x) for x in scores), scores

        assert claim.label in LABELS
        assert [s.source_id for s in claim.support] == ids
        assert claim.supported_by == [s.source_id for s in claim.support if s.label == "supported"]
        assert claim.contradicted_by == [s.source_id for s in claim.support if s.label == "contradicted"]
        assert claim.score == max(s.score for s in claim.support)
        if claim.supported_by:
            # A supported claim explains only the dispute: reasons and evidence of dissenting sources.
            dissent = [r for s in claim.support if s.label == "contradicted" for r in s.reasons]
            assert claim.label == "supported" and claim.reasons == list(dict.fromkeys(dissent))
            assert {e.source_id for e in claim.evidence} <= set(claim.supported_by + claim.contradicted_by)
        else:
            assert claim.label == ("contradicted" if claim.contradicted_by else "unsupported")
            assert claim.reasons, f"{claim.text!r} is {claim.label} without a reason"
