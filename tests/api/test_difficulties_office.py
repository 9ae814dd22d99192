"""The difficulties board and office changes: scope, overdue, assignment, phones see the change."""

from datetime import date, timedelta

from tests.conftest import difficulty_data, mutation, new_id


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


# -- assignment notices and history (issue 15: notices that close the loop) ------------------------------


def test_assigning_a_person_notifies_them_without_personal_data(staff, reviewer, own_recipient):
    data = _push(staff, own_recipient, description="屋顶漏雨需要修缮")
    before = staff.get("/api/notifications").json["unread"]
    response = reviewer.patch(f"/api/difficulties/{data['id']}", json={"assignee_id": staff.user["id"]})
    assert response.status_code == 200, response.json
    inbox = staff.get("/api/notifications").json
    assert inbox["unread"] == before + 1
    [row] = [i for i in inbox["items"] if i["kind"] == "difficulty_assigned"]
    assert (row["title"], row["body"], row["url"]) == (
        "困难诉求分派", "1 项困难诉求已分派给您", f"/difficulties/{data['id']}")
    for text in (row["title"], row["body"]):
        assert own_recipient["name"] not in text and "屋顶" not in text
    # The same assignment again changes nothing and notifies nobody twice.
    reviewer.patch(f"/api/difficulties/{data['id']}", json={"assignee_id": staff.user["id"]})
    assert staff.get("/api/notifications").json["unread"] == before + 1


def test_only_a_new_assignee_is_notified_and_a_unit_name_notifies_nobody(app, staff, reviewer, own_recipient):
    from sqlalchemy import func, select

    from server.extensions import db
    from server.models import Notification

    def assigned_rows() -> int:
        db.session.rollback()
        return db.session.execute(select(func.count()).select_from(Notification)
                                  .where(Notification.kind == "difficulty_assigned")).scalar_one()

    data = _push(staff, own_recipient)
    reviewer.patch(f"/api/difficulties/{data['id']}", json={"responsible_unit": "镇民政办"})
    assert assigned_rows() == 0
    reviewer.patch(f"/api/difficulties/{data['id']}", json={"due_date": "2027-01-10"})
    assert assigned_rows() == 0
    # An office user assigning themselves is not told what they just did.
    reviewer.patch(f"/api/difficulties/{data['id']}", json={"assignee_id": reviewer.user["id"]})
    assert assigned_rows() == 0
    reviewer.patch(f"/api/difficulties/{data['id']}", json={"assignee_id": staff.user["id"]})
    assert assigned_rows() == 1


def test_each_assignment_enters_the_history_with_who_to_whom_and_deadline(staff, reviewer, own_recipient):
    data = _push(staff, own_recipient)
    _, cursor = staff.pull_all()
    reviewer.patch(f"/api/difficulties/{data['id']}", json={
        "assignee_id": staff.user["id"], "due_date": "2027-01-10"})
    reviewer.patch(f"/api/difficulties/{data['id']}", json={"responsible_unit": "县民政局"})
    reviewer.patch(f"/api/difficulties/{data['id']}", json={"status": "in_progress"})  # not an assignment
    detail = reviewer.get(f"/api/difficulties/{data['id']}").json
    first, second = detail["assignments"]
    assert (first["by_id"], first["by_name"]) == (reviewer.user["id"], reviewer.user["display_name"])
    assert (first["assignee_id"], first["assignee_name"], first["responsible_unit"], first["due_date"]) == (
        staff.user["id"], staff.user["display_name"], None, "2027-01-10")
    assert (second["assignee_name"], second["responsible_unit"], second["due_date"]) == (
        staff.user["display_name"], "县民政局", "2027-01-10")
    assert first["at"] <= second["at"]
    # The phone gets the same history with the difficulty.
    changes, _ = staff.pull_all(cursor)
    assert changes[("difficulty", data["id"])]["data"]["assignments"] == detail["assignments"]


def test_a_new_difficulty_has_an_empty_history_and_a_phone_cannot_write_one(staff, reviewer, own_recipient):
    data = _push(staff, own_recipient)
    assert reviewer.get(f"/api/difficulties/{data['id']}").json["assignments"] == []
    forged = difficulty_data(own_recipient["id"], assignments=[{"by_name": "x"}])
    [result] = staff.push(mutation("difficulty.create", forged))
    assert result["status"] == "applied"  # a server field echoed back is ignored, never stored
    assert result["entity"]["data"]["assignments"] == []
    assert reviewer.get(f"/api/difficulties/{forged['id']}").json["assignments"] == []


# -- the two late lists: 办结超期 (`overdue`) and 跟进逾期 (`follow_up_overdue`) -----------------------


def test_board_filters_and_counts_both_late_lists(staff, reviewer, own_recipient):
    today = date.today()
    seeded = reviewer.get("/api/difficulties").json["counts"]  # the demo data has late ones of its own
    past_deadline = _push(staff, own_recipient, due_date=(today - timedelta(days=3)).isoformat())
    past_follow_up = _push(staff, own_recipient, follow_up_at=f"{today - timedelta(days=3)}T02:00:00.000Z")
    followed = _push(staff, own_recipient, follow_up_at=f"{today - timedelta(days=3)}T02:00:00.000Z")
    staff.push(mutation("followup.create", {
        "id": new_id(), "difficulty_id": followed["id"], "at": f"{today - timedelta(days=2)}T02:00:00.000Z",
        "note": "已电话联系", "status": None, "next_follow_up_at": None}))
    later = _push(staff, own_recipient, due_date=(today + timedelta(days=3)).isoformat(),
                  follow_up_at=f"{today + timedelta(days=3)}T02:00:00.000Z")
    ours = {d["id"] for d in (past_deadline, past_follow_up, followed, later)}

    def listed(query: str) -> tuple[list[dict], dict]:
        body = reviewer.get(f"/api/difficulties?per_page=200&{query}").json
        return [i for i in body["items"] if i["id"] in ours], body["counts"]

    deadline, counts = listed("overdue=1")
    assert [i["id"] for i in deadline] == [past_deadline["id"]]
    follow_up, same = listed("follow_up_overdue=1")
    assert [i["id"] for i in follow_up] == [past_follow_up["id"]]
    assert follow_up[0]["follow_up_overdue"] is True and follow_up[0]["overdue"] is False
    assert counts == same == {"overdue": seeded["overdue"] + 1, "follow_up_overdue": seeded["follow_up_overdue"] + 1}
    # Resolving takes it off both lists.
    reviewer.patch(f"/api/difficulties/{past_follow_up['id']}", json={"status": "resolved"})
    assert listed("")[1] == {"overdue": seeded["overdue"] + 1, "follow_up_overdue": seeded["follow_up_overdue"]}
