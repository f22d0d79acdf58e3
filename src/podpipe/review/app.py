"""The editors' review app: Starlette + server-rendered Jinja2, a little JavaScript for the player.

Security (see :mod:`podpipe.review.security`): allowed hosts, an Origin check and a signed CSRF
token on every POST, a login token of 16+ characters with rate limit, logout and an expiring
session; Jinja2 autoescaping for everything editors and models wrote; a strict Content-Security-
Policy (no inline script); slugs validated and resolved inside the output root; a bind address other
than loopback needs a configured token.

Editing (see :mod:`podpipe.review.forms`, :mod:`podpipe.review.store`): every save that changes
something is a version on top of the pipeline's immutable version 0; transcript corrections are a
layer over the ASR; names in the notes are speaker references; save and approve rewrite every
derived file. A save on an older version is merged field by field (:mod:`podpipe.review.merge`);
fields both editors changed differently are put to the editor side by side, and whatever they
choose, the other editor's other changes stay. An approval the checks refuse saves the edits as a
plain version and approves nothing.
"""

from __future__ import annotations

import difflib
import functools
import hmac
import ipaddress
import itertools
import logging
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote as urlquote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from podpipe.catalog import APPROVAL_STATUS, Catalog, EpisodeRow, Status
from podpipe.config import Settings
from podpipe.domain import Analysis, Approval, Role, Section, Speaker, Transcript
from podpipe.io import approval_status, read_approval
from podpipe.review import store
from podpipe.review.checks import Check, checklist, missing_checks
from podpipe.review.corrections import Hit, apply_hits, apply_speaker_hits, find_hits, normal_text
from podpipe.review.derived import final_name, publishable_files
from podpipe.review.forms import MAX_PARAGRAPH, MAX_TITLE, Edit, Problem, edited
from podpipe.review.i18n import translator
from podpipe.review.labels import field_label, note_label, when
from podpipe.review.merge import MISSING, Choice, Merge, three_way
from podpipe.review.security import (
    AUTH_COOKIE,
    CSRF_COOKIE,
    LOOPBACK_HOSTS,
    LoginLimiter,
    SecurityMiddleware,
    Signer,
    TokenTooWeak,
    check_token,
)
from podpipe.stages import notes as shownotes
from podpipe.stages.notes.references import resolve, resolved_notes
from podpipe.text import clock

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
DOWNLOADS = [n for n in publishable_files(False) if n != "shownotes.json"]
SERVED_FILES = set(DOWNLOADS) | {final_name(n) for n in DOWNLOADS} | {"transcript.json", "transcript.final.json"}
MEDIA_TYPES = {".md": "text/markdown; charset=utf-8", ".srt": "application/x-subrip; charset=utf-8",
               ".vtt": "text/vtt; charset=utf-8", ".xml": "application/xml; charset=utf-8",
               ".txt": "text/plain; charset=utf-8"}
# The workbench's keyboard (static/review.js; listed on the page and in docs/review-app.md).
SHORTCUTS = [("Esc", "key.play"), ("Alt+B", "key.back"), ("Alt+↓", "key.next"), ("Alt+↑", "key.previous"),
             ("Alt+Enter", "key.edit"), ("Alt+S", "key.split"), ("Alt+J", "key.join"), ("Alt+Z", "key.undo"),
             ("Ctrl+S", "key.save")]
__all__ = ["CSRF_COOKIE", "ReviewConfig", "ReviewConfigError", "check_bind", "create_app", "is_loopback", "serve"]


class ReviewConfigError(Exception):
    """The app refuses to start (a public bind without a token, or a weak token)."""


@dataclass(slots=True)
class ReviewConfig:
    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None  # required for any non-loopback bind
    allowed_hosts: list[str] = field(default_factory=list)

    @classmethod
    def from_settings(cls, settings: Settings) -> ReviewConfig:
        # settings.review.token is read from config or $PODPIPE_REVIEW__TOKEN by pydantic-settings.
        section = settings.review
        token = section.token.get_secret_value() if section.token else None
        return cls(host=section.host, port=section.port, token=token or None,
                   allowed_hosts=list(section.allowed_hosts))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    try:
        token = check_token(token)
    except TokenTooWeak as error:
        raise ReviewConfigError(str(error)) from error
    if not is_loopback(host) and not token:
        raise ReviewConfigError(
            f"refusing to listen on {host}: anyone who can reach it could edit and approve show notes. "
            "Set a token first ([review] token = \"...\" in config/podpipe.toml or PODPIPE_REVIEW__TOKEN), "
            "or bind to 127.0.0.1 (the default)."
        )


def allowed_hosts_for(bind: str | None, extra: list[str]) -> list[str]:
    """Loopback names, the bind address (unless it is a wildcard) and the configured names."""
    hosts = list(LOOPBACK_HOSTS) + list(extra)
    if bind and bind not in ("0.0.0.0", "::", ""):
        hosts.append(bind)
    return list(dict.fromkeys(hosts))


def _clock(seconds: float | None) -> str:
    return "" if seconds is None else clock(seconds)


def _analysis(out_dir: Path) -> Analysis | None:
    from podpipe.io import ANALYSIS

    path = out_dir / "analysis.json"
    if not path.is_file():
        return None
    try:
        return ANALYSIS.read(path)
    except Exception:  # noqa: BLE001 - a broken analysis only means no quote candidates
        return None


def theme_of(section: Section, analysis: Analysis | None) -> int | None:
    """The analysis theme a section was built from: its quotes' theme, else the theme starting with it."""
    theme = next((q.theme for q in section.quotes if q.theme is not None), None)
    if theme is None and analysis is not None and section.start is not None:
        theme = next((i for i, t in enumerate(analysis.themes) if abs(t.start - section.start) < 1e-3), None)
    return theme


