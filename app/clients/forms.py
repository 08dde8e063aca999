from datetime import date
from functools import cache
from zoneinfo import available_timezones

from wtforms import DateField, EmailField, SelectField, SelectMultipleField, StringField, TelField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app import clock
from app.form_base import OnceForm, options, stripped

EARLIEST_BIRTH_DATE = date(1900, 1, 1)


@cache
def time_zone_choices() -> list:
    zones = sorted(z for z in available_timezones()
                   if "/" in z and not z.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/")))
    return options([("UTC", "UTC"), *[(z, z.replace("_", " ")) for z in zones]])


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ClientForm(OnceForm):
    first_name = StringField("First name", filters=[stripped], validators=[
        DataRequired("Enter the client's first name."), Length(max=60, message="Use at most 60 characters.")])
    last_name = StringField("Last name", filters=[stripped], validators=[
        DataRequired("Enter the client's last name."), Length(max=60, message="Use at most 60 characters.")])
    email = EmailField("E-mail address", filters=[stripped], validators=[
        Optional(), Length(max=320), Email("Enter a valid e-mail address, like name@example.com.")],
        description="Needed for a portal invite.")
    phone = TelField("Phone", filters=[stripped], validators=[
        Optional(), Length(max=32, message="Use at most 32 characters."),
        Regexp(r"^\+?[0-9 ()\-.]{5,}$", message="Use digits, spaces and + ( ) - only.")])
    date_of_birth = DateField("Date of birth", validators=[Optional()],
                              render_kw={"min": EARLIEST_BIRTH_DATE.isoformat()})
    time_zone = SelectField("Time zone", choices=time_zone_choices,
                            description="Appointment times in the portal are shown in this zone.")
    care_team = CheckboxesField("Assigned staff", coerce=int, validate_choice=True)

    def validate_date_of_birth(self, field):
        if field.data and not (EARLIEST_BIRTH_DATE <= field.data <= clock.now().date()):
            raise ValidationError("Enter a date of birth in the past.")


class SendInviteForm(OnceForm):
    pass
