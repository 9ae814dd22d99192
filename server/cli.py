"""flask commands: seed-demo, create-admin, users revoke, reminders send-due / run, vapid, backup / restore, epoch."""

import getpass
import random
import uuid
from datetime import date, timedelta

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from .domain.recipients import CATEGORIES, id_number_check_digit
from .extensions import db
from .models import Area, Recipient, User
from .models.base import utcnow
from .services import auth as auth_service
from .services import sync
from .services import users as user_service
from .services.areas import create_area
from .services.campaigns import create_campaign
from .services.errors import DomainError

DEMO_PASSWORD = "Demo@2026"
TOWNSHIPS = {
    "城关镇": ["东关村", "西街社区", "南门村"],
    "青山乡": ["青山村", "石桥村", "柳树村"],
    "河口镇": ["河口村", "新河村", "渡口村"],
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["建国", "秀英", "桂兰", "志强", "玉兰", "德明", "淑珍", "国华", "海燕", "永福", "红梅", "文军",
         "春花", "立新", "凤英", "长生", "金凤", "卫东", "丽华", "保国"]


def demo_id_number(rng: random.Random, gender: str) -> str:
    born = date(1935, 1, 1) + timedelta(days=rng.randrange(0, 365 * 60))
    serial = rng.randrange(0, 50) * 2 + (1 if gender == "male" else 0)
    first17 = f"990102{born:%Y%m%d}{rng.randrange(0, 10)}{serial:02d}"
    return first17 + id_number_check_digit(first17)


def seed_demo() -> bool:
    """Make the demo county; does nothing when the database already has users (but gives a demo database of
    an earlier release the creation campaign it lacks)."""
    if db.session.execute(select(func.count()).select_from(User)).scalar_one():
        return seed_creation_demo()
    rng = random.Random(2026)
    county = create_area("990100", "示范县", "county")
    villages: list[Area] = []
    for t_index, (township_name, village_names) in enumerate(TOWNSHIPS.items(), start=1):
        township = create_area(f"9901{t_index:02d}", township_name, "township", county.id)
        for v_index, village_name in enumerate(village_names, start=1):
            code = f"9901{t_index:02d}{v_index:03d}"
            villages.append(create_area(code, village_name, "village", township.id))
    first_township = villages[0].parent_id
    staff = user_service.create_user("staff_demo", "李晓红（城关镇）", DEMO_PASSWORD, "staff", first_township)
    user_service.create_user("reviewer_demo", "王建军（县退役军人事务局）", DEMO_PASSWORD, "reviewer", county.id)
    admin = user_service.create_user("admin_demo", "系统管理员", DEMO_PASSWORD, "admin", county.id)
    admin_actor = auth_service.actor_for(admin, device_id="seed-demo")
    mutations = []
    for index in range(60):
        gender = "male" if index % 3 else "female"
        village = villages[index % len(villages)]
        mutations.append({
            "id": str(uuid.uuid4()), "op": "recipient.create", "base_version": None,
            "data": {
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "name": rng.choice(SURNAMES) + rng.choice(GIVEN), "gender": gender,
                "id_number": demo_id_number(rng, gender), "phone": f"13{rng.randrange(100000000, 999999999)}",
                "address": f"{village.name}{rng.randrange(1, 80)}号", "area_id": village.id,
                "category": CATEGORIES[index % len(CATEGORIES)], "tags": [], "notes": None,
            },
        })
    sync.push(admin_actor, mutations)
    # A few visits and difficulties by staff_demo in their township, so the phone has work to show.
    staff_actor = auth_service.actor_for(staff, device_id="seed-demo")
    own = db.session.execute(
        select(Recipient).where(Recipient.area_id.in_([v.id for v in villages[:3]])).order_by(Recipient.name)
    ).scalars().all()
    now = utcnow()
    work = []
    for index, recipient in enumerate(own[:6]):
        visit_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        work.append({"id": str(uuid.uuid4()), "op": "visit.create", "base_version": None, "data": {
            "id": visit_id, "recipient_id": recipient.id,
            "visited_at": (now - timedelta(days=3 + index)).isoformat() + "Z", "kind": "routine",
            "occasion": "日常走访", "participants": "李晓红", "gifts": "米、油", "cash_cents": 0,
            "notes": "身体状况良好", "photos": [], "signature": None, "no_signature_reason": None,
            "location": None}})
        if index < 3:
            work.append({"id": str(uuid.uuid4()), "op": "difficulty.create", "base_version": None, "data": {
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "recipient_id": recipient.id,
                "visit_id": visit_id, "category": ["medical", "housing", "living"][index],
                "description": ["慢性病用药负担重", "房屋漏雨需修缮", "冬季取暖困难"][index],
                "urgency": "urgent" if index == 0 else "normal",
                "follow_up_at": (now + timedelta(days=index - 1)).isoformat() + "Z",
                "due_date": (now + timedelta(days=14)).date().isoformat()}})
    sync.push(staff_actor, work)
    year = now.year + (1 if now.month >= 12 else 0)
    create_campaign(admin_actor, f"{year}年春节走访慰问", date(year, 1, 1), date(year, 2, 28), CATEGORIES, county.id)
    seed_creation_demo()
    return True


def seed_creation_demo() -> bool:
    """The demo's creation campaign 创建攻坚 (units, liaison_demo, the standard, the table, evidence), once, and
    only into the demo county (a real deployment's database is never touched)."""
    from .models import Unit
    from .models.creation import Standard
    from .services.creation.demo import demo_users
    from .services.creation.demo import seed_creation_demo as seed

    admin, reviewer = demo_users()
    if admin is None or reviewer is None or db.session.execute(select(Unit.id)).first() \
            or db.session.execute(select(Standard.id)).first():
        return False
    seed(auth_service.actor_for(admin, device_id="seed-demo"), auth_service.actor_for(reviewer, device_id="seed-demo"),
         reviewer.area_id, current_app.config["TIMEZONE"], DEMO_PASSWORD)
    return True


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Load the demo county 示范县 (idempotent: nothing is added to a database with users)."""
        if seed_demo():
            click.echo("Demo data loaded: staff_demo / reviewer_demo / admin_demo / liaison_demo, "
                       "password Demo@2026")
        else:
            click.echo("The database already has data; seed-demo added nothing.")

    @app.cli.command("create-admin")
    @click.option("--username", prompt=True)
    @click.option("--display-name", default="管理员")
    @click.option("--area-code", help="The admin's area (default: the root area; created with --area-name)")
    @click.option("--area-name", default=None, help="Create a county with this name when no area exists")
    @click.option("--password", default=None, help="Prompted for when omitted")
    def create_admin_command(username, display_name, area_code, area_name, password):
        """Create the first administrator of a real deployment (no default password exists)."""
        area = None
        if area_code:
            area = db.session.execute(select(Area).where(Area.code == area_code)).scalar_one_or_none()
        else:
            area = db.session.execute(select(Area).where(Area.parent_id.is_(None)).order_by(Area.id)).scalars().first()
        if area is None:
            if not area_name:
                raise click.UsageError("No area yet: give --area-name (and --area-code) to create the county")
            area = create_area(area_code or "000000", area_name, "county")
        if password is None:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Repeat: "):
                raise click.UsageError("The passwords differ")
        if len(password) < 10:
            raise click.UsageError("Use at least 10 characters")
        try:
            user = user_service.create_user(username, display_name, password, "admin", area.id)
        except DomainError as err:  # a username that exists
            raise click.UsageError(err.message) from err
        click.echo(f"Admin {user.username} created for {area.name}")

    users = click.Group("users", help="Manage accounts.")
    app.cli.add_command(users)

    @users.command("revoke")
    @click.argument("username")
    def revoke_command(username):
        """End every session of USERNAME (a lost phone)."""
        user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            raise click.UsageError(f"No user {username}")
        count = auth_service.revoke_sessions(user.id, None)
        click.echo(f"Revoked {count} session(s) of {username}")

    register_push_commands(app)
    register_backup_commands(app)


def register_push_commands(app: Flask) -> None:
    """`reminders send-due` (cron), `reminders run` (the Procfile's dispatcher) and `vapid`."""
    import signal
    import threading

    from . import keys, push
    from .services import reminders as reminder_service
    from .services import subscriptions

    reminders = click.Group("reminders", help="Make today's reminders and push due notifications.")
    app.cli.add_command(reminders)

    def dispatch_once(batch_size: int) -> reminder_service.DispatchReport:
        try:
            reminder_service.schedule_due(zone_name=app.config["TIMEZONE"])
            return reminder_service.send_due(pusher=push.get_pusher(app), batch_size=batch_size)
        finally:
            db.session.remove()

    @reminders.command("send-due")
    @click.option("--batch-size", default=100, show_default=True, help="Rows claimed per transaction")
    def send_due_command(batch_size):
        """Create today's reminders and send every due notification once (safe from many hosts at once)."""
        report = dispatch_once(batch_size)
        click.echo(f"claimed {report.claimed}, sent {report.sent}, no subscription {report.no_subscription}, "
                   f"retrying {report.retrying}, failed {report.failed}, expired {report.expired}, "
                   f"pruned subscriptions {report.pruned_subscriptions}")

    @reminders.command("run")
    @click.option("--interval", default=30.0, show_default=True, help="Seconds between rounds")
    @click.option("--batch-size", default=100, show_default=True)
    def run_command(interval, batch_size):
        """Dispatch in a loop until SIGTERM or SIGINT (finishes the round in progress, then exits 0)."""
        stop = threading.Event()

        def _stop(signum, _frame):
            app.logger.info("reminders: %s received, stopping", signal.Signals(signum).name)
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        click.echo(f"Reminder dispatcher running every {interval:g} s", err=True)
        backups = BackupSchedule.from_config(app)
        sweep = UploadSweep.from_config(app)
        job_worker = JobWorker(app, stop)
        job_worker.start()
        if backups:
            click.echo(f"Backups every {backups.interval} into {backups.directory}, the newest "
                       f"{backups.keep} kept", err=True)
        while not stop.is_set():
            try:
                dispatch_once(batch_size)
            except Exception:  # a database restart must not end the dispatcher: log, wait, try again
                app.logger.exception("reminders: dispatch round failed")
            if backups:
                backups.tick()
            sweep.tick()
            stop.wait(interval)
        job_worker.join(timeout=30)  # a job still running then is marked interrupted by a later dispatcher
        click.echo("Reminder dispatcher stopped", err=True)

    jobs_group = click.Group("jobs", help="Exports and imports queued through /api/jobs.")
    app.cli.add_command(jobs_group)

    @jobs_group.command("run-pending")
    def run_pending_command():
        """Run every queued job once, then exit (the dispatcher does this continuously)."""
        from .services import jobs as job_service

        try:
            ran = job_service.run_pending(app.config["TIMEZONE"])
        finally:
            db.session.remove()
        click.echo(f"ran {ran} job(s)")

    @app.cli.command("vapid")
    @click.option("--rotate", is_flag=True, help="Make a new key pair; every push subscription is dropped")
    def vapid_command(rotate):
        """Show the VAPID public key every host uses (configured, or made once in the database)."""
        if rotate:
            try:
                pem = keys.rotate_vapid_key(app)
            except keys.Configured as exc:
                raise click.UsageError(str(exc)) from exc
            dropped = subscriptions.delete_all_subscriptions()
            click.echo(f"New VAPID key; {dropped} subscription(s) dropped (browsers subscribe anew)", err=True)
            vapid = push.vapid_from_text(pem)
        else:
            vapid = push.get_pusher(app).vapid
        click.echo(push.public_key_of(vapid))


class JobWorker:
    """The dispatcher's job thread: runs queued jobs as soon as they come (every JOB_POLL_SECONDS), beside the
    reminder rounds, and once a minute fails jobs a killed dispatcher left running and purges old ones."""

    HOUSEKEEPING_SECONDS = 60

    def __init__(self, app: Flask, stop):
        import threading

        self.app = app
        self.stop = stop
        self.thread = threading.Thread(target=self.loop, name="jobs", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def join(self, timeout: float | None = None) -> None:
        self.thread.join(timeout)

    def loop(self) -> None:
        import time
        from datetime import timedelta

        from .services import jobs as job_service

        config = self.app.config
        worker = job_service.worker_name()
        housekept = None
        while not self.stop.is_set():
            ran = 0
            with self.app.app_context():
                try:
                    if housekept is None or time.monotonic() - housekept >= self.HOUSEKEEPING_SECONDS:
                        housekept = time.monotonic()
                        job_service.fail_stale(timedelta(minutes=config["JOB_STALE_MINUTES"]))
                        job_service.purge_finished(timedelta(hours=config["JOB_KEEP_HOURS"]))
                    ran = job_service.run_pending(config["TIMEZONE"], worker, limit=10)
                except Exception:  # a database restart must not end the job thread
                    self.app.logger.exception("jobs: round failed")
                finally:
                    db.session.remove()
            if not ran:
                self.stop.wait(config["JOB_POLL_SECONDS"])


class UploadSweep:
    """The dispatcher removes the temp files of uploads a killed worker left behind: at its start, then every
    UPLOAD_SWEEP_MINUTES (only files older than UPLOAD_TEMP_MAX_AGE_MINUTES: younger ones may be uploads in
    progress on another host). Several dispatchers sweeping at once is harmless."""

    def __init__(self, app: Flask, every_seconds: float, max_age_seconds: float):
        self.app = app
        self.every = every_seconds
        self.max_age = max_age_seconds
        self.last: float | None = None

    @classmethod
    def from_config(cls, app: Flask) -> "UploadSweep":
        return cls(app, app.config["UPLOAD_SWEEP_MINUTES"] * 60, app.config["UPLOAD_TEMP_MAX_AGE_MINUTES"] * 60)

    def tick(self, now: float | None = None) -> int | None:
        """Sweep when due; the number of files removed, or None when it was not due."""
        import time

        from .services.attachments import FileStore

        now = time.monotonic() if now is None else now
        if self.last is not None and now - self.last < self.every:
            return None
        self.last = now
        try:
            removed = FileStore(self.app.config["ATTACHMENTS_DIR"]).sweep_stale_uploads(self.max_age)
        except OSError:
            self.app.logger.exception("attachments: sweeping unfinished uploads failed")
            return 0
        if removed:
            self.app.logger.info("attachments: removed %d unfinished upload(s)", removed)
        return removed


class BackupSchedule:
    """The dispatcher's scheduled backups: each round asks the database whether this interval's slot is free
    (one dispatcher wins it, however many hosts run one) and writes the archive in a thread, so reminders go
    on meanwhile. An interrupted backup leaves only a `.partial` file, which a later one removes."""

    def __init__(self, app: Flask, directory, interval, keep: int):
        self.app = app
        self.directory = directory
        self.interval = interval
        self.keep = keep
        self.thread = None

    @classmethod
    def from_config(cls, app: Flask) -> "BackupSchedule | None":
        from datetime import timedelta
        from pathlib import Path

        config = app.config
        if not config.get("BACKUP_DIR"):
            return None
        return cls(app, Path(config["BACKUP_DIR"]), timedelta(hours=config["BACKUP_INTERVAL_HOURS"]),
                   config["BACKUP_KEEP"])

    def tick(self) -> bool:
        """Start this interval's backup when it is due and none is running; True when one started."""
        import threading

        from .services import backup as backup_service

        if self.thread is not None and self.thread.is_alive():
            return False
        try:
            due = backup_service.claim_scheduled_backup(self.interval)
        except Exception:
            self.app.logger.exception("backup: could not check the schedule")
            return False
        finally:
            db.session.remove()
        if due:
            self.thread = threading.Thread(target=self.run, name="scheduled-backup", daemon=True)
            self.thread.start()
        return due

    def run(self) -> None:
        from .services import backup as backup_service

        with self.app.app_context():
            try:
                path = backup_service.run_scheduled_backup(backup_service.Instance.from_config(self.app.config),
                                                           self.directory, self.keep, app_version())
                self.app.logger.info("backup: wrote %s", path)
            except Exception:
                self.app.logger.exception("backup: scheduled backup failed; trying again in %s",
                                          backup_service.BACKUP_RETRY)
                try:
                    backup_service.release_scheduled_backup(self.interval)
                except Exception:
                    self.app.logger.exception("backup: could not release the schedule")
            finally:
                db.session.remove()


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("zoufang")
    except PackageNotFoundError:
        return "unknown"


def register_backup_commands(app: Flask) -> None:
    """`backup PATH`, `restore PATH [--force]` and `epoch [--renew]`."""
    from pathlib import Path

    from .services import backup as backup_service
    from .services.sync import cursors

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    def backup_command(path):
        """Write one archive of the instance to PATH: the database (consistent while writes go on), the
        attachments and the instance secrets, with a manifest of checksums."""
        db.session.remove()
        try:
            manifest = backup_service.create_backup(backup_service.Instance.from_config(app.config), path,
                                                    app_version())
        except backup_service.BackupError as err:
            raise click.ClickException(str(err)) from err
        files = manifest["attachments"]
        click.echo(f"Backup written to {path}: {manifest['database']['dialect']} database "
                   f"(revision {manifest['database']['alembic_revision']}, epoch {manifest['epoch']}), "
                   f"{files['count']} attachment(s) ({files['bytes']} bytes), "
                   f"secrets: {', '.join(manifest['secrets']) or 'none in the instance folder'}")
        if files["left_out_corrupt"]:
            click.echo(f"Warning: {len(files['left_out_corrupt'])} attachment(s) do not match their hash and "
                       f"were left out: {', '.join(files['left_out_corrupt'])}", err=True)

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--force", is_flag=True, help="Replace the database and secrets of a non-empty instance")
    def restore_command(path, force):
        """Restore an archive made by `backup` into this (empty) instance, with a new database epoch."""
        db.session.remove()
        db.engine.dispose()  # nothing of this process may hold the database that is about to be replaced
        try:
            done = backup_service.restore_backup(backup_service.Instance.from_config(app.config), path, force)
        except backup_service.BackupError as err:
            raise click.ClickException(str(err)) from err
        manifest = done["manifest"]
        click.echo(f"Restored {path} (made {manifest['created_at']} by version {manifest['app_version']}): "
                   f"{manifest['database']['dialect']} database at revision "
                   f"{manifest['database']['alembic_revision']}, {done['attachments']} attachment(s), "
                   f"secrets: {', '.join(done['secrets']) or 'none'}.")
        click.echo(f"New database epoch {done['epoch']} (was {manifest['epoch']}): every phone that synced with "
                   "the old server gets 410 cursor_expired and re-sends what it holds.")
        click.echo("Next: `flask --app server db upgrade` (when this version is newer than the archive), then "
                   "start the server.")

    @app.cli.command("epoch")
    @click.option("--renew", is_flag=True, help="Give the database a new epoch (after restoring it by other "
                                                "means: a file copy, a PostgreSQL point-in-time recovery)")
    def epoch_command(renew):
        """Show the database's epoch, the id every sync cursor carries."""
        if renew:
            db.session.remove()
            with db.engine.begin() as connection:
                old, new = cursors.renew_epoch(connection)
            click.echo(f"Epoch {old} replaced: phones get 410 cursor_expired and re-send what they hold", err=True)
            click.echo(new)
        else:
            click.echo(cursors.current_epoch().id)
            db.session.remove()


__all__ = ["BackupSchedule", "JobWorker", "UploadSweep", "app_version", "register", "seed_demo"]
