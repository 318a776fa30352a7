"""Ingestion: a path, URL or pasted text in, one ``Source`` with cleaned text out.

Cleaning keeps paragraph breaks (blank lines), because sentence splitting never crosses them, and drops
what is not article prose: link markup, bylines, captions, teasers, ads and other boilerplate. The
headline becomes ``Source.title`` and stays out of the text, so a summary never picks it up.
URLs are fetched by ``fetch.py`` under a strict policy.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

from . import fetch
from .errors import FetchError, InputError
from .types import Source

log = logging.getLogger(__name__)

MAX_TEXT_BYTES = 5_000_000  # largest document accepted, file or pasted text
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
NEAR_DUPLICATE_JACCARD = 0.8  # share of shared 5-word shingles above which two sources are "the same"

_SIGNATURES = {
    b"%PDF-": "PDF",
    b"\x89PNG": "PNG image",
    b"\xff\xd8\xff": "JPEG image",
    b"GIF8": "GIF image",
    b"PK\x03\x04": "ZIP or Office",
    b"\xd0\xcf\x11\xe0": "Office",
    b"RIFF": "RIFF media",
    b"II*\x00": "TIFF image",
    b"MM\x00*": "TIFF image",
    b"\x7fELF": "executable",
    b"{\\rtf": "RTF",
}
# UTF-32 first: its little-endian BOM starts with the UTF-16 one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# --- cleaning rules ------------------------------------------------------------------------------------
_TERMINAL = re.compile(r"[.!?…:;][\"'”’»)\]]*$")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_HEADLINE_MAX_WORDS = 12  # a shorter line without final punctuation is a headline, teaser or label
_MD_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
_MD_SUBS = (
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),  # images: the alt text is a caption
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),  # [text](url)
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # [text][ref]
    (re.compile(r"<((?:https?|ftp)://[^>\s]+)>"), r"\1"),  # <https://...>
    (re.compile(r"(\*\*|__|~~)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # **strong**, __strong__, ~~struck~~
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), r"\1"),  # *em*
    (re.compile(r"(?<!\w)_(?=\S)([^_\n]+?)(?<=\S)_(?!\w)"), r"\1"),  # _em_, not snake_case
    (re.compile(r"`([^`\n]+)`"), r"\1"),  # `code`
)
_MD_DROP_LINE = re.compile(r"^(\[[^\]]+\]:\s*\S+.*|[-*_=\s]{3,}|```.*)$")  # ref definitions, rules, fences
# Lines that are boilerplate whatever their punctuation ...
_BOILERPLATE = re.compile(
    r"^(?:advertisement|advertising|sponsored(?: content)?|ad|sources?\s*:.*|"
    r"original (?:url|article|link|source)\b.*|(?:©|\(c\)|copyright)\s.*|.*all rights reserved.*|"
    r"(?:photo|image|picture|photograph|credit|caption)s?\s*(?::|by\b).*|"
    r"(?:read more|read next|see also|also read|click here|follow us|sign up|subscribe|"
    r"related(?: stories| articles| content| coverage| news)?)\b\s*:.*|\W*)$",
    re.IGNORECASE,
)
# ... and lines that are boilerplate when they do not end a sentence ("By Tuesday, ..." is prose).
_BOILERPLATE_UNFINISHED = re.compile(
    r"^(?:(?:by|written by|reporting by|words by|edited by)\s+[\w\[]|"
    r"(?:published|updated|last updated|posted|share|tweet|email|print|subscribe|sign up|read more|"
    r"read next|related|click here|follow us|more from|see also|recommended|comments?)\b)",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*$")
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE_LINE = re.compile(  # a line that is only a date (and maybe a time): "September 04, 2015", "2015-09-04"
    rf"^(?:[a-z]+day,?\s+)?(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?)"
    r"\s+\d{4}\b[^.!?]*$|^(?:\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{2,4})\b[^.!?]*$",
    re.IGNORECASE,
)
# "BRENMOOR - ", "LONDON, England (CNN) -- ", "(CNN) -- ", "WASHINGTON (Reuters) - ": place and agency
# are not part of the first sentence's grammar (the place would read as its subject).
_DATELINE = re.compile(
    r"^(?:[A-Z][A-Z .'’-]*[A-Z]\.?(?:,\s+[A-Z][A-Za-z. ]{1,30}?)?(?:\s*\([^)]{1,30}\))?|\([^)]{1,30}\))"
    r"\s*(?:--|[-—–])\s+(?=[A-Z\"“‘'])"
)
# A short unfinished line that gives a full date is a date line of the page ("September 04, 2015",
# "Updated Nov. 7, 2017 at 11:33 pm", "2017-11-07 20:21"): cleaning drops it, ``Source.page_dates`` keeps it.
_FULL_DATE = re.compile(
    rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\s+\d{{4}}|{_MONTH}\s+(?:\d{{1,2}}(?:st|nd|rd|th)?,?\s+)?"
    r"\d{4}|\d{4}-\d{2}-\d{2})\b",
    re.IGNORECASE,
)
_PAGE_DATES_MAX = 3  # the publication and update lines; more are dates of comments or listings
_URL_ONLY = re.compile(r"^\W*(?:https?://|www\.)\S+$", re.IGNORECASE)
_BOILERPLATE_MAX_WORDS = 14  # a long line that happens to start with "By ..." is prose
_CREDIT_AT_END = re.compile(r"\[[A-Z][\w .&/'-]{1,30}\]$|\s[/|]\s*(?:AFP|AP|Reuters|Getty Images|EPA)\W*$")
_CAPTION_STRONG = re.compile(
    r"\((?:L|R|C|C-?L|C-?R|\d(?:st|nd|rd|th) [LR]|left|right|centre|center|top|bottom|front|back)\)"
    r"|\bpictured\b|\bfile photo\b|\bphoto(?:graph)?(?: credit)?:",
    re.IGNORECASE,
)
_CAPTION_WEAK = re.compile(r"\b(?:depicting|poses? for a (?:photo|picture)|is seen (?:here|during))\b", re.I)
_CAPTION_MAX_WORDS = 45
_ENGLISH_STOPWORDS = frozenset(
    re.findall(
        r"\w+",
        "the of and to in a is that for it was on with as by he said at from his an be are have has had were "
        "which this but not they their been will who would its or also after we there more",
    )
)


def load(document: str, *, source_id: str, allow_private_urls: bool = False) -> Source:
    """A URL, a path to a .txt/.md/.html file, or raw text (Python API), as a cleaned ``Source``."""
    if not isinstance(document, str) or not document.strip():
        raise InputError("empty document: pass a file path, an http(s) URL or the text itself")
    stripped = document.strip()
    if re.match(r"https?://", stripped, re.IGNORECASE):
        return load_url(stripped, source_id=source_id, allow_private_urls=allow_private_urls)
    if re.match(r"[a-z][a-z0-9+.-]*://", stripped, re.IGNORECASE):
        raise FetchError(f"{stripped[:200]}: only http:// and https:// URLs can be fetched")
    if "\n" not in document and len(document) < 4096 and _exists(stripped):
        return load_file(Path(stripped), source_id=source_id)
    if _looks_like_prose(document):
        return from_text(document, source_id=source_id)
    raise InputError(f"no such file: {stripped[:200]} (pass an existing .txt/.md/.html file, a URL or text)")


def _exists(candidate: str) -> bool:
    try:
        return Path(candidate).exists()
    except (OSError, ValueError):  # names too long, NUL bytes
        return False


def _looks_like_prose(document: str) -> bool:
    """Raw text rather than a mistyped path: several lines, a run of ordinary words, or a short sentence
    ("The mayor approved the plan.": three words or more ending in a full stop, with no folder separator,
    are rarely a file name)."""
    words = document.split()
    if "\n" in document.strip():
        return True
    if len(words) >= 3 and _SENTENCE_END.search(document.strip()) and not re.search(r"[/\\]", document):
        return True
    return len(words) >= 6 and sum(bool(_WORD.fullmatch(w.strip(".,;:!?\"'()"))) for w in words) >= 0.6 * len(
        words
    )


def load_file(path: Path, *, source_id: str) -> Source:
    """A text, Markdown or HTML file; binary, empty or oversized files are refused."""
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a document")
    size = path.stat().st_size
    if size > MAX_TEXT_BYTES:
        raise InputError(f"{path}: {size / 1e6:.1f} MB is over the {MAX_TEXT_BYTES / 1e6:g} MB limit")
    text = decode_bytes(path.read_bytes(), str(path))
    if path.suffix.lower() in HTML_SUFFIXES or _sniff_html(text):
        return from_html(text, source_id=source_id, origin=str(path))
    return from_text(text, source_id=source_id, origin=str(path))


def decode_bytes(data: bytes, name: str, charset: str | None = None) -> str:
    """Text from bytes: BOM, then ``charset``, UTF-8, cp1252, Latin-1; binary data is refused."""
    for signature, kind in _SIGNATURES.items():
        if data.startswith(signature):
            raise InputError(f"{name}: this is a {kind} file, not text; save it as .txt or .html first")
    text = _decode_with_bom(data, name)
    if text is None:
        if b"\x00" in data:
            raise InputError(f"{name}: binary data (NUL bytes), not text")
        candidates = ([charset] if charset else []) + ["utf-8", "cp1252", "latin-1"]
        text = next(t for t in (_try_decode(data, c) for c in candidates) if t is not None)
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    if controls > max(2, 0.01 * len(text)):
        raise InputError(f"{name}: binary data (control characters), not text")
    if not text.strip():
        raise InputError(f"{name}: the document is empty")
    return text


def _decode_with_bom(data: bytes, name: str) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{name}: starts with a {encoding} mark but cannot be decoded: {exc}"
                ) from exc
    return None


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _sniff_html(text: str) -> bool:
    return bool(re.match(r"\s*(<!doctype html|<html[\s>])", text[:1000], re.IGNORECASE))


# --- text and Markdown ----------------------------------------------------------------------------------


def from_text(
    text: str,
    *,
    source_id: str,
    title: str | None = None,
    origin: str = "text",
    page_dates: tuple[str, ...] = (),
) -> Source:
    """Pasted or read text (plain or Markdown) as a cleaned ``Source``; ``page_dates`` are dates the
    caller knows of the page (from HTML metadata), before the date lines found in the text."""
    if len(text.encode("utf-8", errors="replace")) > MAX_TEXT_BYTES:
        raise InputError(f"{origin}: the text is over the {MAX_TEXT_BYTES / 1e6:g} MB limit")
    if not text.strip():
        raise InputError(f"{origin}: the document is empty")
    lines = [_strip_markdown(line) for line in _normalise(text).split("\n")]
    headings = [line[1] for line in lines if line and line[0] == "heading"]
    body_lines = [line[1] if line else "" for line in lines]
    warnings: list[str] = []
    dates = _page_dates([*page_dates, *body_lines])
    if title is None:
        title, body_lines = _take_title(body_lines, headings[0] if headings else None)
    drop = {_key(title)} | {_key(h) for h in headings}
    body = clean_lines([line for line in body_lines if _key(line) not in drop or not line.strip()])
    if not body:
        # Everything looked like boilerplate (e.g. one short line): keep the text rather than refuse it.
        body = "\n\n".join(p for p in (" ".join(line.split()) for line in body_lines) if p)
        warnings.append(f"{source_id}: the text looks like headlines only; it was kept unfiltered")
    if not body:
        raise InputError(f"{origin}: no text left in the document")
    return Source(
        source_id,
        title or _title_from(body),
        origin,
        body,
        warnings=warnings + language_warnings(source_id, body),
        page_dates=dates,
    )


def _page_dates(lines: list[str]) -> list[str]:
    found: list[str] = []
    for line in (" ".join(line.split()) for line in lines):
        words = len(_WORD.findall(line))
        dated = bool(_FULL_DATE.search(line)) and not _SENTENCE_END.search(line)
        if dated and words <= _BOILERPLATE_MAX_WORDS and line not in found:
            found.append(line)
    return found[:_PAGE_DATES_MAX]


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = re.sub(r"[\u200b-\u200d\u2060\ufeff]", "", text)  # zero-width characters
    return re.sub(r"[^\S\n]+", " ", text)  # tabs, NBSP and other spaces -> one space; newlines stay


def _strip_markdown(line: str) -> tuple[str, str] | None:
    """(kind, text) for one line, kind "heading" or "text"; None for lines that are pure markup."""
    line = line.strip()
    if _MD_DROP_LINE.match(line):
        return None
    line = re.sub(r"^(?:>\s*)+", "", line)  # block quotes
    for pattern, replacement in _MD_SUBS:
        line = pattern.sub(replacement, line)
    line = line.strip()
    heading = _MD_HEADING.match(line)
    return ("heading", heading.group(1)) if heading else ("text", line)


def _key(line: str) -> str:
    return " ".join(_WORD.findall(line.lower()))


def _is_headline(line: str) -> bool:
    return len(_WORD.findall(line)) < _HEADLINE_MAX_WORDS and not _TERMINAL.search(line)


def _take_title(lines: list[str], heading: str | None) -> tuple[str, list[str]]:
    """The first heading, or a headline-like first line (then removed); else no title and nothing removed."""
    if heading:
        return heading, lines
    for number, line in enumerate(lines):
        if not line.strip() or _is_boilerplate(line):  # bylines and dates may come before the headline
            continue
        if len(_WORD.findall(line)) <= 25 and not _TERMINAL.search(line):
            return line.strip(), lines[number + 1 :]
        break
    return "", lines


def _title_from(body: str) -> str:
    words = body.split()
    return " ".join(words[:10]) + (" …" if len(words) > 10 else "")


def clean_lines(lines: list[str]) -> str:
    """Drop boilerplate lines and re-flow the rest into paragraphs separated by one blank line."""
    paragraphs: list[list[str]] = []
    block: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            block.append(" ".join(line.split()))
            continue
        if block:
            paragraphs.extend(_reflow([ln for i, ln in enumerate(block) if _keep(block, i)]))
        block = []
    texts = [" ".join(p) for p in paragraphs if p]
    if texts:  # a news dateline opens the first paragraph only
        texts[0] = _DATELINE.sub("", texts[0], count=1)
    return "\n\n".join(texts)


def _keep(block: list[str], i: int) -> bool:
    """Whether line ``i`` of a blank-line-separated block is article prose."""
    line = block[i]
    if _is_boilerplate(line):
        return False
    # A short line without final punctuation that starts a block (or follows a finished sentence) is a
    # headline, teaser, date, label or caption -- unless the next line carries on its sentence.
    starts_block = i == 0 or bool(_TERMINAL.search(block[i - 1]))
    continued = i + 1 < len(block) and block[i + 1][:1].islower()
    return not (starts_block and _is_headline(line) and not continued)


def _is_boilerplate(line: str) -> bool:
    """Known non-prose lines: URLs, dates, ads, bylines, credits, share/subscribe links, captions."""
    words = len(_WORD.findall(line))
    if _URL_ONLY.match(line) or _DATE_LINE.match(line):
        return True
    if words <= _BOILERPLATE_MAX_WORDS and (
        _BOILERPLATE.match(line) or (_BOILERPLATE_UNFINISHED.match(line) and not _SENTENCE_END.search(line))
    ):
        return True
    return _is_caption(line, words)


def _is_caption(line: str, words: int) -> bool:
    if _CREDIT_AT_END.search(line) or (words <= _CAPTION_MAX_WORDS and _CAPTION_STRONG.search(line)):
        return True
    # "depicting" and the like only mark one-sentence lines: captions are single sentences.
    single_sentence = len(re.findall(r"[.!?](?:\s|$)", line)) <= 1
    return words <= _CAPTION_MAX_WORDS and single_sentence and bool(_CAPTION_WEAK.search(line))


def _reflow(lines: list[str]) -> list[list[str]]:
    """Join hard-wrapped lines; a line after a finished sentence, or a list item, starts a paragraph."""
    paragraphs: list[list[str]] = []
    for line in lines:
        if paragraphs and not _TERMINAL.search(paragraphs[-1][-1]) and not re.match(r"[-*•]\s", line):
            paragraphs[-1].append(line)
        else:
            paragraphs.append([line])
    return paragraphs


def language_warnings(label: str, text: str) -> list[str]:
    """A warning when the text does not look English: the models and verdicts are meant for English."""
    words = _WORD.findall(text.lower())
    if len(words) < 20:
        return []
    letters = [ch for ch in text if ch.isalpha()]
    ascii_share = sum(ch.isascii() for ch in letters) / max(1, len(letters))
    stop_share = sum(w in _ENGLISH_STOPWORDS for w in words) / len(words)
    if ascii_share < 0.9 or stop_share < 0.1:
        return [
            f"{label}: the text does not look English; factaid's models and verdicts are meant for English "
            "text only, so verdicts on it are unreliable"
        ]
    return []


def duplicate_warnings(sources: list[Source]) -> list[str]:
    """Warnings for sources whose cleaned text is identical or near-identical (they would count twice)."""
    keys = [_key(source.text) for source in sources]
    shingles = [_shingles(key) for key in keys]
    warnings = []
    for a in range(len(sources)):
        for b in range(a + 1, len(sources)):
            pair = f"{sources[a].id} and {sources[b].id}"
            if hashlib.sha256(keys[a].encode()).digest() == hashlib.sha256(keys[b].encode()).digest():
                warnings.append(
                    f"{pair} have the same text; agreement between them is not independent support"
                )
                continue
            union = shingles[a] | shingles[b]
            overlap = len(shingles[a] & shingles[b]) / len(union) if union else 0.0
            if overlap >= NEAR_DUPLICATE_JACCARD:
                warnings.append(
                    f"{pair} are near-identical ({overlap:.0%} shared wording); "
                    "their agreement is not independent support"
                )
    return warnings


def _shingles(key: str, size: int = 5) -> set[tuple[str, ...]]:
    words = key.split()
    return {tuple(words[i : i + size]) for i in range(max(1, len(words) - size + 1))} if words else set()


# --- HTML -------------------------------------------------------------------------------------------------


def from_html(html: str, *, source_id: str, origin: str) -> Source:
    """The main text of a page (trafilatura; stdlib fallback), cleaned like any other text."""
    import trafilatura

    extracted = trafilatura.extract(html, output_format="txt", include_comments=False, include_tables=True)
    metadata = trafilatura.extract_metadata(html)
    fallback = _PlainTextParser.run(html)
    title = (metadata.title if metadata and metadata.title else "") or fallback.title
    if extracted and extracted.strip():
        text = extracted.replace("\n", "\n\n")  # trafilatura puts one paragraph on each line
    else:
        log.info("%s: trafilatura found no main text; using the plain HTML text", origin)
        text = fallback.text
    if not text.strip():
        raise InputError(f"{origin}: the page has no readable text")
    published = (metadata.date,) if metadata and metadata.date else ()
    return from_text(
        text, source_id=source_id, title=" ".join(title.split()), origin=origin, page_dates=published
    )


class _PlainTextParser(HTMLParser):
    """All visible text of a page, one block element per paragraph; never scripts, styles or frames."""

    _SKIP = frozenset({"script", "style", "iframe", "noscript", "template", "svg", "head", "nav", "footer"})
    _BLOCK = frozenset(
        re.findall(
            r"\w+", "p div br li ul ol h1 h2 h3 h4 h5 h6 tr table section article blockquote header aside"
        )
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._skipping: list[str] = []
        self._in_title = False

    @classmethod
    def run(cls, html: str) -> _PlainTextParser:
        parser = cls()
        parser.feed(html)
        parser.close()
        return parser

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self._SKIP:
            self._skipping.append(tag)
        self._in_title = tag == "title" or self._in_title
        if tag in self._BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._skipping:
            del self._skipping[len(self._skipping) - 1 - self._skipping[::-1].index(tag) :]
        self._in_title = self._in_title and tag != "title"
        if tag in self._BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skipping:
            self.parts.append(data)


# --- URLs ------------------------------------------------------------------------------------------------


def load_url(url: str, *, source_id: str, allow_private_urls: bool = False) -> Source:
    """Fetch an http(s) page under the safety policy; the origin is the final URL after redirects."""
    final_url, content_type, charset, body = fetch.fetch(url, allow_private_urls=allow_private_urls)
    if content_type in ("text/html", "application/xhtml+xml"):
        charset = charset or _meta_charset(body)
    try:
        text = decode_bytes(body, final_url, charset)
    except InputError as exc:
        raise FetchError(str(exc)) from exc
    if content_type in ("text/html", "application/xhtml+xml"):
        return from_html(text, source_id=source_id, origin=final_url)
    return from_text(text, source_id=source_id, origin=final_url)


def _meta_charset(body: bytes) -> str | None:
    match = re.search(rb"<meta[^>]+charset=[\"']?([\w-]+)", body[:4096], re.IGNORECASE)
    return match.group(1).decode("ascii") if match else None
