"""Invoices on the staff side, from the client record: make, edit and send them, record payments, void, refund."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user

from app import clock
from app.audit.trail import record
from app.auth.access import staff_required
from app.billing.forms import InvoiceForm, OutsidePaymentForm, RefundForm, amount_text, minor_units
from app.billing.invoices import (
    change_draft,
    invoice_page,
    latest_invoices,
    payments_of,
    received_moment,
    send_to_client,
)
from app.billing.models import Invoice, Payment
from app.billing.policy import may_bill, may_record_payment, may_refund, may_void
from app.billing.processor import ProcessorError
from app.billing.processors import current_processor
from app.billing.service import BillingRefused, create_invoice, paid_so_far, record_outside_payment, refund_payment
from app.billing.service import void_invoice as void
from app.clients.access import client_or_404
from app.clients.models import Client
from app.db import db
from app.form_base import ButtonForm
from app.pages import render, see_other
from app.paging import cursor_arg
from app.tenancy import of_client_or_404

bp = Blueprint("billing", __name__, url_prefix="/clients/<int:client_id>/invoices")

PAYMENT_TERMS = timedelta(days=14)  # a new invoice's due date, from its invoice date


def today(time_zone: str):
    return clock.now().astimezone(ZoneInfo(time_zone)).date()


@bp.app_template_global()
def client_invoices_panel(client: Client) -> dict:
    """What the client record's Invoices section shows (used by clients/show.html)."""
    invoices, more = latest_invoices(client)
    return {"invoices": invoices, "more": more, "may_bill": may_bill(current_user, client),
            "today": today(current_user.time_zone)}


@bp.get("")
@staff_required
def index(client_id: int):
    client = client_or_404(client_id)
    listed = invoice_page(client, cursor_arg(request.args.get("after")))
    return render("billing/index.html", client=client, listed=listed, today=today(current_user.time_zone))


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def new(client_id: int):
    client = client_or_404(client_id)
    if not may_bill(current_user, client):
        abort(403)
    issued = today(client.workspace.time_zone)
    form = InvoiceForm(currency=client.workspace.currency, issued_on=issued, due_on=issued + PAYMENT_TERMS)
    if form.is_submitted() and "add_line" in request.form:
        form.add_row()
        return render("billing/invoice_form.html", client=client, form=form, invoice=None)
    invoice = _saved(form, lambda *asked: create_invoice(client, *asked, request_key=form.request_key.data))
    if invoice is None:
        return render("billing/invoice_form.html", client=client, form=form, invoice=None,
                      http_status=422 if form.is_submitted() else 200)
    return _after_save(client, invoice)


