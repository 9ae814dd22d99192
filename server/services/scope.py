"""Area scopes: a user sees the subtree of their area (an admin sees everything; a liaison nothing)."""

from sqlalchemy import false, func, select

from ..domain.creation import LIAISON  # a liaison sees the tasks of their unit, never an area's records
from ..extensions import db
from ..models import Area
from .actors import Actor


def subtree_ids(actor: Actor):
    """A subquery of the area ids in the actor's subtree (for `column.in_(...)`)."""
    return select(Area.id).where(Area.path.startswith(actor.area_path, autoescape=True)).scalar_subquery()


def scope_filter(actor: Actor, area_column):
    """A WHERE clause limiting `area_column` to the actor's scope, or None when the scope is everything.

    A user at the only root of the area tree sees every area: leaving the filter out lets the database walk
    a date index newest-first instead of sorting the whole county's rows.
    """
    if actor.role == LIAISON:
        return false()
    if actor.sees_all or (actor.at_root and _single_root()):
        return None
    return area_column.in_(subtree_ids(actor))


def covers(actor: Actor, area: Area | None) -> bool:
    """Whether an area lies in the actor's subtree (False for no area)."""
    return area is not None and actor.role != LIAISON and (actor.sees_all or area.path.startswith(actor.area_path))


def area_in_scope(actor: Actor, area_id: int | None) -> Area | None:
    """The area, if it lies in the actor's subtree; None otherwise (callers answer 404 / a field error)."""
    area = db.session.get(Area, area_id) if area_id is not None else None
    return area if covers(actor, area) else None


def subtree_filter(path: str, area_column):
    """`area_column` within the subtree at `path`, or None when that subtree is the whole tree."""
    if path.count("/") == 2 and _single_root():
        return None
    subtree = select(Area.id).where(Area.path.startswith(path, autoescape=True))
    return area_column.in_(subtree.scalar_subquery())


def _single_root() -> bool:
    roots = db.session.execute(select(func.count()).select_from(Area).where(Area.parent_id.is_(None)))
    return roots.scalar_one() == 1


def apply_scope(query, actor: Actor, area_column):
    clause = scope_filter(actor, area_column)
    return query if clause is None else query.where(clause)


def directory_area_ids(actor: Actor) -> list[int] | None:
    """Areas whose names, users and campaigns the actor may see: the subtree and its ancestors."""
    if actor.sees_all:
        return None
    if actor.role == LIAISON:
        return []
    ancestors = [int(part) for part in actor.area_path.strip("/").split("/") if part]
    below = db.session.execute(
        select(Area.id).where(Area.path.startswith(actor.area_path, autoescape=True))
    ).scalars()
    return sorted(set(ancestors) | set(below))


class AreaPaths:
    """Area id → path, loaded on demand and kept for one request."""

    def __init__(self) -> None:
        self._paths: dict[int, tuple[str, str]] = {}

    def load(self, ids) -> None:
        missing = {i for i in ids if i is not None and i not in self._paths}
        if missing:
            rows = db.session.execute(select(Area.id, Area.path, Area.level).where(Area.id.in_(missing)))
            for area_id, path, level in rows:
                self._paths[area_id] = (path, level)

    def _get(self, area_id: int) -> tuple[str, str] | None:
        found = self._paths.get(area_id)
        if found is None:  # asked once per record on a pull page: the dict first, the database if missing
            self.load((area_id,))
            found = self._paths.get(area_id)
        return found

    def path(self, area_id: int) -> str | None:
        found = self._get(area_id)
        return found[0] if found else None

    def level(self, area_id: int) -> str | None:
        found = self._get(area_id)
        return found[1] if found else None

    def in_scope(self, actor: Actor, area_id: int | None) -> bool:
        if area_id is None or actor.role == LIAISON:
            return False
        path = self.path(area_id)
        if path is None:
            return False
        return actor.sees_all or path.startswith(actor.area_path)

    def in_directory(self, actor: Actor, area_id: int | None) -> bool:
        """In the subtree, or an ancestor of the actor's area."""
        if actor.role == LIAISON:
            return False
        if self.in_scope(actor, area_id):
            return True
        path = self.path(area_id) if area_id is not None else None
        return path is not None and actor.area_path.startswith(path)
