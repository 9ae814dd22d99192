"""A device pushing its outbox through a lossy link (a Hypothesis state machine) ends with its records, once.

The link loses requests, loses answers (the server applied, the device never heard), delivers twice, and
holds copies back to deliver them late, after newer batches (reordering). The device behaves like the PWA's
sync engine: it sends the head of its outbox, drops a mutation only when answered `applied` or `duplicate`,
and retries everything else. After a last reliable flush and the late copies, the server must hold every
record the device made, once, with the device's final data and a version counting each change once.
"""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, precondition, rule, run_state_machine_as_test
from sqlalchemy import func, select

from server import config, create_app
from server.extensions import db
from server.models import AppliedMutation, AuditLog
from server.services import records
from tests.conftest import ApiClient, mutation, new_id, visit_data

EXAMPLES = 200
SETTINGS = settings(max_examples=EXAMPLES, stateful_step_count=15, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

WORDS = st.text(alphabet="走访慰问老兵村镇米油abc123", min_size=1, max_size=12)
FATES = ("delivered", "delivered", "request_lost", "answer_lost", "duplicated", "held_back")
STATUSES = (None, None, "in_progress", "resolved", "open")


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class LossyLink(RuleBasedStateMachine):
    """One device, one outbox, one unreliable network; fresh ids in every example, one shared database."""

    app = None  # set by the test
    client = None  # an ApiClient logged in as staff_demo
    area_id = None  # a village of staff_demo's
    seeded_recipients: list[str] = []

    recipients = Bundle("recipients")
    visits = Bundle("visits")
    difficulties = Bundle("difficulties")

    def __init__(self):
        super().__init__()
        self.device_id = f"lossy-{new_id()}"
        self.outbox: list[dict] = []
        self.made: list[dict] = []  # every mutation the device made, in order
        self.expected: dict[tuple[str, str], dict] = {}  # (type, id) -> {"version", "fields"}
        self.difficulty_state: dict[str, dict] = {}
        self.held_back: list[list[dict]] = []
        # Follow-ups happen later than their difficulty is created, one second apart, within the server's
        # one-day slack for device clocks: the latest follow-up is also the last applied.
        self.clock = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=2)

    # -- the device makes records ----------------------------------------------------------------------

    def queue(self, op: str, data: dict, base_version: int | None = None) -> None:
        m = mutation(op, data, base_version=base_version)
        self.outbox.append(m)
        self.made.append(m)

    @rule(target=recipients, name=WORDS, notes=st.none() | WORDS)
    def create_recipient(self, name, notes):
        data = {"id": new_id(), "name": name, "gender": "female", "id_number": None, "phone": None,
                "address": "测试路8号", "area_id": self.area_id, "category": "veteran", "tags": ["测试"],
                "notes": notes}
        self.queue("recipient.create", data)
        self.expected[("recipient", data["id"])] = {"version": 1, "fields": dict(data)}
        return data["id"]

    @rule(recipient=recipients, notes=WORDS, phone=st.none() | st.sampled_from(["13800000000", "0571-1234"]))
    def update_recipient(self, recipient, notes, phone):
        expected = self.expected[("recipient", recipient)]
        self.queue("recipient.update", {"id": recipient, "notes": notes, "phone": phone}, expected["version"])
        expected["version"] += 1
        expected["fields"].update(notes=notes, phone=phone)

    def pick_recipient(self, recipient, seeded_index):
        return recipient if recipient is not None else self.seeded_recipients[seeded_index]

    @rule(target=visits, recipient=st.none() | recipients, seeded_index=st.integers(0, 2), notes=WORDS)
    def create_visit(self, recipient, seeded_index, notes):
        data = visit_data(self.pick_recipient(recipient, seeded_index), notes=notes)
        self.queue("visit.create", data)
        self.expected[("visit", data["id"])] = {"version": 1, "fields": dict(data, status="submitted")}
        return data["id"]

    @rule(visit=visits, notes=st.none() | WORDS, gifts=WORDS)
    def update_visit(self, visit, notes, gifts):
        expected = self.expected[("visit", visit)]
        self.queue("visit.update", {"id": visit, "notes": notes, "gifts": gifts}, expected["version"])
        expected["version"] += 1
        expected["fields"].update(notes=notes, gifts=gifts)

    @rule(target=difficulties, recipient=st.none() | recipients, seeded_index=st.integers(0, 2),
          description=WORDS)
    def create_difficulty(self, recipient, seeded_index, description):
        data = {"id": new_id(), "recipient_id": self.pick_recipient(recipient, seeded_index),
                "visit_id": None, "category": "living", "description": description, "urgency": "normal",
                "follow_up_at": None, "due_date": None}
        self.queue("difficulty.create", data)
        self.expected[("difficulty", data["id"])] = {"version": 1,
                                                     "fields": dict(data, status="open")}
        return data["id"]

    @rule(difficulty=difficulties, status=st.sampled_from(STATUSES),
          next_in_days=st.none() | st.integers(1, 3), note=WORDS)
    def create_followup(self, difficulty, status, next_in_days, note):
        self.clock += timedelta(seconds=1)
        next_at = None
        if next_in_days is not None and status != "resolved":
            next_at = iso(self.clock.replace(hour=1, minute=0, second=0, microsecond=0)
                          + timedelta(days=next_in_days))
        data = {"id": new_id(), "difficulty_id": difficulty, "at": iso(self.clock), "note": note,
                "status": status, "next_follow_up_at": next_at}
        self.queue("followup.create", data)
        self.expected[("followup", data["id"])] = {"version": 1, "fields": dict(data)}
        # The difficulty follows its latest follow-up (server rule: status, then the next date).
        target = self.expected[("difficulty", difficulty)]
        fields = target["fields"]
        changed = False
        if status:
            fields["status"] = status
            changed = True  # status_changed_at moves to this follow-up's time
        if (next_at or fields["status"] == "resolved") and fields["follow_up_at"] != next_at:
            fields["follow_up_at"] = next_at
            changed = True
        if changed:
            target["version"] += 1

    # -- the link --------------------------------------------------------------------------------------

    def send(self, batch: list[dict]) -> list[dict]:
        response = self.client.post("/api/sync/push", json={"device_id": self.device_id, "mutations": batch})
        assert response.status_code == 200, response.json
        results = response.json["results"]
        assert [r["id"] for r in results] == [m["id"] for m in batch]
        return results

    def hear(self, results: list[dict]) -> None:
        """The device handles an answer: applied and duplicate leave the outbox; nothing else may happen."""
        for result in results:
            # One device, mutations sent from the head of its outbox: a conflict or rejection is a server bug.
            assert result["status"] in ("applied", "duplicate"), result
        done = {r["id"] for r in results}
        self.outbox = [m for m in self.outbox if m["id"] not in done]

    @precondition(lambda self: self.outbox)
    @rule(size=st.integers(1, 8), fate=st.sampled_from(FATES))
    def sync(self, size, fate):
        batch = [dict(m) for m in self.outbox[:size]]
        if fate == "request_lost":
            return
        if fate == "held_back":
            self.held_back.append(batch)  # the device times out; the copy arrives later
            return
        results = self.send(batch)
        if fate == "answer_lost":
            return
        if fate == "duplicated":
            results = self.send(batch)
            assert {r["status"] for r in results} == {"duplicate"}, results
        self.hear(results)

    @precondition(lambda self: self.held_back)
    @rule(index=st.integers(0, 10))
    def late_delivery(self, index):
        """A held-back copy arrives after newer batches; the device gave up on it and never hears it."""
        self.send(self.held_back.pop(index % len(self.held_back)))

    # -- the end -------------------------------------------------------------------------------------

    def teardown(self):
        for _ in range(len(self.made) + 1):
            if not self.outbox:
                break
            self.hear(self.send(self.outbox[:50]))
        assert not self.outbox
        for batch in self.held_back:  # copies still in the network arrive after everything
            assert {r["status"] for r in self.send(batch)} == {"duplicate"}
        self.check_server()

    def check_server(self):
        made_ids = [m["id"] for m in self.made]
        with self.app.app_context(), db.engine.connect() as conn:
            applied = conn.execute(select(AppliedMutation.id, AppliedMutation.entity_id)
                                   .where(AppliedMutation.id.in_(made_ids))).all()
            assert sorted(row.id for row in applied) == sorted(made_ids)  # each mutation applied, once
            assert {row.id: row.entity_id for row in applied} == {m["id"]: m["data"]["id"] for m in self.made}
            audited = conn.execute(select(func.count()).select_from(AuditLog)
                                   .where(AuditLog.device_id == self.device_id)).scalar_one()
            assert audited == len(self.made)
            for entity_type in ("recipient", "visit", "difficulty", "followup"):
                ids = {i for (t, i) in self.expected if t == entity_type}
                table = records.MODELS[entity_type].__table__
                rows = {row["id"]: row for row in
                        conn.execute(select(table).where(table.c.id.in_(ids))).mappings()} if ids else {}
                assert set(rows) == ids
                for entity_id in ids:
                    entity = records.entity(entity_type, rows[entity_id])
                    expected = self.expected[(entity_type, entity_id)]
                    assert entity["version"] == expected["version"], (entity_type, entity, expected)
                    actual = {k: entity["data"][k] for k in expected["fields"]}
                    assert actual == expected["fields"], entity_type


