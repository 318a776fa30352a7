"""The claim checker: its synthetic training errors, its training pairs, and the shipped model's verdicts."""

from __future__ import annotations

import json
import random

import pytest

from eval import synthetic
from eval.train_checker import Pair, pairs_of_document
from factaid import models, verify
from factaid.sentences import split_sentences

POOL = {"PERSON": ["Maria Lindqvist"], "GPE": ["Portugal"], "DATE": ["last winter"]}
REPORT = (
    "The harbour council approved the new sea wall on Tuesday after a long debate. "
    "Mayor Jonas Berg said the wall would cost 42 million euros and take three years to build. "
    "Fishermen in Brenmoor had asked for the wall since the storm of 2019 flooded the old quay. "
    "The council rejected a cheaper plan from the regional government. "
    "Work is due to start in March, when the dredgers arrive from Rotterdam."
)


@pytest.fixture(scope="module")
def parse(nlp):
    return lambda text: nlp(text)


def test_negation_is_added_and_removed(parse) -> None:
    rng = random.Random(0)
    added = synthetic.flip_negation(parse("The harbour council approved the new sea wall."), POOL, rng)
    assert added == "The harbour council did not approve the new sea wall."
    removed = synthetic.flip_negation(parse("The council did not approve the plan."), POOL, rng)
    assert removed == "The council did approve the plan."
    modal = synthetic.flip_negation(parse("The wall will protect the quay."), POOL, rng)
    assert modal == "The wall will not protect the quay."


def test_names_numbers_and_dates_change_to_something_else(parse) -> None:
    rng = random.Random(0)
    sentence = parse("Mayor Jonas Berg said the wall would cost 42 million euros.")
    swapped = synthetic.swap_name(sentence, POOL, rng)
    assert swapped == "Mayor Maria Lindqvist said the wall would cost 42 million euros."
    changed = synthetic.change_number(sentence, POOL, rng)
    assert changed is not None and "42 million" not in changed and "million euros" in changed
    moved = synthetic.change_date(parse("The storm of 2019 flooded the old quay."), POOL, rng)
    assert moved is not None and "2019" not in moved and moved.startswith("The storm of 20")
    assert synthetic.change_date(parse("The wall is long."), {}, rng) is None


def test_roles_swap_keeps_sentence_case(parse) -> None:
    swapped = synthetic.swap_roles(parse("The council rejected the regional plan."), POOL, random.Random(0))
    assert swapped == "The regional plan rejected the council."
    assert synthetic.swap_roles(parse("It rained."), POOL, random.Random(0)) is None


def test_shorter_statement_drops_a_trailing_modifier_only(parse) -> None:
    rng = random.Random(0)
    sentence = parse("The council approved the wall on Tuesday after a debate.")
    shorter = synthetic.shorter_statement(sentence, rng)
    assert shorter == "The council approved the wall on Tuesday."
    # A condition is part of what is claimed: never dropped.
    assert synthetic.shorter_statement(parse("Work will start if the dredgers arrive."), rng) is None


def test_training_pairs_are_balanced_and_their_evidence_is_the_documents_own(nlp) -> None:
    pairs = pairs_of_document(REPORT, POOL, random.Random(1))
    assert len(pairs) == 8  # four anchor sentences, one supported and one unsupported claim each
    assert sum(p.label for p in pairs) == 4
    for pair in pairs:
        assert isinstance(pair, Pair)
        assert all(s.text in REPORT for s in split_sentences(pair.premise))
        if pair.label == 1:
            assert pair.claim.rstrip(".") in pair.premise
        elif pair.kind == "absent":
            assert pair.claim not in pair.premise
        else:
            assert pair.claim not in REPORT


# ----------------------------------------------------------------------------- the shipped checker


@pytest.fixture(scope="module")
def checker() -> verify.NLIScorer:
    return verify.NLIScorer(models.get_checker())


def test_shipped_checker_is_small_and_says_how_it_was_made() -> None:
    weights = models.CHECKER_DIR / "model.safetensors"
    assert weights.stat().st_size < 50e6
    made = json.loads((models.CHECKER_DIR / "checker.json").read_text(encoding="utf-8"))
    assert made["command"].startswith("python -m eval train-checker")
    assert made["held_out_accuracy"]["all"] > 0.5


def test_checker_prefers_the_claim_its_evidence_states(checker) -> None:
    evidence = (
        "Mayor Jonas Berg said the wall would cost 42 million euros and take three years to build. "
        "The harbour council approved the new sea wall on Tuesday after a long debate."
    )
    claims = [
        "The harbour council approved the new sea wall.",
        "The harbour council did not approve the new sea wall.",
        "The wall would cost 97 million euros.",
        "The wall would cost 42 million euros.",
        "Mayor Anna Petrov said the wall would take three years to build.",
        "The government of Portugal will pay for the wall.",
    ]
    support = [s for s, _ in checker.score([evidence] * len(claims), claims)]
    assert support[0] > support[1]  # negation
    assert support[3] > support[2]  # changed number
    assert support[0] > support[4]  # a name the evidence never gives
    assert support[0] > support[5]  # a claim found nowhere
    assert all(0.0 <= s <= 1.0 for s in support)


def test_checker_is_loaded_once_per_process() -> None:
    assert models.get_checker() is models.get_checker()


def test_batched_scores_come_back_in_input_order(checker) -> None:
    # The scorer sorts pairs by length to batch them; each result must still land at its own pair.
    premises = [REPORT, "The council rejected a cheaper plan.", REPORT[:200]]
    claims = ["Work is due to start in March.", "The council rejected a cheaper plan.", "The wall is tall."]
    batched = [support for support, _ in checker.score(premises, claims)]
    one_by_one = [checker.score([p], [c])[0][0] for p, c in zip(premises, claims)]
    assert batched == pytest.approx(one_by_one, abs=1e-4)
    assert batched[1] > batched[2]  # a verbatim claim beats one its evidence never states
