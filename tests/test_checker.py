"""The claim checker: how it is trained (data split, loss, resumable runs) and what the shipped one reads."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from eval import train_checker
from factaid import models, verify

NLI = Path(__file__).resolve().parents[2] / "shared" / "data" / "nli"
MOSCOW_TIMES = Path(__file__).resolve().parents[2] / "shared" / "examples" / "putin_assad_moscowtimes.txt"


# ----------------------------------------------------------------------------- training


def test_two_class_negatives_train_neutral_and_contradiction_together() -> None:
    import torch

    logits = torch.tensor([[2.0, 0.5, -1.0], [2.0, 0.5, -1.0]])
    p = torch.softmax(logits, dim=-1)[0]
    three = train_checker.loss_of(logits[:1], torch.tensor([2]))
    two = train_checker.loss_of(logits[1:], torch.tensor([train_checker.NOT_ENTAILED]))
    assert float(three) == pytest.approx(-math.log(p[2]), rel=1e-5)
    assert float(two) == pytest.approx(-math.log(p[1] + p[2]), rel=1e-5)
    both = train_checker.loss_of(logits, torch.tensor([2, train_checker.NOT_ENTAILED]))
    assert float(both) == pytest.approx((float(three) + float(two)) / 2, rel=1e-5)


def test_held_out_rows_share_no_premise_with_training_rows() -> None:
    train, held_out = train_checker.training_data(NLI, seed=0)
    assert set(held_out) == set(train_checker.TRAIN)
    trained = {p.premise.strip().lower() for p in train}
    for name, rows in held_out.items():
        assert rows, name
        assert not {p.premise.strip().lower() for p in rows} & trained, name
    # Caps keep one kind of text from crowding out the rest.
    counts = {name: sum(p.dataset == name for p in train) for name in train_checker.TRAIN}
    for name, (cap, _) in train_checker.TRAIN.items():
        assert counts[name] > 0 and (cap is None or counts[name] <= cap)


def test_no_set_is_both_trained_on_and_only_evaluated() -> None:
    assert not set(train_checker.TRAIN) & set(train_checker.EVALUATION)
    for _, licence in train_checker.TRAIN.values():
        assert "NC" not in licence and "no licence" not in licence


def test_batches_cover_every_pair_once_in_a_seeded_order() -> None:
    pairs = [train_checker.Pair("p" * (i % 7), "c", 0, "x") for i in range(100)]
    plan = train_checker.batches(pairs, 8, seed=3)
    assert sorted(i for batch in plan for i in batch) == list(range(100))
    assert plan == train_checker.batches(pairs, 8, seed=3)
    assert plan != train_checker.batches(pairs, 8, seed=4)


def test_a_distractor_sentence_keeps_the_pair_and_adds_another_premise() -> None:
    import random

    pair = train_checker.Pair("The mayor opened the bridge.", "The bridge opened.", 0, "x")
    other = train_checker.Pair("It rained all week. The river rose.", "Rain fell.", 1, "y")
    added = train_checker._with_distractor(pair, other, random.Random(0))
    assert pair.premise in added.premise and added.premise != pair.premise
    assert (added.claim, added.label, added.dataset) == (pair.claim, pair.label, pair.dataset)
    assert added.premise.replace(pair.premise, "").strip() in other.premise


def _trained_weights(folder: Path, *extra: str) -> dict:
    """The trained weights in a run folder's checkpoint after a tiny run (24 pairs, 3 steps)."""
    import torch

    argv = ["--nli", str(NLI), "--limit", "24", "--batch-size", "8", "--checkpoint-every", "1"]
    argv += ["--measured-rows", "4"]
    assert train_checker.main([*argv, "--out", str(folder), *extra]) == 0
    return torch.load(folder / "checkpoint.pt", weights_only=True)["model"]


@pytest.mark.parametrize("precision", [[], ["--bfloat16"]], ids=["float32", "bfloat16-autocast"])
def test_a_run_stopped_and_resumed_ends_where_an_unbroken_run_ends(tmp_path, precision) -> None:
    unbroken = _trained_weights(tmp_path / "unbroken", *precision)
    stopped = _trained_weights(tmp_path / "broken", "--max-steps", "1", *precision)
    resumed = _trained_weights(tmp_path / "broken", *precision)
    assert any((stopped[k] - unbroken[k]).abs().max() > 0 for k in unbroken)  # it did stop early
    for name, tensor in unbroken.items():
        assert (resumed[name] - tensor).abs().max() < 1e-5, name
    with pytest.raises(SystemExit):  # a folder holds one run: other settings are refused
        train_checker.main(["--nli", str(NLI), "--limit", "16", "--out", str(tmp_path / "broken")])


