"""Logging that keeps secrets and health data out: request lines lose their tokens and query strings."""

import logging
import re

TOKEN_IN_PATH = re.compile(r"(/invite/|/password/reset/|/export/download/)[^\s?\"]+")
QUERY_STRING = re.compile(r"\?[^\s\"]*")


def redact(line: str) -> str:
    """A request line fit for a log: tokens in links and query strings (searches name clients) removed."""
    return QUERY_STRING.sub("?…", TOKEN_IN_PATH.sub(r"\1…", line))


class RedactRequestLines(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), ()
        return True


class HideRowValues(logging.Filter):
    """SQLAlchemy at DEBUG logs every row it reads: names, addresses, tokens in the clear. Keep the line, drop
    the values (statement parameters are already hidden by the engine's hide_parameters)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith("Row "):
            record.msg, record.args = "Row (values hidden)", ()
        return True


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name, kind in (("werkzeug", RedactRequestLines), ("sqlalchemy.engine.Engine", HideRowValues)):
        logger = logging.getLogger(name)
        if not any(isinstance(f, kind) for f in logger.filters):
            logger.addFilter(kind())
