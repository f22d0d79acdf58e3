"""An episode's files in the work folder, and their removal once the episode is done.

The work folder holds the normalised 16 kHz mono WAV of each episode (about 108 MB per hour of
audio), which the model stages read. Once those stages' results are cached (Prefect's result
storage) and the episode's outputs are written, nothing reads it again: a rerun of the same audio
hits the caches and only decodes it anew. Keeping it would grow the folder by the whole back
catalogue (10 GB for 100 hours), so it goes; so do the partial files a killed decoder left.
"""

from __future__ import annotations

from pathlib import Path

# ingest.normalise names the file after the first 16 hex digits of the audio's sha256.
PREFIX_LENGTH = 16


def episode_work_files(work_dir: Path, episode_id: str) -> list[Path]:
    """The episode's files in ``work_dir``: its normalised audio and any partial file of a killed run."""
    prefix = episode_id[:PREFIX_LENGTH]
    if not work_dir.is_dir():
        return []
    # ``.<name>.<pid>.part`` is what files.atomic_path writes before the rename.
    return sorted(path for pattern in (f"{prefix}.*", f".{prefix}.*.part") for path in work_dir.glob(pattern)
                  if path.is_file())


def remove_work_files(work_dir: Path, episode_id: str) -> int:
    """Delete the episode's work files; returns the bytes freed (a file already gone counts 0)."""
    freed = 0
    for path in episode_work_files(work_dir, episode_id):
        try:
            size = path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            continue  # another process (the same episode rerun elsewhere) removed it first
        freed += size
    return freed


def remove_leftovers(work_dir: Path, finished_ids: set[str]) -> int:
    """Delete the work files of episodes that are finished (by another machine, after this one was
    killed mid-episode); returns the bytes freed. Unfinished episodes keep theirs for their resumption."""
    prefixes = {episode_id[:PREFIX_LENGTH] for episode_id in finished_ids}
    if not work_dir.is_dir():
        return 0
    freed = 0
    for path in work_dir.iterdir():
        prefix = path.name.lstrip(".").split(".", 1)[0]
        if path.is_file() and prefix in prefixes:
            freed += remove_work_files(work_dir, prefix)
    return freed
