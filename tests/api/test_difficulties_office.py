"""The difficulties board and office changes: scope, overdue, assignment, phones see the change."""

from datetime import date, timedelta

from tests.conftest import difficulty_data, mutation


def _push(staff, recipient, **fields):
    data = difficulty_data(recipient["id"], **fields)
    [result] = staff.push(mutation("difficulty.create", data))
    assert result["status"] == "applied", result
    return data


def test_board_lists_overdue_first_and_flags_it(staff, reviewer, own_recipient):
    late = _push(staff, own_recipient, due_date=(date.today() - timedelta(days=3)).isoformat())
    body = reviewer.get("/api/difficulties?overdue=1").json
    assert [i["id"] for i in body["items"]] == [late["id"]]
    assert body["items"][0]["overdue"] is True


def test_assigning_reaches_the_phone_on_next_pull(staff, reviewer, own_recipient):
    data = _push(staff, own_recipient)
    _, cursor = staff.pull_all()
    due = (date.today() + timedelta(days=7)).isoformat()
    response = reviewer.patch(f"/api/difficulties/{data['id']}", json={
        "assignee_id": staff.user["id"], "responsible_unit": "镇民政办", "due_date": due})
    assert response.status_code == 200, response.json
    assert response.json["recipient_name"] == own_recipient["name"]
    assert response.json["assignee_name"] == staff.user["display_name"]
    changes, _ = staff.pull_all(cursor)
    pulled = changes[("difficulty", data["id"])]["data"]
    assert (pulled["assignee_id"], pulled["responsible_unit"], pulled["due_date"]) == (
        staff.user["id"], "镇民政办", due)


def test_office_resolve_sets_resolved_and_clears_follow_up(staff, reviewer, own_recipient):
    data = _push(staff, own_recipient, follow_up_at="2026-12-01T01:00:00.000Z")
    body = reviewer.patch(f"/api/difficulties/{data['id']}", json={"status": "resolved"}).json
    assert body["status"] == "resolved"
    assert body["resolved_at"] is not None
    assert body["follow_up_at"] is None


def test_stale_version_answers_conflict(staff, reviewer, own_recipient):
    data = _push(staff, own_recipient)
    first = reviewer.patch(f"/api/difficulties/{data['id']}", json={"status": "in_progress", "version": 1})
    assert first.status_code == 200
    second = reviewer.patch(f"/api/difficulties/{data['id']}", json={"status": "resolved", "version": 1})
    assert second.status_code == 409
    assert second.json["error"]["code"] == "conflict"


def test_assignee_must_cover_the_village(staff, reviewer, own_recipient, foreign_recipient, admin):
    data = difficulty_data(foreign_recipient["id"])
    admin.push(mutation("difficulty.create", data))
    response = reviewer.patch(f"/api/difficulties/{data['id']}", json={"assignee_id": staff.user["id"]})
    assert response.status_code == 422
    assert "assignee_id" in response.json["error"]["fields"]


def test_empty_patch_and_unknown_fields_are_refused(staff, reviewer, own_recipient):
    data = _push(staff, own_recipient)
    assert reviewer.patch(f"/api/difficulties/{data['id']}", json={}).status_code == 422
    assert reviewer.patch(f"/api/difficulties/{data['id']}", json={"description": "x"}).status_code == 422


def test_staff_cannot_use_the_board(staff):
    assert staff.get("/api/difficulties").status_code == 403
