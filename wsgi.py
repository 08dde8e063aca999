"""The WSGI entry point: `gunicorn wsgi:app` (`make run`, scaled) or `flask --app wsgi run --debug` (`make dev`)."""

import os

from werkzeug.serving import is_running_from_reloader

from app import create_app
from app.queue import start_in_process_jobs

app = create_app()


def watching_for_changes() -> bool:
    """`flask run --debug` imports this module twice: in the process that only watches the files and in the one
    it restarts after each change, which serves. Only the serving one runs the embedded jobs."""
    return os.environ.get("FLASK_RUN_FROM_CLI") == "true" and app.debug and not is_running_from_reloader()


if not watching_for_changes():
    start_in_process_jobs(app)
