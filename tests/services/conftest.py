"""Service tests: services called directly in an app context on a copy of the seeded database; no client."""

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import ChangeLog, Recipient, User
from server.services.auth import actor_for
from tests.conftest import mutation, new_id


def actor(username: str, device_id: str = "service-test"):
    user = db.session.execute(select(User).where(User.username == username)).scalar_one()
    return actor_for(user, device_id=device_id)


@pytest.fixture
def staff_actor(app):
    return actor("staff_demo")


@pytest.fixture
def reviewer_actor(app):
    return actor("reviewer_demo")


@pytest.fixture
def admin_actor(app):
    return actor("admin_demo")


@pytest.fixture
def own_recipient_id(app, staff_actor):
    """A recipient in staff_demo's township."""
    from server.models import Area

    return db.session.execute(
        select(Recipient.id).join(Area, Area.id == Recipient.area_id)
        .where(Area.path.startswith(staff_actor.area_path)).order_by(Recipient.id)).scalars().first()


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def change_count() -> int:
    return count(ChangeLog)


__all__ = ["actor", "change_count", "count", "mutation", "new_id"]
