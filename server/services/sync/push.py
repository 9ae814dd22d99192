"""Sync push: plan a device's batch, write it, commit once; race-safe and retried.

If the database refuses the planned rows (another request applied the same mutation or created the same id
meanwhile: the primary keys decide, never a check-then-insert), the whole transaction is rolled back and the
batch planned again against what is now committed; the last attempt writes the batch in a savepoint and, if
refused again, applies it one mutation per savepoint.
"""

import logging

from sqlalchemy.exc import IntegrityError, OperationalError

from ...extensions import db
from .. import changes
from ..actors import Actor
from .plan import plan_batch
from .write import queue_side_effects, write_plan

log = logging.getLogger(__name__)

# PostgreSQL's deadlock_detected and serialization_failure: the transaction lost a race and may run again.
RETRYABLE_SQLSTATES = ("40P01", "40001")
PUSH_ATTEMPTS = 5


def _apply(actor: Actor, mutations: list, id_number_limit: int | None, savepoint: bool) -> list[dict]:
    """Plan and write mutations; IntegrityError propagates, the queued change-log and audit rows dropped.

    With `savepoint`, the writes are undone on failure and the transaction goes on (the last attempt's
    one-mutation-at-a-time fallback). Without one (a SAVEPOINT and its RELEASE are two round trips on
    PostgreSQL), a failure leaves the transaction to be rolled back whole: the caller does so before
    anything else runs in it.
    """
    planner, results = plan_batch(actor, mutations, id_number_limit=id_number_limit)
    position = changes.mark()
    nested = db.session.begin_nested() if savepoint else None
    try:
        write_plan(planner.plan)
        queue_side_effects(planner.plan)
        if nested is not None:
            nested.commit()
    except Exception:
        if nested is not None:
            nested.rollback()
        changes.rollback_to(position)
        raise
    return results


def push(actor: Actor, mutations: list, id_number_limit: int | None = None) -> dict:
    """Apply a device's batch in order; answer every mutation; commit once.

    `id_number_limit`: how many full ID numbers the actor may send an hour (a phone's push; None for the
    office's roster import, which is audited per file).

    When another push commits some of the same ids first (a retry, a second tab), the whole transaction is
    rolled back and planned again, so those now answer duplicate: holding no locks between attempts, and
    writing rows in one order, concurrent batches never deadlock. Only the last attempt writes in savepoints:
    the batch in one, then, if it is refused, one savepoint per mutation (which can deadlock, and is then run
    again too, while attempts remain). The others write with none: a refused batch rolls back whole.
    """
    for attempt in range(1, PUSH_ATTEMPTS + 1):
        last = attempt == PUSH_ATTEMPTS
        try:
            return _push_once(actor, mutations, id_number_limit, one_by_one_on_race=last)
        except IntegrityError:
            if last:
                raise
            log.info("push batch raced another writer; planning it again (attempt %d)", attempt + 1)
        except OperationalError as err:
            if last or getattr(err.orig, "sqlstate", None) not in RETRYABLE_SQLSTATES:
                raise
            log.info("push batch deadlocked with another writer; running it again (attempt %d)", attempt + 1)
        db.session.rollback()
        changes.take_last_seq()
    raise AssertionError("unreachable")


def _push_once(actor: Actor, mutations: list, id_number_limit: int | None, one_by_one_on_race: bool) -> dict:
    try:
        results = _apply(actor, mutations, id_number_limit, savepoint=one_by_one_on_race)
    except IntegrityError:
        if not one_by_one_on_race:
            raise
        log.info("push batch raced another writer; applying one mutation at a time")
        results = []
        for mutation in mutations:
            try:
                results.extend(_apply(actor, [mutation], id_number_limit, savepoint=True))
            except IntegrityError:
                # Re-planned against what is now committed: the race's winner answers (duplicate/conflict).
                results.extend(_apply(actor, [mutation], id_number_limit, savepoint=True))
    # The newest change number: the one this commit hands out, or, when the push changed nothing, the
    # newest one now (read before committing, in this transaction's view).
    cursor = None if changes.changed() else changes.newest_change()
    db.session.commit()
    found = changes.take_last_seq()
    return {"results": results, "cursor": found if found is not None else cursor}
