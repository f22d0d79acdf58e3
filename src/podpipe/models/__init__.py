"""Packaged model weights: where they are, how they are assembled and checked, and load-once caches.

``whisper`` (faster-whisper), ``nlp`` (spaCy pipeline and sentence embedder); no module here
reaches a model hub unless the settings allow downloads.
"""

from __future__ import annotations

import os


def offline_environment() -> None:
    """Make every library that could reach for the network fail fast instead of hanging."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")
