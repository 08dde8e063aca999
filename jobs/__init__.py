"""Background jobs: plain functions taking ids, safe to run twice, re-reading state when they run.

The same functions run under `rq worker --with-scheduler` in scaled mode and in the embedded
run's in-process queue. A worker builds the app on its first job (never at import time).
"""

import functools
from collections.abc import Callable

from flask import Flask, has_app_context

from app import create_app
from app.config import ConfigError

_worker_app: Flask | None = None


def job(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def run(*args):
        if has_app_context():
            return fn(*args)
        with worker_app().app_context():
            return fn(*args)

    return run


def worker_app() -> Flask:
    global _worker_app
    if _worker_app is None:
        app = create_app()
        if not app.config["REDIS_URL"]:
            raise ConfigError("An RQ worker needs REDIS_URL in its environment, the same as the web processes.")
        _worker_app = app
    return _worker_app
