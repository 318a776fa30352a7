"""Verification: a label and a calibrated probability of support for every claim, per source and overall.

For each claim and each source, the claim is compared with its retrieved evidence on signals that catch
what summaries get wrong: meaning (embedding cosine), wording (content words found near and anywhere in
the source), names absent from the source, numbers and dates that differ, a dropped or added negation,
a swapped actor (the evidence has the same action done by someone else), an opposite word ("rejected"
where the evidence says "approved"), and factaid's own claim checker (a cross-encoder trained on such
errors, eval/train_checker.py) reading the claim beside its best evidence. A logistic model whose
weights are fitted by ``python -m eval calibrate`` turns them into a probability; an optional NLI model
(any sequence-classification model) is averaged with it.

A claim is *supported* if some source supports it, *contradicted* if no source supports it and a
source says something incompatible about the same fact, and *unsupported* otherwise.
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
    "clause_similarity",  # ... or one clause of it (a short claim restating part of a long sentence)
    "window_coverage",  # share of the claim's content words found in the evidence sentences
    "source_coverage",  # share found anywhere in the source
    "missing_names",  # names in the claim that the source never mentions
    "number_mismatch",  # a number the evidence gives differently for the same thing
    "number_missing",  # a number the source never gives
    "date_mismatch",
    "date_missing",
    "negation_flip",  # the claim negates what the closest evidence affirms, or the reverse
    "subject_swap",  # the evidence has the same action done by someone else
    "object_swap",  # ... or done to something else (softer: "left the port" and "left the tracks")
    "opposite",  # the evidence says the opposite word of the same thing ("approved" for "rejected")
    "misplaced_name",  # a name the source gives, but not where it tells of the action the claim ties it to
    "place_mismatch",  # a named event or speaker's words put in a place the nearby evidence does not give
    "entailment",  # the claim checker's probability that the best evidence entails the claim
    "contradiction",  # ... and that it contradicts the claim
    # Signals added later come last, so that `python -m eval calibrate --compare` can set new caches
    # beside old ones.
    "untold_action",  # what someone is ready (wants, agrees) to do, where the evidence tells other things
    "moved_thing",  # a thing the source names, tied to an action the nearby evidence tells with others
)
# A source that gives the claim's fact with another number, date, actor, polarity or an opposite word
# ("rose" for "fell") contradicts it, and
# never counts as supporting it, whatever the other signals say: its probability is scaled down. (The
# claim checker does not overrule the parser-based negation and actor vetoes: it misreads some flipped
# negations that tests/test_verify.py checks.)
VETO_FEATURES = (
    "number_mismatch",
    "date_mismatch",
    "negation_flip",
    "subject_swap",
    "opposite",
    "misplaced_name",
)
# A date that the source never gives, in any sentence or in the page's date lines, is found nowhere: that
# source does not support the claim, though nothing in it contradicts the claim either. (Small LLMs invent
# dates; on the dev files this fires on 0-3% of faithful items, README "Evaluation".) So is a place the
# evidence does not give for a named event or a named speaker's words: "in Russia" and "in Vladivostok" may
# both be true, and factaid knows no geography, so a place is never a contradiction. So is an action the
# source never tells where it tells what the claim's someone is ready to do instead, and, last, a thing the
# source speaks of elsewhere put into an action that the nearby evidence tells with other things.
UNFOUND_FEATURES = ("date_missing", "place_mismatch", "untold_action", "moved_thing")
VETO_SCALE = 0.25  # also scales the probability of a claim with something unfound
CHECKER_DOUBTS = 0.5  # below this, the checker's doubt is among a verdict's reasons
# The checker contradicts a claim when it finds contradiction more probable than this and than entailment.
CONTRADICTS = 0.5
CHECKER_EVIDENCE_SENTENCES = 3  # the checker reads retrieval's best three sentences, in document order
# Cosine above which an evidence sentence is about the claim's fact, so a negated verb or another actor
# in it is a contradiction rather than a different statement.
RELATED = 0.6
NEARBY = 0.5


@dataclass(frozen=True)
class Calibration:
    weights: dict[str, float]
    bias: float
    threshold: float  # claim supported when its probability reaches this
    summary_threshold: float  # summary consistent when the mean of its claims' probabilities reaches this
    provenance: dict = field(default_factory=dict)

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(self.weights.get(name, 0.0) * value for name, value in features.items())
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
    letters: str
    lower_case_words: set[str]

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
            F.letters(source.text),
            F.lower_case_words(source.text),
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


def _overlaps(words: set[str], other: set[str]) -> bool:
    return any(F.same_word(a, b) for a in words for b in other)


def _swaps(
    claim_roles: dict[str, set[str]],
    claim: F.Facts,
    window: list[F.Facts],
    field_name: str,
    view: SourceView,
    reasons: list[str],
) -> int:
    """Verbs the evidence uses with a different subject (``field_name`` "roles") or object ("objects")
    than the claim's ``claim_roles``."""
    role = "does" if field_name == "roles" else "is the target of"
    swaps = 0
    for verb, words in claim_roles.items():
        others = [(f, getattr(f, field_name)[verb]) for f in window if verb in getattr(f, field_name)]
        if others and not any(_overlaps(words, other) for _, other in others):
            swaps += 1
            theirs = _named(*others[0])
            reasons.append(f"in {view.source.id}, {theirs} {role} '{verb}', not {_named(claim, words)}")
    return swaps


