"""Sync: push a device's mutations, pull the changes in scope by cursor."""

from dataclasses import replace

import orjson
from flask import Response, current_app, g, request

from ..errors import ApiError
from ..observability import count_push_results
from ..schemas.fastload import FastLoader
from ..schemas.sync import PullQuerySchema, PullResponseSchema, PushRequestSchema, PushResponseSchema
from ..services import sync
from . import Blueprint, one_transaction

bp = Blueprint("sync", __name__, url_prefix="/api/sync", description="Push mutations, pull changes")
PUSH_SCHEMA = FastLoader(PushRequestSchema())  # marshmallow's answer, without its per-item cost


def json_response(payload: dict, status: int = 200) -> Response:
    # orjson: pulls of thousands of records are dominated by encoding. NON_STR_KEYS: marshmallow keys a
    # list item's errors by its index (an int), which a rejected mutation's `fields` carries.
    return Response(orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS), status=status,
                    mimetype="application/json")


# The body is read here, not by @bp.arguments: the size limits come before parsing, and FastLoader checks
# the envelope at a fraction of marshmallow's cost. The answer is a prebuilt orjson Response (smorest passes
# it through); PushResponseSchema documents it and tests/api/test_openapi.py validates real answers.
@bp.post("/push")
@one_transaction
@bp.doc(requestBody={"required": True, "content": {"application/json": {"schema": PushRequestSchema}}})
@bp.response(200, PushResponseSchema)
@bp.alt_response(410, response="GONE")
def push():
    """Apply a batch of mutations (≤ 200, ≤ 2 MB), each answered in order"""
    config = current_app.config
    if (request.content_length or 0) > config["SYNC_MAX_BYTES"]:
        raise ApiError(413, "payload_too_large", "批次不能超过2MB / a batch is limited to 2 MB")
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "Send JSON (Content-Type: application/json)")
    raw = request.get_data(cache=False)
    if len(raw) > config["SYNC_MAX_BYTES"]:
        raise ApiError(413, "payload_too_large", "批次不能超过2MB / a batch is limited to 2 MB")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        raise ApiError(400, "invalid_json", "The body is not valid JSON") from err
    if isinstance(body, dict) and isinstance(body.get("mutations"), list) and \
            len(body["mutations"]) > config["SYNC_MAX_MUTATIONS"]:
        raise ApiError(413, "batch_too_large", "每批最多200条 / at most 200 mutations per batch")
    body = PUSH_SCHEMA.load(body)
    actor = replace(g.actor, device_id=body["device_id"])
    answer = sync.push_mutations(actor, body["mutations"], body["epoch"],
                                 id_number_limit=config["ID_NUMBER_CHECKS_PER_HOUR"])
    count_push_results(answer["results"])
    return json_response(answer)


@bp.get("/pull")
@bp.arguments(PullQuerySchema, location="query", error_status_code=400)
@bp.response(200, PullResponseSchema)
@bp.alt_response(410, response="GONE")
def pull(query):
    """The changes in the caller's scope after a cursor, each record once, as it is now"""
    config = current_app.config
    limit = query["limit"] or config["PULL_DEFAULT_LIMIT"]
    page = sync.pull_changes(g.actor, query["cursor"], min(limit, config["PULL_MAX_LIMIT"]),
                             min_cursor=g.user.scope_seq or 0, epoch=query["epoch"])
    return json_response(page)
