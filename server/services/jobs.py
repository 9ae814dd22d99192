"""Jobs: exports and imports that outgrow a request, queued by the office and run by the dispatcher.

A job row carries everything its run needs (owner, kind, params, the uploaded file) and everything its owner
reads back (status, progress 0–100, a result, a file or an error code), so any dispatcher on any host may run
it and any web host may answer for it. A dispatcher claims a queued row with a guarded UPDATE (`… WHERE
status = 'queued'`, after `FOR UPDATE SKIP LOCKED` on PostgreSQL): one wins, however many run.
"""

import logging
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from ..database import begin_reads_deferred, end_deferred_reads
from ..extensions import db
from ..models import User
from ..models.base import utcnow
from ..models.jobs import DONE, FAILED, QUEUED, RUNNING, Job
from .actors import Actor
from .errors import DomainError, Forbidden, NotFound

log = logging.getLogger(__name__)
OFFICE = ("reviewer", "admin")
HEARTBEAT_SECONDS = 30


@dataclass
class Outcome:
    """What a job's run made: a JSON result, a file, or both."""

    result: dict | None = None
    file: bytes | None = None
    name: str | None = None
    mimetype: str | None = None


@dataclass
class Context:
    """What a run gets besides its row: the owner as an actor, the settings it needs, a progress reporter."""

    actor: Actor
    params: dict
    input: bytes | None
    input_name: str | None
    zone: str
    report: Callable[[int], None] = field(repr=False, default=lambda percent: None)


def _weekly_xlsx(ctx: Context) -> Outcome:
    from . import reports

    start, end = reports.default_range(ctx.zone, _date(ctx.params.get("from")), _date(ctx.params.get("to")))
    ctx.report(20)
    token = begin_reads_deferred()  # as the GET endpoint: phones' pushes never wait for the report's reads
    try:
        output = reports.weekly_report(ctx.actor, start, end, ctx.zone)
    finally:
        db.session.rollback()
        end_deferred_reads(token)
    with output:
        data = output.read()
    ctx.report(90)
    return Outcome(file=data, name=f"走访周报_{start.isoformat()}_{end.isoformat()}.xlsx",
                   mimetype=reports.XLSX_MIMETYPE)


def _roster_import(ctx: Context) -> Outcome:
    from . import imports

    ctx.report(10)
    result = imports.import_recipients(ctx.actor, ctx.input_name or "", ctx.input or b"",
                                       bool(ctx.params.get("dry_run")))
    return Outcome(result=result)


# kind → (roles that may queue it, its run)
KINDS = {
    "weekly_xlsx": (OFFICE, _weekly_xlsx),
    "roster_import": (OFFICE, _roster_import),
}


def _date(value) -> date | None:
    return date.fromisoformat(value) if value else None


# -- the owner's side ---------------------------------------------------------------------------------------


def submit_job(actor: Actor, kind: str, params: dict, input_data: bytes | None = None,
               input_name: str | None = None) -> Job:
    """Queue a job for the actor (its params already checked by the kind's schema)."""
    allowed, _run = KINDS[kind]
    if actor.role not in allowed:
        raise Forbidden("您没有权限 / not allowed for your role")
    job = Job(id=str(uuid.uuid4()), kind=kind, owner_id=actor.user_id, params=params, input=input_data,
              input_name=input_name, status=QUEUED, progress=0, created_at=utcnow())
    db.session.add(job)
    db.session.commit()
    return job


def owned_job(actor: Actor, job_id: str) -> Job:
    """The actor's own job; anyone else's does not exist (404)."""
    job = db.session.get(Job, job_id)
    if job is None or job.owner_id != actor.user_id:
        raise NotFound("No such job")
    return job


def job_file(actor: Actor, job_id: str) -> Job:
    job = owned_job(actor, job_id)
    if job.status != DONE or job.result_file is None:
        raise NotFound("这个任务没有可下载的结果 / this job has no result to download")
    return job


# -- the dispatcher's side ----------------------------------------------------------------------------------


def worker_name() -> str:
    import os

    return f"{socket.gethostname()}:{os.getpid()}"[:128]


