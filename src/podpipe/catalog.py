"""The episode catalogue: what podpipe has seen, and how far each episode got.

SQLite by default; any SQLAlchemy URL (PostgreSQL for several machines) in ``catalog.url``.
An episode's identity is the sha256 of its audio: the same file dropped twice, or renamed, is one row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, String, Text, create_engine, event, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, sessionmaker

from podpipe.domain import Approval, Episode


class Status(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    DRAFT_READY = "draft ready"
    # A draft was made, but there was nothing to name: see the draft's check box.
    NO_SPEECH = "no speech"
    OTHER_LANGUAGE = "other language"
    APPROVED = "approved"
    TO_REAPPROVE = "to re-approve"  # approved, then changed in the review app
    FAILED = "failed"


# An episode in one of these is done with: its drafts are written (maybe approved since, or saying there
# was nothing to name), so its work files may go. The inbox's scans and the pool's workers read this one set.
FINISHED: frozenset[Status] = frozenset(
    {Status.DRAFT_READY, Status.APPROVED, Status.TO_REAPPROVE, Status.NO_SPEECH, Status.OTHER_LANGUAGE})


# The catalogue's copy of an approval, derived from the one record (``approval.json``, ``io.approval_status``)
# by the review app and by the flow reprocessing an approved episode; a draft keeps the pipeline's status.
APPROVAL_STATUS: dict[str, Status] = {Approval.APPROVED: Status.APPROVED, Approval.TO_REAPPROVE: Status.TO_REAPPROVE}


class StageStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


class EpisodeRow(Base):
    __tablename__ = "episodes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the source audio
    slug: Mapped[str] = mapped_column(String(200))
    source_path: Mapped[str] = mapped_column(Text)
    duration: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), default=Status.PENDING)
    error: Mapped[str | None] = mapped_column(Text)
    output_dir: Mapped[str | None] = mapped_column(Text)
    speakers: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)
    stages: Mapped[list[StageRow]] = relationship(
        back_populates="episode", cascade="all, delete-orphan", order_by="StageRow.started_at"
    )


class StageRow(Base):
    __tablename__ = "stages"

    episode_id: Mapped[str] = mapped_column(ForeignKey("episodes.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    seconds: Mapped[float | None] = mapped_column(Float)  # wall time
    cpu_seconds: Mapped[float | None] = mapped_column(Float)  # every thread of the process that ran it
    model: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    episode: Mapped[EpisodeRow] = relationship(back_populates="stages")


class Catalog:
    """Episode states in one database; every method is its own short transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            # Several processes (a watcher, the review app) share the file: wait for locks, don't fail.
            event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            Base.metadata.create_all(self.engine)
        except (OperationalError, IntegrityError, ProgrammingError):
            # Another process created the tables between our check and our CREATE: they are there now.
            # (PostgreSQL says so as a unique violation in its type catalogue or a duplicate table.)
            Base.metadata.create_all(self.engine)
        _add_missing_columns(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def for_path(cls, path: Path) -> Catalog:
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(f"sqlite:///{path}")

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def get(self, episode_id: str) -> EpisodeRow | None:
        with self.session() as session:
            row = session.get(EpisodeRow, episode_id)
            if row is not None:
                _ = row.stages  # load while the session is open
            return row

    def episodes(self) -> list[EpisodeRow]:
        with self.session() as session:
            rows = session.scalars(select(EpisodeRow).order_by(EpisodeRow.created_at)).all()
            for row in rows:
                _ = row.stages
            return list(rows)

    def register(self, episode: Episode) -> EpisodeRow:
        """Add the episode if new; a known one keeps its history (its source path is brought up to date)."""
        with self.session() as session:
            row = session.get(EpisodeRow, episode.id)
            if row is None:
                row = EpisodeRow(
                    id=episode.id, slug=episode.slug, source_path=str(episode.source),
                    duration=episode.duration, status=Status.PENDING,
                )
                session.add(row)
            else:
                row.source_path = str(episode.source)
                row.duration = episode.duration
            return row

    def record_failure_of_file(self, source: Path, episode_id: str, error: str) -> None:
        """A file that never became an episode (it failed ingest) is still listed, with its reason."""
        with self.session() as session:
            row = session.get(EpisodeRow, episode_id)
            if row is None:
                row = EpisodeRow(id=episode_id, slug=source.stem, source_path=str(source))
                session.add(row)
            row.status, row.error = Status.FAILED, error

    def set_status(self, episode_id: str, status: Status, *, error: str | None = None,
                   output_dir: Path | None = None, speakers: list[str] | None = None) -> None:
        with self.session() as session:
            row = session.get(EpisodeRow, episode_id)
            if row is None:
                raise KeyError(episode_id)
            row.status, row.error = status, error
            if output_dir is not None:
                row.output_dir = str(output_dir)
            if speakers is not None:
                row.speakers = speakers

    def stage_started(self, episode_id: str, stage: str) -> None:
        with self.session() as session:
            row = session.get(StageRow, (episode_id, stage))
            if row is None:
                session.add(StageRow(episode_id=episode_id, name=stage, status=StageStatus.RUNNING))
            else:
                row.status, row.started_at, row.finished_at, row.error = StageStatus.RUNNING, _now(), None, None

    def stage_finished(self, episode_id: str, stage: str, *, model: str | None = None, seconds: float | None = None,
                       cpu_seconds: float | None = None) -> None:
        """Done; ``seconds`` (default: since it started) and ``cpu_seconds`` are what it cost."""
        with self.session() as session:
            row = session.get(StageRow, (episode_id, stage))
            if row is None:
                raise KeyError((episode_id, stage))
            row.status, row.finished_at, row.model = StageStatus.DONE, _now(), model
            elapsed = seconds if seconds is not None else (row.finished_at - _aware(row.started_at)).total_seconds()
            row.seconds = round(elapsed, 3)
            row.cpu_seconds = round(cpu_seconds, 3) if cpu_seconds is not None else None

    def stage_failed(self, episode_id: str, stage: str, error: str) -> None:
        with self.session() as session:
            row = session.get(StageRow, (episode_id, stage))
            if row is not None:
                row.status, row.finished_at, row.error = StageStatus.FAILED, _now(), error

    def is_done(self, episode_id: str, stage: str) -> bool:
        with self.session() as session:
            row = session.get(StageRow, (episode_id, stage))
            return row is not None and row.status == StageStatus.DONE


def _add_missing_columns(engine: Engine) -> None:
    """A catalogue written by an older podpipe gets the columns added since (all nullable)."""
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                kind = column.type.compile(dialect=engine.dialect)
                try:
                    with engine.begin() as connection:
                        connection.execute(text(f'ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}'))
                except (OperationalError, ProgrammingError):
                    pass  # another process added it between our look and our ALTER


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite hands datetimes back without their zone; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
