"""Train factaid's claim checker: a cross-encoder made from the bundled MiniLM, on synthetic errors.

    python -m eval train-checker --write \
        --data ../shared/data/frank_valid.jsonl ../shared/data/xsumfaith_valid.jsonl \
               ../shared/data/wice_dev.jsonl

No NLI model can be had offline (docs/MODELS.md), so factaid makes its own training pairs. Only the
*documents* of the given files are read, never their labels: from each document, sentences become
claims that its evidence supports (verbatim or trimmed), and the same sentences with a name, number or
date swapped, the negation flipped or the roles swapped, or set against evidence that lacks them,
become claims it does not support (eval/synthetic.py). The evidence is what retrieval would give: the
sentence with the other of its document that shares most words with it, in document order.

The checker keeps MiniLM's lowest four layers (models.CHECKER_LAYERS). The word embeddings and the two
lowest layers stay frozen (they are read from the bundled MiniLM at run time), so only the two above them
and the head are shipped: factaid/checker/model.safetensors, float16,
with the data, the command and the held-out accuracy on synthetic pairs of unseen documents in
factaid/checker/checker.json.
Its value as a signal is measured by `python -m eval calibrate`, cross-validated on the dev labels.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from tqdm import tqdm

import factaid
from factaid import models
from factaid.retrieve import tokenize
from factaid.sentences import split_sentences

from . import synthetic
from .runner import read_jsonl, seed_everything

CHECKER_DIR = Path(factaid.__file__).resolve().parent / "checker"
ANCHORS_PER_DOCUMENT = 4
EVIDENCE_SENTENCES = models.CHECKER_EVIDENCE_SENTENCES
HELD_OUT_SHARE = 0.05
MIN_WORDS, MAX_WORDS = 6, 50


@dataclass(frozen=True)
class Pair:
    premise: str
    claim: str
    label: int  # 1: the premise supports the claim
    kind: str  # how the claim was made: verbatim, shorter, absent, or an error kind


def documents(paths: list[Path]) -> list[str]:
    """The distinct documents of consistency, reference and WiCE-style files; labels are not read."""
    found: dict[str, str] = {}
    for path in paths:
        for row in read_jsonl(path):
            text = row["document"] if "document" in row else "\n\n".join(row["sentences"])
            found.setdefault(hashlib.blake2b(text.encode(), digest_size=8).hexdigest(), text)
    return [found[key] for key in sorted(found)]


def _sentences(document: str) -> list[str]:
    try:
        return [s.text for s in split_sentences(factaid.ingest.from_text(document, source_id="S1").text)]
    except factaid.InputError:
        return []


def _evidence(sentences: list[str], anchor: int, keep_anchor: bool) -> str:
    """The anchor's retrieval window: itself (or not) and the sentences sharing most words with it."""
    words = set(tokenize(sentences[anchor]))
    overlap = [
        (len(words & set(tokenize(s))) / (len(words) or 1), i) for i, s in enumerate(sentences) if i != anchor
    ]
    # Without the anchor, near-copies of it would still support it: leave them out too.
    others = [i for share, i in sorted(overlap, reverse=True) if keep_anchor or share < 0.5]
    chosen = ([anchor] if keep_anchor else []) + others[: EVIDENCE_SENTENCES - int(keep_anchor)]
    return " ".join(sentences[i] for i in sorted(chosen))


def _entity_pool(parsed) -> dict[str, list[str]]:
    pool: dict[str, list[str]] = {}
    for doc in parsed:
        for entity in doc.ents:
            pool.setdefault(entity.label_, []).append(entity.text)
    return {label: sorted(set(texts)) for label, texts in pool.items()}


def pairs_of_document(document: str, other_pool: dict[str, list[str]], rng: random.Random) -> list[Pair]:
    """One supported and one unsupported claim for each of a few sentences of the document."""
    sentences = _sentences(document)
    candidates = [i for i, s in enumerate(sentences) if MIN_WORDS <= len(s.split()) <= MAX_WORDS]
    if len(sentences) < 2 or not candidates:
        return []
    anchors = rng.sample(candidates, min(ANCHORS_PER_DOCUMENT, len(candidates)))
    parsed = list(models.get_nlp().pipe(sentences[i] for i in anchors))
    own_pool = _entity_pool(parsed)
    pairs = []
    for anchor, doc in zip(anchors, parsed):
        evidence = _evidence(sentences, anchor, keep_anchor=True)
        shorter = synthetic.shorter_statement(doc, rng)
        if shorter and rng.random() < 0.5:
            pairs.append(Pair(evidence, shorter, 1, "shorter"))
        else:
            pairs.append(Pair(evidence, sentences[anchor], 1, "verbatim"))
        # Names come from this document (intrinsic errors) or another one (extrinsic) half the time each.
        pool = own_pool if rng.random() < 0.5 else other_pool
        errors = [(kind, make(doc, pool, rng)) for kind, make in synthetic.ERRORS.items()]
        errors = [(kind, claim) for kind, claim in errors if claim and claim != sentences[anchor]]
        if errors and rng.random() < 0.8:
            kind, claim = rng.choice(errors)
            pairs.append(Pair(evidence, claim, 0, kind))
        else:
            without = _evidence(sentences, anchor, keep_anchor=False)
            pairs.append(Pair(without, sentences[anchor], 0, "absent"))
    return pairs


