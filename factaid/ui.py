"""The factaid web app: give sources, get a summary whose every claim is linked to its evidence.

A thin Gradio front end over ``factaid.check`` and ``factaid.render``; the HTML views live in
``ui_render``. Models are cached by ``factaid.models``, so every session shares one copy.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

import gradio as gr

from . import ingest, ui_render
from .errors import FactaidError, InputError
from .pipeline import check
from .report import render
from .types import CheckSettings, Report, Source

log = logging.getLogger(__name__)

SOURCE_SLOTS = 8
KINDS = ("Text", "File", "URL")
FIELDS_PER_SLOT = 5  # kind, title, text, file, url
WRITE, CHECK = "Let factaid write the summary", "Check my own summary"
EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
# Where the app listens unless told otherwise: Gradio's defaults, and its variables to change them.
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 7860
HOST_VARIABLE, PORT_VARIABLE = "GRADIO_SERVER_NAME", "GRADIO_SERVER_PORT"
_DOWNLOADS = Path(tempfile.gettempdir()) / "factaid-ui"
_DOWNLOAD_MAX_AGE_S = 3600


@dataclass
class Slot:
    column: gr.Column
    kind: gr.Radio
    title: gr.Textbox
    text: gr.Textbox
    file: gr.File
    url: gr.Textbox

    def fields(self) -> list[gr.components.Component]:
        return [self.kind, self.title, self.text, self.file, self.url]


# ---------------------------------------------------------------- sources
def _slot_visibility(count: int) -> list[dict]:
    return [gr.update(visible=i < count) for i in range(SOURCE_SLOTS)]


def _add_source(count: int) -> list:
    count = min(count + 1, SOURCE_SLOTS)
    return [count, *_slot_visibility(count)]


def _remove_source(count: int) -> list:
    count = max(count - 1, 1)
    return [count, *_slot_visibility(count)]


def _kind_visibility(kind: str) -> list[dict]:
    return [gr.update(visible=kind == k) for k in KINDS]


def _example_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.txt"))[:SOURCE_SLOTS] if folder.is_dir() else []


def _load_folder(folder: Path) -> list:
    """Fill the first slots with the folder's .txt files as pasted text (titled by their headline)."""
    files = _example_files(folder)
    if not files:
        raise gr.Error(f"no example texts found in {folder}")
    updates: list = [len(files), *_slot_visibility(len(files))]
    for i in range(SOURCE_SLOTS):
        text = files[i].read_text(encoding="utf-8") if i < len(files) else ""
        text_field = gr.update(value=text, visible=True)
        updates += ["Text", "", text_field, None, gr.update(value="", visible=False)]
    return updates


def _document(number: int, kind: str, title: str, text: str, file: str | None, url: str) -> Source | None:
    """One slot as a Source, or None when the slot was left blank."""
    source_id = f"S{number}"
    if kind == "Text":
        if not (text or "").strip():
            return None
        # No title given: ingest takes the headline, as it does for files.
        source = ingest.from_text(text, source_id=source_id, title=title.strip() or None)
    elif kind == "File":
        if not file:
            return None
        source = ingest.load(str(file), source_id=source_id)
    else:
        if not (url or "").strip():
            return None
        source = ingest.load(url.strip(), source_id=source_id)
    return replace(source, title=title.strip()) if title.strip() else source


def _documents(count: int, values: list) -> list[Source]:
    documents = []
    for i in range(count):
        source = _document(len(documents) + 1, *values[i * FIELDS_PER_SLOT : (i + 1) * FIELDS_PER_SLOT])
        if source is not None:
            documents.append(source)
    if not documents:
        raise InputError("no source given: paste a text, upload a file or enter a URL (or load the example)")
    return documents


# ---------------------------------------------------------------- running a check
def _remove_old_downloads() -> None:
    """Delete download folders older than an hour; a concurrent check (or app) may delete one first."""
    for old in _DOWNLOADS.iterdir():
        try:
            expired = time.time() - old.stat().st_mtime > _DOWNLOAD_MAX_AGE_S
        except FileNotFoundError:  # swept by another run between iterdir() and stat()
            continue
        if expired:
            shutil.rmtree(old, ignore_errors=True)


