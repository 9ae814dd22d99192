"""Backup and restore: one tar archive with a consistent copy of the database, the attachments and the secrets.

The archive (`tar`, uncompressed: photos do not compress) holds
    database/zoufang.sqlite3.gz   SQLite: the online backup API's copy, gzipped  (or)
    database/zoufang.pgdump       PostgreSQL: `pg_dump --format=custom`
    secrets/secret_key, secrets/vapid_private.pem   the instance folder's keys (those that exist)
    attachments/ab/cd/<sha256>    every content-addressed file
    manifest.json                 written last: format, versions, dialect, epoch, every checksum

Consistency while writes go on: SQLite's backup API copies the whole database in one step under one read
snapshot (WAL lets writers continue); pg_dump reads in one snapshot. The attachments are copied *after* the
database: a file is stored before the row or mutation naming it commits (services/attachments.py), so every
hash the copied database names is already on disk; files that arrive later are harmless extras. The archive
is written as `<name>.partial` and renamed when complete, so a crash never leaves a plausible half archive.

`restore` fills an empty instance (a database without users, an empty attachments folder; `force` replaces
what is there), after checking every checksum and before touching anything: attachments and secrets first,
the database last, with a new epoch (services/sync/cursors.py), so phones that synced with the lost server get
410 and re-send what they hold.
"""

import gzip
import hashlib
import io
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, inspect, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import make_url

from ..extensions import db
from ..models import DatabaseMeta
from .sync.cursors import EPOCH_KEY, renew_epoch

log = logging.getLogger(__name__)

FORMAT = "zoufang-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DB_MEMBERS = {"sqlite": "database/zoufang.sqlite3.gz", "postgresql": "database/zoufang.pgdump"}
SECRET_FILES = ("secret_key", "vapid_private.pem")
ARCHIVE_PREFIX = "zoufang-backup-"
ARCHIVE_SUFFIX = ".tar"
SHA256_NAME = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1 << 20
BACKUP_CLAIM_KEY = "scheduled_backup_at"
BACKUP_RETRY = timedelta(minutes=15)


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Instance:
    """Where an instance keeps its state: the database, the attachments folder, the instance folder (secrets)."""

    database_url: str
    instance_dir: Path
    attachments_dir: Path

    @classmethod
    def from_config(cls, config) -> "Instance":
        return cls(config["SQLALCHEMY_DATABASE_URI"], Path(config["INSTANCE_DIR"]), Path(config["ATTACHMENTS_DIR"]))

    @property
    def dialect(self) -> str:
        name = make_url(self.database_url).get_backend_name()
        if name not in DB_MEMBERS:
            raise BackupError(f"Backups support SQLite and PostgreSQL, not {name}")
        return name


# -- small helpers --------------------------------------------------------------------------------------------


class _HashingReader:
    """A file object that hashes what is read through it (tarfile.addfile reads it once)."""

    def __init__(self, raw):
        self.raw = raw
        self.hash = hashlib.sha256()

    def read(self, size=-1):
        data = self.raw.read(size)
        self.hash.update(data)
        return data


