from app import clock
from app.audit.trail import record
from app.branding.logo import PreparedLogo
from app.branding.models import Branding
from app.db import db


def change_branding(workspace, *, name: str, brand_colour: str, white_label: bool, portal_welcome: str | None,
                    email_signature: str | None, logo: PreparedLogo | None, remove_logo: bool) -> None:
    branding = db.session.get(Branding, workspace.id)
    if branding is None:
        branding = Branding(workspace_id=workspace.id, updated_at=clock.now())
        db.session.add(branding)
    workspace.name, workspace.brand_colour, workspace.white_label = name, brand_colour, white_label
    branding.portal_welcome, branding.email_signature = portal_welcome or None, email_signature or None
    if logo is not None:
        set_logo(branding, logo)
    elif remove_logo:
        branding.logo_png = branding.logo_fingerprint = branding.logo_width = branding.logo_height = None
    branding.updated_at = clock.now()
    record("settings.branding_changed", workspace_id=workspace.id)


def set_logo(branding: Branding, logo: PreparedLogo) -> None:
    branding.logo_png, branding.logo_fingerprint = logo.png, logo.fingerprint
    branding.logo_width, branding.logo_height = logo.width, logo.height