def claim_next(worker: str) -> Job | None:
    """Take the oldest queued job for this worker, or None; commits. Safe with many workers on many hosts."""
    query = select(Job.id).where(Job.status == QUEUED).order_by(Job.created_at, Job.id).limit(1)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    job_id = db.session.execute(query).scalar()
    if job_id is None:
        db.session.rollback()
        return None
    now = utcnow()
    claimed = db.session.execute(
        update(Job).where(Job.id == job_id, Job.status == QUEUED)
        .values(status=RUNNING, claimed_by=worker, started_at=now, heartbeat_at=now, progress=1)
    ).rowcount
    db.session.commit()
    return db.session.get(Job, job_id) if claimed == 1 else None


def _set(job_id: str, **values) -> None:
    """Write the row on a connection of its own: the run's session may be mid-transaction."""
    with db.engine.begin() as connection:
        connection.execute(update(Job).where(Job.id == job_id).values(**values))


def run_job(job: Job, zone: str) -> None:
    """Run a claimed job to its end (done or failed); never raises for the job's own failures."""
    job_id, kind = job.id, job.kind
    owner = db.session.get(User, job.owner_id)
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(current_app._get_current_object(), job_id, stop), daemon=True,
                            name=f"job-heartbeat-{job_id[:8]}")
    beat.start()
    try:
        allowed, run = KINDS[kind]
        if owner is None or not owner.active or owner.role not in allowed:
            raise Forbidden("任务的发起人已无权限 / the job's owner may no longer do this")
        from .auth import actor_for

        ctx = Context(actor=actor_for(owner), params=dict(job.params or {}), input=job.input,
                      input_name=job.input_name, zone=zone,
                      report=lambda percent: _set(job_id, progress=max(1, min(99, int(percent))),
                                                  heartbeat_at=utcnow()))
        db.session.commit()
        outcome = run(ctx)
    except DomainError as err:
        db.session.rollback()
        _finish(job_id, FAILED, error_code=err.code, error_message=err.message,
                result={"fields": err.fields} if err.fields else None)
    except Exception:
        db.session.rollback()
        log.exception("jobs: %s job %s failed", kind, job_id)
        _finish(job_id, FAILED, error_code="internal_error", error_message="Something went wrong; try again later")
    else:
        _finish(job_id, DONE, result=outcome.result, result_file=outcome.file, result_name=outcome.name,
                result_type=outcome.mimetype, progress=100)
    finally:
        stop.set()
        beat.join(timeout=5)
        db.session.remove()


def _finish(job_id: str, status: str, **values) -> None:
    now = utcnow()
    _set(job_id, status=status, finished_at=now, heartbeat_at=now, input=None, **values)


def _heartbeat(app, job_id: str, stop: threading.Event) -> None:
    """While a run lasts, say so every HEARTBEAT_SECONDS: a row whose heartbeat stops was left by a killed
    dispatcher (`fail_stale`)."""
    while not stop.wait(HEARTBEAT_SECONDS):
        try:
            with app.app_context():
                _set(job_id, heartbeat_at=utcnow())
        except Exception:  # noqa: BLE001  (SQLite busy under the run's own write: the next beat will do)
            log.debug("jobs: heartbeat of %s missed", job_id, exc_info=True)


def fail_stale(stale_after: timedelta) -> int:
    """Jobs whose runner died (no heartbeat for `stale_after`) end as failed `interrupted`; the owner may
    queue them again. Never re-run by themselves: a job that kills its runner would do so forever."""
    now = utcnow()
    count = db.session.execute(
        update(Job).where(Job.status == RUNNING, Job.heartbeat_at < now - stale_after)
        .values(status=FAILED, finished_at=now, input=None, error_code="interrupted",
                error_message="任务中断，请重新提交 / the job was interrupted; submit it again")
    ).rowcount
    db.session.commit()
    return count


def purge_finished(keep: timedelta) -> int:
    """Delete finished jobs (and their files) older than `keep`."""
    count = db.session.execute(
        delete(Job).where(Job.status.in_((DONE, FAILED)), Job.finished_at < utcnow() - keep)).rowcount
    db.session.commit()
    return count


def run_pending(zone: str, worker: str | None = None, limit: int | None = None) -> int:
    """Claim and run queued jobs until none is left (or `limit` ran); how many ran."""
    worker = worker or worker_name()
    ran = 0
    while limit is None or ran < limit:
        job = claim_next(worker)
        if job is None:
            break
        run_job(job, zone)
        ran += 1
    return ran


__all__ = ["KINDS", "Outcome", "claim_next", "fail_stale", "job_file", "owned_job", "purge_finished",
           "run_job", "run_pending", "submit_job", "worker_name"]