def _sha256_stream(stream) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _libpq(url: str) -> tuple[str, dict]:
    """A libpq connection string for pg_dump/pg_restore, its password in the environment (not the argv)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(argv: list[str], env: dict) -> None:
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    except FileNotFoundError as err:
        raise BackupError(f"{argv[0]} is not installed (PostgreSQL's client tools are needed)") from err
    if done.returncode != 0:
        raise BackupError(f"{argv[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _meta_value(connection, key: str) -> str | None:
    table = DatabaseMeta.__table__
    return connection.execute(select(table.c.value).where(table.c.key == key)).scalar()


def _revision(connection) -> str | None:
    try:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # no alembic_version table: a database that was never migrated
        return None


# -- backup -----------------------------------------------------------------------------------------------------


def _snapshot_sqlite(url: str, work: Path) -> tuple[Path, str | None, str | None]:
    source_path = _sqlite_path(url)
    if not source_path.exists():
        raise BackupError(f"No database at {source_path}")
    copy = work / "zoufang.sqlite3"
    source = sqlite3.connect(source_path, timeout=60)
    target = sqlite3.connect(copy)
    try:
        # pages=-1: the whole database in one step, under one read snapshot: consistent while writers go on.
        source.backup(target, pages=-1)
        target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        status = target.execute("PRAGMA quick_check").fetchone()[0]
        if status != "ok":
            raise BackupError(f"The copied database fails its check: {status}")
        epoch = target.execute("SELECT value FROM database_meta WHERE key = ?", (EPOCH_KEY,)).fetchone()
        revision = target.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError as err:
        raise BackupError(f"The database at {source_path} cannot be backed up: {err}") from err
    finally:
        target.close()
        source.close()
    packed = work / "zoufang.sqlite3.gz"
    with open(copy, "rb") as raw, gzip.open(packed, "wb", compresslevel=6) as out:
        shutil.copyfileobj(raw, out, CHUNK)
    copy.unlink()
    return packed, epoch[0] if epoch else None, revision[0] if revision else None


def _snapshot_postgresql(url: str, work: Path) -> tuple[Path, str | None, str | None]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            # Only a restore changes these, never a running server: reading them beside the dump is exact.
            epoch, revision = _meta_value(connection, EPOCH_KEY), _revision(connection)
    finally:
        engine.dispose()
    dump = work / "zoufang.pgdump"
    conninfo, env = _libpq(url)
    # pg_dump reads every table in one snapshot (repeatable read): consistent while writers go on.
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={dump}", f"--dbname={conninfo}"],
         env)
    return dump, epoch, revision


def _add_file(tar: tarfile.TarFile, path: Path, name: str) -> dict:
    info = tar.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    with open(path, "rb") as handle:
        reader = _HashingReader(handle)
        tar.addfile(info, reader)
    return {"sha256": reader.hash.hexdigest(), "size": info.size}


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _attachment_files(root: Path):
    """(sha256, path) of every stored attachment, in a stable order; temp files of uploads are left out."""
    if not root.is_dir():
        return
    for directory, subdirs, files in os.walk(root):
        subdirs.sort()
        for name in sorted(files):
            if SHA256_NAME.match(name):
                yield name, Path(directory) / name


def _add_attachments(tar: tarfile.TarFile, root: Path) -> tuple[dict, list[str]]:
    stored: dict[str, int] = {}
    corrupt: list[str] = []
    for sha, path in _attachment_files(root):
        if sha in stored:
            continue
        # Hashed as it goes into the archive: a file that does not match its name (a damaged disk) is reported
        # and left out of the manifest, so restore never puts it back; it must not stop every backup.
        entry = _add_file(tar, path, f"attachments/{sha[:2]}/{sha[2:4]}/{sha}")
        if entry["sha256"] != sha:
            corrupt.append(sha)
            log.error("backup: attachment %s does not match its hash; left out", sha)
            continue
        stored[sha] = entry["size"]
    return stored, corrupt


def create_backup(instance: Instance, target: Path, app_version: str) -> dict:
    """Write one archive of the instance to `target` (atomically); answer its manifest."""
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} exists; choose a new name")
    target.parent.mkdir(parents=True, exist_ok=True)
    dialect = instance.dialect
    partial = target.with_name(target.name + ".partial")
    work = Path(tempfile.mkdtemp(prefix=".zoufang-backup-", dir=target.parent))
    try:
        snapshot = _snapshot_sqlite if dialect == "sqlite" else _snapshot_postgresql
        created_at = datetime.now(UTC)
        db_file, epoch, revision = snapshot(instance.database_url, work)
        # 0600: the archive holds the secret key and the VAPID private key.
        raw = os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")
        with raw, tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            database = {"dialect": dialect, "file": DB_MEMBERS[dialect], "alembic_revision": revision,
                        **_add_file(tar, db_file, DB_MEMBERS[dialect])}
            db_file.unlink()
            secrets = {}
            for name in SECRET_FILES:
                path = instance.instance_dir / name
                if path.is_file():
                    secrets[name] = _add_file(tar, path, f"secrets/{name}")
            # After the database snapshot: every hash it names is on disk already (see the module docstring).
            attachments, corrupt = _add_attachments(tar, instance.attachments_dir)
            manifest = {
                "format": FORMAT, "format_version": FORMAT_VERSION,
                "created_at": created_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
                "app_version": app_version, "epoch": epoch, "database": database, "secrets": secrets,
                "attachments": {"count": len(attachments), "bytes": sum(attachments.values()),
                                "files": attachments, "left_out_corrupt": corrupt},
            }
            _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
            tar.close()  # writes the end-of-archive blocks before the fsync
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, target)
        _fsync_dir(target.parent)
        return manifest
    finally:
        shutil.rmtree(work, ignore_errors=True)
        partial.unlink(missing_ok=True)


# -- restore ----------------------------------------------------------------------------------------------------


def read_manifest(archive: Path) -> dict:
    with _open_archive(archive) as tar:
        return _manifest(tar)


def _open_archive(archive: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(archive, "r:")
    except FileNotFoundError as err:
        raise BackupError(f"No archive at {archive}") from err
    except tarfile.TarError as err:
        raise BackupError(f"{archive} is not a backup archive ({err})") from err


def _manifest(tar: tarfile.TarFile) -> dict:
    try:
        member = tar.getmember(MANIFEST)
    except KeyError as err:
        raise BackupError("The archive has no manifest.json: it is incomplete or not a backup") from err
    except tarfile.TarError as err:
        raise BackupError(f"The archive is damaged ({err})") from err
    manifest = json.loads(tar.extractfile(member).read())
    if manifest.get("format") != FORMAT:
        raise BackupError("The archive is not a 走访通 backup")
    if manifest.get("format_version", 0) > FORMAT_VERSION:
        raise BackupError(f"The archive's format {manifest['format_version']} is newer than this version reads "
                          f"({FORMAT_VERSION}): restore it with the version that made it")
    return manifest


def _expected_members(manifest: dict) -> dict[str, str]:
    """Every member the manifest names, with its sha256."""
    database = manifest["database"]
    expected = {database["file"]: database["sha256"]}
    expected.update({f"secrets/{name}": entry["sha256"] for name, entry in manifest["secrets"].items()})
    for sha in manifest["attachments"]["files"]:
        expected[f"attachments/{sha[:2]}/{sha[2:4]}/{sha}"] = sha
    return expected


def verify_archive(archive: Path) -> dict:
    """Check every checksum the manifest lists (and that nothing it lists is missing); answer the manifest."""
    with _open_archive(archive) as tar:
        manifest = _manifest(tar)
        _verify(tar, manifest)
    return manifest


def _verify(tar: tarfile.TarFile, manifest: dict) -> None:
    members = {m.name: m for m in tar.getmembers() if m.isfile()}
    for name, sha in _expected_members(manifest).items():
        member = members.get(name)
        if member is None:
            raise BackupError(f"The archive lacks {name}: it is incomplete")
        if _sha256_stream(tar.extractfile(member)) != sha:
            raise BackupError(f"{name} does not match its checksum: the archive is damaged")


def _database_contents(instance: Instance) -> tuple[bool, int]:
    """(has tables, users) of the target database; a missing SQLite file has neither."""
    if instance.dialect == "sqlite":
        path = _sqlite_path(instance.database_url)
        if not path.exists() or path.stat().st_size == 0:
            return False, 0
    engine = create_engine(instance.database_url)
    try:
        with engine.connect() as connection:
            tables = inspect(connection).get_table_names()
            users = connection.execute(text("SELECT count(*) FROM users")).scalar() if "users" in tables else 0
    finally:
        engine.dispose()
    return bool(tables), users


def _attachment_count(root: Path) -> int:
    return sum(1 for _ in _attachment_files(root))


def check_empty(instance: Instance) -> None:
    """Refuse a target that holds anything worth keeping: users in the database, or attachments."""
    _, users = _database_contents(instance)
    files = _attachment_count(instance.attachments_dir)
    problems = []
    if users:
        problems.append(f"its database holds {users} user(s)")
    if files:
        problems.append(f"its attachments folder {instance.attachments_dir} holds {files} file(s)")
    if problems:
        raise BackupError("The target instance is not empty: " + " and ".join(problems) + ". restore only fills "
                          "an empty instance (a new database and an empty attachments folder); pass --force to "
                          "replace everything in it with the archive.")


def _extract_verified(tar: tarfile.TarFile, member: tarfile.TarInfo, sha: str, target: Path) -> None:
    """Write a member to `target` through a temp file in its folder, checking its hash on the way."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".restore-")
    try:
        digest = hashlib.sha256()
        source = tar.extractfile(member)
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != sha:
            raise BackupError(f"{member.name} does not match its checksum: the archive is damaged")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _restore_attachments(tar: tarfile.TarFile, manifest: dict, root: Path) -> int:
    count = 0
    for sha in manifest["attachments"]["files"]:
        name = f"attachments/{sha[:2]}/{sha[2:4]}/{sha}"
        _extract_verified(tar, tar.getmember(name), sha, root / sha[:2] / sha[2:4] / sha)
        count += 1
    return count


