"""The review app's locks: allowed hosts, Origin check, signed CSRF token, login with rate limit and expiry.

Why each one:

* **Allowed hosts** (Starlette's TrustedHostMiddleware): a web page can point a name it controls at
  127.0.0.1 (DNS rebinding) and then talk to the app as same-origin; the ``Host`` header still carries
  that name, so a request for any host but the configured ones is refused.
* **Origin check**: a browser names the page a POST comes from; one from another origin is refused
  even before the form token is looked at.
* **Signed CSRF token**: the cookie holds a random session id, the form carries that id signed with
  the app's secret (itsdangerous) and a time stamp; a token that is not signed by this app, belongs to
  another session or is older than the session is refused.
* **Login**: a token of at least 16 characters; five wrong tries per client in five minutes, then 429;
  the session cookie is signed with a time stamp and expires; logout deletes it.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import defaultdict, deque
from typing import Any
from urllib.parse import urlsplit

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

CSRF_COOKIE = "podpipe_csrf"
AUTH_COOKIE = "podpipe_auth"
MIN_TOKEN_CHARS = 16
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
OPEN_PATHS = ("/login", "/static/")


class TokenTooWeak(ValueError):
    """A configured token that anyone could guess: empty, blank or under 16 characters."""


def check_token(token: str | None) -> str | None:
    """The token, or None when none is configured; raises TokenTooWeak for a weak one."""
    if token is None or token == "":
        return None
    if not token.strip() or len(token.strip()) < MIN_TOKEN_CHARS:
        raise TokenTooWeak(f"the review token must be at least {MIN_TOKEN_CHARS} characters (not blanks); "
                           "make one with: python -c 'import secrets; print(secrets.token_urlsafe(24))'")
    return token


class Signer:
    """Signs the CSRF tokens and the session cookie with one secret per token (or per process without one).

    Without a configured token the secret is random per process: restarting the app only asks
    editors to reload their page.
    """

    def __init__(self, token: str | None, session_seconds: int) -> None:
        secret = hmac.new((token or secrets.token_hex(32)).encode(), b"podpipe-review-secret", "sha256").hexdigest()
        self.csrf = URLSafeTimedSerializer(secret, salt="podpipe-csrf")
        self.session = URLSafeTimedSerializer(secret, salt="podpipe-session")
        self.session_seconds = session_seconds

    def csrf_token(self, session_id: str) -> str:
        return self.csrf.dumps(session_id)

    def csrf_ok(self, sent: str, session_id: str) -> bool:
        if not sent or not session_id:
            return False
        try:
            value = self.csrf.loads(sent, max_age=self.session_seconds)
        except (BadSignature, SignatureExpired):
            return False
        return isinstance(value, str) and hmac.compare_digest(value, session_id)

    def session_cookie(self) -> str:
        return self.session.dumps({"login": secrets.token_hex(8)})

    def session_ok(self, cookie: str) -> bool:
        if not cookie:
            return False
        try:
            self.session.loads(cookie, max_age=self.session_seconds)
        except (BadSignature, SignatureExpired):
            return False
        return True


class LoginLimiter:
    """At most ``attempts`` wrong logins per client in ``window`` seconds (then 429 until they age out)."""

    def __init__(self, attempts: int = 5, window: float = 300.0) -> None:
        self.attempts, self.window = attempts, window
        self.failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, client: str) -> deque[float]:
        failures = self.failures[client]
        while failures and failures[0] < time.monotonic() - self.window:
            failures.popleft()
        return failures

    def blocked(self, client: str) -> bool:
        return len(self._recent(client)) >= self.attempts

    def failed(self, client: str) -> None:
        self._recent(client).append(time.monotonic())

    def succeeded(self, client: str) -> None:
        self.failures.pop(client, None)


def same_origin(request: Request) -> bool:
    """A POST is ours when its Origin (or, lacking one, its Referer) is this app's own scheme, host and port.

    Clients that send neither (scripts, the test client) pass here and still need the signed token.
    """
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer")
        if not referer:
            return True
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    if origin == "null":
        return False
    parts = urlsplit(origin)
    host = request.headers.get("host", "")
    return parts.scheme == request.url.scheme and parts.netloc.lower() == host.lower()


class SecurityMiddleware(BaseHTTPMiddleware):
    def __init__(self, app: Any, token: str | None, signer: Signer, messages: Any) -> None:
        super().__init__(app)
        self.token, self.signer, self.messages = token, signer, messages

    async def dispatch(self, request: Request, call_next: Any) -> Response:
        if request.method not in ("GET", "HEAD", "OPTIONS") and not same_origin(request):
            return HTMLResponse(self.messages("error.origin"), status_code=403)
        if self.token and not request.url.path.startswith(OPEN_PATHS) and not self._authorised(request):
            if request.method == "GET":
                return RedirectResponse("/login", status_code=303)
            return HTMLResponse(self.messages("error.login_required"), status_code=401)
        session_id = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
        request.state.csrf_session = session_id
        request.state.csrf = self.signer.csrf_token(session_id)
        response = await call_next(request)
        if request.cookies.get(CSRF_COOKIE) != session_id:
            response.set_cookie(CSRF_COOKIE, session_id, httponly=True, samesite="strict")
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if header.startswith("Bearer ") and hmac.compare_digest(header[7:].encode(), (self.token or "").encode()):
            return True
        return self.signer.session_ok(request.cookies.get(AUTH_COOKIE, ""))


__all__ = [
    "AUTH_COOKIE",
    "CSP",
    "CSRF_COOKIE",
    "LOOPBACK_HOSTS",
    "MIN_TOKEN_CHARS",
    "LoginLimiter",
    "SecurityMiddleware",
    "Signer",
    "TokenTooWeak",
    "check_token",
    "same_origin",
]
