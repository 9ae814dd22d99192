"""Meta endpoints: a health check; the OpenAPI document itself is served by flask-smorest's Api."""

import logging

from flask import Flask, current_app, json
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..errors import ApiError
from ..extensions import db
from ..schemas.common import UtcDateTime
from ..schemas.meta import HealthSchema
from ..schemas.records import document_rules
from ..schemas.sync import OP_DATA, RECORD_DATA, MutationSchema, RecordData
from . import ERROR_RESPONSES, Blueprint, public

bp = Blueprint("meta", __name__, url_prefix="/api", description="Health and this document")
OPENAPI_ENDPOINT = "api-docs.openapi_json"
log = logging.getLogger(__name__)


@bp.get("/health")
@public
@bp.response(200, HealthSchema)
@bp.alt_response(503, response="SERVICE_UNAVAILABLE")
def health():
    """Liveness and database reachability: 503 `unavailable` when the database does not answer `SELECT 1`
    (load balancers and the image's HEALTHCHECK take this host out until it does)"""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("health: the database does not answer (%s)", type(exc).__name__)
        _discard_session()
        raise ApiError(503, "unavailable", "The database does not answer; try again later") from None
    db.session.rollback()
    return {"status": "ok"}


def _discard_session() -> None:
    """Drop the failed session; its connection may be gone, so even the rollback may raise."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        pass
    try:
        db.session.remove()
    except SQLAlchemyError:
        pass


def _component(schema) -> str:
    return schema.__name__.removesuffix("Schema")


def _record_data(self, field, **kwargs) -> dict:
    """A RecordData field: oneOf the record `data` components, or null (a tombstone's)."""
    if not isinstance(field, RecordData):
        return {}
    return {"nullable": True, "oneOf": [{"$ref": f"#/components/schemas/{_component(s)}"}
                                        for s in RECORD_DATA.values()]}


def _nullable_ref(self, field, ret, **kwargs) -> dict:
    """A nullable nested object as `{allOf: [$ref], nullable: true}` rather than apispec's `anyOf` with an
    untyped empty object, so a client's generated type reads `Location | null`."""
    alternatives = ret.get("anyOf")
    bare = {"type": "object", "nullable": True}
    if isinstance(alternatives, list) and len(alternatives) == 2 and bare in alternatives:
        other = alternatives[1 - alternatives.index(bare)]
        if "$ref" in other:
            del ret["anyOf"]
            return {"allOf": [other], "nullable": True}
    return {}


def prepare_openapi(api) -> None:
    """Before the blueprints are documented: the security schemes and our own field types."""
    spec = api.spec
    spec.components.security_scheme("session", {"type": "apiKey", "in": "cookie", "name": "zoufang_session"})
    spec.components.security_scheme("csrf", {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"})
    api.ma_plugin.map_to_openapi_type(UtcDateTime, "string", "date-time")
    api.ma_plugin.converter.add_attribute_function(_record_data)
    api.ma_plugin.converter.add_attribute_function(_nullable_ref)
    for schema in RECORD_DATA.values():
        spec.components.schema(_component(schema), schema=schema)
    # A push's items are checked one by one by the service (a bad one is answered `rejected`, not 422), so
    # PushRequest lists them as any value; this is the shape a device sends.
    spec.components.schema("Mutation", schema=MutationSchema)
    for name, schema in OP_DATA.values():  # each op's `data`, with the limits and rules its schema checks
        spec.components.schema(name, document_rules(schema), schema=schema)


def document_openapi(app: Flask, api) -> None:
    """The document's own endpoint: answered without a session, listed like the rest, and built once per app
    from the spec smorest assembled (the shared Api object is re-initialised by every app a process makes)."""
    spec = api.spec
    spec.path(rule=next(app.url_map.iter_rules(OPENAPI_ENDPOINT)), operations={"get": {
        "operationId": f"{OPENAPI_ENDPOINT}.get", "summary": "This document (OpenAPI 3)", "tags": ["meta"],
        "security": [], "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
            **{str(status): name for status, name in ERROR_RESPONSES.items() if status not in (401, 403)}}}})
    built: list[bytes] = []

    def openapi_json():
        if not built:
            built.append(json.dumps(spec.to_dict()).encode())
        return current_app.response_class(built[0], mimetype="application/json")

    app.view_functions[OPENAPI_ENDPOINT] = public(openapi_json)
