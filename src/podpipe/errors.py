"""Errors that carry enough to tell a producer what went wrong, and with which file."""

from __future__ import annotations

import errno
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


# What a producer can do something about, in Dutch and English: (nl, en) per errno.
_WRITE_CAUSES = {
    errno.ENOSPC: ("de schijf is vol", "the disk is full"),
    errno.EDQUOT: ("het schijfquotum is op", "the disk quota is used up"),
    errno.EROFS: ("het bestandssysteem is alleen-lezen", "the file system is read-only"),
    errno.EACCES: ("geen schrijfrechten", "permission denied"),
    errno.EPERM: ("schrijven is niet toegestaan", "writing is not permitted"),
    errno.ENOENT: ("de map bestaat niet", "the folder does not exist"),
    errno.ENOTDIR: ("een deel van het pad is geen map", "part of the path is not a folder"),
    errno.EEXIST: ("er staat een bestand met die naam", "a file of that name is in the way"),
    errno.EISDIR: ("er staat een map met die naam", "a folder of that name is in the way"),
}


class OutputWriteError(PodpipeError):
    """The output folder cannot be written (disk full, read-only, missing): one line naming the path and
    the cause, in Dutch and English. Retrying does not help until someone frees space or fixes the folder;
    the stages done so far stay cached, so a rerun finishes from there."""

    def __init__(self, path: Path, code: int | None, detail: str = "") -> None:
        nl, en = _WRITE_CAUSES.get(code or 0, (detail or "schrijffout", detail or "write error"))
        super().__init__(f"{path}: kan niet schrijven, {nl} / cannot write, {en}")
        self.path, self.code, self.detail = path, code, detail

    @classmethod
    def of(cls, error: OSError, path: Path) -> OutputWriteError:
        return cls(path, error.errno, error.strerror or str(error))

    def __reduce__(self) -> tuple[type, tuple[Path, int | None, str]]:
        return (type(self), (self.path, self.code, self.detail))


class StageTimeoutError(PodpipeError):
    """A stage ran past its time limit and was stopped."""


class ModelUnavailableError(RuntimeError):
    """A model cannot be found or loaded; the message says what to install or configure."""
