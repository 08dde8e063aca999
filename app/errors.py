"""Error pages that say what happened and what to do, with the right status."""

from flask import Blueprint
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.pages import render

bp = Blueprint("errors", __name__)

MESSAGES = {
    400: ("Something was missing", "The request couldn't be understood. Go back, reload the page and try again."),
    403: ("Not allowed", "Your role doesn't allow this. Ask an owner or admin of your practice."),
    404: ("Not found", "There's nothing here. Check the address, or go back to the start."),
    405: ("Not allowed", "That address can't be used like this."),
    410: ("Gone", "This link can't be used any more."),
    413: ("Too large", "What you sent is larger than can be accepted here. Try something smaller."),
    429: ("Slow down", "Too many tries in a short time. Wait a minute, then try again."),
    500: ("Something went wrong", "The portal hit an error. Nothing you did caused it; try again in a moment."),
}


@bp.app_errorhandler(CSRFError)
def csrf_failed(error):
    return render("error.html", "_error.html", title="Form expired",
                  message="This form was open too long or came from another site. "
                          "Go back, reload the page and send it again.", http_status=400)


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    title, message = MESSAGES.get(error.code, (error.name, error.description))
    return render("error.html", "_error.html", title=title, message=message, http_status=error.code)


@bp.app_errorhandler(500)
def server_error(error):
    title, message = MESSAGES[500]
    return render("error.html", title=title, message=message, http_status=500)
