"""The ``podpipe`` command (Typer: typed options, help text and shell completion for free)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from podpipe.errors import PodpipeError
from podpipe.models import offline_environment

if TYPE_CHECKING:
    from podpipe.catalog import StageRow
    from podpipe.config import Settings
    from podpipe.prefect_server import TemporaryPrefectServer

app = typer.Typer(help="Dutch podcast episodes in, show notes out.", no_args_is_help=True, add_completion=False)
console = Console(stderr=True)


# Options several commands share.
# Every command means the same by --output: the folder of episode folders (each episode in <folder>/<slug>/).
OutputOption = Annotated[Path | None, typer.Option(
    help="The folder of episode folders: each episode goes to <folder>/<slug>/; default from config (output/).")]
ConfigOption = Annotated[Path | None, typer.Option(help="Settings file; default config/podpipe.toml.")]
InboxOption = Annotated[Path | None, typer.Option(help="Drop folder; default from config (audio/inbox/).")]


@app.callback()
def _main() -> None:
    """Dutch podcast episodes in, show notes out."""


def _prepare_environment() -> None:
    from podpipe.prefect_server import prefect_home

    offline_environment()
    # Prefect's own usage statistics stay off: nothing leaves the machine unless a user asks.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    # Prefect's temporary server waits 20 s by default; on a loaded 2-core machine with a fresh
    # Prefect home it needs longer (a run of the inbox tests failed with "Timed out while attempting
    # to connect to ephemeral Prefect API server"), and waiting is better than losing the run.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    # One Prefect home for every podpipe command (before Prefect is imported): `run`, `watch` and
    # `serve` share the stages' cached results, and serve's server keeps its database there.
    os.environ.setdefault("PREFECT_HOME", str(prefect_home()))


@contextmanager
def _errors_exit_2(*kinds: type[BaseException]) -> Iterator[None]:
    """Bad input ends the command with its message (naming the file) and exit code 2, not a traceback."""
    expected: tuple[type[BaseException], ...] = (PodpipeError, *kinds)
    try:
        yield
    except expected as error:
        # One line however wide the terminal (soft_wrap); a path's [brackets] are not markup.
        console.print(f"[bold red]error:[/] {escape(str(error))}", soft_wrap=True)
        raise typer.Exit(code=2) from error


class _ProgressBar:
    """A rich progress bar per stage, fed by podpipe.progress (seconds of audio done / total)."""

    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("{task.description:<11}"),
            BarColumn(),
            TextColumn("{task.completed:>6.0f}/{task.total:.0f} s"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, stage: str, done: float, total: float) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(stage, total=total)
        self.progress.update(self.tasks[stage], completed=done, total=total)

    def __enter__(self) -> _ProgressBar:
        from podpipe import progress

        progress.add_listener(self)
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        from podpipe import progress

        self.progress.stop()
        progress.remove_listener(self)


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="The project folder to set up; default: here.")] = Path("."),
) -> None:
    """Copy podpipe's default settings and show-notes templates into FOLDER/config/ to edit them."""
    from podpipe.config import init_project

    written = init_project(folder)
    for path in written:
        typer.echo(str(path))
    if not written:
        console.print(f"{folder / 'config'} already has every file; nothing was overwritten")


@app.command()
def run(
    path: Annotated[Path, typer.Argument(help="The episode's audio (mp3, m4a, wav, flac, ogg/opus, mp4).")],
    output: OutputOption = None,
    config: ConfigOption = None,
) -> None:
    """Process one episode through the Prefect flow and print its folder (<output>/<slug>/)."""
    _prepare_environment()
    with _errors_exit_2():
        server = _temporary_server(config)
        from podpipe.flows.episode import process_episode  # loads while the server starts

        server.wait()
        with _ProgressBar():
            out_dir = process_episode(source=path, output_root=output, config_file=config)
    typer.echo(str(out_dir))


class _NoServer:
    """PREFECT_API_URL names a server: nothing to start or wait for."""

    def wait(self) -> None:
        pass


def _temporary_server(config: Path | None) -> TemporaryPrefectServer | _NoServer:
    """Prefect's temporary server for this run, starting (it stops when the process exits), unless
    PREFECT_API_URL names a server."""
    from podpipe.config import load_settings
    from podpipe.prefect_server import TemporaryPrefectServer, prefect_home

    if os.environ.get("PREFECT_API_URL"):
        return _NoServer()
    server = TemporaryPrefectServer(prefect_home(), load_settings(config).serve.startup_timeout_seconds)
    server.spawn()
    return server