def _write_downloads(report: Report) -> list[str]:
    """The report as JSON, Markdown and HTML in a fresh temp folder; folders older than an hour go."""
    _DOWNLOADS.mkdir(exist_ok=True)
    _remove_old_downloads()
    folder = _DOWNLOADS / uuid.uuid4().hex
    folder.mkdir()
    paths = []
    for fmt, suffix in (("json", "json"), ("md", "md"), ("html", "html")):
        path = folder / f"factaid-report.{suffix}"
        path.write_text(render(report, fmt), encoding="utf-8")
        paths.append(str(path))
    return paths


def _status(report: Report) -> str:
    counts = {status: 0 for status in ui_render.STATUS_TEXT}
    for claim in report.claims:
        counts[ui_render.claim_status(claim, len(report.sources))] += 1
    parts = [f"{n} {ui_render.STATUS_TEXT[s]}" for s, n in counts.items() if n]
    head = f"**Checked {len(report.claims)} claims against {len(report.sources)} sources:**"
    lines = [f"{head} {', '.join(parts)}."]
    if report.summary_model:
        lines.append(f"- summary written by {report.summary_model}")
    if report.judge_model:
        lines.append(f"- claims judged by the verifier and the LLM judge {report.judge_model}")
    lines += [f"- warning: {w}" for w in report.warnings]
    return "\n".join(lines)


def _results(report: Report) -> list:
    """Every result view for a finished report, the first claim selected."""
    n_sources = len(report.sources)
    choices = [ui_render.claim_choice(claim, n_sources) for claim in report.claims]
    selected = 0 if choices else None
    return [
        report,
        _status(report),
        ui_render.legend_html() + ui_render.summary_html(report),
        gr.update(choices=choices, value=choices[0] if choices else None),
        ui_render.claim_detail_html(report, selected),
        ui_render.sources_html(report, selected),
        ui_render.agreement_html(report),
        ui_render.conflicts_html(report),
        _write_downloads(report),
    ]


def _settings(
    mode: str,
    sentences: float,
    override: bool,
    threshold: float,
    top_k: float,
    llm_url: str = "",
    llm_model: str = "",
    llm_api: str = "completion",
    judge: str = "verifier",
) -> CheckSettings:
    llm_url, llm_model = (llm_url or "").strip(), (llm_model or "").strip()
    if bool(llm_url) != bool(llm_model):
        raise InputError("give both the LLM server's URL and a model name it serves, or neither")
    return CheckSettings(
        mode=mode,
        summary_sentences=int(sentences),
        top_k=int(top_k),
        supported_threshold=float(threshold) if override else None,
        llm_url=llm_url or None,
        llm_model=llm_model or None,
        llm_api=llm_api or "completion",
        judge=judge or "verifier",
    )


class _Stopped(Exception):
    """Raised from the progress callback when the user pressed Stop, to end the pipeline early."""


# Pages with a check in a worker thread, and those whose user pressed Stop meanwhile. Gradio's cancel
# drops a queued run and the page's pending result, but a started thread runs on unless the pipeline is
# told to stop: it checks at each stage boundary through the progress callback.
_running: set[str] = set()
_stop_requested: set[str] = set()


def request_stop(session: str) -> None:
    """Event handler of the Stop button; ``session`` is the page's own random token."""
    if session in _running:  # a Stop pressed while idle must not stop the next run
        _stop_requested.add(session)


def _progress_callback(progress: gr.Progress, session: str):
    def report(fraction: float, message: str) -> None:
        if session in _stop_requested:
            raise _Stopped
        progress(fraction, desc=message)

    return report


def _failure(message: str) -> list:
    return [gr.skip(), message, *[gr.skip()] * 7]


def run_check(session: str, count: int, *values, progress: gr.Progress = gr.Progress()) -> list:  # noqa: B008
    """Event handler of the Run button: inputs are the slot fields, then the summary and advanced settings."""
    n_slot_fields = SOURCE_SLOTS * FIELDS_PER_SLOT
    slot_values = list(values[:n_slot_fields])
    choice, mode, sentences, user_summary, *advanced = values[n_slot_fields:]
    _running.add(session)  # one run per page at a time: Button.click's trigger_mode is "once"
    try:
        documents = _documents(int(count), slot_values)
        summary = user_summary if choice == CHECK else None
        settings = _settings(mode, sentences, *advanced)
        on_progress = _progress_callback(progress, session)
        report = check(documents, summary, settings, progress=on_progress)
        return _results(report)  # inside the try: a failure while rendering is reported too
    except _Stopped:
        log.info("check stopped by the user")
        return _failure("**Stopped.**")
    except FactaidError as error:
        gr.Warning(str(error))
        return _failure(f"**Error:** {error}")
    except Exception as error:  # a bug must still reach the user as a message, never a traceback
        log.exception("check failed")
        gr.Warning(f"internal error: {type(error).__name__}")
        return _failure(f"**Internal error** ({type(error).__name__}): {error}")
    finally:
        _running.discard(session)
        _stop_requested.discard(session)


