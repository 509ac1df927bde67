"""Logins and safety: bearer token for /api, a signed session cookie for pages, CSRF tokens on form
posts, a cross-origin check on every unsafe method, the upload limit, and security headers."""

from __future__ import annotations

import base64
import getpass
import hmac
import json
import secrets
from pathlib import Path

from fastapi import HTTPException, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "oncoseries_session"
CSRF_COOKIE = "oncoseries_csrf"
SESSION_MAX_AGE = 12 * 3600
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
#: Swagger UI (/docs) starts with an inline script of FastAPI's; only those pages allow inline script.
CSP_DOCS = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc")


def load_secret(data_dir: Path, given: str | None) -> str:
    """The key that signs cookies: given, or created once in the data folder (mode 600)."""
    if given:
        return given
    path = Path(data_dir) / "secret.key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    key = secrets.token_urlsafe(32)
    path.write_text(key, encoding="utf-8")
    path.chmod(0o600)
    return key


def local_user() -> str:
    try:
        return getpass.getuser()[:100]
    except Exception:
        return "local"


class Auth:
    """Who is asking. No token and no users: everyone on loopback is the local user."""

    def __init__(self, settings, secret: str, users=None):
        self.token = settings.token
        self.users = users          # callable(username, password) -> bool, or None
        self.signer = URLSafeTimedSerializer(secret, salt="oncoseries-session")

    @property
    def required(self) -> bool:
        return bool(self.token or self.users)

    def api_user(self, request: Request) -> str:
        """INTERFACE §3a: with a token, every /api call needs ``Authorization: Bearer TOKEN``."""
        if not self.required:
            return local_user()
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if self.token and scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(),
                                                                              self.token.encode()):
            return "token"
        if self.users:
            if scheme.lower() == "basic":
                try:
                    name, _, pw = base64.b64decode(value.strip()).decode("utf-8").partition(":")
                except (ValueError, UnicodeDecodeError):
                    name, pw = "", ""
                if name and self.users(name, pw):
                    return name
            user = self.session_user(request)
            if user and user != "token":
                return user
        raise HTTPException(401, "authentication required: send 'Authorization: Bearer TOKEN'",
                            headers={"WWW-Authenticate": "Bearer"})

    def session_user(self, request: Request) -> str | None:
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return None
        try:
            data = self.signer.loads(raw, max_age=SESSION_MAX_AGE)
        except BadSignature:
            return None
        return data.get("u") if isinstance(data, dict) else None

    def page_user(self, request: Request) -> str | None:
        """The signed-in user of a page request (None: must log in)."""
        if not self.required:
            return local_user()
        return self.session_user(request)

    def check_login(self, username: str, secret: str) -> str | None:
        if self.token and hmac.compare_digest(secret.encode(), self.token.encode()):
            return "token"
        if self.users and username and self.users(username, secret):
            return username
        return None

    def session_cookie(self, user: str) -> str:
        return self.signer.dumps({"u": user})


def csrf_token(request: Request) -> str:
    """The page's CSRF token (double submit: the cookie and the hidden form field must agree)."""
    tok = request.cookies.get(CSRF_COOKIE)
    if not tok:
        tok = getattr(request.state, "new_csrf", None) or secrets.token_urlsafe(24)
        request.state.new_csrf = tok
    return tok


def check_csrf(request: Request, form_value: str | None) -> None:
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    if not cookie or not form_value or not hmac.compare_digest(cookie.encode(), str(form_value).encode()):
        raise HTTPException(403, "the form has expired or did not come from this site; reload the page and "
                                 "try again")


class Guard:
    """ASGI middleware: upload limit (413), cross-origin unsafe requests (403), security headers."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        is_api = scope.get("path", "").startswith("/api")
        csp = (CSP_DOCS if scope.get("path") in DOCS_PATHS else CSP).encode()
        if scope.get("method") in ("POST", "PUT", "PATCH", "DELETE"):
            origin = headers.get("origin")
            if origin and origin != "null" and origin.split("://", 1)[-1] != headers.get("host", ""):
                return await _plain(send, 403, "cross-origin request refused", is_api)
        try:
            length = int(headers.get("content-length") or 0)
        except ValueError:
            length = 0
        limit_msg = (f"the upload is larger than the limit of {self.max_bytes / (1024 * 1024):g} MB "
                     "(start the server with --max-upload-mb to change it)")
        if length > self.max_bytes:
            return await _plain(send, 413, limit_msg, is_api)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise HTTPException(413, limit_msg)
            return message

        async def with_headers(message):
            if message["type"] == "http.response.start":
                extra = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                         (b"referrer-policy", b"no-referrer"), (b"content-security-policy", csp),
                         (b"cross-origin-opener-policy", b"same-origin")]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, counted, with_headers)


async def _plain(send, status: int, text: str, is_api: bool):
    if is_api:
        body, ctype = json.dumps({"detail": text}).encode(), b"application/json"
    else:
        page = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{status}</title></head>"
                f"<body><h1>Request refused</h1><p>{text}.</p><p><a href='/'>Back to the start page</a></p>"
                "</body></html>")
        body, ctype = page.encode(), b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode()),
                            (b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY")]})
    await send({"type": "http.response.body", "body": body})