@app.command()
def notes(
    transcript: Annotated[
        Path, typer.Argument(help="podpipe's transcript.json, or a speakers-and-turns episode file.")
    ],
    output: OutputOption = None,
    config: ConfigOption = None,
) -> None:
    """Themes, quotes, people and draft show notes from an existing transcript; print the episode's folder."""
    _prepare_environment()
    from podpipe import pipeline
    from podpipe.cast import described
    from podpipe.config import load_settings
    from podpipe.exports.layout import ensure_output_root, episode_output_dir
    from podpipe.stages.analyse import load_transcript_any

    settings = load_settings(config)
    with _errors_exit_2():
        # The episode described once, its cast from the file's sidecar fields and these settings.
        loaded = described(load_transcript_any(transcript, words_per_second=settings.nlp.words_per_second),
                           settings)
        output_root = ensure_output_root(output or settings.resolve(settings.paths.output))
        result = pipeline.draft(pipeline.prepare(loaded, settings), settings)
        out_dir = episode_output_dir(loaded.episode, output_root)
        pipeline.export(result, out_dir, settings)
    typer.echo(str(out_dir))


@app.command()
def enrol(
    name: Annotated[str, typer.Argument(help="The host's name, as in [naming] host_name.")],
    clip: Annotated[Path, typer.Argument(help="Audio of them speaking (mostly) alone, 30 s or more.")],
    config: ConfigOption = None,
) -> None:
    """Store a voiceprint, so diarised episodes name this speaker by voice."""
    _prepare_environment()
    from podpipe.config import load_settings
    from podpipe.stages.naming import enrol_voiceprint

    with _errors_exit_2(ValueError):
        voiceprint = enrol_voiceprint(name, clip, load_settings(config).enrol_config())
    typer.echo(f"voiceprint of {voiceprint.name} stored ({voiceprint.count} recording(s))")


@app.command()
def watch(
    once: Annotated[bool, typer.Option("--once", help="Scan once and return when its episodes are done.")] = False,
    inbox: InboxOption = None,
    output: OutputOption = None,
    config: ConfigOption = None,
) -> None:
    """Process every new, complete file in the drop folder (once, or on the configured schedule)."""
    _prepare_environment()
    if not once:
        serve(inbox=inbox, output=output, config=config)
        return
    from podpipe.flows.inbox import scan_inbox

    with _errors_exit_2():  # an output folder that cannot be written: one line, before any episode
        report = scan_inbox(inbox=inbox, output_root=output, config_file=config)
    for folder in report.processed:
        typer.echo(str(folder))
    for path in report.failed:
        console.print(f"[yellow]refused:[/] {path} (reason in {path.name}.error.txt)")
    for path in report.queued:
        console.print(f"queued on the work pool: {path}")
    for path in report.running:
        console.print(f"[yellow]left alone:[/] {path} (another podpipe process is processing it now)")
    if report.retry_later:
        console.print(f"[red]{len(report.retry_later)} file(s) failed and stay in the inbox for the next scan[/]")
        raise typer.Exit(code=1)


@app.command()
def serve(
    inbox: InboxOption = None,
    output: OutputOption = None,
    config: ConfigOption = None,
    show_status: Annotated[bool, typer.Option("--status", help="Only say whether the schedule is live.")] = False,
) -> None:
    """Scan the drop folder on the interval or cron schedule from config, with Prefect, until stopped.

    Without PREFECT_API_URL it starts its own Prefect server (UI and API on 127.0.0.1) and stops it on
    exit; with it, it uses that server.
    """
    _prepare_environment()
    from podpipe.config import load_settings

    settings = load_settings(config)
    if show_status:
        typer.echo(_schedule_line(settings))
        return
    signal.signal(signal.SIGTERM, _exit_on_sigterm)  # systemd's stop: leave through the finally blocks
    with _errors_exit_2(), _prefect_server(settings) as (ui_url, own_server):
        from podpipe.flows.inbox import serve_inbox

        minutes = settings.inbox.interval_minutes
        schedule = (f"cron {settings.inbox.cron}" if settings.inbox.cron
                    else f"every {minutes:g} min" if minutes >= 1 else f"every {minutes * 60:g} s")
        inbox_dir = inbox or settings.resolve(settings.paths.inbox)
        console.print(f"podpipe serve: scanning {inbox_dir} ({schedule}, {settings.inbox.timezone}); Ctrl-C stops",
                      soft_wrap=True)
        console.print(f"Prefect UI: {ui_url}  (the schedule: {ui_url}/deployments, scans and episodes: "
                      f"{ui_url}/runs, drafts: {ui_url}/artifacts, the CPU slot: {ui_url}/concurrency-limits)",
                      soft_wrap=True, markup=False)
        serve_inbox(inbox=inbox, output_root=output, config_file=config, own_server=own_server)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def _prefect_server(settings: Settings) -> Iterator[tuple[str, bool]]:
    """(UI address, whether we started the server): PREFECT_API_URL's server, else our own."""
    api_url = os.environ.get("PREFECT_API_URL")
    if api_url:
        yield api_url.rstrip("/").removesuffix("/api"), False
        return
    from podpipe.prefect_server import LocalPrefectServer, prefect_home

    home = prefect_home()
    console.print(f"starting a Prefect server (database and log in {home}) ...")
    server = LocalPrefectServer(home, port=settings.serve.port, startup_timeout=settings.serve.startup_timeout_seconds)
    with server:
        for note in server.notes:
            console.print(f"[yellow]{note}[/]")
        # Before Prefect is imported, so this process and the runs it starts all talk to this server.
        os.environ["PREFECT_API_URL"] = server.api_url
        try:
            yield server.ui_url, True
        finally:
            console.print("stopping the Prefect server")


