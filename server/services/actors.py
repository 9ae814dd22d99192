"""Actor: who is acting (user, role, scope) and from where; built by the API layer from the session."""

from dataclasses import dataclass

from ..domain.creation import LIAISON

# A liaison (creation campaign) has no area scope: this path is the prefix of no area's (and not a root's), so
# any subtree check, here or in a query, finds nothing. server/services/scope.py also refuses them outright.
NO_AREA = "/-/-/"


@dataclass(frozen=True)
class Actor:
    user_id: int
    role: str
    area_id: int
    area_path: str
    device_id: str | None = None
    ip: str | None = None

    def __post_init__(self):
        if self.role == LIAISON:
            object.__setattr__(self, "area_path", NO_AREA)

    @property
    def sees_all(self) -> bool:
        return self.role == "admin"

    @property
    def at_root(self) -> bool:
        """The actor's area is a root of the area tree (a county deployment's county office)."""
        return self.area_path.count("/") == 2

    @property
    def is_office(self) -> bool:
        return self.role in ("reviewer", "admin")
