"""Train factaid's claim checker: a 3-way cross-encoder made from the bundled MiniLM, on human-labelled NLI.

    python -m eval train-checker --nli ../shared/data/nli --write

The checker reads (evidence, claim) and gives the probabilities that the evidence entails the claim, says
nothing about it (neutral) or contradicts it. It is MiniLM's six layers with a fresh 3-way head, trained on
the sets of ``TRAIN`` (their licences allow shipping weights made from them: no non-commercial set, none
without a stated licence). Two-class rows (supported / not supported) train p(entailment) against
p(neutral) + p(contradiction). A quarter of the pairs get a sentence of another pair's premise added
before or after theirs, since the verifier hands the checker two or three retrieved sentences of which
often only one bears on the claim.

Every set keeps about 5% of its rows (by premise, so no premise is on both sides) out of training; the
checker's accuracy on them, and on the ``EVALUATION`` sets it never sees, is written to
factaid/checker/checker.json with the data, the command and the settings. Training checkpoints to
``--out`` every few hundred steps and resumes from there (``--max-minutes`` or ``--max-steps`` stop it
cleanly), so a run longer than one sitting goes on where it stopped, with the result of an unbroken one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from tqdm import tqdm

import factaid
from factaid import models

from .runner import seed_everything

CHECKER_DIR = Path(factaid.__file__).resolve().parent / "checker"
LABELS = models.CHECKER_LABELS  # entailment, neutral, contradiction
NOT_ENTAILED = -1  # a two-class "not supported": neutral or contradiction
HELD_OUT_PERCENT = 5
HELD_OUT_MAX = 400  # rows per set measured, so that evaluation stays a minute
DISTRACTOR_SHARE = 0.25

# Training sets: file stem -> (rows taken at most, licence as the set states it). Caps keep a large
# set of one kind (captions, templates) from crowding out the rest of the mix.
TRAIN: dict[str, tuple[int | None, str]] = {
    "mnli_3class_devm_taxinli": (None, "MultiNLI via HANS repo (MIT) and TaxiNLI (C-UDA 1.0)"),
    "docnli_mnli_binary": (None, "Salesforce BSD-3-Clause; MultiNLI text"),
    "snli_devtest_esnli": (8000, "e-SNLI MIT; SNLI CC BY-SA 4.0"),
    "cad_snli_counterfactual": (None, "Apache-2.0"),
    "docnli_fever_binary": (None, "Salesforce BSD-3-Clause; FEVER/Wikipedia CC BY-SA 3.0"),
    "sufficient_facts_fever_hover_vitaminc": (None, "Apache-2.0"),
    "fool_me_twice_devtest": (None, "Apache-2.0"),
    "fever_symmetric": (None, "MIT; Wikipedia CC BY-SA 3.0"),
    "factcc_synthetic_cnndm_sample1k": (None, "MIT; FactCC generator BSD-3-Clause"),
    "negation_nli_mnli_snli": (None, "MIT"),
    "negation_nli_rte_binary": (None, "MIT"),
    "hans_like_generated": (6000, "MIT"),
    "conjnli": (5000, "MIT"),
    "breaking_nli": (3000, "CC BY-SA 4.0"),
    "syntactic_aug_mnli_inversion_passive": (3000, "MIT"),
    "scone_negation": (2000, "CC0 1.0"),
}
# Measured, never trained on: non-commercial or unstated licences, and SummEdits, a benchmark.
EVALUATION: dict[str, str] = {
    "anli_dev_r1r2r3": "CC BY-NC 4.0",
    "rte_glue": "no licence stated",
    "mrpc_paraphrase": "no licence stated (MSR research licence)",
    "wikifactcheck_claim_vs_refuted": "no licence stated",
    "dae_cnndm_sentence_pairs": "no licence stated",
    "fnc1_news_stance": "no licence stated",
    "summedits_benchmark": "Apache-2.0 (a benchmark: evaluation only)",
    "nan_nli": "no licence stated",
    "healthver_devtest": "no licence stated",
}


@dataclass(frozen=True)
class Pair:
    premise: str
    claim: str
    label: int  # index into LABELS, or NOT_ENTAILED
    dataset: str


def _label(row: dict) -> int:
    label = row["label"]
    if label == "supported":
        return 0
    if label == "not_supported":
        return NOT_ENTAILED
    return LABELS.index(label)


def _held_out(premise: str) -> bool:
    digest = hashlib.blake2b(premise.strip().lower().encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % 100 < HELD_OUT_PERCENT


def read_set(folder: Path, stem: str) -> list[Pair]:
    pairs = []
    with open(folder / f"{stem}.jsonl", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            pairs.append(Pair(row["premise"], row["hypothesis"], _label(row), stem))
    return pairs


def training_data(folder: Path, seed: int) -> tuple[list[Pair], dict[str, list[Pair]]]:
    """The training pairs of every TRAIN set (at most its cap, drawn with ``seed``) and each set's
    held-out rows (at most HELD_OUT_MAX)."""
    rng = random.Random(seed)
    train, held_out = [], {}
    for stem, (cap, _) in TRAIN.items():
        rows = read_set(folder, stem)
        kept = [p for p in rows if not _held_out(p.premise)]
        rng.shuffle(kept)
        train += kept[:cap]
        out = [p for p in rows if _held_out(p.premise)]
        held_out[stem] = random.Random(seed).sample(out, min(HELD_OUT_MAX, len(out)))
    random.Random(seed).shuffle(train)
    return train, held_out


# Sets of natural sentences (news, Wikipedia, the genres of MultiNLI) whose training premises the hard
# negatives edit; captions and templates are left out.
EDITED_SETS = (
    "mnli_3class_devm_taxinli",
    "docnli_mnli_binary",
    "docnli_fever_binary",
    "sufficient_facts_fever_hover_vitaminc",
    "fool_me_twice_devtest",
    "fever_symmetric",
    "factcc_synthetic_cnndm_sample1k",
    "negation_nli_rte_binary",
    "conjnli",
)
HELD_OUT_EDITS = 200  # held-out edits measured per kind


def edited_pairs(premises: list[str], per_kind: int, seed: int) -> list[Pair]:
    """Hard negatives of every kind of eval/hard_negatives.py, and entailed copies, as pairs whose
    dataset names the kind ("edit_entity", ..., "edit_copy")."""
    from . import hard_negatives

    edits = hard_negatives.edits_of(premises, per_kind, seed)
    return [Pair(e.premise, e.claim, e.label, f"edit_{e.kind}") for e in edits]


def with_edits(train: list[Pair], per_kind: int, seed: int) -> list[Pair]:
    """The training pairs with ``per_kind`` edits of each kind made from their premises, shuffled in."""
    premises = [p.premise for p in train if p.dataset in EDITED_SETS]
    train = train + edited_pairs(premises, per_kind, seed)
    random.Random(seed).shuffle(train)
    return train


def held_out_edits(folder: Path, seed: int, per_kind: int = HELD_OUT_EDITS) -> dict[str, list[Pair]]:
    """Edits of each kind made from the held-out premises of the edited sets, for measuring only."""
    rows = [p for stem in EDITED_SETS for p in read_set(folder, stem) if _held_out(p.premise)]
    edits: dict[str, list[Pair]] = {}
    for pair in edited_pairs([p.premise for p in rows], per_kind, seed + 1):
        edits.setdefault(pair.dataset, []).append(pair)
    return edits


def evaluation_data(folder: Path, seed: int) -> dict[str, list[Pair]]:
    found = {}
    for stem in EVALUATION:
        if (folder / f"{stem}.jsonl").exists():
            rows = read_set(folder, stem)
            found[stem] = random.Random(seed).sample(rows, min(HELD_OUT_MAX, len(rows)))
    return found


def _with_distractor(pair: Pair, other: Pair, rng: random.Random) -> Pair:
    """The pair with one sentence of another premise before or after its own, as retrieval gives it."""
    from factaid.sentences import split_sentences

    sentences = [s.text for s in split_sentences(other.premise)] or [other.premise]
    extra = rng.choice(sentences)
    premise = f"{extra} {pair.premise}" if rng.random() < 0.5 else f"{pair.premise} {extra}"
    return Pair(premise, pair.claim, pair.label, pair.dataset)


def augmented(pairs: list[Pair], seed: int) -> list[Pair]:
    rng = random.Random(seed)
    return [
        _with_distractor(p, pairs[rng.randrange(len(pairs))], rng) if rng.random() < DISTRACTOR_SHARE else p
        for p in tqdm(pairs, desc="distractors", unit="pair", mininterval=2)
    ]


def batches(pairs: list[Pair], size: int, seed: int) -> list[list[int]]:
    """Batches of indices: pairs of similar length together (little padding), batches in random order."""
    rng = random.Random(seed)
    order = list(range(len(pairs)))
    rng.shuffle(order)
    chunk = size * 50
    result = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda i: len(pairs[i].premise) + len(pairs[i].claim))
        result += [part[i : i + size] for i in range(0, len(part), size)]
    rng.shuffle(result)
    return result


PAD_MULTIPLE = 32  # a few fixed batch lengths: under bfloat16 autocast each new length is compiled anew


def encode(tokenizer, pairs: list[Pair]):
    return tokenizer(
        [p.premise for p in pairs],
        [p.claim for p in pairs],
        truncation="longest_first",
        max_length=models.CHECKER_MAX_TOKENS,
        padding=True,
        pad_to_multiple_of=PAD_MULTIPLE,
        return_tensors="pt",
    )


def loss_of(logits, labels):
    """Cross-entropy over three labels; for two-class negatives, -log(p(neutral) + p(contradiction))."""
    import torch

    log_p = torch.log_softmax(logits.float(), dim=-1)
    three = labels >= 0
    per_pair = torch.empty_like(log_p[:, 0])
    per_pair[three] = -log_p[three].gather(1, labels[three].unsqueeze(1)).squeeze(1)
    per_pair[~three] = -torch.logsumexp(log_p[~three][:, 1:], dim=-1)
    return per_pair.mean()


def train(pairs: list[Pair], args: argparse.Namespace, run: Path, held_out: dict[str, list[Pair]]):
    """Train from the last checkpoint in ``run`` (if any); returns (tokenizer, model, finished, spent),
    spent being the run's seconds and CPU seconds over all its sittings. Every ``args.curve_every`` steps
    the held-out accuracy joins ``run``/curve.jsonl, with the pairs seen."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    tokenizer, model = models.new_checker(args.base, args.lora_rank)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=args.learning_rate, weight_decay=0.01)
    plan = [b for epoch in range(args.epochs) for b in batches(pairs, args.batch_size, args.seed + epoch)]
    schedule = get_linear_schedule_with_warmup(optimizer, int(0.06 * len(plan)), len(plan))
    step = 0
    spent = {"seconds": 0.0, "cpu_seconds": 0.0}  # over every sitting of the run
    checkpoint = run / "checkpoint.pt"
    if checkpoint.exists():
        state = torch.load(checkpoint, weights_only=True)
        model.load_state_dict(state["model"], strict=False)
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        step = state["step"]
        spent.update(state.get("spent", {}))
        torch.set_rng_state(state["torch_rng"])
        print(f"resuming at step {step} of {len(plan)}")

    def save() -> None:
        trained = {n: p.detach() for n, p in model.named_parameters() if p.requires_grad}
        state = {
            "model": trained,
            "optimizer": optimizer.state_dict(),
            "schedule": schedule.state_dict(),
            "step": step,
            "spent": {
                "seconds": spent["seconds"] + time.monotonic() - started,
                "cpu_seconds": spent["cpu_seconds"] + time.process_time() - cpu_started,
            },
            "torch_rng": torch.get_rng_state(),
        }
        torch.save(state, run / "checkpoint.tmp")
        (run / "checkpoint.tmp").replace(checkpoint)

    started, cpu_started, first_step = time.monotonic(), time.process_time(), step
    model.train()
    with tqdm(total=len(plan), initial=step, desc="training", unit="batch") as bar:
        while step < len(plan):
            batch = [pairs[i] for i in plan[step]]
            labels = torch.tensor([p.label for p in batch])
            # bfloat16 autocast: the matrix products in bfloat16, weights and optimizer state in float32.
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bfloat16):
                logits = model(**encode(tokenizer, batch)).logits
            loss = loss_of(logits, labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            bar.update()
            bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
            out_of_time = bool(args.max_minutes) and time.monotonic() - started > 60 * args.max_minutes
            out_of_time |= bool(args.max_steps) and step - first_step >= args.max_steps
            if step % args.checkpoint_every == 0 or step == len(plan) or out_of_time:
                save()
            if args.curve_every and step % args.curve_every == 0 and step < len(plan):
                model.eval()
                point = {"step": step, "pairs_seen": step * args.batch_size}
                point.update(measure(tokenizer, model, held_out, args))
                with open(run / "curve.jsonl", "a", encoding="utf-8") as curve:
                    curve.write(json.dumps(point) + "\n")
                model.train()
            if out_of_time:
                print(f"stopped at step {step} of {len(plan)}; rerun the same command to resume")
                break
    model.eval()
    totals = {
        "seconds": spent["seconds"] + time.monotonic() - started,
        "cpu_seconds": spent["cpu_seconds"] + time.process_time() - cpu_started,
    }
    return tokenizer, model, step == len(plan), totals


def probabilities(tokenizer, model, pairs: list[Pair], batch_size: int = 64) -> np.ndarray:
    """(entailment, neutral, contradiction) probabilities of every pair, in input order."""
    import torch

    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i].premise) + len(pairs[i].claim))
    result = np.zeros((len(pairs), 3), dtype=np.float32)
    # As the verifier runs it: in bfloat16 where the CPU multiplies it natively.
    with (
        torch.inference_mode(),
        torch.autocast("cpu", dtype=torch.bfloat16, enabled=models.native_bfloat16()),
    ):
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            logits = model(**encode(tokenizer, [pairs[i] for i in chosen])).logits
            result[chosen] = torch.softmax(logits.float(), dim=-1).numpy()
    return result


