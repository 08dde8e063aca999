from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import URL, InputRequired, Length, NumberRange, Optional, ValidationError

from app.appointments.models import KINDS, LONGEST_APPOINTMENT
from app.form_base import OnceForm, WholeNumberField, options, stripped

LONGEST_MINUTES = int(LONGEST_APPOINTMENT.total_seconds() // 60)


class AppointmentForm(OnceForm):
    day = DateField("Date", validators=[InputRequired("Choose the date.")])
    start = TimeField("Start time", validators=[InputRequired("Choose the start time, like 10:00.")])
    duration_minutes = WholeNumberField("Length in minutes", default=50, validators=[
        InputRequired("Give the length in minutes."),
        NumberRange(5, LONGEST_MINUTES, f"Use a length from 5 to {LONGEST_MINUTES} minutes.")])
    practitioner = SelectField("Practitioner", coerce=int, validate_choice=True)
    kind = RadioField("Kind", choices=options(KINDS.items()), default="telehealth", validate_choice=True)
    join_url = StringField("Telehealth join link", filters=[stripped], validators=[
        Length(max=500, message="Use at most 500 characters.")])
    location = StringField("Location", filters=[stripped], validators=[
        Length(max=200, message="Use at most 200 characters.")],
        description="For in-person appointments, e.g. “Room 2, 14 Sydney Road”.")
    note = TextAreaField("Note for the client", filters=[stripped], validators=[
        Optional(), Length(max=1000, message="Use at most 1,000 characters.")],
        description="Shown to the client in their portal, never in e-mails.")
    book_anyway = BooleanField("Book anyway, even though it overlaps")

    def validate_join_url(self, field):
        if self.kind.data == "telehealth" and not field.data:
            raise ValidationError("Add the link the client uses to join.")
        if field.data:
            if not field.data.lower().startswith(("https://", "http://")):
                raise ValidationError("Enter the full link, starting with https://.")
            URL(require_tld=False, message="Enter the full link, starting with https://.")(self, field)

    def validate_location(self, field):
        if self.kind.data == "in_person" and not field.data:
            raise ValidationError("Say where the appointment takes place.")
