"""The client's messages: reading, replying, starting where the mode allows, closed conversations."""

from sqlalchemy import func, select

from app.db import db
from app.inbox.models import Conversation, Message
from app.inbox.policy import ALL_CLIENTS, ASSIGNED_ONLY
from app.inbox.service import close_by_hand, start_conversation
from tests.conftest import make_client, make_portal_account
from tests.inbox.conftest import key, write


def test_it_lists_the_clients_conversations_and_marks_them_read(practice, chat, aisha_account, as_user):
    aisha = as_user(aisha_account)
    listing = aisha.get("/portal/messages").get_data(as_text=True)
    assert "Carlos Diaz" in listing and ">New<" in listing
    page = aisha.get(f"/portal/messages/{chat.id}").get_data(as_text=True)
    assert "Hi Aisha, how are the exercises going?" in page
    assert ">New<" not in aisha.get("/portal/messages").get_data(as_text=True)
    assert "No unread messages." in aisha.get("/portal").get_data(as_text=True)


def test_it_lets_the_client_reply_once_per_submit(practice, chat, aisha_account, as_user):
    aisha = as_user(aisha_account)
    form = {"body": "Going well, thanks!", "request_key": key()}
    assert aisha.post(f"/portal/messages/{chat.id}", form).status_code == 303
    assert aisha.post(f"/portal/messages/{chat.id}", form).status_code == 303
    assert db.session.scalar(select(func.count(Message.id))) == 2
    assert "Going well, thanks!" in aisha.get(f"/portal/messages/{chat.id}").get_data(as_text=True)


def test_it_answers_an_htmx_reply_with_an_empty_form_and_a_new_request_key(practice, chat, aisha_account, as_user):
    sent_key = key()
    page = as_user(aisha_account).post(f"/portal/messages/{chat.id}", {"body": "Thanks!", "request_key": sent_key},
                                       htmx=True).get_data(as_text=True)
    form = page[page.index("<form"):page.index("</form>")]
    assert "Thanks!" not in form
    assert sent_key not in form and 'name="request_key"' in form
    assert "Thanks!" in page  # in the refreshed message list


def test_it_says_a_closed_conversation_is_closed_and_keeps_what_was_typed(practice, chat, aisha_account, as_user):
    close_by_hand(chat, practice.carlos)
    db.session.commit()
    aisha = as_user(aisha_account)
    page = aisha.get(f"/portal/messages/{chat.id}").get_data(as_text=True)
    assert "Brunswick Practice closed this conversation" in page
    assert "contact them the way you usually do" in page
    assert 'name="body"' not in page
    response = aisha.post(f"/portal/messages/{chat.id}", {"body": "But I had a question", "request_key": key()})
    assert response.status_code == 403
    assert "Your message was not sent" in response.get_data(as_text=True)
    assert "But I had a question" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Message.id))) == 1


def test_it_shows_the_practices_own_words_on_how_to_reach_them(practice, chat, aisha_account, as_user):
    practice.workspace.client_contact_note = "Call us on 555 0100, weekdays 9 to 5."
    close_by_hand(chat, practice.carlos)
    db.session.commit()
    assert "Call us on 555 0100" in as_user(aisha_account).get(f"/portal/messages/{chat.id}").get_data(as_text=True)


def test_it_offers_no_new_message_in_reply_only_mode(practice, aisha_account, as_user):
    aisha = as_user(aisha_account)
    page = aisha.get("/portal/messages").get_data(as_text=True)
    assert "New message" not in page
    assert "Brunswick Practice starts conversations here" in page
    assert aisha.get("/portal/messages/new").status_code == 403
    assert aisha.post("/portal/messages/new", {"staff": practice.carlos.id, "body": "hi",
                                               "request_key": key()}).status_code == 403


