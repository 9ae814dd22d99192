"""Observability: one JSON log line per request with its request id, and Prometheus metrics at /metrics for
the operator's network only.

Logs carry no personal data: the route's pattern (`/api/visits/<uuid:visit_id>`), never the path's ids nor the
query string (a search for a name). Metrics are multiprocess-safe under gunicorn: with PROMETHEUS_MULTIPROC_DIR
set (deploy/gunicorn.conf.py sets it), every worker writes its own files and a scrape sums them. What the
dispatcher does (the notification queue, jobs) is read from the database at scrape time, so any web host
answers for every dispatcher.
"""

import ipaddress
import logging
import os
import re
import time
import uuid
from datetime import UTC, datetime

import orjson
from flask import Flask, Response, current_app, g, has_request_context, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import REGISTRY

REQUEST_ID_HEADER = "X-Request-ID"
# A client's id is kept when it is short and plain (it ends up in log lines); anything else gets a new one.
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
UNMATCHED = "<unmatched>"
request_log = logging.getLogger("server.request")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
REQUEST_SECONDS = Histogram("zoufang_request_duration_seconds", "Request latency by route pattern",
                            ["endpoint", "method"], buckets=LATENCY_BUCKETS)
REQUESTS = Counter("zoufang_requests_total", "Answers by route pattern and status", ["endpoint", "method", "status"])
PUSH_MUTATIONS = Counter("zoufang_push_mutations_total",
                         "Sync push mutations by outcome (applied, duplicate, conflict, rejected)", ["status"])
JOB_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600)
# prometheus_client chose its storage when imported (above): per process, or files in this folder.
MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def request_id() -> str | None:
    """This request's id, outside a request None."""
    return g.get("request_id") if has_request_context() else None


# -- logs -------------------------------------------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, request_id (in a request), the record's `fields`
    (structured extras) and the traceback, if any, as one string."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        rid = getattr(record, "request_id", None) or request_id()
        if rid:
            entry["request_id"] = rid
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    """The classic line, with the request id appended when there is one (LOG_FORMAT=text)."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid = getattr(record, "request_id", None) or request_id()
        fields = getattr(record, "fields", None)
        if fields:
            line += " " + " ".join(f"{k}={v}" for k, v in fields.items())
        return f"{line} request_id={rid}" if rid else line


def _install_record_factory() -> None:
    """Every log record made during a request carries its id, whenever and wherever it is formatted."""
    base = logging.getLogRecordFactory()
    if getattr(base, "zf_request_ids", False):
        return

    def factory(*args, **kwargs):
        record = base(*args, **kwargs)
        if not getattr(record, "request_id", None):
            record.request_id = request_id()
        return record

    factory.zf_request_ids = True
    logging.setLogRecordFactory(factory)


def configure_logging(app: Flask) -> None:
    """Log to stderr in LOG_FORMAT (json by default) unless the process already set up logging (a test
    runner, gunicorn's --log-config); in any case records made in a request carry its id."""
    _install_record_factory()
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(TextFormatter() if app.config.get("LOG_FORMAT") == "text" else JsonFormatter())
    root.addHandler(handler)
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))


# -- requests ---------------------------------------------------------------------------------------------


def _route() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED


def init_app(app: Flask) -> None:
    """Request ids, the request log line and the request metrics; /metrics. Registered before every other
    hook, so its start time comes first and its log line (after_request runs last-first) last."""
    configure_logging(app)

    @app.before_request
    def _start():
        g.request_started = time.perf_counter()
        sent = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = sent if _CLIENT_ID.match(sent) else uuid.uuid4().hex

    @app.after_request
    def _finish(response):
        started = g.get("request_started")
        rid = g.get("request_id")
        if rid:
            response.headers[REQUEST_ID_HEADER] = rid
        if started is None:
            return response
        elapsed = time.perf_counter() - started
        route = _route()
        if route == "/metrics":
            return response  # scrapes every few seconds would drown the log and the latency figures
        REQUEST_SECONDS.labels(route, request.method).observe(elapsed)
        REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        request_log.info("request", extra={"fields": {
            "method": request.method, "endpoint": route, "status": response.status_code,
            "duration_ms": round(elapsed * 1000, 1)}})
        return response

    app.add_url_rule("/metrics", "metrics", metrics_view, methods=["GET"])


