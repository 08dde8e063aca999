from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField


class WorkflowsForm(FlaskForm):
    automate_portal_invites = BooleanField(
        "Automate portal invites",
        description="Every new client with an e-mail address is sent a portal invite as soon as the record is added.")
    intake_form = SelectField(
        "Send intake form on client creation", validate_choice=True,
        description="Every new client finds this form waiting in their portal as soon as the record is added "
                    "(with an e-mail that says only that something new is there).")


class SecurityForm(FlaskForm):
    require_staff_mfa = BooleanField(
        "Require two-step sign-in of all staff",
        description="Staff who haven't set up an authenticator app are asked to, at their next page, before "
                    "anything else.")
