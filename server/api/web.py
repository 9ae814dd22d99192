"""The built PWA at `/`: hashed assets cached for a year, index.html and sw.js never cached.

Files are answered from memory-sized reads (the app's files are small), not as streams, so the response
compression applies to scripts and styles too; ETags answer unchanged files with 304.
"""

import mimetypes
from pathlib import Path

from flask import Blueprint, Response, current_app, request

from ..errors import ApiError

bp = Blueprint("web", __name__)
NO_CACHE = "no-cache, no-store, must-revalidate"
IMMUTABLE = "public, max-age=31536000, immutable"
MIMETYPES = {".webmanifest": "application/manifest+json", ".js": "text/javascript", ".mjs": "text/javascript"}


def _dist() -> Path:
    return Path(current_app.config["PWA_DIST"])


def _file(path: Path, cache_control: str) -> Response:
    stat = path.stat()
    mimetype = MIMETYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response = Response(path.read_bytes(), mimetype=mimetype)
    response.set_etag(f"{stat.st_mtime_ns:x}-{stat.st_size:x}")
    response.headers["Cache-Control"] = cache_control
    return response.make_conditional(request)


def _index():
    index = _dist() / "index.html"
    if not index.exists():
        raise ApiError(404, "not_found", "The PWA is not built: run `make build` (make run does it)")
    return _file(index, NO_CACHE)


@bp.get("/")
def index():
    return _index()


@bp.get("/<path:path>")
def static_or_app(path: str):
    if path.startswith("api/"):
        raise ApiError(404, "not_found", "No such endpoint")
    dist = _dist().resolve()
    try:
        target = (dist / path).resolve()
        found = target.is_file() and dist in target.parents
    except (OSError, ValueError):  # a name longer than the file system takes, a NUL: no such file
        found = False
    if found:
        return _file(target, IMMUTABLE if path.startswith("assets/") else NO_CACHE)
    # History-mode routes (/recipients/…) get the app shell; anything that looks like a file is a 404.
    if "." in path.rsplit("/", 1)[-1] or "text/html" not in request.headers.get("Accept", ""):
        raise ApiError(404, "not_found", "Not found")
    return _index()