def test_it_lets_a_client_write_to_their_assigned_staff(practice, aisha_account, as_user):
    practice.workspace.communication_mode = ASSIGNED_ONLY
    db.session.commit()
    aisha = as_user(aisha_account)
    page = aisha.get("/portal/messages/new").get_data(as_text=True)
    assert "Carlos Diaz" in page and "Priya Shah" not in page
    refused = aisha.post("/portal/messages/new", {"staff": practice.priya.id, "body": "hi", "request_key": key()})
    assert refused.status_code == 422
    response = aisha.post("/portal/messages/new", {"staff": practice.carlos.id, "body": "Can we move Tuesday?",
                                                   "request_key": key()})
    assert response.status_code == 303
    conversation = db.session.scalar(select(Conversation))
    assert conversation.staff_user_id == practice.carlos.id
    assert "Can we move Tuesday?" in as_user(practice.carlos).get(f"/inbox/{conversation.id}").get_data(as_text=True)


def test_it_lets_a_client_write_to_anyone_in_all_clients_mode(practice, aisha_account, as_user):
    practice.workspace.communication_mode = ALL_CLIENTS
    db.session.commit()
    response = as_user(aisha_account).post("/portal/messages/new", {"staff": practice.priya.id,
                                                                    "body": "Question about billing",
                                                                    "request_key": key()})
    assert response.status_code == 303
    conversation = db.session.scalar(select(Conversation))
    assert "Question about billing" in as_user(practice.priya).get(
        f"/inbox/{conversation.id}").get_data(as_text=True)


def test_it_shows_group_members_by_first_name_only(practice, aisha_account, as_user):
    ben = make_client(practice.workspace, "Ben", "Okafor", "ben@example.com")
    ben_account = make_portal_account(ben)
    group = start_conversation(practice.carlos, [practice.aisha, ben], "Class moves to 6pm.", key(),
                               title="Tuesday mobility class")
    db.session.commit()
    write(group, ben_account, "Thanks!")
    page = as_user(aisha_account).get(f"/portal/messages/{group.id}").get_data(as_text=True)
    assert "Tuesday mobility class" in page
    assert "Group with Ben and Brunswick Practice." in page
    assert "<strong>Ben</strong>" in page
    assert "Okafor" not in page and "ben@example.com" not in page


def test_it_answers_404_for_someone_elses_conversation(practice, chat, as_user):
    ben = make_portal_account(make_client(practice.workspace, "Ben", "Okafor", "ben@example.com"))
    other = as_user(ben)
    assert other.get(f"/portal/messages/{chat.id}").status_code == 404
    assert other.post(f"/portal/messages/{chat.id}", {"body": "hi", "request_key": key()}).status_code == 404


def test_it_lets_the_client_turn_message_emails_off(practice, aisha_account, as_user):
    aisha = as_user(aisha_account)
    assert "E-mail me when my practice sends me a message" in aisha.get("/portal/account").get_data(as_text=True)
    assert aisha.post("/portal/account", {}).status_code == 303
    db.session.refresh(aisha_account)
    assert aisha_account.message_emails is False


def test_it_links_the_messages_card_to_the_messages_page(practice, chat, aisha_account, as_user):
    page = as_user(aisha_account).get("/portal").get_data(as_text=True)
    assert '<a href="/portal/messages">Read your messages</a>' in page
    assert "1 unread" in page




def test_it_serves_the_message_list_alone_for_polling(practice, chat, aisha_account, as_user):
    page = as_user(aisha_account).get(f"/portal/messages/{chat.id}/messages", htmx=True).get_data(as_text=True)
    assert page.lstrip().startswith(f'<ol id="messages-{chat.id}"')
    assert "Hi Aisha, how are the exercises going?" in page


def test_the_portal_home_listens_for_its_cards(practice, aisha_account, as_user):
    assert 'ws-connect="/live?topics=home"' in as_user(aisha_account).get("/portal").get_data(as_text=True)


def test_anonymous_pages_open_no_socket(visitor):
    page = visitor.get("/login").get_data(as_text=True)
    assert "ws-connect" not in page and "ws.min.js" not in page
