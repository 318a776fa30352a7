"""Language models behind one small interface: a local model through llama.cpp or transformers, or any
OpenAI-compatible server (Ollama, vLLM, llama.cpp's server, LM Studio).

Every backend gets the same prompts (files in factaid/prompts/) and decodes greedily; a local model also
gets the same repetition penalty, on generated tokens only (``REPETITION_PENALTY``). Models load lazily,
once per process (``models``); a server's client is made once per server and model. The summary stage
and the LLM judge ask for a model with ``get_language_model(settings)`` and use only ``LanguageModel``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from importlib.resources import files
from string import Template
from typing import Protocol

import numpy as np

from . import models
from .errors import FactaidError, InputError, LLMError
from .types import CheckSettings

log = logging.getLogger(__name__)

Message = dict[str, str]  # {"role": "user" | "system" | "assistant", "content": ...}
OnText = Callable[[str], None]

REPETITION_PENALTY = 1.2  # divides a generated token's positive logit (multiplies a negative one)
API_KEY_VARIABLES = ("FACTAID_LLM_API_KEY", "OPENAI_API_KEY")
CONNECT_TIMEOUT_S = 10.0
# A server model's tokenizer is not at hand: its prompt budget counts about 4/3 tokens per word, as
# English text runs in the common BPE vocabularies.
TOKENS_PER_WORD = 4 / 3


class LanguageModel(Protocol):
    """What factaid asks of a language model."""

    name: str  # what it is and how it runs, as reports record it

    def count_tokens(self, text: str) -> int: ...

    def complete(
        self, prompt: str, max_tokens: int, stop: Sequence[str] = (), on_text: OnText | None = None
    ) -> str:
        """The continuation of ``prompt``, cut before the first of ``stop``; streamed to ``on_text``."""
        ...

    def chat(self, messages: list[Message], max_tokens: int) -> str:
        """The assistant's reply to ``messages``."""
        ...


