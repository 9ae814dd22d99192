"""API blueprints (one flask-smorest Blueprint per resource) and what they share: auth marks, JSON parsing."""

from collections.abc import Iterable
from functools import wraps
from io import IOBase
from urllib.parse import quote

import flask_smorest
from flask import Flask, Response, current_app, g, send_file, stream_with_context
from marshmallow import Schema, fields
from webargs.flaskparser import FlaskParser

from ..errors import ApiError

SESSION_COOKIE = "zoufang_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
BINARY = {"type": "string", "format": "binary"}
# Error answers every operation documents (all in the ErrorEnvelope); components/responses by status name.
ERROR_RESPONSES = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
                   413: "REQUEST_ENTITY_TOO_LARGE", 422: "UNPROCESSABLE_ENTITY"}


def zip_response(chunks, name: str):
    """A streamed ZIP download (the creation evidence, the recipients' archives), never stored by a cache."""
    return download(chunks, "application/zip", name, "archive.zip")


def public(view):
    """Mark a view that answers without a session (and without a CSRF token)."""
    view.zf_public = True
    return view


def one_transaction(view):
    """Mark a write view whose request may keep the auth guard's read transaction (PostgreSQL only: on SQLite
    the guard always ends its read before the view). Each ended transaction costs round trips on PostgreSQL
    (ROLLBACK, BEGIN, and the pool's ping after an idle spell): the sync push and the photo upload, a reconnect storm's
    requests, keep one. A view that hashes a password must not be marked (argon2 runs outside transactions)."""
    view.zf_one_transaction = True
    return view


def roles(*allowed: str):
    """Allow only these roles (403 `forbidden` otherwise); checked before the body is read."""

    def wrap(view):
        @wraps(view)
        def inner(*args, **kwargs):
            if g.actor.role not in allowed:
                raise ApiError(403, "forbidden", "您没有权限 / not allowed for your role")
            return view(*args, **kwargs)

        inner.zf_roles = allowed
        return inner

    return wrap


def upload_bytes(upload) -> bytes:
    """A multipart file's bytes, its spooled temporary file let go at once; an empty file is a 422."""
    try:
        content = upload.read()
    finally:
        upload.close()
    if not content:
        raise ApiError(422, "validation_error", "The file is empty", {"file": ["文件为空 / empty"]})
    return content


class Parser(FlaskParser):
    """webargs' parser with the API's rules: a schema's own `unknown` decides (RAISE unless it says
    otherwise, in the query string too), a JSON body must be sent as JSON (415) and parse (400)."""

    DEFAULT_UNKNOWN_BY_LOCATION = dict.fromkeys(FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION)

    def load_json(self, req, schema):
        if not req.is_json:
            raise ApiError(415, "unsupported_media_type", "Send JSON (Content-Type: application/json)")
        data = req.get_json(silent=True)
        if data is None:
            raise ApiError(400, "invalid_json", "The body is not valid JSON")
        return data


class Blueprint(flask_smorest.Blueprint):
    """A smorest Blueprint whose operations also carry their id, security and role note, and the error
    answers in the envelope, so the views state each of these once (route, `public`, `roles`)."""

    ARGUMENTS_PARSER = Parser()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._prepare_access_doc)

    def _store_endpoint_docs(self, endpoint, obj, parameters, tags, **options):
        super()._store_endpoint_docs(endpoint, obj, parameters, tags, **options)
        for method, info in self._docs[endpoint].items():
            if method != "parameters":
                info["zf"] = {"operation_id": f"{self.name}.{endpoint}.{method}",
                              "public": getattr(obj, "zf_public", False), "roles": getattr(obj, "zf_roles", ())}

    @staticmethod
    def _prepare_access_doc(doc, doc_info, *, method, **kwargs):
        access = doc_info["zf"]
        doc["operationId"] = access["operation_id"]
        if access["public"]:
            doc["security"] = []
        else:
            doc["security"] = [{"session": []}] if method == "get" else [{"session": [], "csrf": []}]
        if access["roles"]:
            docstring = doc_info["docstring"]
            note = f"Roles: {', '.join(access['roles'])}"
            docstring["description"] = f"{docstring['description']}\n\n{note}" if docstring.get("description") \
                else note
        responses = doc.setdefault("responses", {})
        for status, name in ERROR_RESPONSES.items():
            if status in (401, 403) and access["public"]:
                continue
            responses.setdefault(status, name)
        return doc

    def response(self, status_code, schema=None, **kwargs):
        """smorest's response; under TESTING it also fails on a key the schema would silently drop."""
        decorate = super().response(status_code, schema, **kwargs)
        instance = schema() if isinstance(schema, type) else schema

        def decorator(func):
            if not isinstance(instance, Schema):
                return decorate(func)

            @wraps(func)
            def checked(*args, **kw):
                result = func(*args, **kw)
                if current_app.testing:
                    body = result[0] if isinstance(result, tuple) else result
                    if isinstance(body, dict | list):
                        undeclared = undeclared_keys(instance, body)
                        assert not undeclared, f"{type(instance).__name__} would drop {undeclared}"
                return result

            return decorate(checked)

        return decorator


def undeclared_keys(schema: Schema, value, path: str = "") -> list[str]:
    """Keys of `value` (a dump's input) that `schema` does not declare, through Nested and List(Nested)."""
    if isinstance(value, list) and schema.many:
        return [k for item in value for k in undeclared_keys(schema, item, path + "[]")]
    if not isinstance(value, dict):
        return []
    declared = {f.attribute or name: f for name, f in schema.fields.items()}
    found = [f"{path}.{k}" for k in value if k not in declared]
    for key, field in declared.items():
        inner, many = field, False
        if isinstance(field, fields.List):
            inner, many = field.inner, True
        if isinstance(inner, fields.Nested) and isinstance(value.get(key), list if many else dict):
            nested = inner.schema
            items = value[key] if many else [value[key]]
            for item in items:
                found += undeclared_keys(nested if not nested.many else type(nested)(), item, f"{path}.{key}")
    return found


def download(output: IOBase | Iterable[bytes], mimetype: str, name: str, ascii_name: str = "download") -> Response:
    """A generated file as an attachment named `name`, never cached: a file object whole, or an iterable of
    chunks streamed (then the Chinese name percent-encoded beside the ASCII fallback `ascii_name`, RFC 6266,
    as send_file writes it)."""
    if isinstance(output, IOBase):
        return send_file(output, mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
    response = current_app.response_class(stream_with_context(output), mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename={ascii_name}; filename*=UTF-8''{quote(name)}"
    response.headers["Cache-Control"] = "no-store"
    return response


def read_upload(files: dict) -> tuple[str, bytes]:
    """The multipart `file` an import sends: its name and content (`upload_bytes`)."""
    upload = files["file"]
    return upload.filename or "", upload_bytes(upload)


def register_blueprints(app: Flask) -> None:
    from ..extensions import api
    from . import (
        areas,
        attachments,
        audit,
        auth,
        campaigns,
        creation,
        difficulties,
        jobs,
        meta,
        notifications,
        outbox_files,
        push,
        recipients,
        reports,
        sync,
        users,
        visits,
        web,
    )

    api.init_app(app)
    meta.prepare_openapi(api)
    for module in (auth, sync, attachments, areas, audit, notifications, push, visits, difficulties, campaigns,
                   recipients, outbox_files, reports, jobs, users, creation, meta):
        api.register_blueprint(module.bp)
    meta.document_openapi(app, api)
    app.register_blueprint(web.bp)
    auth.register_guards(app)