def _same_action(claim: F.Facts, evidence: F.Facts) -> bool:
    """Whether the evidence tells of a verb of the claim done to the same target (head words)."""
    return any(
        F.same_word(target, theirs)
        for verb, pairs in claim.actions.items()
        for _, target in pairs
        for _, theirs in evidence.actions.get(verb, ())
    )


def _done_unnamed(verb: str, window: list[F.Facts], aligned: list[float], nearby: list[F.Facts]) -> bool:
    """Whether the nearby evidence closest to the claim that uses ``verb`` gives it an actor it does not
    name ("We really want to create a coalition," Putin said): a name that does it elsewhere ("Moscow
    wants the coalition to coordinate") is then no rival of the claim's actor. Unless the description
    names the same party as a named doer of the verb in the ``nearby`` evidence: "his Syrian counterpart
    is ready to hold elections" beside "Syria's Bashar al-Assad is ready to hold snap parliamentary
    elections"."""
    using = [
        i
        for i, f in enumerate(window)
        if aligned[i] >= NEARBY and (verb in f.roles or verb in f.unnamed_actors)
    ]
    if not using:
        return False
    closest = window[max(using, key=lambda i: aligned[i])]
    if verb not in closest.unnamed_actors:
        return False
    named_doers = set().union(*(f.roles.get(verb, set()) for f in nearby))
    return not _overlaps(closest.unnamed_actors[verb], named_doers)


def _reversals(claim: F.Facts, related: list[F.Facts], view: SourceView, reasons: list[str]) -> int:
    """Actions the related evidence tells the other way round: "the protesters arrested the police"
    against "the police arrested the protesters" (a role swap of any actors, named or not)."""
    reversals = 0
    for verb, pairs in claim.actions.items():
        theirs = set().union(*(facts.actions.get(verb, set()) for facts in related))
        for doer, target in pairs:
            turned = any(F.same_word(doer, t) and F.same_word(target, d) for d, t in theirs)
            if turned and not any(F.same_word(doer, d) for d, _ in theirs):
                reversals += 1
                reasons.append(f"in {view.source.id}, the {target} '{verb}' the {doer}, not the reverse")
    return reversals


