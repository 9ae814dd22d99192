"""Creation campaign 创建攻坚: the standard, member units, the responsibility table, evidence and its review,
rectifications, the score dashboard and the daily meeting. The office (reviewers, admins) runs it; liaisons
see and work on their unit's items only."""

from flask import current_app, g

from ..schemas.creation import (
    DashboardSchema,
    EvidenceAnswerSchema,
    EvidenceBodySchema,
    EvidencePageSchema,
    EvidenceQuerySchema,
    EvidenceReviewSchema,
    ItemDetailSchema,
    ItemHistorySchema,
    ItemListSchema,
    ItemPatchSchema,
    ItemQuerySchema,
    MeetingQuerySchema,
    MeetingSchema,
    RectificationCreateSchema,
    RectificationListSchema,
    RectificationQuerySchema,
    RectificationSchema,
    StandardCreateSchema,
    StandardSchema,
    StandardVersionListSchema,
    UnitCreateSchema,
    UnitListSchema,
    UnitPatchSchema,
    UnitSchema,
)
from ..schemas.creation_papers import (
    BriefingQuerySchema,
    ResponsibilityImportResultSchema,
    StandardFileSchema,
    StandardImportQuerySchema,
    StandardImportResultSchema,
)
from ..services.attachments import FileStore
from ..services.creation import evidence, items, meeting, papers, rectifications, scoring, standards, units
from ..services.errors import NotFound
from . import BINARY, Blueprint, download, read_upload, roles, zip_response

bp = Blueprint("creation", __name__, url_prefix="/api/creation", description="The creation campaign 创建攻坚")
OFFICE = ("reviewer", "admin")
CREATION = ("reviewer", "admin", "liaison")


def zone() -> str:
    return current_app.config["TIMEZONE"]


@bp.get("/standard")
@roles(*CREATION)
@bp.response(200, StandardSchema)
def get_standard():
    """The current evaluation standard: categories and their items (404 until one is made)"""
    tree = standards.standard_tree()
    if tree is None:
        raise NotFound("No standard yet")
    return tree


@bp.post("/standards")
@roles(*OFFICE)
@bp.arguments(StandardCreateSchema)
@bp.response(201, StandardSchema)
def create_standard(body):
    """Make a new version of the standard current (each category's items add up to its maximum)"""
    standard = standards.create_standard(g.actor, **body)
    return standards.standard_tree(standard)


@bp.get("/standards")
@roles(*OFFICE)
@bp.response(200, StandardVersionListSchema)
def list_standards():
    """Every version of the standard, newest first, with how many items each added, removed, changed, carried"""
    return standards.versions(g.actor)


@bp.get("/standards/<int:version>")
@roles(*OFFICE)
@bp.response(200, StandardSchema)
def get_standard_version(version: int):
    """One version of the standard (an earlier one: read-only) with its change record"""
    return standards.version_tree(g.actor, version)


@bp.get("/history/items/<item_id>")
@roles(*OFFICE)
@bp.response(200, ItemHistorySchema)
def item_history(item_id: str):
    """An item of any version with the evidence and rectifications linked to it (read-only)"""
    return standards.item_history(g.actor, zone(), item_id)


@bp.get("/units")
@roles(*CREATION)
@bp.response(200, UnitListSchema)
def list_units():
    """Member units 成员单位 in order, with their liaisons and the items they lead"""
    return units.list_units(g.actor)


@bp.post("/units")
@roles(*OFFICE)
@bp.arguments(UnitCreateSchema)
@bp.response(201, UnitSchema)
def create_unit(body):
    """Add a member unit (its liaisons are users with role liaison and its unit_id)"""
    unit = units.create_unit(g.actor, **body)
    return next(u for u in units.list_units(g.actor)["items"] if u["id"] == unit.id)


@bp.patch("/units/<int:unit_id>")
@roles(*OFFICE)
@bp.arguments(UnitPatchSchema)
@bp.response(200, UnitSchema)
def update_unit(body, unit_id: int):
    """Rename a unit or change its kind, area or place in the list"""
    return units.update_unit(g.actor, unit_id, body)


@bp.get("/items")
@roles(*CREATION)
@bp.arguments(ItemQuerySchema, location="query")
@bp.response(200, ItemListSchema)
def list_items(query):
    """The responsibility table of the current standard (the office: all; a liaison: their unit's items)"""
    return items.list_items(g.actor, zone(), **query)


@bp.get("/items/<item_id>")
@roles(*CREATION)
@bp.response(200, ItemDetailSchema)
def get_item(item_id: str):
    """An item with its evidence and rectifications"""
    return items.item_detail(g.actor, item_id, zone())


@bp.patch("/items/<item_id>")
@roles(*CREATION)
@bp.arguments(ItemPatchSchema)
@bp.response(200, ItemDetailSchema)
@bp.alt_response(409, response="CONFLICT")
def patch_item(body, item_id: str):
    """Office: assignment, deadline, milestones, status, estimate, loss notes (with rectification_deadline: a
    整改); the lead unit's liaison: self_score, status in_progress → pending_review. `version` checked"""
    return items.update_item(g.actor, item_id, body, zone())


@bp.post("/items/<item_id>/evidence")
@roles(*CREATION)
@bp.arguments(EvidenceBodySchema)
@bp.response(201, EvidenceAnswerSchema)
@bp.alt_response(409, response="CONFLICT")
def add_evidence(body, item_id: str):
    """Attach a file uploaded through /api/attachments to an item (a responsible unit's liaison, or the office)"""
    return evidence.add_evidence(g.actor, item_id, body)


