"""The compiled marshmallow fast path (server/schemas/fastload.py) never disagrees with marshmallow.

Property: for any input, when the compiled path answers at all, marshmallow's `load` answers the same
(equal values of the same types, recursively); otherwise the loader is marshmallow itself.
"""

import math
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from server.schemas.fastload import FastLoader, _Unsure, compile_schema
from server.schemas.records import (
    SERVER_FIELDS,
    DifficultySchema,
    FollowUpSchema,
    LocationSchema,
    RecipientSchema,
    VisitSchema,
)
from server.schemas.sync import MutationSchema

SCHEMAS = {
    "mutation": MutationSchema(),
    "recipient": RecipientSchema(),
    "recipient_patch": RecipientSchema(partial=True),
    "visit": VisitSchema(),
    "visit_patch": VisitSchema(partial=True),
    "difficulty": DifficultySchema(),
    "followup": FollowUpSchema(),
    "location": LocationSchema(),
}
UUID = "3f2a7c1e-1111-4222-8333-444455556666"
SHA = "a" * 64


def same(a, b) -> bool:
    """Equal and of the same types, recursively (1 == 1.0 == True is not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 10**9), st.integers(), st.floats(allow_nan=True),
    st.sampled_from([UUID, UUID.upper(), UUID + "\n", "not-a-uuid", SHA, SHA.upper(), SHA + "\n", "", " ",
                     "2026-11-28T02:00:00.000Z", "2026-11-28T10:00:00+08:00", "2026-11-28T02:00:00",
                     "2099-01-01T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-28", "routine", "festival",
                     "male", "female", "urgent", "normal", "resolved", "open", "medical", "martyr_family",
                     "110101199003074514", "110101199003074515", "110101********4514",
                     " 11010119900307451x ", " 110101199003074514 ",
                     "visit.create", "李晓红", "x" * 101, "x" * 300, "日常走访" * 600]),
    st.text(max_size=20),
)
locations = st.one_of(
    st.fixed_dictionaries({"lat": st.floats(-100, 100) | st.integers(-100, 100) | scalars,
                           "lng": st.floats(-200, 200) | scalars},
                          optional={"accuracy_m": st.floats(-10, 200000) | scalars, "extra": scalars}),
    scalars,
)
values = st.one_of(
    scalars,
    locations,
    st.lists(st.sampled_from([SHA, "b" * 64, None, 1, "short"]), max_size=22),
    st.lists(st.text(max_size=40), max_size=22),
    st.dictionaries(st.text(max_size=5), scalars, max_size=3),
)


def records(schema):
    names = list(schema.load_fields) + ["author_id", "version", "status", "area_id", "unknown_key"]
    return st.dictionaries(st.sampled_from(names), values, max_size=len(names))


def check(schema, data):
    compiled = compile_schema(schema)
    assert compiled is not None
    try:
        fast = compiled(data)
    except _Unsure:
        return
    try:
        slow = schema.load(data)
    except ValidationError as err:  # pragma: no cover - the failure being looked for
        pytest.fail(f"fast path accepted what marshmallow rejects: {data!r} → {err.messages}")
    assert same(fast, slow), (data, fast, slow)


@pytest.mark.parametrize("name", list(SCHEMAS))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_compiled_path_agrees_with_marshmallow(name, data):
    schema = SCHEMAS[name]
    check(schema, data.draw(records(schema)))


def valid_visit(**fields):
    return {"id": str(uuid.uuid4()).upper(), "recipient_id": UUID, "visited_at": "2026-11-28T10:00:00+08:00",
            "kind": "routine", "occasion": "日常走访", "participants": "李晓红", "gifts": "米、油",
            "cash_cents": 0, "notes": "身体状况良好",
            "location": {"lat": 30, "lng": 120.2, "accuracy_m": None},
            "photos": [SHA], "signature": None, "no_signature_reason": None, "status": "returned", **fields}


@pytest.mark.parametrize("name,data", [
    ("visit", valid_visit()),
    ("visit", valid_visit(author_id=3, area_id=5, review_comment=None, version=2)),  # a pulled visit sent back
    ("visit_patch", {"id": UUID, "notes": "改", "location": {"lat": 1.5, "lng": 120}}),
    ("mutation", {"id": UUID, "op": "visit.create", "data": valid_visit(), "base_version": None,
                  "client_time": "2026-11-28T08:00:00.000Z"}),
    ("mutation", {"id": UUID, "op": "visit.update", "data": {}, "base_version": 3}),
    ("recipient", {"id": UUID, "name": "王建国", "area_id": 5, "category": "veteran",
                   "id_number": " 110101199003074514 ", "tags": ["重点"]}),
    ("recipient_patch", {"id": UUID, "id_number": "110101********4514", "version": 2}),
    ("difficulty", {"id": UUID, "recipient_id": UUID, "category": "medical", "description": "看病难",
                    "due_date": "2026-12-01"}),
    ("difficulty", {"id": UUID, "recipient_id": UUID, "category": "medical", "description": "看病难",
                    "author_id": 3, "area_id": 5, "status": "open", "assignee_id": None, "responsible_unit": None,
                    "resolved_at": None, "created_at": "2026-11-28T02:00:00.000Z"}),
    ("followup", {"id": UUID, "difficulty_id": UUID, "at": "2026-11-28T02:00:00Z", "note": "已联系",
                  "status": "in_progress", "next_follow_up_at": "2026-12-01T02:00:00Z"}),
])
def test_typical_records_take_the_compiled_path(name, data):
    schema = SCHEMAS[name]
    fast = compile_schema(schema)(data)  # no _Unsure: the fast path is really used
    assert same(fast, schema.load(data))


@pytest.mark.parametrize("name,data", [
    ("visit", valid_visit(cash_cents=True)),
    ("visit", valid_visit(location={"lat": 91, "lng": 0})),
    ("visit", valid_visit(photos=["nope"])),
    ("visit", valid_visit(surprise=1)),
    ("followup", {"id": UUID, "difficulty_id": UUID, "at": "2026-11-28T02:00:00Z", "note": "x",
                  "status": "resolved", "next_follow_up_at": "2026-12-01T02:00:00Z"}),
    ("recipient", {"id": UUID, "name": "王", "area_id": 5, "category": "veteran",
                   "id_number": "110101199003074515"}),
    ("mutation", ["not", "a", "dict"]),
    ("visit_patch", {"id": UUID, "location": {"lat": 1.5}}),  # a location is replaced whole, never patched
])
def test_errors_are_marshmallows_own(name, data):
    schema = SCHEMAS[name]
    with pytest.raises(ValidationError) as fast:
        FastLoader(schema).load(data)
    with pytest.raises(ValidationError) as slow:
        schema.load(data)
    assert fast.value.messages == slow.value.messages


@pytest.mark.parametrize("name", ["recipient", "recipient_patch", "visit", "visit_patch", "difficulty", "followup"])
def test_server_owned_fields_are_dropped_before_loading_and_never_loaded(name):
    """The record schemas declare the server's fields (dump_only, for the document): loading drops them exactly
    as the explicit sets did before, and the compiler still compiles every record schema."""
    schema = SCHEMAS[name]
    before = {"recipient": SERVER_FIELDS, "visit": SERVER_FIELDS | {"area_id"},
              "difficulty": SERVER_FIELDS | {"area_id"}, "followup": SERVER_FIELDS - {"status"} | {"area_id"}}
    assert schema.server_fields == before[name.removesuffix("_patch")]
    owned = {key for key, field in schema.fields.items() if field.dump_only}
    assert owned <= schema.server_fields and not owned & set(schema.load_fields)
    assert compile_schema(schema) is not None
