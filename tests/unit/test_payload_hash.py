"""payload_hash: what makes two mutations with one id "the same" (op, data and base_version, canonically)."""

import pytest

from server.services.sync import payload_hash

BASE = {"id": "6f1c0f43-3c4e-4f0e-9a55-5a8c2f0e8b11", "op": "visit.update",
        "data": {"id": "0b6c1a7e-2f7d-4a53-9d2e-1c4b8e9f0a12", "notes": "补记",
                 "location": {"lat": 30.1, "lng": 120.2}},
        "base_version": 3, "client_time": "2026-11-28T08:00:00.000Z"}


def test_hash_is_a_hex_sha256():
    digest = payload_hash(BASE)
    assert len(digest) == 64 and int(digest, 16) >= 0


def test_key_order_does_not_matter_at_any_depth():
    reordered = {"client_time": BASE["client_time"], "base_version": 3,
                 "data": {"location": {"lng": 120.2, "lat": 30.1}, "notes": "补记", "id": BASE["data"]["id"]},
                 "op": "visit.update", "id": BASE["id"]}
    assert payload_hash(reordered) == payload_hash(BASE)


def test_client_time_and_mutation_id_are_not_part_of_the_payload():
    assert payload_hash({**BASE, "client_time": "2030-01-01T00:00:00Z"}) == payload_hash(BASE)
    assert payload_hash({**BASE, "id": "00000000-0000-4000-8000-000000000000"}) == payload_hash(BASE)
    assert payload_hash({k: v for k, v in BASE.items() if k != "client_time"}) == payload_hash(BASE)


@pytest.mark.parametrize("change", [
    {"op": "visit.create"},
    {"base_version": 4},
    {"base_version": None},
    {"data": {**BASE["data"], "notes": "补记 "}},
    {"data": {**BASE["data"], "extra": None}},
    {"data": {**BASE["data"], "location": {"lat": 30.1, "lng": 120.21}}},
])
def test_any_change_of_op_data_or_base_version_changes_the_hash(change):
    assert payload_hash({**BASE, **change}) != payload_hash(BASE)


def test_missing_base_version_equals_null_base_version():
    without = {k: v for k, v in BASE.items() if k != "base_version"}
    assert payload_hash(without) == payload_hash({**BASE, "base_version": None})


def test_number_types_are_distinguished():
    assert payload_hash({**BASE, "base_version": 3.0}) != payload_hash(BASE)
