"""Ingestion: file decoding and refusals, HTML extraction, boilerplate removal, and the URL fetch policy.

URL tests run a real HTTP server on 127.0.0.1 in a thread; nothing leaves the machine.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from factaid import fetch, ingest
from factaid.errors import FetchError, InputError
from factaid.types import Source

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ingest"
EXAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "examples"
ARTICLE_HTML = (FIXTURES / "article.html").read_bytes()
SECRETS = ("SCRIPT_SECRET", "STYLE_SECRET", "IFRAME_SECRET", "font-family", "console.log")


# --- a local web server -----------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest output quiet
        pass

    def _send(self, status: int, content_type: str, body: bytes, length: bool = True, **headers) -> None:
        # The client hanging up early is what the cap and timeout tests ask for: not a server error.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            if length:
                self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self._send(302, "text/plain", b"moved", Location=location)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        port = self.server.server_address[1]
        routes = {
            "/article": lambda: self._send(200, "text/html; charset=utf-8", ARTICLE_HTML),
            "/plain": lambda: self._send(
                200, "text/plain; charset=latin-1", "Caf\xe9 prices rose.".encode("latin-1")
            ),
            "/redirect": lambda: self._redirect("/article"),
            "/redirect-private": lambda: self._redirect(f"http://127.0.0.2:{port}/article"),
            "/redirect-file": lambda: self._redirect("file:///etc/passwd"),
            "/loop": lambda: self._redirect("/loop"),
            "/huge": lambda: self._send(200, "text/html", b"<p>" + b"a" * 50_000 + b"</p>"),
            "/huge-unsized": lambda: self._send(200, "text/plain", b"word " * 10_000, length=False),
            "/image": lambda: self._send(200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),
            "/missing": lambda: self._send(404, "text/plain", b"not found"),
        }
        if self.path == "/slow":
            time.sleep(1.5)
            self._send(200, "text/plain", b"Too late to matter.")
            return
        routes.get(self.path, routes["/missing"])()


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def fetch_ok(url: str) -> Source:
    return ingest.load(url, source_id="S1", allow_private_urls=True)


# --- URLs -----------------------------------------------------------------------------------------


def test_loopback_url_is_refused_by_default(server):
    with pytest.raises(FetchError, match="loopback.*allow_private_urls"):
        ingest.load(f"{server}/article", source_id="S1")


def test_allowed_loopback_url_gives_main_text_without_scripts(server):
    source = fetch_ok(f"{server}/article")
    assert source.origin == f"{server}/article"
    assert source.title == "Harbour ferry service to resume in spring"
    assert "tickets would cost the same as before the pause." in source.text
    assert "\n\n" in source.text
    for secret in SECRETS:
        assert secret not in source.text


def test_redirect_is_followed_and_origin_is_final_url(server):
    assert fetch_ok(f"{server}/redirect").origin == f"{server}/article"


def test_text_plain_uses_the_declared_charset(server):
    assert fetch_ok(f"{server}/plain").text == "Café prices rose."


def test_redirect_to_a_refused_address_is_refused(server, monkeypatch):
    # Treat 127.0.0.1 as public so the first hop passes; 127.0.0.2 (also loopback) must still be refused.
    real = fetch.address_refusal
    monkeypatch.setattr(fetch, "address_refusal", lambda a: None if a == "127.0.0.1" else real(a))
    assert ingest.load(f"{server}/article", source_id="S1").text  # the policy hook is the one used
    with pytest.raises(FetchError, match=r"127\.0\.0\.2.*loopback"):
        ingest.load(f"{server}/redirect-private", source_id="S1")


def test_redirect_to_another_scheme_and_redirect_loops_are_refused(server):
    with pytest.raises(FetchError, match="only http"):
        fetch_ok(f"{server}/redirect-file")
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetch_ok(f"{server}/loop")


@pytest.mark.parametrize("path", ["/huge", "/huge-unsized"])
def test_size_cap(server, monkeypatch, path):
    monkeypatch.setattr(fetch, "MAX_FETCH_BYTES", 10_000)
    with pytest.raises(FetchError, match=r"over the 0\.01 MB limit"):
        fetch_ok(f"{server}{path}")


def test_content_type_and_http_errors(server):
    with pytest.raises(FetchError, match="content type 'image/png'"):
        fetch_ok(f"{server}/image")
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch_ok(f"{server}/missing")


def test_read_timeout(server, monkeypatch):
    monkeypatch.setattr(fetch, "READ_TIMEOUT", 0.2)
    with pytest.raises(FetchError, match="/slow: timed out"):
        fetch_ok(f"{server}/slow")


def test_non_http_schemes_and_bad_urls():
    with pytest.raises(FetchError, match="only http"):
        ingest.load("ftp://example.com/a.txt", source_id="S1")
    with pytest.raises(FetchError, match="no host"):
        fetch.check_url("http:///nothing")
    with pytest.raises(FetchError, match="loopback"):
        fetch.check_url("http://localhost:9/")


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-public"),
        ("93.184.216.34", None),
        ("2606:4700::1111", None),
    ],
)
def test_address_policy(address, reason):
    assert fetch.address_refusal(address) == reason


# --- files ----------------------------------------------------------------------------------------

PROSE = (
    "The bridge reopened on Monday after repairs that lasted three weeks.\n\nTraffic returned to normal.\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "cp1252"])
def test_file_encodings(tmp_path, encoding):
    text = "Zoë paid €5 for a café crème in Köln, she said.\n"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    path = tmp_path / "note.txt"
    path.write_bytes(data)
    assert ingest.load(str(path), source_id="S1").text == text.strip()


def test_latin1_file(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("Señor Muñoz said the façade would be repaired.".encode("latin-1"))
    assert ingest.load(str(path), source_id="S1").text == "Señor Muñoz said the façade would be repaired."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.7\n1 0 obj", "PDF file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG image"),
        (b"plain start\x00\x01\x02 then binary", "NUL bytes"),
        (b"  \n\t\n  ", "empty"),
        (b"", "empty"),
    ],
)
def test_binary_and_empty_files_are_refused(tmp_path, data, message):
    path = tmp_path / "doc.txt"
    path.write_bytes(data)
    with pytest.raises(InputError, match=message) as caught:
        ingest.load(str(path), source_id="S1")
    assert "doc.txt" in str(caught.value)


def test_oversized_file_and_text_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest, "MAX_TEXT_BYTES", 100)
    path = tmp_path / "big.txt"
    path.write_text(PROSE * 5)
    with pytest.raises(InputError, match=r"big\.txt.*over the 0\.0001 MB limit"):
        ingest.load(str(path), source_id="S1")
    with pytest.raises(InputError, match="MB limit"):
        ingest.from_text(PROSE * 5, source_id="S1")


def test_html_file_drops_script_style_iframe():
    source = ingest.load(str(FIXTURES / "article.html"), source_id="S2")
    assert source.id == "S2" and source.origin.endswith("article.html")
    assert source.text.startswith("The ferry link between the old harbour")
    assert len(source.text.split("\n\n")) == 4
    for unwanted in (*SECRETS, "Saltwind", "Home", "Copyright", "resume in spring\n"):
        assert unwanted not in source.text


def test_html_extraction_imports_its_cleaner_and_reads_an_article(tmp_path, caplog):
    # trafilatura -> justext imports lxml.html.clean, a separate project (lxml_html_clean) since lxml 5.2;
    # pip < 24 leaves it out when only justext asks for it, so factaid declares it (see the next test).
    importlib.import_module("lxml.html.clean")
    importlib.import_module("lxml_html_clean")
    page = tmp_path / "page.html"
    page.write_text(
        "<!doctype html><html><head><title>Dam repairs end early</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article><h1>Dam repairs end early</h1>"
        "<p>Repairs on the Kell dam ended two weeks early, the water board said on Thursday.</p>"
        "<p>The reservoir will be refilled over the summer, and the footpath on the crest reopens in "
        "August.</p></article><footer>Copyright Valley News</footer></body></html>",
        encoding="utf-8",
    )
    with caplog.at_level(logging.INFO, logger="factaid.ingest"):
        source = ingest.load(str(page), source_id="S1")
    assert "found no main text" not in caplog.text  # trafilatura read it, not the plain-text fallback
    assert source.title == "Dam repairs end early" and source.origin == str(page)
    assert source.text.split("\n\n") == [
        "Repairs on the Kell dam ended two weeks early, the water board said on Thursday.",
        "The reservoir will be refilled over the summer, and the footpath on the crest reopens in August.",
    ]


def test_the_html_cleaner_is_a_declared_dependency():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    names = [re.split(r"[\s<>=!~;\[]", d, maxsplit=1)[0] for d in pyproject["project"]["dependencies"]]
    normalized = {re.sub(r"[-_.]+", "-", name).lower() for name in names}
    assert {"trafilatura", "lxml-html-clean"} <= normalized


def test_plain_html_fallback_drops_script_and_style():
    parser = ingest._PlainTextParser.run((FIXTURES / "article.html").read_text())
    assert parser.title.startswith("Harbour ferry service")
    assert "six crossings a day" in parser.text
    for secret in SECRETS:
        assert secret not in parser.text


def test_document_kinds():
    assert ingest.load(PROSE, source_id="S1").origin == "text"
    with pytest.raises(InputError, match="no such file: missing.txt"):
        ingest.load("missing.txt", source_id="S1")
    # A short sentence is text (hypothesis found it taken for a mistyped path); a path with spaces is not.
    assert ingest.load("The mayor approved the plan.", source_id="S1").text == "The mayor approved the plan."
    with pytest.raises(InputError, match="no such file: notes/the mayor approved.txt"):
        ingest.load("notes/the mayor approved.txt", source_id="S1")
    with pytest.raises(InputError, match="empty"):
        ingest.load("   ", source_id="S1")


# --- cleaning -------------------------------------------------------------------------------------


def test_markdown_and_generic_boilerplate_rules():
    source = ingest.load(str(FIXTURES / "council.md"), source_id="S1")
    assert source.title == "City council approves new tram line"
    assert source.text.split("\n\n") == [
        "The city council voted on Tuesday to build a new tram line linking the northern suburbs with the "
        "central station.",
        "The line will cost about 300 million euros and should open in 2028, the council said in a "
        "statement on https://council.example.org/trams.",
        "Officials expect the tram to carry about 25,000 passengers a day once it is fully running, "
        "according to the transport_plan report.",
        "By Tuesday evening, more than 2,000 residents had signed a petition in favour of the line.",
    ]


def test_lines_without_blank_lines_become_paragraphs_and_teasers_go():
    source = ingest.load(str(FIXTURES / "single_newlines.txt"), source_id="S1")
    assert source.title == "Farmers report an early cherry harvest"
    assert source.text == (
        "Cherry growers in the valley began picking two weeks earlier than usual this year. A warm March is "
        "the likely reason, the growers' association said.\n\n"
        "Prices at the market have fallen by about a tenth since May."
    )


def test_title_comes_after_byline_and_date():
    text = (
        "By Anna Berg\n3 June 2024\n\nStorm closes mountain pass\n\nThe pass closed on Monday after snow.\n"
    )
    source = ingest.from_text(text, source_id="S1")
    assert (source.title, source.text) == (
        "Storm closes mountain pass",
        "The pass closed on Monday after snow.",
    )


def test_the_pages_date_lines_are_kept_aside_from_the_text():
    text = (
        "Storm closes mountain pass\n\nBy Anna Berg\n3 June 2024\nUpdated June 4, 2024 at 8:10 am\n\n"
        "The pass closed on Monday after snow.\n\nIt reopened on 5 June 2024, the agency said.\n"
    )
    source = ingest.from_text(text, source_id="S1")
    assert source.page_dates == ["3 June 2024", "Updated June 4, 2024 at 8:10 am"]  # not the prose's date
    assert source.text.split("\n\n") == [
        "The pass closed on Monday after snow.",
        "It reopened on 5 June 2024, the agency said.",
    ]


def test_an_html_pages_published_date_comes_from_its_metadata():
    html = (
        '<html><head><title>Pass closes</title><meta property="article:published_time" '
        'content="2024-06-03T08:00:00Z"></head><body><article><h1>Pass closes</h1><p>The mountain pass '
        "closed on Monday after a night of heavy snow, the road agency said in a statement.</p>"
        "</article></body></html>"
    )
    assert ingest.from_html(html, source_id="S1", origin="page.html").page_dates == ["2024-06-03"]


def test_prose_that_looks_like_boilerplate_is_kept():
    text = (
        "Print media lost readers again, the survey found.\n\n"
        "By Friday, the river had fallen by half a metre.\n\n"
        "Sharing data between the agencies was the main aim of the new rules.\n"
    )
    assert ingest.from_text(text, source_id="S1", title="Notes").text == text.strip()


def test_pasted_text_with_a_title_and_a_single_short_line():
    source = ingest.from_text("Paris is the capital of France", source_id="S1", title="Pasted text 1")
    assert (source.title, source.text, source.origin) == (
        "Pasted text 1",
        "Paris is the capital of France",
        "text",
    )
    assert source.warnings  # kept unfiltered, and said so


def test_caption_with_position_marker_and_credit():
    text = (
        "The minister (C) speaks to reporters outside parliament in the capital.\n\n"
        "The minister said the budget would be presented in June.\n\n"
        "A view of the flooded valley on Sunday. Photo: Anna Berg\n\n"
        "Rescue teams reached the last cut-off villages on Monday night.\n"
    )
    assert ingest.from_text(text, source_id="S1", title="t").text.split("\n\n") == [
        "The minister said the budget would be presented in June.",
        "Rescue teams reached the last cut-off villages on Monday night.",
    ]


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="needs ../shared/examples")
@pytest.mark.parametrize(
    ("name", "title", "kept"),
    [
        (
            "putin_assad_aljazeera.txt",
            "Putin says Syria’s Assad is ready to share power",
            [
                "ready to hold snap parliamentary elections",
                "large swaths of Syria and Iraq over the past year.",
            ],
        ),
        (
            "putin_assad_moscowtimes.txt",
            "Russia Says Syria's Assad Ready to Share Power with Opposition",
            ["ready to hold snap parliamentary elections", "a quarter of a million people have been killed"],
        ),
    ],
)
def test_example_articles_lose_boilerplate_and_keep_news(name, title, kept):
    source = ingest.load(str(EXAMPLES / name), source_id="S1")
    assert source.title == title
    assert source.text.startswith(("Russian President", "Russian president"))
    for phrase in kept:
        assert phrase in source.text
    for unwanted in (
        "Advertisement",
        "Source: News Agencies",
        "Original url",
        "By [The Moscow Times]",
        "The Moscow Times",
        "[EPA]",
        "(#)",
        "(L)",
        "Druze",
        "G20 summit",
        "admits army is struggling for manpower",
        "September 04, 2015",
        "https://",
        title,
    ):
        assert unwanted not in source.text
    paragraphs = source.text.split("\n\n")
    assert all(p == p.strip() and "\n" not in p for p in paragraphs)
    assert len(paragraphs) >= 10


# --- warnings -------------------------------------------------------------------------------------


def test_non_english_text_gets_a_warning():
    german = (
        "Der Stadtrat hat am Dienstag beschlossen, eine neue Straßenbahnlinie zu bauen, die die nördlichen "
        "Vororte mit dem Hauptbahnhof verbindet. Die Linie soll rund dreihundert Millionen Euro kosten und "
        "im Jahr 2028 eröffnet werden, teilte die Stadt mit."
    )
    assert "meant for English" in ingest.from_text(german, source_id="S1", title="t").warnings[0]
    assert ingest.from_text(PROSE * 3, source_id="S1", title="t").warnings == []


def test_duplicate_warnings():
    base = ingest.load(str(FIXTURES / "council.md"), source_id="S1")
    same = ingest.from_text(base.text.upper(), source_id="S2", title="x")
    near = ingest.from_text(base.text.replace("2028", "2029"), source_id="S3", title="y")
    other = ingest.load(str(FIXTURES / "single_newlines.txt"), source_id="S4")
    warnings = ingest.duplicate_warnings([base, same, near, other])
    assert warnings[0].startswith("S1 and S2 have the same text")
    assert any(w.startswith("S1 and S3 are near-identical") for w in warnings)
    assert not any("S4" in w for w in warnings)
    assert ingest.duplicate_warnings([base]) == []


@pytest.mark.parametrize(
    ("opening", "kept"),
    [
        ("BRENMOOR - A freight train derailed on Tuesday.", "A freight train derailed on Tuesday."),
        ("LONDON, England (CNN) -- Police closed the road.", "Police closed the road."),
        ("(CNN) -- A man was arrested on Monday.", "A man was arrested on Monday."),
        ("The US-led group - of states - met.", "The US-led group - of states - met."),
    ],
)
def test_news_dateline_is_dropped_from_the_first_paragraph(opening: str, kept: str) -> None:
    text = f"{opening} It was the second such event this year.\n\nBRENMOOR - a later paragraph keeps it."
    source = ingest.from_text(text, source_id="S1", title="Title")
    assert source.text.startswith(kept)
    assert source.text.endswith("BRENMOOR - a later paragraph keeps it.")