def _moved_doers(claim: F.Facts, nearby: list[F.Facts], view: SourceView, reasons: list[str]) -> int:
    """Actions the nearby evidence has someone named do to the same target, where the claim's doer (a
    thing, not a name) is what another verb of that sentence is done to or with: "the opposition is ready
    to hold snap parliamentary elections" against "Assad is ready to hold snap parliamentary elections and
    allow a 'healthy' opposition to share power"."""
    moved = 0
    for verb, pairs in claim.actions.items():
        for doer, target in pairs:
            theirs = [
                (facts, their_doer)
                for facts in nearby
                for their_doer, their_target in facts.actions.get(verb, ())
                if F.same_word(target, their_target)
            ]
            # A named doer of the claim is compared by _swaps.
            if _overlaps({doer}, claim.roles.get(verb, set())) or any(
                F.same_word(doer, their_doer) for _, their_doer in theirs
            ):
                continue
            # Only a named doer is a rival: a described one may be the claim's in other words, and run-on
            # captions ("Scroll down for video The monkey has ...") hand verbs odd subjects.
            for facts, their_doer in theirs:
                if not _overlaps({their_doer}, facts.roles.get(verb, set())):
                    continue
                # What another verb is done to or with: a doer of another verb may well share in this one
                # ("Assad is ready to ... allow a 'healthy' opposition to share power": Assad shares it).
                others = {t for v, ps in facts.actions.items() if v != verb for _, t in ps}
                others |= {p.word for v, ps in facts.parties.items() if v != verb for p in ps}
                if any(F.same_word(doer, w) for w in others):
                    moved += 1
                    reasons.append(
                        f"in {view.source.id}, '{verb}' ({target}) is done by {their_doer}, not the {doer}"
                    )
                    break
    return moved


def _misplaced(
    claim: F.Facts, window: list[F.Facts], aligned: list[float], view: SourceView, reasons: list[str]
) -> int:
    """Names the claim ties to an action that the nearby evidence tells without them: "Assad is ready to
    share power with the Islamic State" against "... could share power with a 'healthy' opposition",
    in a source that names the Islamic State elsewhere (a name it never gives is missing_names)."""
    misplaced = 0
    for verb, parties in claim.partners.items():
        telling = [f for f, similarity in zip(window, aligned) if similarity >= NEARBY and verb in f.verbs]
        # "Lecque could have chosen to attend there": the name may be what the pronoun stands for.
        if not telling or any(verb in f.unnamed_party_verbs for f in telling):
            continue
        told = set().union(*(f.terms for f in telling))
        for party in parties:
            names = [name for name in party if F.name_in(name, view.words)]
            # One word of a name is enough: a sentence may shorten it ("Derby" for "Derby County"), name
            # the country of a people ("Jordan" for "Jordanians"), or give one of a party's conjuncts.
            words = {w.removesuffix("s") if len(w) > 4 else w for name in names for w in name.split()}
            if names and not any(F.name_in(word, told) for word in words):
                misplaced += 1
                reasons.append(f"{view.source.id} tells of '{verb}' without {' or '.join(map(repr, names))}")
    return misplaced


def _moved_things(
    claim: F.Facts, window: list[F.Facts], aligned: list[float], view: SourceView, reasons: list[str]
) -> int:
    """Common nouns the claim ties to an action that the nearby evidence tells with other things, where
    the source has the noun elsewhere: "Assad could share power with the rebels" against "... could share
    power with 'healthy' opposition", in articles that speak of rebel groups elsewhere (see _misplaced
    for names)."""
    moved = 0
    for verb, parties in claim.parties.items():
        using = [i for i, f in enumerate(window) if verb in f.parties]
        if not any(aligned[i] >= NEARBY and verb not in window[i].unnamed_party_verbs for i in using):
            continue
        # Anywhere in a sentence that tells of the action: the parse may hang a party on another word.
        told = set().union(*(window[i].lemmas for i in using))
        for party in parties:
            # A common noun the source writes in lower case ("rebel groups"), not a name a lower-cased
            # summary writes so ("wasps" for "Wasps"); nothing of its phrase in the telling sentences:
            # "400 students" may be told as "400 freshmen".
            written = {party.word, party.head} & view.lower_case_words
            elsewhere = party.head in view.lemmas and bool(written)
            if party.common and elsewhere and not party.lemmas & told:
                moved += 1
                reasons.append(f"{view.source.id} tells of '{verb}' with other things than '{party.head}'")
    return moved


