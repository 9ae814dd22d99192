"""Backup and restore (services/backup.py, `flask backup` / `restore`), on the test's own database: SQLite, or
PostgreSQL through pg_dump / pg_restore when TEST_DATABASE_URL says so (the target then is a database made
here and dropped after)."""

import hashlib
import json
import os
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from server.cli import BackupSchedule
from server.extensions import db
from server.models import AppliedMutation, ChangeCounter, Recipient, Visit
from server.services import backup
from server.services.sync.cursors import current_epoch, epoch_of
from tests.conftest import PNG_1PX, _admin_engine, _drop_pg, _pg_url, is_postgres, mutation, visit_data

PHOTO = PNG_1PX + b"backup"
PHOTO_SHA = hashlib.sha256(PHOTO).hexdigest()


@pytest.fixture
def source(app, staff, own_recipient) -> backup.Instance:
    """The test's instance with a photo named by a visit, a secret key and a VAPID key."""
    assert staff.put(f"/api/attachments/{PHOTO_SHA}", data=PHOTO, content_type="image/png").status_code == 201
    [result] = staff.push(mutation("visit.create", visit_data(own_recipient["id"], photos=[PHOTO_SHA])))
    assert result["status"] == "applied"
    instance = Path(app.config["INSTANCE_DIR"])
    # The instance folder's key files, as an install keeps them (backups copy them; nothing here parses them).
    (instance / "secret_key").write_text("the-secret-key")
    (instance / "vapid_private.pem").write_text("-----BEGIN PRIVATE KEY-----\nnot parsed\n-----END PRIVATE KEY-----\n")
    db.session.remove()
    return backup.Instance.from_config(app.config)


@pytest.fixture
def target(tmp_path) -> backup.Instance:
    """An empty instance: a database that does not exist yet (SQLite) or has no tables (PostgreSQL)."""
    folder = tmp_path / "restored"
    if not is_postgres():
        yield backup.Instance(f"sqlite:///{folder / 'zoufang.db'}", folder, folder / "attachments")
        return
    name = f"zf_restore_{os.getpid()}_{tmp_path.name[-12:]}".replace("-", "_").lower()
    admin = _admin_engine()
    _drop_pg(admin, name)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield backup.Instance(_pg_url(name), folder, folder / "attachments")
    finally:
        _drop_pg(admin, name)
        admin.dispose()


