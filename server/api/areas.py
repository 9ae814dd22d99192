"""Areas: the tree the caller may see (their subtree and its ancestors)."""

from flask import Blueprint, g

from ..services.areas import area_tree
from . import doc

bp = Blueprint("areas", __name__, url_prefix="/api/areas")


@bp.get("")
@doc("The areas visible to the caller, ordered by path")
def list_areas():
    return {"items": area_tree(g.actor)}
