"""Model loading: the bundled embedder is read without sentence-transformers and gives its vectors;
models load once each, side by side in threads, with the garbage collector paused."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from factaid import models
from factaid.sentences import split_sentences

WORDS = (
    "the council voted to rebuild old bridge after flood . mayor said it will cost million dollars".split()
)


def tiny_sentence_transformer(folder: Path, pooling: str) -> Path:
    """A random-weight BERT saved as a sentence-transformers folder: transformer, pooling, normalize."""
    from transformers import BertConfig, BertModel, BertTokenizer

    folder.mkdir(parents=True)
    (folder / "vocab.txt").write_text(
        "\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]), "utf-8"
    )
    config = BertConfig(
        vocab_size=5 + len(WORDS),
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(folder)
    BertTokenizer(str(folder / "vocab.txt")).save_pretrained(folder)
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ]
    (folder / "modules.json").write_text(json.dumps(modules), "utf-8")
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 12}), "utf-8")
    modes = {f"pooling_mode_{mode}": mode == pooling for mode in ("cls_token", "mean_tokens", "max_tokens")}
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": 16, **modes}), "utf-8"
    )
    return folder


def sentence_transformers_vectors(path: str, texts: list[str]) -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(path, device="cpu")
    return model.encode(texts, batch_size=4, normalize_embeddings=True, convert_to_numpy=True)


def test_the_bundled_embedder_gives_sentence_transformers_vectors_without_it(embedder, shared_articles):
    assert isinstance(embedder.encoder, models.MeanPooledEncoder)
    text = shared_articles["moscowtimes"].read_text(encoding="utf-8")
    sentences = [s.text for s in split_sentences(text)][:40] + ["A very long sentence " * 80]
    ours = embedder.encoder.encode(sentences, batch_size=8)
    theirs = sentence_transformers_vectors(models._embedder_path("minilm"), sentences)
    assert ours.shape == theirs.shape == (len(sentences), 384)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_a_mean_pooled_folder_is_read_by_transformers_alone_and_others_by_sentence_transformers(tmp_path):
    texts = [
        "the council voted to rebuild the old bridge .",
        "the mayor said it will cost million dollars",
        "flood",
    ]
    mean = tiny_sentence_transformer(tmp_path / "mean", "mean_tokens")
    cls = tiny_sentence_transformer(tmp_path / "cls", "cls_token")

    mean_embedder = models.get_embedder(str(mean))
    assert isinstance(mean_embedder.encoder, models.MeanPooledEncoder)
    np.testing.assert_allclose(
        mean_embedder.encode(texts), sentence_transformers_vectors(str(mean), texts), atol=1e-6
    )

    # CLS pooling is not the shape MeanPooledEncoder reads: sentence-transformers must read it, its way.
    cls_embedder = models.get_embedder(str(cls))
    assert isinstance(cls_embedder.encoder, models.SentenceTransformerEncoder)
    cls_vectors = cls_embedder.encode(texts)
    np.testing.assert_allclose(cls_vectors, sentence_transformers_vectors(str(cls), texts), atol=1e-6)
    assert not np.allclose(cls_vectors, models.MeanPooledEncoder(cls).encode(texts, batch_size=4), atol=1e-3)


@pytest.mark.parametrize("broken", ["modules.json", "1_Pooling/config.json"])
def test_a_folder_with_unreadable_sentence_transformers_files_is_not_read_as_mean_pooled(tmp_path, broken):
    folder = tiny_sentence_transformer(tmp_path / "model", "mean_tokens")
    assert models.MeanPooledEncoder.reads(folder)
    (folder / broken).write_text("{not json", "utf-8")
    assert not models.MeanPooledEncoder.reads(folder)


def test_loading_the_bundled_embedder_imports_neither_sentence_transformers_nor_scikit_learn():
    program = (
        "import sys; from factaid import models; models.get_embedder().encode(['The bridge reopened.']); "
        "print(sorted(m for m in ('sentence_transformers', 'sklearn', 'pandas') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=300, check=True
    )
    assert result.stdout.strip() == "[]"


# ----------------------------------------------------------------------------- loading side by side


def test_a_model_loads_while_another_is_still_loading():
    """Each model has its own lock: a load that waits for another model's load ends. Under one lock
    around every load (as before) the first waits forever for the second, which waits for the lock."""
    second_loaded = threading.Event()

    @models._load_once
    def first_model() -> str:
        assert second_loaded.wait(30), "the second model did not load while the first was loading"
        return "first"

    @models._load_once
    def second_model() -> str:
        second_loaded.set()
        return "second"

    loading = models.load_in_background(first_model)
    assert second_model() == "second"
    loading.join(60)
    assert not loading.is_alive()
    assert first_model() == "first"


def test_a_model_asked_for_by_many_threads_at_once_loads_once():
    loads = []

    @models._load_once
    def shared_model(name: str) -> object:
        loads.append(name)
        time.sleep(0.2)  # long enough for every thread to ask while the load runs
        return object()

    results = []
    threads = [threading.Thread(target=lambda: results.append(shared_model("x"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert loads == ["x"]
    assert len(results) == 8 and all(result is results[0] for result in results)


def test_a_failed_background_load_is_raised_by_the_next_call():
    calls = []

    @models._load_once
    def unloadable_model() -> str:
        calls.append(1)
        raise models.ModelLoadError("the weights are missing")

    models.load_in_background(unloadable_model).join(60)
    with pytest.raises(models.ModelLoadError, match="the weights are missing"):
        unloadable_model()
    assert len(calls) == 2  # a failure is not cached: the caller's call tries again


def test_loading_pauses_the_garbage_collector_and_freezes_what_was_loaded():
    """Collections during a load walked every object torch, transformers and spaCy made, and so did the
    collection at the process's exit (README, "Performance"): a load runs with the collector off, and
    what is alive after it is frozen, out of every later collection."""
    seen = {}

    @models._load_once
    def model_with_cycles() -> list:
        seen["collector on while loading"] = gc.isenabled()
        model: list = [[i] for i in range(1000)]  # lists, which the collector tracks
        model.append(model)  # a cycle, as modules and models have
        return model

    assert gc.isenabled()
    frozen_before = gc.get_freeze_count()
    model_with_cycles()
    assert seen == {"collector on while loading": False}
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen_before + 1000
    gc.unfreeze()  # the rest of the test session collects as usual
