"""The ETL's background task, where procrastinate's Django integration looks for it: one load of
one declared source on the ``loads`` queue, defined with the jobs it runs (:mod:`etl.jobs`)."""

from .jobs import KIND, run_load

__all__ = ["KIND", "run_load"]
