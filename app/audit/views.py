"""Settings → Audit log: every audited action in the practice, filtered, newest first."""

from flask import Blueprint, abort, request
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, SearchField, SelectField
from wtforms.validators import Length, Optional, ValidationError

from app.audit.policy import may_read_audit_log
from app.audit.reading import LogFilter, actions_in, log_page
from app.auth.access import staff_required
from app.auth.models import User
from app.clients.service import SEARCH_MAX
from app.db import db
from app.form_base import options, stripped
from app.pages import render

bp = Blueprint("audit", __name__, url_prefix="/settings/audit")


class LogFilterForm(FlaskForm):
    class Meta:
        csrf = False

    person = SelectField("Person", validators=[Optional()], validate_choice=True)
    # A search, not a list: a large practice has thousands of clients, and it works without JavaScript.
    client = SearchField("Client", filters=[stripped], validators=[Optional(), Length(max=SEARCH_MAX)],
                         description="Part of a name or e-mail address: what was done about the client, and what "
                                     "they did in the portal.")
    action = SelectField("Action", validators=[Optional()], validate_choice=True)
    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError("Choose a day on or after the first day.")


@bp.get("")
@staff_required
def index():
    if not may_read_audit_log(current_user):
        abort(403)
    workspace = current_user.workspace
    form = LogFilterForm(request.args)
    team = db.session.scalars(select(User).where(User.workspace_id == workspace.id, User.client_id.is_(None))
                              .order_by(User.name, User.id))
    form.person.choices = options([("", "Anyone"), *((str(u.id), u.name) for u in team)])
    form.action.choices = options([("", "Any action"), *((a, a) for a in actions_in(workspace.id))])
    filtered = any(request.args.get(name) for name in ("person", "client", "action", "since", "until"))
    if filtered and not form.validate():
        return render("audit/log.html", form=form, rows=[], older=None, workspace=workspace, query={},
                      http_status=422)
    chosen = LogFilter(person_id=_number(form.person.data), client=form.client.data or None,
                       action=form.action.data or None, since=form.since.data, until=form.until.data)
    rows, older = log_page(workspace.id, workspace.time_zone, chosen, before=request.args.get("before", type=int))
    query = {name: value for name in ("person", "client", "action", "since", "until")
             if (value := request.args.get(name))}
    return render("audit/log.html", "audit/_rows.html", form=form, rows=rows, older=older, workspace=workspace,
                  query=query)


def _number(value: str | None) -> int | None:
    return int(value) if value else None