def _restore_secrets(tar: tarfile.TarFile, manifest: dict, instance_dir: Path) -> list[str]:
    for name, entry in manifest["secrets"].items():
        target = instance_dir / name
        _extract_verified(tar, tar.getmember(f"secrets/{name}"), entry["sha256"], target)
        target.chmod(0o600)
    return sorted(manifest["secrets"])


def _renew_epoch_at(url: str) -> tuple[str | None, str]:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            return renew_epoch(connection)
    finally:
        engine.dispose()


def _restore_sqlite(tar: tarfile.TarFile, manifest: dict, url: str) -> str:
    target = _sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    database = manifest["database"]
    packed = target.with_name(f".restore-{uuid.uuid4().hex}.sqlite3.gz")
    copy = packed.with_suffix("")
    try:
        _extract_verified(tar, tar.getmember(database["file"]), database["sha256"], packed)
        with gzip.open(packed, "rb") as source, open(copy, "wb") as out:
            shutil.copyfileobj(source, out, CHUNK)
            out.flush()
            os.fsync(out.fileno())
        check = sqlite3.connect(copy)
        try:
            status = check.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            check.close()
        if status != "ok":
            raise BackupError(f"The archived database fails its integrity check: {status}")
        # The new epoch goes in before the file takes its place: the restored database never runs without it.
        _, epoch = _renew_epoch_at(f"sqlite:///{copy}")
        for stale in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
            stale.unlink(missing_ok=True)  # another database's log must never be replayed into this one
        os.replace(copy, target)
        _fsync_dir(target.parent)
        return epoch
    finally:
        packed.unlink(missing_ok=True)
        copy.unlink(missing_ok=True)