def load_prompt(name: str) -> Template:
    """A prompt template shipped in the factaid.prompts package (factaid/prompts/)."""
    try:
        return Template(files("factaid.prompts").joinpath(name).read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise FactaidError(
            f"prompt file {name!r} is missing from factaid/prompts; reinstall factaid"
        ) from err


def prompt_for(api: str, completion_file: str, chat_file: str) -> Template:
    """The prompt an LLM API takes: a document to complete ("completion", which base models need) or an
    instruction ("chat")."""
    if api not in ("completion", "chat"):
        raise InputError(f"unknown llm_api {api!r}: use 'completion' or 'chat'")
    return load_prompt(chat_file if api == "chat" else completion_file)


def _cut_at(text: str, stop: Sequence[str]) -> int | None:
    """Where the first stop marker starts, ignoring leading whitespace (the text often starts with one)."""
    offset = len(text) - len(text.lstrip())
    found = [text.find(marker, offset) for marker in stop]
    found = [i for i in found if i >= 0]
    return min(found) if found else None


# ----------------------------------------------------------------------------- llama.cpp


class GeneratedTokenPenalty:
    """transformers' repetition penalty as a llama.cpp logits processor: only tokens generated since the
    first call are penalised. Penalising the prompt's tokens steers a small model away from the article's
    own names and into unrelated stories."""

    def __init__(self, penalty: float = REPETITION_PENALTY) -> None:
        self.penalty = penalty
        self.prompt_length: int | None = None

    def __call__(self, input_ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
        if self.prompt_length is None:
            self.prompt_length = len(input_ids)
        generated = np.unique(np.asarray(input_ids[self.prompt_length :], dtype=np.int64))
        if len(generated):
            chosen = scores[generated]
            scores[generated] = np.where(chosen > 0, chosen / self.penalty, chosen * self.penalty)
        return scores


class LlamaCppModel:
    """A GGUF model run by llama.cpp in this process. One llama.cpp context serves one call at a time, so
    concurrent checks (the app runs two) take turns.

    Every call reads its prompt afresh (``reset``): reusing the cache of an earlier prompt computes the
    last tokens one at a time, whose rounding differs from a whole batch's, and that changed the bundled
    Gemma's summary of the same documents from one check to the next (and would make one user's summary
    depend on another's check). Reading ~500 prompt tokens costs about 2 s on two busy cores."""

    def __init__(self, model, name: str) -> None:
        self.model = model
        self.name = name
        self._lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def complete(
        self, prompt: str, max_tokens: int, stop: Sequence[str] = (), on_text: OnText | None = None
    ) -> str:
        text = ""
        with self._lock:
            self.model.reset()
            chunks = self.model.create_completion(prompt, max_tokens=max_tokens, stream=True, **_greedy())
            for chunk in chunks:
                piece = chunk["choices"][0]["text"]
                text += piece
                if piece and on_text:
                    on_text(piece)
                if _cut_at(text, stop) is not None:
                    break
        cut = _cut_at(text, stop)
        return text if cut is None else text[:cut]

    def chat(self, messages: list[Message], max_tokens: int) -> str:
        with self._lock:
            self.model.reset()
            answer = self.model.create_chat_completion(messages, max_tokens=max_tokens, **_greedy())
        return answer["choices"][0]["message"]["content"] or ""


def _processors():
    """A fresh penalty per call: it learns the prompt's length on its first call."""
    from llama_cpp import LogitsProcessorList

    return LogitsProcessorList([GeneratedTokenPenalty()])


def _greedy() -> dict:
    """llama.cpp's decoding options: greedy, with the repetition penalty GeneratedTokenPenalty's (on
    generated tokens only, as transformers applies it) instead of llama.cpp's own."""
    return {"temperature": 0.0, "repeat_penalty": 1.0, "logits_processor": _processors()}


# ----------------------------------------------------------------------------- transformers


class TransformersModel:
    """A causal LM run by transformers (a hub id, a folder, or a bundled GGUF dequantized once)."""

    def __init__(self, tokenizer, model, name: str) -> None:
        self.tokenizer = tokenizer
        self.model = model
        self.name = name

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def complete(
        self,
        prompt: str,
        max_tokens: int,
        stop: Sequence[str] = (),
        on_text: OnText | None = None,
        **generate_kwargs,
    ) -> str:
        import torch
        from transformers import LogitsProcessorList, RepetitionPenaltyLogitsProcessor, StoppingCriteriaList

        inputs = self.tokenizer(prompt, return_tensors="pt")
        prompt_length = inputs["input_ids"].shape[1]
        # The penalty must skip the prompt (see GeneratedTokenPenalty).
        penalty = RepetitionPenaltyLogitsProcessor(REPETITION_PENALTY, prompt_ignore_length=prompt_length)
        options = {
            "max_new_tokens": max_tokens,
            "do_sample": False,
            "logits_processor": LogitsProcessorList([penalty]),
            "stopping_criteria": StoppingCriteriaList([_StopOnText(self.tokenizer, prompt_length, stop)]),
            "streamer": _CallbackStreamer(self.tokenizer, on_text) if on_text else None,
            "pad_token_id": self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
        }
        options.update(generate_kwargs)
        with torch.inference_mode():
            output = self.model.generate(**inputs, **options)
        text = self.tokenizer.decode(output[0, prompt_length:], skip_special_tokens=True)
        cut = _cut_at(text, stop)
        return text if cut is None else text[:cut]

    def chat(self, messages: list[Message], max_tokens: int) -> str:
        if getattr(self.tokenizer, "chat_template", None):
            prompt = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        else:  # a base model without a chat template: the conversation as plain text
            turns = [f"{m['role'].capitalize()}: {m['content']}" for m in messages]
            prompt = "\n\n".join([*turns, "Assistant:"])
        return self.complete(prompt, max_tokens)


def _StopOnText(tokenizer, prompt_length: int, stop: Sequence[str]):  # noqa: N802 - a class factory
    """Stop once the generated text holds a stop marker. Decoding the tail works with any tokenizer;
    transformers' ``stop_strings`` needs byte-level vocabularies."""
    import torch
    from transformers import StoppingCriteria

    class StopOnText(StoppingCriteria):
        def __call__(self, input_ids, scores, **kwargs) -> torch.BoolTensor:
            texts = tokenizer.batch_decode(input_ids[:, prompt_length:], skip_special_tokens=True)
            done = [_cut_at(text, stop) is not None for text in texts]
            return torch.tensor(done, dtype=torch.bool, device=input_ids.device)

    return StopOnText()


def _CallbackStreamer(tokenizer, callback: OnText):  # noqa: N802 - a class factory
    """A transformers TextStreamer that hands finished words to ``callback`` instead of printing."""
    from transformers import TextStreamer

    class CallbackStreamer(TextStreamer):
        def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
            if text:
                callback(text)

    return CallbackStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)


# ----------------------------------------------------------------------------- OpenAI-compatible server


def api_key() -> str:
    """The server's API key from the environment; local servers take any, and the client needs one."""
    for variable in API_KEY_VARIABLES:
        if os.environ.get(variable):
            return os.environ[variable]
    return "no-key"


class OpenAIServerModel:
    """A model served through the OpenAI API (completions and chat) at ``url``, the server's base URL.

    The openai client retries connection failures, timeouts, 429 and 5xx answers ``retries`` times with
    exponential backoff; every failure left becomes one LLMError naming the URL."""

    def __init__(self, url: str, model: str, timeout: float, retries: int) -> None:
        try:
            import openai
        except ImportError as err:
            raise LLMError(
                f"--llm-url needs the openai client ({err}), an optional extra: pip install 'factaid[llm]'"
            ) from err
        self.url, self.model_name = url, model
        self.name = f"{model} at {url}"
        self._openai = openai
        self.client = openai.OpenAI(
            base_url=url,
            api_key=api_key(),
            timeout=openai.Timeout(timeout, connect=min(CONNECT_TIMEOUT_S, timeout)),
            max_retries=retries,
        )

    def count_tokens(self, text: str) -> int:
        return round(len(text.split()) * TOKENS_PER_WORD)

    def _call(self, create, **request):
        key = api_key()
        client = self.client if key == self.client.api_key else self.client.with_options(api_key=key)
        openai = self._openai
        where = f"the LLM server at {self.url}"
        try:
            return create(client)(model=self.model_name, temperature=0.0, **request)
        except openai.APITimeoutError as err:
            raise LLMError(f"{where} did not answer in time ({err}); raise --llm-timeout") from err
        except openai.APIConnectionError as err:
            raise LLMError(f"cannot reach {where} ({_cause(err)}): is the server running?") from err
        except openai.AuthenticationError as err:
            raise LLMError(
                f"{where} refused the API key (status {err.status_code}); set FACTAID_LLM_API_KEY"
            ) from err
        except openai.NotFoundError as err:
            raise LLMError(
                f"{where} does not know model {self.model_name!r} (status 404: {_message(err)}); check "
                "--llm-model and that the URL is the server's base (it usually ends in /v1)"
            ) from err
        except openai.APIStatusError as err:
            raise LLMError(f"{where} answered status {err.status_code}: {_message(err)}") from err
        except (openai.OpenAIError, ValueError, TypeError) as err:  # a body that is not an API answer
            raise LLMError(f"{where} answered something that is not an OpenAI API answer ({err})") from err

    def _text(self, answer, field: str) -> str:
        """The first choice's text, or an LLMError when the answer is not shaped as the API says."""
        try:
            choice = answer.choices[0]
            text = choice.text if field == "text" else choice.message.content
        except (AttributeError, IndexError, KeyError, TypeError):
            text = None
        if not isinstance(text, str):
            shown = " ".join(str(answer).split())[:120]
            raise LLMError(
                f"the LLM server at {self.url} answered something that is not an OpenAI completion: {shown!r}"
            )
        return text

    def complete(
        self, prompt: str, max_tokens: int, stop: Sequence[str] = (), on_text: OnText | None = None
    ) -> str:
        answer = self._call(
            lambda client: client.completions.create,
            prompt=prompt,
            max_tokens=max_tokens,
            stop=list(stop)[:4] or None,  # the API takes up to four
        )
        text = self._text(answer, "text")
        cut = _cut_at(text, stop)
        text = text if cut is None else text[:cut]
        if on_text and text:
            on_text(text)
        return text

    def chat(self, messages: list[Message], max_tokens: int) -> str:
        answer = self._call(
            lambda client: client.chat.completions.create, messages=messages, max_tokens=max_tokens
        )
        return self._text(answer, "message")


def _cause(err: Exception) -> str:
    while err.__cause__ is not None:
        err = err.__cause__
    return " ".join(str(err).split()) or type(err).__name__


def _message(err) -> str:
    body = getattr(err, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        found = inner.get("message") if isinstance(inner, dict) else inner
        if found:
            return " ".join(str(found).split())[:200]
    return " ".join(str(err).split())[:200]


# ----------------------------------------------------------------------------- choosing a backend


def engine(settings: CheckSettings) -> str:
    """Which backend ``settings`` name: "server", "llama.cpp" or "transformers"."""
    if settings.llm_url:
        return "server"
    if settings.llm_engine not in ("auto", "llama.cpp", "transformers"):
        raise InputError(f"unknown llm_engine {settings.llm_engine!r}: use auto, llama.cpp or transformers")
    if settings.llm_engine != "auto":
        return settings.llm_engine
    if not models.is_gguf(settings.llm):
        return "transformers"
    if models.llama_cpp_installed():
        return "llama.cpp"
    log.warning(
        "reading %s with transformers (dequantized, slower to load); pip install 'factaid[llm]' runs it "
        "with llama.cpp, faster",
        settings.llm,
    )
    return "transformers"


def get_language_model(settings: CheckSettings) -> LanguageModel:
    """The language model ``settings`` name, loaded (or connected) once per process."""
    chosen = engine(settings)
    if chosen == "server":
        if not settings.llm_model:
            raise InputError("--llm-url needs --llm-model: the name of a model the server serves")
        if not settings.llm_url.startswith(("http://", "https://")):
            raise InputError(f"--llm-url {settings.llm_url!r} is not an http(s) URL")
        if settings.llm_timeout <= 0 or settings.llm_retries < 0:
            raise InputError("--llm-timeout must be positive and the retries at least 0")
        return _server(
            settings.llm_url.rstrip("/"), settings.llm_model, settings.llm_timeout, settings.llm_retries
        )
    if chosen == "llama.cpp":
        return _llama_cpp(settings.llm)
    return _transformers(settings.llm)


@models._load_once
def _server(url: str, model: str, timeout: float, retries: int) -> OpenAIServerModel:
    return OpenAIServerModel(url, model, timeout, retries)


@models._load_once
def _llama_cpp(name: str) -> LlamaCppModel:
    path = models.gguf_path(name)
    context = models.MODELS[name].max_tokens if name in models.MODELS else 2048
    return LlamaCppModel(models.get_llama_cpp(str(path), context), f"{name} (llama.cpp)")


@models._load_once
def _transformers(name: str) -> TransformersModel:
    tokenizer, model = models.get_llm(name)
    return TransformersModel(tokenizer, model, f"{name} (transformers)")
