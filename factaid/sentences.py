"""Sentences with exact character spans into the cleaned text, so every citation can be highlighted.

Overlong input is bounded on both sides of pysbd: a paragraph longer than ``MAX_BLOCK_CHARS`` is cut
into windows first (pysbd's time grows faster than linearly with a run of text that has no sentence
end), and a sentence longer than ``MAX_SENTENCE_CHARS`` is cut into near-equal pieces at whitespace,
so no "sentence" overflows the embedder's or verifier's input window. Spans stay exact either way.
"""

from __future__ import annotations

import re
import threading

from .types import Sentence, Span

MAX_SENTENCE_CHARS = 1_000  # about 200 tokens: inside MiniLM's 256 and an NLI model's 512
MAX_BLOCK_CHARS = 10_000  # longest run handed to pysbd at once (a 30,000-character one took ~1 s)

# Lines that end without punctuation (headlines, captions) are sentences of their own.
_BLOCK_BREAK = re.compile(r"\n\s*\n|\n(?=\s*[-*•]\s)")
_SENTENCE_END = re.compile(r"[.!?…](?=\s)")


_per_thread = threading.local()


def _segmenter():
    """This thread's pysbd Segmenter: ``segment()`` keeps the text on the instance and reads it back, so
    one instance shared by the app's worker threads found sentences in another request's text and lost
    them."""
    if not hasattr(_per_thread, "segmenter"):
        import pysbd

        # clean=False keeps the text untouched so spans index the original; char_span gives offsets.
        _per_thread.segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)
    return _per_thread.segmenter


def _blocks(text: str) -> list[tuple[int, int]]:
    """Paragraph-like blocks: a sentence never crosses a blank line."""
    blocks, start = [], 0
    for match in _BLOCK_BREAK.finditer(text):
        blocks.append((start, match.start()))
        start = match.end()
    blocks.append((start, len(text)))
    return blocks


def _last_space(text: str, low: int, high: int) -> int:
    """Index of the last whitespace in ``text[low:high]``, or -1."""
    return next((i for i in range(high - 1, low - 1, -1) if text[i].isspace()), -1)


def _windows(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A block cut into runs of at most ``MAX_BLOCK_CHARS`` for pysbd: after the last sentence end in
    a run's second half if there is one, else at its last whitespace, else hard."""
    pieces = []
    while end - start > MAX_BLOCK_CHARS:
        limit = start + MAX_BLOCK_CHARS
        gaps = [m.start() + 1 for m in _SENTENCE_END.finditer(text, start + MAX_BLOCK_CHARS // 2, limit)]
        cut = gaps[-1] if gaps else _last_space(text, start + 1, limit)
        cut = cut if cut > start else limit
        pieces.append((start, cut))
        start = cut
    return [*pieces, (start, end)]


def _balanced(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """An overlong sentence as near-equal pieces of at most ``MAX_SENTENCE_CHARS``, cut at whitespace."""
    if end - start <= MAX_SENTENCE_CHARS:
        return [(start, end)]
    count = -(-(end - start) // MAX_SENTENCE_CHARS)  # pieces needed
    target = -(-(end - start) // count)  # their even length
    pieces = []
    while end - start > MAX_SENTENCE_CHARS:
        cut = _last_space(text, start + 1, start + target + 1)
        if cut < 0:  # one long word: take the first whitespace that still fits, else cut it
            cut = next(
                (i for i in range(start + target, start + MAX_SENTENCE_CHARS) if text[i].isspace()), -1
            )
        cut = cut if cut > start else start + MAX_SENTENCE_CHARS
        pieces.append((start, cut))
        start = cut
    return [*pieces, (start, end)]


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_sentences(text: str) -> list[Sentence]:
    """Split ``text`` into sentences whose ``text == text[span.start:span.end]``, with no outer whitespace."""
    sentences: list[Sentence] = []
    for block_start, block_end in _blocks(text):
        for window_start, window_end in _windows(text, block_start, block_end):
            for start, end in _segment(text, window_start, window_end):
                for a, b in _balanced(text, start, end):
                    a, b = _trimmed(text, a, b)
                    if b > a and any(ch.isalnum() for ch in text[a:b]):
                        sentences.append(Sentence(len(sentences), text[a:b], Span(a, b)))
    return sentences


def _segment(text: str, block_start: int, block_end: int) -> list[tuple[int, int]]:
    """pysbd's sentences of ``text[block_start:block_end]`` as trimmed absolute spans."""
    block = text[block_start:block_end]
    if not block.strip():
        return []
    spans, cursor = [], 0
    for piece in _segmenter().segment(block):
        # pysbd's offsets can drift on repeated substrings; re-anchor on the piece itself.
        found = block.find(piece.sent, cursor)
        local = found if found >= 0 else piece.start
        spans.append(_trimmed(text, block_start + local, block_start + local + len(piece.sent)))
        cursor = local + len(piece.sent)
    return spans
