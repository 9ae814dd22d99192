"""The audit log (admin): filterable, newest first."""

from flask import current_app

from ..schemas.audit import AuditPageSchema, AuditQuerySchema
from ..services import audit as audit_service
from . import Blueprint, roles

bp = Blueprint("audit", __name__, url_prefix="/api/admin/audit", description="The audit log")


@bp.get("")
@roles("admin")
@bp.arguments(AuditQuerySchema, location="query")
@bp.response(200, AuditPageSchema)
def list_audit(query):
    """The audit log, newest first (filters: user_id, action prefix, entity, device, from, to)"""
    date_from, date_to = query.pop("from_", None), query.pop("to", None)
    return audit_service.list_audit(zone=current_app.config["TIMEZONE"], date_from=date_from, date_to=date_to,
                                    **query)
