"""/api/jobs: the office queues a weekly workbook or a roster import, the dispatcher's runner does it, the owner
(and nobody else) follows its progress and downloads its result; the synchronous endpoints stay as they were."""

import io
import threading
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from server.extensions import db
from server.models import Job, Recipient, User
from server.models.base import utcnow
from server.services import jobs
from tests.api.test_import import good_row, xlsx

ZONE = "Asia/Shanghai"


def queue_weekly(client, **params):
    return client.post("/api/jobs", json={"kind": "weekly_xlsx", "params": params})


def queue_import(client, content: bytes, dry_run: bool = False, filename: str = "roster.xlsx"):
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(content), filename)})
    url = "/api/jobs/roster-import" + ("?dry_run=1" if dry_run else "")
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def run_all() -> int:
    return jobs.run_pending(ZONE, worker="test")


def test_weekly_workbook_job_runs_and_its_owner_downloads_the_same_sheets(reviewer):
    queued = queue_weekly(reviewer, **{"from": "2026-11-01", "to": "2026-11-30"})
    assert queued.status_code == 202, queued.json
    job = queued.json
    assert (job["kind"], job["status"], job["progress"], job["download_url"]) == ("weekly_xlsx", "queued", 0, None)
    assert run_all() == 1
    done = reviewer.get(f"/api/jobs/{job['id']}").json
    assert (done["status"], done["progress"], done["error"]) == ("done", 100, None)
    assert done["download_url"] == f"/api/jobs/{job['id']}/result"
    file = reviewer.get(done["download_url"])
    assert file.status_code == 200
    assert "attachment" in file.headers["Content-Disposition"]
    sheets = load_workbook(io.BytesIO(file.data), read_only=True).sheetnames
    direct = reviewer.get("/api/reports/weekly.xlsx?from=2026-11-01&to=2026-11-30")
    try:
        assert direct.status_code == 200  # the synchronous endpoint still answers
        assert sheets == load_workbook(io.BytesIO(direct.data), read_only=True).sheetnames
    finally:
        direct.close()


def test_a_job_is_its_owners_alone_and_staff_cannot_queue(reviewer, admin, staff):
    job_id = queue_weekly(reviewer).json["id"]
    run_all()
    for other in (admin, staff):
        assert other.get(f"/api/jobs/{job_id}").status_code == 404
        assert other.get(f"/api/jobs/{job_id}/result").status_code == 404
    assert queue_weekly(staff).status_code == 403
    assert queue_import(staff, xlsx([good_row(1)])).status_code == 403


def test_bad_params_are_refused_before_anything_is_queued(reviewer):
    response = queue_weekly(reviewer, **{"from": "2026-12-01", "to": "2026-11-01"})
    assert response.status_code == 422
    assert reviewer.post("/api/jobs", json={"kind": "format_disk"}).status_code == 422
    assert db.session.execute(select(func.count()).select_from(Job)).scalar() == 0


def test_roster_import_job_answers_what_the_import_endpoint_answers(app, reviewer):
    content = xlsx([good_row(n) for n in range(1, 6)] + [good_row(6, 身份证号="123")])
    before = db.session.execute(select(func.count()).select_from(Recipient)).scalar()
    dry = queue_import(reviewer, content, dry_run=True)
    assert dry.status_code == 202 and dry.json["kind"] == "roster_import"
    real = queue_import(reviewer, content)
    assert run_all() == 2
    dry_job = reviewer.get(f"/api/jobs/{dry.json['id']}").json
    assert dry_job["status"] == "done" and dry_job["download_url"] is None
    assert (dry_job["result"]["dry_run"], dry_job["result"]["valid"], dry_job["result"]["invalid"]) == (True, 5, 1)
    real_job = reviewer.get(f"/api/jobs/{real.json['id']}").json
    assert real_job["result"]["created"] == 5
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(Recipient)).scalar() == before + 5
    assert db.session.get(Job, real.json["id"]).input is None  # the uploaded roster is not kept


def test_an_unreadable_file_fails_the_job_with_the_imports_error_code(reviewer):
    job_id = queue_import(reviewer, b"not a workbook at all", filename="roster.xlsx").json["id"]
    run_all()
    job = reviewer.get(f"/api/jobs/{job_id}").json
    assert job["status"] == "failed" and job["error"]["code"] == "invalid_file"


def test_a_job_whose_owner_lost_the_role_fails_forbidden(reviewer):
    job_id = queue_weekly(reviewer).json["id"]
    db.session.execute(update(User).where(User.username == "reviewer_demo").values(role="staff"))
    db.session.commit()
    run_all()
    job = db.session.get(Job, job_id)
    assert (job.status, job.error_code, job.result_file) == ("failed", "forbidden", None)


def test_each_job_is_claimed_by_one_worker_however_many_race(app, reviewer):
    ids = {queue_weekly(reviewer).json["id"] for _ in range(6)}
    db.session.commit()  # the test's own session holds no lock while the workers claim
    claimed: list[tuple[str, str]] = []
    lock = threading.Lock()

    def worker(name):
        with app.app_context():
            while (job := jobs.claim_next(name)) is not None:
                with lock:
                    claimed.append((job.id, name))
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(job_id for job_id, _ in claimed) == sorted(ids)


def test_a_running_job_without_heartbeat_is_failed_as_interrupted_and_old_jobs_are_purged(reviewer):
    job_id = queue_weekly(reviewer).json["id"]
    assert jobs.claim_next("dead-dispatcher").id == job_id
    db.session.execute(update(Job).values(heartbeat_at=utcnow() - timedelta(minutes=30)))
    db.session.commit()
    assert jobs.fail_stale(timedelta(minutes=10)) == 1
    job = reviewer.get(f"/api/jobs/{job_id}").json
    assert job["status"] == "failed" and job["error"]["code"] == "interrupted"
    assert run_all() == 0  # never re-run by itself
    db.session.execute(update(Job).values(finished_at=utcnow() - timedelta(hours=30)))
    db.session.commit()
    assert jobs.purge_finished(timedelta(hours=24)) == 1
    assert reviewer.get(f"/api/jobs/{job_id}").status_code == 404


@pytest.mark.parametrize("path", ["/api/jobs/not-a-job-id-but-36-characters-long", "/api/jobs/x"])
def test_unknown_jobs_are_404(reviewer, path):
    assert reviewer.get(path).status_code == 404
