"""The drop folder: complete files only, refused files with reasons, a catalogue, crash safety."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import podpipe_command, run_podpipe
from podpipe.catalog import Catalog
from podpipe.errors import InvalidInputError
from podpipe.inbox import complete_files, is_candidate, move_to_failed
from podpipe.sidecar import read_sidecar

UTTERANCES = [
    "nl_rhasspy_1120_1601731228", "nl_rhasspy_565_1602084063", "nl_rhasspy_536_1602084422",
    "nl_rhasspy_1145_1601730588", "nl_rhasspy_516_1602169927", "nl_rhasspy_1004_1601817762",
    "nl_rhasspy_1038_1601732757", "nl_rhasspy_104_1602426725", "nl_rhasspy_1053_1601732460",
]


def kill_processes_with_env(name: str, value: str) -> None:
    """Kill -9 every process whose environment has name=value (those that left our process group)."""
    needle = f"{name}={value}".encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if needle in (proc / "environ").read_bytes().split(b"\0"):
                os.kill(int(proc.name), signal.SIGKILL)
        except (OSError, ProcessLookupError):
            continue


def catalog_of(output: Path) -> Catalog:
    return Catalog(f"sqlite:///{output / 'catalog.sqlite'}")


# --- unit tests: no models ---------------------------------------------------------------------

def test_temporary_and_hidden_names_are_not_candidates(tmp_path: Path) -> None:
    names = ["ep.mp3", "ep.mp3.part", "ep.mp3.crdownload", "ep.mp3~", ".ep.mp3", "ep.yaml", "x.mp3.error.txt"]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in tmp_path.iterdir() if is_candidate(p)] == ["ep.mp3"]


def test_a_file_still_growing_is_left_alone(tmp_path: Path) -> None:
    growing = tmp_path / "ep.mp3"
    growing.write_bytes(b"a" * 1000)
    done = tmp_path / "done.mp3"
    done.write_bytes(b"b" * 1000)

    def copy_goes_on(_seconds: float) -> None:
        with growing.open("ab") as handle:
            handle.write(b"a" * 1000)

    assert complete_files(tmp_path, 0.0, sleep=copy_goes_on) == [done]
    assert complete_files(tmp_path, 0.0, sleep=lambda s: None) == [done, growing]


def test_refused_file_moves_with_its_reason_and_never_replaces_another(tmp_path: Path) -> None:
    failed = tmp_path / "failed"
    for attempt in range(2):
        source = tmp_path / "inbox" / "kapot.mp3"
        source.parent.mkdir(exist_ok=True)
        source.write_bytes(b"not audio %d" % attempt)
        moved = move_to_failed(source, failed, "not a readable audio file")
        assert not source.exists()
        assert (failed / f"{moved.name}.error.txt").read_text().startswith("kapot.mp3: not a readable audio")
    assert sorted(p.name for p in failed.iterdir()) == [
        "kapot (2).mp3", "kapot (2).mp3.error.txt", "kapot.mp3", "kapot.mp3.error.txt"
    ]


@pytest.mark.parametrize(
    ("yaml_text", "reason"),
    [
        ("slug: ../../etc\n", "slug"),
        ("title: Aflevering\naudio: ../other.mp3\n", "audio"),
        ("guests:\n  - name: !!python/object/apply:os.system ['true']\n", "not readable YAML"),
        ("- just\n- a list\n", "mapping"),
    ],
)
def test_sidecar_values_are_data_never_paths_or_code(tmp_path: Path, yaml_text: str, reason: str) -> None:
    audio_file = tmp_path / "ep.mp3"
    audio_file.write_bytes(b"x")
    (tmp_path / "ep.yaml").write_text(yaml_text)
    with pytest.raises(InvalidInputError, match=reason) as caught:
        read_sidecar(audio_file)
    assert caught.value.path == tmp_path / "ep.yaml"


# --- with the real models ----------------------------------------------------------------------

@pytest.fixture
def inbox_env(environment: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return environment | {
        "PODPIPE_INBOX__SETTLE_SECONDS": "1.0",
        "PODPIPE_PATHS__FAILED": str(tmp_path / "failed"),
    }


GOOD_NAMES = [
    "aflevering 01.mp3", "Café Leren – ép 2.m4a", "it's \"quoted\".flac", "vier.ogg", "vijf.opus",
    "zes.wav", "zeven.mp4", "acht.mp3", "negen.wav",
]


@pytest.mark.models
def test_batch_of_twelve_with_three_bad(make_speech, tmp_path: Path, inbox_env: dict[str, str]) -> None:
    inbox, output = tmp_path / "inbox", tmp_path / "output"
    for name, utterance in zip(GOOD_NAMES, UTTERANCES):
        make_speech(inbox / name, [utterance])
    (inbox / "acht.yaml").write_text(
        "title: Aflevering acht\nnumber: 8\nslug: aflevering-acht\n"
        "guests:\n  - name: Ellen Verhaegen\n    organisation: Leerkorrel\n"
    )
    (inbox / "geen audio.mp3").write_text("Dit is een tekstbestand, geen audio.\n" * 40)
    (inbox / "leeg.wav").touch()
    whole, _ = make_speech(tmp_path / "whole.mp3", UTTERANCES[:3])
    (inbox / "afgebroken.mp3").write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])

    result = run_podpipe("watch", "--once", "--inbox", str(inbox), "--output", str(output), env=inbox_env)
    assert result.returncode == 0, result.stderr[-4000:]

    folders = sorted(p for p in output.iterdir() if p.is_dir())
    assert len(folders) == 9, [p.name for p in folders]
    assert all((folder / "transcript.json").is_file() and (folder / "shownotes.draft.md").is_file()
               for folder in folders), "every good file has its draft"
    assert (output / "aflevering-acht").is_dir(), "the sidecar's slug names the folder"

    failed = tmp_path / "failed"
    reasons = {p.name.removesuffix(".error.txt"): p.read_text() for p in failed.glob("*.error.txt")}
    assert set(reasons) == {"geen audio.mp3", "leeg.wav", "afgebroken.mp3"}
    assert "not a readable audio" in reasons["geen audio.mp3"]
    assert "empty" in reasons["leeg.wav"]
    assert "truncated" in reasons["afgebroken.mp3"]
    assert sorted(p.name for p in inbox.iterdir()) == sorted(GOOD_NAMES + ["acht.yaml"])

    rows = catalog_of(output).episodes()
    assert sorted(r.status for r in rows) == ["draft ready"] * 9 + ["failed"] * 3
    eight = next(r for r in rows if r.slug == "aflevering-acht")
    assert {s.name for s in eight.stages} == {
        "ingest", "transcribe", "diarize", "attribute", "analyse", "draft", "export"
    }
    assert all(s.status == "done" and s.seconds is not None for s in eight.stages)

    # The same audio again, renamed: processed once. A second scan does nothing at all.
    (inbox / "kopie van zes.wav").write_bytes((inbox / "zes.wav").read_bytes())
    mtimes = {p: p.stat().st_mtime_ns for p in output.rglob("*") if p.is_file() and p.suffix != ".sqlite"
              and not p.name.startswith("catalog.sqlite")}
    again = run_podpipe("watch", "--once", "--inbox", str(inbox), "--output", str(output), env=inbox_env)
    assert again.returncode == 0, again.stderr[-4000:]
    assert again.stdout.strip() == ""
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes
    assert len(catalog_of(output).episodes()) == 12


@pytest.mark.models
def test_file_dropped_in_two_halves_is_processed_once_complete(make_speech, tmp_path: Path,
                                                                inbox_env: dict[str, str]) -> None:
    inbox, output = tmp_path / "inbox", tmp_path / "output"
    inbox.mkdir()
    source, _ = make_speech(tmp_path / "source.wav", UTTERANCES[:2])
    data = source.read_bytes()
    target = inbox / "in twee keer.wav"
    target.write_bytes(data[: len(data) // 2])
    env = inbox_env | {"PODPIPE_INBOX__SETTLE_SECONDS": "3.0"}
    scan = subprocess.Popen(podpipe_command("watch", "--once", "--inbox", str(inbox), "--output", str(output)),
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # The copy goes on, slowly, while the scan looks (from its catalogue's creation on, just before its
    # first look): it must not take the half file. On a loaded machine the scan may look only after
    # the copy ended, and then takes the whole file, which is right too.
    deadline = time.monotonic() + 60
    while not (output / "catalog.sqlite").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    rest = data[len(data) // 2:]
    chunks = 20
    for index in range(chunks):  # over about 4 s: longer than the settle time
        with target.open("ab") as handle:
            handle.write(rest[index * len(rest) // chunks : (index + 1) * len(rest) // chunks])
        time.sleep(0.2)
    stdout, stderr = scan.communicate(timeout=300)
    assert scan.returncode == 0, stderr[-3000:]
    assert stdout.strip() in ("", str(output / "in-twee-keer")) and not (tmp_path / "failed").exists()

    result = run_podpipe("watch", "--once", "--inbox", str(inbox), "--output", str(output), env=inbox_env)
    assert result.returncode == 0, result.stderr[-3000:]
    (row,) = catalog_of(output).episodes()
    assert row.status == "draft ready" and row.duration == pytest.approx(len(data[44:]) / 32000, abs=0.1)


@pytest.mark.models
def test_killed_mid_transcription_resumes_without_redoing_finished_stages(
    make_speech, tmp_path: Path, inbox_env: dict[str, str]
) -> None:
    inbox, output = tmp_path / "inbox", tmp_path / "output"
    make_speech(inbox / "lang.mp3", UTTERANCES * 3)  # ~1.5 minutes: time to catch it mid-stage
    work = Path(inbox_env["PODPIPE_PATHS__WORK"])
    command = podpipe_command("watch", "--once", "--inbox", str(inbox), "--output", str(output))
    worker = subprocess.Popen(command, env=inbox_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            rows = catalog_of(output).episodes() if (output / "catalog.sqlite").exists() else []
            stages = {s.name: s.status for r in rows for s in r.stages}
            if stages.get("transcribe") == "running":
                break
            time.sleep(0.2)
        else:
            pytest.fail("transcription never started")
        time.sleep(1.0)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)  # the flow and its stage worker
        worker.wait()
        kill_processes_with_env("PREFECT_HOME", inbox_env["PREFECT_HOME"])  # Prefect's temporary server

    (row,) = catalog_of(output).episodes()
    ingest_before = next(s for s in row.stages if s.name == "ingest")
    assert ingest_before.status == "done"
    assert next(s for s in row.stages if s.name == "transcribe").status == "running"
    normalised = next(work.glob("*.16k.wav"))  # kept while the episode is unfinished, for its resumption

    result = run_podpipe("watch", "--once", "--inbox", str(inbox), "--output", str(output), env=inbox_env)
    assert result.returncode == 0, result.stderr[-3000:]
    (row,) = catalog_of(output).episodes()
    assert row.status == "draft ready"
    stages = {s.name: s for s in row.stages}
    assert stages["ingest"].started_at == ingest_before.started_at, "ingest was not redone"
    assert not normalised.exists(), "once the episode is done its normalised audio is removed"
    assert stages["transcribe"].status == "done"
    out_dir = Path(row.output_dir)
    assert (out_dir / "transcript.json").is_file()
    assert not [p for p in output.rglob("*") if p.name.endswith(".part")], "no half-written file left"
