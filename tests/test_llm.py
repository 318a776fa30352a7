"""The LLM loader and the abstractive summarizer, end to end with a tiny random causal LM."""

from __future__ import annotations

import re
from importlib.resources import files

import pytest

from factaid import llm, models, pipeline, retrieve, summarize
from factaid.errors import ModelLoadError
from factaid.types import CheckSettings

TEXTS = [
    "The river flooded the lower town on Monday.",
    "Rescue teams moved 300 people to the school hall.",
    "The mayor said the bridge would stay closed until Friday.",
    "Engineers found cracks in two of the bridge supports.",
]


@pytest.fixture(scope="module")
def tiny_llm_dir(tmp_path_factory):
    """A random 2-layer Llama and a word-level tokenizer trained on TEXTS plus the prompt: no download."""
    import torch
    from tokenizers import Tokenizer, pre_tokenizers, trainers
    from tokenizers import models as tok_models
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-llm")
    prompt = files("factaid.prompts").joinpath(summarize.PROMPT_FILE).read_text(encoding="utf-8")
    tokenizer = Tokenizer(tok_models.WordLevel(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    specials = ["<unk>", "<pad>", "<s>", "</s>"]
    tokenizer.train_from_iterator([*TEXTS, prompt], trainers.WordLevelTrainer(special_tokens=specials))
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, unk_token="<unk>", pad_token="<pad>", bos_token="<s>", eos_token="</s>"
    )
    fast.save_pretrained(folder)
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=fast.vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        pad_token_id=fast.pad_token_id,
        bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id,
    )
    model = LlamaForCausalLM(config)
    with torch.no_grad():  # make "." likely enough that the gibberish holds complete sentences
        model.lm_head.weight[fast.convert_tokens_to_ids(".")] += 0.5 * model.lm_head.weight.std()
    model.save_pretrained(folder)
    return folder


@pytest.fixture()
def small_sources(make_source, embedder):
    sources = [make_source(" ".join(TEXTS[:2]), "S1"), make_source(" ".join(TEXTS[2:]), "S2")]
    return sources, retrieve.EvidenceIndex(sources, embedder)


def test_get_llm_loads_a_folder_once(tiny_llm_dir):
    tokenizer, model = models.get_llm(str(tiny_llm_dir))
    assert type(model).__name__ == "LlamaForCausalLM"
    assert not model.training
    assert tokenizer("The river flooded")["input_ids"]
    assert models.get_llm(str(tiny_llm_dir)) is models.get_llm(str(tiny_llm_dir))


