"""ApiError and the handlers that turn every error into {"error": {"code", "message", "fields", "field_codes"}}."""

import logging
import re

from flask import Flask, jsonify, request
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from .field_codes import field_codes

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    423: "account_locked",
    429: "rate_limited",
}


class ApiError(Exception):
    """A domain or HTTP error with a stable code the PWA translates."""

    def __init__(self, status: int, code: str, message: str = "", fields: dict | None = None):
        super().__init__(message or code)
        self.status = status
        self.code = code
        self.message = message or code.replace("_", " ")
        self.fields = fields

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
            body["field_codes"] = field_codes(self.fields)
        return body


def error_response(status: int, code: str, message: str, fields: dict | None = None, data=None):
    """The envelope; `fields` (messages for API users) come with their codes (`field_codes`, for the PWA),
    `data` being the input they are about when known."""
    body = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
        body["field_codes"] = field_codes(fields, data)
    response = jsonify({"error": body})
    response.status_code = status
    return response


_LOG_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def loggable(text: str) -> str:
    """Request data (a path, a header) as one log line: CR, LF and every other control character escaped,
    so a request cannot forge a line of its own or colour a terminal."""
    return _LOG_UNSAFE.sub(lambda m: ascii(m.group())[1:-1], text)


def _where() -> str:
    return f"{request.method} {loggable(request.path)}"


def location_messages(messages) -> dict:
    """webargs' {"json": {...}} (or "query", "files"): the one location's field messages."""
    if isinstance(messages, dict) and len(messages) == 1:
        messages = next(iter(messages.values()))
    return messages if isinstance(messages, dict) else {"_schema": messages}


def _sent():
    """The request's JSON body, else its query: what a validation error's fields are about."""
    body = request.get_json(silent=True) if request.is_json else None
    return body if isinstance(body, dict) else request.args


def register_errorhandlers(app: Flask) -> None:
    """Map every exception to the envelope; nothing ever answers with a stack trace."""

    @app.errorhandler(ApiError)
    def _api_error(err: ApiError):
        return error_response(err.status, err.code, err.message, err.fields)

    @app.errorhandler(ValidationError)
    def _validation_error(err: ValidationError):
        fields = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
        return error_response(422, "validation_error", "Invalid input", fields, _sent())

    @app.errorhandler(IntegrityError)
    def _integrity_error(err: IntegrityError):
        log.warning("integrity error on %s", _where())
        return error_response(409, "conflict", "The change clashes with existing data")

    @app.errorhandler(OperationalError)
    def _operational_error(err: OperationalError):
        log.error("database unavailable on %s: %s", _where(), type(err.orig).__name__)
        return error_response(503, "unavailable", "The database is busy; try again later")

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        status = err.code or 500
        data = getattr(err, "data", None) or {}
        if "messages" in data:
            # webargs (via @bp.arguments) nests the messages by location, {"json": {...}}: clients get the
            # location's dict as `fields`, as a schema.load in the view gave them.
            return error_response(status, HTTP_CODES.get(status, "http_error"),
                                  getattr(data.get("schema"), "error_message", "Invalid input"),
                                  location_messages(data["messages"]), _sent())
        if status == 400 and "JSON" in (err.description or ""):
            return error_response(400, "invalid_json", "The body is not valid JSON")
        code = HTTP_CODES.get(status, "http_error")
        return error_response(status, code, err.name)

    @app.errorhandler(RecursionError)
    def _too_deep(err: RecursionError):
        # Input nested past what the guard in create_app measures (it judges JSON bodies only).
        log.warning("input nested too deep on %s", _where())
        return error_response(400, "bad_request", "The input is nested too deeply")

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        log.exception("unhandled error on %s", _where())
        return error_response(500, "internal_error", "Something went wrong; try again later")


# -- Domain errors → HTTP, mapped once ----------------------------------------------------------------------
# Services raise `server.services.errors` classes and know no statuses; each class answers one status here
# (a subclass answers its nearest mapped ancestor's), with its own stable code.

from .services import errors as domain  # noqa: E402

DOMAIN_STATUSES: dict[type[domain.DomainError], int] = {
    domain.InvalidInput: 422,  # validation_error, weak_password, invalid_file
    domain.HashMismatch: 422,
    domain.MissingAttachment: 422,
    domain.BadCredentials: 401,
    domain.Forbidden: 403,
    domain.NotFound: 404,
    domain.InvalidTransition: 409,  # invalid_transition, visit_locked
    domain.Conflict: 409,  # conflict, username_taken, code_taken, id_taken, mutation_id_reused
    domain.CursorExpired: 410,
    domain.TooLarge: 413,  # payload_too_large, too_many_rows
    domain.UnsupportedMedia: 415,  # unsupported_media_type, unsupported_file_type
    domain.AccountLocked: 423,
    domain.RateLimited: 429,
    domain.Unavailable: 503,  # unavailable (the attachment store is full), with Retry-After
    domain.DomainError: 400,
}


def domain_status(err: domain.DomainError) -> int:
    """The HTTP status of a domain error: its class's, else its nearest mapped base class's."""
    return next(DOMAIN_STATUSES[cls] for cls in type(err).__mro__ if cls in DOMAIN_STATUSES)


_register_http_errorhandlers = register_errorhandlers


def register_errorhandlers(app: Flask) -> None:  # noqa: F811  (the handlers above, then the domain's)
    _register_http_errorhandlers(app)

    @app.errorhandler(domain.DomainError)
    def _domain_error(err: domain.DomainError):
        response = error_response(domain_status(err), err.code, err.message, err.fields, err.data or _sent())
        if isinstance(err, domain.Unavailable):
            response.headers["Retry-After"] = str(err.retry_after)
        return response
