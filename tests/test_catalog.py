"""The catalogue: stage timings, and catalogues written by an older podpipe."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from podpipe.catalog import Catalog
from podpipe.domain import Episode


def episode() -> Episode:
    return Episode(id="a" * 64, slug="aflevering-1", source=Path("aflevering-1.mp3"), duration=60.0)


def test_a_stage_keeps_its_own_wall_and_cpu_time(tmp_path: Path) -> None:
    catalog = Catalog.for_path(tmp_path / "catalog.sqlite")
    catalog.register(episode())
    catalog.stage_started(episode().id, "transcribe")
    catalog.stage_finished(episode().id, "transcribe", model="whisper", seconds=12.5, cpu_seconds=24.25)
    catalog.stage_started(episode().id, "export")
    catalog.stage_finished(episode().id, "export")
    stages = {stage.name: stage for stage in catalog.get(episode().id).stages}
    assert (stages["transcribe"].seconds, stages["transcribe"].cpu_seconds) == (12.5, 24.25)
    assert stages["export"].seconds is not None and stages["export"].cpu_seconds is None


def test_an_older_catalogue_gets_the_new_column_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    with sqlite3.connect(path) as db:  # the stages table as podpipe wrote it before cpu_seconds
        db.executescript("""
            CREATE TABLE episodes (id VARCHAR(64) PRIMARY KEY, slug VARCHAR(200), source_path TEXT, duration FLOAT,
                status VARCHAR(20), error TEXT, output_dir TEXT, speakers JSON, created_at DATETIME,
                updated_at DATETIME);
            CREATE TABLE stages (episode_id VARCHAR(64) REFERENCES episodes(id), name VARCHAR(40),
                status VARCHAR(20), started_at DATETIME, finished_at DATETIME, seconds FLOAT, model TEXT,
                error TEXT, PRIMARY KEY (episode_id, name));
            INSERT INTO episodes VALUES ('{old}', 'oud', 'oud.mp3', 60, 'draft ready', NULL, NULL, NULL,
                '2026-11-01 10:00:00', '2026-11-01 10:00:00');
            INSERT INTO stages VALUES ('{old}', 'transcribe', 'done', '2026-11-01 10:00:00',
                '2026-11-01 10:01:00', 60.0, 'whisper', NULL);
        """.format(old="b" * 64))
    catalog = Catalog.for_path(path)
    (row,) = catalog.episodes()
    assert row.slug == "oud" and row.stages[0].seconds == 60.0 and row.stages[0].cpu_seconds is None
    catalog.stage_started("b" * 64, "diarize")
    catalog.stage_finished("b" * 64, "diarize", seconds=3.0, cpu_seconds=2.5)
    assert {s.name: s.cpu_seconds for s in catalog.get("b" * 64).stages} == {"transcribe": None, "diarize": 2.5}
    Catalog.for_path(path)  # opening it again (the column is there now) changes nothing