def _place_mismatches(
    claim: F.Facts, window: list[F.Facts], aligned: list[float], view: SourceView, reasons: list[str]
) -> int:
    """A named event put in another place than nearby evidence puts it: "the Eastern Economic Forum in
    Moscow" against "... in Vladivostok"."""
    misplaced = 0
    nearby = [f for f, similarity in zip(window, aligned) if similarity >= NEARBY]
    for thing, where in claim.places.items():
        theirs = set().union(*(f.places.get(thing, set()) for f in nearby))
        their_words = {word for place in theirs for word in place.split()}
        if theirs and not any(F.name_in(place, their_words) for place in where):
            misplaced += 1
            given, claimed = " or ".join(sorted(theirs)), ", ".join(sorted(where))
            reasons.append(f"{view.source.id} puts {thing!r} in {given}, not {claimed}")
    return misplaced


def _untold_actions(claim: F.Facts, nearby: list[F.Facts], view: SourceView, reasons: list[str]) -> int:
    """What the claim says someone is ready (wants, agrees, plans) to do, where the nearby evidence says
    the same of them with other actions and the source never uses the claim's verb: "Assad is ready to
    step down" against "Assad is ready to hold snap elections". Factaid knows no synonyms, so a verb
    whose object the nearby evidence names is taken for a paraphrase ("ready to organise elections",
    "ready to allow a healthy opposition to share power" against "could share power with healthy
    opposition")."""
    untold = 0
    nearby_lemmas = set().union(*(f.lemmas for f in nearby))
    for lead, actions in claim.led_actions.items():
        for action in actions:
            theirs = [
                (other.verb, subject)
                for f in nearby
                for other in f.led_actions.get(lead, ())
                for subject in action.subjects
                if any(F.same_word(subject, s) for s in other.subjects)
            ]
            told = {verb for verb, _ in theirs}
            if not told or action.verb in told | view.lemmas or action.objects & nearby_lemmas:
                continue
            untold += 1
            reasons.append(
                f"in {view.source.id}, {theirs[0][1]} is '{lead}' to {' or '.join(sorted(told))}, "
                f"never to '{action.verb}'"
            )
    return untold


def _named(facts: F.Facts, words: set[str]) -> str:
    """The entities these words name, as written ("vladimir putin", "moscow and islamic state"), for a
    reason; the words themselves when they name none."""
    names = [n for n in dict.fromkeys(facts.names) if F.name_in(n, words)]
    # "putin" is part of "vladimir putin": say it once.
    names = [n for n in names if not any(n != m and F.name_in(n, set(m.split())) for m in names)]
    return " and ".join(names) or " ".join(sorted(words))


def _speaker_swap(
    claim: F.Facts, window: list[F.Facts], similarities: list[float], view: SourceView, reasons: list[str]
) -> int:
    """Words put in another's mouth: "Obama said Assad is ready" against "Putin said Assad is ready".
    Only the evidence sentence closest to the claim is compared, since sources quote many people."""
    if not claim.speakers or not window:
        return 0
    closest = max(range(len(window)), key=lambda i: similarities[i])
    theirs = window[closest].speakers
    if similarities[closest] < RELATED or not theirs:
        return 0
    if any(F.same_word(said, speaker) for said in claim.speakers for speaker in theirs):
        return 0
    reasons.append(
        f"in {view.source.id}, {_named(window[closest], theirs)} says it, not {_named(claim, claim.speakers)}"
    )
    return 1


def _flips(claim: F.Facts, related: list[F.Facts]) -> bool:
    """Whether the related sentences negate a verb the claim affirms, or affirm one the claim negates,
    and none uses it as the claim does (a source may say both "was seen" and "has not been seen since").
    An opposite word undoes the flip: "was innocent" says what "was not guilty" says."""
    if F.uses_opposite_word(claim, related):
        return False
    for verb, uses in claim.polarity.items():
        there = set().union(*(facts.polarity.get(verb, set()) for facts in related))
        if len(uses) == 1 and there and not uses & there:
            return True
    return False


