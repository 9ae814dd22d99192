"""Models, one module per aggregate; importing this package registers every table."""

from .areas import Area
from .attachments import Attachment
from .audit import AuditLog
from .campaigns import Campaign
from .difficulties import Difficulty, FollowUp
from .meta import DatabaseMeta
from .notifications import Notification, PushSubscription
from .recipients import Recipient
from .sync import AppliedMutation, ChangeCounter, ChangeLog
from .users import User, UserSession
from .visits import Visit, VisitAttachment

__all__ = [
    "AppliedMutation",
    "Area",
    "Attachment",
    "AuditLog",
    "Campaign",
    "ChangeCounter",
    "ChangeLog",
    "DatabaseMeta",
    "Difficulty",
    "FollowUp",
    "Notification",
    "PushSubscription",
    "Recipient",
    "User",
    "UserSession",
    "Visit",
    "VisitAttachment",
]
