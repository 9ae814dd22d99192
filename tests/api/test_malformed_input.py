"""Malformed input anywhere answers a clear 4xx in the error envelope, stores nothing and never answers 5xx.

Every /api route that reads a body or a query string (from the url map, so new ones are covered) gets
the same garbage; sync push gets it both as a whole body and inside single mutations, where a bad
mutation is answered `rejected` and the rest of the batch applies.
"""

import re

import orjson
import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import (
    AppliedMutation,
    Area,
    Attachment,
    Campaign,
    ChangeLog,
    Difficulty,
    FollowUp,
    Notification,
    PushSubscription,
    Recipient,
    User,
    UserSession,
    Visit,
)
from tests.conftest import mutation, new_id, visit_data

STORED = (AppliedMutation, Area, Attachment, Campaign, ChangeLog, Difficulty, FollowUp, Notification,
          PushSubscription, Recipient, User, UserSession, Visit)
HUGE = "长" * 200_000

# (description, raw body, content type)
BAD_BODIES = [
    ("not json", b"hello there", "text/plain"),
    ("broken json", b'{"username": ', "application/json"),
    ("null body", b"null", "application/json"),
    ("array body", b'[{"username": "staff_demo"}]', "application/json"),
    ("number body", b"42", "application/json"),
    ("string body", b'"text"', "application/json"),
    ("empty body", b"", "application/json"),
    ("unknown fields", b'{"zzz_unknown": 1, "other": [1, 2]}', "application/json"),
    ("wrong types", b'{"username": 5, "password": ["x"], "device_id": {}, "mutations": "all", "decision": 3, '
                    b'"status": 7, "display_name": false, "password_new": null}', "application/json"),
    ("huge strings", orjson.dumps({"username": HUGE, "password": HUGE, "device_id": HUGE, "decision": HUGE}),
     "application/json"),
    ("invalid utf-8", b'{"username": "\xff\xfe"}', "application/json"),
]
BAD_QUERY = "?cursor=abc&limit=-1&page=zero&per_page=1e9&from=yesterday&to=2026-13-45&area=x&status=%00" \
            "&kind=party&q=" + "x" * 5000 + "&unknown_param=1"


def row_counts() -> dict:
    try:
        return {m.__tablename__: db.session.execute(select(func.count()).select_from(m)).scalar_one()
                for m in STORED}
    finally:
        db.session.rollback()


def assert_envelope(response, where):
    assert 400 <= response.status_code < 500, (where, response.status_code, response.get_data()[:300])
    assert response.mimetype == "application/json", where
    error = response.json["error"]
    assert isinstance(error["code"], str) and error["code"], where
    assert isinstance(error["message"], str) and error["message"], where
    if "fields" in error:
        assert isinstance(error["fields"], dict), where
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and HUGE[:1000] not in text, where


def sample_values(app, rule, admin) -> dict:
    """Real ids (admin sees everything), so the body, not a missing object, is what the route judges."""
    changes, _ = admin.pull_all()
    first = {t: c["id"] for (t, _), c in sorted(changes.items(), reverse=True)}
    item = admin.get("/api/creation/items").json["items"][0]  # the creation campaign's objects are not pulled
    creation = {"item_id": item["id"], "unit_id": item["lead_unit_id"],
                "evidence_id": admin.get("/api/creation/evidence").json["items"][0]["id"],
                "rectification_id": admin.get("/api/creation/rectifications").json["items"][0]["id"],
                "version": admin.get("/api/creation/standard").json["version"]}
    values = {}
    for name in rule.arguments:
        kind = name.removesuffix("_id")
        if name in creation:
            values[name] = creation[name]
        elif name == "sha256":
            values[name] = "0" * 64
        elif kind == "user":
            values[name] = admin.user["id"]
        elif kind == "notification":
            values[name] = 1
        else:
            values[name] = first.get(kind, "00000000-0000-4000-8000-000000000000")
    return values


def body_routes(app):
    """Routes whose OpenAPI operation reads a JSON body (the document is built from the views)."""
    spec = app.test_client().get("/api/openapi.json").json
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        item = spec["paths"].get(re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule), {})
        for method in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"}):
            body = item.get(method.lower(), {}).get("requestBody", {})
            if "application/json" in body.get("content", {}):
                yield rule, method


def query_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and "GET" in rule.methods:
            yield rule


def test_the_body_routes_include_login_and_push(app):
    assert {"auth.login", "sync.push"} <= {rule.endpoint for rule, _ in body_routes(app)}