def count_push_results(results: list[dict]) -> None:
    """A sync push's answers, by status."""
    counts: dict[str, int] = {}
    for result in results:
        status = result.get("status", "unknown")
        counts[status] = counts.get(status, 0) + 1
    for status, count in counts.items():
        PUSH_MUTATIONS.labels(status).inc(count)


# -- /metrics ---------------------------------------------------------------------------------------------


def _allowed(address: str | None, networks) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


def metrics_networks(values) -> tuple:
    return tuple(ipaddress.ip_network(value, strict=False) for value in values)


def metrics_view():
    """The Prometheus exposition, to the operator's networks (METRICS_ALLOWED_NETWORKS); 404 to anyone else,
    as if it did not exist."""
    from .errors import ApiError

    networks = current_app.extensions.get("zf_metrics_networks")
    if networks is None:
        networks = metrics_networks(current_app.config["METRICS_ALLOWED_NETWORKS"])
        current_app.extensions["zf_metrics_networks"] = networks
    if not _allowed(request.remote_addr, networks):
        raise ApiError(404, "not_found", "Not Found")
    if MULTIPROC_DIR:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=MULTIPROC_DIR)
    else:
        registry = REGISTRY
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector())
    body = generate_latest(registry) + generate_latest(database)
    response = Response(body, mimetype=CONTENT_TYPE_LATEST.split(";")[0])
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    response.headers["Cache-Control"] = "no-store"
    return response


class DatabaseCollector:
    """What every dispatcher shares, read from the database per scrape: the age of the oldest due notification
    not yet sent, queued and running jobs, and the durations of jobs finished in the last day."""

    def collect(self):
        from datetime import timedelta

        from sqlalchemy import func, select

        from .extensions import db
        from .models import Job, Notification
        from .models.base import utcnow
        from .services.reminders import MAX_AGE

        now = utcnow()
        try:
            oldest = db.session.execute(
                select(func.min(Notification.due_at)).where(
                    Notification.sent_at.is_(None), Notification.due_at <= now,
                    Notification.due_at >= now - MAX_AGE)).scalar()
            by_status = db.session.execute(
                select(Job.kind, Job.status, func.count()).where(Job.status.in_(("queued", "running")))
                .group_by(Job.kind, Job.status)).all()
            oldest_job = db.session.execute(select(func.min(Job.created_at)).where(Job.status == "queued")).scalar()
            finished = db.session.execute(
                select(Job.kind, Job.status, Job.started_at, Job.finished_at).where(
                    Job.finished_at >= now - timedelta(days=1), Job.started_at.is_not(None))).all()
        finally:
            db.session.rollback()
        queue = GaugeMetricFamily("zoufang_dispatch_queue_age_seconds",
                                  "Age of the oldest due notification not yet sent (0: none waiting)")
        queue.add_metric([], (now - oldest).total_seconds() if oldest else 0.0)
        yield queue
        jobs = GaugeMetricFamily("zoufang_jobs", "Jobs waiting or running", labels=["kind", "status"])
        for kind, status, count in by_status:
            jobs.add_metric([kind, status], count)
        yield jobs
        waiting = GaugeMetricFamily("zoufang_job_queue_age_seconds", "Age of the oldest queued job (0: none)")
        waiting.add_metric([], (now - oldest_job).total_seconds() if oldest_job else 0.0)
        yield waiting
        yield from _job_durations(finished)


def _job_durations(finished):
    """A histogram per kind and outcome of the jobs finished in the last day."""
    series: dict[tuple[str, str], list[float]] = {}
    for kind, status, started, ended in finished:
        series.setdefault((kind, status), []).append(max((ended - started).total_seconds(), 0.0))
    family = HistogramMetricFamily("zoufang_job_duration_seconds",
                                   "Run time of the jobs finished in the last 24 hours", labels=["kind", "status"])
    for (kind, status), values in sorted(series.items()):
        buckets = [(str(float(bound)), sum(1 for v in values if v <= bound)) for bound in JOB_BUCKETS]
        buckets.append(("+Inf", len(values)))
        family.add_metric([kind, status], buckets, sum(values))
    yield family


__all__ = ["JsonFormatter", "TextFormatter", "count_push_results", "init_app", "request_id"]
