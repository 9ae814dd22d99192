"""Faults of the attachment store: a full disk answers 503 `unavailable` (with Retry-After, logged once, never a
traceback), and the temp files of uploads cut off by a killed worker are swept by the dispatcher."""

import errno
import logging
import os
import subprocess
import time
from pathlib import Path

import pytest

from server.cli import UploadSweep
from server.services import attachments
from server.services.attachments import FileStore
from tests.api.test_attachments import attachment_row, sha, upload
from tests.conftest import PNG_1PX

FULL_ANSWER = {"error": {"code": "unavailable",
                         "message": "服务器存储空间已满，请稍后再试 / the server's storage is full; try again later"}}


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 64 KB filesystem (tmpfs) for the attachments, where mounting is allowed (root); else skipped."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                          capture_output=True, timeout=10)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True, timeout=10)


def storage_errors(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == attachments.__name__ and r.levelno >= logging.ERROR]


def assert_full_answer(response):
    assert response.status_code == 503
    assert response.json == FULL_ANSWER
    assert int(response.headers["Retry-After"]) > 0


def test_upload_on_a_full_disk_answers_503_once_in_the_log(app, staff, tiny_disk, caplog):
    app.config["ATTACHMENTS_DIR"] = str(tiny_disk)
    big = PNG_1PX + os.urandom(200_000)  # more than the whole filesystem holds
    caplog.set_level(logging.INFO)
    for _ in range(3):  # the phone's retries
        assert_full_answer(upload(staff, big))
    [logged] = storage_errors(caplog)
    assert "full" in logged.getMessage() and logged.exc_info is None
    assert not [r for r in caplog.records if r.exc_info], "no traceback for a full disk"
    assert attachment_row(sha(big)) is None
    assert not [p for p in tiny_disk.rglob("*") if p.is_file()], "no temp file left behind"
    # Space comes back (a small file fits): the upload is stored and the log says so, once.
    small = PNG_1PX + b"fits"
    assert upload(staff, small).status_code == 201
    assert attachment_row(sha(small)) is not None
    assert any("takes writes again" in r.getMessage() for r in caplog.records)


def test_upload_answers_503_when_the_write_raises_enospc(app, staff, monkeypatch, caplog):
    real_fsync = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    data = PNG_1PX + b"enospc"
    with monkeypatch.context() as patch:
        patch.setattr(attachments.os, "fsync", full)
        for _ in range(2):
            assert_full_answer(upload(staff, data))
    assert len(storage_errors(caplog)) == 1
    assert not [p for p in Path(app.config["ATTACHMENTS_DIR"]).rglob(".upload-*")]
    assert attachments.os.fsync is real_fsync
    assert upload(staff, data).status_code == 201


def test_other_write_errors_are_not_called_a_full_disk(app, staff, monkeypatch):
    def broken(fd):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(attachments.os, "fsync", broken)
    response = upload(staff, PNG_1PX + b"eio")
    assert response.status_code == 500 and response.json["error"]["code"] == "internal_error"


def make_temp(root: Path, name: str, age_seconds: float) -> Path:
    folder = root / "ab" / "cd"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"half an upload")
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return path


def test_sweep_removes_only_stale_upload_temp_files(tmp_path):
    root = tmp_path / "attachments"
    stale = make_temp(root, ".upload-stale", 2 * 3600)
    fresh = make_temp(root, ".upload-fresh", 60)
    kept = make_temp(root, "ab" + "0" * 62, 2 * 3600)  # a stored attachment, however old
    assert FileStore(str(root)).sweep_stale_uploads(3600) == 1
    assert not stale.exists() and fresh.exists() and kept.exists()
    assert FileStore(str(tmp_path / "none")).sweep_stale_uploads(3600) == 0


def test_dispatcher_sweeps_at_start_then_every_interval(app, tmp_path):
    root = Path(app.config["ATTACHMENTS_DIR"])
    sweep = UploadSweep(app, every_seconds=900, max_age_seconds=3600)
    make_temp(root, ".upload-one", 7200)
    assert sweep.tick(now=1000.0) == 1  # at start
    make_temp(root, ".upload-two", 7200)
    assert sweep.tick(now=1500.0) is None  # not due yet
    assert sweep.tick(now=1900.0) == 1
    assert not list(root.rglob(".upload-*"))
