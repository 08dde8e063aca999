"""The WSGI entry point: `gunicorn wsgi:app` (scaled) or `flask --app wsgi run` (embedded)."""

from app import create_app
from app.queue import start_in_process_jobs

app = create_app()
start_in_process_jobs(app)
