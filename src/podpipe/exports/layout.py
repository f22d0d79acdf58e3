"""The output folder: ``output/<slug>/``, one per episode, and the rule that editors' files are kept.

podpipe records the sha256 of every file it writes in ``.podpipe-manifest.json``. When it writes a
file again (a reprocessed episode), a file that still has the recorded content is replaced; a file
an editor has changed since, or one marked approved, is left as it is and the new content goes to
the next free ``<name>.v<N>.<ext>`` beside it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from podpipe.domain import Episode
from podpipe.files import atomic_path, write_text_atomic

MANIFEST = ".podpipe-manifest.json"


def episode_output_dir(episode: Episode, output_root: Path) -> Path:
    """``<root>/<slug>``, unless that folder already holds another episode (same name, other audio)."""
    candidate = output_root / episode.slug
    owner = _manifest(candidate).get("episode_id")
    if owner and owner != episode.id:
        candidate = output_root / f"{episode.slug}-{episode.id[:8]}"
    candidate.mkdir(parents=True, exist_ok=True)
    manifest = _manifest(candidate)
    if manifest.get("episode_id") != episode.id:
        _save_manifest(candidate, {**manifest, "episode_id": episode.id})
    return candidate


def _manifest(out_dir: Path) -> dict:
    try:
        return json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _save_manifest(out_dir: Path, manifest: dict) -> None:
    write_text_atomic(out_dir / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def publish(out_dir: Path, name: str, content: str | bytes) -> Path:
    """Write ``name`` in ``out_dir`` atomically, never over an editor's change; returns the path written."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    manifest = _manifest(out_dir)
    written: dict[str, str] = manifest.setdefault("files", {})
    protected = set(manifest.get("protected", []))
    target = out_dir / name
    if target.exists() and (name in protected or _sha256(target.read_bytes()) != written.get(name)):
        target = _next_version(target)
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)
    written[target.name] = _sha256(data)
    _save_manifest(out_dir, manifest)
    return target


def protect(out_dir: Path, name: str) -> None:
    """Mark a file as the editors' (approved): podpipe will not write over it again."""
    manifest = _manifest(out_dir)
    manifest["protected"] = sorted(set(manifest.get("protected", [])) | {name})
    _save_manifest(out_dir, manifest)


def _next_version(path: Path) -> Path:
    stem, dot, suffix = path.name.rpartition(".")
    number = 2
    while (candidate := path.with_name(f"{stem}.v{number}{dot}{suffix}")).exists():
        number += 1
    return candidate
