"""Typed errors: every failure a user can cause or fix has its own class and a message saying what to do."""


class FactaidError(Exception):
    """Base class of every error factaid raises on purpose."""


class InputError(FactaidError, ValueError):
    """A document or summary that cannot be checked (empty, unreadable, too big, wrong type)."""


class FetchError(InputError):
    """A URL that could not be fetched, or that was refused (private address, size, type)."""


class ModelLoadError(FactaidError, RuntimeError):
    """A model that could not be loaded; the message names the package or path to fix."""


class LLMError(FactaidError, RuntimeError):
    """A language model server that cannot be reached, does not know the model, or answers something that
    is not an OpenAI-compatible completion; the message names the server's URL."""
