"""Where an episode's files go: ``output/<slug>/``, one folder per episode."""

from __future__ import annotations

import json
from pathlib import Path

from podpipe.domain import Episode


def episode_output_dir(episode: Episode, output_root: Path) -> Path:
    """``<root>/<slug>``, unless that folder already holds another episode (same name, other audio)."""
    candidate = output_root / episode.slug
    existing = candidate / "transcript.json"
    if existing.is_file():
        try:
            existing_id = json.loads(existing.read_text(encoding="utf-8"))["episode"]["id"]
        except (OSError, ValueError, KeyError, TypeError):
            existing_id = episode.id  # unreadable: treat the folder as ours and rewrite it
        if existing_id != episode.id:
            candidate = output_root / f"{episode.slug}-{episode.id[:8]}"
    candidate.mkdir(parents=True, exist_ok=True)
    return candidate
