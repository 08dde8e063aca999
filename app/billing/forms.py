"""The staff side's billing forms. Amounts are typed as in "95.00" and kept as minor units (cents)."""

import re
from datetime import date
from decimal import Decimal

from wtforms import DateField, FieldList, Form, FormField, RadioField, SelectField, StringField
from wtforms.validators import InputRequired, ValidationError

from app.billing.models import METHOD_LABELS
from app.billing.service import CURRENCIES, Line
from app.form_base import OnceForm, options, stripped

LINE_ROWS = 5  # rows shown on a new invoice; blank ones are ignored
MOST_LINES = 30
AMOUNT = re.compile(r"^\d{1,3}(?:,?\d{3})*(?:\.\d{1,2})?$|^\d+(?:\.\d{1,2})?$")
PERCENT = re.compile(r"^\d{1,2}(?:\.\d{1,2})?$")
WHOLE_NUMBER = re.compile(r"^\d{1,9}$")


def minor_units(text: str | None) -> int | None:
    """ "1,234.50" → 123450; None if it is not an amount (at most two decimals, no sign)."""
    text = (text or "").strip().lstrip("$€£").strip()
    if not AMOUNT.match(text) or len(text) > 16:
        return None
    return int(Decimal(text.replace(",", "")) * 100)


def amount_text(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


class LineForm(Form):
    description = StringField("Description", filters=[stripped])
    quantity = StringField("Quantity", filters=[stripped])
    unit_price = StringField("Unit price", filters=[stripped])

    @property
    def is_blank(self) -> bool:
        return not (self.description.data or self.quantity.data or self.unit_price.data)

    def line(self) -> Line | None:
        """The line this row asks for, or None with the reason on the field."""
        quantity = self.quantity.data or "1"
        price = minor_units(self.unit_price.data)
        if not WHOLE_NUMBER.match(quantity):
            self.quantity.errors.append("Enter a whole number, like 1.")
        if price is None:
            self.unit_price.errors.append("Enter the price like 95.00.")
        if self.quantity.errors or self.unit_price.errors:
            return None
        return Line(self.description.data or "", int(quantity), price)


class InvoiceForm(OnceForm):
    lines_error: str | None = None
    lines = FieldList(FormField(LineForm), min_entries=LINE_ROWS, max_entries=MOST_LINES)
    currency = SelectField("Currency", choices=options((c, c) for c in CURRENCIES), validate_choice=False)
    issued_on = DateField("Invoice date", validators=[InputRequired("Enter the date of the invoice.")])
    due_on = DateField("Due date", validators=[InputRequired("Enter the date it is due.")])
    tax = StringField("Tax rate (%)", filters=[stripped], description="Optional, e.g. 8.25. Leave blank for none.")

    def validate_tax(self, field):
        if field.data and not PERCENT.match(field.data):
            raise ValidationError("Enter the rate as a percentage, like 8.25.")

    @property
    def tax_basis_points(self) -> int | None:
        return int(Decimal(self.tax.data) * 100) if self.tax.data else None

    def asked_lines(self) -> tuple[list[Line], list[int]] | None:
        """The lines of the rows filled in, and which row each came from; None if a row could not be read."""
        lines, rows = [], []
        for row, entry in enumerate(self.lines.entries):
            if entry.form.is_blank:
                continue
            line = entry.form.line()
            if line is not None:
                lines.append(line)
                rows.append(row)
        if any(entry.form.errors for entry in self.lines.entries):
            return None
        return lines, rows

    def show_refusal(self, errors: dict[str, str], rows: list[int]) -> None:
        """Put the service's reasons next to the fields they are about."""
        for key, message in errors.items():
            if key.startswith("lines-"):
                _, n, name = key.split("-")
                getattr(self.lines.entries[rows[int(n)]].form, name).errors.append(message)
            elif key == "lines":
                self.lines_error = message
            else:
                getattr(self, key).errors.append(message)

    def add_row(self) -> None:
        if len(self.lines.entries) < MOST_LINES:
            self.lines.append_entry()


class OutsidePaymentForm(OnceForm):
    method = RadioField("Paid by", choices=options((m, METHOD_LABELS[m]) for m in ("cash", "bank_transfer")),
                        default="cash", validate_choice=True)
    amount = StringField("Amount", filters=[stripped], validators=[InputRequired("Enter the amount received.")])
    received_on = DateField("Received on", validators=[InputRequired("Enter the day it was received.")])

    def validate_amount(self, field):
        if minor_units(field.data) is None:
            raise ValidationError("Enter the amount like 95.00.")

    def check_received_on(self, today: date) -> bool:
        if self.received_on.data and self.received_on.data > today:
            self.received_on.errors.append("The day it was received cannot be in the future.")
            return False
        return True


class RefundForm(OnceForm):
    amount = StringField("Amount to refund", filters=[stripped],
                         validators=[InputRequired("Enter the amount to give back.")])

    def validate_amount(self, field):
        if minor_units(field.data) is None:
            raise ValidationError("Enter the amount like 95.00.")