def _restore_postgresql(tar: tarfile.TarFile, manifest: dict, url: str) -> str:
    has_tables, _ = _database_contents(Instance(url, Path("."), Path(".")))
    if has_tables:
        # A migrated but unused database, or --force: start from an empty schema, as pg_restore expects.
        engine = create_engine(url)
        try:
            with engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        finally:
            engine.dispose()
    database = manifest["database"]
    with tempfile.TemporaryDirectory(prefix="zoufang-restore-") as work:
        dump = Path(work) / "zoufang.pgdump"
        _extract_verified(tar, tar.getmember(database["file"]), database["sha256"], dump)
        conninfo, env = _libpq(url)
        _run(["pg_restore", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
              f"--dbname={conninfo}", str(dump)], env)
    _, epoch = _renew_epoch_at(url)
    return epoch


def restore_backup(instance: Instance, archive: Path, force: bool = False) -> dict:
    """Restore an archive into an empty instance (or, with `force`, over one); answer what was restored."""
    with _open_archive(Path(archive)) as tar:
        manifest = _manifest(tar)
        dialect = manifest["database"]["dialect"]
        if dialect != instance.dialect:
            raise BackupError(f"The archive holds a {dialect} database and DATABASE_URL names a "
                              f"{instance.dialect} one: restore into the same kind of database")
        if not force:
            check_empty(instance)
        _verify(tar, manifest)  # every checksum, before anything is touched
        attachments = _restore_attachments(tar, manifest, instance.attachments_dir)
        secrets = _restore_secrets(tar, manifest, instance.instance_dir)
        restore = _restore_sqlite if dialect == "sqlite" else _restore_postgresql
        epoch = restore(tar, manifest, instance.database_url)  # last: once it is in place, the instance is whole
    return {"manifest": manifest, "epoch": epoch, "attachments": attachments, "secrets": secrets}


