"""Claims: the summary split into checkable statements, each with its exact span in the summary.

A sentence is split further where two clauses are joined ("X did A, and Y did B", "X did A; Y did B",
"X did A and did B"), because a verifier judges one atomic claim at a time: a clause added to a faithful
one is judged on its own. A claim's text is always the summary's own slice, so it can be highlighted in
place; a clause that shares the subject of the one before it is checked with that subject
(``Claim.subject``, "X did B").
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


def _clause_start(doc, first: int) -> int:
    """Where a clause whose first token is ``first`` begins: after the "and"/"but" (and comma) that joins
    it."""
    while first > 0 and doc[first - 1].dep_ in {"cc", "punct"}:
        first -= 1
    return doc[first].idx


_FINITE = {"VBD", "VBZ", "VBP"}


def _has_subject(verb) -> bool:
    return any(c.dep_ in {"nsubj", "nsubjpass", "expl"} for c in verb.children)


def _joined_to(verb):
    """The verb a conjoined verb is joined to. The parser hangs "and thanked" in "the mayor said the line
    would remain closed and thanked the crews" on "remain"; a finite verb joins a finite one."""
    head, root = verb.head, verb.sent.root
    if verb.tag_ in _FINITE and head.tag_ not in _FINITE and root.tag_ in _FINITE and not _has_subject(verb):
        return root
    return head


# What completes a verb before "and": without it the next verb's words belong to both ("was born and
# raised in Oslo", "recorded and produced an album"), and the first would be cut short.
# A verb's object kinds besides an auxiliary's, less a particle or adverbial clause ("gave up", "left
# when ...").
_OWN_COMPLEMENTS = (_AUX_COMPLEMENTS | {"dative", "agent"}) - {"advcl", "prt"}


def _shared_subject(root, verb) -> str | None:
    """The words a predicate joined to the root borrows to be checked alone: "Anna met Bob and thanked
    him" -> "Anna"; "Lee was arrested in Oslo and charged" -> "Lee was". None when it cannot stand
    alone."""
    if root.doc.text.islower():
        return None  # lower-cased text: the parser takes names for verbs ("... and ibe with pipes")
    if not any(c.dep_ in _OWN_COMPLEMENTS and root.i < c.i < verb.i for c in root.children):
        return None
    subjects = [c for c in root.children if c.dep_ in {"nsubj", "nsubjpass"}]
    if len(subjects) != 1 or any(c.dep_ == "neg" for c in root.children):
        return None  # "Anna did not meet Bob and left": what the "not" covers is unclear
    subject = subjects[0]
    words = [subject.doc[subject.left_edge.i : subject.right_edge.i + 1].text]
    own_auxiliaries = any(c.dep_ in {"aux", "auxpass"} for c in verb.children)
    if verb.tag_ in {"VBN", "VB"} and not own_auxiliaries:  # "was arrested and charged": "was" too
        words += [c.text for c in root.children if c.dep_ in {"aux", "auxpass"} and c.i < root.i]
    return " ".join(words).strip(" ,")


def _clause_starts(doc) -> list[tuple[int, str]]:
    """Where each new clause begins (character offset within the sentence), with the subject it borrows
    ("" for a clause with a subject of its own)."""
    starts = {}
    for token in doc:
        if token.text == ";" and token.i + 1 < len(doc):
            starts[doc[token.i + 1].idx] = ""
        if token.dep_ != "conj" or token.pos_ not in {"VERB", "AUX"}:
            continue
        joined_to = _joined_to(token)
        if joined_to.dep_ != "ROOT":
            continue
        first = min(t.i for t in token.subtree)
        # A clause opened by "which"/"in which" leans on the previous one: not a claim of its own.
        if any(t.tag_ in {"WDT", "WP", "WP$", "WRB"} for t in doc[first : first + 2]):
            continue
        if _has_subject(token):
            elliptical = token.pos_ == "AUX" and not any(
                c.dep_ in _AUX_COMPLEMENTS and c.lower_ not in _ELLIPSIS_ADVERBS for c in token.children
            )
            if not elliptical:
                starts[_clause_start(doc, first)] = ""
        elif (
            token.pos_ == "VERB"
            and token.tag_ != "VBG"  # "found guilty of misconduct and perverting justice": a gerund
            and first > 0
            and doc[first - 1].lower_ in {"and", "but", "yet"}  # not a list, nor a verb the parser made up
            and (subject := _shared_subject(joined_to, token))
        ):
            starts[_clause_start(doc, first)] = subject
    return sorted(starts.items())


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


def _stands_alone(piece: str) -> bool:
    """Long enough, and not cut inside brackets or quotes ("It became (City of London) Battalion) and")."""
    return (
        len(piece.split()) >= MIN_CLAIM_WORDS
        and piece[:1].isalnum()
        and piece.count("(") == piece.count(")")
        and piece.count("“") == piece.count("”")
        and piece.count('"') % 2 == 0
    )


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
        starts = [(0, ""), *_clause_starts(doc)]
        cuts = [offset for offset, _ in starts] + [len(sentence.text)]
        pieces = [(*_trim(sentence.text, a, b), subject) for (a, subject), b in zip(starts, cuts[1:])]
        # Keep a split only if every piece is a claim on its own; else judge the sentence whole.
        if any(not _stands_alone(sentence.text[a:b]) for a, b, _ in pieces):
            pieces = [(0, len(sentence.text), "")]
        for start, end, subject in pieces:
            span = Span(sentence.span.start + start, sentence.span.start + end)
            claims.append(Claim(len(claims), summary[span.start : span.end], span, subject=subject))
    return claims
