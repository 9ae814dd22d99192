"""Recipients' papers: the archive 档案 as a page and as a PDF (WeasyPrint, Chinese, local times, photos and
signatures from the attachment store), and a village's or township's archives as one streamed ZIP of PDFs.

The bulk archive holds one recipient in memory at a time: their rows are read, their PDF made, written into
the ZIP and sent, and the session forgets them before the next, so a township of thousands streams in flat
memory. The PDF engine reads no URL but the attachments of the recipient it prints.
"""

import ctypes
import gc
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import render_template
from sqlalchemy import select

from ..extensions import db
from ..models import Area, Attachment, Recipient
from ..models.base import utcnow
from . import labels
from .actors import Actor
from .archive import archive_data, recipient_archive
from .changes import record_audit
from .errors import InvalidInput, NotFound
from .scope import area_in_scope
from .timezone import format_local, local_today
from .zipstream import Member, safe_name, stream_zip

PDF_MIMETYPE = "application/pdf"
ATTACHMENT_PATH = "/api/attachments/"
# The PDF's base: the page's attachment links resolve under it, and nothing else is fetched.
PDF_BASE = "https://zoufang.invalid/"
ARCHIVE_LEVELS = ("township", "village")
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
# WeasyPrint narrates every layout step at INFO: a township's archive would fill the log.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def archive_html(data: dict, zone: str, src=None) -> str:
    """The archive page: local times (`2026-12-04 23:23`), labels in Chinese, photos at `src(sha)`."""
    return render_template("archive.html", a=data, L=labels, printed=format_local(utcnow(), zone),
                           when=lambda value: format_local(value, zone),
                           src=src or (lambda sha: f"{ATTACHMENT_PATH}{sha}"))


@dataclass
class Pdf:
    content: bytes
    pages: int


def _fetcher(store, allowed: dict[str, str]):
    """WeasyPrint's URL fetcher: this recipient's attachments from the store, and nothing else (no network,
    no local files); a refused or missing one prints as its alternative text."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class AttachmentFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            sha = parts.path.removeprefix(ATTACHMENT_PATH)
            if (f"{parts.scheme}://{parts.netloc}/" != PDF_BASE or not parts.path.startswith(ATTACHMENT_PATH)
                    or sha not in allowed or not store.exists(sha)):
                raise ValueError("not an attachment of this archive")
            return URLFetcherResponse(url, store.get(sha), {"Content-Type": allowed[sha]})

    return AttachmentFetcher()


def archive_pdf(data: dict, zone: str, store, fonts=None) -> Pdf:
    """The archive as an A4 PDF. An attachment missing from the store prints as its alternative text.
    `fonts`: a WeasyPrint FontConfiguration to reuse (a bulk archive makes one, not one per PDF)."""
    from weasyprint import HTML  # heavy (Pango): loaded by the first PDF, not by every process start

    shas = {sha for v in data["visits"] for sha in [*v["photos"], v["signature"]] if sha}
    allowed = dict(db.session.execute(
        select(Attachment.sha256, Attachment.content_type)
        .where(Attachment.sha256.in_(shas), Attachment.content_type.in_(IMAGE_TYPES))).all()) if shas else {}
    html = archive_html(data, zone, src=lambda sha: f"{PDF_BASE}{ATTACHMENT_PATH.lstrip('/')}{sha}")
    document = HTML(string=html, base_url=PDF_BASE, url_fetcher=_fetcher(store, allowed)).render(
        **({"font_config": fonts} if fonts is not None else {}))
    return Pdf(document.write_pdf(), len(document.pages))


def recipient_pdf(actor: Actor, recipient_id: str, zone: str, store) -> tuple[Pdf, str]:
    """One recipient's archive PDF and its download name (audited as the archive's export)."""
    data = recipient_archive(actor, recipient_id)
    recipient = data["recipient"]
    return archive_pdf(data, zone, store), f"{safe_name(recipient['name'], 20)}_档案.pdf"


def _archive_area(actor: Actor, area_id: int) -> Area:
    area = area_in_scope(actor, area_id)
    if area is None:
        raise NotFound("No such area")
    if area.level not in ARCHIVE_LEVELS:
        raise InvalidInput("请选择乡镇(街道)或村(社区) / choose a township or a village", {"area": [
            "请选择乡镇(街道)或村(社区) / choose a township or a village"]})
    return area


def area_recipients(area: Area) -> list[tuple[str, str, str]]:
    """(recipient id, name, village name) of every recipient in the area's subtree, by village then name."""
    return [tuple(row) for row in db.session.execute(
        select(Recipient.id, Recipient.name, Area.name).join(Area, Area.id == Recipient.area_id)
        .where(Area.path.startswith(area.path, autoescape=True))
        .order_by(Area.code, Recipient.name, Recipient.id))]


RELEASE_EVERY = 20


def release_memory() -> None:
    """Collect the layout's reference cycles and give the freed heap back to the system (glibc keeps freed
    pages of the many mid-sized buffers a PDF needs, so RSS would creep up over a township's archive)."""
    gc.collect()
    if _libc is not None:
        _libc.malloc_trim(0)


def _load_libc():
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim  # noqa: B018  (glibc only; elsewhere nothing to trim)
        return libc
    except (OSError, AttributeError):
        return None


_libc = _load_libc()


def member_path(level: str, recipient_id: str, name: str, village: str) -> str:
    """`<village>/<name>_<id prefix>.pdf` (a township's ZIP has a folder per village; a village's is flat)."""
    file = f"{safe_name(name, 20)}_{recipient_id[:8]}.pdf"
    return file if level == "village" else f"{safe_name(village, 40)}/{file}"


def bulk_archive(actor: Actor, area_id: int, zone: str, store, pages: list | None = None
                 ) -> tuple[Iterator[bytes], str]:
    """(the ZIP's chunks, its download name): a PDF per recipient of the area, made one at a time as the ZIP
    streams. The export is audited once, before streaming starts. `pages`, when given, collects each PDF's
    page count (the benchmark's throughput)."""
    area = _archive_area(actor, area_id)
    people = area_recipients(area)
    level, download = area.level, f"{safe_name(area.name, 40)}_档案"
    record_audit(actor, "report.archive_export", "area", str(area.id), {"recipients": len(people)})
    db.session.commit()
    today = local_today(zone)
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    made = [0]

    def pdf_of(recipient_id: str):
        def produce():
            recipient = db.session.get(Recipient, recipient_id)
            pdf = archive_pdf(archive_data(recipient), zone, store, fonts) if recipient else None
            # Forget this recipient's rows before the next one: memory stays flat over thousands.
            db.session.expunge_all()
            made[0] += 1
            if made[0] % RELEASE_EVERY == 0:
                release_memory()
            if pdf is None:
                return []
            if pages is not None:
                pages.append(pdf.pages)
            return [pdf.content]
        return produce

    members = (Member(member_path(level, rid, name, village), today, pdf_of(rid)) for rid, name, village in people)
    # PDFs are compressed already: the quickest deflate level keeps the CPU for the PDF engine.
    return stream_zip(members, compresslevel=1), f"{download}_{today.isoformat()}.zip"
