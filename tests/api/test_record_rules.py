"""The named rules the document publishes (`x-rules`) are the ones the push applies: for every rule of every op,
the server rejects the mutation that breaks it, on the rule's field, and applies the same one made valid."""

import hashlib
from datetime import timedelta

import pytest

from server.domain.recipients import id_number_check_digit
from server.models.base import utcnow
from server.schemas.records import OP_DATA, RecordSchema
from tests.conftest import PNG_1PX, mutation, new_id, visit_data


def iso(minutes_from_now: float) -> str:
    return (utcnow() + timedelta(minutes=minutes_from_now)).isoformat(timespec="milliseconds") + "Z"


def fresh_id_number() -> str:
    """A valid ID number no other recipient has (an ID number belongs to one recipient)."""
    first17 = f"110105199001{int(new_id()[:4], 16) % 28 + 1:02d}{int(new_id()[:4], 16) % 1000:03d}"
    return first17 + id_number_check_digit(first17)


# Per rule name: (a patch that breaks it, the same made valid). A rule the document names and this table
# lacks fails the walk.
SAMPLES = {
    # A wrong check digit.
    "id_number_gb11643": lambda r: ({r["field"]: "110105194912310021"}, {r["field"]: fresh_id_number()}),
    "not_future": lambda r: ({r["field"]: iso(r["slack_minutes"] + 10)}, {r["field"]: iso(r["slack_minutes"] - 10)}),
    "signature_or_reason": lambda r: ({r["amount"]: 100, r["field"]: None, r["reason"]: "  "},
                                      {r["amount"]: 100, r["field"]: None, r["reason"]: "卧床无法签字"}),
    "resolved_no_next": lambda r: ({r["status"]: r["resolved"], r["field"]: iso(600)},
                                   {r["status"]: r["resolved"], r["field"]: None}),
}


@pytest.fixture
def spec(client):
    return client.get("/api/openapi.json").json


def published_rules(spec) -> list[tuple[str, dict]]:
    schemas = spec["components"]["schemas"]
    by_op = schemas["Mutation"]["properties"]["data"]["x-data-by-op"]
    return [(op, rule) for op, ref in by_op.items()
            for rule in schemas[ref["$ref"].rsplit("/", 1)[1]].get("x-rules", [])]


def test_the_document_publishes_a_rule_for_each_kind_the_schemas_declare(spec):
    published = {rule["rule"] for _, rule in published_rules(spec)}
    declared = {rule.name for _, schema in OP_DATA.values() for rule in type(schema).rules}
    assert published == declared == set(SAMPLES)
    assert all(issubclass(type(schema), RecordSchema) for _, schema in OP_DATA.values())


def test_every_published_rule_is_one_the_push_applies(spec, staff, login, own_recipient):
    liaison = login("liaison_demo")  # evidence is a liaison's op
    evidence_file = PNG_1PX + b"rules"
    evidence_sha = hashlib.sha256(evidence_file).hexdigest()
    assert liaison.put(f"/api/attachments/{evidence_sha}", data=evidence_file).status_code == 201
    item_id = liaison.get("/api/creation/items").json["items"][0]["id"]
    visit = visit_data(own_recipient["id"])
    difficulty = {"id": new_id(), "recipient_id": own_recipient["id"], "category": "medical", "description": "看病难"}
    assert [r["status"] for r in staff.push(mutation("visit.create", visit),
                                            mutation("difficulty.create", difficulty))] == ["applied", "applied"]
    versions = {own_recipient["id"]: next(c["version"] for c in staff.pull_all()[0].values()
                                          if c["id"] == own_recipient["id"]), visit["id"]: 1}

    def record(op: str) -> tuple[dict, int | None]:
        """A valid `data` for `op` (and its base version), to which a rule's patch is applied."""
        if op == "recipient.create":
            return {"id": new_id(), "name": "王五", "area_id": own_recipient["area_id"], "category": "veteran"}, None
        if op == "recipient.update":
            return {"id": own_recipient["id"]}, versions[own_recipient["id"]]
        if op == "visit.create":
            return visit_data(own_recipient["id"]), None
        if op == "visit.update":
            return {"id": visit["id"]}, versions[visit["id"]]
        if op == "followup.create":
            return {"id": new_id(), "difficulty_id": difficulty["id"], "at": iso(-5), "note": "已联系"}, None
        if op == "evidence.create":
            return {"id": new_id(), "item_id": item_id, "sha256": evidence_sha, "title": "巡查照片"}, None
        raise AssertionError(f"no valid record for {op}: add one")

    rules = published_rules(spec)
    assert rules
    for op, rule in rules:
        bad, good = SAMPLES[rule["rule"]](rule)
        data, base = record(op)
        client = liaison if op == "evidence.create" else staff
        [answer] = client.push(mutation(op, {**data, **bad}, base_version=base))
        assert answer["status"] == "rejected", (op, rule, answer)
        assert answer["error"]["code"] == "validation_error"
        assert rule["field"] in answer["error"]["fields"], (op, rule, answer)
        [answer] = client.push(mutation(op, {**data, **good}, base_version=base))
        assert answer["status"] == "applied", (op, rule, answer)
        if base is not None:
            versions[data["id"]] = answer["entity"]["version"]
