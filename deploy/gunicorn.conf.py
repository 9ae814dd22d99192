"""gunicorn settings for every deployment: the systemd units (`--config deploy/gunicorn.conf.py`), the Docker
image and compose. What differs per host comes from the environment:

  ZOUFANG_BIND      address:port to listen on (systemd's zoufang-web@PORT sets 127.0.0.1:PORT; the image 0.0.0.0:8000)
  WEB_CONCURRENCY   worker processes (default: 2 × cores + 1, at most 8)
  GUNICORN_TIMEOUT  seconds a request may run before its worker is replaced (default 60)
  PROMETHEUS_MULTIPROC_DIR  where the workers' metrics files go, one folder per instance, emptied at start
                    (systemd's unit gives it /run/zoufang-web-PORT; unset, a temporary folder is made)

nginx sits in front (deploy/nginx/zoufang.conf) and buffers whole requests and answers, so a slow phone on a
rural link never holds a worker; gunicorn listens only where nginx reaches it.
"""

import os

bind = [os.environ.get("ZOUFANG_BIND", "0.0.0.0:8000")]
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * (os.cpu_count() or 1) + 1, 8))
# Threaded workers: a slow client holds one thread, not a whole worker (six slow connections dribbling header
# lines took the sync workers offline); nginx in front buffers them entirely.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
keepalive = 5
limit_request_fields = 50
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))  # nginx's proxy_read_timeout is longer (75 s)
# SIGTERM (systemctl stop/restart, docker stop): stop accepting, let requests in flight finish.
graceful_timeout = 30
# No access log: the app writes one JSON line per request (server/observability.py) with the route's pattern;
# gunicorn's line has the query string, and a search's query names people.
accesslog = None
# The workers' heartbeat files on tmpfs, not on a busy disk or Docker's overlay filesystem.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# gunicorn 27's control socket is one path per user: two instances on a host would take it from each other.
control_socket_disable = True
# The app is imported once and the workers forked from it: starts are faster and memory is shared.
preload_app = True


# /metrics sums what every worker counted: prometheus_client's multiprocess mode, which reads this variable
# when it is first imported (after this file, before the app).
_created_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _created_metrics_dir:
    import tempfile as _tempfile

    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _tempfile.mkdtemp(prefix="zoufang-metrics-")


def on_starting(server):
    """Counts of an earlier run of this instance are gone with it."""
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if name.endswith(".db"):
            os.unlink(os.path.join(folder, name))


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _created_metrics_dir:
        import shutil

        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
