"""Shared fixtures: the bundled models load once per session, and the bundled examples are checked once."""

from __future__ import annotations

from pathlib import Path

import pytest

import factaid
from factaid import models
from factaid.sentences import split_sentences
from factaid.types import Report, Source

REPO = Path(__file__).resolve().parents[1]
SHARED_EXAMPLES = REPO.parent / "shared" / "examples"
BUNDLED_EXAMPLES = REPO / "factaid" / "examples"


@pytest.fixture(scope="session")
def nlp():
    """spaCy's bundled English pipeline, loaded once."""
    return models.get_nlp()


@pytest.fixture(scope="session")
def embedder() -> models.Embedder:
    """The bundled MiniLM sentence embedder, loaded once."""
    return models.get_embedder()


@pytest.fixture(scope="session")
def shared_articles() -> dict[str, Path]:
    """The two news articles on Putin and Assad in ../shared/examples, read at run time."""
    paths = {
        "aljazeera": SHARED_EXAMPLES / "putin_assad_aljazeera.txt",
        "moscowtimes": SHARED_EXAMPLES / "putin_assad_moscowtimes.txt",
    }
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        pytest.skip(f"shared example articles not found: {', '.join(missing)}")
    return paths


@pytest.fixture(scope="session")
def bundled_paths() -> list[Path]:
    """The fictional Brenmoor reports shipped in factaid/examples (they disagree on one number)."""
    paths = sorted(BUNDLED_EXAMPLES.glob("*.txt"))
    assert len(paths) == 2, f"expected two bundled examples in {BUNDLED_EXAMPLES}"
    return paths


@pytest.fixture(scope="session")
def bundled_report(nlp, embedder, bundled_paths) -> Report:
    """factaid.check on the bundled examples with the default (extractive) summary, run once."""
    return factaid.check([str(p) for p in bundled_paths])


@pytest.fixture(scope="session")
def make_source():
    """Build a Source with sentences from plain text, without going through ingest."""

    def make(text: str, source_id: str = "", title: str = "") -> Source:
        return Source(source_id, title, "text", text, split_sentences(text))

    return make


def tiny_classifier(folder: Path, bias: tuple[float, float, float] | None = None) -> Path:
    """A random-weight BERT NLI classifier (entailment, neutral, contradiction) with a 12-word vocabulary,
    saved as safetensors. With ``bias``, the classifier ignores its input and gives these logits."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *"the council voted to rebuild wall .".split()]
    (folder / "vocab.txt").write_text("\n".join(vocab), encoding="utf-8")
    labels = {0: "entailment", 1: "neutral", 2: "contradiction"}
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
        max_position_embeddings=64,
        id2label=labels,
        label2id={v: k for k, v in labels.items()},
    )
    model = BertForSequenceClassification(config)
    if bias is not None:
        with torch.no_grad():
            model.classifier.weight.zero_()
            model.classifier.bias.copy_(torch.tensor(bias))
    model.save_pretrained(folder)
    BertTokenizer(str(folder / "vocab.txt")).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def make_classifier():
    """The tiny_classifier builder, for tests that need their own NLI model folder."""
    return tiny_classifier