def _schedule_line(settings: Settings) -> str:
    """``schedule: live ...; next scan due ...`` or ``schedule: not live: <why>``."""
    from podpipe.prefect_server import is_healthy, live_server, prefect_home

    api_url = os.environ.get("PREFECT_API_URL")
    if not api_url:
        record = live_server(prefect_home())
        if record is None:
            return "schedule: not live: podpipe serve is not running"
        api_url = record.api_url
    if not is_healthy(api_url):
        return f"schedule: not live: the Prefect server at {api_url} does not answer"
    from podpipe.flows.inbox import schedule_status

    _, line = schedule_status(api_url, settings.inbox.timezone)
    return f"schedule: {line}; Prefect UI {api_url.rstrip('/').removesuffix('/api')}"


def _stage_time(stage: StageRow) -> str:
    """``transcribe 190.2 (381.0)``: where the time of an episode went; a stage not done says its state."""
    if stage.seconds is None:
        return f"{stage.name} {stage.status}"
    cpu = f" ({stage.cpu_seconds:.1f})" if stage.cpu_seconds is not None else ""
    return f"{stage.name} {stage.seconds:.1f}{cpu}"


@app.command()
def status(
    output: OutputOption = None,
    config: ConfigOption = None,
) -> None:
    """Whether the schedule is live and when the next scan is due; the episode catalogue as a table."""
    from rich.table import Table

    from podpipe.catalog import Catalog
    from podpipe.config import load_settings

    _prepare_environment()
    settings = load_settings(config)
    typer.echo(_schedule_line(settings))
    output_root = output or settings.resolve(settings.paths.output)
    table = Table("episode", "status", "duration", "stages: wall s (CPU s)", "output / error",
                  title=f"catalogue of {output_root}")
    for row in Catalog(settings.catalog_url(output_root)).episodes():
        stages = ", ".join(_stage_time(stage) for stage in row.stages)
        duration = f"{row.duration / 60:.1f} min" if row.duration else "-"
        table.add_row(row.slug, row.status, duration, stages, row.error or row.output_dir or "")
    Console().print(table)
    _print_pool(settings)


def _print_pool(settings: Settings) -> None:
    """With episodes on a work pool: which worker has (or had) which episode."""
    from rich.table import Table

    from podpipe.prefect_server import is_healthy

    api_url = os.environ.get("PREFECT_API_URL")
    if not api_url or not settings.pool.name or not is_healthy(api_url.rstrip("/")):
        return
    from podpipe.flows.pool import assignments, pool_in_use

    if not pool_in_use(settings):
        return
    table = Table("episode", "state", "worker", "run", title=f"work pool {settings.pool.name} (latest runs)")
    for assignment in assignments(settings):
        table.add_row(assignment.episode, assignment.state, assignment.worker or "(waiting for a worker)",
                      assignment.run_name)
    Console(width=160).print(table)


@app.command()
def worker(
    pool: Annotated[str | None, typer.Option(help="The work pool; default pool.name from config (podpipe).")] = None,
    name: Annotated[str | None, typer.Option(help="This worker's name in Prefect; default the host name.")] = None,
    config: ConfigOption = None,
) -> None:
    """Run episodes from a Prefect work pool, one at a time, until stopped (needs PREFECT_API_URL).

    Scans on any machine hand episodes to the pool; run this on every machine that should process
    them. Models load once per worker, and each machine's model stages take its CPU slot.
    """
    _prepare_environment()
    from podpipe.config import load_settings

    settings = load_settings(config)
    if not os.environ.get("PREFECT_API_URL"):
        console.print("[bold red]error:[/] podpipe worker needs PREFECT_API_URL, the Prefect server the scans use")
        raise typer.Exit(code=2)
    # Before Prefect reads its settings: a running episode's heartbeat is what tells a dead worker.
    os.environ.setdefault("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", str(settings.pool.heartbeat_seconds))
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    from podpipe.flows.pool import start_worker

    pool_name = pool or settings.pool.name
    console.print(f"podpipe worker: episodes from work pool {pool_name!r} at {os.environ['PREFECT_API_URL']}; "
                  "Ctrl-C stops", soft_wrap=True, markup=False)
    with _errors_exit_2():
        try:
            start_worker(pool_name, name, settings)
        except KeyboardInterrupt:
            pass



@app.command()
def review(
    output: OutputOption = None,
    host: Annotated[str | None, typer.Option(help="Address to bind; default [review] host (127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port; default [review] port (8765).")] = None,
    config: ConfigOption = None,
) -> None:
    """The editors' web app: episodes, show notes beside the transcript and player, versions, approval."""
    from podpipe.config import load_settings
    from podpipe.review import ReviewConfigError, serve

    settings = load_settings(config)
    output_root = output or settings.resolve(settings.paths.output)
    try:
        serve(output_root, settings=settings, host=host, port=port)
    except ReviewConfigError as error:
        console.print(str(error), style="red", markup=False)
        raise typer.Exit(code=2) from error
