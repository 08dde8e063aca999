"""What a staff member has read: kept per conversation, and written safely by pages opened at the same moment."""

import threading
import time
from datetime import timedelta

from sqlalchemy import select

from app import clock
from app.db import db
from app.inbox.models import Conversation, StaffReading
from app.inbox.service import mark_read


def test_two_pages_opening_a_conversation_at_once_both_record_the_reading(app, practice, chat):
    """The first page has written the row but not committed when the second writes it: both must succeed."""
    conversation_id, reader_id = chat.id, practice.owner.id  # the owner has never opened it
    first_wrote, failures = threading.Event(), []

    def open_page(first: bool) -> None:
        with app.app_context():
            try:
                if not first:
                    first_wrote.wait(timeout=10)
                mark_read(db.session.get(type(practice.owner), reader_id), db.session.get(Conversation,
                                                                                            conversation_id))
                db.session.flush()
                if first:
                    first_wrote.set()
                    time.sleep(0.5)  # the second page reaches its write while this one is still open
                db.session.commit()
            except Exception as error:  # noqa: BLE001  (what a page would have answered with a 500)
                failures.append(error)
                db.session.rollback()

    pages = [threading.Thread(target=open_page, args=(first,)) for first in (True, False)]
    for page in pages:
        page.start()
    for page in pages:
        page.join(timeout=30)
    assert failures == []
    readings = db.session.scalars(select(StaffReading).where(StaffReading.conversation_id == conversation_id,
                                                             StaffReading.user_id == reader_id)).all()
    assert len(readings) == 1


def test_it_moves_the_reading_on_when_the_conversation_is_opened_again(practice, chat, as_user):
    carlos = as_user(practice.carlos)
    clock.freeze(clock.now())
    assert carlos.get(f"/inbox/{chat.id}").status_code == 200
    clock.advance(timedelta(minutes=5))
    assert carlos.get(f"/inbox/{chat.id}").status_code == 200
    db.session.expire_all()
    [reading] = db.session.scalars(select(StaffReading).where(StaffReading.conversation_id == chat.id)).all()
    assert reading.last_read_at == clock.now()
