"""Sentences with exact character spans into the cleaned text, so every citation can be highlighted."""

from __future__ import annotations

import re
from functools import lru_cache

from .types import Sentence, Span

# Lines that end without punctuation (headlines, captions) are sentences of their own.
_BLOCK_BREAK = re.compile(r"\n\s*\n|\n(?=\s*[-*•]\s)")


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    # clean=False keeps the text untouched so spans index the original; char_span gives offsets.
    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def _blocks(text: str) -> list[tuple[int, int]]:
    """Paragraph-like blocks: a sentence never crosses a blank line."""
    blocks, start = [], 0
    for match in _BLOCK_BREAK.finditer(text):
        blocks.append((start, match.start()))
        start = match.end()
    blocks.append((start, len(text)))
    return blocks


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
        block = text[block_start:block_end]
        if not block.strip():
            continue
        cursor = 0
        for piece in _segmenter().segment(block):
            # pysbd's offsets can drift on repeated substrings; re-anchor on the piece itself.
            found = block.find(piece.sent, cursor)
            local = found if found >= 0 else piece.start
            start, end = _trimmed(text, block_start + local, block_start + local + len(piece.sent))
            cursor = local + len(piece.sent)
            if end > start and any(ch.isalnum() for ch in text[start:end]):
                sentences.append(Sentence(len(sentences), text[start:end], Span(start, end)))
    return sentences
