"""Jobs (office): queue an export or an import that outgrows a request, follow its progress, fetch its result."""

from flask import g, send_file, url_for

from ..schemas.jobs import JobCreateSchema, JobSchema, RosterImportJobFileSchema, RosterImportJobQuerySchema
from ..services import jobs
from . import BINARY, Blueprint, roles, upload_bytes

bp = Blueprint("jobs", __name__, url_prefix="/api/jobs",
               description="Exports and imports run by the dispatcher, with progress")
OFFICE = ("reviewer", "admin")


def job_view(job) -> dict:
    return {
        "id": job.id, "kind": job.kind, "status": job.status, "progress": job.progress, "result": job.result,
        "download_url": url_for("jobs.download", job_id=job.id) if job.result_file is not None else None,
        "error": {"code": job.error_code, "message": job.error_message or job.error_code} if job.error_code
        else None,
        "created_at": job.created_at, "started_at": job.started_at, "finished_at": job.finished_at,
    }


@bp.post("")
@roles(*OFFICE)
@bp.arguments(JobCreateSchema)
@bp.response(202, JobSchema)
def create(body):
    """Queue a job: `weekly_xlsx` with `params` {from, to} (the workbook of GET /api/reports/weekly.xlsx)"""
    weekly = body["params"]
    params = {"from": weekly.get("from_") and weekly["from_"].isoformat(),
              "to": weekly.get("to") and weekly["to"].isoformat()}
    return job_view(jobs.submit_job(g.actor, body["kind"], params))


@bp.post("/roster-import")
@roles(*OFFICE)
@bp.arguments(RosterImportJobQuerySchema, location="query", error_status_code=400)
@bp.arguments(RosterImportJobFileSchema, location="files")
@bp.response(202, JobSchema)
def roster_import(query, files):
    """Queue a roster import of a multipart `file` (.xlsx or .csv); ?dry_run=1 only checks every row. The
    job's `result` is the answer POST /api/recipients/import gives"""
    upload = files["file"]
    content = upload_bytes(upload)
    return job_view(jobs.submit_job(g.actor, "roster_import", {"dry_run": query["dry_run"]}, content,
                                    upload.filename or ""))


@bp.get("/<string(length=36):job_id>")
@bp.response(200, JobSchema)
def get(job_id: str):
    """One of the caller's jobs: status, progress, result or error"""
    return job_view(jobs.owned_job(g.actor, job_id))


@bp.get("/<string(length=36):job_id>/result")
@bp.response(200, BINARY, content_type="application/octet-stream", description="The job's file")
def download(job_id: str):
    """The file a finished job made (the caller's own jobs only)"""
    import io

    job = jobs.job_file(g.actor, job_id)
    return send_file(io.BytesIO(job.result_file), mimetype=job.result_type or "application/octet-stream",
                     as_attachment=True, download_name=job.result_name or f"{job.id}.bin", max_age=0)