def select_claim(report: Report | None, index: int | None) -> list[str]:
    """Event handler of the claim picker: the claim's detail and its evidence in every source."""
    if report is None or index is None:
        return [ui_render.claim_detail_html(report, None), gr.skip()] if report else [gr.skip(), gr.skip()]
    return [ui_render.claim_detail_html(report, index), ui_render.sources_html(report, index)]


# ---------------------------------------------------------------- layout
def _source_slots() -> list[Slot]:
    slots = []
    with gr.Row(elem_id="source-slots"):
        for i in range(SOURCE_SLOTS):
            with gr.Column(min_width=320, visible=i < 2, elem_id=f"slot-{i}") as column:
                gr.Markdown(f"**Source {i + 1}**")
                kind = gr.Radio(list(KINDS), value="Text", show_label=False, elem_id=f"kind-{i}")
                title = gr.Textbox(label="Title (optional)", elem_id=f"title-{i}")
                text = gr.Textbox(label="Text", lines=6, max_lines=14, elem_id=f"text-{i}")
                file = gr.File(
                    label="File (.txt, .md, .html)",
                    file_types=[".txt", ".md", ".html", ".htm"],
                    visible=False,
                    elem_id=f"file-{i}",
                )
                url = gr.Textbox(label="URL", placeholder="https://...", visible=False, elem_id=f"url-{i}")
            kind.change(_kind_visibility, kind, [text, file, url], queue=False)
            slots.append(Slot(column, kind, title, text, file, url))
    return slots


def _summary_inputs() -> list[gr.components.Component]:
    choice = gr.Radio([WRITE, CHECK], value=WRITE, show_label=False, elem_id="summary-choice")
    with gr.Row():
        mode = gr.Radio(["extractive", "abstractive"], value="extractive", label="Summary mode")
        sentences = gr.Slider(1, 12, value=CheckSettings.summary_sentences, step=1, label="Summary length")
    user_summary = gr.Textbox(label="Summary to check", lines=4, visible=False, elem_id="user-summary")
    choice.change(
        lambda c: [gr.update(visible=c == WRITE)] * 2 + [gr.update(visible=c == CHECK)],
        choice,
        [mode, sentences, user_summary],
        queue=False,
    )
    with gr.Accordion("Advanced", open=False):
        override = gr.Checkbox(label="Override the calibrated 'supported' threshold", value=False)
        threshold = gr.Slider(0.0, 1.0, value=0.5, step=0.01, label="Supported threshold")
        top_k = gr.Slider(1, 10, value=CheckSettings.top_k, step=1, label="Evidence sentences (top-k)")
        gr.Markdown(
            "An OpenAI-compatible LLM server (Ollama, vLLM, llama.cpp's server, LM Studio) to write the "
            "summary and judge claims, instead of the bundled model; its API key comes from "
            "`FACTAID_LLM_API_KEY` or `OPENAI_API_KEY` where the app runs."
        )
        with gr.Row():
            llm_url = gr.Textbox(
                label="LLM server URL", placeholder="http://127.0.0.1:11434/v1", elem_id="llm-url"
            )
            llm_model = gr.Textbox(label="LLM model name", placeholder="llama3.2", elem_id="llm-model")
        llm_api = gr.Radio(
            [("document to complete (base models too)", "completion"), ("chat instruction", "chat")],
            value="completion",
            label="LLM prompts",
            elem_id="llm-api",
        )
        judge = gr.Radio(
            [("built-in verifier", "verifier"), ("LLM judge too (its usable answers decide)", "llm")],
            value="verifier",
            label="Judge",
            elem_id="judge",
        )
    advanced = [override, threshold, top_k, llm_url, llm_model, llm_api, judge]
    return [choice, mode, sentences, user_summary, *advanced]