def test_a_lora_run_on_the_larger_base_resumes_where_an_unbroken_run_ends(tmp_path) -> None:
    lora = ["--base", "mpnet", "--lora-rank", "4", "--learning-rate", "1e-3", "--bfloat16"]
    unbroken = _trained_weights(tmp_path / "unbroken", *lora)
    assert all("lora_" in k or "classifier" in k for k in unbroken)  # only adapters and the head train
    stopped = _trained_weights(tmp_path / "broken", "--max-steps", "1", *lora)
    resumed = _trained_weights(tmp_path / "broken", *lora)
    assert any((stopped[k] - unbroken[k]).abs().max() > 0 for k in unbroken)
    for name, tensor in unbroken.items():
        assert (resumed[name] - tensor).abs().max() < 1e-5, name


def test_a_saved_lora_checker_loads_with_its_adapters_added_into_the_base(tmp_path) -> None:
    import torch

    tokenizer, model = models.new_checker("mpnet", lora_rank=4)
    with torch.no_grad():  # adapters as training leaves them: no longer zero
        for parameter in (p for p in model.parameters() if p.requires_grad):
            parameter.add_(torch.randn_like(parameter) * 0.05)
    model.eval()
    pairs = [
        train_checker.Pair("The council approved the budget on Monday.", "The budget was approved.", 0, "x"),
        train_checker.Pair("It rained in Lyon all week.", "The sun shone in Lyon.", 2, "x"),
    ]
    before = train_checker.probabilities(tokenizer, model, pairs)
    models.save_checker(model, tmp_path, {"base_model": "mpnet", "adapter": {"rank": 4, "alpha": 8}})
    assert (tmp_path / "model.safetensors").stat().st_size < 5e6  # adapters and head, not the base
    loaded_tokenizer, loaded, _ = models.load_checker(tmp_path)
    assert not hasattr(loaded, "peft_config")  # plain transformers at run time
    after = train_checker.probabilities(loaded_tokenizer, loaded, pairs)
    assert abs(before - after).max() < 0.02  # float16 adapters, bfloat16 arithmetic
    assert abs(before[0] - before[1]).max() > 0.01  # the pairs themselves differ


def test_a_missing_or_corrupt_base_ends_in_one_line_naming_the_download_command(
    tmp_path, monkeypatch
) -> None:
    from factaid.errors import ModelLoadError

    monkeypatch.setenv("FACTAID_CACHE", str(tmp_path))
    monkeypatch.setattr(models, "MPNET_SHA256", "0" * 64)
    with pytest.raises(ModelLoadError, match="sha256.*run: factaid download-models$"):
        models.base_folder("mpnet")
    assert not (tmp_path / models.MPNET).exists()  # nothing half-made is left to be trusted later
    monkeypatch.setattr(models, "_mpnet_packages", lambda: ["no-such-base-part-for-factaid"])
    with pytest.raises(ModelLoadError, match="not installed .*run: factaid download-models$"):
        models.base_folder("mpnet")


def test_hard_negatives_change_one_thing_of_a_real_premise_sentence() -> None:
    from eval import hard_negatives

    rows = train_checker.read_set(NLI, "docnli_fever_binary")[:600]
    rows += train_checker.read_set(NLI, "factcc_synthetic_cnndm_sample1k")[:400]
    edits = hard_negatives.edits_of([p.premise for p in rows], per_kind=8, seed=0)
    kinds = {e.kind for e in edits}
    assert {"entity", "roles", "speaker", "negation", "overstatement", "copy"} <= kinds, kinds
    for edit in edits:
        assert edit.claim.lower() not in edit.premise.lower() or edit.kind == "copy", edit
        if edit.kind == "copy":
            assert edit.claim in edit.premise and edit.label == hard_negatives.ENTAILMENT
        elif edit.kind == "negation":
            assert edit.label == hard_negatives.CONTRADICTION
        else:
            assert edit.label == hard_negatives.NOT_ENTAILED
        if edit.kind == "overstatement":
            assert re.search(r"\b(all|All|unanimously|for the first time)\b", edit.claim), edit
    # An entity swap keeps the sentence's words but for one name, which comes from the same premise.
    swap = next(e for e in edits if e.kind == "entity")
    original = next(s for s in re.split(r"(?<=[.!?])\s+", swap.premise) if _close(s, swap.claim))
    assert original != swap.claim


