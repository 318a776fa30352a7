"""The one data model that every stage, the CLI, the UI and eval/ share.

Spans are half-open character offsets ``[start, end)`` into the text they belong to:
a sentence's span indexes its source's cleaned text, a claim's span indexes the summary.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

# 1.1: conflicts of kind "opposite"; 1.2: Source.page_dates; 1.3: Claim.subject;
# 1.4: SourceSupport.conflicting; 1.5: SourceSupport.checker; 1.6: the LLM judge (SourceSupport.judge,
# Claim.decided_by) and the models that wrote the summary and judged it (Report.summary_model, judge_model);
# 1.7: the sentences that CheckSettings.supported_only removed (Report.removed, Report.filtered_from)
SCHEMA_VERSION = "1.7"

Label = Literal["supported", "contradicted", "unsupported"]
LABELS: tuple[Label, ...] = ("supported", "contradicted", "unsupported")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass
class Sentence:
    index: int
    text: str
    span: Span


@dataclass
class Source:
    """One document after ingestion: cleaned text and its sentences."""

    id: str
    title: str
    origin: str  # file path, URL, or "text"
    text: str
    sentences: list[Sentence] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # The page's date lines, which cleaning keeps out of the text ("September 04, 2015", "Updated Nov. 7,
    # 2017 at 11:33 pm"), or its metadata's date: a claim may rest on the date a page is published.
    page_dates: list[str] = field(default_factory=list)


@dataclass
class Evidence:
    """One source sentence retrieved for a claim; ``text`` equals ``source.text[span]``."""

    source_id: str
    sentence_index: int
    span: Span
    text: str
    score: float  # retrieval relevance in [0, 1]


# What the LLM judge may answer for a claim and a source's evidence, and the label each stands for.
JUDGE_ANSWERS: dict[str, Label] = {
    "supported": "supported",
    "contradicted": "contradicted",
    "not in the text": "unsupported",
}


@dataclass
class LLMVerdict:
    """The LLM judge's reading of one source's evidence for one claim, beside the built-in verifier's."""

    answer: str  # one of JUDGE_ANSWERS, or "" when its answer could not be used
    reason: str  # its one-line reason, or why its answer was not used
    verifier_label: Label  # the built-in verifier's label for the same pair
    decided: bool  # True: the answer is the pair's label; False: the verifier's label was kept


@dataclass
class SourceSupport:
    """How one source bears on one claim."""

    source_id: str
    label: Label
    score: float  # probability that this source supports the claim
    evidence: list[Evidence] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    signals: dict[str, float] = field(default_factory=dict)  # the verifier's inputs, for audit
    # For a contradicting source, the indices of the evidence sentences that conflict with the claim on
    # their own (empty when only the evidence as a whole does, or when the NLI model says so).
    conflicting: list[int] = field(default_factory=list)
    # The claim checker's probabilities for this source's evidence: entailment, neutral, contradiction.
    checker: dict[str, float] = field(default_factory=dict)
    # With CheckSettings.judge == "llm": the LLM judge's verdict, and whether it or the verifier decided.
    judge: LLMVerdict | None = None


@dataclass
class Claim:
    index: int
    text: str
    span: Span  # into Report.summary
    label: Label = "unsupported"
    score: float = 0.0  # calibrated probability that the claim is supported
    supported_by: list[str] = field(default_factory=list)  # source ids
    contradicted_by: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)  # best evidence over all sources
    support: list[SourceSupport] = field(default_factory=list)  # one entry per source
    reasons: list[str] = field(default_factory=list)
    # The subject a claim shares with the claim before it ("Anna met Bob | and thanked him"), which it is
    # checked with: see ``statement``.
    subject: str = ""
    # Which judge gave the labels of the claim's sources: the built-in verifier, the LLM judge, or both
    # (the LLM where its answer was usable, the verifier where it was not).
    decided_by: Literal["verifier", "llm", "llm and verifier"] = "verifier"

    @property
    def statement(self) -> str:
        """What is checked: the claim's text, led by the subject it shares with the claim before it."""
        return f"{self.subject} {self.text}" if self.subject else self.text

    @property
    def shown_text(self) -> str:
        """The claim as listed apart from the summary: the borrowed subject in brackets, then its text."""
        return f"[{self.subject}] {self.text}" if self.subject else self.text


@dataclass
class ConflictValue:
    source_id: str
    value: str
    evidence: Evidence


@dataclass
class Conflict:
    """Sources that give different numbers, dates or names for the same fact, or opposite words."""

    kind: Literal["number", "date", "name", "opposite"]
    topic: str  # the shared context, e.g. "people have been killed"
    values: list[ConflictValue] = field(default_factory=list)


@dataclass
class CheckSettings:
    """Typed configuration of one check; ``model_kwargs`` is the escape hatch."""

    mode: Literal["extractive", "abstractive"] = "extractive"
    summary_sentences: int = 5
    top_k: int = 3
    embedder: str = "minilm"  # short name from factaid.models.MODELS, a hub id or a path
    llm: str = "gemma-270m"  # short name, hub id, folder or .gguf file; unused when llm_url is given
    # How a local LLM runs: "auto" reads GGUF files (the bundled models, a .gguf path) with llama.cpp when
    # llama-cpp-python is installed, and everything else with transformers.
    llm_engine: Literal["auto", "llama.cpp", "transformers"] = "auto"
    # An OpenAI-compatible server (Ollama, vLLM, llama.cpp's server, LM Studio) instead of a local LLM:
    # its base URL (e.g. http://127.0.0.1:11434/v1) and model name. The API key is never stored here; it
    # is read from FACTAID_LLM_API_KEY or OPENAI_API_KEY when the server is called.
    llm_url: str | None = None
    llm_model: str | None = None
    llm_api: Literal["completion", "chat"] = "completion"  # which prompt files and endpoint the LLM gets
    llm_timeout: float = 120.0  # seconds to wait for a server's answer (connecting: at most 10)
    llm_retries: int = 2  # retries of a failed server call, with exponential backoff
    judge: Literal["verifier", "llm"] = "verifier"  # "llm": the LLM judges each claim and source too
    nli: str | None = None  # optional sequence-classification verifier: hub id or path
    supported_threshold: float | None = None  # None: the calibrated one
    # A written summary (abstractive) keeps only the sentences whose every claim some source supports.
    supported_only: bool = False
    allow_private_urls: bool = False
    model_kwargs: dict = field(default_factory=dict)


@dataclass
class RemovedSentence:
    """A sentence of a written summary left out because some of its claims no source supports."""

    text: str
    claims: list[str]  # the claims no source supports
    labels: list[Label]  # their labels ("unsupported" or "contradicted")
    reasons: list[str]  # the verifier's reasons, in words


@dataclass
class Report:
    sources: list[Source]
    summary: str
    summary_origin: Literal["extractive", "abstractive", "user"]
    claims: list[Claim]
    conflicts: list[Conflict]
    settings: CheckSettings
    warnings: list[str] = field(default_factory=list)
    schema_version: str = SCHEMA_VERSION
    summary_model: str = ""  # the LLM that wrote an abstractive summary, and how it ran
    judge_model: str = ""  # the LLM that judged the claims with CheckSettings.judge == "llm"
    removed: list[RemovedSentence] = field(default_factory=list)  # with CheckSettings.supported_only
    filtered_from: str = ""  # the summary as written, when supported_only removed some of it

    def to_dict(self) -> dict:
        return asdict(self)

    def source(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        raise KeyError(source_id)
