"""Named record rules JSON Schema cannot state, each declared once on its record schema (`rules`).

The same declaration runs the server's check and is published on the op's component in the OpenAPI document
as `x-rules` (`{"rule": <name>, "field": <where the error goes>, …its parameters}`), which the phone reads to
check a record before it saves (pwa/src/lib/rules.ts implements each name; a name it lacks fails its build).

When a rule runs on the server (`stage`):
- `field`: with the field's own checks, once the field loaded (as a marshmallow `@validates` would);
- `record`: after every field loaded, in declaration order, the first failure only (`@validates_schema`);
- `saved`: by the op, on the record as it will be stored (an update's patch alone cannot tell), after the
  op's scope and version checks (`RecordSchema.check_saved`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import ClassVar

from ..domain import difficulties, recipients, visits
from ..models.base import utcnow


class Rule:
    name: ClassVar[str]
    stage: ClassVar[str]

    def __init__(self, field: str):
        self.field = field

    def document(self) -> dict:
        """The rule as `x-rules` lists it."""
        return {"rule": self.name, "field": self.field}

    def errors(self, values: Mapping) -> dict[str, list[str]] | None:
        raise NotImplementedError


class IdNumber(Rule):
    """A resident ID number of GB 11643: 18 characters, a real birth date, the check digit (a masked one, what
    phones hold, is never an error)."""

    name, stage = "id_number_gb11643", "field"

    def errors(self, values):
        value = values.get(self.field)
        if value and not recipients.is_masked(value):
            errors = recipients.id_number_errors(value)
            if errors:
                return {self.field: errors}
        return None


class NotFuture(Rule):
    """A time no later than now plus `slack` (a phone's clock may run ahead)."""

    name, stage = "not_future", "record"

    def __init__(self, field: str, slack: timedelta):
        super().__init__(field)
        self.slack = slack

    def document(self):
        return {**super().document(), "slack_minutes": int(self.slack.total_seconds() // 60)}

    def errors(self, values, now: datetime | None = None):
        value = values.get(self.field)
        if value and value > (now or utcnow()) + self.slack:
            return {self.field: ["时间不能晚于现在 / in the future"]}
        return None


class SignatureOrReason(Rule):
    """Cash given (`amount` > 0) needs the recipient's signature or a non-blank reason why there is none."""

    name, stage = "signature_or_reason", "saved"

    def __init__(self, field: str, amount: str, reason: str):
        super().__init__(field)
        self.amount, self.reason = amount, reason

    def document(self):
        return {**super().document(), "amount": self.amount, "reason": self.reason}

    def errors(self, values):
        errors = visits.cash_signature_errors(values.get(self.amount) or 0, values.get(self.field),
                                              values.get(self.reason))
        return {self.field: errors["signature"]} if errors else None


class ResolvedNoNext(Rule):
    """A follow-up that resolves (`status` = resolved) schedules no next one (`field`)."""

    name, stage = "resolved_no_next", "record"

    def __init__(self, field: str, status: str):
        super().__init__(field)
        self.status = status

    def document(self):
        return {**super().document(), "status": self.status, "resolved": difficulties.RESOLVED}

    def errors(self, values):
        errors = difficulties.follow_up_errors({"status": values.get(self.status),
                                                "next_follow_up_at": values.get(self.field)})
        return {self.field: errors["next_follow_up_at"]} if errors else None


STAGES = ("field", "record", "saved")