def _result_views() -> list[gr.components.Component]:
    status = gr.Markdown("Give one or more sources, then press **Run check**.", elem_id="status")
    summary = gr.HTML(elem_id="summary-view", js_on_load=ui_render.SELECT_ON_CLICK_JS)
    picker = gr.Radio([], type="index", label="Select a claim to see its evidence", elem_id="claim-picker")
    detail = gr.HTML(elem_id="claim-detail")
    sources = gr.HTML(elem_id="sources-view")
    with gr.Accordion("Agreement: claims x sources", open=True):
        agreement = gr.HTML(elem_id="agreement")
    with gr.Accordion("Conflicts between sources", open=True):
        conflicts = gr.HTML(elem_id="conflicts")
    downloads = gr.File(label="Download the report", file_count="multiple", elem_id="downloads")
    return [status, summary, picker, detail, sources, agreement, conflicts, downloads]


def _source_controls(count: gr.State, slots: list[Slot]) -> None:
    columns = [slot.column for slot in slots]
    fields = [field for slot in slots for field in slot.fields()]
    with gr.Row():
        add = gr.Button("Add source", size="sm", elem_id="add-source")
        remove = gr.Button("Remove last source", size="sm", elem_id="remove-source")
        example = gr.Button("Load the bundled example", size="sm", elem_id="load-example")
    add.click(_add_source, count, [count, *columns], queue=False)
    remove.click(_remove_source, count, [count, *columns], queue=False)
    example.click(lambda: _load_folder(EXAMPLES_DIR), None, [count, *columns, *fields], queue=False)


def build_app() -> gr.Blocks:
    """The Blocks app; call ``.launch(css=ui_render.CSS)`` or use ``launch``/``main``."""
    with gr.Blocks(title="factaid", analytics_enabled=False) as app:  # offline tool: no telemetry
        gr.Markdown(
            "# factaid\nGive one or more sources; factaid writes a summary (or checks yours) and "
            "links every claim to the sentences that support or contradict it."
        )
        session = gr.State(lambda: uuid.uuid4().hex)  # one token per page, to route Stop to its run
        count = gr.State(2)
        report = gr.State(None)
        slots = _source_slots()
        _source_controls(count, slots)
        settings = _summary_inputs()
        with gr.Row():
            run = gr.Button("Run check", variant="primary", elem_id="run")
            stop = gr.Button("Stop", variant="stop", elem_id="stop")
        status, summary, picker, detail, sources, agreement, conflicts, downloads = _result_views()
        inputs = [session, count, *[field for slot in slots for field in slot.fields()], *settings]
        outputs = [report, status, summary, picker, detail, sources, agreement, conflicts, downloads]
        run_event = run.click(run_check, inputs, outputs, show_progress_on=[status], api_name="check")
        stop.click(request_stop, session, None, cancels=[run_event], queue=False)
        # A separate listener: outputs on the cancelling one would be flagged "Error" by Gradio.
        stop.click(lambda: "**Stopped.**", None, status, queue=False)
        picker.input(select_claim, [report, picker], [detail, sources])
    return app


def server_address(host: str | None = None, port: int | None = None) -> tuple[str, int]:
    """Where to listen: ``host`` and ``port`` when given, else Gradio's ``GRADIO_SERVER_NAME`` and
    ``GRADIO_SERVER_PORT``, else 127.0.0.1:7860."""
    host = host or os.environ.get(HOST_VARIABLE, "").strip() or DEFAULT_HOST
    if port is None:
        value = os.environ.get(PORT_VARIABLE, "").strip()
        try:
            port = int(value) if value else DEFAULT_PORT
        except ValueError:
            raise InputError(f"{PORT_VARIABLE}={value!r} is not a port number") from None
    if not 0 < port < 65536:
        raise InputError(f"port {port} is not between 1 and 65535")
    return host, port


def launch(host: str | None = None, port: int | None = None, concurrency: int = 2, **kwargs) -> gr.Blocks:
    """Build, queue and launch the app on ``server_address(host, port)``; ``kwargs`` go to
    ``Blocks.launch`` (e.g. prevent_thread_lock)."""
    host, port = server_address(host, port)
    app = build_app()
    # One shared model cache, a few checks at a time: more would only split the same CPU cores.
    app.queue(default_concurrency_limit=concurrency)
    app.launch(server_name=host, server_port=port, css=ui_render.CSS, **kwargs)
    return app


def main(host: str | None = None, port: int | None = None) -> None:
    """Serve the app until interrupted (``python app.py``, ``factaid serve``): on ``host``:``port`` when
    given, else on ``GRADIO_SERVER_NAME``:``GRADIO_SERVER_PORT``, else on 127.0.0.1:7860."""
    launch(host, port)
