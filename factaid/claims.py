"""Claims: the summary split into checkable statements, each with its exact span in the summary.

A sentence is split further where two clauses with their own subjects are joined ("X did A, and Y did
B" or "X did A; Y did B"), because a verifier judges one atomic claim at a time. A claim's text is
always the summary's own slice, so it can be highlighted in place.
"""

from __future__ import annotations

from . import models
from .sentences import split_sentences
from .types import Claim, Sentence, Span

MIN_CLAIM_WORDS = 3
# Dependents that complete an auxiliary: without one, "but he is not" leans on the clause before it.
_AUX_COMPLEMENTS = {
    "attr",
    "acomp",
    "oprd",
    "xcomp",
    "ccomp",
    "dobj",
    "prep",
    "advcl",
    "npadvmod",
    "advmod",
    "prt",
}
_ELLIPSIS_ADVERBS = {"too", "also", "either", "so", "neither", "not", "n't"}  # "but Bob was too"


def _clause_starts(doc) -> list[int]:
    """Character offsets (within the sentence) where a new independent clause begins."""
    starts = []
    for token in doc:
        if token.text == ";" and token.i + 1 < len(doc):
            starts.append(doc[token.i + 1].idx)
        is_clause = token.dep_ == "conj" and token.pos_ in {"VERB", "AUX"} and token.head.dep_ == "ROOT"
        has_subject = any(c.dep_ in {"nsubj", "nsubjpass", "expl"} for c in token.children)
        elliptical = token.pos_ == "AUX" and not any(
            c.dep_ in _AUX_COMPLEMENTS and c.lower_ not in _ELLIPSIS_ADVERBS for c in token.children
        )
        if is_clause and has_subject and not elliptical:
            first = min(t.i for t in token.subtree)
            # A clause opened by "which"/"in which" leans on the previous one: not a claim of its own.
            if any(t.tag_ in {"WDT", "WP", "WP$", "WRB"} for t in doc[first : first + 2]):
                continue
            # The clause starts after the "and"/"but" (and comma) that joins it.
            while first > 0 and (doc[first - 1].dep_ in {"cc", "punct"}):
                first -= 1
            starts.append(doc[first].idx)
    return sorted(set(starts))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop joining words and punctuation at the edges: ", and Y did B" -> "Y did B"."""
    while start < end and (text[start].isspace() or text[start] in ",;:"):
        start += 1
    for joiner in ("and ", "but ", "while ", "whereas "):
        if text[start:end].lower().startswith(joiner):
            start += len(joiner)
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:"):
        end -= 1
    return start, end


def _with_markers_joined(summary: str, sentences: list[Sentence]) -> list[Sentence]:
    """A "sentence" with no letter ("20." of a numbered list) is joined to the sentence after it."""
    joined: list[Sentence] = []
    for sentence in sentences:
        if joined and not any(c.isalpha() for c in joined[-1].text):
            start = joined[-1].span.start
            span = Span(start, sentence.span.end)
            joined[-1] = Sentence(len(joined) - 1, summary[start : span.end], span)
        else:
            joined.append(Sentence(len(joined), sentence.text, sentence.span))
    return joined


def split_claims(summary: str) -> list[Claim]:
    """Split ``summary`` into claims whose ``text == summary[span.start:span.end]``."""
    sentences = _with_markers_joined(summary, split_sentences(summary))
    docs = models.get_nlp().pipe([s.text for s in sentences])
    claims: list[Claim] = []
    for sentence, doc in zip(sentences, docs):
        cuts = [0, *_clause_starts(doc), len(sentence.text)]
        pieces = [_trim(sentence.text, a, b) for a, b in zip(cuts, cuts[1:])]
        # Keep a split only if every piece is a claim on its own; else judge the sentence whole.
        if any(len(sentence.text[a:b].split()) < MIN_CLAIM_WORDS for a, b in pieces):
            pieces = [(0, len(sentence.text))]
        for start, end in pieces:
            begin = sentence.span.start + start
            claims.append(
                Claim(
                    len(claims),
                    summary[begin : sentence.span.start + end],
                    Span(begin, sentence.span.start + end),
                )
            )
    return claims
