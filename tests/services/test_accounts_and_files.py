"""auth.login and attachments.store_attachment called directly: the domain errors they raise."""

import hashlib

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import Attachment, LoginFailure
from server.services import auth
from server.services.attachments import FileStore, store_attachment
from server.services.errors import AccountLocked, BadCredentials, HashMismatch, TooLarge, UnsupportedMedia
from tests.conftest import DEMO_PASSWORD, PNG_1PX

LOGIN = {"threshold": 3, "lock_minutes": 15, "idle_days": 30, "user_agent": "pytest", "ip": "10.0.0.1"}


def test_wrong_passwords_lock_the_source_even_to_the_right_one_and_tell_nothing_more(app):
    for _ in range(2):
        with pytest.raises(BadCredentials):
            auth.login("staff_demo", "wrong", **LOGIN)
    with pytest.raises(AccountLocked):
        auth.login("staff_demo", "wrong", **LOGIN)
    with pytest.raises(AccountLocked) as caught:
        auth.login("staff_demo", DEMO_PASSWORD, **LOGIN)
    assert caught.value.fields is None  # no locked_until: an unknown name's lock answers the same
    elsewhere = {**LOGIN, "ip": "10.0.0.2"}
    assert auth.login("staff_demo", DEMO_PASSWORD, **elsewhere)[0].username == "staff_demo"


def test_an_unknown_user_is_told_what_a_wrong_password_is(app):
    with pytest.raises(BadCredentials) as unknown:
        auth.login("nobody", DEMO_PASSWORD, **LOGIN)
    with pytest.raises(BadCredentials) as wrong:
        auth.login("staff_demo", "wrong", **LOGIN)
    assert unknown.value.to_dict() == wrong.value.to_dict()


def test_a_right_password_opens_a_session_and_resets_the_count(app):
    with pytest.raises(BadCredentials):
        auth.login("staff_demo", "wrong", **LOGIN)
    assert db.session.execute(select(func.count()).select_from(LoginFailure)).scalar_one() == 1
    user, token, csrf = auth.login("staff_demo", DEMO_PASSWORD, **LOGIN)
    assert user.username == "staff_demo" and token and csrf
    assert db.session.execute(select(func.count()).select_from(LoginFailure)).scalar_one() == 0


@pytest.fixture
def store(tmp_path):
    return FileStore(str(tmp_path / "attachments"))


def test_an_upload_is_checked_for_size_hash_and_image_type(staff_actor, store):
    digest = hashlib.sha256(PNG_1PX).hexdigest()
    with pytest.raises(TooLarge):
        store_attachment(store, staff_actor, digest, PNG_1PX, max_bytes=len(PNG_1PX) - 1)
    with pytest.raises(HashMismatch):
        store_attachment(store, staff_actor, "0" * 64, PNG_1PX, max_bytes=1000)
    text = b"not an image at all"
    with pytest.raises(UnsupportedMedia):
        store_attachment(store, staff_actor, hashlib.sha256(text).hexdigest(), text, max_bytes=1000)
    assert not store.exists(digest)

    assert store_attachment(store, staff_actor, digest, PNG_1PX, max_bytes=1000) is True
    assert store_attachment(store, staff_actor, digest, PNG_1PX, max_bytes=1000) is False
    assert store.get(digest) == PNG_1PX
    assert db.session.get(Attachment, digest).content_type == "image/png"