# -- scheduled backups (the dispatcher) -------------------------------------------------------------------------


def claim_scheduled_backup(interval: timedelta, now: datetime | None = None) -> bool:
    """Take this interval's backup slot (one dispatcher wins, however many hosts run one); False when the
    last claim is younger than `interval`. Commits."""
    now = now or datetime.now(UTC)
    table = DatabaseMeta.__table__
    try:
        seen = db.session.execute(select(table.c.value).where(table.c.key == BACKUP_CLAIM_KEY)).scalar()
        if seen is not None and now - datetime.fromisoformat(seen) < interval:
            return False
        value = now.isoformat()
        if seen is None:
            module = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite_dialect
            claim = module.insert(table).values(key=BACKUP_CLAIM_KEY, value=value).on_conflict_do_nothing()
        else:
            claim = update(table).where(table.c.key == BACKUP_CLAIM_KEY, table.c.value == seen).values(value=value)
        # RETURNING, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT here.
        won = db.session.execute(claim.returning(table.c.key)).first() is not None
        db.session.commit()
        return won
    except BaseException:
        db.session.rollback()
        raise


def release_scheduled_backup(interval: timedelta, now: datetime | None = None) -> None:
    """After a failed backup: let the next attempt come in BACKUP_RETRY rather than a whole interval later."""
    now = now or datetime.now(UTC)
    table = DatabaseMeta.__table__
    retry_at = now - interval + BACKUP_RETRY
    db.session.execute(update(table).where(table.c.key == BACKUP_CLAIM_KEY).values(value=retry_at.isoformat()))
    db.session.commit()


def archive_name(now: datetime) -> str:
    return f"{ARCHIVE_PREFIX}{now:%Y%m%dT%H%M%S}Z{ARCHIVE_SUFFIX}"


def prune_backups(directory: Path, keep: int) -> list[Path]:
    """Keep the newest `keep` archives of the schedule (names sort by time); drop older ones and leftovers of
    a backup that was killed (a `.partial` or temp folder older than a day)."""
    archives = sorted(p for p in directory.glob(f"{ARCHIVE_PREFIX}*{ARCHIVE_SUFFIX}") if p.is_file())
    dropped = archives[:-keep] if keep > 0 else []
    for path in dropped:
        path.unlink(missing_ok=True)
    cutoff = datetime.now(UTC).timestamp() - 86400
    for leftover in [*directory.glob(f"{ARCHIVE_PREFIX}*.partial"), *directory.glob(".zoufang-backup-*")]:
        if leftover.stat().st_mtime < cutoff:
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
    return dropped


def run_scheduled_backup(instance: Instance, directory: Path, keep: int, app_version: str,
                         now: datetime | None = None) -> Path:
    """Write this slot's archive into `directory` and prune to the newest `keep`."""
    now = now or datetime.now(UTC)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / archive_name(now)
    create_backup(instance, target, app_version)
    prune_backups(directory, keep)
    return target
