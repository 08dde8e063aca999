from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length

from app.billing.service import CURRENCIES
from app.form_base import options, stripped
from app.formatting import LOCALES, locale_name, money

CRISIS_TEXT_LIMIT = 1000


class WorkflowsForm(FlaskForm):
    automate_portal_invites = BooleanField(
        "Automate portal invites",
        description="Every new client with an e-mail address is sent a portal invite as soon as the record is added.")
    intake_form = SelectField(
        "Send intake form on client creation", validate_choice=True,
        description="Every new client finds this form waiting in their portal as soon as the record is added "
                    "(with an e-mail that says only that something new is there).")


class SafetyForm(FlaskForm):
    crisis_text = TextAreaField(
        "If you need help now", filters=[stripped], render_kw={"rows": 5},
        validators=[DataRequired("Write what a client should do in a crisis, with the phone numbers to call."),
                    Length(max=CRISIS_TEXT_LIMIT, message=f"Use at most {CRISIS_TEXT_LIMIT:,} characters.")],
        description="Clients see this right after sending a form with an answer that needs attention, and at the "
                    "top of their portal home until a staff member acknowledges it. Give your local emergency "
                    "number and any crisis line you trust. It is never sent by e-mail.")


class SecurityForm(FlaskForm):
    require_staff_mfa = BooleanField(
        "Require two-step sign-in of all staff",
        description="Staff who haven't set up an authenticator app are asked to, at their next page, before "
                    "anything else.")


class BillingSettingsForm(FlaskForm):
    currency = SelectField(
        "Currency", choices=options((c, c) for c in CURRENCIES), validate_choice=False,
        validators=[AnyOf(CURRENCIES, message="Choose one of the currencies in the list.")],
        description="New invoices and service prices are in this currency; invoices already made keep theirs.")
    locale = SelectField(
        "How amounts are written", validate_choice=False,
        choices=options((code, f"{locale_name(code)}: {money(9500, 'USD', code)}") for code in LOCALES),
        validators=[AnyOf(LOCALES, message="Choose one of the ways in the list.")],
        description="Staff and clients see every amount this way, on pages and printed receipts.")
