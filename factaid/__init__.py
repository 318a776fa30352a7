"""factaid: a local, offline summarization and fact-check aid.

    >>> import factaid
    >>> report = factaid.check(["a.txt", "b.html"])                 # summarize, then check
    >>> report = factaid.check(["a.txt"], summary="The council approved ...")  # check a summary you bring
    >>> print(factaid.render(report, "md"))

Models load on first use and are reused by every later call in the process.
"""

from .errors import FactaidError, FetchError, InputError, LLMError, ModelLoadError
from .pipeline import check
from .report import render
from .types import (
    CheckSettings,
    Claim,
    Conflict,
    Evidence,
    LLMVerdict,
    Report,
    Sentence,
    Source,
    SourceSupport,
)

__all__ = [
    "check",
    "render",
    "CheckSettings",
    "Claim",
    "Conflict",
    "Evidence",
    "Report",
    "Sentence",
    "Source",
    "SourceSupport",
    "LLMVerdict",
    "FactaidError",
    "FetchError",
    "InputError",
    "LLMError",
    "ModelLoadError",
]
