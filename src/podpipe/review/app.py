"""The editors' review app: Starlette + server-rendered Jinja2, a little JavaScript for the player.

Security: Jinja2 autoescaping for everything editors and models wrote; a strict Content-Security-Policy
(no inline script); slugs validated and resolved inside the output root; a double-submit CSRF token
checked on every POST; a bind address other than loopback needs a configured token.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from podpipe.catalog import Catalog, EpisodeRow, Status
from podpipe.config import Settings
from podpipe.domain import Analysis, Quote, Role, Section, ShowNotes, Speaker
from podpipe.review import store
from podpipe.stages import notes as shownotes

HERE = Path(__file__).parent
SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
CSRF_COOKIE = "podpipe_csrf"
AUTH_COOKIE = "podpipe_auth"
SERVED_FILES = {"speakers.png", "transcript.vtt", "transcript.srt", "transcript.txt",
                "shownotes.draft.md", "shownotes.draft.html", "shownotes.draft.docx",
                "shownotes.final.md", "shownotes.final.html", "shownotes.final.docx"}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class ReviewConfigError(Exception):
    """The app refuses to start (e.g. a public bind without a token)."""


@dataclass(slots=True)
class ReviewConfig:
    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None  # required for any non-loopback bind

    @classmethod
    def from_settings(cls, settings: Settings) -> ReviewConfig:
        # settings.review.token is read from config or $PODPIPE_REVIEW__TOKEN by pydantic-settings.
        section = settings.review
        token = section.token.get_secret_value() if section.token else None
        return cls(host=section.host, port=section.port, token=token or None)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    if not is_loopback(host) and not token:
        raise ReviewConfigError(
            f"refusing to listen on {host}: anyone who can reach it could edit and approve show notes. "
            "Set a token first ([review] token = \"...\" in config/podpipe.toml or PODPIPE_REVIEW__TOKEN), "
            "or bind to 127.0.0.1 (the default)."
        )


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:d}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class _Security(BaseHTTPMiddleware):
    def __init__(self, app: Any, token: str | None) -> None:
        super().__init__(app)
        self.token = token

    async def dispatch(self, request: Request, call_next: Any) -> Response:
        if self.token and not request.url.path.startswith(("/login", "/static/")) and not self._authorised(request):
            if request.method == "GET":
                return RedirectResponse("/login", status_code=303)
            return HTMLResponse("login required", status_code=401)
        csrf = request.cookies.get(CSRF_COOKIE)
        if not csrf:
            csrf = secrets.token_urlsafe(32)
        request.state.csrf = csrf
        response = await call_next(request)
        if request.cookies.get(CSRF_COOKIE) != csrf:
            response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict")
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    def _authorised(self, request: Request) -> bool:
        expected = _auth_value(self.token or "")
        header = request.headers.get("authorization", "")
        if header.startswith("Bearer ") and hmac.compare_digest(header[7:], self.token or ""):
            return True
        return hmac.compare_digest(request.cookies.get(AUTH_COOKIE, ""), expected)


def _auth_value(token: str) -> str:
    return hmac.new(token.encode(), b"podpipe-review", "sha256").hexdigest()


def create_app(output_root: Path, *, settings: Any = None, catalog: Catalog | None = None,
               token: str | None = None) -> Starlette:
    output_root = Path(output_root).resolve()
    if settings is None:
        from podpipe.config import get_settings

        settings = get_settings()
    if catalog is None:
        output_root.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(settings.catalog_url(output_root))
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))
    env.filters["clock"] = _clock

    def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        body = env.get_template(template).render(csrf=request.state.csrf, request=request, **context)
        return HTMLResponse(body, status_code=status_code)

    def episode_dir(slug: str) -> Path:
        if not SLUG.match(slug):
            raise HTTPException(404, "no such episode")
        out_dir = (output_root / slug).resolve()
        if not out_dir.is_relative_to(output_root) or out_dir == output_root or not out_dir.is_dir():
            raise HTTPException(404, "no such episode")
        if not (out_dir / "transcript.json").is_file():
            raise HTTPException(404, "this episode has no transcript yet")
        return out_dir

    def row_for(out_dir: Path) -> EpisodeRow | None:
        rows = catalog.episodes()
        for row in rows:
            if row.output_dir and Path(row.output_dir).name == out_dir.name:
                return row
        return next((row for row in rows if row.slug == out_dir.name), None)

    async def checked_form(request: Request) -> FormData:
        form = await request.form()
        sent = str(form.get("csrf", ""))
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if not cookie or not hmac.compare_digest(sent, cookie):
            raise HTTPException(403, "missing or wrong form token: reload the page and try again")
        return form

    async def index(request: Request) -> Response:
        episodes = []
        for row in catalog.episodes():
            slug = Path(row.output_dir).name if row.output_dir else None
            if slug and not (SLUG.match(slug) and (output_root / slug / "transcript.json").is_file()):
                slug = None
            episodes.append({"row": row, "slug": slug, "speakers": ", ".join(map(str, row.speakers or []))})
        return render(request, "index.html", episodes=episodes, output_root=output_root)

    def page_context(out_dir: Path, state: store.EpisodeState) -> dict[str, Any]:
        transcript = store.transcript_with(store.load_transcript(out_dir), state.speakers)
        analysis = _analysis(out_dir)
        names = {s.id: s for s in transcript.speakers}
        lines = []
        for index, segment in enumerate(transcript.segments):
            speaker = names.get(segment.speaker or "")
            lines.append({"index": index, "start": segment.start, "speaker": speaker.display_name if speaker
                          else (segment.speaker or ""), "text": segment.text.strip()})
        sections = []
        for index, section in enumerate(state.notes.sections):
            quotes = []
            for q_index, quote in enumerate(section.quotes):
                candidates = [(i, c) for i, c in enumerate(analysis.quotes if analysis else [])
                              if c.theme is not None and c.theme == quote.theme and c.text != quote.text]
                speaker = names.get(quote.speaker)
                quotes.append({"index": q_index, "quote": quote, "candidates": candidates,
                               "speaker": speaker.display_name if speaker else quote.speaker})
            sections.append({"index": index, "section": section, "quotes": quotes})
        markdown = shownotes.render_markdown(state.notes, transcript, settings)
        return {"transcript": transcript, "lines": lines, "sections": sections, "state": state,
                "markdown": markdown, "analysis": analysis, "names": names}

    async def episode(request: Request) -> Response:
        slug = request.path_params["slug"]
        out_dir = episode_dir(slug)
        state = await run_in_threadpool(store.load_state, out_dir)
        context = await run_in_threadpool(page_context, out_dir, state)
        versions = [{"name": p.name, "number": int(store.VERSION_NAME.match(p.name).group(1))}
                    for p in store.version_files(out_dir)]
        conflicts = [p.name for p in store.conflict_files(out_dir)]
        return render(request, "episode.html", slug=slug, row=row_for(out_dir), versions=versions[::-1],
                      conflicts=conflicts[::-1], has_png=(out_dir / "speakers.png").is_file(),
                      message=request.query_params.get("msg", ""), roles=[r.value for r in Role], **context)

    async def save(request: Request) -> Response:
        slug = request.path_params["slug"]
        out_dir = episode_dir(slug)
        form = await checked_form(request)
        try:
            base_version = int(str(form.get("version", "")))
        except ValueError:
            raise HTTPException(400, "the form has no version number") from None
        try:
            base = await run_in_threadpool(store.load_state, out_dir, base_version)
        except KeyError:
            raise HTTPException(400, f"unknown base version {base_version}") from None
        notes, speakers = _edited(form, base, _analysis(out_dir))
        approving = form.get("action") == "approve"
        try:
            state = await run_in_threadpool(
                lambda: store.save(out_dir, base_version, notes, speakers, settings=settings,
                                   note="approve" if approving else "save"))
        except store.ConflictError as conflict:
            mine = store.EpisodeState(version=base_version, notes=notes, speakers=speakers,
                                      name=conflict.saved_as.name)
            return conflict_page(request, slug, out_dir, mine, conflict.current)
        if approving:
            return await do_approve(slug, out_dir)
        return RedirectResponse(f"/episodes/{slug}?msg=saved+as+version+{state.version}", status_code=303)

    def conflict_page(request: Request, slug: str, out_dir: Path, mine: store.EpisodeState,
                      current: store.EpisodeState) -> Response:
        transcript = store.load_transcript(out_dir)
        return render(request, "conflict.html", status_code=409, slug=slug, mine=mine, current=current,
                      mine_md=shownotes.render_markdown(mine.notes, store.transcript_with(transcript, mine.speakers),
                                                        settings),
                      current_md=shownotes.render_markdown(
                          current.notes, store.transcript_with(transcript, current.speakers), settings))

    async def do_approve(slug: str, out_dir: Path) -> Response:
        state, _written = await run_in_threadpool(lambda: store.approve(out_dir, settings=settings))
        row = row_for(out_dir)
        if row is not None:
            names = [s.display_name for s in state.speakers]
            await run_in_threadpool(lambda: catalog.set_status(row.id, Status.APPROVED, speakers=names))
        return RedirectResponse(f"/episodes/{slug}?msg=approved+(version+{state.version})", status_code=303)

    async def approve(request: Request) -> Response:
        slug = request.path_params["slug"]
        out_dir = episode_dir(slug)
        await checked_form(request)
        return await do_approve(slug, out_dir)

    async def version(request: Request) -> Response:
        slug = request.path_params["slug"]
        out_dir = episode_dir(slug)
        name = request.path_params["name"]
        try:
            state = await run_in_threadpool(store.read_version_file, out_dir, name)
        except KeyError:
            raise HTTPException(404, "no such version") from None
        transcript = store.transcript_with(store.load_transcript(out_dir), state.speakers)
        current = await run_in_threadpool(store.load_state, out_dir)
        return render(request, "version.html", slug=slug, state=state, name=name, current_version=current.version,
                      markdown=shownotes.render_markdown(state.notes, transcript, settings))

    async def restore(request: Request) -> Response:
        slug = request.path_params["slug"]
        out_dir = episode_dir(slug)
        form = await checked_form(request)
        try:
            old = await run_in_threadpool(store.read_version_file, out_dir, str(form.get("name", "")))
            base_version = int(str(form.get("version", "")))
        except (KeyError, ValueError):
            raise HTTPException(404, "no such version") from None
        try:
            state = await run_in_threadpool(
                lambda: store.save(out_dir, base_version, old.notes, old.speakers, settings=settings,
                                   note=f"restore {old.name}"))
        except store.ConflictError as conflict:
            return conflict_page(request, slug, out_dir, old, conflict.current)
        return RedirectResponse(f"/episodes/{slug}?msg=restored+as+version+{state.version}", status_code=303)

    async def audio(request: Request) -> Response:
        out_dir = episode_dir(request.path_params["slug"])
        candidates = []
        row = row_for(out_dir)
        if row is not None and row.source_path:
            candidates.append(Path(row.source_path))
        try:
            candidates.append(Path(store.load_transcript(out_dir).episode.source))
        except Exception:  # noqa: BLE001 - an unreadable transcript only means no fallback path
            pass
        for path in candidates:
            if path.is_file():
                return FileResponse(path)  # Starlette answers Range requests (206) itself
        raise HTTPException(404, "the source audio is not where the catalogue says")

    async def episode_file(request: Request) -> Response:
        out_dir = episode_dir(request.path_params["slug"])
        name = request.path_params["name"]
        path = (out_dir / name).resolve()
        if name not in SERVED_FILES or not path.is_relative_to(out_dir) or not path.is_file():
            raise HTTPException(404, "no such file")
        return FileResponse(path)

    async def login(request: Request) -> Response:
        if request.method == "GET":
            return render(request, "login.html", error="")
        form = await checked_form(request)
        if token and hmac.compare_digest(str(form.get("token", "")), token):
            response = RedirectResponse("/", status_code=303)
            response.set_cookie(AUTH_COOKIE, _auth_value(token), httponly=True, samesite="strict")
            return response
        return render(request, "login.html", status_code=401, error="wrong token")

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if not hasattr(request.state, "csrf"):
            request.state.csrf = ""
        return render(request, "error.html", status_code=exc.status_code, detail=exc.detail)

    routes = [
        Route("/", index),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/episodes/{slug}", episode),
        Route("/episodes/{slug}/save", save, methods=["POST"]),
        Route("/episodes/{slug}/approve", approve, methods=["POST"]),
        Route("/episodes/{slug}/restore", restore, methods=["POST"]),
        Route("/episodes/{slug}/versions/{name}", version),
        Route("/episodes/{slug}/audio", audio),
        Route("/episodes/{slug}/files/{name}", episode_file),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(_Security, token=token)],
                    exception_handlers={HTTPException: http_error})
    app.state.catalog = catalog
    app.state.output_root = output_root
    return app


def _analysis(out_dir: Path) -> Analysis | None:
    from podpipe.stages.analyse.serialize import read_analysis

    path = out_dir / "analysis.json"
    if not path.is_file():
        return None
    try:
        return read_analysis(path)
    except Exception:  # noqa: BLE001 - a broken analysis only means no swap candidates
        return None


def _float(value: Any) -> float | None:
    try:
        return float(str(value))
    except ValueError:
        return None


def _edited(form: FormData, base: store.EpisodeState, analysis: Analysis | None) -> tuple[ShowNotes, list[Speaker]]:
    """The notes and speakers as the editor left them, read against the version the form was built from."""
    speakers = []
    for speaker in base.speakers:
        prefix = f"speaker-{speaker.id}-"
        if f"{prefix}name" not in form:
            speakers.append(speaker)
            continue
        role = str(form.get(f"{prefix}role", "") or "")
        speakers.append(Speaker(id=speaker.id, name=str(form.get(f"{prefix}name", "")).strip() or None,
                                organisation=str(form.get(f"{prefix}organisation", "")).strip() or None,
                                role=Role(role) if role in {r.value for r in Role} else None))
    order = []
    for value in form.getlist("section"):
        if str(value).isdigit() and int(value) < len(base.notes.sections) and int(value) not in order:
            order.append(int(value))
    order += [i for i in range(len(base.notes.sections)) if i not in order]  # nothing dropped by accident
    sections = []
    candidates = analysis.quotes if analysis else []
    for index in order:
        old = base.notes.sections[index]
        prefix = f"s{index}-"
        heading = str(form.get(f"{prefix}heading", old.heading)).strip() or old.heading
        text = form.get(f"{prefix}paragraphs")
        paragraphs = ([p.strip() for p in re.split(r"\n\s*\n", str(text).replace("\r\n", "\n")) if p.strip()]
                      if text is not None else list(old.paragraphs))
        quotes: list[Quote] = []
        for q_index, quote in enumerate(old.quotes):
            action = str(form.get(f"{prefix}q{q_index}", "keep"))
            if action == "reject":
                continue
            if action.startswith("swap:") and action[5:].isdigit() and int(action[5:]) < len(candidates):
                candidate = candidates[int(action[5:])]
                if candidate.theme == quote.theme:
                    quote = replace(candidate)
            quotes.append(quote)
        sections.append(Section(heading=heading, paragraphs=paragraphs, quotes=quotes,
                                keyphrases=list(old.keyphrases), start=old.start))
    notes = ShowNotes(title=str(form.get("title", base.notes.title)).strip() or base.notes.title,
                      intro=str(form.get("intro", base.notes.intro)).replace("\r\n", "\n").strip(),
                      sections=sections,
                      closing=str(form.get("closing", base.notes.closing)).replace("\r\n", "\n").strip())
    return notes, speakers


def serve(output_root: Path, *, settings: Any, host: str | None = None, port: int | None = None) -> None:
    """Run the app with uvicorn; refuses a non-loopback bind without a token (ReviewConfigError)."""
    import uvicorn

    config = ReviewConfig.from_settings(settings)
    host = host or config.host
    port = port or config.port
    check_bind(host, config.token)
    app = create_app(output_root, settings=settings, token=config.token)
    uvicorn.run(app, host=host, port=port, log_level="info")


__all__ = ["ReviewConfig", "ReviewConfigError", "check_bind", "create_app", "is_loopback", "serve"]