@pytest.fixture
def device(database_url, tmp_path):
    """Wire the machine: an app with no context pushed, so each request has its own (as in production).

    The shared `app` fixture keeps one context pushed, and the test client then reuses its database session
    across requests: a pull's open transaction would outlive the request.
    """
    instance = tmp_path / "lossy-instance"
    instance.mkdir()
    application = create_app(config.TestConfig(database_url, str(instance)))
    staff = ApiClient(application, "staff_demo")
    changes, _ = staff.pull_all()
    recipients = sorted((c["data"] for c in changes.values() if c["type"] == "recipient"
                         and not c["deleted"]), key=lambda r: r["id"])
    assert len(recipients) >= 3
    LossyLink.app, LossyLink.client = application, staff
    LossyLink.area_id = recipients[0]["area_id"]
    LossyLink.seeded_recipients = [r["id"] for r in recipients[:3]]
    yield LossyLink
    LossyLink.app = LossyLink.client = None
    with application.app_context():
        db.engine.dispose()


def test_lossy_link_leaves_the_server_with_each_device_record_once(device):
    run_state_machine_as_test(device, settings=SETTINGS)


@pytest.mark.parametrize("fate", ["request_lost", "held_back"])
def test_lossy_link_check_reports_a_record_the_device_forgot(device, fate):
    """The check has teeth: a record made but lost with the outbox is reported missing."""
    machine = device()
    machine.create_recipient(name="王", notes=None)
    machine.sync(size=1, fate=fate)
    machine.outbox.clear()
    with pytest.raises(AssertionError):
        machine.check_server()
