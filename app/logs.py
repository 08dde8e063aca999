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


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactRequestLines) for f in werkzeug.filters):
        werkzeug.addFilter(RedactRequestLines())
