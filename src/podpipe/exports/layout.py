"""The output folder: ``output/<slug>/``, one per episode, and the rule that editors' files are kept.

podpipe records the sha256 of every file it writes in ``.podpipe-manifest.json``. When it writes a
file again (a reprocessed episode), a file that still has the recorded content is replaced; a file
an editor has changed since, or one marked approved, is left as it is and the new content goes to
the next free ``<name>.v<N>.<ext>`` beside it.
"""

from __future__ import annotations

import errno
import hashlib
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from podpipe.domain import Episode
from podpipe.errors import OutputWriteError
from podpipe.files import atomic_path, remove_stale_temporaries, write_text_atomic

MANIFEST = ".podpipe-manifest.json"


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """An OSError while writing ``path`` becomes one line naming it and the cause (disk full, read-only,
    missing folder) instead of a traceback."""
    try:
        yield
    except OutputWriteError:
        raise
    except OSError as error:
        raise OutputWriteError.of(error, path) from error


def ensure_output_root(root: Path) -> Path:
    """The folder of episode folders, checked for writing. A missing one is made, but only inside a
    folder that exists: a missing parent is a typo or a drive that is not mounted, not a folder to
    make on the wrong disk."""
    root = Path(root)
    with writing(root):
        if not root.is_dir():
            if not root.parent.is_dir():
                raise OutputWriteError(root.parent, errno.ENOTDIR if root.parent.exists() else errno.ENOENT)
            root.mkdir(exist_ok=True)  # two workers starting at once both make it (a file in the way still fails)
        # A read-only or immutable folder (root included, for whom permission bits do not count) fails here.
        with tempfile.NamedTemporaryFile(dir=root, prefix=".podpipe-write-check-"):
            pass
    return root


def episode_output_dir(episode: Episode, output_root: Path) -> Path:
    """``<root>/<slug>``, unless that folder already holds another episode (same name, other audio).

    A run killed while it wrote there (a worker lost mid-export) left its temporary files: the run
    that takes the episode over removes them before it writes."""
    candidate = output_root / episode.slug
    owner = _manifest(candidate).get("episode_id")
    if owner and owner != episode.id:
        candidate = output_root / f"{episode.slug}-{episode.id[:8]}"
    with writing(candidate):
        candidate.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(candidate)
        manifest = _manifest(candidate)
        if manifest.get("episode_id") != episode.id:
            _save_manifest(candidate, {**manifest, "episode_id": episode.id})
    return candidate


def _manifest(out_dir: Path) -> dict:
    try:
        return json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _manifest_text(manifest: dict) -> str:
    return json.dumps(manifest, indent=2, sort_keys=True) + "\n"


def _save_manifest(out_dir: Path, manifest: dict) -> None:
    write_text_atomic(out_dir / MANIFEST, _manifest_text(manifest))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def publish(out_dir: Path, name: str, content: str | bytes) -> Path:
    """Write ``name`` in ``out_dir`` atomically, never over an editor's change; returns the path written.

    The file and the manifest's record of it are both written in full before either is renamed into
    place, so a full disk leaves neither changed: a rerun then sees its own earlier file, not an
    editor's, and writes over it instead of beside it.
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    target = out_dir / name
    with writing(target):
        manifest = _manifest(out_dir)
        written: dict[str, str] = manifest.setdefault("files", {})
        protected = set(manifest.get("protected", []))
        if target.exists() and (name in protected or _sha256(target.read_bytes()) != written.get(name)):
            target = _next_version(target)
        written[target.name] = _sha256(data)
        # Leaving the block renames the file first, then the manifest.
        with atomic_path(out_dir / MANIFEST) as manifest_temporary, atomic_path(target) as temporary:
            temporary.write_bytes(data)
            manifest_temporary.write_text(_manifest_text(manifest), encoding="utf-8")
    return target


def protect(out_dir: Path, name: str) -> None:
    """Mark a file as the editors' (approved): podpipe will not write over it again."""
    manifest = _manifest(out_dir)
    manifest["protected"] = sorted(set(manifest.get("protected", [])) | {name})
    with writing(out_dir / MANIFEST):
        _save_manifest(out_dir, manifest)


def _next_version(path: Path) -> Path:
    stem, dot, suffix = path.name.rpartition(".")
    number = 2
    while (candidate := path.with_name(f"{stem}.v{number}{dot}{suffix}")).exists():
        number += 1
    return candidate
