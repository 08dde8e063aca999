from wtforms import EmailField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length

from app.auth.forms import EMAIL_MAX
from app.form_base import OnceForm, PageForm, options, stripped

ROLE_LABELS = {"owner": "Owner", "admin": "Admin", "practitioner": "Practitioner"}
ROLE_HINTS = {
    "owner": "Runs everything, including who the owners are.",
    "admin": "Runs the team and the workspace settings; sees every client. Can't make or remove owners.",
    "practitioner": "Sees the clients on their roster.",
}


def role_choices(roles) -> list:
    return options((role, ROLE_LABELS[role]) for role in roles)


class InviteStaffForm(OnceForm):
    name = StringField("Name", filters=[stripped], validators=[
        DataRequired("Enter your colleague's name."), Length(max=120, message="Use at most 120 characters.")])
    email = EmailField("E-mail address", filters=[stripped], validators=[
        DataRequired("Enter your colleague's e-mail address."), Length(max=EMAIL_MAX),
        Email("Enter a valid e-mail address, like name@example.com.")])
    role = SelectField("Role", validate_choice=True)


class RoleForm(PageForm):
    role = SelectField("Role", validate_choice=True)


class RosterForm(PageForm):
    """Add or remove one client; the search and page being looked at come along, to come back to them."""

    client_id = IntegerField(validators=[InputRequired()])
    q = HiddenField()
    page = HiddenField()
    find = HiddenField()
    found = HiddenField()