def _close(sentence: str, claim: str) -> bool:
    words, claimed = set(sentence.split()), set(claim.split())
    return len(words & claimed) >= 0.6 * len(claimed)


# ----------------------------------------------------------------------------- the shipped checker


@pytest.fixture(scope="module")
def checker() -> verify.NLIScorer:
    return verify.NLIScorer(models.get_checker())


def test_shipped_checker_is_small_and_has_a_data_card() -> None:
    weights = models.CHECKER_DIR / "model.safetensors"
    assert weights.stat().st_size < 50e6
    card = json.loads((models.CHECKER_DIR / "checker.json").read_text(encoding="utf-8"))
    assert card["command"].startswith("python -m eval train-checker")
    assert card["labels"] == list(models.CHECKER_LABELS)
    assert set(card["training_sets"]) == set(train_checker.TRAIN)
    assert all("NC" not in s["licence"] for s in card["training_sets"].values())
    held_out = card["accuracy"]["held_out"]
    assert held_out["mnli_3class_devm_taxinli"] > 0.6  # three classes: chance is a third


def _evidence(*starts: str) -> str:
    """Sentences of the Moscow Times article (real news text) that begin with ``starts``."""
    from factaid import ingest
    from factaid.sentences import split_sentences

    sentences = split_sentences(ingest.load(str(MOSCOW_TIMES), source_id="S1").text)
    found = [next(s.text for s in sentences if s.text.startswith(start)) for start in starts]
    return " ".join(found)


def test_checker_reads_a_paraphrase_a_negation_in_other_words_and_an_added_detail(checker) -> None:
    evidence = _evidence("Russian President Vladimir Putin on Friday", "Putin's comments are")
    paraphrase, negation, added = checker.probabilities(
        [evidence] * 3,
        [
            "Putin said that Syria's president is prepared to hold snap elections for parliament.",
            "Putin said Assad refuses to hold snap parliamentary elections.",
            "Putin said Assad is ready to hold snap parliamentary elections in December.",
        ],
    )
    assert max(paraphrase, key=paraphrase.get) == "entailment", paraphrase
    assert max(negation, key=negation.get) == "contradiction", negation
    assert added["entailment"] < 0.5 and added["entailment"] < paraphrase["entailment"], added


@pytest.mark.xfail(strict=True, reason="a known gap: looser paraphrases read as neutral (README, Known gaps)")
def test_checker_reads_a_looser_paraphrase_as_entailed(checker) -> None:
    evidence = _evidence("Russian President Vladimir Putin on Friday", "Putin's comments are")
    [found] = checker.probabilities(
        [evidence], ["Putin said the Syrian leader was willing to call early elections for parliament."]
    )
    assert max(found, key=found.get) == "entailment", found


def test_checker_is_loaded_once_per_process() -> None:
    assert models.get_checker() is models.get_checker()


def test_batched_scores_come_back_in_input_order(checker) -> None:
    # The scorer sorts pairs by length to batch them; each result must still land at its own pair.
    long_evidence = _evidence("Russian President Vladimir Putin on Friday", "Moscow has made clear")
    premises = [long_evidence, "The council rejected a cheaper plan.", long_evidence[:200]]
    claims = ["Moscow wants Assad to stay.", "The council rejected a cheaper plan.", "The wall is tall."]
    batched = checker.score(premises, claims)
    one_by_one = [checker.score([p], [c])[0] for p, c in zip(premises, claims)]
    flat = [p for pair in batched for p in pair]
    # Within bfloat16's rounding, which moves with the padded length of a batch; far tighter than the
    # differences between the three pairs' scores, so a result at another pair's place would fail.
    assert flat == pytest.approx([p for pair in one_by_one for p in pair], abs=5e-3)


@pytest.mark.xfail(
    strict=True,
    reason="a known gap: no training pair had a claim identical to its evidence, so the checker reads a "
    "verbatim copy as neutral (the verifier's similarity and coverage still support it)",
)
def test_a_verbatim_claim_is_entailed(checker) -> None:
    [found] = checker.probabilities(
        ["The council rejected a cheaper plan."], ["The council rejected a cheaper plan."]
    )
    assert max(found, key=found.get) == "entailment", found
