"""What the page chrome and e-mails show of a practice, and which practice a signed-out visitor is looking at."""

import hashlib
from pathlib import Path

from flask import current_app, session, url_for
from flask_login import current_user
from sqlalchemy import select

from app.branding.models import Branding
from app.db import db
from app.security import static_fingerprint
from app.tenancy import DEFAULT_BRAND_COLOUR, Workspace

REMEMBERED_PRACTICE = "practice"  # session key kept after signing out, so the login page stays the practice's


def branding_of(workspace_id: int) -> Branding | None:
    return db.session.get(Branding, workspace_id)


def stylesheet_fingerprint(workspace) -> str:
    """Of our stylesheet and the practice's colour (None: our stylesheet alone, for no particular practice)."""
    base = static_fingerprint(Path(current_app.static_folder) / "porch.css")
    colour = workspace.brand_colour if workspace is not None else ""
    return hashlib.sha256(f"{base}:{colour}".encode()).hexdigest()[:12]


def brand_details(workspace) -> dict:
    branding = branding_of(workspace.id)
    logo = None
    if branding is not None and branding.logo_fingerprint:
        logo = {"url": url_for("branding.logo", workspace_id=workspace.id, v=branding.logo_fingerprint),
                "width": branding.logo_width // 2 or 1, "height": branding.logo_height // 2 or 1}
    return {
        "logo": logo,
        "stylesheet_url": url_for("branding.stylesheet", workspace_id=workspace.id,
                                  v=stylesheet_fingerprint(workspace)),
        "welcome": branding.portal_welcome if branding else None,
    }


def remember_practice(workspace_id: int) -> None:
    session[REMEMBERED_PRACTICE] = workspace_id


def practice_of_visitor():
    """The practice a signed-out page shows: the one this browser last signed out of, or the only one there is."""
    remembered = session.get(REMEMBERED_PRACTICE)
    if isinstance(remembered, int) and (workspace := db.session.get(Workspace, remembered)) is not None:
        return workspace
    only = db.session.scalars(select(Workspace).order_by(Workspace.id).limit(2)).all()
    return only[0] if len(only) == 1 else None


def brand_of_unknown_practice() -> dict:
    """A signed-out page that can't tell which of several practices it is for: neutral once any of them is
    white-labelled, since its clients may be the ones looking."""
    plain = {**PORCH_BRAND, "logo": None, "welcome": None,
             "stylesheet_url": url_for("branding.plain_stylesheet", v=stylesheet_fingerprint(None))}
    if db.session.scalar(select(Workspace.id).where(Workspace.white_label.is_(True)).limit(1)) is None:
        return plain
    return {**plain, "name": "Client portal", "initials": "CP", "white_label": True}


PORCH_BRAND = {"name": "Porch", "colour": DEFAULT_BRAND_COLOUR, "initials": "P", "white_label": False}


def brand_context() -> dict:
    """What the page chrome shows: the signed-in user's practice, or the practice a page is about."""
    return {"brand": brand_of(current_user.workspace if current_user.is_authenticated else practice_of_visitor())}


def brand_of(workspace: Workspace | None) -> dict:
    if workspace is None:
        return brand_of_unknown_practice()
    return {"name": workspace.name, "colour": workspace.brand_colour, "initials": workspace.initials,
            "white_label": workspace.white_label, **brand_details(workspace)}