def accuracy_per_set(tokenizer, model, sets: dict[str, list[Pair]], timing: dict | None = None) -> dict:
    figures = {}
    for name, pairs in tqdm(sets.items(), desc="held-out accuracy", unit="set"):
        started = time.monotonic()
        predicted = probabilities(tokenizer, model, pairs).argmax(axis=1)
        if timing is not None:
            timing["pairs"] = timing.get("pairs", 0) + len(pairs)
            timing["seconds"] = timing.get("seconds", 0.0) + time.monotonic() - started
        # A two-class set, or a set of edits of one kind: entailed or not.
        binary = name.startswith("edit_") or any(p.label == NOT_ENTAILED for p in pairs)
        right = [
            (p.label == 0) == (guess == 0) if binary else p.label == guess
            for p, guess in zip(pairs, predicted)
        ]
        figures[name] = round(float(np.mean(right)), 4)
    return figures


def measure(tokenizer, model, held_out: dict[str, list[Pair]], args: argparse.Namespace) -> dict:
    """Accuracy per held-out part of every training set and per set never trained on, and the pairs
    scored per second."""
    timing: dict = {}
    rows = args.measured_rows
    never_trained_on = {k: v[:rows] for k, v in evaluation_data(args.nli, args.seed).items()}
    figures = {
        "held_out": accuracy_per_set(tokenizer, model, {k: v[:rows] for k, v in held_out.items()}, timing),
        "never_trained_on": accuracy_per_set(tokenizer, model, never_trained_on, timing),
    }
    figures["inference_pairs_per_second"] = round(timing["pairs"] / timing["seconds"], 1)
    return figures


