"""The forms of a practice's booking set-up: the rules, a service, weekly hours and an exception."""

import re
from datetime import time

from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TelField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app.appointments.models import KINDS
from app.appointments.setup import BOOKING_MODES, EXCEPTION_KINDS
from app.clients.forms import CheckboxesField
from app.form_base import PageForm, WholeNumberField, options, stripped

SLOT_STEPS = (5, 10, 15, 20, 30, 60)
PRICE = re.compile(r"^(\d{1,7})(?:[.,](\d{1,2}))?$")
STRETCHES_PER_DAY = 3  # the rows of a weekday in the weekly hours form


def _whole(label: str, low: int, high: int, unit: str, description: str | None = None) -> WholeNumberField:
    return WholeNumberField(label, description=description, validators=[
        InputRequired(f"Enter a number of {unit}."),
        NumberRange(low, high, f"Enter a whole number of {unit} from {low} to {high:,}.")])


class BookingRulesForm(PageForm):
    mode = RadioField("Online booking", choices=options(BOOKING_MODES.items()), validate_choice=True,
                      validators=[DataRequired("Choose how clients may book.")])
    min_notice_hours = _whole("Minimum notice (hours)", 0, 24 * 90, "hours",
                              "How long before a slot it stops being offered.")
    horizon_days = _whole("How far ahead (days)", 1, 730, "days", "The furthest day a client can book.")
    slot_step_minutes = SelectField("Slot step (minutes)", coerce=int, validate_choice=True,
                                    choices=options((step, f"{step} minutes") for step in SLOT_STEPS),
                                    description="Slots start this often, e.g. on the quarter hour.")
    change_cutoff_hours = _whole("Cancel or reschedule until (hours before)", 0, 24 * 30, "hours",
                                 "Later than this, clients are asked to call the practice.")
    new_clients_may_book = BooleanField("New clients may book",
                                        description="Off: only clients the practice already has may book.")
    phone = TelField("Practice phone", filters=[stripped], validators=[Length(max=40, message="Use at most 40 "
                                                                                                "characters.")],
                     description="Shown to clients who are past the cut-off. Needed when online booking is on.")
    services = CheckboxesField("Services offered online", coerce=int, validate_choice=True)

    def validate_phone(self, field):
        if self.mode.data in ("requests", "instant") and not field.data:
            raise ValidationError("Enter the phone number clients should call when it is too late to change online.")


class ServiceForm(PageForm):
    name = StringField("Name", filters=[stripped], validators=[
        DataRequired("Enter the service's name."), Length(max=120, message="Use at most 120 characters.")])
    duration_minutes = _whole("Length (minutes)", 5, 720, "minutes")
    price = StringField("Price", filters=[stripped], validators=[Optional()],
                        description="Optional, e.g. 95.00. Leave empty to show no price.")
    kind = RadioField("Where", choices=options(KINDS.items()), validate_choice=True,
                      validators=[DataRequired("Choose telehealth or in person.")])
    location = StringField("Location", filters=[stripped],
                           validators=[Length(max=200, message="Use at most 200 characters.")],
                           description="The address, for in-person services.")
    practitioners = CheckboxesField("Practitioners who offer it", coerce=int, validate_choice=True)
    buffer_before_minutes = _whole("Buffer before (minutes)", 0, 240, "minutes")
    buffer_after_minutes = _whole("Buffer after (minutes)", 0, 240, "minutes")

    def validate_price(self, field):
        if field.data and not PRICE.match(field.data):
            raise ValidationError("Enter a price like 95.00, or leave it empty.")

    def validate_location(self, field):
        if self.kind.data == "in_person" and not field.data:
            raise ValidationError("Enter where in-person appointments take place.")

    @property
    def price_minor(self) -> int | None:
        """ "95.00" as 9500; None when no price was given."""
        found = PRICE.match(self.price.data or "")
        if not found:
            return None
        return int(found.group(1)) * 100 + int((found.group(2) or "0").ljust(2, "0"))


def price_text(price_minor: int | None) -> str:
    return "" if price_minor is None else f"{price_minor // 100}.{price_minor % 100:02d}"


def pair_problem(starts: time | None, ends: time | None) -> str | None:
    if (starts is None) != (ends is None):
        return "Give both a start and an end, or neither."
    if starts is not None and ends <= starts:
        return "The end must be after the start."
    return None


def weekly_hours_form_class():
    """A form with STRETCHES_PER_DAY start/end rows for each weekday, so that it works without JavaScript."""

    class WeeklyHoursForm(PageForm):
        def stretches(self, weekday: int) -> list[tuple]:
            return [(self[f"d{weekday}_{n}_starts"], self[f"d{weekday}_{n}_ends"]) for n in range(STRETCHES_PER_DAY)]

        def chosen(self) -> list[tuple[int, time, time]]:
            return [(weekday, starts.data, ends.data) for weekday in range(7)
                    for starts, ends in self.stretches(weekday) if starts.data is not None]

        def validate(self, extra_validators=None) -> bool:
            valid = super().validate(extra_validators)
            for weekday in range(7):
                for starts, ends in self.stretches(weekday):
                    if not starts.errors and not ends.errors and (problem := pair_problem(starts.data, ends.data)):
                        ends.errors.append(problem)
                        valid = False
            return valid

    for weekday in range(7):
        for n in range(STRETCHES_PER_DAY):
            setattr(WeeklyHoursForm, f"d{weekday}_{n}_starts", TimeField("From", validators=[Optional()]))
            setattr(WeeklyHoursForm, f"d{weekday}_{n}_ends", TimeField("To", validators=[Optional()]))
    return WeeklyHoursForm


WeeklyHoursForm = weekly_hours_form_class()


class ExceptionForm(PageForm):
    day = DateField("Date", validators=[InputRequired("Enter the date.")])
    kind = RadioField("What", choices=options(EXCEPTION_KINDS.items()), validate_choice=True,
                      validators=[DataRequired("Choose time off or extra hours.")])
    starts = TimeField("From", validators=[Optional()], description="Leave both times empty for a whole day off.")
    ends = TimeField("To", validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.starts.errors or self.ends.errors:
            return False
        problem = pair_problem(self.starts.data, self.ends.data)
        if problem is None and self.kind.data == "extra" and self.starts.data is None:
            problem = "Give the extra hours' start and end."
        if problem:
            self.ends.errors.append(problem)
            return False
        return valid
