"""The deployed processes: gunicorn with deploy/gunicorn.conf.py sums its workers' metrics at /metrics, and the
dispatcher (`reminders run`) runs queued jobs and removes uploads a killed worker left half-written."""

import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.api.test_observability import metric
from tests.live_server import GUNICORN, REQUEST_TIMEOUT, ROOT, START_TIMEOUT, LiveServer
from tests.system.conftest import HttpClient

pytestmark = pytest.mark.slow
FLASK = Path(GUNICORN).parent / "flask"


class DeployedServer(LiveServer):
    """gunicorn started as the systemd unit and the image start it: with deploy/gunicorn.conf.py."""

    def start(self, timeout: float = START_TIMEOUT) -> None:
        env = {**self.environment(), "ZOUFANG_BIND": f"127.0.0.1:{self.port}",
               "WEB_CONCURRENCY": str(self.workers), "GUNICORN_THREADS": "2"}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [str(GUNICORN), "--config", "deploy/gunicorn.conf.py", "server.wsgi:app"], cwd=ROOT, env=env,
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self.wait_healthy(timeout)


def test_metrics_sum_every_gunicorn_worker(sqlite_path, tmp_path):
    metrics_dir = tmp_path / "metrics"
    (metrics_dir).mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"stale")  # an earlier run's: removed at start
    server = DeployedServer(f"sqlite:///{sqlite_path}", tmp_path / "instance", workers=3,
                            env={"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "LOG_LEVEL": "INFO"})
    try:
        server.start()
        before = requests.get(f"{server.url}/metrics", timeout=REQUEST_TIMEOUT).text
        health = {"endpoint": "/api/health", "method": "GET", "status": "200"}

        def workers_counted() -> int:
            return len({p.name.rsplit("_", 1)[1] for p in metrics_dir.glob("*.db")})

        # A new connection each, 10 at once, until a second worker has counted (the kernel may hand a quiet
        # server's connections all to one worker for a while): at most 300.
        sent = 0
        with ThreadPoolExecutor(max_workers=10) as pool:
            while sent < 300 and (sent < 30 or workers_counted() < 2):
                for response in pool.map(lambda _: requests.get(f"{server.url}/api/health", timeout=REQUEST_TIMEOUT,
                                                                headers={"Connection": "close"}), range(10)):
                    assert response.status_code == 200 and response.headers["X-Request-ID"]
                sent += 10
        after = requests.get(f"{server.url}/metrics", timeout=REQUEST_TIMEOUT).text
        assert metric(after, "zoufang_requests_total", **health) - metric(before, "zoufang_requests_total",
                                                                          **health) == sent
        assert not (metrics_dir / "counter_999999.db").exists()
        assert workers_counted() >= 2, "several workers counted"
        # The request log: JSON lines with the route, never gunicorn's access line with a query string.
        requests.get(f"{server.url}/api/health?q=张三", timeout=REQUEST_TIMEOUT)
        time.sleep(0.5)
        log = server.log_path.read_text(errors="replace")
        assert '"endpoint":"/api/health"' in log and "张三" not in log
    finally:
        server.stop()
    assert server.log_tail().count("Traceback") == 0


def test_dispatcher_runs_a_queued_job_and_sweeps_stale_uploads(live_server, tmp_path):
    attachments = live_server.instance_dir / "attachments" / "ab" / "cd"
    attachments.mkdir(parents=True)
    stale = attachments / ".upload-killed"
    stale.write_bytes(b"half a photo")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    reviewer = HttpClient(live_server.url, "reviewer_demo")
    queued = reviewer.session.post(f"{live_server.url}/api/jobs", json={"kind": "weekly_xlsx", "params": {}},
                                   headers={"X-CSRF-Token": reviewer.csrf}, timeout=REQUEST_TIMEOUT)
    assert queued.status_code == 202, queued.text
    env = {**live_server.environment(), "JOB_POLL_SECONDS": "0.5"}
    log = tmp_path / "dispatcher.log"
    with open(log, "ab") as out:
        dispatcher = subprocess.Popen([str(FLASK), "--app", "server", "reminders", "run", "--interval", "1"],
                                      cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            job = reviewer.session.get(f"{live_server.url}/api/jobs/{queued.json()['id']}",
                                       timeout=REQUEST_TIMEOUT).json()
            if job["status"] in ("done", "failed") or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert job["status"] == "done", (job, log.read_text(errors="replace"))
        file = reviewer.session.get(f"{live_server.url}{job['download_url']}", timeout=REQUEST_TIMEOUT)
        assert file.status_code == 200 and file.content[:2] == b"PK"
        assert not stale.exists()
        dispatcher.send_signal(signal.SIGTERM)
        assert dispatcher.wait(timeout=60) == 0
    finally:
        if dispatcher.poll() is None:
            os.killpg(dispatcher.pid, signal.SIGKILL)
            dispatcher.wait(timeout=30)
        reviewer.close()
