"""The summary stage: an extractive and an LLM summarizer behind one narrow interface.

Extractive (the default) picks whole source sentences, so every summary sentence is a quotation the
verifier can find again. Sentences are scored by a lead bias (news puts the main event first) and the
document frequency of their content words (SumBasic), then taken best first, skipping any that says a
until a budget of words is spent (``Weights``; each part measured by ``python -m eval summary-cv``).
From several sources, ``agreement`` keeps one version of each fact and states what they agree on first,
then what only one reports, marked as such. The abstractive summarizer feeds the same top sentences to
a small causal LM with a document-completion prompt (or, for chat models, an instruction) through any
backend of ``llm``; it may invent claims, which is what the verifier is there to flag.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from string import Template
from typing import Protocol

import numpy as np

from . import llm
from .errors import FactaidError, InputError
from .facts import STOP_WORDS
from .llm import LanguageModel, prompt_for
from .types import CheckSettings, Source

log = logging.getLogger(__name__)

# Closer than this to a chosen sentence: the same fact said again (two outlets' ledes of one event: 0.78).
REDUNDANT_COSINE = 0.75
# The same for the article the LLM reads, which is context, not the summary: given the example articles
# without their second lede (at 0.75), the bundled Gemma copied the prompt's sample article instead.
ARTICLE_REDUNDANT_COSINE = 0.8
MIN_WORDS = 6
TOKENS_PER_SENTENCE = 30  # generation budget per requested summary sentence
# ~500 prompt tokens keep Gemma-270M fast on two cores; at ~700 its summaries drifted further.
MAX_PROMPT_TOKENS = 500
PROMPT_FILE = "summarize_news.txt"  # a document to complete: base models and every backend
CHAT_PROMPT_FILE = "summarize_news_chat.txt"  # an instruction, for chat models (llm_api="chat")

_WORD = re.compile(r"\w+")
_ENDS_SENTENCE = re.compile(r"[.!?][\"'”’)\]]*$")
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")


class Summarizer(Protocol):
    """Anything that turns sources into a summary of about ``n_sentences`` sentences."""

    def summarize(self, sources: list[Source], n_sentences: int) -> str: ...


@dataclass(frozen=True)
class Candidate:
    source_number: int  # position of the source in the input, for reading order
    sentence_index: int
    text: str
    score: float  # higher: more worth a place in the summary
    words: int = 0


# ----------------------------------------------------------------------------- sentence filters


def _is_quote_fragment(text: str) -> bool:
    """A piece of a longer quotation, or a quote with no speaker: out of context in a summary."""
    if text.count("“") != text.count("”") or text.count('"') % 2:
        return True
    outside = _QUOTED.sub(" ", text)
    return len(outside) < len(text) and len(_WORD.findall(outside)) < 3


def usable(text: str) -> bool:
    """Whether a source sentence can stand alone in a summary."""
    text = text.strip()
    return (
        len(_WORD.findall(text)) >= MIN_WORDS
        and bool(_ENDS_SENTENCE.search(text))  # headlines, captions, bylines end without a full stop
        and not text.rstrip("\"'”’)").endswith("?")
        and not _is_quote_fragment(text)
    )


# ----------------------------------------------------------------------------- scoring and choice


@dataclass(frozen=True)
class Weights:
    """How the extractive summary weighs its signals, and how long it is. The defaults are what
    ``python -m eval summary-cv`` chose in every fold of the dev summary file (eval/RESULTS.md, "Summaries
    (issue 31)"), where each signal below also earned its place by a held-out gain."""

    lead: float = 2.0  # weight / sqrt(1 + position in its source): news puts the main event first
    frequency: float = 0.5  # the mean document frequency of a sentence's content words (SumBasic)
    words_per_sentence: int = 20  # the length budget: words per requested sentence
    redundant: float = 1.0  # closer than this to a chosen sentence of its source: said again


WEIGHTS = Weights()


def scaled(values: np.ndarray) -> np.ndarray:
    """``values`` moved and stretched onto [0, 1] (all 0 when they are all equal)."""
    spread = values.max() - values.min() if len(values) else 0.0
    return (values - values.min()) / spread if spread > 0 else np.zeros_like(values)


def word_frequency(texts: list[str]) -> np.ndarray:
    """SumBasic's score: the mean share, over all the texts, of each of a sentence's content words. Over
    several sources a fact that each of them repeats weighs more."""
    words = [[w for w in _WORD.findall(t.lower()) if w not in STOP_WORDS] for t in texts]
    counts = Counter(w for ws in words for w in ws)
    total = max(sum(counts.values()), 1)
    return np.array([sum(counts[w] for w in ws) / len(ws) / total if ws else 0.0 for ws in words])


def _scores(texts: list[str], positions: np.ndarray, weights: Weights) -> np.ndarray:
    """Lead bias + content-word frequency for every sentence."""
    return weights.lead / np.sqrt(1.0 + positions) + weights.frequency * scaled(word_frequency(texts))


def rank_candidates(
    sources: list[Source], embeddings: dict[str, np.ndarray], weights: Weights = WEIGHTS
) -> tuple[list[Candidate], np.ndarray]:
    """Usable sentences of every source with their scores, and their embedding vectors (same order).

    Falls back to every sentence when the filters leave nothing (e.g. a list of headlines).
    """
    picked = [
        (number, sentence, embeddings[source.id][sentence.index])
        for number, source in enumerate(sources)
        for sentence in source.sentences
        if usable(sentence.text)
    ]
    if not picked:
        picked = [
            (number, sentence, embeddings[source.id][sentence.index])
            for number, source in enumerate(sources)
            for sentence in source.sentences
        ]
    if not picked:
        return [], np.zeros((0, 0), dtype=np.float32)
    vectors = np.stack([vector for _, _, vector in picked]).astype(np.float32)
    owners = np.array([number for number, _, _ in picked])
    # Lead bias counts usable sentences only, so a headline or byline does not push the lede down.
    positions = np.zeros(len(picked))
    for number in set(owners.tolist()):
        mask = owners == number
        positions[mask] = np.arange(mask.sum())
    scores = _scores([s.text for _, s, _ in picked], positions, weights)
    candidates = [
        Candidate(number, sentence.index, sentence.text, float(score), len(_WORD.findall(sentence.text)))
        for (number, sentence, _), score in zip(picked, scores, strict=True)
    ]
    return candidates, vectors


def select(
    candidates: list[Candidate], vectors: np.ndarray, word_budget: float, redundant: float = REDUNDANT_COSINE
) -> list[int]:
    """The best-scored sentences until ``word_budget`` words are reached (the sentence that reaches it is
    kept), never one closer than ``redundant`` to a sentence already chosen."""
    chosen: list[int] = []
    words = 0
    for i in sorted(range(len(candidates)), key=lambda i: -candidates[i].score):
        if words >= word_budget:
            break
        if chosen and float((vectors[chosen] @ vectors[i]).max()) > redundant:
            continue
        chosen.append(i)
        words += candidates[i].words
    return chosen


def reading_order(candidates: list[Candidate], chosen: list[int]) -> list[Candidate]:
    return sorted((candidates[i] for i in chosen), key=lambda c: (c.source_number, c.sentence_index))


class ExtractiveSummarizer:
    """Extractive summary from precomputed, L2-normalised sentence embeddings: the best-scored sentences
    within a budget of words, in reading order. ``summarize`` gives several sources to ``agreement``."""

    def __init__(self, embeddings: dict[str, np.ndarray], weights: Weights = WEIGHTS) -> None:
        self.embeddings = embeddings
        self.weights = weights

    def summarize(self, sources: list[Source], n_sentences: int) -> str:
        candidates, vectors = rank_candidates(sources, self.embeddings, self.weights)
        budget = n_sentences * self.weights.words_per_sentence
        chosen = select(candidates, vectors, budget, self.weights.redundant)
        return " ".join(c.text for c in reading_order(candidates, chosen))


# ----------------------------------------------------------------------------- LLM summarizer


_STOP_MARKERS = ("\n\n", "Article:", "Summary:", "<end_of_turn>", "<eos>")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*(?=\s|$)")


def clean_generation(text: str, article: str, max_sentences: int | None = None) -> str:
    """Cut at the first stop marker and the last complete sentence; drop repeats and echoed lines; keep
    at most ``max_sentences`` sentences."""
    cut = len(text)
    for marker in _STOP_MARKERS:
        found = text.find(marker)
        if 0 <= found < cut:
            cut = found
    text = " ".join(text[:cut].split())
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    text = text[: ends[-1]] if ends else ""
    kept: list[str] = []
    start = 0
    for end in ends:
        sentence = text[start:end].strip()
        start = end
        if sentence and sentence not in kept and sentence.lower() not in ("summary.", "article."):
            kept.append(sentence)
    if article and " ".join(kept) == " ".join(article.split()):
        return ""  # the model only echoed its input
    return " ".join(kept[:max_sentences])


class LLMSummarizer:
    """A summary by a language model (llm.LanguageModel) with greedy decoding: a document-completion
    prompt (``PROMPT_FILE``, for base models too) or, with ``api="chat"``, an instruction
    (``CHAT_PROMPT_FILE``)."""

    def __init__(
        self,
        llm: LanguageModel,
        embeddings: dict[str, np.ndarray],
        prompt: Template | None = None,
        max_prompt_tokens: int = MAX_PROMPT_TOKENS,
        on_text: Callable[[str], None] | None = None,
        api: str = "completion",
    ) -> None:
        chosen = prompt_for(api, PROMPT_FILE, CHAT_PROMPT_FILE)
        self.llm = llm
        self.embeddings = embeddings
        self.api = api
        self.prompt = prompt or chosen
        self.max_prompt_tokens = max_prompt_tokens
        self.on_text = on_text

    def article(self, sources: list[Source]) -> str:
        """The most central, non-redundant sentences in reading order, within the prompt budget."""
        candidates, vectors = rank_candidates(sources, self.embeddings)
        ranked = select(candidates, vectors, float("inf"), ARTICLE_REDUNDANT_COSINE)
        empty = self.prompt.safe_substitute(article="", sentences="")
        budget = self.max_prompt_tokens - self.llm.count_tokens(empty)
        kept: list[int] = []
        for i in ranked:
            cost = self.llm.count_tokens(" " + candidates[i].text)
            if cost <= budget:
                kept.append(i)
                budget -= cost
        return " ".join(c.text for c in reading_order(candidates, kept))

    def build_prompt(self, sources: list[Source], n_sentences: int = 3) -> tuple[str, str]:
        """(prompt, article): the prompt template filled with the chosen source sentences."""
        article = self.article(sources)
        return self.prompt.safe_substitute(article=article, sentences=n_sentences), article

    def summarize(self, sources: list[Source], n_sentences: int) -> str:
        prompt, article = self.build_prompt(sources, n_sentences)
        budget = TOKENS_PER_SENTENCE * n_sentences + 10
        if self.api == "chat":
            generated = _chat_reply(self.llm.chat([{"role": "user", "content": prompt}], budget))
        else:
            generated = self.llm.complete(prompt, budget, stop=_STOP_MARKERS[:2], on_text=self.on_text)
        summary = clean_generation(generated, article, max_sentences=n_sentences)
        if not summary:
            raise FactaidError(
                f"the language model ({self.llm.name}) wrote no complete sentence; try mode='extractive' "
                "or a larger model"
            )
        return summary


def _chat_reply(text: str) -> str:
    """A chat model's summary without a lead-in line such as "Here is a summary:", as one paragraph (so
    that clean_generation does not cut it at a blank line)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].endswith(":"):
        lines = lines[1:]
    return " ".join(line.lstrip("-*• ") for line in lines)


# ----------------------------------------------------------------------------- entry point


def get_summarizer(settings: CheckSettings, embeddings: dict[str, np.ndarray]) -> Summarizer:
    if settings.mode == "extractive":
        return ExtractiveSummarizer(embeddings)
    if settings.mode == "abstractive":
        options = dict(settings.model_kwargs)
        return LLMSummarizer(
            llm.get_language_model(settings),
            embeddings,
            max_prompt_tokens=int(options.get("max_prompt_tokens", MAX_PROMPT_TOKENS)),
            on_text=options.get("on_text"),
            api=settings.llm_api,
        )
    raise InputError(f"unknown summary mode {settings.mode!r}: use 'extractive' or 'abstractive'")


def check_settings(settings: CheckSettings, sources: list[Source]) -> None:
    """Refuse a summary length that is not a whole number >= 1, and sources without a sentence."""
    if not isinstance(settings.summary_sentences, int) or settings.summary_sentences < 1:
        raise InputError(f"summary_sentences must be a whole number >= 1, got {settings.summary_sentences!r}")
    if not any(source.sentences for source in sources):
        raise InputError("nothing to summarize: the documents hold no sentence")


def summarize(sources: list[Source], settings: CheckSettings, index) -> str:
    """Summarize ``sources`` in about ``settings.summary_sentences`` sentences (see module docstring).

    ``index`` is the check's retrieve.EvidenceIndex; its sentence embeddings are reused, not recomputed.
    """
    check_settings(settings, sources)
    if settings.mode == "extractive" and len(sources) > 1:
        from . import agreement  # which imports this module

        return agreement.summarize_sources(sources, settings, index)[0]
    summarizer = get_summarizer(settings, index.embeddings)
    log.info("summarizing %d sources with %s", len(sources), type(summarizer).__name__)
    return summarizer.summarize(sources, settings.summary_sentences)
