"""The Getting started checklist on the owner's home, and Settings → Workspace settings → Start from a pattern."""

from flask import Blueprint, abort, request, url_for
from flask_login import current_user

from app.auth.access import staff_required
from app.db import db
from app.form_base import ButtonForm
from app.getting_started.checklist import STEPS, getting_started, put_away
from app.getting_started.forms import ApplyPatternForm
from app.getting_started.patterns import PATTERNS, apply_pattern, changes
from app.getting_started.policy import sees_getting_started
from app.pages import fragment_or_see_other, render
from app.settings.policy import may_change_workspace_settings

bp = Blueprint("getting_started", __name__)


@bp.app_template_global()
def getting_started_checklist() -> dict | None:
    """What the staff home's checklist shows (None: nothing, for anyone but an owner who hasn't put it away)."""
    steps = getting_started(current_user)
    if steps is None:
        return None
    return {"steps": steps, "done": sum(step.done for step in steps), "of": STEPS, "button_form": ButtonForm()}


@bp.post("/getting-started/dismiss")
@staff_required
def dismiss():
    if not sees_getting_started(current_user):
        abort(403)
    put_away(current_user.workspace)
    db.session.commit()
    return fragment_or_see_other("clients/index.html", "getting_started/_put_away.html", url_for("clients.index"),
                                 dict, notice="Getting started is put away.")


@bp.route("/settings/patterns", methods=["GET", "POST"])
@staff_required
def patterns():
    if not may_change_workspace_settings(current_user):
        abort(403)
    workspace = current_user.workspace
    form = ApplyPatternForm(pattern=request.args.get("pattern"))
    if form.validate_on_submit():
        apply_pattern(form.pattern.data, workspace, current_user)
        db.session.commit()
        return fragment_or_see_other("getting_started/patterns.html", "getting_started/_preview.html",
                                     url_for("getting_started.patterns"),
                                     lambda: {**_context(workspace, None), "form": ApplyPatternForm()},
                                     notice=f"The {PATTERNS[form.pattern.data].name} pattern is applied. "
                                            "Apply another at any time to change again.")
    chosen = form.pattern.data if form.pattern.data in PATTERNS else None
    status = 422 if form.is_submitted() else (404 if request.args.get("pattern") and not chosen else 200)
    return render("getting_started/patterns.html", "getting_started/_preview.html", http_status=status,
                  **_context(workspace, chosen), form=form)


def _context(workspace, chosen: str | None) -> dict:
    return {"patterns": PATTERNS, "chosen": chosen, "changes": changes(PATTERNS[chosen], workspace) if chosen else []}
