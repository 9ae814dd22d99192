"""API blueprints (one per resource) and what they share: auth, CSRF, JSON loading, docs metadata."""

from functools import wraps

from flask import Flask, g, request
from marshmallow import Schema

from ..errors import ApiError

SESSION_COOKIE = "zoufang_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def public(view):
    """Mark a view that answers without a session (and without a CSRF token)."""
    view.zf_public = True
    return view


def doc(summary: str, body: type[Schema] | Schema | None = None, query: type[Schema] | Schema | None = None,
        response: type[Schema] | Schema | None = None, status: int = 200, roles: tuple[str, ...] = (),
        content_type: str | None = None, produces: str | None = None):
    """Attach what the OpenAPI document says about a view (it is generated from these and the url map)."""

    def wrap(view):
        view.zf_doc = {"summary": summary, "body": body, "query": query, "response": response,
                       "status": status, "roles": roles, "content_type": content_type, "produces": produces}
        return view

    return wrap


def roles(*allowed: str):
    """Allow only these roles (403 `forbidden` otherwise)."""

    def wrap(view):
        @wraps(view)
        def inner(*args, **kwargs):
            if g.actor.role not in allowed:
                raise ApiError(403, "forbidden", "您没有权限 / not allowed for your role")
            return view(*args, **kwargs)

        inner.zf_roles = allowed
        return inner

    return wrap


def load_json(schema: Schema) -> dict:
    """Parse and validate a JSON body; not JSON → 400 `invalid_json`, invalid → 422 `validation_error`."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "Send JSON (Content-Type: application/json)")
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(400, "invalid_json", "The body is not valid JSON")
    return schema.load(data)


def load_query(schema: Schema) -> dict:
    return schema.load(request.args.to_dict())


def register_blueprints(app: Flask) -> None:
    from . import (
        admin,
        archive,
        areas,
        attachments,
        auth,
        campaigns,
        difficulties,
        meta,
        notifications,
        push,
        recipients,
        reports,
        sync,
        users,
        visits,
        web,
    )

    modules = (auth, sync, attachments, admin, archive, areas, notifications, push, visits, difficulties,
               campaigns, recipients, reports, users, meta)
    for module in modules:
        app.register_blueprint(module.bp)
    app.register_blueprint(web.bp)
    auth.register_guards(app)
