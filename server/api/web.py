"""The built PWA at `/`: hashed assets cached for a year, index.html and sw.js never cached."""

from pathlib import Path

from flask import Blueprint, current_app, request, send_from_directory

from ..errors import ApiError

bp = Blueprint("web", __name__)
NO_CACHE = "no-cache, no-store, must-revalidate"


def _dist() -> Path:
    return Path(current_app.config["PWA_DIST"])


def _index():
    dist = _dist()
    if not (dist / "index.html").exists():
        raise ApiError(404, "not_found", "The PWA is not built: run `make build` (make run does it)")
    response = send_from_directory(dist, "index.html", max_age=0)
    response.headers["Cache-Control"] = NO_CACHE
    return response


@bp.get("/")
def index():
    return _index()


@bp.get("/<path:path>")
def static_or_app(path: str):
    if path.startswith("api/"):
        raise ApiError(404, "not_found", "No such endpoint")
    dist = _dist()
    target = (dist / path).resolve()
    if target.is_file() and dist.resolve() in target.parents:
        response = send_from_directory(dist, path, max_age=0)
        if path.startswith("assets/"):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        else:
            response.headers["Cache-Control"] = NO_CACHE
        if path.endswith(".webmanifest"):
            response.mimetype = "application/manifest+json"
        return response
    # History-mode routes (/recipients/…) get the app shell; anything that looks like a file is a 404.
    if "." in path.rsplit("/", 1)[-1] or "text/html" not in request.headers.get("Accept", ""):
        raise ApiError(404, "not_found", "Not found")
    return _index()
