"""Errors that carry enough to tell a producer what went wrong, and with which file."""

from __future__ import annotations

from pathlib import Path


class PodpipeError(Exception):
    """Base class of podpipe's own errors."""


class InvalidInputError(PodpipeError):
    """A file that can never be processed as it is (bad audio, a bad sidecar): retrying will not help."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason

    def __reduce__(self) -> tuple[type, tuple[Path, str]]:
        # Crosses process boundaries (stage workers) with its fields intact.
        return (type(self), (self.path, self.reason))


class StageTimeoutError(PodpipeError):
    """A stage ran past its time limit and was stopped."""


class ModelUnavailableError(RuntimeError):
    """A model cannot be found or loaded; the message says what to install or configure."""
