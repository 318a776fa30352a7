"""Shared fixtures: the bundled models load once per session, and the bundled examples are checked once."""

from __future__ import annotations

from pathlib import Path

import pytest

import factaid
from factaid import models
from factaid.sentences import split_sentences
from factaid.types import Report, Source

REPO = Path(__file__).resolve().parents[1]
SHARED_EXAMPLES = REPO.parent / "shared" / "examples"
BUNDLED_EXAMPLES = REPO / "factaid" / "examples"


@pytest.fixture(scope="session")
def nlp():
    """spaCy's bundled English pipeline, loaded once."""
    return models.get_nlp()


@pytest.fixture(scope="session")
def embedder() -> models.Embedder:
    """The bundled MiniLM sentence embedder, loaded once."""
    return models.get_embedder()


@pytest.fixture(scope="session")
def shared_articles() -> dict[str, Path]:
    """The two news articles on Putin and Assad in ../shared/examples, read at run time."""
    paths = {
        "aljazeera": SHARED_EXAMPLES / "putin_assad_aljazeera.txt",
        "moscowtimes": SHARED_EXAMPLES / "putin_assad_moscowtimes.txt",
    }
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        pytest.skip(f"shared example articles not found: {', '.join(missing)}")
    return paths


@pytest.fixture(scope="session")
def bundled_paths() -> list[Path]:
    """The fictional Brenmoor reports shipped in factaid/examples (they disagree on one number)."""
    paths = sorted(BUNDLED_EXAMPLES.glob("*.txt"))
    assert len(paths) == 2, f"expected two bundled examples in {BUNDLED_EXAMPLES}"
    return paths


@pytest.fixture(scope="session")
def bundled_report(nlp, embedder, bundled_paths) -> Report:
    """factaid.check on the bundled examples with the default (extractive) summary, run once."""
    return factaid.check([str(p) for p in bundled_paths])


@pytest.fixture(scope="session")
def make_source():
    """Build a Source with sentences from plain text, without going through ingest."""

    def make(text: str, source_id: str = "", title: str = "") -> Source:
        return Source(source_id, title, "text", text, split_sentences(text))

    return make
