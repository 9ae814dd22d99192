"""server.field_codes: every field message the schemas and rules answer has a stable code."""

import pytest
from marshmallow import ValidationError

from server.field_codes import INVALID, field_codes, message_code
from server.schemas.records import FollowUpSchema, RecipientSchema, VisitSchema

RECIPIENT_ID = "0b6f2a1c-2a43-4c8e-9d6f-3a1f5c2e7b10"


def load_errors(schema, data) -> tuple[dict, dict]:
    with pytest.raises(ValidationError) as caught:
        schema.load(data)
    return caught.value.messages, field_codes(caught.value.messages, data)


def test_marshmallow_messages_of_a_visit_become_codes_of_the_same_shape():
    data = {"id": "not-a-uuid", "recipient_id": RECIPIENT_ID, "visited_at": "yesterday", "kind": "party",
            "cash_cents": -1, "notes": "x" * 4001, "location": {"lat": 91, "lng": "east"}, "photos": ["x"],
            "colour": "red"}
    messages, codes = load_errors(VisitSchema(), data)
    assert codes == {"id": ["invalid_format"], "visited_at": ["invalid_format"], "kind": ["invalid_choice"],
                     "cash_cents": ["out_of_range"], "notes": ["too_long"],
                     "location": {"lat": ["out_of_range"], "lng": ["not_a_number"]},
                     "photos": {0: ["invalid_format"]}, "colour": ["unknown_field"]}
    assert set(messages) == set(codes)


def test_a_length_between_two_limits_is_told_short_or_long_by_the_value_sent():
    _, codes = load_errors(RecipientSchema(), {"id": RECIPIENT_ID, "name": "", "area_id": 1, "category": "veteran",
                                               "tags": ["x" * 33]})
    assert codes == {"name": ["too_short"], "tags": {0: ["too_long"]}}
    assert field_codes({"name": ["Length must be between 1 and 50."]}) == {"name": ["invalid_length"]}


@pytest.mark.parametrize("id_number, code", [
    ("11010119900307", "id_number_length"),
    ("11010119900307123A", "id_number_format"),
    ("110101199002301234", "id_number_birth_date"),
    ("110101199003071234", "id_number_check_digit"),
])
def test_each_id_number_rule_has_its_own_code(id_number, code):
    _, codes = load_errors(RecipientSchema(), {"id": RECIPIENT_ID, "name": "张三", "area_id": 1,
                                               "category": "veteran", "id_number": id_number})
    assert codes == {"id_number": [code]}


def test_required_and_null_fields_are_required():
    _, codes = load_errors(FollowUpSchema(), {"id": RECIPIENT_ID, "difficulty_id": None, "at": "2026-01-01"})
    assert codes == {"difficulty_id": ["required"], "note": ["required"]}


@pytest.mark.parametrize("message, code", [
    ("发放慰问金需要受助人签字或填写未签字原因 / cash needs a signature or a reason", "signature_required"),
    ("时间不能晚于现在 / in the future", "in_future"),
    ("不是您辖区内的村(社区) / not a village in your area", "not_in_scope"),
    ("身份证号已登记 / this ID number is already registered", "id_number_taken"),
    ("不能超过50个字 / at most 50 characters", "too_long"),
    ("A resolved difficulty needs no next follow-up.", "resolved_needs_no_next"),
    ("Must be one of: recipient.create, visit.create.", "invalid_choice"),
    ("Not a valid integer.", "not_a_number"),
    ("Length must be 18.", "invalid_length"),
    ("Nothing to change.", "nothing_to_change"),
    ("something nobody wrote a rule for", INVALID),
])
def test_the_rules_own_messages_have_codes(message, code):
    assert message_code(message) == code
