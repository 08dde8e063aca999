"""Periodic jobs for `rq cron jobs.cron` in scaled mode (the embedded run calls the same sweeps itself)."""

from rq import cron

from jobs.sweeps import SWEEP_INTERVAL, run_sweeps

cron.register(run_sweeps, "default", interval=SWEEP_INTERVAL)
