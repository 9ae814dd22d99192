"""Models, one module per aggregate; importing this package registers every table."""

from .areas import Area
from .attachments import Attachment, AttachmentUploader
from .audit import AuditLog
from .campaigns import Campaign
from .creation import Category, Evidence, Item, Rectification, ScoreSnapshot, Standard, Unit
from .difficulties import Difficulty, FollowUp
from .jobs import Job
from .meta import DatabaseMeta
from .notifications import Notification, PushSubscription
from .recipients import DuplicateFlag, IdNumberCheck, Recipient
from .settings import SharedSetting
from .sync import AppliedMutation, ChangeCounter, ChangeLog
from .throttle import LoginFailure, RateLimitCounter
from .users import User, UserSession
from .visits import Visit, VisitAttachment

__all__ = [
    "AppliedMutation",
    "Area",
    "Attachment",
    "AttachmentUploader",
    "AuditLog",
    "Campaign",
    "Category",
    "ChangeCounter",
    "ChangeLog",
    "DatabaseMeta",
    "Difficulty",
    "DuplicateFlag",
    "Evidence",
    "FollowUp",
    "IdNumberCheck",
    "Item",
    "Job",
    "LoginFailure",
    "Notification",
    "PushSubscription",
    "RateLimitCounter",
    "Recipient",
    "Rectification",
    "ScoreSnapshot",
    "SharedSetting",
    "Standard",
    "Unit",
    "User",
    "UserSession",
    "Visit",
    "VisitAttachment",
]
