"""The phone's exported outbox file: the key that seals it, and its verification, preview and application.

A phone that cannot sync (no signal for weeks, a broken sync) exports its pending mutations to a file, which
someone carries to the county office. The office uploads it; the server checks who made it and that nothing
in it was changed on the way, shows what it holds, and applies it through the sync push path as its author,
with the original mutation ids: the phone's own push of the same mutations later answers `duplicate`.

The seal (docs/outbox-file.md has the whole format):

- At login (and on `/api/auth/me`) the server hands the phone an *export key*: `key_id` (derived from the
  session) and `key` = HMAC-SHA256(master, "key|<user id>|<key_id>"), where master = HMAC-SHA256(SECRET_KEY,
  "zoufang-outbox-export/v1"). Nothing is stored: the server derives the key again from the file's user id
  and key id, so a file verifies after its session ended, and on every host sharing the secret key.
- The file's `payload` is a JSON text (user id, device id, key id, export time, the mutations as pushed);
  `mac` = base64url(HMAC-SHA256(key, the payload's UTF-8 bytes)). A courier without the key cannot change a
  byte of the payload, nor move it to another user (whose key differs), without the MAC failing.
- Attachments (photo and signature bytes) ride beside the payload: each is named by the SHA-256 of its bytes,
  which the signed mutations carry, and is refused if its bytes do not hash to its name.
"""

import base64
import binascii
import hashlib
import hmac
from collections import Counter
from dataclasses import dataclass

import orjson
from sqlalchemy import select

from ..extensions import db
from ..models import Area, User
from . import sync
from .actors import Actor
from .attachments import FileStore, sniff_image, store_attachment
from .changes import record_audit
from .errors import DomainError, Forbidden, InvalidFile

FORMAT = "zoufang-outbox"
VERSION = 1
MASTER_LABEL = b"zoufang-outbox-export/v1"
MAX_MUTATIONS = 20_000
BATCH_SIZE = 200
STATUSES = ("applied", "duplicate", "conflict", "rejected")


class OutboxFileInvalid(InvalidFile):
    """Not an exported outbox file, or one this server cannot read."""

    code = "outbox_file_invalid"


class OutboxFileTampered(InvalidFile):
    """The seal does not verify: the file was changed after the phone exported it, or never sealed."""

    code = "outbox_file_tampered"


class OutboxFileUnsealed(InvalidFile):
    """A file without a seal: exported by a phone that never received an export key (nothing to verify)."""

    code = "outbox_file_unsealed"


class OutboxFileOutOfScope(Forbidden):
    """The file's author is not a user of the uploader's area."""

    code = "outbox_file_out_of_scope"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _master(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), MASTER_LABEL, hashlib.sha256).digest()


def key_id_for(secret_key: str, session_token_hash: str) -> str:
    """The export key's id for a session: stable while it lives, telling nothing about its token."""
    return b64url(hmac.new(_master(secret_key), b"key-id|" + session_token_hash.encode(), hashlib.sha256)
                  .digest()[:16])


def export_key(secret_key: str, user_id: int, key_id: str) -> bytes:
    return hmac.new(_master(secret_key), f"key|{int(user_id)}|{key_id}".encode(), hashlib.sha256).digest()


def session_export_key(secret_key: str, user_id: int, session_token_hash: str) -> dict:
    """What login and /api/auth/me hand the phone: {"key_id", "key"} (the key base64url)."""
    key_id = key_id_for(secret_key, session_token_hash)
    return {"key_id": key_id, "key": b64url(export_key(secret_key, user_id, key_id))}


def seal(secret_key: str, user_id: int, key_id: str, payload: str) -> str:
    """The MAC of a payload, as the phone computes it (tests and tools use this)."""
    return b64url(hmac.new(export_key(secret_key, user_id, key_id), payload.encode(), hashlib.sha256).digest())


@dataclass
class OutboxFile:
    user: User
    user_area: Area
    device_id: str
    key_id: str
    exported_at: str | None
    mutations: list[dict]
    attachments: dict[str, bytes]
    sha256: str


def _invalid(why: str) -> OutboxFileInvalid:
    message = f"不是走访通手机导出的待同步文件：{why} / not a phone's exported outbox file"
    return OutboxFileInvalid(message, {"file": [message]})


def _tampered() -> OutboxFileTampered:
    message = "文件校验失败：导出后被改动过，或不是本系统签发的 / the seal does not verify: changed after export"
    return OutboxFileTampered(message, {"file": [message]})