def make_pairs(texts: list[str], seed: int) -> list[Pair]:
    rng = random.Random(seed)
    parsed_names = models.get_nlp().pipe(t[:2000] for t in texts[:200])  # a pool of names from elsewhere
    other_pool = _entity_pool(parsed_names)
    pairs = []
    for text in tqdm(texts, desc="synthetic pairs", unit="doc"):
        pairs += pairs_of_document(text, other_pool, rng)
    return pairs


def split_by_document(texts: list[str], seed: int) -> tuple[list[str], list[str]]:
    order = random.Random(seed).sample(range(len(texts)), len(texts))
    cut = max(1, int(len(texts) * HELD_OUT_SHARE))
    return [texts[i] for i in order[cut:]], [texts[i] for i in order[:cut]]


def _batches(pairs: list[Pair], size: int, rng: random.Random | None):
    order = list(range(len(pairs)))
    if rng is not None:
        rng.shuffle(order)
    for start in range(0, len(order), size):
        yield [pairs[i] for i in order[start : start + size]]


def _encode(tokenizer, batch: list[Pair]):
    return tokenizer(
        [p.premise for p in batch],
        [p.claim for p in batch],
        truncation=True,  # as the verifier reads pairs: the longer of evidence and claim loses its tail
        max_length=models.CHECKER_MAX_TOKENS,
        padding=True,
        return_tensors="pt",
    )


def train(train_pairs: list[Pair], epochs: int, batch_size: int, learning_rate: float, seed: int):
    import torch
    from transformers import get_linear_schedule_with_warmup

    tokenizer, model = models.new_checker()
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=learning_rate, weight_decay=0.01)
    steps = epochs * ((len(train_pairs) + batch_size - 1) // batch_size)
    schedule = get_linear_schedule_with_warmup(optimizer, int(0.06 * steps), steps)
    rng = random.Random(seed)
    with tqdm(total=steps, desc="training", unit="batch") as bar:
        for _ in range(epochs):
            for batch in _batches(train_pairs, batch_size, rng):
                labels = torch.tensor([p.label for p in batch])
                loss = model(**_encode(tokenizer, batch), labels=labels).loss
                loss.backward()
                torch.nn.utils.clip_grad_norm_(trainable, 1.0)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad()
                bar.update()
                bar.set_postfix(loss=f"{loss.item():.3f}")
    model.eval()
    return tokenizer, model


def accuracy_by_kind(tokenizer, model, pairs: list[Pair]) -> dict[str, float]:
    """Share of held-out synthetic pairs judged right (support probability on the right side of 0.5)."""
    import torch

    right: dict[str, list[bool]] = {}
    with torch.inference_mode():
        for batch in _batches(pairs, 32, None):
            support = torch.softmax(model(**_encode(tokenizer, batch)).logits, dim=-1)[:, 1]
            for pair, p in zip(batch, support.tolist()):
                right.setdefault(pair.kind, []).append((p >= 0.5) == bool(pair.label))
    figures = {kind: round(float(np.mean(v)), 4) for kind, v in sorted(right.items())}
    figures["all"] = round(float(np.mean([x for v in right.values() for x in v])), 4)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval train-checker", description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, nargs="+", required=True, help="files whose documents to use")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=8e-5)
    parser.add_argument("--limit", type=int, help="first N documents (a quick trial)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", action="store_true", help="write factaid/checker/")
    args = parser.parse_args(argv)
    seed_everything(args.seed)
    texts = documents(args.data)[: args.limit]
    train_texts, held_out_texts = split_by_document(texts, args.seed)
    train_pairs, held_out = make_pairs(train_texts, args.seed), make_pairs(held_out_texts, args.seed + 1)
    kinds = {k: sum(p.kind == k for p in train_pairs) for k in sorted({p.kind for p in train_pairs})}
    print(f"{len(texts)} documents; {len(train_pairs)} training pairs {kinds}; {len(held_out)} held out")
    tokenizer, model = train(train_pairs, args.epochs, args.batch_size, args.learning_rate, args.seed)
    accuracy = accuracy_by_kind(tokenizer, model, held_out)
    print("held-out synthetic accuracy:", json.dumps(accuracy))
    if args.write:
        provenance = {
            "base": models.MODELS["minilm"].package,
            "date": date.today().isoformat(),
            "command": "python -m eval train-checker " + " ".join(argv if argv is not None else sys.argv[1:]),
            "data": [p.name for p in args.data],
            "layers": models.CHECKER_LAYERS,
            "documents": len(texts),
            "training_pairs": kinds,
            "held_out_accuracy": accuracy,
            "settings": {k: v for k, v in vars(args).items() if k not in ("data", "write")},
        }
        models.save_checker(model, CHECKER_DIR, provenance)
        print(f"wrote {CHECKER_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
