"""Reminders of the creation campaign, through the notification rows (inbox and push): to a unit's liaisons
3 days before an item's or a rectification's deadline, once it is overdue, when a 整改 is ordered, and to an
uploader when evidence is returned. Each row has a dedupe key, so it is made once however often the
dispatcher runs; bodies carry item numbers and dates, never personal data.
"""

from datetime import date, datetime, timedelta

from sqlalchemy import select

from ...domain import creation as rules
from ...extensions import db
from ...models import Item, Rectification, Standard, User
from ..notifications import _insert_ignoring_duplicates


def _liaisons(unit_ids) -> dict[int, list[int]]:
    """Active liaisons of each unit: unit id → user ids."""
    found: dict[int, list[int]] = {}
    unit_ids = {u for u in unit_ids if u is not None}
    if not unit_ids:
        return found
    for user_id, unit_id in db.session.execute(
            select(User.id, User.unit_id).where(User.role == rules.LIAISON, User.active.is_(True),
                                                User.unit_id.in_(unit_ids)).order_by(User.id)):
        found.setdefault(unit_id, []).append(user_id)
    return found


def _day(value: date) -> str:
    return f"{value.month}月{value.day}日"


def reminder_rows(today: date, due_at: datetime) -> list[dict]:
    """Today's deadline reminders (the dispatcher makes them once 09:00 local has passed)."""
    items = db.session.execute(
        select(Item.id, Item.number, Item.deadline, Item.status, Item.lead_unit_id)
        .join(Standard, Standard.id == Item.standard_id)
        .where(Standard.is_current.is_(True), Item.status != rules.DONE, Item.deadline.is_not(None),
               Item.deadline <= today + timedelta(days=rules.DUE_SOON_DAYS))).all()
    rects = db.session.execute(
        select(Rectification.id, Item.number, Rectification.deadline, Rectification.status, Rectification.unit_id)
        .join(Item, Item.id == Rectification.item_id).join(Standard, Standard.id == Item.standard_id)
        .where(Standard.is_current.is_(True), Rectification.status == "open",
               Rectification.deadline <= today + timedelta(days=rules.DUE_SOON_DAYS))).all()
    liaisons = _liaisons({r[4] for r in items} | {r[4] for r in rects})
    rows = []
    for kind, url, found in (("creation", "/creation/items/", items), ("rectification", "/creation/rectifications/",
                                                                        rects)):
        noun = "创建任务" if kind == "creation" else "整改任务"
        for record_id, number, deadline, status, unit_id in found:
            if rules.is_overdue(status, deadline, today):
                state, title, body = "overdue", f"{noun}已逾期", f"第{number}项{noun}已超过期限（{_day(deadline)}）"
            elif rules.is_due_soon(status, deadline, today):
                days = (deadline - today).days
                when = "今天" if days == 0 else f"{days}天后"
                state, title, body = "due", f"{noun}即将到期", f"第{number}项{noun}{when}到期（{_day(deadline)}）"
            else:
                continue
            for user_id in liaisons.get(unit_id, ()):
                rows.append({"user_id": user_id, "kind": f"{kind}_{state}", "title": title, "body": body,
                             "url": f"{url}{record_id}", "due_at": due_at,
                             # Once per record, deadline and state: a moved deadline reminds again.
                             "dedupe_key": f"{kind}_{state}:{record_id}:{deadline.isoformat()}:{user_id}"})
    return rows


def notify_rectification_ordered(rectification_id: str, number: str, unit_id: int, deadline: date) -> None:
    """A 整改 was ordered: the owner unit's liaisons, at once."""
    _insert_ignoring_duplicates([{
        "user_id": user_id, "kind": "rectification_ordered", "title": "整改通知",
        "body": f"第{number}项有1条整改任务，请于{_day(deadline)}前完成",
        "url": f"/creation/rectifications/{rectification_id}",
        "dedupe_key": f"rectification_ordered:{rectification_id}:{user_id}",
    } for user_id in _liaisons([unit_id]).get(unit_id, ())])


def notify_evidence_returned(evidence_id: str, item_id: str, uploader_id: int, version: int) -> None:
    """The office returned a piece of evidence: its uploader, if still active, hears of it."""
    active = db.session.execute(select(User.active).where(User.id == uploader_id)).scalar_one_or_none()
    if not active:
        return
    _insert_ignoring_duplicates([{
        "user_id": uploader_id, "kind": "evidence_returned", "title": "材料被退回",
        "body": "1 份创建材料被退回，请按意见补充", "url": f"/creation/items/{item_id}",
        "dedupe_key": f"evidence_returned:{evidence_id}:{version}",
    }])
