"""Periodic jobs for `rq cron jobs.cron` in scaled mode (the embedded run calls the same sweeps itself)."""

from rq import cron

from app.queue import SWEEP_INTERVAL
from jobs.sweeps import run_sweeps

cron.register(run_sweeps, "default", interval=int(SWEEP_INTERVAL.total_seconds()))
