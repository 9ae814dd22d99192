"""GET /api/openapi.json: a well-formed OpenAPI 3 document listing every /api rule of the url map."""

import gzip
import json
import re
from collections import defaultdict
from datetime import date, datetime

import jsonschema
import pytest
from marshmallow import fields, validate

from server.schemas.common import SHA256_RE, UUID_RE, Sha256, UuidString
from server.schemas.records import (
    DifficultyDataSchema,
    DifficultySchema,
    EvidenceSchema,
    FollowUpDataSchema,
    FollowUpSchema,
    RecipientDataSchema,
    RecipientSchema,
    VisitDataSchema,
    VisitSchema,
)
from server.schemas.sync import OPS
from server.services.records import SERIALIZERS
from tests.conftest import difficulty_data, mutation, new_id, visit_data

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
PARAMETER_PLACES = {"path", "query", "header", "cookie"}


@pytest.fixture
def spec(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def walk(node, trail=()):
    """Yield (trail, value) for every dict in the document."""
    if isinstance(node, dict):
        yield trail, node
        for key, value in node.items():
            yield from walk(value, (*trail, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, (*trail, index))


def resolve(spec, ref: str):
    assert ref.startswith("#/"), ref
    node = spec
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def test_openapi_document_needs_no_login_and_is_openapi_3(spec):
    assert re.fullmatch(r"3\.\d+\.\d+", spec["openapi"])
    assert spec["info"]["title"] and spec["info"]["version"]
    assert isinstance(spec["paths"], dict) and spec["paths"]


def test_openapi_lists_every_api_rule_and_method_of_the_url_map(app, spec):
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = openapi_path(rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if method.lower() not in spec["paths"].get(path, {}):
                missing.append(f"{method} {path}")
    assert not missing


def test_openapi_lists_nothing_the_url_map_lacks(app, spec):
    served = {openapi_path(r.rule) for r in app.url_map.iter_rules() if r.rule.startswith("/api/")}
    assert set(spec["paths"]) <= served
    assert all(path.startswith("/api/") for path in spec["paths"])


def test_every_reference_resolves(spec):
    refs = [(trail, node["$ref"]) for trail, node in walk(spec) if "$ref" in node]
    assert refs
    for trail, ref in refs:
        assert isinstance(resolve(spec, ref), dict), (trail, ref)


def test_every_operation_is_well_formed(spec):
    ids = []
    for path, method, operation in operations(spec):
        where = f"{method} {path}"
        ids.append(operation["operationId"])
        assert operation.get("summary"), where
        assert operation["responses"], where
        for status, response in operation["responses"].items():
            assert re.fullmatch(r"[1-5]\d\d|default", status), where
            response = resolve(spec, response["$ref"]) if "$ref" in response else response
            assert response.get("description"), (where, status)
        parameters = [*spec["paths"][path].get("parameters", []), *operation.get("parameters", [])]
        declared = {p["name"] for p in parameters if p.get("in") == "path"}
        assert declared == set(re.findall(r"{([^}]+)}", path)), where
        for parameter in parameters:
            parameter = resolve(spec, parameter["$ref"]) if "$ref" in parameter else parameter
            assert parameter["in"] in PARAMETER_PLACES and parameter["name"], where
            assert "schema" in parameter or "content" in parameter, where
            if parameter["in"] == "path":
                assert parameter["required"] is True, where
        if "requestBody" in operation:
            assert operation["requestBody"]["content"], where
    assert len(ids) == len(set(ids))


def test_every_error_response_uses_the_error_envelope(spec):
    envelope = spec["components"]["schemas"]["ErrorEnvelope"]
    assert "error" in envelope["properties"]
    for path, method, operation in operations(spec):
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")) or status == "default":
                response = resolve(spec, response["$ref"]) if "$ref" in response else response
                schema = response["content"]["application/json"]["schema"]
                assert resolve(spec, schema["$ref"]) is envelope, (method, path, status)


def test_security_matches_the_guard(app, spec):
    public = {openapi_path(r.rule) for r in app.url_map.iter_rules()
              if getattr(app.view_functions[r.endpoint], "zf_public", False)}
    schemes = set(spec["components"]["securitySchemes"])
    for path, method, operation in operations(spec):
        if path in public:
            assert operation["security"] == [], (method, path)
        else:
            assert operation["security"], (method, path)
            for requirement in operation["security"]:
                assert set(requirement) <= schemes
            if method != "get":
                assert any("csrf" in r for r in operation["security"]), (method, path)


def test_push_documents_its_request_and_answer(spec):
    push = spec["paths"]["/api/sync/push"]["post"]
    body = push["requestBody"]["content"]["application/json"]["schema"]
    assert set(resolve(spec, body["$ref"])["properties"]) >= {"device_id", "mutations"}
    pull = spec["paths"]["/api/sync/pull"]["get"]
    assert {p["name"] for p in pull["parameters"]} >= {"cursor", "limit"}


def test_json_answers_and_app_scripts_are_compressed_for_clients_that_accept_it(client, app, tmp_path):
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>走访通</title>" + " " * 2000)
    (dist / "assets" / "app-1234.js").write_text("console.log('走访通');\n" * 500)
    app.config["PWA_DIST"] = str(dist)
    script = client.get("/assets/app-1234.js", headers={"Accept-Encoding": "gzip"})
    assert script.headers["Content-Encoding"] == "gzip"
    assert script.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert len(script.data) < 2000
    again = client.get("/assets/app-1234.js", headers={"Accept-Encoding": "gzip",
                                                       "If-None-Match": script.headers["ETag"]})
    assert again.status_code == 304
    shell = client.get("/recipients/x", headers={"Accept": "text/html", "Accept-Encoding": "gzip"})
    assert shell.headers["Content-Encoding"] == "gzip" and "no-store" in shell.headers["Cache-Control"]
    spec = client.get("/api/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert spec.headers["Content-Encoding"] == "gzip"
    assert client.get("/api/openapi.json").headers.get("Content-Encoding") is None


@pytest.mark.parametrize("accepted, expected", [
    ("gzip, deflate, br, zstd", "zstd"),  # Chrome and Android's WebView over HTTPS
    ("gzip, deflate, br", "br"),  # Safari
    ("gzip, deflate", "gzip"),  # plain HTTP
])
def test_a_pull_comes_in_the_fastest_encoding_the_phone_takes(staff, accepted, expected):
    import brotli
    from backports import zstd

    plain = staff.get("/api/sync/pull?cursor=0&limit=200")
    pull = staff.get("/api/sync/pull?cursor=0&limit=200", headers={"Accept-Encoding": accepted})
    assert pull.headers["Content-Encoding"] == expected
    decode = {"zstd": zstd.decompress, "br": brotli.decompress, "gzip": gzip.decompress}[expected]
    assert json.loads(decode(pull.data))["changes"] == plain.json["changes"]
    assert len(pull.data) < len(plain.data) / 4


def test_sync_push_answers_are_not_compressed_but_pulls_are(staff):
    push = staff.post("/api/sync/push", json={"device_id": "d", "mutations": []},
                      headers={"Accept-Encoding": "gzip"})
    assert push.status_code == 200 and push.headers.get("Content-Encoding") is None
    pull = staff.get("/api/sync/pull?cursor=0", headers={"Accept-Encoding": "gzip"})
    assert pull.headers["Content-Encoding"] == "gzip"


# -- the sync answers (prebuilt orjson, not dumped by a schema) validate against what the document says ---


def json_schema(node):
    """OpenAPI 3.0 → JSON Schema: `nullable: true` becomes a null alternative."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        if isinstance(node.get("type"), str) and not {"oneOf", "anyOf", "allOf", "$ref"} & set(node):
            node["type"] = [node["type"], "null"]
            if "enum" in node:
                node["enum"] = [*node["enum"], None]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


def validator_for(spec, component: str):
    components = json_schema(spec["components"])
    return jsonschema.Draft7Validator({"$ref": f"#/components/schemas/{component}", "components": components})


def assert_valid(validator, body, where):
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, (where, [(list(e.absolute_path), e.message[:300]) for e in errors[:5]])


def test_the_documented_answer_schemas_are_strict_enough_to_fail(spec):
    push = validator_for(spec, "PushResponse")
    entity = {"type": "visit", "id": "x", "version": 1, "deleted": False, "data": {"id": "x"}}
    assert not push.is_valid({"results": [{"id": "x", "status": "applied", "entity": entity}], "cursor": 1})
    assert not push.is_valid({"results": [{"id": "x", "status": "stored"}], "cursor": 1})
    assert not push.is_valid({"results": [], "cursor": 1, "extra": True})
    tombstone = {"type": "visit", "id": "x", "version": 0, "deleted": True, "data": None}
    assert push.is_valid({"results": [{"id": "x", "status": "conflict", "entity": tombstone}], "cursor": 1})
    # A result's id is always a string: "" stands for a malformed item's missing one, never null.
    assert not push.is_valid({"results": [{"id": None, "status": "rejected",
                                           "error": {"code": "validation_error", "message": "m"}}], "cursor": 1})


def test_real_push_and_pull_answers_validate_against_the_published_schemas(
        client, staff, reviewer, admin, own_recipient):
    spec = client.get("/api/openapi.json").json
    push_schema = spec["paths"]["/api/sync/push"]["post"]["responses"]["200"]["content"]["application/json"]
    pull_schema = spec["paths"]["/api/sync/pull"]["get"]["responses"]["200"]["content"]["application/json"]
    assert push_schema["schema"]["$ref"].endswith("/PushResponse")
    assert pull_schema["schema"]["$ref"].endswith("/PullResponse")
    push_validator, pull_validator = validator_for(spec, "PushResponse"), validator_for(spec, "PullResponse")

    recipient = {"id": new_id(), "name": "契约", "gender": "female", "id_number": None, "phone": None,
                 "address": None, "area_id": own_recipient["area_id"], "category": "veteran", "tags": ["t"],
                 "notes": None}
    visit = visit_data(recipient["id"], cash_cents=5000, no_signature_reason="卧床无法签字")
    difficulty = difficulty_data(recipient["id"], visit_id=visit["id"], due_date="2026-12-20")
    followup = {"id": new_id(), "difficulty_id": difficulty["id"], "at": "2026-11-29T01:00:00Z", "note": "回访",
                "status": "in_progress", "next_follow_up_at": "2026-12-03T01:00:00Z"}
    created = mutation("visit.create", visit)
    batches = [
        [mutation("recipient.create", recipient), created, mutation("difficulty.create", difficulty),
         mutation("followup.create", followup),
         mutation("visit.update", {"id": visit["id"], "notes": "改"}, base_version=1)],
        [created,  # duplicate
         mutation("visit.update", {"id": visit["id"], "notes": "过时"}, base_version=1),  # conflict
         mutation("visit.create", visit_data(own_recipient["id"], photos=["nope"])),  # rejected, list fields
         {"id": 12, "op": "visit.create", "data": {}},  # rejected, no string id
         None, "junk", {"op": "visit.create"},  # rejected, not a mutation at all
         mutation("visit.delete", {})],  # rejected, unknown op
    ]
    statuses = set()
    for batch in batches:
        response = staff.post("/api/sync/push", json={"device_id": "contract", "mutations": batch})
        assert response.status_code == 200
        assert_valid(push_validator, response.json, "push")
        assert len(response.json["results"]) == len(batch)
        statuses |= {r["status"] for r in response.json["results"]}
    assert [r["id"] for r in response.json["results"][3:7]] == ["", "", "", ""]
    assert statuses == {"applied", "duplicate", "conflict", "rejected"}

    assert reviewer.post("/api/campaigns", json={"name": "契约活动", "starts_on": "2026-11-01",
                                                 "ends_on": "2026-11-30"}).status_code == 201
    _, cursor = staff.pull_all()
    version = admin.pull_all()[0][("recipient", recipient["id"])]["version"]
    elsewhere = next(c["data"]["area_id"] for (t, _), c in admin.pull_all()[0].items()
                     if t == "recipient" and c["data"]["area_id"] not in
                     {d["data"]["area_id"] for (u, _), d in staff.pull_all()[0].items() if u == "recipient"})
    [moved] = admin.push(mutation("recipient.update", {"id": recipient["id"], "area_id": elsewhere},
                                  base_version=version))
    assert moved["status"] == "applied"

    seen_types, tombstones = set(), 0
    for start in (0, cursor):
        page_cursor = start
        while True:
            response = staff.get(f"/api/sync/pull?cursor={page_cursor}&limit=50")
            assert response.status_code == 200
            body = response.json
            assert_valid(pull_validator, body, ("pull", page_cursor))
            seen_types |= {c["type"] for c in body["changes"]}
            tombstones += sum(c["deleted"] for c in body["changes"])
            page_cursor = body["cursor"]
            if not body["has_more"]:
                break
    assert seen_types == {"area", "user", "recipient", "visit", "difficulty", "followup", "campaign"}
    assert tombstones >= 4  # the recipient, its visit, difficulty and follow-up left staff_demo's scope


def test_only_the_json_document_is_served_no_documentation_page_from_a_cdn(app, staff):
    served = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("api-docs.")}
    assert served == {"/api/openapi.json"}
    for path in ("/api/docs", "/api/swagger-ui", "/api/redoc", "/api/rapidoc"):
        assert staff.get(path).status_code == 404


# -- one contract: what the document says a synced record is, is its record schema ------------------------

RECORDS = {"recipient": ("Recipient", RecipientSchema), "visit": ("Visit", VisitSchema),
           "difficulty": ("Difficulty", DifficultySchema), "followup": ("FollowUp", FollowUpSchema),
           "evidence": ("Evidence", EvidenceSchema)}


def documented_limits(field: fields.Field) -> dict:
    """What a field's validators and type promise a client, as OpenAPI keywords."""
    out = {}
    for validator in field.validators:
        if isinstance(validator, validate.Length):
            low, high = ("minItems", "maxItems") if isinstance(field, fields.List) else ("minLength", "maxLength")
            out.update({k: v for k, v in ((low, validator.min), (high, validator.max)) if v is not None})
        elif isinstance(validator, validate.Range):
            out.update({k: v for k, v in (("minimum", validator.min), ("maximum", validator.max)) if v is not None})
        elif isinstance(validator, validate.OneOf):
            out["enum"] = [*validator.choices, *([None] if field.allow_none else [])]
    if isinstance(field, UuidString):
        out["pattern"] = UUID_RE.pattern
    elif isinstance(field, Sha256):
        out["pattern"] = SHA256_RE.pattern
    return out


@pytest.mark.parametrize("entity_type", list(RECORDS))
def test_a_record_is_documented_field_for_field_as_its_schema_declares_it(spec, entity_type):
    name, schema_cls = RECORDS[entity_type]
    schema, components = schema_cls(), spec["components"]["schemas"]
    data, create = components[f"{name}Data"], components[f"{name}Create"]
    everything, loaded = set(schema.fields), set(schema.load_fields)
    # The pulled data: every field (the server's too), always present; exactly what the fast serializer writes.
    assert set(data["properties"]) == everything
    assert set(data["required"]) == everything
    assert set(SERIALIZERS[entity_type](defaultdict(lambda: None))) == everything
    # The op's data: the load fields only, required as the loader requires them.
    assert set(create["properties"]) == loaded
    assert set(create.get("required", ())) == {k for k, f in schema.load_fields.items() if f.required}
    assert everything - loaded <= schema.server_fields  # the server's fields: answered, dropped on load
    for key, field in schema.fields.items():
        limits = documented_limits(field)
        documented = [data["properties"][key]] + ([create["properties"][key]] if key in loaded else [])
        for prop in documented:
            if isinstance(field, fields.List):
                item_limits = documented_limits(field.inner)
                assert {k: prop["items"].get(k) for k in item_limits} == item_limits, (name, key)
            assert {k: prop.get(k) for k in limits} == limits, (name, key)
            nullable = prop.get("nullable", False) or any(p.get("nullable") for p in prop.get("anyOf", ()))
            assert nullable == field.allow_none, (name, key)


def test_every_op_names_the_component_of_its_data(spec):
    components = spec["components"]["schemas"]
    mutation_doc = components["Mutation"]
    assert mutation_doc["properties"]["op"]["enum"] == list(OPS)
    by_op = mutation_doc["properties"]["data"]["x-data-by-op"]
    assert set(by_op) == set(OPS)
    for op, ref in by_op.items():
        record, action = op.split(".")
        name = RECORDS[record][0] + ("Patch" if action == "update" else "Create")
        assert ref == {"$ref": f"#/components/schemas/{name}"}
        if action == "update":  # a patch: its id, and any other field, none defaulted
            patch = components[name]
            assert patch["required"] == ["id"]
            assert set(patch["properties"]) == set(components[RECORDS[record][0] + "Create"]["properties"])
            assert not [k for k, p in patch["properties"].items() if "default" in p]


def test_the_derived_data_schemas_dump_what_the_serializers_wrote_unchanged():
    """The office's answers are built on these schemas: deriving them must not change one byte."""
    now, today = datetime(2026, 11, 28, 2, 0, 0, 123000), date(2026, 12, 1)
    rows = {
        RecipientDataSchema: SERIALIZERS["recipient"]({
            "id": new_id(), "name": "王", "gender": None, "id_number": "110101199003074514", "phone": "1",
            "address": None, "area_id": 5, "category": "veteran", "tags": ["t"], "notes": None}),
        VisitDataSchema: SERIALIZERS["visit"]({
            **visit_data(new_id(), location={"lat": 30, "lng": 120.25, "accuracy_m": None}), "visited_at": now,
            "author_id": 3, "area_id": 5, "status": "returned", "review_comment": "补照片"}),
        DifficultyDataSchema: SERIALIZERS["difficulty"]({
            **difficulty_data(new_id()), "follow_up_at": now, "due_date": today, "author_id": 3, "area_id": 5,
            "status": "open", "assignee_id": None, "responsible_unit": "民政所", "resolved_at": None,
            "created_at": now}),
        FollowUpDataSchema: SERIALIZERS["followup"]({
            "id": new_id(), "difficulty_id": new_id(), "author_id": 3, "at": now, "note": "回访", "status": None,
            "next_follow_up_at": None}),
    }
    for schema_cls, data in rows.items():
        dumped = schema_cls().dump(data)
        assert dumped == data, schema_cls
        assert all(type(dumped[k]) is type(v) for k, v in data.items()), schema_cls