@bp.route("/<int:invoice_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(client_id: int, invoice_id: int):
    client = client_or_404(client_id)
    invoice = of_client_or_404(client, Invoice, invoice_id)
    if not may_bill(current_user, client):
        abort(403)
    if not invoice.is_draft or invoice.voided_at is not None:
        sent = f"Invoice {invoice.number} was sent already, so it can't be changed. Void it and make a new one."
        if request.method == "POST":
            return _refused(client, invoice, sent)
        flash(sent)
        return see_other(url_for("billing.show", client_id=client.id, invoice_id=invoice.id))
    form = InvoiceForm(**_as_form_data(invoice))
    if form.is_submitted() and "add_line" in request.form:
        form.add_row()
        return render("billing/invoice_form.html", client=client, form=form, invoice=invoice)
    saved = _saved(form, lambda *asked: change_draft(invoice, client, *asked) or invoice)
    if saved is None:
        return render("billing/invoice_form.html", client=client, form=form, invoice=invoice,
                      http_status=422 if form.is_submitted() else 200)
    return _after_save(client, invoice)


@bp.get("/<int:invoice_id>")
@staff_required
def show(client_id: int, invoice_id: int):
    client = client_or_404(client_id)
    invoice = of_client_or_404(client, Invoice, invoice_id)
    record("invoice.viewed", workspace_id=client.workspace_id, client_id=client.id, subject_type="invoice",
           subject_id=invoice.id)
    db.session.commit()
    return render("billing/show.html", **_invoice_page(client, invoice))


@bp.post("/<int:invoice_id>/send")
@staff_required
def send(client_id: int, invoice_id: int):
    client = client_or_404(client_id)
    invoice = of_client_or_404(client, Invoice, invoice_id)
    if not may_bill(current_user, client):
        abort(403)
    if not ButtonForm().validate_on_submit():
        return _refused(client, invoice, "The invoice was not sent. Reload the page and try again.")
    try:
        mailed = send_to_client(invoice, client)
    except BillingRefused as refused:
        return _refused(client, invoice, str(refused))
    db.session.commit()
    flash(_sent_notice(client, invoice, mailed))
    return see_other(url_for("billing.show", client_id=client.id, invoice_id=invoice.id))


@bp.post("/<int:invoice_id>/void")
@staff_required
def void_invoice(client_id: int, invoice_id: int):
    client = client_or_404(client_id)
    invoice = of_client_or_404(client, Invoice, invoice_id)
    if not may_void(current_user, client):
        abort(403)
    if not ButtonForm().validate_on_submit():
        return _refused(client, invoice, "The invoice was not voided. Reload the page and try again.")
    try:
        void(invoice)
    except BillingRefused as refused:
        return _refused(client, invoice, str(refused))
    db.session.commit()
    flash(f"Invoice {invoice.number} is void. {client.first_name} can no longer pay it.")
    return see_other(url_for("billing.show", client_id=client.id, invoice_id=invoice.id))


@bp.post("/<int:invoice_id>/payments")
@staff_required
def record_payment(client_id: int, invoice_id: int):
    client = client_or_404(client_id)
    invoice = of_client_or_404(client, Invoice, invoice_id)
    if not may_record_payment(current_user, client):
        abort(403)
    form = OutsidePaymentForm()
    if form.validate_on_submit() and form.check_received_on(today(client.workspace.time_zone)):
        try:
            record_outside_payment(invoice, form.method.data, minor_units(form.amount.data), form.request_key.data,
                                   current_user.id, received_moment(form.received_on.data, client.workspace))
        except BillingRefused as refused:
            db.session.rollback()
            _show_on(form, refused.errors)
        else:
            db.session.commit()
            flash(f"Payment of {form.amount.data} recorded on invoice {invoice.number}.")
            return see_other(url_for("billing.show", client_id=client.id, invoice_id=invoice.id))
    return render("billing/show.html", **_invoice_page(client, invoice, payment_form=form), http_status=422)


@bp.post("/<int:invoice_id>/payments/<int:payment_id>/refund")
@staff_required
def refund(client_id: int, invoice_id: int, payment_id: int):
    client = client_or_404(client_id)
    invoice = of_client_or_404(client, Invoice, invoice_id)
    payment = of_client_or_404(client, Payment, payment_id)
    if payment.invoice_id != invoice.id:
        abort(404)
    if not may_refund(current_user, client):
        abort(403)
    form = RefundForm(prefix=f"refund-{payment.id}")
    if form.validate_on_submit():
        try:
            refund_payment(payment, current_processor(), minor_units(form.amount.data), form.request_key.data,
                           current_user.id)
        except BillingRefused as refused:
            db.session.rollback()
            _show_on(form, refused.errors)
        except ProcessorError as problem:
            db.session.rollback()
            form.form_errors.append(f"The card processor did not refund it: {problem}")
        else:
            flash(f"Refund of {form.amount.data} on invoice {invoice.number} is on its way back to the card.")
            return see_other(url_for("billing.show", client_id=client.id, invoice_id=invoice.id))
    return render("billing/show.html", **_invoice_page(client, invoice, refund_form=(payment.id, form)),
                  http_status=422)


# --- pieces ---------------------------------------------------------------------------------------

def _saved(form: InvoiceForm, save) -> Invoice | None:
    """The invoice `save(currency, issued_on, due_on, lines, tax)` made from a valid form; None (errors on the
    form, nothing written) otherwise."""
    if not form.validate_on_submit() or (asked := form.asked_lines()) is None:
        return None
    lines, rows = asked
    try:
        return save(form.currency.data, form.issued_on.data, form.due_on.data, lines, form.tax_basis_points)
    except BillingRefused as refused:
        db.session.rollback()
        form.show_refusal(refused.errors, rows)
        return None


def _after_save(client: Client, invoice: Invoice):
    if request.form.get("action") == "send":
        notice = _sent_notice(client, invoice, send_to_client(invoice, client))
    else:
        notice = f"Invoice {invoice.number} is saved as a draft. {client.first_name} doesn't see it until it is sent."
    db.session.commit()
    flash(notice)
    return see_other(url_for("billing.show", client_id=client.id, invoice_id=invoice.id))


def _sent_notice(client: Client, invoice: Invoice, mailed: bool) -> str:
    if mailed:
        return f"Invoice {invoice.number} is sent. {client.first_name} gets an e-mail with a link to it."
    return (f"Invoice {invoice.number} is sent. {client.first_name} has no portal account to see it in, so no "
            "e-mail went out.")


def _as_form_data(invoice: Invoice) -> dict:
    tax = invoice.tax_basis_points
    return {"currency": invoice.currency, "issued_on": invoice.issued_on, "due_on": invoice.due_on,
            "tax": f"{tax / 100:g}" if tax is not None else "",
            "lines": [{"description": line.description, "quantity": str(line.quantity),
                       "unit_price": amount_text(line.unit_price_cents)} for line in invoice.lines]}


def _show_on(form, errors: dict[str, str]) -> None:
    for key, message in errors.items():
        field = getattr(form, key, None)
        (field.errors if field is not None and hasattr(field, "errors") else form.form_errors).append(message)


def _refused(client: Client, invoice: Invoice, error: str):
    db.session.rollback()
    return render("billing/show.html", **_invoice_page(client, invoice, error=error), http_status=409)


def _invoice_page(client: Client, invoice: Invoice, payment_form: OutsidePaymentForm | None = None,
                  refund_form: tuple[int, RefundForm] | None = None, error: str | None = None) -> dict:
    """The invoice page's context; a form given (one that was refused) is shown with its errors."""
    balance = invoice.total_cents - paid_so_far(invoice)
    payments = payments_of(invoice)
    local_today = today(client.workspace.time_zone)
    refund_forms = {shown.payment.id: RefundForm(prefix=f"refund-{shown.payment.id}", formdata=None,
                                                  amount=amount_text(shown.refundable_cents))
                    for shown in payments if shown.payment.method == "card" and shown.payment.status == "succeeded"}
    if refund_form is not None:
        refund_forms[refund_form[0]] = refund_form[1]
    return {"client": client, "invoice": invoice, "payments": payments, "balance": balance, "error": error,
            "today": today(current_user.time_zone), "button_form": ButtonForm(),
            "payment_form": payment_form or OutsidePaymentForm(formdata=None, amount=amount_text(max(balance, 0)),
                                                               received_on=local_today),
            "refund_forms": refund_forms, "may_bill": may_bill(current_user, client),
            "may_record_payment": may_record_payment(current_user, client),
            "may_void": may_void(current_user, client), "may_refund": may_refund(current_user, client)}
