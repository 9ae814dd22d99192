"""server/ratelimit.py: Flask-Limiter's fixed-window counters in the app's database."""

import time

import pytest
import time_machine
from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from server.ratelimit import DatabaseStorage


@pytest.fixture
def storage(app):
    return storage_from_string("zoufang+db://")


def test_the_scheme_names_the_database_storage(storage):
    assert isinstance(storage, DatabaseStorage)
    assert storage.check()


def test_a_counter_counts_within_its_window_and_starts_again_after_it(storage):
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3 and storage.get("other") == 0
    assert time.time() + 55 < storage.get_expiry("k") <= time.time() + 60
    with time_machine.travel(time.time() + 61, tick=False):
        assert storage.get("k") == 0
        assert storage.incr("k", 60, amount=2) == 2
    storage.clear("k")
    assert storage.get("k") == 0


def test_reset_forgets_every_counter(storage):
    storage.incr("a", 60)
    storage.incr("b", 60)
    assert storage.reset() == 2
    assert storage.get("a") == storage.get("b") == 0


def test_a_fixed_window_limiter_on_it_refuses_the_hit_after_the_limit(storage):
    limiter = FixedWindowRateLimiter(storage)
    five = RateLimitItemPerMinute(5)
    assert [limiter.hit(five, "ip", "1.2.3.4") for _ in range(6)] == [True] * 5 + [False]
    assert limiter.hit(five, "ip", "5.6.7.8")
    assert limiter.get_window_stats(five, "ip", "1.2.3.4").remaining == 0