@bp.get("/evidence")
@roles(*CREATION)
@bp.arguments(EvidenceQuerySchema, location="query")
@bp.response(200, EvidencePageSchema)
def list_evidence(query):
    """Evidence of the current standard (filters: item, unit, status; status=submitted is the review queue)"""
    return evidence.list_evidence(g.actor, **query)


@bp.post("/evidence/<evidence_id>/review")
@roles(*OFFICE)
@bp.arguments(EvidenceReviewSchema)
@bp.response(200, EvidenceAnswerSchema)
@bp.alt_response(409, response="CONFLICT")
def review_evidence(body, evidence_id: str):
    """Accept a submitted piece, or return it with what is missing (409 invalid_transition once reviewed)"""
    return evidence.review_evidence(g.actor, evidence_id, body["decision"], body.get("comment"))


@bp.get("/rectifications")
@roles(*CREATION)
@bp.arguments(RectificationQuerySchema, location="query")
@bp.response(200, RectificationListSchema)
def list_rectifications(query):
    """Rectifications 整改 (open ones by deadline first): the office all, a liaison their unit's"""
    return rectifications.list_rectifications(g.actor, zone(), **query)


@bp.post("/rectifications")
@roles(*OFFICE)
@bp.arguments(RectificationCreateSchema)
@bp.response(201, RectificationSchema)
def create_rectification(body):
    """Order a 整改 for an item (owner: the unit named, else the lead unit); its liaisons are told"""
    return rectifications.create_rectification(g.actor, zone(), **body)


@bp.post("/rectifications/<rectification_id>/close")
@roles(*OFFICE)
@bp.response(200, RectificationSchema)
@bp.alt_response(409, response="CONFLICT")
def close_rectification(rectification_id: str):
    """Confirm a 整改 was done"""
    return rectifications.close_rectification(g.actor, zone(), rectification_id)


@bp.get("/dashboard")
@roles(*OFFICE)
@bp.response(200, DashboardSchema)
def dashboard():
    """The estimated score against the target, by category and by unit, its weekly trend and items at risk"""
    return scoring.dashboard(zone())


@bp.get("/meeting")
@roles(*OFFICE)
@bp.arguments(MeetingQuerySchema, location="query")
@bp.response(200, MeetingSchema)
def daily_meeting(query):
    """The daily meeting 例会: what changed since yesterday (status changes, evidence, reviews, 整改)"""
    return meeting.meeting(zone(), since=query.get("since"))


# -- papers: the standard and the table as workbooks, the briefing, the archive --------------------------


@bp.get("/standard.xlsx")
@roles(*OFFICE)
@bp.response(200, BINARY, content_type=papers.XLSX_MIMETYPE)
def standard_workbook():
    """The current standard as a print-ready workbook (考评项目 · 序号 · 考评内容 · 分值 · 评分标准 · 佐证材料要求)"""
    output = papers.standard_workbook()
    if output is None:
        raise NotFound("No standard yet")
    return download(output, papers.XLSX_MIMETYPE, "考评标准.xlsx")


@bp.post("/standards/import")
@roles(*OFFICE)
@bp.arguments(StandardImportQuerySchema, location="query", error_status_code=400)
@bp.arguments(StandardFileSchema, location="files")
@bp.response(200, StandardImportResultSchema)
def import_standard(query, files):
    """Read a standard workbook (the layout of standard.xlsx); ?dry_run=1 only checks every row, else a file
    without invalid rows becomes the new current version (a category's maximum: its row's 分值, else its sum)"""
    return papers.import_standard(g.actor, *read_upload(files), query["dry_run"])


@bp.get("/responsibility.xlsx")
@roles(*OFFICE)
@bp.response(200, BINARY, content_type=papers.XLSX_MIMETYPE)
def responsibility_workbook():
    """创建工作责任分解表: a row per item with its units, deadline, status, self and estimated scores"""
    output = papers.responsibility_workbook(zone())
    if output is None:
        raise NotFound("No standard yet")
    return download(output, papers.XLSX_MIMETYPE, "创建工作责任分解表.xlsx")


@bp.post("/responsibility/import")
@roles(*OFFICE)
@bp.arguments(StandardImportQuerySchema, location="query", error_status_code=400)
@bp.arguments(StandardFileSchema, location="files")
@bp.response(200, ResponsibilityImportResultSchema)
def import_responsibility(query, files):
    """The county's 责任分解表 (序号 · 牵头单位 · 配合单位 · 完成时限) onto the current items; ?dry_run=1 only
    checks; otherwise applied when every row is valid (a blank cell changes nothing)"""
    return papers.import_responsibility(g.actor, *read_upload(files), query["dry_run"])


@bp.get("/briefing.docx")
@roles(*OFFICE)
@bp.arguments(BriefingQuerySchema, location="query")
@bp.response(200, BINARY, content_type=papers.DOCX_MIMETYPE)
def briefing(query):
    """The weekly briefing to the leading group: score vs target, categories, evidence, overdue, 整改, next week"""
    output, monday = papers.briefing_document(zone(), query.get("week"))
    iso = monday.isocalendar()
    return download(output, papers.DOCX_MIMETYPE, f"创建工作周报_{iso.year}-W{iso.week:02d}.docx")


@bp.get("/archive.zip")
@roles(*OFFICE)
@bp.response(200, BINARY, content_type="application/zip")
def archive_zip():
    """Accepted evidence, a folder per category and item, with the index 档案目录.xlsx (streamed)"""
    chunks, name = papers.archive(g.actor, zone(), FileStore(current_app.config["ATTACHMENTS_DIR"]))
    return zip_response(chunks, name)
