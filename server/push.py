"""Web Push over pywebpush: the VAPID key every host shares (server/keys.py), cached VAPID headers, parallel
sends.

One signed VAPID header per push-service origin is reused for hours (RFC 8292 allows up to 24 h), so a batch
pays for encryption and HTTP only. Each send's result is classified for the dispatcher: delivered, gone
(404/410: drop the subscription), retry (429 with its Retry-After, 5xx, network) or failed (other 4xx, or
an endpoint off the push-service allowlist, which is never contacted: a row stored before the list, or
after the list changed).
"""

import base64
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02
from pywebpush import WebPusher, WebPushException

from . import keys
from .domain.push import DEFAULT_PUSH_SERVICES, endpoint_allowed

log = logging.getLogger(__name__)

# RFC 8292 caps a token's life at 24 h; sign for 12 h and re-sign an hour before expiry.
VAPID_TOKEN_SECONDS = 12 * 3600
VAPID_RENEW_BEFORE = 3600
DEFAULT_TTL = 24 * 3600  # a reminder to a sleeping phone must wait for it, not be dropped (pywebpush's 0)
DEFAULT_TIMEOUT = 10.0
MAX_RETRY_AFTER = 24 * 3600

OK, GONE, RETRY, FAILED = "ok", "gone", "retry", "failed"


@dataclass(frozen=True)
class Subscription:
    id: int
    endpoint: str
    p256dh: str
    auth: str

    def info(self) -> dict:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


@dataclass(frozen=True)
class Message:
    subscription: Subscription
    payload: bytes
    urgency: str = "normal"  # RFC 8030: very-low, low, normal, high
    ttl: int = DEFAULT_TTL


@dataclass(frozen=True)
class Result:
    outcome: str  # ok | gone | retry | failed
    status: int | None = None
    retry_after: float | None = None  # seconds, when the push service said so (429, 503)
    error: str | None = None


