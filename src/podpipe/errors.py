"""Errors that carry enough to tell a producer what went wrong, and with which file."""

from __future__ import annotations

from pathlib import Path


class PodpipeError(Exception):
    """Base class of podpipe's own errors."""


class InvalidAudioError(PodpipeError):
    """A source file that can never be processed: retrying will not help."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