def test_get_llm_missing_folder_says_what_to_do(tmp_path):
    with pytest.raises(ModelLoadError, match="no language model folder"):
        models.get_llm(str(tmp_path / "absent"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelLoadError, match="config.json"):
        models.get_llm(str(tmp_path / "empty"))


def test_prompt_holds_the_template_and_the_sources(tiny_llm_dir, small_sources):
    sources, index = small_sources
    tokenizer, model = models.get_llm(str(tiny_llm_dir))
    summarizer = summarize.LLMSummarizer(llm.TransformersModel(tokenizer, model, "tiny"), index.embeddings)
    prompt, article = summarizer.build_prompt(sources)
    template = files("factaid.prompts").joinpath(summarize.PROMPT_FILE).read_text(encoding="utf-8")
    head, tail = template.split("$article")
    assert prompt.startswith(head) and prompt.endswith(tail)
    assert all(text in article for text in TEXTS)


def test_abstractive_end_to_end_streams_and_returns_sentences(tiny_llm_dir, small_sources):
    sources, index = small_sources
    streamed: list[str] = []
    settings = CheckSettings(
        mode="abstractive",
        summary_sentences=2,
        llm=str(tiny_llm_dir),
        model_kwargs={"on_text": streamed.append},
    )
    summary = summarize.summarize(sources, settings, index)
    assert isinstance(summary, str) and summary.endswith((".", "!", "?"))
    assert "Article:" not in summary and "\n" not in summary
    assert streamed and summary.split()[0] in "".join(streamed)


def test_shortlist_head_decodes_as_the_float32_head(tiny_llm_dir):
    import torch

    _, loaded = models.get_llm(str(tiny_llm_dir))
    assert type(loaded.get_output_embeddings()).__name__ == "ShortlistHead"
    tokenizer, model = models._from_pretrained(str(tiny_llm_dir), local=True)  # a plain float32 head
    plain = model.get_output_embeddings()
    fast = models.shortlist_head(plain, shortlist=8)  # far fewer than the vocabulary: the test can fail
    assert fast.shortlist < plain.weight.shape[0]
    torch.manual_seed(1)
    hidden = torch.randn(4, 7, plain.weight.shape[1])
    with torch.inference_mode():
        exact, shortlisted = plain(hidden), fast(hidden)
        # The best token and its logit are float32's; the rest are within float16's rounding.
        assert torch.equal(shortlisted.argmax(-1), exact.argmax(-1))
        torch.testing.assert_close(shortlisted.max(-1).values, exact.max(-1).values, rtol=1e-6, atol=1e-6)
        torch.testing.assert_close(shortlisted, exact, rtol=0, atol=1e-2)
        inputs = tokenizer(TEXTS[0], return_tensors="pt")
        greedy = {"max_new_tokens": 20, "do_sample": False, "pad_token_id": tokenizer.pad_token_id}
        before = model.generate(**inputs, **greedy)
        model.set_output_embeddings(fast)
        after = model.generate(**inputs, **greedy)
    assert torch.equal(before, after)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            " Putin backs early elections. Assad agrees.\n\nArticle: more",
            "Putin backs early elections. Assad agrees.",
        ),
        ("Putin backs early elections. Assad agrees. Then the", "Putin backs early elections. Assad agrees."),
        ("Assad agrees. Assad agrees. Russia helps.", "Assad agrees. Russia helps."),
        ("no sentence end at all", ""),
        ("Summary: Assad agrees.", ""),
    ],
)
def test_clean_generation(raw, expected):
    assert summarize.clean_generation(raw, "Some article text.") == expected


def test_clean_generation_keeps_at_most_the_sentences_asked_for():
    raw = " Putin backs early elections. Assad agrees. Russia helps.\n\nArticle: more"
    two = summarize.clean_generation(raw, "", max_sentences=2)
    assert two == "Putin backs early elections. Assad agrees."
    assert summarize.clean_generation(raw, "", max_sentences=5) == f"{two} Russia helps."


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["llama.cpp", "transformers"])
def test_bundled_gemma_summarizes_the_examples(shared_articles, embedder, engine):
    sources = pipeline.load_sources([str(p) for p in shared_articles.values()], CheckSettings())
    index = retrieve.EvidenceIndex(sources, embedder)
    settings = CheckSettings(mode="abstractive", summary_sentences=2, llm_engine=engine)
    summary = summarize.summarize(sources, settings, index)
    assert re.search(r"[A-Z][^.!?]{10,}[.!?]", summary), summary
    assert re.search(r"Putin|Assad|Syria|Russia", summary), summary


@pytest.mark.slow
def test_bundled_gemma_writes_the_same_summary_with_the_shortlist_head(shared_articles, embedder):
    import torch

    sources = pipeline.load_sources([str(p) for p in shared_articles.values()], CheckSettings())
    index = retrieve.EvidenceIndex(sources, embedder)
    settings = CheckSettings(mode="abstractive", summary_sentences=2, llm_engine="transformers")
    _, model = models.get_llm(settings.llm)
    shortlisted = model.get_output_embeddings()
    assert type(shortlisted).__name__ == "ShortlistHead"
    plain = torch.nn.Linear(shortlisted.weight.shape[1], shortlisted.weight.shape[0], bias=False)
    plain.weight = shortlisted.weight  # the float32 layer itself, as loaded
    summarizer = summarize.get_summarizer(settings, index.embeddings)
    prompt, _ = summarizer.build_prompt(sources)
    with_shortlist = summarizer.llm.complete(prompt, 70)
    model.set_output_embeddings(plain)
    try:
        with_float32 = summarizer.llm.complete(prompt, 70)
    finally:
        model.set_output_embeddings(shortlisted)
    assert with_shortlist == with_float32
    assert len(with_shortlist.split()) > 20  # a real continuation, not an early stop
