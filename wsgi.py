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


def taking_turns(wsgi_app):
    """Under gevent, each request first lets the other connections' waiting requests go ahead of it.

    A greenlet only gives way when it waits, and a keep-alive connection whose next request is already in the
    socket (a busy browser, a load balancer's pooled connection) never waits: it was served again and again
    while the worker's other connections queued for a second and more. Stepping aside for one turn of the
    event loop (a timer, so that the loop polls the sockets; sleep(0) may not) costs a few microseconds.
    """
    from gevent import sleep

    def turn_by_turn(environ, start_response):
        sleep(1e-6)
        return wsgi_app(environ, start_response)

    return turn_by_turn


def monkey_patched_by_gevent() -> bool:
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("socket")


if monkey_patched_by_gevent():
    app.wsgi_app = taking_turns(app.wsgi_app)

if not watching_for_changes():
    start_in_process_jobs(app)
