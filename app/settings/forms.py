from flask_wtf import FlaskForm
from wtforms import BooleanField


class WorkflowsForm(FlaskForm):
    automate_portal_invites = BooleanField(
        "Automate portal invites",
        description="Every new client with an e-mail address is sent a portal invite as soon as the record is added.")
