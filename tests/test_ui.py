"""The web app: HTML views (fast) and the running app driven by headless Chromium (slow).

Browser tests need Debian's Chromium at /usr/bin/chromium (``apt-get install chromium``); set
FACTAID_SCREENSHOT=1 to write the screenshot to docs/screenshot.png instead of a temp folder.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from processes import stop

import factaid
from factaid import cli, ui_render
from factaid.types import CheckSettings, Claim, Evidence, Report, Source, SourceSupport, Span

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOSTILE = '<script>window.__pwned=1</script> and <img src=x onerror="window.__pwned=1">'


def _report(source_texts: list[str], summary: str, claim_end: int, supported_by: list[str]) -> Report:
    """A report whose one claim is the summary prefix and whose evidence is each source's first sentence."""
    sources, support = [], []
    for number, text in enumerate(source_texts, start=1):
        end = text.index(".") + 1
        evidence = Evidence(f"S{number}", 0, Span(0, end), text[:end], 0.87)
        sources.append(Source(f"S{number}", f"Source {number}", "text", text))
        support.append(SourceSupport(f"S{number}", "supported", 0.9, [evidence], ["numbers agree"]))
    claim = Claim(
        0, summary[:claim_end], Span(0, claim_end), "supported", 0.9, supported_by, [], [], support, ["ok"]
    )
    return Report(sources, summary, "user", [claim], [], CheckSettings())


# ---------------------------------------------------------------- fast: settings
def test_advanced_panel_takes_an_llm_server_and_the_judge():
    from factaid import ui
    from factaid.errors import InputError

    url = "http://127.0.0.1:11434/v1"
    settings = ui._settings("abstractive", 3, False, 0.5, 3, f" {url} ", "llama3.2", "chat", "llm")
    assert (settings.llm_url, settings.llm_model, settings.llm_api, settings.judge) == (
        url,
        "llama3.2",
        "chat",
        "llm",
    )
    defaults = ui._settings("extractive", 5, False, 0.5, 3, "", "", "completion", "verifier")
    assert defaults.llm_url is None and defaults.llm_model is None and defaults.judge == "verifier"
    with pytest.raises(InputError, match="both the LLM server's URL and a model name"):
        ui._settings("extractive", 5, False, 0.5, 3, url, "", "completion", "verifier")


# ---------------------------------------------------------------- fast: HTML views
def test_highlighted_text_escapes_and_marks_the_span():
    text = f"Ten wagons fell. {HOSTILE} Rest."
    start = text.index("Ten")
    evidence = Evidence("S1", 0, Span(start, start + 16), text[:16], 0.5)
    html = ui_render.highlighted_text(text, [evidence], lambda _: "supported")
    assert '<mark class="fa-ev fa-ev-supported" data-score="0.50"' in html
    assert ">Ten wagons fell.</mark>" in html
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html


def test_summary_html_colours_claims_and_flags_single_source_support():
    sources = ["Ten wagons fell. More.", "Ten wagons fell. Less."]
    summary = "Ten <b>wagons</b> fell. Tail <i>text</i>."
    one = ui_render.summary_html(_report(sources, summary, 23, ["S1", "S2"]))
    single = ui_render.summary_html(_report(sources, summary, 23, ["S2"]))
    assert 'class="fa-claim fa-st-supported" data-claim="0"' in one
    assert 'class="fa-claim fa-st-single" data-claim="0"' in single
    assert "Ten &lt;b&gt;wagons&lt;/b&gt; fell.<sup>1</sup></span> Tail &lt;i&gt;text&lt;/i&gt;." in one
    assert 'title="Claim 1: supported by one source only (support probability 0.90)"' in single


