"""A full disk, a read-only output folder, a missing one: one line naming the path and the cause (exit 2),
nothing half written, and a rerun that finishes the episode. (The flow's catalogue and cache: test_run_e2e.)"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from podpipe import pipeline
from podpipe.cast import described
from podpipe.cli import app
from podpipe.config import Settings
from podpipe.domain import Section, ShowNotes
from podpipe.errors import InvalidInputError, OutputWriteError
from podpipe.exports import layout
from podpipe.exports.layout import MANIFEST, ensure_output_root, publish
from podpipe.io import json_text, transcript_to_dict
from tests import shownotes_fixtures as fx


def _draft() -> pipeline.Draft:
    notes = ShowNotes("Testaflevering", "Intro.", [Section("Microleren: waarom?", ["p"], start=12.5)], "Tot slot.")
    return pipeline.Draft(transcript=described(fx.transcript(), Settings()), analysis=fx.analysis(), notes=notes)


def _disk_full_at(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """The disk fills up while ``name`` is written: its temporary file is written, then the write fails."""
    real = layout.atomic_path

    @contextmanager
    def filling(target: Path) -> Iterator[Path]:
        with real(target) as temporary:
            yield temporary
            if target.name == name:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(layout, "atomic_path", filling)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".part") or ".v2." in p.name)


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """A folder no one can write in, root included (tests run as root, for whom permission bits do not
    count): the immutable flag where the file system has one, else the permission bits."""
    as_root = os.geteuid() == 0
    if as_root:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(folder)],
                                                            capture_output=True).returncode != 0:
            pytest.skip("running as root on a file system without chattr +i: no folder is read-only to root")
    else:
        folder.chmod(0o555)
    try:
        yield
    finally:
        if as_root:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        else:
            folder.chmod(0o755)


def test_a_full_disk_names_the_file_and_leaves_the_folder_as_it_was(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings()
    pipeline.export(_draft(), tmp_path, settings)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    changed = _draft()
    changed.notes.title = "Nieuwe titel"
    changed.transcript.segments[0].text = "Welkom, opnieuw."
    _disk_full_at(monkeypatch, "transcript.srt")
    with pytest.raises(OutputWriteError) as raised:
        pipeline.export(changed, tmp_path, settings)
    message = str(raised.value)
    assert message == (f"{tmp_path / 'transcript.srt'}: kan niet schrijven, de schijf is vol / "
                       "cannot write, the disk is full")
    assert "\n" not in message
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after.keys() == before.keys() and _leftovers(tmp_path) == []
    assert after["transcript.srt"] == before["transcript.srt"], "the file the disk filled on is untouched"
    monkeypatch.undo()
    pipeline.export(changed, tmp_path, settings)  # space freed: the rerun writes over its own files
    assert _leftovers(tmp_path) == [], "no .v2 beside podpipe's own files, no temporary left"
    assert "Welkom, opnieuw." in (tmp_path / "transcript.txt").read_text(encoding="utf-8")


def test_a_manifest_that_cannot_be_written_keeps_the_file_unchanged_too(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The file and its record go in together: with the old file and the old record, a rerun knows the file
    as its own and replaces it, rather than taking it for an editor's and writing a .v2 beside it."""
    publish(tmp_path, "transcript.txt", "eerste\n")
    original = Path.write_text

    def full_on_manifest(self: Path, *args, **kwargs) -> int:
        if self.name.startswith(f".{MANIFEST}"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_on_manifest)
    with pytest.raises(OutputWriteError, match="de schijf is vol"):
        publish(tmp_path, "transcript.txt", "tweede\n")
    assert (tmp_path / "transcript.txt").read_text() == "eerste\n"
    monkeypatch.undo()
    assert publish(tmp_path, "transcript.txt", "tweede\n") == tmp_path / "transcript.txt"
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST, "transcript.txt"]


def test_output_root_missing_not_a_folder_or_read_only(tmp_path: Path) -> None:
    with pytest.raises(OutputWriteError) as missing:
        ensure_output_root(tmp_path / "niet-aangesloten" / "podcast")
    assert str(missing.value) == (f"{tmp_path / 'niet-aangesloten'}: kan niet schrijven, de map bestaat niet / "
                                  "cannot write, the folder does not exist")
    assert not (tmp_path / "niet-aangesloten").exists(), "no folder made on the wrong disk"
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(OutputWriteError, match="geen map / cannot write, part of the path is not a folder"):
        ensure_output_root(tmp_path / "a-file" / "output")
    assert ensure_output_root(tmp_path / "output") == tmp_path / "output"
    assert list((tmp_path / "output").iterdir()) == [], "the write check leaves nothing behind"
    locked = tmp_path / "locked"
    locked.mkdir()
    with read_only(locked), pytest.raises(OutputWriteError) as raised:
        ensure_output_root(locked)
    assert str(raised.value).startswith(f"{locked}: kan niet schrijven, ")
    assert raised.value.code in (errno.EPERM, errno.EACCES, errno.EROFS)


def test_output_root_made_by_another_worker_at_the_same_moment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "output"
    real_is_dir = Path.is_dir

    def made_meanwhile(path: Path) -> bool:
        if path == root and not real_is_dir(path):
            path.mkdir()  # the other worker, between our look and our mkdir
            return False
        return real_is_dir(path)

    monkeypatch.setattr(Path, "is_dir", made_meanwhile)
    assert ensure_output_root(root) == root
    monkeypatch.undo()
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(OutputWriteError, match="een bestand met die naam"):
        ensure_output_root(tmp_path / "a-file")