def _opposes(
    claim: F.Facts, related: list[F.Facts], window: list[F.Facts], view: SourceView, reasons: list[str]
) -> int:
    """Claim words whose opposite the evidence says of the same thing (see facts.opposed)."""
    pairs = F.opposed(claim, related, farther=window)
    reasons += [
        f"{view.source.id} says '{theirs.lemma}' where the claim says '{said.lemma}'"
        for said, theirs in pairs
    ]
    return len(pairs)


def _denies(claim: F.Facts, window: list[F.Facts], similarities: list[float]) -> bool:
    """Whether related evidence negates a phrase the claim asserts ("not from the regime of Assad")."""
    if claim.negated:
        return False
    for facts, similarity in zip(window, similarities):
        if similarity < NEARBY:
            continue
        for phrase in facts.negated_phrases:
            shared = len(phrase & claim.lemmas)
            if shared >= min(2, len(phrase)) and 2 * shared >= len(phrase):
                return True
    return False


def vetoed(features: dict[str, float]) -> bool:
    return any(features.get(name, 0.0) > 0 for name in VETO_FEATURES) or checker_contradicts(features)


def checker_contradicts(features: dict[str, float]) -> bool:
    contradiction = features.get("contradiction", 0.0)
    return contradiction >= CONTRADICTS and contradiction > features.get("entailment", 0.0)


def unfound(features: dict[str, float]) -> bool:
    return any(features.get(name, 0.0) > 0 for name in UNFOUND_FEATURES)


def support_scale(features: dict[str, float]) -> float:
    """What the calibrated probability is multiplied by: less than 1 when a conflicting fact vetoes
    support or something of the claim is found nowhere in the source (UNFOUND_FEATURES)."""
    return VETO_SCALE if vetoed(features) or unfound(features) else 1.0


def support_probability(calibration: Calibration, features: dict[str, float]) -> float:
    return calibration.probability(features) * support_scale(features)


@dataclass(frozen=True)
class ClauseMatch:
    """The claim's cosine to the evidence clause that holds most of its words, and which sentence of the
    evidence window holds that clause."""

    cosine: float
    sentence: int


