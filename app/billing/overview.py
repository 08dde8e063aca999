"""Practice → Billing: what is due and overdue across clients, what came in each month, and the open invoices.

Every figure is summed by the database, per currency, so the page costs the same few queries at three invoices
or three thousand; months are the practice's own (its time zone), the last twelve up to this one."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import Blueprint, abort, request
from flask_login import current_user
from sqlalchemy import and_, case, func, select

from app import clock
from app.auth.access import staff_required
from app.billing.models import Invoice, Payment, Refund
from app.billing.policy import may_see_practice_billing
from app.clients.models import Client
from app.db import db
from app.pages import render
from app.paging import KeysetPage, cursor_arg, keyset_page_of
from app.tenancy import Workspace

bp = Blueprint("billing_overview", __name__, url_prefix="/billing")

OPEN_INVOICES_PER_PAGE = 25
MONTHS_SHOWN = 12


@bp.get("")
@staff_required
def index():
    if not may_see_practice_billing(current_user):
        abort(403)
    workspace = current_user.workspace
    today = clock.now().astimezone(ZoneInfo(workspace.time_zone)).date()
    page = open_invoices_page(workspace.id, cursor_arg(request.args.get("after")))
    months = received_by_month(workspace)
    return render("billing/overview.html", "billing/_overview_invoices.html", workspace=workspace, today=today,
                  owed=owed_by_currency(workspace.id, today), months=months,
                  currencies=currencies_in(months) or [workspace.currency], page=page, clients=clients_of(page.items))


# --- what is owed ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Owed:
    currency: str
    due_cents: int  # on open invoices not yet past their due date
    overdue_cents: int
    open_invoices: int
    overdue_invoices: int


def _open_invoices(workspace_id: int):
    return select(Invoice).where(Invoice.workspace_id == workspace_id, Invoice.is_draft.is_(False),
                                 Invoice.voided_at.is_(None), Invoice.paid_at.is_(None))


def owed_by_currency(workspace_id: int, today: date) -> list[Owed]:
    """What is left to pay on the practice's sent, unpaid invoices, split at `today` (the practice's date)."""
    paid = (select(Payment.invoice_id, func.sum(Payment.amount_cents - Payment.refunded_cents).label("cents"))
            .where(Payment.workspace_id == workspace_id, Payment.status == "succeeded")
            .group_by(Payment.invoice_id).subquery())
    left = Invoice.total_cents - func.coalesce(paid.c.cents, 0)
    overdue = Invoice.due_on < today
    rows = db.session.execute(
        _open_invoices(workspace_id).with_only_columns(
            Invoice.currency, func.sum(case((overdue, 0), else_=left)), func.sum(case((overdue, left), else_=0)),
            func.count(Invoice.id), func.sum(case((overdue, 1), else_=0)))
        .outerjoin(paid, paid.c.invoice_id == Invoice.id).group_by(Invoice.currency).order_by(Invoice.currency))
    return [Owed(currency, int(due), int(late), int(count), int(late_count))
            for currency, due, late, count, late_count in rows]


# --- what came in --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Month:
    label: str  # "December 2026"
    received: dict[str, int]  # currency -> cents of payments that went through that month
    refunded: dict[str, int]


def month_starts(time_zone: str, now: datetime, count: int = MONTHS_SHOWN) -> list[datetime]:
    """The first instant (UTC) of each of the last `count` months where the practice is, and of the next one."""
    zone = ZoneInfo(time_zone)
    local = now.astimezone(zone)
    index = local.year * 12 + local.month - 1 - (count - 1)
    return [datetime(n // 12, n % 12 + 1, 1, tzinfo=zone).astimezone(UTC) for n in range(index, index + count + 1)]


def _by_month(moment, starts: list[datetime]):
    """Which month of `starts` the column `moment` falls in (0 = the earliest), as one CASE the database groups by."""
    return case(*((and_(moment >= starts[n], moment < starts[n + 1]), n) for n in range(len(starts) - 1)))


def received_by_month(workspace: Workspace) -> list[Month]:
    """Payments that went through (cash and transfers too) and refunds given, per month, newest month first."""
    starts = month_starts(workspace.time_zone, clock.now())
    month = _by_month(Payment.succeeded_at, starts).label("month")
    received = db.session.execute(
        select(month, Payment.currency, func.sum(Payment.amount_cents))
        .where(Payment.workspace_id == workspace.id, Payment.status == "succeeded",
               Payment.succeeded_at >= starts[0], Payment.succeeded_at < starts[-1])
        .group_by(month, Payment.currency))
    refund_month = _by_month(Refund.created_at, starts).label("month")
    refunded = db.session.execute(
        select(refund_month, Payment.currency, func.sum(Refund.amount_cents))
        .join(Payment, Payment.id == Refund.payment_id)
        .where(Refund.workspace_id == workspace.id, Refund.created_at >= starts[0], Refund.created_at < starts[-1])
        .group_by(refund_month, Payment.currency))
    zone = ZoneInfo(workspace.time_zone)
    months = [Month(format_date(start.astimezone(zone).date(), "MMMM yyyy", locale=workspace.locale), {}, {})
              for start in starts[:-1]]
    for n, currency, cents in received:
        months[n].received[currency] = int(cents)
    for n, currency, cents in refunded:
        months[n].refunded[currency] = int(cents)
    return months[::-1]


def currencies_in(months: list[Month]) -> list[str]:
    return sorted({currency for month in months for currency in (*month.received, *month.refunded)})


# --- the open invoices -----------------------------------------------------------------------------------------

def open_invoices_page(workspace_id: int, cursor: str | None) -> KeysetPage:
    """Sent, unpaid, not void: the one due first at the top."""
    return keyset_page_of(_open_invoices(workspace_id), [Invoice.due_on, Invoice.id], cursor,
                          OPEN_INVOICES_PER_PAGE, scope=f"billing-open-invoices:{workspace_id}")


def clients_of(invoices: list[Invoice]) -> dict[int, Client]:
    """The clients of a page of invoices, in one query."""
    ids = {invoice.client_id for invoice in invoices}
    return {client.id: client for client in db.session.scalars(select(Client).where(Client.id.in_(ids)))} if ids else {}