@pytest.mark.parametrize("label, body, content_type", BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_every_json_route_answers_malformed_bodies_with_a_4xx_envelope_and_stores_nothing(
        app, admin, label, body, content_type):
    routes = list(body_routes(app))
    values = {rule.rule: sample_values(app, rule, admin) for rule, _ in routes if rule.arguments}
    before = row_counts()
    for rule, method in routes:
        url = app.url_map.bind("localhost").build(rule.endpoint, values.get(rule.rule, {}))
        response = admin.client.open(url, method=method, data=body, content_type=content_type,
                                     headers={"X-CSRF-Token": admin.csrf})
        assert_envelope(response, (label, method, rule.rule))
    assert row_counts() == before
    assert admin.get("/api/auth/me").status_code == 200


def test_every_get_route_answers_a_garbage_query_without_5xx(app, admin, staff):
    for client in (admin, staff):
        for rule in query_routes(app):
            values = sample_values(app, rule, admin) if rule.arguments else {}
            url = app.url_map.bind("localhost").build(rule.endpoint, values)
            response = client.get(url + BAD_QUERY)
            assert response.status_code < 500, (rule.rule, response.status_code)
            if response.status_code >= 400 and response.mimetype == "application/json":
                assert_envelope(response, rule.rule)
            response.close()


def test_unknown_api_path_answers_404_in_the_envelope(staff):
    response = staff.get("/api/no-such-thing")
    assert_envelope(response, "unknown path")
    assert response.status_code == 404


def test_wrong_method_answers_405_in_the_envelope(staff):
    response = staff.client.delete("/api/sync/pull", headers={"X-CSRF-Token": staff.csrf})
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"


def test_body_over_the_server_limit_answers_413_in_the_envelope(staff):
    response = staff.put("/api/attachments/" + "0" * 64, data=b"\0" * (7 * 1024 * 1024),
                         content_type="image/png")
    assert response.status_code == 413
    assert_envelope(response, "too large")


# -- push: the envelope and single mutations ---------------------------------------------------------


@pytest.mark.parametrize("body", [
    {"mutations": []},
    {"device_id": "d"},
    {"device_id": "d", "mutations": None},
    {"device_id": "d", "mutations": "all"},
    {"device_id": "", "mutations": []},
    {"device_id": "d" * 65, "mutations": []},
    {"device_id": 5, "mutations": []},
    {"device_id": "d", "mutations": [], "extra": True},
    {"device_id": "d", "mutations": {"0": {}}},
])
def test_push_with_a_malformed_envelope_answers_422(staff, body):
    response = staff.post("/api/sync/push", json=body)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"
    assert response.json["error"]["fields"]


BAD_MUTATIONS = [
    ("mutation is a string", lambda r: "visit.create"),
    ("mutation is null", lambda r: None),
    ("mutation is a list", lambda r: [1, 2]),
    ("id not a uuid", lambda r: {**mutation("visit.create", visit_data(r)), "id": "1; DROP TABLE visits"}),
    ("id missing", lambda r: {k: v for k, v in mutation("visit.create", visit_data(r)).items() if k != "id"}),
    ("op unknown", lambda r: mutation("visit.delete", visit_data(r))),
    ("op not a string", lambda r: {**mutation("visit.create", visit_data(r)), "op": 7}),
    ("data null", lambda r: {**mutation("visit.create", visit_data(r)), "data": None}),
    ("data a list", lambda r: {**mutation("visit.create", visit_data(r)), "data": [visit_data(r)]}),
    ("base_version a string", lambda r: mutation("visit.create", visit_data(r), base_version="1")),
    ("unknown mutation field", lambda r: {**mutation("visit.create", visit_data(r)), "sneaky": 1}),
    ("unknown data field", lambda r: mutation("visit.create", visit_data(r, sneaky=1))),
    ("record id not a uuid", lambda r: mutation("visit.create", {**visit_data(r), "id": "abc"})),
    ("cash as a string", lambda r: mutation("visit.create", visit_data(r, cash_cents="100"))),
    ("cash negative", lambda r: mutation("visit.create", visit_data(r, cash_cents=-5))),
    ("cash a float", lambda r: mutation("visit.create", visit_data(r, cash_cents=1.5))),
    ("huge notes", lambda r: mutation("visit.create", visit_data(r, notes="长" * 5000))),
    ("visited_at garbage", lambda r: mutation("visit.create", visit_data(r, visited_at="yesterday"))),
    ("visited_at a number", lambda r: mutation("visit.create", visit_data(r, visited_at=1732780800))),
    ("location a string", lambda r: mutation("visit.create", visit_data(r, location="here"))),
    ("location out of range", lambda r: mutation("visit.create",
                                                 visit_data(r, location={"lat": 200, "lng": 0}))),
    ("photos not a list", lambda r: mutation("visit.create", visit_data(r, photos="abc"))),
    ("photo not a hash", lambda r: mutation("visit.create", visit_data(r, photos=["../../etc/passwd"]))),
    ("too many photos", lambda r: mutation("visit.create", visit_data(r, photos=["a" * 64] * 21))),
    ("kind unknown", lambda r: mutation("visit.create", visit_data(r, kind="party"))),
    ("recipient_id null", lambda r: mutation("visit.create", {**visit_data(r), "recipient_id": None})),
    ("recipient name empty", lambda r: mutation("recipient.create", {
        "id": new_id(), "name": "", "area_id": 1, "category": "veteran"})),
    ("recipient area a string", lambda r: mutation("recipient.create", {
        "id": new_id(), "name": "张三", "area_id": "3", "category": "veteran"})),
    ("recipient tags nested", lambda r: mutation("recipient.create", {
        "id": new_id(), "name": "张三", "area_id": 3, "category": "veteran", "tags": [["x"]]})),
    ("difficulty without description", lambda r: mutation("difficulty.create", {
        "id": new_id(), "recipient_id": r, "category": "medical"})),
    ("followup resolved with a next date", lambda r: mutation("followup.create", {
        "id": new_id(), "difficulty_id": new_id(), "at": "2026-11-28T01:00:00Z", "note": "x",
        "status": "resolved", "next_follow_up_at": "2026-12-01T00:00:00Z"})),
]


@pytest.mark.parametrize("label, make", BAD_MUTATIONS, ids=[m[0] for m in BAD_MUTATIONS])
def test_push_answers_a_malformed_mutation_rejected_and_applies_the_rest(staff, own_recipient, label, make):
    good = mutation("visit.create", visit_data(own_recipient["id"]))
    bad = make(own_recipient["id"])
    before = row_counts()
    response = staff.post("/api/sync/push", json={"device_id": "d", "mutations": [bad, good]})
    assert response.status_code == 200, response.json
    rejected, applied = response.json["results"]
    assert rejected["status"] == "rejected", rejected
    assert {"code", "message"} <= set(rejected["error"])
    assert applied["status"] == "applied"
    after = row_counts()
    assert after["visits"] == before["visits"] + 1
    assert after["applied_mutations"] == before["applied_mutations"] + 1
    assert after["recipients"] == before["recipients"] and after["difficulties"] == before["difficulties"]


def test_push_rejected_mutation_with_a_bad_id_answers_an_empty_id(staff):
    [result] = staff.push({"id": 12, "op": "visit.create", "data": {}})
    assert result["status"] == "rejected" and result["id"] == ""


@pytest.mark.parametrize("body", [
    {"username": "staff_demo"},
    {"password": "x"},
    {"username": "", "password": ""},
    {"username": "staff_demo", "password": "Demo@2026", "role": "admin"},
    {"username": "u" * 65, "password": "x"},
    {"username": ["staff_demo"], "password": "Demo@2026"},
])
def test_login_with_a_malformed_body_answers_422_without_a_session(client, body):
    response = client.post("/api/auth/login", json=body)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"
    assert client.get("/api/auth/me").status_code == 401


# -- the envelope of argument errors (webargs nests them by location; clients get the location's dict) ----


def test_an_unknown_body_field_answers_422_with_the_field_messages(client):
    response = client.post("/api/auth/login", json={"username": "a", "password": "b", "role": "admin"})
    assert response.status_code == 422
    assert response.json == {"error": {"code": "validation_error", "message": "Invalid input",
                                       "fields": {"role": ["Unknown field."]},
                                       "field_codes": {"role": ["unknown_field"]}}}


def test_a_bad_pull_cursor_answers_400_bad_request_with_the_field(staff):
    response = staff.get("/api/sync/pull?cursor=abc")
    assert response.status_code == 400
    assert response.json == {"error": {"code": "bad_request", "message": "cursor and limit must be integers",
                                       "fields": {"cursor": ["Not a valid integer."]},
                                       "field_codes": {"cursor": ["not_a_number"]}}}


def test_an_unknown_query_parameter_is_rejected_where_the_schema_says_so(reviewer):
    response = reviewer.get("/api/visits?colour=red")
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"colour": ["Unknown field."]}


def test_a_roster_import_without_a_file_or_with_a_bad_dry_run_answers_as_before(reviewer):
    missing = reviewer.post("/api/recipients/import?dry_run=1", data={}, content_type="multipart/form-data")
    assert missing.status_code == 422
    assert missing.json == {"error": {"code": "validation_error",
                                      "message": "Send the roster as multipart field `file`",
                                      "fields": {"file": ["必填 / required"]},
                                      "field_codes": {"file": ["required"]}}}
    bad_flag = reviewer.post("/api/recipients/import?dry_run=maybe", data={}, content_type="multipart/form-data")
    assert bad_flag.status_code == 400
    assert bad_flag.json == {"error": {"code": "bad_request", "message": "dry_run must be 1 or 0",
                                       "fields": {"dry_run": ["must be 1 or 0"]},
                                       "field_codes": {"dry_run": ["invalid_choice"]}}}


def test_a_json_endpoint_answers_415_to_a_form_body(staff):
    response = staff.post("/api/push/subscriptions", data={"endpoint": "x"})
    assert response.status_code == 415
    assert response.json["error"]["code"] == "unsupported_media_type"
