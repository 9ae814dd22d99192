"""A recipient's archive 档案 (JSON and a printable page) and the audited reveal of the full ID number."""

from flask import Blueprint, current_app, g, render_template

from ..services import archive, labels
from . import doc, roles

bp = Blueprint("archive", __name__, url_prefix="/api/recipients")
OFFICE = ("reviewer", "admin")


@bp.get("/<recipient_id>/id-number")
@roles(*OFFICE)
@doc("The full ID number of a recipient (a reviewer opening the record); every read is audited", roles=OFFICE)
def reveal(recipient_id: str):
    return {"id_number": archive.reveal_id_number(g.actor, recipient_id)}


@bp.get("/<recipient_id>/archive")
@roles(*OFFICE)
@doc("The archive: profile, every visit with photos and signature, every difficulty with follow-ups",
     roles=OFFICE)
def archive_json(recipient_id: str):
    return archive.recipient_archive(g.actor, recipient_id)


@bp.get("/<recipient_id>/archive.html")
@roles(*OFFICE)
@doc("The archive as a printable page (print it to PDF from the browser)", produces="text/html",
     roles=OFFICE)
def archive_page(recipient_id: str):
    data = archive.recipient_archive(g.actor, recipient_id)
    html = render_template("archive.html", a=data, L=labels, zone=current_app.config["TIMEZONE"])
    return html, 200, {"Content-Type": "text/html; charset=utf-8"}
