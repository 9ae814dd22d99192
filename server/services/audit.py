"""Reading the audit log (writing is changes.record_audit): filterable, newest first."""

from sqlalchemy import func, select

from ..extensions import db
from ..models import AuditLog, User
from .timezone import local_range_utc


def list_audit(*, zone: str, user_id=None, action=None, entity_type=None, entity_id=None, device_id=None,
               date_from=None, date_to=None, page=1, per_page=50) -> dict:
    query = select(AuditLog, User.username, User.display_name).outerjoin(User, User.id == AuditLog.user_id)
    for column, value in ((AuditLog.user_id, user_id), (AuditLog.entity_type, entity_type),
                          (AuditLog.entity_id, entity_id), (AuditLog.device_id, device_id)):
        if value is not None:
            query = query.where(column == value)
    if action:
        query = query.where(AuditLog.action.startswith(action, autoescape=True))
    lower, upper = local_range_utc(date_from, date_to, zone)
    if lower is not None:
        query = query.where(AuditLog.at >= lower)
    if upper is not None:
        query = query.where(AuditLog.at < upper)
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = db.session.execute(
        query.order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    items = [{"id": row.id, "at": row.at.isoformat(timespec="milliseconds") + "Z", "user_id": row.user_id,
              "username": username, "display_name": display_name, "action": row.action,
              "entity_type": row.entity_type, "entity_id": row.entity_id, "device_id": row.device_id,
              "ip": row.ip, "details": row.details} for row, username, display_name in rows]
    return {"items": items, "total": total, "page": page, "per_page": per_page}
