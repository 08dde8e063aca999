"""The client's account page: their login's sections (app.account), and how Porch may contact them."""

from flask import Blueprint, flash, request, url_for
from flask_login import current_user
from wtforms import BooleanField

from app.account.views import account_sections
from app.auth.access import client_required
from app.db import db
from app.form_base import PageForm
from app.pages import render, see_other

bp = Blueprint("account", __name__, url_prefix="/portal/account")


class NotificationsForm(PageForm):
    message_emails = BooleanField("E-mail me when my practice sends me a message",
                                  description="The e-mail never contains the message: only that there is one.")


@bp.route("", methods=["GET", "POST"])
@client_required
def index():
    form = NotificationsForm(obj=current_user)
    if form.validate_on_submit():
        current_user.message_emails = form.message_emails.data
        db.session.commit()
        flash("Saved.")
        return see_other(url_for("account.index"))
    return render("portal/account.html", form=form, **account_sections(request.args.get("devices", 1, type=int) or 1),
                  http_status=422 if form.is_submitted() else 200)
