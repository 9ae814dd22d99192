"""Meta endpoints: the generated OpenAPI document and a health check."""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from ..extensions import db
from ..openapi import build_spec
from . import doc, public

bp = Blueprint("meta", __name__, url_prefix="/api")


@bp.get("/openapi.json")
@public
@doc("This document")
def openapi():
    spec = current_app.extensions.get("zf_openapi")
    if spec is None:
        spec = current_app.extensions["zf_openapi"] = build_spec(current_app)
    return jsonify(spec)


@bp.get("/health")
@public
@doc("Liveness and database reachability")
def health():
    db.session.execute(text("SELECT 1"))
    db.session.rollback()
    return {"status": "ok"}