def _clash_text(value: Any, speakers: list[Speaker]) -> str:
    """A merge field's value as the editor reads it (names resolved; quotes and sections as text)."""
    if value is None or value is MISSING:
        return "—"
    if isinstance(value, Speaker):
        details = ", ".join(x for x in (value.organisation, str(value.role) if value.role else None) if x)
        return value.display_name + (f" ({details})" if details else "")
    if isinstance(value, str):
        return resolve(value, speakers)
    if isinstance(value, list):
        return "\n\n".join(_clash_text(item, speakers) for item in value) or "—"
    if isinstance(value, dict):
        if "text" in value and "start" in value:  # a quote
            return f"“{resolve(str(value['text']), speakers)}” ({_clock(value.get('start'))})"
        if "heading" in value:  # a whole section
            body = "\n\n".join(resolve(p, speakers) for p in value.get("paragraphs", []))
            return f"## {resolve(value['heading'], speakers)}\n\n{body}".strip()
    return str(value)



def _moves(*states: store.EpisodeState) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    base, current, mine = states
    return base.line_speakers, current.line_speakers, mine.line_speakers


def _joins(*states: store.EpisodeState) -> tuple[list[int], list[int], list[int]]:
    base, current, mine = states
    return base.joins, current.joins, mine.joins


def _html_body(html: str) -> str:
    """The <body> of podpipe's own rendered (autoescaped) HTML output, to show as the preview."""
    match = re.search(r"<body[^>]*>(.*)</body>", html, re.DOTALL | re.IGNORECASE)
    body = match.group(1) if match else html
    return re.sub(r"<(script|style)\b.*?</\1>", "", body, flags=re.DOTALL | re.IGNORECASE)


