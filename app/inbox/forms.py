from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.form_base import OnceForm, options, stripped
from app.inbox.models import MESSAGE_MAX
from app.inbox.policy import MODES

BODY_MESSAGE = f"Messages can be up to {MESSAGE_MAX:,} characters."


def message_field():
    return TextAreaField("Message", filters=[stripped], validators=[
        DataRequired("Write a message first."), Length(max=MESSAGE_MAX, message=BODY_MESSAGE)],
        render_kw={"rows": 4, "maxlength": MESSAGE_MAX})


class ReplyForm(OnceForm):
    body = message_field()


class ComposeForm(OnceForm):
    client = SelectField("To", coerce=int, validate_choice=True)
    body = message_field()


class GroupForm(OnceForm):
    title = StringField("Group name", filters=[stripped], validators=[
        DataRequired("Name the group, e.g. Tuesday mobility class."), Length(max=120)])
    clients = SelectMultipleField("Clients", coerce=int, validate_choice=True,
                                  widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                  validators=[DataRequired("Choose at least two clients.")])
    body = message_field()

    def validate_clients(self, field):
        if len(field.data or []) < 2:
            raise ValidationError("Choose at least two clients.")


class NewConversationForm(OnceForm):
    staff = SelectField("To", coerce=int, validate_choice=True)
    body = message_field()


class CommunicationsForm(FlaskForm):
    mode = RadioField("How clients may write", choices=options((key, label) for key, (label, _) in MODES.items()))
    contact_note = TextAreaField(
        "How clients can reach you when they can't write", filters=[stripped],
        validators=[Optional(), Length(max=300, message="Use at most 300 characters.")],
        description="Shown to a client whose conversation is closed, e.g. \u201cCall us on 555 0100, "
                    "weekdays 9–5.\u201d", render_kw={"rows": 2})
