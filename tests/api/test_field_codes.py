"""The envelope's `field_codes`: beside every `fields`, over HTTP and in the push's rejected answers."""

import pytest

from server.field_codes import INVALID
from tests.api.test_malformed_input import BAD_MUTATIONS
from tests.conftest import mutation, visit_data


def leaves(tree) -> list:
    if isinstance(tree, dict):
        return [leaf for value in tree.values() for leaf in leaves(value)]
    return list(tree)


def same_shape(fields, codes) -> bool:
    if isinstance(fields, dict):
        return isinstance(codes, dict) and fields.keys() == codes.keys() and all(
            same_shape(fields[k], codes[k]) for k in fields)
    return isinstance(codes, list) and len(codes) == len(fields)


def test_a_rejected_visit_answers_its_field_messages_and_their_codes(staff, own_recipient):
    [result] = staff.push(mutation("visit.create", visit_data(own_recipient["id"], notes="长" * 4001)))
    assert result["status"] == "rejected"
    assert result["error"]["fields"] == {"notes": ["Longer than maximum length 4000."]}
    assert result["error"]["field_codes"] == {"notes": ["too_long"]}


@pytest.mark.parametrize("label, make", BAD_MUTATIONS, ids=[m[0] for m in BAD_MUTATIONS])
def test_every_malformed_mutation_answers_a_known_code_for_each_field_message(staff, own_recipient, label, make):
    [result] = staff.push(make(own_recipient["id"]))
    error = result["error"]
    assert same_shape(error["fields"], error["field_codes"]), error
    assert INVALID not in leaves(error["field_codes"]), error


def test_a_422_answers_field_codes_beside_the_fields(reviewer):
    response = reviewer.post("/api/campaigns", json={"name": "", "starts_on": "2026-12-01",
                                                     "ends_on": "2026-11-01", "area_id": "x"})
    assert response.status_code == 422
    error = response.json["error"]
    assert same_shape(error["fields"], error["field_codes"]), error
    assert INVALID not in leaves(error["field_codes"]), error


def test_an_error_without_fields_answers_no_field_codes(staff):
    error = staff.get("/api/visits/00000000-0000-4000-8000-000000000000").json["error"]
    assert "fields" not in error and "field_codes" not in error