def snapshot(args: argparse.Namespace) -> int:
    """Write the checker of ``args.out``'s checkpoint to ``args.snapshot``; its card says at which step it
    was taken and carries the run's settings, not the figures of a finished run."""
    import torch

    run = args.out or models.cache_dir() / f"train-checker-{args.base}"
    checkpoint, settings_file = run / "checkpoint.pt", run / "settings.json"
    if not checkpoint.exists() or not settings_file.exists():
        raise SystemExit(f"no checkpoint in {run}: give the --out of a run that has one")
    settings = json.loads(settings_file.read_text())
    tokenizer, model = models.new_checker(settings["base"], settings["lora_rank"])
    state = torch.load(checkpoint, weights_only=True)
    model.load_state_dict(state["model"], strict=False)
    card = {
        "base_model": settings["base"],
        "base": models.MPNET if settings["base"] == "mpnet" else models.MODELS["minilm"].package,
        "labels": list(LABELS),
        "date": date.today().isoformat(),
        "interim": {"step": state["step"], "pairs_seen": state["step"] * settings["batch_size"]},
        "settings": settings,
    }
    if settings["lora_rank"]:
        card["adapter"] = {"rank": settings["lora_rank"], "alpha": 2 * settings["lora_rank"]}
    models.save_checker(model, args.snapshot, card)
    print(f"wrote {args.snapshot}: the checker at step {state['step']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval train-checker", description=__doc__.split("\n")[0])
    parser.add_argument("--nli", type=Path, required=True, help="the folder of NLI sets (../shared/data/nli)")
    parser.add_argument("--base", choices=("minilm", "mpnet"), default="minilm", help="the encoder to train")
    parser.add_argument(
        "--lora-rank", type=int, default=0, help="train low-rank adapters of this rank (0: the whole encoder)"
    )
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=8e-5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--bfloat16",
        action="store_true",
        help="train under bfloat16 autocast (about 1.3 times as fast where the CPU has AMX)",
    )
    parser.add_argument(
        "--edits", type=int, default=0, help="hard negatives of each kind added (eval/hard_negatives.py)"
    )
    parser.add_argument("--limit", type=int, help="first N training pairs (a quick trial)")
    parser.add_argument("--checkpoint-every", type=int, default=200, help="steps between checkpoints")
    parser.add_argument(
        "--max-minutes", type=float, help="stop (checkpointed) after this long; rerun resumes"
    )
    parser.add_argument(
        "--max-steps", type=int, help="stop (checkpointed) after this many steps; rerun resumes"
    )
    parser.add_argument(
        "--measured-rows",
        type=int,
        default=HELD_OUT_MAX,
        help=f"rows measured per held-out set (default {HELD_OUT_MAX}; fewer for a quick trial)",
    )
    parser.add_argument(
        "--curve-every", type=int, default=0, help="steps between held-out measurements (curve.jsonl)"
    )
    parser.add_argument("--out", type=Path, help="checkpoint folder (default: the user cache, per base)")
    parser.add_argument(
        "--write",
        type=Path,
        nargs="?",
        const=CHECKER_DIR,
        help="when training ends, write the checker to this folder (default factaid/checker/)",
    )
    parser.add_argument(
        "--measure",
        action="store_true",
        help="only measure a checker (no training): factaid/checker/, or --checker",
    )
    parser.add_argument("--checker", type=Path, help="with --measure, the folder of the checker to measure")
    parser.add_argument(
        "--snapshot",
        type=Path,
        help="write the checker as --out's checkpoint stands to this folder, without training (an "
        "interim checker to try in the verifier while a long run goes on)",
    )
    args = parser.parse_args(argv)
    if args.snapshot:
        return snapshot(args)
    if args.measure:
        tokenizer, model, _ = models.load_checker(args.checker or CHECKER_DIR)
        _, held_out = training_data(args.nli, args.seed)
        held_out.update(held_out_edits(args.nli, args.seed, min(HELD_OUT_EDITS, args.measured_rows)))
        print(json.dumps(measure(tokenizer, model, held_out, args), indent=2))
        return 0
    seed_everything(args.seed)
    kept = (
        "base",
        "lora_rank",
        "edits",
        "epochs",
        "batch_size",
        "learning_rate",
        "seed",
        "limit",
        "bfloat16",
    )
    settings = {k: v for k, v in vars(args).items() if k in kept}
    args.out = args.out or models.cache_dir() / f"train-checker-{args.base}"
    args.out.mkdir(parents=True, exist_ok=True)
    settings_file = args.out / "settings.json"
    if settings_file.exists() and json.loads(settings_file.read_text()) != settings:
        parser.error(f"{args.out} holds a run with other settings; give another --out or delete it")
    settings_file.write_text(json.dumps(settings, indent=2))

    train_pairs, held_out = training_data(args.nli, args.seed)
    train_pairs = train_pairs[: args.limit]
    if args.edits:
        train_pairs = with_edits(train_pairs, args.edits, args.seed)
    held_out.update(held_out_edits(args.nli, args.seed, min(HELD_OUT_EDITS, args.measured_rows)))
    train_pairs = augmented(train_pairs, args.seed)
    counts = Counter(p.dataset for p in train_pairs)
    print(f"{len(train_pairs)} training pairs from {len(counts)} sets")
    tokenizer, model, finished, spent = train(train_pairs, args, args.out, held_out)
    if not finished:
        return 0
    figures = measure(tokenizer, model, held_out, args)
    figures["training_pairs_per_second"] = round(len(train_pairs) * args.epochs / spent["seconds"], 2)
    print(json.dumps(figures, indent=2))
    if args.write:
        import torch

        card = {
            "base_model": args.base,
            "base": models.MPNET if args.base == "mpnet" else models.MODELS["minilm"].package,
            "labels": list(LABELS),
            "date": date.today().isoformat(),
            "command": "python -m eval train-checker " + " ".join(argv if argv is not None else sys.argv[1:]),
            "training_sets": {
                stem: {"rows": counts[stem], "licence": licence} for stem, (_, licence) in TRAIN.items()
            },
            "hard_negatives": {k: n for k, n in sorted(counts.items()) if k.startswith("edit_")},
            "evaluation_sets": EVALUATION,
            "accuracy": figures,
            "settings": settings,
            "training_time": {
                "hours": round(spent["seconds"] / 3600, 2),
                "cpu_hours": round(spent["cpu_seconds"] / 3600, 2),
                "machine": f"{os.cpu_count()} CPU cores, {torch.get_num_threads()} torch threads",
            },
        }
        if args.lora_rank:
            card["adapter"] = {"rank": args.lora_rank, "alpha": 2 * args.lora_rank}
        models.save_checker(model, args.write, card)
        print(f"wrote {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
