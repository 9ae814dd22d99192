"""Which Web Push endpoints the server stores and POSTs to: HTTPS URLs on a known push service's host.

A subscription's endpoint comes from the browser, so from anyone with a session: without this rule the
reminder dispatcher would POST to any URL it is handed (this machine's loopback services, the intranet).
Browsers only ever hand out their vendor's push service, so a short list covers every real one.
"""

import re
from urllib.parse import urlsplit

# The push services of Chrome/Android (FCM), Firefox (autopush), Safari (Apple) and Edge (WNS). Chinese
# Android browsers that support Web Push at all use FCM; vendors' own push channels (HMS, MiPush, …) serve
# native apps, not the Push API.
DEFAULT_PUSH_SERVICES = (
    "fcm.googleapis.com",
    "updates.push.services.mozilla.com",
    "*.push.apple.com",
    "*.notify.windows.com",
)
# Printable ASCII without spaces or backslashes: URL parsers that disagree on anything else (a `\` before an
# `@`, a control character) could take another host than the one checked here.
_PLAIN_URL = re.compile(r"[!-\[\]-~]+")
_DEFAULT_PORTS = {"https": 443, "http": 80}


def _pattern(entry: str) -> tuple[str, str, int | None] | None:
    """An allowlist entry as (scheme, host pattern, port; None = any port), or None when malformed.

    `host` or `*.suffix` means HTTPS on port 443; `scheme://host:port` (port `*` for any) names anything
    else explicitly, e.g. `http://localhost:*` for a test push service.
    """
    entry = entry.strip().lower()
    if "://" not in entry:
        return ("https", entry, 443) if entry else None
    scheme, _, rest = entry.partition("://")
    host, _, port = rest.rstrip("/").partition(":")
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if port == "*":
        return scheme, host, None
    if not port:
        return scheme, host, _DEFAULT_PORTS[scheme]
    return (scheme, host, int(port)) if port.isdigit() else None


def _host_matches(pattern: str, host: str) -> bool:
    if pattern.startswith("*."):
        suffix = pattern[1:]  # ".push.apple.com": a subdomain, never the bare domain or "evilpush.apple.com"
        return host.endswith(suffix) and len(host) > len(suffix)
    return host == pattern


def endpoint_allowed(endpoint: str, allowlist) -> bool:
    """Whether the server may keep and POST to this push endpoint."""
    if not isinstance(endpoint, str) or not _PLAIN_URL.fullmatch(endpoint):
        return False
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return False
    host = parts.hostname
    if not host or parts.username is not None or parts.password is not None or parts.scheme not in _DEFAULT_PORTS:
        return False
    port = port if port is not None else _DEFAULT_PORTS[parts.scheme]
    for entry in allowlist:
        pattern = _pattern(entry)
        if pattern is None:
            continue
        scheme, host_pattern, allowed_port = pattern
        if (parts.scheme == scheme and _host_matches(host_pattern, host)
                and (allowed_port is None or allowed_port == port)):
            return True
    return False
