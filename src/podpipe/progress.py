"""Stage progress, reported to whoever listens: a progress bar in the CLI, log lines in Prefect.

Stages take a plain callback; this registry lets the CLI show a bar for work that runs inside a
Prefect task without either side importing the other.
"""

from __future__ import annotations

from collections.abc import Callable

# (stage, done, total); units are the stage's own (seconds of audio for the model stages).
Listener = Callable[[str, float, float], None]

_listeners: list[Listener] = []


def add_listener(listener: Listener) -> None:
    _listeners.append(listener)


def remove_listener(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def report(stage: str, done: float, total: float) -> None:
    for listener in list(_listeners):
        listener(stage, done, total)
