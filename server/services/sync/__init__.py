"""Sync push: apply a device's mutations in order, each as if in its own savepoint, exactly once.

plan.py plans a batch in memory (answers and rows, nothing written; ops.py holds what each op checks and
stages, on the domain's rules), write.py writes a Plan with executemany, push.py runs the transaction and
its retries; cursors.py gives the device's view of push and pull (cursors and answers carrying the database's
epoch). The names other modules import stay here.
"""

from .cursors import pull_changes, push_mutations
from .ops import HANDLERS, Stale
from .plan import Planner, device_time, payload_hash, plan_batch
from .push import PUSH_ATTEMPTS, push
from .write import Plan, State, write_plan

__all__ = ["HANDLERS", "PUSH_ATTEMPTS", "Plan", "Planner", "Stale", "State", "device_time", "payload_hash",
           "plan_batch", "pull_changes", "push", "push_mutations", "write_plan"]