def test_a_claim_one_source_supports_and_another_contradicts_is_shown_disputed():
    sources = [
        factaid.ingest.from_text(text, source_id=f"S{n}")
        for n, text in enumerate(
            (
                "The Lenne bridge reopened on Monday after three weeks of repairs. Traffic was light.",
                "The Lenne bridge reopened on Tuesday, the council said. Repairs go on.",
            ),
            start=1,
        )
    ]
    report = factaid.check(sources, summary="The Lenne bridge reopened on Monday.")
    claim = report.claims[0]
    assert claim.label == "supported" and claim.contradicted_by == ["S2"], claim
    assert ui_render.claim_status(claim, 2) == "disputed"
    assert 'class="fa-claim fa-st-disputed" data-claim="0"' in ui_render.summary_html(report)
    assert "⚖️ **disputed: sources disagree**" in factaid.render(report, "md")


def test_a_contradicting_source_marks_only_the_sentence_that_conflicts():
    text = (
        "The Lenne bridge will reopen on Friday, the council said. Repairs began three weeks ago. "
        "Some 9,000 cars a day crossed the bridge before it closed."
    )
    report = factaid.check([text], summary="The Lenne bridge will reopen on Monday.")
    (support,) = report.claims[0].support
    source = report.sources[0]
    assert support.label == "contradicted" and len(support.evidence) > 1, support
    assert support.conflicting == [0], support
    conflicting = source.sentences[0].text
    html = ui_render.sources_html(report, 0)
    marked = re.findall(r'<mark class="fa-ev fa-ev-(\w+)"[^>]*>([^<]*)</mark>', html)
    assert marked[0] == ("contradicted", conflicting)  # the sentences in document order
    assert [status for status, _ in marked[1:]] == ["context"] * (len(support.evidence) - 1)
    assert (
        "contradicted, support probability 0." in html
        and "red where it conflicts with the claim, grey" in html
    )
    markdown = factaid.render(report, "md")
    assert f"conflicts] > {conflicting}" in markdown
    assert markdown.count("conflicts] >") == 1


def test_one_source_support_is_plain_supported_when_only_one_source():
    report = _report(["Ten wagons fell."], "Ten wagons fell.", 16, ["S1"])
    assert ui_render.claim_status(report.claims[0], 1) == "supported"


def test_sources_html_marks_each_sources_evidence():
    sources = ["Ten wagons fell. More.", f"Ten wagons fell. {HOSTILE}"]
    report = _report(sources, "Ten wagons fell.", 16, ["S1"])
    html = ui_render.sources_html(report, 0)
    assert html.count("<mark ") == 2 and html.count(">Ten wagons fell.</mark>") == 2
    assert "<script" not in html and "&lt;img src=x" in html
    assert "<mark " not in ui_render.sources_html(report, None)


# ---------------------------------------------------------------- the app, built but not launched
def test_the_app_has_no_development_only_controls():
    from factaid import ui

    config = ui.build_app().config
    buttons = [c["props"].get("value") for c in config["components"] if c["type"] == "button"]
    assert "Load the bundled example" in buttons  # the config holds hidden components too
    text = json.dumps(config, default=str)
    assert "Load ../shared" not in text and "load-shared" not in text, buttons


def test_serve_address_comes_from_flags_then_gradios_variables_then_the_defaults(monkeypatch):
    import gradio as gr

    from factaid import ui

    bound = []
    monkeypatch.setattr(
        gr.Blocks, "launch", lambda self, **kw: bound.append((kw["server_name"], kw["server_port"]))
    )
    monkeypatch.delenv("GRADIO_SERVER_NAME", raising=False)
    monkeypatch.delenv("GRADIO_SERVER_PORT", raising=False)
    assert ui.server_address() == ("127.0.0.1", 7860)
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "7999")
    assert ui.server_address() == ("0.0.0.0", 7999)
    assert ui.server_address("localhost", 8001) == ("localhost", 8001)

    assert cli.main(["serve"]) == 0
    assert cli.main(["serve", "--host", "127.0.0.2", "--port", "8002"]) == 0
    assert cli.main(["serve", "--port", "8003"]) == 0
    assert bound == [("0.0.0.0", 7999), ("127.0.0.2", 8002), ("0.0.0.0", 8003)]

    monkeypatch.setenv("GRADIO_SERVER_PORT", "seventy")
    with pytest.raises(factaid.InputError, match="GRADIO_SERVER_PORT='seventy' is not a port number"):
        ui.server_address()
    assert cli.main(["serve"]) == 2 and len(bound) == 3  # an error message, not a traceback


