import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.db import db
from app.logs import RedactRequestLines, redact


def test_it_removes_link_tokens_and_query_strings_from_request_lines():
    assert redact('"GET /invite/abcDEF123_- HTTP/1.1" 200 -') == '"GET /invite/… HTTP/1.1" 200 -'
    assert redact('"POST /password/reset/tok3n HTTP/1.1" 303 -') == '"POST /password/reset/… HTTP/1.1" 303 -'
    assert redact('"GET /clients?q=Aisha+Rahman HTTP/1.1" 200 -') == '"GET /clients?… HTTP/1.1" 200 -'
    assert redact('"GET /portal HTTP/1.1" 200 -') == '"GET /portal HTTP/1.1" 200 -'


def test_it_filters_the_werkzeug_request_log(app, caplog):
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '127.0.0.1 - - "%s" %s %s',
                               ("GET /invite/secret-token HTTP/1.1", "200", "-"), None)
    RedactRequestLines().filter(record)
    assert "secret-token" not in record.getMessage()
    assert any(isinstance(f, RedactRequestLines) for f in logging.getLogger("werkzeug").filters)


def test_database_errors_never_show_the_values_of_a_statement(app):
    with pytest.raises(DBAPIError) as failure:
        db.session.execute(text("SELECT * FROM no_such_table WHERE name = :name"), {"name": "Aisha Rahman"})
    db.session.rollback()
    assert "Aisha Rahman" not in str(failure.value)
