"""Models, one module per aggregate; importing this package registers every table."""

from .areas import Area
from .attachments import Attachment
from .audit import AuditLog
from .campaigns import Campaign
from .creation import Category, Evidence, Item, Rectification, ScoreSnapshot, Standard, Unit
from .difficulties import Difficulty, FollowUp
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
    "Category",
    "ChangeCounter",
    "ChangeLog",
    "Difficulty",
    "Evidence",
    "FollowUp",
    "Item",
    "Notification",
    "PushSubscription",
    "Recipient",
    "Rectification",
    "ScoreSnapshot",
    "Standard",
    "Unit",
    "User",
    "UserSession",
    "Visit",
    "VisitAttachment",
]