# ---------------------------------------------------------------- slow: the app served
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_app_py_serves_on_gradios_server_port(tmp_path):
    port = _free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env.pop("GRADIO_SERVER_NAME", None)
    log = tmp_path / "app.log"
    with log.open("wb") as out:
        app = subprocess.Popen(
            [sys.executable, str(REPO / "app.py")],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via an http_proxy
    try:
        deadline = time.monotonic() + 120
        while True:
            assert app.poll() is None, f"app.py exited with {app.returncode}:\n{log.read_text()[-3000:]}"
            try:
                with direct.open(f"http://127.0.0.1:{port}/config", timeout=5) as response:
                    config = json.load(response)
                break
            except OSError as err:
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"nothing answered on port {port} in 120 s ({err}):\n{log.read_text()[-3000:]}"
                    )
                time.sleep(0.5)
        assert config["title"] == "factaid"
    finally:
        stop(app, timeout=30)


# ---------------------------------------------------------------- slow: the app in a browser


@pytest.fixture(scope="module")
def app_url():
    from factaid import ui

    port = _free_port()
    app = ui.launch(port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    app.close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app_url):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(app_url)
    page.wait_for_selector("#run")
    yield page
    page.close()


def _run_and_wait(page) -> None:
    page.click("#run")
    page.wait_for_function(
        "() => document.querySelector('#summary-view .fa-claim[data-claim]')"
        " || /Error/.test(document.querySelector('#status')?.innerText || '')",
        timeout=240_000,
    )


@pytest.mark.slow
def test_example_check_highlights_the_selected_claims_evidence(page, tmp_path):
    page.click("#load-example")
    page.wait_for_function("() => document.querySelector('#text-1 textarea')?.value.includes('Brenmoor')")
    _run_and_wait(page)
    assert "Checked" in page.inner_text("#status")
    assert page.locator("#summary-view .fa-legend").count() == 1
    claims = page.locator("#claim-picker label")
    assert claims.count() >= 2
    claims.nth(1).click()
    page.wait_for_function("() => document.querySelector('#claim-detail')?.innerText.includes('Claim 2')")
    page.click("#summary-view [data-claim='0']")  # clicking a claim in the summary selects it too
    page.wait_for_function("() => document.querySelector('#claim-detail')?.innerText.includes('Claim 1')")

    marks = page.locator("#sources-view mark.fa-ev")
    assert marks.count() >= 2
    panels = page.locator("#sources-view .fa-source")
    assert panels.count() == 2
    for i in range(2):  # every source shows its evidence, highlighted inside its own full text
        panel = panels.nth(i)
        assert panel.locator("mark.fa-ev").count() >= 1
        marked = panel.locator("mark.fa-ev").first.inner_text()
        assert marked.strip() and marked in panel.locator(".fa-text").inner_text()
        assert 0.0 <= float(panel.locator("mark.fa-ev").first.get_attribute("data-score")) <= 1.0
    assert page.locator("#agreement table tr").count() == claims.count() + 1
    links = page.locator("#downloads a[href*='factaid-report']")
    hrefs = sorted({links.nth(i).get_attribute("href") for i in range(links.count())})
    assert sorted(Path(h).suffix for h in hrefs) == [".html", ".json", ".md"]
    downloaded = page.request.get(next(h for h in hrefs if h.endswith(".json")))
    assert downloaded.ok and downloaded.json()["summary"]

    shot = REPO / "docs" / "screenshot.png" if os.environ.get("FACTAID_SCREENSHOT") else tmp_path / "ui.png"
    shot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