def read_file(actor: Actor, secret_key: str, content: bytes) -> OutboxFile:
    """Parse and verify an exported file: its format, its seal, its author in the actor's scope."""
    try:
        outer = orjson.loads(content)
    except orjson.JSONDecodeError as err:
        raise _invalid("无法读取") from err
    if not isinstance(outer, dict) or outer.get("format") != FORMAT:
        raise _invalid("格式不符")
    if outer.get("version") != VERSION:
        raise _invalid("版本不受支持")
    payload, mac = outer.get("payload"), outer.get("mac")
    if not isinstance(payload, str):
        raise _invalid("缺少内容")
    if mac is None:
        message = ("文件未签名（导出时手机还没有校验密钥）：请让该手机联网登录后重新导出 / "
                   "the file is not sealed: log the phone in online and export again")
        raise OutboxFileUnsealed(message, {"file": [message]})
    if not isinstance(mac, str) or not mac:
        raise _tampered()
    try:
        inner = orjson.loads(payload)
        user_id = int(inner["user_id"])
        key_id = inner["key_id"]
        sent_mac = _unb64url(mac)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, binascii.Error) as err:
        raise _tampered() from err
    if not isinstance(key_id, str) or not key_id:
        raise _tampered()
    expected = hmac.new(export_key(secret_key, user_id, key_id), payload.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, sent_mac):
        raise _tampered()
    # Sealed by the server's key for this user: from here on the payload is what the phone wrote.
    mutations = inner.get("mutations")
    device_id = inner.get("device_id")
    if not isinstance(mutations, list) or not isinstance(device_id, str) or not device_id:
        raise _invalid("内容不完整")
    if len(mutations) > MAX_MUTATIONS:
        raise _invalid(f"超过{MAX_MUTATIONS}条")
    found = db.session.execute(select(User, Area).join(Area, Area.id == User.area_id)
                               .where(User.id == user_id)).first()
    if found is None or not (actor.sees_all or found[1].path.startswith(actor.area_path)):
        raise OutboxFileOutOfScope("文件的提交人不在您的辖区 / the file's author is not a user of your area")
    user, area = found
    named = {sha for m in mutations if isinstance(m, dict) for sha in _named_attachments(m)}
    attachments = {}
    raw_attachments = outer.get("attachments") or {}
    if not isinstance(raw_attachments, dict):
        raise _invalid("附件格式不符")
    for sha, item in raw_attachments.items():
        if sha not in named:
            continue  # only what the signed mutations name is kept
        try:
            data = base64.b64decode(item["base64"], validate=True)
        except (KeyError, TypeError, ValueError, binascii.Error) as err:
            raise _tampered() from err
        if hashlib.sha256(data).hexdigest() != sha:
            raise _tampered()
        attachments[sha] = data
    return OutboxFile(user, area, device_id[:64], key_id, inner.get("exported_at"), mutations, attachments,
                      hashlib.sha256(content).hexdigest())


def _named_attachments(mutation: dict) -> list[str]:
    data = mutation.get("data")
    if not isinstance(data, dict):
        return []
    names = [p for p in data.get("photos") or [] if isinstance(p, str)] if isinstance(data.get("photos"), list) else []
    names += [data[k] for k in ("signature", "sha256") if isinstance(data.get(k), str)]
    return names


def _result(mutation, answer: dict) -> dict:
    op = mutation.get("op") if isinstance(mutation, dict) else None
    body = {"id": answer.get("id", ""), "op": op if isinstance(op, str) else "", "status": answer["status"]}
    entity = answer.get("entity")
    if entity:
        body["entity_type"], body["entity_id"] = entity["type"], str(entity["id"])
    if answer.get("error"):
        body["error"] = {"code": answer["error"]["code"], "message": answer["error"].get("message", "")}
    return body


def load_outbox_file(actor: Actor, secret_key: str, store: FileStore, content: bytes, dry_run: bool,
                     max_attachment_bytes: int) -> dict:
    """Verify a file and answer what it holds; unless `dry_run`, store its attachments and push its mutations
    as its author (from its device), in order, in batches: what was applied before answers `duplicate`."""
    found = read_file(actor, secret_key, content)
    author = Actor(found.user.id, found.user.role, found.user.area_id, found.user_area.path, found.device_id,
                   actor.ip)
    answers: list[dict] = []
    if dry_run:
        planner = sync.Planner(author)
        # Attachments the file brings would be stored first: plan as if they were.
        planner.attachments.update(sha for sha, data in found.attachments.items() if sniff_image(data))
        for start in range(0, len(found.mutations), BATCH_SIZE):
            planner, results = sync.plan_batch(author, found.mutations[start:start + BATCH_SIZE], planner)
            answers += results
        db.session.rollback()
    else:
        for sha, data in found.attachments.items():
            try:
                store_attachment(store, author, sha, data, max_attachment_bytes)
            except DomainError:
                pass  # refused bytes: the mutation naming them answers missing_attachment
        for start in range(0, len(found.mutations), BATCH_SIZE):
            answers += sync.push(author, found.mutations[start:start + BATCH_SIZE])["results"]
    results = [_result(m, a) for m, a in zip(found.mutations, answers, strict=True)]
    by_type = Counter(str(m.get("op", "")).split(".", 1)[0] for m in found.mutations if isinstance(m, dict))
    counts = Counter(r["status"] for r in results)
    summary = {
        "dry_run": dry_run,
        "user": {"id": found.user.id, "username": found.user.username, "display_name": found.user.display_name},
        "device_id": found.device_id,
        "exported_at": found.exported_at if isinstance(found.exported_at, str) else None,
        "mutations": len(found.mutations),
        "by_type": dict(by_type),
        "attachments": len(found.attachments),
        "counts": {status: counts.get(status, 0) for status in STATUSES},
    }
    record_audit(actor, "outbox_file.check" if dry_run else "outbox_file.apply", "user", found.user.id, {
        "device_id": found.device_id, "sha256": found.sha256, "exported_at": summary["exported_at"],
        "mutations": len(found.mutations), **summary["counts"]})
    db.session.commit()
    return {**summary, "results": results}