def facts(url: str) -> dict:
    """What a restore must bring back, read from the database at `url`."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            def count(model):
                return connection.execute(select(func.count()).select_from(model)).scalar()

            return {"recipients": count(Recipient), "visits": count(Visit), "applied": count(AppliedMutation),
                    "newest": connection.execute(select(ChangeCounter.value)).scalar(),
                    "epoch": connection.execute(text("SELECT value FROM database_meta WHERE key = 'epoch'"))
                    .scalar()}
    finally:
        engine.dispose()


def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


# -- backup ------------------------------------------------------------------------------------------------


def test_backup_holds_database_attachments_and_secrets_with_a_manifest_of_checksums(source, tmp_path):
    archive = tmp_path / "b.tar"
    manifest = backup.create_backup(source, archive, "1.2.3")
    files = members(archive)
    assert json.loads(files["manifest.json"]) == manifest
    assert manifest["format"] == "zoufang-backup" and manifest["format_version"] == 1
    assert manifest["app_version"] == "1.2.3"
    assert datetime.fromisoformat(manifest["created_at"]) > datetime.now(UTC) - timedelta(minutes=5)
    assert manifest["epoch"] == facts(source.database_url)["epoch"]
    database = manifest["database"]
    assert database["dialect"] == ("postgresql" if is_postgres() else "sqlite")
    assert database["alembic_revision"]
    assert hashlib.sha256(files[database["file"]]).hexdigest() == database["sha256"]
    assert manifest["attachments"]["files"] == {PHOTO_SHA: len(PHOTO)}
    assert files[f"attachments/{PHOTO_SHA[:2]}/{PHOTO_SHA[2:4]}/{PHOTO_SHA}"] == PHOTO
    assert set(manifest["secrets"]) == {"secret_key", "vapid_private.pem"}
    for name, entry in manifest["secrets"].items():
        assert hashlib.sha256(files[f"secrets/{name}"]).hexdigest() == entry["sha256"]
    assert not list(tmp_path.glob("*.partial")) and not list(tmp_path.glob(".zoufang-backup-*"))
    assert archive.stat().st_mode & 0o777 == 0o600  # it holds the secret key


def test_backup_leaves_out_an_attachment_that_does_not_match_its_hash(source, tmp_path):
    bad = "0" * 64
    path = source.attachments_dir / bad[:2] / bad[2:4] / bad
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not what the name says")
    (path.parent / ".upload-123").write_bytes(b"an upload cut off")
    manifest = backup.create_backup(source, tmp_path / "b.tar", "1")
    assert manifest["attachments"]["files"] == {PHOTO_SHA: len(PHOTO)}
    assert manifest["attachments"]["left_out_corrupt"] == [bad]


def test_backup_refuses_to_overwrite_an_archive(source, tmp_path):
    (tmp_path / "b.tar").write_bytes(b"keep me")
    with pytest.raises(backup.BackupError, match="exists"):
        backup.create_backup(source, tmp_path / "b.tar", "1")
    assert (tmp_path / "b.tar").read_bytes() == b"keep me"


# -- restore -----------------------------------------------------------------------------------------------


def test_restore_into_an_empty_instance_brings_everything_back_under_a_new_epoch(source, target, tmp_path):
    archive = tmp_path / "b.tar"
    manifest = backup.create_backup(source, archive, "1")
    done = backup.restore_backup(target, archive)
    before, after = facts(source.database_url), facts(target.database_url)
    assert {k: v for k, v in after.items() if k != "epoch"} == {k: v for k, v in before.items() if k != "epoch"}
    assert after["epoch"] == done["epoch"] != manifest["epoch"]
    assert epoch_of(after["epoch"]).tag != epoch_of(manifest["epoch"]).tag
    photo = target.attachments_dir / PHOTO_SHA[:2] / PHOTO_SHA[2:4] / PHOTO_SHA
    assert photo.read_bytes() == PHOTO
    for name in ("secret_key", "vapid_private.pem"):
        assert (target.instance_dir / name).read_bytes() == (source.instance_dir / name).read_bytes()
        assert (target.instance_dir / name).stat().st_mode & 0o777 == 0o600


def test_restore_refuses_a_non_empty_instance_unless_forced(source, target, tmp_path):
    archive = tmp_path / "b.tar"
    backup.create_backup(source, archive, "1")
    first = backup.restore_backup(target, archive)
    with pytest.raises(backup.BackupError, match="not empty.*user.*--force"):
        backup.restore_backup(target, archive)
    assert facts(target.database_url)["epoch"] == first["epoch"]
    again = backup.restore_backup(target, archive, force=True)
    assert facts(target.database_url)["epoch"] == again["epoch"] != first["epoch"]


def test_restore_refuses_a_damaged_archive_and_touches_nothing(source, target, tmp_path):
    archive = tmp_path / "b.tar"
    backup.create_backup(source, archive, "1")
    with tarfile.open(archive) as tar:
        photo = tar.getmember(f"attachments/{PHOTO_SHA[:2]}/{PHOTO_SHA[2:4]}/{PHOTO_SHA}")
    with open(archive, "r+b") as handle:  # flip one byte of the photo inside the archive
        handle.seek(photo.offset_data + 3)
        byte = handle.read(1)
        handle.seek(photo.offset_data + 3)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(backup.BackupError, match="does not match its checksum"):
        backup.restore_backup(target, archive)
    assert not target.attachments_dir.exists()
    assert not (target.instance_dir / "secret_key").exists()
    assert backup._database_contents(target) == (False, 0)


def test_restore_refuses_an_incomplete_archive(source, target, tmp_path):
    archive = tmp_path / "b.tar"
    backup.create_backup(source, archive, "1")
    cut = tmp_path / "cut.tar"
    cut.write_bytes(archive.read_bytes()[:2048])
    with pytest.raises(backup.BackupError, match="incomplete|damaged|not a backup"):
        backup.restore_backup(target, cut)


def test_restore_refuses_an_archive_of_another_kind_of_database(source, tmp_path):
    archive = tmp_path / "b.tar"
    backup.create_backup(source, archive, "1")
    other = ("sqlite:///" + str(tmp_path / "x.db")) if is_postgres() else "postgresql+psycopg://nobody@127.0.0.1:9/x"
    with pytest.raises(backup.BackupError, match="same kind of database"):
        backup.restore_backup(backup.Instance(other, tmp_path / "i", tmp_path / "i" / "a"), archive)


# -- the commands ------------------------------------------------------------------------------------------


def test_backup_command_writes_the_archive_and_restore_refuses_the_live_instance(source, runner, tmp_path):
    archive = tmp_path / "cli.tar"
    made = runner.invoke(args=["backup", str(archive)])
    assert made.exit_code == 0, made.output
    assert "1 attachment(s)" in made.output and "secret_key, vapid_private.pem" in made.output
    assert backup.verify_archive(archive)["epoch"] == current_epoch().id
    db.session.remove()
    refused = runner.invoke(args=["restore", str(archive)])
    assert refused.exit_code == 1
    assert "not empty" in refused.output and "--force" in refused.output


# -- scheduled backups -------------------------------------------------------------------------------------


def test_one_scheduled_backup_is_claimed_per_interval(app):
    now = datetime(2027, 1, 10, 3, tzinfo=UTC)
    day = timedelta(hours=24)
    assert backup.claim_scheduled_backup(day, now)
    assert not backup.claim_scheduled_backup(day, now)  # a second dispatcher in the same round
    assert not backup.claim_scheduled_backup(day, now + timedelta(hours=23))
    assert backup.claim_scheduled_backup(day, now + timedelta(hours=24))
    # A failed backup is tried again after BACKUP_RETRY, not a day later.
    backup.release_scheduled_backup(day, now + timedelta(hours=24))
    assert backup.claim_scheduled_backup(day, now + timedelta(hours=24) + backup.BACKUP_RETRY)


def test_pruning_keeps_the_newest_archives_and_drops_old_leftovers(tmp_path):
    names = [backup.archive_name(datetime(2027, 1, d, tzinfo=UTC)) for d in range(1, 6)]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    other = tmp_path / "hand-made.tar"
    other.write_bytes(b"kept: not the schedule's")
    stale = tmp_path / (names[0] + ".partial")
    stale.write_bytes(b"killed mid-way")
    os.utime(stale, (0, 0))
    fresh = tmp_path / (names[-1] + ".partial")
    fresh.write_bytes(b"being written")
    dropped = backup.prune_backups(tmp_path, keep=2)
    assert [p.name for p in dropped] == names[:3]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*names[3:], other.name, fresh.name])


def test_the_dispatchers_schedule_writes_an_archive_once_per_interval_and_prunes(source, app, tmp_path):
    folder = tmp_path / "backups"
    schedule = BackupSchedule(app, folder, timedelta(hours=1), keep=1)
    old = folder / backup.archive_name(datetime(2020, 1, 1, tzinfo=UTC))
    folder.mkdir()
    old.write_bytes(b"an older archive")
    assert schedule.tick()
    schedule.thread.join(timeout=120)
    assert not schedule.thread.is_alive()
    [written] = folder.glob(f"{backup.ARCHIVE_PREFIX}*{backup.ARCHIVE_SUFFIX}")
    assert written != old  # pruned to the newest one
    assert backup.verify_archive(written)["attachments"]["count"] == 1
    assert not schedule.tick()  # the slot is taken for this hour