class ReviewApp:
    """The handlers; one instance per app, holding the output root, catalogue, settings and templates."""

    def __init__(self, output_root: Path, settings: Settings, catalog: Catalog, token: str | None) -> None:
        self.root, self.settings, self.catalog, self.token = output_root, settings, catalog, token
        self.t = translator(settings.review.language)
        self.low = settings.review.low_confidence
        self.notes_config = settings.notes_config()  # what the show notes render with
        self.signer = Signer(token, int(settings.review.session_hours * 3600))
        self.limiter = LoginLimiter()
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))
        self.zone = store.zone_of(settings)
        self.env.filters["clock"] = _clock
        self.env.filters["when"] = lambda iso: when(iso, self.zone)
        self.env.globals["zone_name"] = self.zone.key
        self.env.globals["t"] = self.t

    # -- plumbing -------------------------------------------------------------------------------

    def render(self, request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        csrf = getattr(request.state, "csrf", "")
        body = self.env.get_template(template).render(csrf=csrf, request=request, logged_in=bool(self.token),
                                                      **context)
        return HTMLResponse(body, status_code=status_code)

    def episode_dir(self, slug: str, need_transcript: bool = True) -> Path:
        if not SLUG.match(slug):
            raise HTTPException(404, self.t("error.no_episode"))
        out_dir = (self.root / slug).resolve()
        if not out_dir.is_relative_to(self.root) or out_dir == self.root or not out_dir.is_dir():
            raise HTTPException(404, self.t("error.no_episode"))
        if need_transcript and not (out_dir / "transcript.json").is_file():
            raise HTTPException(404, self.t("error.no_transcript"))
        return out_dir

    def row_for(self, out_dir: Path) -> EpisodeRow | None:
        rows = self.catalog.episodes()
        for row in rows:
            if row.output_dir and Path(row.output_dir).name == out_dir.name:
                return row
        return next((row for row in rows if row.slug == out_dir.name), None)

    async def checked_form(self, request: Request) -> FormData:
        form = await request.form()
        if not self.signer.csrf_ok(str(form.get("csrf", "")), request.cookies.get(CSRF_COOKIE, "")):
            raise HTTPException(403, self.t("error.csrf"))
        return form

    def load(self, out_dir: Path, version: int | None = None) -> store.EpisodeState:
        try:
            return store.load_state(out_dir, version)
        except store.BrokenEpisode as error:
            raise HTTPException(500, self.t("error.broken", reason=str(error))) from error

    def redirect(self, slug: str, message: str, anchor: str = "") -> Response:
        return RedirectResponse(f"/episodes/{urlquote(slug)}?msg={urlquote(message)}{anchor}", status_code=303)

    # -- the list -------------------------------------------------------------------------------

    def folder_entry(self, out_dir: Path, row: EpisodeRow | None) -> dict[str, Any]:
        """One row of the list: link, status and, for a folder that cannot be reviewed, why."""
        reason = None
        status = str(row.status) if row else None
        if not (out_dir / "transcript.json").is_file():
            reason = self.t("missing.transcript")
        elif not (out_dir / "shownotes.json").is_file() and not store.version_files(out_dir):
            reason = self.t("missing.shownotes")
        else:
            try:
                state = store.load_state(out_dir)
                review = approval_status(out_dir, state.version)
                if review != Approval.DRAFT:
                    status = review
                elif status is None or status in APPROVAL_STATUS.values():
                    status = str(Status.DRAFT_READY)  # approval is the record's word, never the catalogue's
            except (store.BrokenEpisode, ValueError, KeyError) as error:
                reason = self.t("error.broken", reason=str(error)[:300])
        if reason is not None:
            status = None  # not "draft ready": the catalogue's word is wrong about a broken folder
        return {"slug": out_dir.name, "link": reason is None, "status": status, "reason": reason, "row": row}

    async def index(self, request: Request) -> Response:
        episodes = await run_in_threadpool(self.episodes)
        return self.render(request, "index.html", episodes=episodes, output_root=self.root)

    def episodes(self) -> list[dict[str, Any]]:
        entries, seen = [], set()
        for row in self.catalog.episodes():
            slug = Path(row.output_dir).name if row.output_dir else None
            if slug and SLUG.match(slug) and (self.root / slug).is_dir():
                seen.add(slug)
                entry = self.folder_entry(self.root / slug, row)
            else:
                entry = {"slug": row.slug, "link": False, "status": str(row.status), "row": row,
                         "reason": row.error if row.status == Status.FAILED else None}
            entry["speakers"] = ", ".join(map(str, row.speakers or []))
            entries.append(entry)
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir() and SLUG.match(p.name)
                             and p.name not in seen and not p.name.startswith(".")):
            entry = self.folder_entry(folder, None)
            entry["speakers"] = ""
            entry["not_in_catalogue"] = True
            entries.append(entry)
        return entries

    # -- the episode page -----------------------------------------------------------------------

    def transcript_lines(self, transcript: Transcript, asr: Transcript, corrections: dict[int, str],
                         joins: list[int] | None = None) -> list[dict]:
        """One line per ASR segment; ``breaks``: after which words a split starts a new line;
        ``joined``: the line continues the previous one (shown as one)."""
        names = {s.id: s.display_name for s in transcript.speakers}
        joined = set(joins or [])
        lines = []
        for index, segment in enumerate(transcript.segments):
            words = [{"text": w.text.strip(), "start": w.start, "end": w.end, "low": w.probability < self.low,
                      "p": round(100 * w.probability)} for w in segment.words if w.text.strip()]
            counts = [len(part.split()) for part in segment.text.split("\n") if part.split()]
            breaks = set(itertools.accumulate(counts[:-1])) if len(counts) > 1 else set()
            for position, word in enumerate(words):
                word["break"] = position in breaks
            lines.append({"index": index, "start": segment.start, "end": segment.end, "words": words,
                          "speaker": names.get(segment.speaker or "", segment.speaker or ""),
                          "speaker_id": segment.speaker or "", "joined": index - 1 in joined,
                          "edit_text": normal_text(segment.text),
                          "text": " ".join(segment.text.split()), "corrected": index in corrections,
                          "asr": " ".join(asr.segments[index].text.split()) if index < len(asr.segments) else ""})
        return lines

    def sections_view(self, state: store.EpisodeState, analysis: Analysis | None) -> list[dict[str, Any]]:
        candidates = list(analysis.quotes) if analysis else []
        sections = []
        for index, section in enumerate(state.notes.sections):
            theme = theme_of(section, analysis)
            own = [(i, c) for i, c in enumerate(candidates) if theme is not None and c.theme == theme]
            used = {q.text for q in section.quotes}
            quotes = [{"index": q_index, "quote": quote, "text": resolve(quote.text, state.speakers),
                       "candidates": [(i, c) for i, c in own if c.text != quote.text],
                       "speaker": next((s.display_name for s in state.speakers if s.id == quote.speaker),
                                       quote.speaker)}
                      for q_index, quote in enumerate(section.quotes)]
            addable = [(i, c) for i, c in own if c.text not in used]  # rejected ones come back from here
            sections.append({"index": index, "section": section, "quotes": quotes, "addable": addable,
                             "heading": resolve(section.heading, state.speakers),
                             "paragraphs": "\n\n".join(resolve(p, state.speakers) for p in section.paragraphs)})
        return sections

    def downloads(self, out_dir: Path) -> dict[str, list[dict[str, str]]]:
        def entry(name: str, label_name: str) -> dict[str, str]:
            return {"name": name, "label": self.t(f"file.{label_name}")}
        draft = [entry(n, n) for n in DOWNLOADS if (out_dir / n).is_file()]
        final = [entry(final_name(n), n) for n in DOWNLOADS if (out_dir / final_name(n)).is_file()]
        return {"draft": draft, "final": final}

    def audio_path(self, out_dir: Path) -> Path | None:
        """The episode's audio: the catalogue's source, else the transcript's, if it is an audio file.

        A text-only episode's source is its transcript (JSON or text): that is no audio to play."""
        from podpipe.stages.ingest import SUPPORTED_SUFFIXES

        candidates = []
        row = self.row_for(out_dir)
        if row is not None and row.source_path:
            candidates.append(Path(row.source_path))
        try:
            candidates.append(Path(store.load_transcript(out_dir, self.settings).episode.source))
        except Exception as error:  # noqa: BLE001 - an unreadable transcript only means no fallback path
            log.info("no audio path from the transcript of %s: %s", out_dir.name, error)
        for path in candidates:
            kind = mimetypes.guess_type(path.name)[0] or ""
            audible = path.suffix.lower() in SUPPORTED_SUFFIXES or kind.startswith(("audio/", "video/"))
            if audible and path.is_file():
                return path
        return None

    def version_entries(self, out_dir: Path, history: list[store.EpisodeState]) -> list[dict[str, Any]]:
        record = read_approval(out_dir)
        approved = record.version if record is not None else -1
        return [{"number": s.version, "name": s.name, "saved_at": s.saved_at, "approved": s.version == approved,
                 "note": note_label(self.t, s.note, s.note_args)} for s in history][::-1]

    def page_context(self, out_dir: Path, state: store.EpisodeState,
                     saved: store.EpisodeState | None = None) -> dict[str, Any]:
        """The episode page for ``state``; ``saved``: the newest saved version when ``state`` is a
        refused, unsaved edit (the preview shows what is published, not what was refused)."""
        asr = store.load_transcript(out_dir, self.settings)
        # one line per ASR segment: the form's numbers
        transcript = store.editing_transcript(out_dir, state, self.settings)
        laid_out = store.laid_out(transcript, state.joins)
        published = saved or state
        published_transcript = laid_out if saved is None else store.state_transcript(out_dir, saved, self.settings)
        analysis = _analysis(out_dir)
        # Exactly what the final contains: the final's own rendering (no "Nakijken" box).
        html = shownotes.render_html(published.notes, published_transcript, self.notes_config, final=True)
        history = store.all_states(out_dir)
        return {
            "transcript": transcript, "lines": self.transcript_lines(transcript, asr, state.corrections, state.joins),
            "joins": ",".join(map(str, state.joins)),
            "sections": self.sections_view(state, analysis), "state": state,
            "notes": resolved_notes(state.notes, state.speakers), "preview_html": _html_body(html),
            "checks": checklist(laid_out, self.low, self.t), "downloads": self.downloads(out_dir),
            "review_status": approval_status(out_dir, published.version),
            "versions": self.version_entries(out_dir, history),
            "conflicts": [p.name for p in store.conflict_files(out_dir)][::-1],
            "has_png": (out_dir / "speakers.png").is_file(), "roles": [r.value for r in Role],
            "has_audio": self.audio_path(out_dir) is not None, "form_speakers": transcript.speakers,
            "closing_heading_default": self.settings.shownotes.closing_heading,
            "invalid": set(), "max_title": MAX_TITLE, "max_paragraph": MAX_PARAGRAPH, "shortcuts": SHORTCUTS,
        }

    async def episode(self, request: Request) -> Response:
        slug = request.path_params["slug"]
        out_dir = self.episode_dir(slug)
        state = await run_in_threadpool(self.load, out_dir)
        context = await run_in_threadpool(self.page_context, out_dir, state)
        return self.render(request, "episode.html", slug=slug, row=self.row_for(out_dir),
                           message=request.query_params.get("msg", ""), **context)

    # -- saving ---------------------------------------------------------------------------------

    def _edit(self, form: FormData, out_dir: Path, base: store.EpisodeState) -> Edit:
        analysis = _analysis(out_dir)
        return edited(form, base.notes, base.speakers, base.corrections, store.load_transcript(out_dir, self.settings),
                      analysis, lambda section: theme_of(section, analysis), base.line_speakers, base.joins)

    def problem_text(self, problem: Problem) -> str:
        values = dict(problem.values)
        if "what" in values:
            values["what"] = field_label(self.t, str(values["what"]))
        return self.t(problem.key, **values)

    def refused(self, request: Request, slug: str, out_dir: Path, base: store.EpisodeState, edit: Edit) -> Response:
        """The page again with everything the editor typed and what must change first (nothing saved)."""
        unsaved = store.EpisodeState(version=base.version, notes=edit.notes, speakers=base.speakers,
                                     corrections=edit.corrections, saved_at=base.saved_at, name=base.name,
                                     line_speakers=edit.line_speakers, joins=edit.joins)
        context = self.page_context(out_dir, unsaved, saved=self.load(out_dir))
        context["form_speakers"] = store.transcript_with(context["transcript"], edit.speakers).speakers
        context["invalid"] = {p.field for p in edit.problems}
        problems = [self.problem_text(p) for p in edit.problems]
        return self.render(request, "episode.html", status_code=422, slug=slug, row=self.row_for(out_dir),
                           message="", problems=problems, **context)

    def approval_refusal(self, out_dir: Path, state: store.EpisodeState,
                         form: FormData) -> tuple[str | None, dict[str, str]]:
        """Why this state cannot be approved with this form (None: it can), and the answers to its checks."""
        transcript = store.state_transcript(out_dir, state, self.settings)
        checks: list[Check] = checklist(transcript, self.low, self.t)
        answers = {c.id: str(form.get(f"check-{c.id}", "")) for c in checks}
        missing = missing_checks(checks, answers)
        if missing:
            return self.t("error.checks", missing=len(missing)), answers
        if form.get("confirm") != "yes":
            return self.t("error.confirm"), answers
        return None, answers

    async def save(self, request: Request) -> Response:
        slug = request.path_params["slug"]
        out_dir = self.episode_dir(slug)
        form = await self.checked_form(request)
        try:
            base_version = int(str(form.get("version", "")))
            base = await run_in_threadpool(self.load, out_dir, base_version)
        except (ValueError, KeyError):
            raise HTTPException(400, self.t("error.no_base")) from None
        edit = await run_in_threadpool(self._edit, form, out_dir, base)
        if edit.problems:
            return await run_in_threadpool(self.refused, request, slug, out_dir, base, edit)
        mine = store.EpisodeState(version=base_version, notes=edit.notes, speakers=edit.speakers,
                                  corrections=edit.corrections, line_speakers=edit.line_speakers, joins=edit.joins)
        approving = form.get("action") == "approve"
        refusal, answers = (await run_in_threadpool(self.approval_refusal, out_dir, mine, form)
                            if approving else (None, {}))
        if store.same_content(base, edit.notes, edit.speakers, edit.corrections, edit.line_speakers, edit.joins):
            current = await run_in_threadpool(self.load, out_dir)
            if approving and refusal is None:
                if current.version != base_version:  # approving what the editor has not seen: no
                    return self.redirect(slug, self.t("error.approve_stale", n=base_version, current=current.version))
                return await self.do_approve(slug, out_dir, form, base_version)
            message = self.t("msg.unchanged", n=base_version)
            return self.redirect(slug, f"{message} {refusal}" if refusal else message,
                                 "#checklist" if refusal else "")
        approve_now = approving and refusal is None
        outcome = await self.save_or_merge(request, slug, out_dir, base, mine, "approve" if approve_now else "save",
                                           approve_checks=answers if approve_now else None)
        if isinstance(outcome, Response):
            return outcome
        state, how = outcome
        await run_in_threadpool(self.after_save, out_dir, state)
        if approve_now and how == "saved":
            await run_in_threadpool(self.approved, out_dir, state)
            return self.redirect(slug, self.t("msg.approved", n=state.version))
        message = self.saved_message(how, state)
        if how == "saved" and (changed := self.changed_fields(base, mine)):
            message += f": {changed}"
        if approving:  # refused, or merged with a colleague's work the editor has not seen yet
            message += " " + (refusal or self.t("error.approve_after_merge"))
        return self.redirect(slug, message, "#checklist" if approving else "")

    def changed_fields(self, base: store.EpisodeState, mine: store.EpisodeState) -> str:
        """What a save changed, in words (``titel, sectie 1: kop``): the page says which was saved."""
        merge = three_way(base.notes, base.speakers, base.corrections, base.notes, base.speakers, base.corrections,
                          mine.notes, mine.speakers, mine.corrections,
                          line_speakers=(base.line_speakers, base.line_speakers, mine.line_speakers),
                          joins=(base.joins, base.joins, mine.joins))
        labels = [field_label(self.t, f, mine.speakers or base.speakers) for f in merge.from_mine]
        return ", ".join(labels[:6]) + (f" (+{len(labels) - 6})" if len(labels) > 6 else "")

    def saved_message(self, how: str, state: store.EpisodeState) -> str:
        key = {"saved": "msg.saved", "merged": "msg.merged", "unchanged": "msg.already"}[how]
        return self.t(key, n=state.version)

    async def save_or_merge(self, request: Request, slug: str, out_dir: Path, base: store.EpisodeState,
                            mine: store.EpisodeState, note: str, *, note_args: dict[str, str] | None = None,
                            choices: dict[str, Choice] | None = None,
                            approve_checks: dict[str, str] | None = None) -> Response | tuple[store.EpisodeState, str]:
        """Save ``mine`` (an edit of ``base``); if someone saved meanwhile, merge it into theirs.

        Returns (the new state, "saved" | "merged" | "unchanged"), or the conflict page when fields
        clash that ``choices`` does not settle. Nothing is lost on any path: a save refused as stale is
        kept under versions/conflicts/, and a merge keeps every field either editor changed alone."""
        try:
            state = await run_in_threadpool(lambda: store.save(
                out_dir, base.version, mine.notes, mine.speakers, settings=self.settings, note=note,
                corrections=mine.corrections, note_args=note_args, approve_checks=approve_checks,
                line_speakers=mine.line_speakers, joins=mine.joins))
            return state, "saved"
        except store.ConflictError as conflict:
            current, kept = conflict.current, conflict.saved_as.name
        for _ in range(5):  # each round merges onto a newer save; five colleagues in a second is a lot
            merged = three_way(base.notes, base.speakers, base.corrections, current.notes, current.speakers,
                               current.corrections, mine.notes, mine.speakers, mine.corrections, choices,
                               _moves(base, current, mine), _joins(base, current, mine))
            if merged.clashes:
                return await run_in_threadpool(self.conflict_page, request, slug, out_dir, base, current, merged,
                                               kept)
            if store.same_content(current, merged.notes, merged.speakers, merged.corrections, merged.line_speakers,
                                  merged.joins):
                return current, "unchanged"
            try:
                state = await run_in_threadpool(functools.partial(
                    store.save, out_dir, current.version, merged.notes, merged.speakers, settings=self.settings,
                    note="resolve" if choices else "merge", corrections=merged.corrections,
                    line_speakers=merged.line_speakers, joins=merged.joins,
                    note_args={"kept": kept, "base": str(base.version)}))
                return state, "merged"
            except store.ConflictError as again:
                current = again.current
        merged = three_way(base.notes, base.speakers, base.corrections, current.notes, current.speakers,
                           current.corrections, mine.notes, mine.speakers, mine.corrections, choices,
                               _moves(base, current, mine), _joins(base, current, mine))
        return await run_in_threadpool(self.conflict_page, request, slug, out_dir, base, current, merged, kept)

    def after_save(self, out_dir: Path, state: store.EpisodeState) -> None:
        """An approved episode that changes goes back to "to re-approve" (catalogue and list)."""
        self.derive_catalogue_status(out_dir, state)

    def derive_catalogue_status(self, out_dir: Path, state: store.EpisodeState) -> None:
        """The catalogue's "approved" or "to re-approve", derived from the approval record
        (``approval.json``, the one source); an episode never approved keeps the pipeline's status."""
        row = self.row_for(out_dir)
        status = APPROVAL_STATUS.get(approval_status(out_dir, state.version))
        if row is not None and status is not None:
            self.catalog.set_status(row.id, status, speakers=[s.display_name for s in state.speakers])

    def conflict_page(self, request: Request, slug: str, out_dir: Path, base: store.EpisodeState,
                      current: store.EpisodeState, merged: Merge, kept: str) -> Response:
        """Both values of every clashing field, a choice for each, and what is merged whatever the choice."""
        mine = store.read_version_file(out_dir, kept)
        speakers = current.speakers

        def label(field: str) -> str:
            return field_label(self.t, field, speakers)

        def markdown(state: store.EpisodeState) -> str:
            return shownotes.render_markdown(state.notes, store.state_transcript(out_dir, state, self.settings),
                                             self.notes_config, final=True)
        def value(field: str, value: Any, state: store.EpisodeState) -> str:
            if field.startswith("line-speaker:") and isinstance(value, str):  # a speaker id: their name
                return next((s.display_name for s in state.speakers if s.id == value), value)
            return _clash_text(value, state.speakers)
        clashes = [{"field": c.field, "label": label(c.field), "theirs": value(c.field, c.theirs, current),
                    "mine": value(c.field, c.mine, mine)} for c in merged.clashes]
        return self.render(request, "conflict.html", status_code=409, slug=slug, base=base, current=current,
                           mine=mine, kept=kept, clashes=clashes, from_mine=[label(f) for f in merged.from_mine],
                           from_theirs=[label(f) for f in merged.from_theirs],
                           mine_md=markdown(mine), current_md=markdown(current))

    async def resolve_conflict(self, request: Request) -> Response:
        """The conflict page's choices: each clashing field mine or theirs, everything else merged."""
        slug = request.path_params["slug"]
        out_dir = self.episode_dir(slug)
        form = await self.checked_form(request)
        try:
            kept = str(form.get("kept", ""))
            mine = await run_in_threadpool(store.read_version_file, out_dir, kept)
            base = await run_in_threadpool(self.load, out_dir, int(str(form.get("base", ""))))
            current = await run_in_threadpool(self.load, out_dir, int(str(form.get("current", ""))))
        except (KeyError, ValueError):
            raise HTTPException(404, self.t("error.no_version")) from None
        everything = str(form.get("all", ""))
        choices: dict[str, Choice] = {}
        for key, value in form.multi_items():
            if key.startswith("choice-") and value in ("mine", "theirs"):
                choices[key[len("choice-"):]] = "mine" if value == "mine" else "theirs"
        if everything in ("mine", "theirs"):
            merged = three_way(base.notes, base.speakers, base.corrections, current.notes, current.speakers,
                               current.corrections, mine.notes, mine.speakers, mine.corrections,
                               line_speakers=_moves(base, current, mine), joins=_joins(base, current, mine))
            choices = {c.field: "mine" if everything == "mine" else "theirs" for c in merged.clashes}
        # The choices settle the clashes with ``current``; a save that came in after it is merged in
        # the same way, with ``current`` as the base, so a third editor's work stays too.
        merged = three_way(base.notes, base.speakers, base.corrections, current.notes, current.speakers,
                           current.corrections, mine.notes, mine.speakers, mine.corrections, choices,
                               _moves(base, current, mine), _joins(base, current, mine))
        if merged.clashes:
            return await run_in_threadpool(self.conflict_page, request, slug, out_dir, base, current, merged, kept)
        resolved = store.EpisodeState(version=current.version, notes=merged.notes, speakers=merged.speakers,
                                      corrections=merged.corrections, line_speakers=merged.line_speakers,
                                      joins=merged.joins)
        if store.same_content(current, resolved.notes, resolved.speakers, resolved.corrections,
                              resolved.line_speakers, resolved.joins):
            return self.redirect(slug, self.t("msg.already", n=current.version))
        outcome = await self.save_or_merge(request, slug, out_dir, current, resolved, "resolve",
                                           note_args={"kept": kept, "base": str(base.version)})
        if isinstance(outcome, Response):
            return outcome
        state, how = outcome
        await run_in_threadpool(self.after_save, out_dir, state)
        return self.redirect(slug, self.t("msg.resolved", n=state.version) if how == "saved"
                             else self.saved_message(how, state))

    def approved(self, out_dir: Path, state: store.EpisodeState) -> None:
        self.derive_catalogue_status(out_dir, state)  # "approved": the record names this version

    async def do_approve(self, slug: str, out_dir: Path, form: FormData, version: int | None) -> Response:
        state = await run_in_threadpool(self.load, out_dir)
        refusal, answers = await run_in_threadpool(self.approval_refusal, out_dir, state, form)
        if refusal:
            return self.redirect(slug, refusal, "#checklist")
        try:
            state, _ = await run_in_threadpool(lambda: store.approve(out_dir, settings=self.settings, checks=answers,
                                                                     version=version))
        except store.StaleApproval as stale:
            return self.redirect(slug, self.t("error.approve_stale", n=stale.wanted, current=stale.current))
        await run_in_threadpool(self.approved, out_dir, state)
        return self.redirect(slug, self.t("msg.approved", n=state.version))

    async def approve(self, request: Request) -> Response:
        slug = request.path_params["slug"]
        out_dir = self.episode_dir(slug)
        form = await self.checked_form(request)
        version = str(form.get("version", ""))
        return await self.do_approve(slug, out_dir, form, int(version) if version.isdigit() else None)

    # -- versions -------------------------------------------------------------------------------

    def comparable_text(self, out_dir: Path, state: store.EpisodeState) -> list[str]:
        """A version as lines to compare: its show notes as published, then its transcript."""
        transcript = store.state_transcript(out_dir, state, self.settings)
        markdown = shownotes.render_markdown(state.notes, transcript, self.notes_config, final=True)
        names = {s.id: s.display_name for s in transcript.speakers}
        lines = markdown.splitlines() + ["", f"## {self.t('transcript')}", ""]
        lines += [f"[{_clock(seg.start)}] {names.get(seg.speaker or '', seg.speaker or '')}: "
                  f"{' '.join(seg.text.split())}"
                  for seg in transcript.segments]
        return lines

    def side_by_side(self, left: list[str], right: list[str]) -> list[dict[str, Any]]:
        """Rows of a two-column diff: (number, text) on each side and what happened to the line."""
        rows: list[dict[str, Any]] = []
        matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            pairs = itertools.zip_longest(range(i1, i2), range(j1, j2))
            for a, b in pairs:
                rows.append({"kind": tag, "a": a + 1 if a is not None else None, "b": b + 1 if b is not None else None,
                             "left": left[a] if a is not None else "", "right": right[b] if b is not None else ""})
        return rows

    async def compare(self, request: Request) -> Response:
        """Any two versions side by side (version 0, the pipeline's draft, included)."""
        slug = request.path_params["slug"]
        out_dir = self.episode_dir(slug)
        history = await run_in_threadpool(store.all_states, out_dir)
        numbers = [s.version for s in history]
        try:
            a = int(request.query_params.get("a", numbers[-2] if len(numbers) > 1 else 0))
            b = int(request.query_params.get("b", numbers[-1]))
            left = next(s for s in history if s.version == a)
            right = next(s for s in history if s.version == b)
        except (ValueError, StopIteration):
            raise HTTPException(404, self.t("error.no_version")) from None
        rows = await run_in_threadpool(lambda: self.side_by_side(self.comparable_text(out_dir, left),
                                                                 self.comparable_text(out_dir, right)))
        changed = sum(1 for r in rows if r["kind"] != "equal")
        return self.render(request, "compare.html", slug=slug, left=left, right=right, rows=rows, changed=changed,
                           versions=self.version_entries(out_dir, history))

    async def version(self, request: Request) -> Response:
        slug = request.path_params["slug"]
        out_dir = self.episode_dir(slug)
        name = request.path_params["name"]
        try:
            state = await run_in_threadpool(store.read_version_file, out_dir, name)
        except KeyError:
            raise HTTPException(404, self.t("error.no_version")) from None
        current = await run_in_threadpool(self.load, out_dir)
        markdown = shownotes.render_markdown(state.notes, store.state_transcript(out_dir, state, self.settings),
                                             self.notes_config)
        previous = next((s for s in reversed(store.all_states(out_dir)) if s.version < state.version), None)
        diff = ""
        if previous is not None:
            before = shownotes.render_markdown(previous.notes, store.state_transcript(out_dir, previous, self.settings),
                                               self.notes_config)
            diff = "".join(difflib.unified_diff(before.splitlines(True), markdown.splitlines(True),
                                                self.t("version_n", n=previous.version),
                                                self.t("version_n", n=state.version)))
            diff += "".join(f"{self.t('field.line', n=i + 1)}: {text}\n"
                            for i, text in sorted(state.corrections.items())
                            if previous.corrections.get(i) != text)
        return self.render(request, "version.html", slug=slug, state=state, name=name, markdown=markdown,
                           current_version=current.version, diff=diff, previous=previous,
                           note=note_label(self.t, state.note, state.note_args))

    async def restore(self, request: Request) -> Response:
        slug = request.path_params["slug"]
        out_dir = self.episode_dir(slug)
        form = await self.checked_form(request)
        try:
            old = await run_in_threadpool(store.read_version_file, out_dir, str(form.get("name", "")))
            base = await run_in_threadpool(self.load, out_dir, int(str(form.get("version", ""))))
        except (KeyError, ValueError):
            raise HTTPException(404, self.t("error.no_version")) from None
        if store.same_content(base, old.notes, old.speakers, old.corrections, old.line_speakers, old.joins):
            return self.redirect(slug, self.t("msg.unchanged", n=base.version))
        outcome = await self.save_or_merge(request, slug, out_dir, base, old, "restore",
                                           note_args={"name": old.name or "", "n": str(old.version)})
        if isinstance(outcome, Response):
            return outcome
        state, how = outcome
        await run_in_threadpool(self.after_save, out_dir, state)
        return self.redirect(slug, self.t("msg.restored", n=state.version) if how == "saved"
                             else self.saved_message(how, state))

    # -- find and replace -----------------------------------------------------------------------

    def hits(self, out_dir: Path, state: store.EpisodeState, find: str, replacement: str,
             whole: bool) -> list[Hit]:
        # "line:<i>" hits are the editor's line numbers
        transcript = store.editing_transcript(out_dir, state, self.settings)
        return find_hits(resolved_notes(state.notes, state.speakers), transcript, find, replacement,
                         whole_words=whole)

    async def find(self, request: Request) -> Response:
        slug = request.path_params["slug"]
        out_dir = self.episode_dir(slug)
        params = request.query_params
        find, replacement = params.get("find", ""), params.get("replace", "")
        whole = params.get("whole", "") == "1"
        state = await run_in_threadpool(self.load, out_dir)
        hits = await run_in_threadpool(self.hits, out_dir, state, find, replacement, whole)
        return self.render(request, "find.html", slug=slug, state=state, find=find, replacement=replacement,
                           whole=whole, hits=hits)

    async def replace(self, request: Request) -> Response:
        slug = request.path_params["slug"]
        out_dir = self.episode_dir(slug)
        form = await self.checked_form(request)
        try:
            base = await run_in_threadpool(self.load, out_dir, int(str(form.get("version", ""))))
        except (ValueError, KeyError):
            raise HTTPException(400, self.t("error.no_base")) from None
        find, replacement = str(form.get("find", "")), str(form.get("replace", ""))
        hits = await run_in_threadpool(self.hits, out_dir, base, find, replacement, form.get("whole") == "1")
        chosen = [h for h in hits if h.field in set(map(str, form.getlist("hit")))]
        if not chosen:
            return self.redirect(slug, self.t("msg.unchanged", n=base.version))
        notes, line_fixes = apply_hits(resolved_notes(base.notes, base.speakers), chosen)
        speakers = apply_speaker_hits(base.speakers, chosen)
        # Names become references again with the *new* names, so a renamed speaker stays one person
        # in the text; the old names too, for text the editor left as it was.
        notes = shownotes.referenced_notes(shownotes.referenced_notes(notes, speakers), base.speakers)
        corrections = {**base.corrections, **{i: normal_text(t) for i, t in line_fixes.items()}}
        mine = store.EpisodeState(version=base.version, notes=notes, speakers=speakers, corrections=corrections,
                                  line_speakers=dict(base.line_speakers), joins=list(base.joins))
        outcome = await self.save_or_merge(request, slug, out_dir, base, mine, "replace",
                                           note_args={"find": find, "replace": replacement})
        if isinstance(outcome, Response):
            return outcome
        state, how = outcome
        await run_in_threadpool(self.after_save, out_dir, state)
        if how != "saved":
            return self.redirect(slug, self.saved_message(how, state))
        return self.redirect(slug, self.t("msg.replaced", n=sum(h.count for h in chosen), v=state.version))

    # -- files, login, errors -------------------------------------------------------------------

    async def audio(self, request: Request) -> Response:
        out_dir = self.episode_dir(request.path_params["slug"])
        path = await run_in_threadpool(self.audio_path, out_dir)
        if path is None:
            raise HTTPException(404, self.t("error.no_audio"))
        return FileResponse(path)  # Starlette answers Range requests (206) itself

    async def episode_file(self, request: Request) -> Response:
        out_dir = self.episode_dir(request.path_params["slug"])
        name = request.path_params["name"]
        path = (out_dir / name).resolve()
        if name not in SERVED_FILES or not path.is_relative_to(out_dir) or not path.is_file():
            raise HTTPException(404, self.t("error.no_file"))
        download = request.query_params.get("download") == "1"
        return FileResponse(path, media_type=MEDIA_TYPES.get(path.suffix),
                            filename=name if download else None,
                            content_disposition_type="attachment" if download else "inline")

    async def login(self, request: Request) -> Response:
        if request.method == "GET":
            return self.render(request, "login.html", error="")
        client = request.client.host if request.client else "?"
        if self.limiter.blocked(client):
            return self.render(request, "login.html", status_code=429, error=self.t("too_many"))
        form = await self.checked_form(request)
        sent = str(form.get("token", ""))
        if self.token and hmac.compare_digest(sent.encode(), self.token.encode()):
            self.limiter.succeeded(client)
            response = RedirectResponse("/", status_code=303)
            response.set_cookie(AUTH_COOKIE, self.signer.session_cookie(), max_age=self.signer.session_seconds,
                                httponly=True, samesite="strict", secure=request.url.scheme == "https")
            return response
        self.limiter.failed(client)
        return self.render(request, "login.html", status_code=401, error=self.t("wrong_token"))

    async def logout(self, request: Request) -> Response:
        await self.checked_form(request)
        response = RedirectResponse("/login" if self.token else "/", status_code=303)
        response.delete_cookie(AUTH_COOKIE, httponly=True, samesite="strict")
        return response

    async def http_error(self, request: Request, exc: Exception) -> Response:
        if not isinstance(exc, HTTPException):  # the editor sees a page; the reason goes to the log
            log.error("review app: %s %s failed", request.method, request.url.path, exc_info=exc)
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        detail = exc.detail if isinstance(exc, HTTPException) else self.t("error.500")
        return self.render(request, "error.html", status_code=status, status=status, detail=detail,
                           title=self.t(f"error.{status}") if f"error.{status}" in self.t.known else self.t("error"))


