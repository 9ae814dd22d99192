"""走访通 Zoufang server: create_app() wires extensions, blueprints, error handlers and commands."""

import logging

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from . import keys
from .config import Config
from .database import configure_engine
from .extensions import compress, db, limiter, migrate


def create_app(config: object | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False, static_folder=None)
    app.config.from_object(config or Config())
    app.json.ensure_ascii = False
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    register_extensions(app)
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
        if response.mimetype == "application/json":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