def claim_features(
    claim: F.Facts,
    similarities: list[float],
    clause: ClauseMatch | None,
    window: list[F.Facts],
    view: SourceView,
    checker: tuple[float, float],
) -> tuple[dict[str, float], list[str]]:
    """Signals of one claim against one source's evidence window, with human-readable reasons.
    ``similarities`` are the claim's cosines to the window's sentences, ``clause`` its best match
    among their clauses."""
    reasons: list[str] = []
    missing_names = [n for n in claim.names if not F.name_in(n, view.words)]
    reasons += [f"{view.source.id} never mentions {n!r}" for n in missing_names]
    unseen = sorted(claim.lemmas - view.lemmas - {w for n in missing_names for w in n.split()})
    if unseen:
        reasons.append(f"{view.source.id} has no word for: {', '.join(unseen)}")
    number_mismatch, number_missing = _numbers(claim, window, view, reasons)
    date_mismatch, date_missing = _dates(claim, window, view, reasons)
    # A sentence is as close to the claim as its closest clause: a long sentence that restates the
    # claim in one clause ("..., adding he had spoken to Obama") is far from it as a whole.
    aligned = list(similarities)
    if clause is not None:
        aligned[clause.sentence] = max(aligned[clause.sentence], clause.cosine)
    related = [f for f, similarity in zip(window, aligned) if similarity >= RELATED]
    # The same verb with named actors is alignment enough: a looser bar than for negation. So is the
    # same verb done to the same target, however far the meanings: another name pulls "Peter Lind made
    # the gains" away from "gains made by Northern Shipping" (cosine 0.5).
    nearby = [f for f, similarity in zip(window, aligned) if similarity >= NEARBY or _same_action(claim, f)]
    # A claim the source states word for word is not contradicted by how the source's sentences parse:
    # in run-on sentences (captions glued to the text) a verb gets a subject or a "not" from another clause.
    verbatim = bool(claim.letters) and claim.letters in view.letters
    negation_flip = int(not verbatim and (_flips(claim, related) or _denies(claim, window, aligned)))
    if negation_flip:
        reasons.append(f"{view.source.id} says the opposite (negation differs)")
    subject_swap = object_swap = opposite = misplaced_name = place_mismatch = untold_action = moved_thing = 0
    if not verbatim:
        # A swap of named actors is often a reversal too: count the worse, not both.
        # In a lower-cased claim spaCy takes common nouns for names ("comedian took a swipe"): a word the
        # source writes in lower case is no name to swap.
        named_roles = {
            verb: named
            for verb, names in claim.roles.items()
            if (named := names - view.lower_case_words) and not _done_unnamed(verb, window, aligned, nearby)
        }
        subject_swap = max(
            _swaps(named_roles, claim, nearby, "roles", view, reasons),
            _reversals(claim, related, view, reasons),
            _moved_doers(claim, nearby, view, reasons),
        ) + _speaker_swap(claim, window, aligned, view, reasons)
        object_swap = _swaps(claim.objects, claim, related, "objects", view, reasons)
        opposite = _opposes(claim, related, window, view, reasons)
        misplaced_name = _misplaced(claim, window, aligned, view, reasons)
        place_mismatch = _place_mismatches(claim, window, aligned, view, reasons)
        untold_action = _untold_actions(claim, nearby, view, reasons)
        moved_thing = _moved_things(claim, window, aligned, view, reasons)
    entailment, contradiction = checker
    if contradiction >= CONTRADICTS and contradiction > entailment:
        reasons.append(
            f"the claim checker finds that {view.source.id}'s evidence contradicts it ({contradiction:.2f})"
        )
    elif entailment < CHECKER_DOUBTS:
        reasons.append(
            f"the claim checker finds no support in {view.source.id}'s evidence ({entailment:.2f})"
        )
    features = {
        "similarity": max(similarities, default=0.0),
        "clause_similarity": max(clause.cosine if clause else 0.0, *similarities),
        "window_coverage": _coverage(
            claim.lemmas, set().union(*(f.lemmas for f in window)) if window else set()
        ),
        "source_coverage": _coverage(claim.lemmas, view.lemmas),
        "missing_names": float(len(missing_names)),
        "number_mismatch": float(number_mismatch),
        "number_missing": float(number_missing),
        "date_mismatch": float(date_mismatch),
        "date_missing": float(date_missing),
        "negation_flip": float(negation_flip),
        "subject_swap": float(subject_swap),
        "object_swap": float(object_swap),
        "opposite": float(opposite),
        "misplaced_name": float(misplaced_name),
        "place_mismatch": float(place_mismatch),
        "untold_action": float(untold_action),
        "moved_thing": float(moved_thing),
        "entailment": entailment,
        "contradiction": contradiction,
    }
    return features, reasons


