"""走访通 Zoufang server: create_app() wires extensions, blueprints, error handlers and commands."""

import re

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from . import keys, observability
from .config import Config
from .database import configure_engine, release_sessions_safely
from .extensions import compress, db, limiter, migrate


def create_app(config: object | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False, static_folder=None)
    app.config.from_object(config or Config())
    app.json.ensure_ascii = False
    observability.init_app(app)  # first: logging, the request id and the request's clock before any hook
    register_extensions(app)
    register_request_guards(app)  # first: nothing reads a hostile request before they judged it
    keys.init_app(app)  # the secret key every host shares (from the environment or the database)
    register_read_requests(app)  # before the auth guard, whose session lookup is the first read
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_security_headers(app)
    hops = app.config.get("TRUSTED_PROXIES", 0)
    if hops:
        # The client's address and scheme as the proxy saw them; nginx overwrites X-Forwarded-Proto and
        # appends to X-Forwarded-For, so only the last `hops` entries are trusted.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    return app


def register_extensions(app: Flask) -> None:
    from . import models, ratelimit  # noqa: F401  (registers the tables and the limiter's database storage)
    from .services import auth, changes

    auth.configure(app.config)
    db.init_app(app)
    release_sessions_safely(app, db)  # after db.init_app: it runs first
    compress.init_app(app)
    limiter.init_app(app)

    @app.after_request
    def _compress(response):
        # A push answer mostly echoes the records the phone has just sent: compressing it would cost the
        # hottest write path ≈ 10 % of its throughput (bench/sync.py) for bytes the phone already holds.
        if request.endpoint == "sync.push":
            return response
        return compress.after_request(response)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    with app.app_context():
        configure_engine(db.engine)
    changes.init_app(app)


def register_blueprints(app: Flask) -> None:
    from .api import register_blueprints as register

    register(app)


def register_errorhandlers(app: Flask) -> None:
    from .errors import register_errorhandlers as register

    register(app)


def register_commands(app: Flask) -> None:
    from .cli import register

    register(app)


# -- hostile requests ---------------------------------------------------------------------------------------

# A JSON body nested deeper than this is refused before it is parsed: no request of the API nests more than a
# handful of levels, and Python's parser, marshmallow and orjson's encoder recurse (1,000 levels answered 500).
MAX_JSON_DEPTH = 32
# What RFC 9110 forbids in a header value (a tab is allowed); gunicorn refuses the same.
_HEADER_CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_KEEP_STRUCTURE = bytes(set(range(256)) - set(b'[]{}"'))
_INNERMOST = re.compile(rb"\[\]|\{\}")


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a JSON document nests arrays and objects deeper than `limit`, judged without parsing it.

    Escaped backslashes, then escaped quotes go first; then everything but brackets and quotes; then what is
    between quotes (strings, with any brackets in them). Each pass over the brackets left removes the
    innermost pairs, so the document nests deeper than `limit` when a pair is still there after `limit`
    passes. Each step runs in C: a 270 KB push of 200 visits costs about a millisecond (orjson parses it in
    two). Unbalanced junk is left to the parser, as invalid JSON.
    """
    if b"\\\\" in body:
        body = body.replace(b"\\\\", b"")
    if b'\\"' in body:
        body = body.replace(b'\\"', b"")
    text = body.translate(None, _KEEP_STRUCTURE)
    text = b"".join(text.split(b'"')[::2])  # the even pieces are outside strings
    if text.count(b"[") + text.count(b"{") <= limit:
        return False
    for _ in range(limit):
        text, removed = _INNERMOST.subn(b"", text)
        if not removed:
            return False
    return _INNERMOST.search(text) is not None


def register_request_guards(app: Flask) -> None:
    """Refuse, before anything reads them: control characters in the path or a header (a forged log line,
    a NUL PostgreSQL refuses), ids in the path beyond any column's range, and over-deep JSON bodies."""
    from .errors import ApiError
    from .schemas.common import INT32_MAX, has_control_characters

    @app.before_request
    def _hostile_request():
        if has_control_characters(request.path) or any(
                _HEADER_CONTROLS.search(value) for _, value in request.headers.items()):
            raise ApiError(400, "bad_request", "控制字符 / control characters in the request")
        for value in (request.view_args or {}).values():
            if isinstance(value, int) and not -INT32_MAX <= value <= INT32_MAX:
                raise ApiError(404, "not_found", "Not found")
        if request.is_json and request.method not in ("GET", "HEAD", "OPTIONS"):
            # Read once and kept: the view's own get_data / get_json answer from the same bytes.
            if json_too_deep(request.get_data(cache=True)):
                raise ApiError(400, "bad_request",
                               f"嵌套过深 / JSON nested deeper than {MAX_JSON_DEPTH} levels")


def register_read_requests(app: Flask) -> None:
    """GET and HEAD requests read; on SQLite their transactions begin without the write lock."""
    from flask import g, request

    from .database import begin_reads_deferred, end_deferred_reads

    @app.before_request
    def _reads_deferred():
        if request.method in ("GET", "HEAD"):
            g.zf_deferred = begin_reads_deferred()

    @app.teardown_request
    def _reads_done(_error):
        token = g.pop("zf_deferred", None)
        if token is not None:
            end_deferred_reads(token)


def register_security_headers(app: Flask) -> None:
    """Headers every answer carries; the API's answers (personal data, photos included) are never stored by
    a browser or proxy cache, and HTTPS (direct, or through a trusted proxy: TRUSTED_PROXIES) adds HSTS."""
    # Text from the database in an HTML page (the archive) without the control characters no page shows.
    app.jinja_env.finalize = _printable

    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # Everything is same-origin: no CDN, no third-party fonts (blob:/data: for photo previews).
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; "
            "connect-src 'self'; worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'",
        )
        if request.path.startswith("/api/"):
            # A township office PC is shared, and a revoked user must not keep what they saw: nothing of
            # the API (records, photos, signatures, the archive page, report workbooks) is kept on disk.
            response.headers["Cache-Control"] = "private, no-store"
        elif response.mimetype == "application/json":
            response.headers.setdefault("Cache-Control", "no-store")
        if request.is_secure:
            # A year, this host only: a county's other hosts may not serve HTTPS yet.
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _printable(value):
    return _UNPRINTABLE.sub("", value) if isinstance(value, str) else value
