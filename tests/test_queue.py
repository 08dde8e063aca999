"""Jobs are named by dotted path; the names the features enqueue must lead to real job functions."""

import ast
from pathlib import Path

from rq.utils import import_attribute

from app import queue

APP = Path(__file__).resolve().parent.parent / "app"
ENQUEUERS = {"enqueue", "enqueue_at", "enqueue_in"}


def enqueued_names() -> dict[str, str]:
    """Every job name passed to enqueue()/enqueue_at()/enqueue_in() in app/, with where it is enqueued."""
    names = {}
    for path in APP.rglob("*.py"):
        if path == APP / "queue.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ENQUEUERS:
                job = node.args[0] if node.func.id == "enqueue" else node.args[1]
                assert isinstance(job, ast.Constant) and isinstance(job.value, str), \
                    f"{path.relative_to(APP.parent)}:{node.lineno} enqueues something other than a job name"
                names[job.value] = f"{path.relative_to(APP.parent)}:{node.lineno}"
    return names


def test_it_finds_the_jobs_the_features_enqueue():
    assert len(enqueued_names()) >= 7


def test_it_resolves_every_enqueued_name_to_a_job_function():
    for name, where in enqueued_names().items():
        assert name.startswith("jobs."), where
        assert callable(import_attribute(name)), f"{where}: {name} is not a function"


def test_it_resolves_the_sweep_the_embedded_runner_runs(app):
    assert callable(import_attribute(app.config["PORCH_SWEEPS"]))


def test_it_runs_a_job_named_by_its_path(app):
    runner = queue.InProcessQueue(app)
    runner.submit(None, "jobs.sweeps.run_sweeps", ())
    assert runner.run_due() == 1