def _clause_in(clause: ClauseMatch | None, sentence: int) -> ClauseMatch | None:
    """The best clause match as seen from one window sentence alone (that sentence is then number 0)."""
    return ClauseMatch(clause.cosine, 0) if clause is not None and clause.sentence == sentence else None


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
        clause_matches = self._clause_matches(claim_facts, claim_vectors, candidates, views)
        checked = self._checker_scores(claims, candidates, views)
        supports = [
            [
                self._support(
                    f, v, found[view.source.id], view, checks[view.source.id], clauses[view.source.id]
                )
                for view in views
            ]
            for f, v, found, checks, clauses in zip(
                claim_facts, claim_vectors, candidates, checked, clause_matches
            )
        ]
        if self.nli is not None:
            self._add_nli(claims, supports)
        return [_decide(claim, support) for claim, support in zip(claims, supports)]

    def _checker_scores(
        self, claims: list[Claim], candidates: list[dict[str, list[Evidence]]], views: list[SourceView]
    ) -> list[dict[str, tuple[float, float]]]:
        """The checker's entailment and contradiction probabilities for every claim and source, in one
        batched call."""
        keys = [(i, view.source.id) for i in range(len(claims)) for view in views]
        premises = [checker_premise(candidates[i][source_id]) for i, source_id in keys]
        scores = self.checker.score(premises, [claims[i].statement for i, _ in keys])
        checked: list[dict[str, tuple[float, float]]] = [{} for _ in claims]
        for (i, source_id), probabilities in zip(keys, scores):
            checked[i][source_id] = probabilities
        return checked

    def _clause_matches(
        self,
        claim_facts: list[F.Facts],
        claim_vectors: np.ndarray,
        candidates: list[dict[str, list[Evidence]]],
        views: list[SourceView],
    ) -> list[dict[str, ClauseMatch | None]]:
        """Every claim's match with the best clause of its evidence in each source (None without one),
        with the clauses embedded in one batched call."""
        keys, texts = [], []
        for i, (facts, found) in enumerate(zip(claim_facts, candidates)):
            for view in views:
                clause = best_clause(facts, [view.facts[e.sentence_index] for e in found[view.source.id]])
                if clause is not None:
                    keys.append((i, view.source.id, clause[0]))
                    texts.append(clause[1])
        matches: list[dict[str, ClauseMatch | None]] = [
            {view.source.id: None for view in views} for _ in claim_facts
        ]
        for (i, source_id, sentence), vector in zip(keys, self.embedder.encode(texts)):
            matches[i][source_id] = ClauseMatch(float(vector @ claim_vectors[i]), sentence)
        return matches

    def _support(
        self,
        facts: F.Facts,
        vector: np.ndarray,
        evidence: list[Evidence],
        view: SourceView,
        checker: tuple[float, float],
        clause: ClauseMatch | None,
    ) -> SourceSupport:
        vectors = self.embedder.encode([e.text for e in evidence])
        similarities = [float(s) for s in vectors @ vector]
        window = [view.facts[e.sentence_index] for e in evidence]
        features, reasons = claim_features(facts, similarities, clause, window, view, checker)
        score = support_probability(self.calibration, features)
        label = label_of(score, self.threshold, features)
        signals = {name: round(value, 4) for name, value in features.items()}
        support = SourceSupport(view.source.id, label, round(score, 4), evidence, reasons, signals)
        if label == "contradicted":
            # Where the conflict is, for the reader: each evidence sentence that, read as the only
            # evidence, still vetoes support.
            def vetoes_alone(i: int) -> bool:
                own_clause = _clause_in(clause, i)
                alone, _ = claim_features(facts, [similarities[i]], own_clause, [window[i]], view, checker)
                return vetoed(alone)

            support.conflicting = [item.sentence_index for i, item in enumerate(evidence) if vetoes_alone(i)]
        return support

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


def best_clause(claim: F.Facts, window: list[F.Facts]) -> tuple[int, str] | None:
    """The evidence clause that holds most of the claim's words (the shorter one on a tie), and the
    window sentence it is from: the part of a sentence that a claim giving only part of it restates. One
    clause per claim and source: embedding every clause of every evidence sentence made the verifier far
    slower."""
    shared = [
        (len(claim.lemmas & c.lemmas), -len(c.lemmas), c.text, -i)
        for i, f in enumerate(window)
        for c in f.clauses
    ]
    best = max(shared, default=None)
    return (-best[3], best[2]) if best is not None and best[0] > 0 else None


def checker_premise(evidence: list[Evidence]) -> str:
    """The best evidence sentences in document order, as the checker was trained to read them."""
    best = sorted(evidence[:CHECKER_EVIDENCE_SENTENCES], key=lambda e: e.sentence_index)
    return " ".join(e.text for e in best)


def label_of(score: float, threshold: float, features: dict[str, float]) -> Label:
    if vetoed(features):
        return "contradicted"
    return "supported" if score >= threshold and not unfound(features) else "unsupported"


def _decide(claim: Claim, support: list[SourceSupport]) -> Claim:
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