@pytest.mark.slow
def test_markup_in_a_source_is_shown_as_text_and_never_runs(page):
    document = (
        "The council met on Monday in Harlow. "
        f"A resident pasted this into the minutes: {HOSTILE} and nobody noticed. "
        "The council approved the new library budget of 2 million euros."
    )
    page.fill("#text-0 textarea", document)
    page.locator("#summary-choice label", has_text="Check my own summary").click()
    page.fill("#user-summary textarea", f"The council approved a library budget. {HOSTILE}")
    _run_and_wait(page)
    page.wait_for_selector("#sources-view .fa-text")
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    shown = page.inner_text("#sources-view")  # ingest reads pasted text as Markdown: "__" may go
    assert "<script>window." in shown and "</script>" in shown and '<img src=x onerror="window.' in shown
    assert "<script>window.__pwned=1</script>" in page.inner_text("#summary-view")
    assert page.locator("#sources-view script, #sources-view img, #summary-view img").count() == 0


@pytest.mark.slow
def test_empty_input_shows_a_message_not_a_traceback(page):
    page.click("#run")
    page.wait_for_function("() => /Error/.test(document.querySelector('#status')?.innerText || '')")
    status = page.inner_text("#status")
    assert "no source given" in status and "Traceback" not in status


def _upload(page, slot: int, path: Path) -> None:
    page.locator(f"#kind-{slot} label", has_text="File").click()
    page.set_input_files(f"#file-{slot} input[type=file]", str(path))
    page.wait_for_function(f"() => document.querySelector('#file-{slot}')?.innerText.includes('{path.stem}')")


@pytest.mark.slow
def test_uploaded_file_is_checked_and_a_binary_file_is_reported(page, tmp_path):
    _upload(page, 0, REPO / "factaid" / "examples" / "brenmoor_valley_post.txt")
    _run_and_wait(page)
    assert page.locator("#sources-view .fa-source").count() == 1  # the blank second slot is skipped
    assert "Wheat train comes off the rails" in page.inner_text("#sources-view h4")

    binary = tmp_path / "binary.txt"
    binary.write_bytes(bytes(range(256)) * 8)
    page.locator("#file-0 button[aria-label*='Clear'], #file-0 button[aria-label*='Remove']").first.click()
    _upload(page, 0, binary)
    page.click("#run")
    page.wait_for_function("() => /Error/.test(document.querySelector('#status')?.innerText || '')")
    status = page.inner_text("#status")
    assert "binary" in status and "Traceback" not in status


@pytest.mark.slow
def test_stop_cancels_a_running_check(page, caplog, monkeypatch):
    from factaid import ui

    # Hold the run at its start until Stop is pressed, so the stop lands mid-run on any machine speed.
    stop_pressed = threading.Event()

    def gated_check(documents, summary, settings, progress):
        progress(0.05, "held by the test")
        stop_pressed.wait(60)
        return factaid.check(documents, summary, settings, progress=progress)

    monkeypatch.setattr(ui, "check", gated_check)
    caplog.set_level(logging.INFO, logger="factaid.ui")
    page.click("#load-example")
    page.wait_for_function("() => document.querySelector('#text-1 textarea')?.value.includes('Brenmoor')")
    page.click("#run")
    page.wait_for_function("() => (document.querySelector('#status')?.innerText || '').includes('held by')")
    page.click("#stop")
    page.wait_for_function("() => document.querySelector('#status')?.innerText.includes('Stopped')")
    stop_pressed.set()
    for _ in range(300):  # the real pipeline notices Stop at its first stage and ends early
        if "check stopped by the user" in caplog.text:
            break
        page.wait_for_timeout(200)
    assert "check stopped by the user" in caplog.text
    page.wait_for_timeout(500)
    assert page.locator("#summary-view .fa-claim[data-claim]").count() == 0
    assert page.locator("#claim-picker input[type=radio]").count() == 0


@pytest.mark.slow
def test_a_refused_url_shows_a_message(page):
    page.locator("#kind-0 label", has_text="URL").click()
    page.fill("#url-0 input, #url-0 textarea", "http://127.0.0.1:9/private")
    page.click("#run")
    page.wait_for_function("() => /Error/.test(document.querySelector('#status')?.innerText || '')")
    status = page.inner_text("#status")
    assert "127.0.0.1" in status and "Traceback" not in status