def origin_of(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_key_of(vapid: Vapid02) -> str:
    """The applicationServerKey a browser subscribes with: the uncompressed P-256 point, base64url."""
    return b64url(vapid.public_key.public_bytes(serialization.Encoding.X962,
                                                serialization.PublicFormat.UncompressedPoint))


def vapid_from_text(text: str) -> Vapid02:
    """A VAPID key from its PEM, or from the base64url raw or DER private key (`VAPID_PRIVATE_KEY`)."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        return Vapid02.from_pem(text.encode())
    return Vapid02.from_string(text)


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def classify(response: requests.Response) -> Result:
    status = response.status_code
    if 200 <= status < 300:
        return Result(OK, status)
    reason = f"{status} {response.reason or ''}".strip()
    if status in (404, 410):
        return Result(GONE, status, error=reason)
    if status == 429 or status >= 500:
        return Result(RETRY, status, parse_retry_after(response.headers.get("Retry-After")), reason)
    return Result(FAILED, status, error=f"{reason}: {response.text[:200]}")


class Pusher:
    """Send Web Push messages: VAPID-signed, aes128gcm-encrypted, a thread pool for batches."""

    def __init__(self, vapid: Vapid02, subject: str, *, timeout: float = DEFAULT_TIMEOUT, workers: int = 8,
                 allowlist: tuple[str, ...] = DEFAULT_PUSH_SERVICES):
        self.vapid = vapid
        self.subject = subject
        self.timeout = timeout
        self.workers = workers
        self.allowlist = tuple(allowlist)  # push services it may POST to (server/domain/push.py)
        self._headers: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._local = threading.local()

    @property
    def public_key(self) -> str:
        return public_key_of(self.vapid)

    def _session(self) -> requests.Session:
        # One keep-alive session per worker thread (a Session is not documented as thread-safe).
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            # Otherwise requests scans the environment for proxies on every call (≈ 2 ms each).
            session.trust_env = False
            session.proxies.update(requests.utils.getproxies())
        return session

    def vapid_header(self, endpoint: str) -> str:
        """The Authorization header for this endpoint's push service, signed once and reused for hours."""
        origin = origin_of(endpoint)
        now = time.time()
        with self._lock:
            cached = self._headers.get(origin)
            if cached and cached[1] - VAPID_RENEW_BEFORE > now:
                return cached[0]
        expires = int(now) + VAPID_TOKEN_SECONDS
        # A fresh claims dict every time: pywebpush and py_vapid fill in the one they are handed.
        header = self.vapid.sign({"sub": self.subject, "aud": origin, "exp": expires})["Authorization"]
        with self._lock:
            self._headers[origin] = (header, expires)
        return header

    def send(self, message: Message) -> Result:
        """Encrypt and POST one message; never raises for what the push service or the network did."""
        endpoint = message.subscription.endpoint
        if not endpoint_allowed(endpoint, self.allowlist):
            log.warning("push: subscription %d is not on a known push service; not sent",
                        message.subscription.id)
            return Result(FAILED, error="endpoint not on the push-service allowlist")
        headers = {
            "Authorization": self.vapid_header(endpoint),
            # pywebpush 2.5 sends no Content-Type; some push services (web-push-testing) then answer 400.
            "Content-Type": "application/octet-stream",
            "Urgency": message.urgency,
        }
        try:
            response = WebPusher(message.subscription.info(), requests_session=self._session()).send(
                message.payload, headers=headers, ttl=message.ttl, content_encoding="aes128gcm",
                timeout=self.timeout)
        except requests.RequestException as exc:
            return Result(RETRY, error=f"network: {type(exc).__name__}: {str(exc)[:200]}")
        except (WebPushException, ValueError, TypeError) as exc:
            # Keys that do not decode or encrypt: this subscription can never work.
            return Result(FAILED, error=f"invalid subscription: {str(exc)[:200]}")
        return classify(response)

    def send_many(self, messages: list[Message]) -> list[Result]:
        """Send in parallel, results in order. After a 429 from a push service, the rest of the batch for
        that service is not attempted: each takes the same Retry-After instead."""
        blocked: dict[str, Result] = {}

        def one(message: Message) -> Result:
            origin = origin_of(message.subscription.endpoint)
            if origin in blocked:
                return blocked[origin]
            result = self.send(message)
            if result.outcome == RETRY and result.status == 429:
                blocked[origin] = result
            return result

        if len(messages) <= 1:
            return [one(m) for m in messages]
        with ThreadPoolExecutor(max_workers=min(self.workers, len(messages)),
                                thread_name_prefix="webpush") as pool:
            return list(pool.map(one, messages))


def payload_of(notification_id: int, kind: str, title: str, body: str, url: str | None) -> bytes:
    """What the service worker shows: the row's title and body (never personal data) and where to go."""
    return json.dumps({"id": notification_id, "kind": kind, "title": title, "body": body, "url": url,
                       "tag": f"notification-{notification_id}"}, ensure_ascii=False,
                      separators=(",", ":")).encode()


def get_pusher(app) -> Pusher:
    """The app's Pusher, with the key every host shares (server/keys.py); a rotation by any host (or a changed
    allowlist in the config) is seen at the next call (one indexed read)."""
    text = keys.vapid_private_key(app)
    allowlist = tuple(app.config.get("PUSH_ENDPOINT_ALLOWLIST", DEFAULT_PUSH_SERVICES))
    state = app.extensions.get("zf_pusher")
    if state is None or state[1] != (text, allowlist):
        pusher = Pusher(vapid_from_text(text), app.config.get("VAPID_SUBJECT", "mailto:admin@zoufang.invalid"),
                        timeout=float(app.config.get("PUSH_TIMEOUT", DEFAULT_TIMEOUT)),
                        workers=int(app.config.get("PUSH_WORKERS", 8)), allowlist=allowlist)
        state = app.extensions["zf_pusher"] = (pusher, (text, allowlist))
    return state[0]