def create_app(output_root: Path, *, settings: Settings | None = None, catalog: Catalog | None = None,
               token: str | None = None, allowed_hosts: list[str] | None = None, bind: str | None = None) -> Starlette:
    """The app over ``output_root``. ``allowed_hosts``: Host names it answers to (default: loopback,
    ``bind`` and ``[review] allowed_hosts``)."""
    output_root = Path(output_root).resolve()
    if settings is None:
        from podpipe.config import get_settings

        settings = get_settings()
    try:
        token = check_token(token)
    except TokenTooWeak as error:
        raise ReviewConfigError(str(error)) from error
    if catalog is None:
        output_root.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(settings.catalog_url(output_root))
    review = ReviewApp(output_root, settings, catalog, token)
    if allowed_hosts is None:
        allowed_hosts = allowed_hosts_for(bind, list(settings.review.allowed_hosts))
    routes = [
        Route("/", review.index),
        Route("/login", review.login, methods=["GET", "POST"]),
        Route("/logout", review.logout, methods=["POST"]),
        Route("/episodes/{slug}", review.episode),
        Route("/episodes/{slug}/save", review.save, methods=["POST"]),
        Route("/episodes/{slug}/approve", review.approve, methods=["POST"]),
        Route("/episodes/{slug}/restore", review.restore, methods=["POST"]),
        Route("/episodes/{slug}/resolve", review.resolve_conflict, methods=["POST"]),
        Route("/episodes/{slug}/compare", review.compare),
        Route("/episodes/{slug}/find", review.find),
        Route("/episodes/{slug}/replace", review.replace, methods=["POST"]),
        Route("/episodes/{slug}/versions/{name}", review.version),
        Route("/episodes/{slug}/audio", review.audio),
        Route("/episodes/{slug}/files/{name}", review.episode_file),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts),
                  Middleware(SecurityMiddleware, token=token, signer=review.signer, messages=review.t)]
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={HTTPException: review.http_error, Exception: review.http_error})
    app.state.catalog = catalog
    app.state.output_root = output_root
    return app


def serve(output_root: Path, *, settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Run the app with uvicorn; refuses a non-loopback bind without a token (ReviewConfigError)."""
    import uvicorn

    config = ReviewConfig.from_settings(settings)
    host = host or config.host
    port = port or config.port
    check_bind(host, config.token)
    app = create_app(output_root, settings=settings, token=config.token, bind=host)
    uvicorn.run(app, host=host, port=port, log_level="info")

