import uuid

import pytest

from app.inbox.service import post_message, start_conversation
from tests.conftest import make_portal_account


def key() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def aisha_account(practice):
    return make_portal_account(practice.aisha)


@pytest.fixture
def chat(practice, aisha_account):
    """A conversation Carlos started with Aisha."""
    from app.db import db

    conversation = start_conversation(practice.carlos, [practice.aisha], "Hi Aisha, how are the exercises going?",
                                      key())
    db.session.commit()
    return conversation


def write(conversation, sender, body="A message", request_key=None):
    from app.db import db

    message = post_message(conversation, sender, body, request_key or key())
    db.session.commit()
    return message