def test_read_only_episode_folder_fails_in_one_line_then_finishes(tmp_path: Path) -> None:
    settings = Settings()
    out_dir = tmp_path / "ep-test"
    pipeline.export(_draft(), out_dir, settings)
    with read_only(out_dir), pytest.raises(OutputWriteError) as raised:
        pipeline.export(_draft(), out_dir, settings)
    assert str(raised.value).startswith(f"{out_dir / 'transcript.json'}: kan niet schrijven, ")
    assert _leftovers(out_dir) == []
    assert pipeline.export(_draft(), out_dir, settings)


@pytest.mark.parametrize("case", ["missing", "read-only"])
def test_notes_command_says_it_in_one_line_with_exit_2(case: str, tmp_path: Path) -> None:
    source = tmp_path / "transcript.json"
    source.write_text(json_text(transcript_to_dict(fx.transcript())), encoding="utf-8")
    output = tmp_path / "usb" / "podcast" if case == "missing" else tmp_path / "locked"
    if case == "read-only":
        output.mkdir()
    with read_only(output) if case == "read-only" else _nothing():
        result = CliRunner().invoke(app, ["notes", str(source), "--output", str(output)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.output, result.output
    named = tmp_path / "usb" if case == "missing" else output
    assert f"{named}: kan niet schrijven, " in lines[0] and " / cannot write, " in lines[0]


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def test_notes_output_is_the_folder_of_episode_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Like `run`: --output DIR puts the episode in DIR/<slug>/, where the review app lists it."""
    source = tmp_path / "transcript.json"
    source.write_text(json_text(transcript_to_dict(fx.transcript())), encoding="utf-8")
    made = []
    monkeypatch.setattr(pipeline, "draft", lambda transcript, settings: _draft())  # no NLP needed here
    monkeypatch.setattr(pipeline, "prepare", lambda transcript, settings: transcript)
    real_export = pipeline.export
    monkeypatch.setattr(pipeline, "export", lambda result, out_dir, settings: made.append(out_dir)
                        or real_export(result, out_dir, settings))
    result = CliRunner().invoke(app, ["notes", str(source), "--output", str(tmp_path / "output")])
    assert result.exit_code == 0, result.output
    assert made == [tmp_path / "output" / "ep-test"]
    assert result.output.strip().splitlines()[-1] == str(tmp_path / "output" / "ep-test")
    manifest = json.loads((tmp_path / "output" / "ep-test" / MANIFEST).read_text())
    assert manifest["episode_id"] == "0" * 64


def test_prefect_run_logs_show_podpipe_errors_without_a_traceback() -> None:
    from podpipe.flows.episode import _MessageWithoutTraceback

    def record(error: Exception) -> logging.LogRecord:
        try:
            raise error
        except Exception:
            return logging.LogRecord("prefect.task_runs", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())

    expected = record(OutputWriteError(Path("/out/ep/transcript.vtt"), errno.ENOSPC))
    assert _MessageWithoutTraceback().filter(expected) and expected.exc_info is None
    bad_input = record(InvalidInputError(Path("kapot.mp3"), "not audio"))
    assert _MessageWithoutTraceback().filter(bad_input) and bad_input.exc_info is None
    bug = record(KeyError("a bug"))
    assert _MessageWithoutTraceback().filter(bug) and bug.exc_info is not None, "a bug keeps its traceback"


_KILLED_MID_WRITE = """
import sys
from pathlib import Path
from podpipe.files import atomic_path
with atomic_path(Path(sys.argv[1])) as temporary:
    temporary.write_text("half")
    print(temporary.name, flush=True)
    sys.stdin.read()  # killed here, before the rename
"""


def test_a_writer_killed_mid_write_leaves_nothing_once_the_episode_is_taken_over(tmp_path: Path) -> None:
    from podpipe.files import FOREIGN_TEMPORARY_AGE_S

    episode = fx.transcript().episode
    out_dir = layout.episode_output_dir(episode, tmp_path)
    writer = subprocess.Popen([sys.executable, "-c", _KILLED_MID_WRITE, str(out_dir / MANIFEST)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    dead = writer.stdout.readline().strip()
    writer.kill()
    writer.wait()
    live = f".{MANIFEST}.{os.getpid()}@{dead.rsplit('@', 1)[1]}"  # this test's process: alive
    (out_dir / live).write_text("mine")
    (out_dir / ".shownotes.md.77@another-machine.part").write_text("theirs, a minute old")
    old = out_dir / "versions" / ".0001.json.77@another-machine.part"
    old.parent.mkdir()
    old.write_text("theirs, two hours old")
    os.utime(old, (old.stat().st_atime, old.stat().st_mtime - 2 * FOREIGN_TEMPORARY_AGE_S))
    assert (out_dir / dead).is_file()

    assert layout.episode_output_dir(episode, tmp_path) == out_dir
    assert sorted(p.name for p in out_dir.rglob(".*.part")) == sorted(
        [live, ".shownotes.md.77@another-machine.part"]), "a live or young writer's file stays"
