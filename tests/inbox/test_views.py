"""The practitioner's inbox."""

from html import unescape

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.db import db
from app.inbox.models import Conversation, Message
from app.inbox.policy import ASSIGNED_ONLY
from tests.conftest import make_client, make_portal_account
from tests.inbox.conftest import key, write


def messages_count() -> int:
    return db.session.scalar(select(func.count(Message.id)))


def test_it_lists_conversations_unread_first(practice, chat, aisha_account, as_user):
    ben = make_client(practice.workspace, "Ben", "Okafor", "ben@example.com", care_team=[practice.carlos])
    from app.inbox.service import start_conversation

    start_conversation(practice.carlos, [ben], "Hello Ben", key())
    db.session.commit()
    write(chat, aisha_account, "Going well, thanks!")
    page = as_user(practice.carlos).get("/inbox").get_data(as_text=True)
    assert page.index("Aisha Rahman") < page.index("Ben Okafor")
    assert ">New<" in page


def test_it_shows_the_unread_count_in_the_navigation(practice, chat, aisha_account, as_user):
    write(chat, aisha_account, "Going well")
    carlos = as_user(practice.carlos)
    assert '<span class="sr-only"> unread</span>' in carlos.get("/clients").get_data(as_text=True)
    carlos.get(f"/inbox/{chat.id}")
    assert '<span class="sr-only"> unread</span>' not in carlos.get("/clients").get_data(as_text=True)


def test_it_filters_open_and_closed_and_searches_by_name(practice, chat, as_user):
    carlos = as_user(practice.carlos)
    assert "Aisha Rahman" in carlos.get("/inbox?status=open").get_data(as_text=True)
    assert "Aisha Rahman" not in carlos.get("/inbox?status=closed").get_data(as_text=True)
    carlos.post(f"/inbox/{chat.id}/close")
    assert "Aisha Rahman" in carlos.get("/inbox?status=closed").get_data(as_text=True)
    assert "Aisha Rahman" in carlos.get("/inbox?status=all&q=rahm").get_data(as_text=True)
    assert "No conversation matches" in carlos.get("/inbox?status=all&q=zed").get_data(as_text=True)


def test_it_answers_every_filter_with_a_200_status_line(practice, chat, as_user):
    carlos = as_user(practice.carlos)
    for url in ("/inbox", "/inbox?status=open", "/inbox?status=closed", "/inbox?status=all"):
        for htmx in (False, True):
            response = carlos.get(url, htmx=htmx)
            assert response.status == "200 OK", (url, htmx, response.status)


def test_it_finds_a_group_by_a_word_of_its_encrypted_name(practice, chat, as_user):
    from app.inbox.service import start_conversation

    ben = make_client(practice.workspace, "Ben", "Okafor", "ben@example.com", care_team=[practice.carlos])
    start_conversation(practice.carlos, [practice.aisha, ben], "Class moves to 6pm.", key(),
                       title="Tuesday Mobility class")
    db.session.commit()
    carlos = as_user(practice.carlos)
    found = carlos.get("/inbox?status=all&q=mobility").get_data(as_text=True)
    assert "Tuesday Mobility class" in found
    assert "Tuesday Mobility class" not in carlos.get("/inbox?status=all&q=wednesday").get_data(as_text=True)
    assert "Tuesday Mobility class" not in carlos.get("/inbox?status=closed&q=mobility").get_data(as_text=True)
    assert "Tuesday Mobility class" not in as_user(practice.priya).get("/inbox?status=all&q=mobility").get_data(
        as_text=True)


def test_it_answers_an_htmx_search_with_the_list_alone(practice, chat, as_user):
    page = as_user(practice.carlos).get("/inbox?q=aisha", htmx=True).get_data(as_text=True)
    assert page.lstrip().startswith('<div id="conversation-page"')


def test_it_hides_conversations_a_practitioner_may_not_see(practice, chat, as_user):
    priya = as_user(practice.priya)
    assert "Aisha Rahman" not in priya.get("/inbox").get_data(as_text=True)
    assert priya.get(f"/inbox/{chat.id}").status_code == 404
    assert priya.post(f"/inbox/{chat.id}", {"body": "hi", "request_key": key()}).status_code == 404


def test_it_answers_404_for_another_workspaces_conversation(practice, chat, outsider, as_user):
    assert as_user(outsider.owner).get(f"/inbox/{chat.id}").status_code == 404


def test_it_composes_a_message_to_a_client(practice, aisha_account, as_user):
    carlos = as_user(practice.carlos)
    assert "Aisha Rahman" in carlos.get("/inbox/compose").get_data(as_text=True)
    response = carlos.post("/inbox/compose", {"client": practice.aisha.id, "body": "Your results are in.",
                                              "request_key": key()})
    assert response.status_code == 303
    page = carlos.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your results are in." in page
    assert "Reply only: the client can answer until" in page


def test_it_offers_only_the_clients_the_mode_allows(practice, as_user):
    make_client(practice.workspace, "Ben", "Okafor", "ben@example.com", care_team=[practice.priya])
    practice.workspace.communication_mode = ASSIGNED_ONLY
    db.session.commit()
    page = as_user(practice.carlos).get("/inbox/compose").get_data(as_text=True)
    assert "Aisha Rahman" in page and "Ben Okafor" not in page
    ben = db.session.scalar(select(type(practice.aisha)).where(type(practice.aisha).first_name == "Ben"))
    response = as_user(practice.carlos).post("/inbox/compose", {"client": ben.id, "body": "hi", "request_key": key()})
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert messages_count() == 0


def test_it_creates_a_group_and_messages_everyone(practice, as_user):
    ben = make_client(practice.workspace, "Ben", "Okafor", "ben@example.com", care_team=[practice.carlos])
    carlos = as_user(practice.carlos)
    response = carlos.post("/inbox/groups/new", {"title": "Tuesday mobility class", "clients": [
        practice.aisha.id, ben.id], "body": "Class moves to 6pm.", "request_key": key()})
    assert response.status_code == 303
    group = db.session.scalar(select(Conversation))
    assert group.is_group and group.title == "Tuesday mobility class"
    assert {c.first_name for c in group.clients} == {"Aisha", "Ben"}


def test_it_needs_two_clients_and_a_name_for_a_group(practice, as_user):
    response = as_user(practice.carlos).post("/inbox/groups/new", {"title": "", "clients": [practice.aisha.id],
                                                                  "body": "x", "request_key": key()})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose at least two clients." in page and "Name the group" in page
    assert db.session.scalar(select(func.count(Conversation.id))) == 0


def test_it_replies_and_makes_one_message_from_a_double_submit(practice, chat, as_user):
    carlos = as_user(practice.carlos)
    form = {"body": "See you Tuesday.", "request_key": key()}
    assert carlos.post(f"/inbox/{chat.id}", form).status_code == 303
    assert carlos.post(f"/inbox/{chat.id}", form).status_code == 303
    assert messages_count() == 2  # the opening message and one reply


def test_it_answers_an_htmx_reply_with_a_fresh_form_and_the_messages(practice, chat, as_user):
    response = as_user(practice.carlos).post(f"/inbox/{chat.id}", {"body": "Noted.", "request_key": key()},
                                             htmx=True)
    page = response.get_data(as_text=True)
    assert page.lstrip().startswith(f'<div id="reply-area-{chat.id}"')
    assert f'<ol id="messages-{chat.id}"' in page and 'hx-swap-oob="true"' in page
    assert "Noted." in page


def test_it_answers_an_htmx_reply_with_an_empty_form_and_a_new_request_key(practice, chat, as_user):
    sent_key = key()
    page = as_user(practice.carlos).post(f"/inbox/{chat.id}", {"body": "Noted.", "request_key": sent_key},
                                         htmx=True).get_data(as_text=True)
    form = page[page.index("<form"):page.index("</form>")]
    assert "Noted." not in form
    assert sent_key not in form and 'name="request_key"' in form


def test_it_refuses_an_empty_or_too_long_message_next_to_the_field(practice, chat, as_user):
    carlos = as_user(practice.carlos)
    empty = carlos.post(f"/inbox/{chat.id}", {"body": "   ", "request_key": key()})
    assert empty.status_code == 422 and "Write a message first." in empty.get_data(as_text=True)
    long = carlos.post(f"/inbox/{chat.id}", {"body": "x" * 5001, "request_key": key()})
    assert long.status_code == 422 and "Messages can be up to 5,000 characters." in long.get_data(as_text=True)
    assert messages_count() == 1


def test_it_escapes_text_and_links_urls_safely(practice, chat, as_user):
    carlos = as_user(practice.carlos)
    carlos.post(f"/inbox/{chat.id}", {"body": "<script>alert(1)</script> see https://example.org/x",
                                      "request_key": key()})
    page = carlos.get(f"/inbox/{chat.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    assert '<a href="https://example.org/x" rel="nofollow noopener">' in page


def test_it_closes_by_hand_and_reopens_when_staff_write(practice, chat, as_user):
    carlos = as_user(practice.carlos)
    carlos.post(f"/inbox/{chat.id}/close")
    db.session.refresh(chat)
    assert chat.closed_at is not None and chat.closed_reason == "by_staff"
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "conversation.closed"))
    carlos.post(f"/inbox/{chat.id}", {"body": "One more thing.", "request_key": key()})
    db.session.refresh(chat)
    assert chat.closed_at is None


def test_it_refuses_a_reply_post_without_csrf(practice, chat, as_user):
    response = as_user(practice.carlos).post(f"/inbox/{chat.id}", {"body": "hi", "request_key": key()}, csrf=False)
    assert response.status_code == 400
    assert messages_count() == 1


def test_it_forbids_writing_to_a_client_the_mode_does_not_allow(practice, chat, as_user):
    write(chat, practice.priya, "Covering for Carlos today.")  # Priya took part, so she sees it
    practice.workspace.communication_mode = ASSIGNED_ONLY
    db.session.commit()
    priya = as_user(practice.priya)
    page = priya.get(f"/inbox/{chat.id}").get_data(as_text=True)
    assert "don't let you write to every client" in page
    assert priya.post(f"/inbox/{chat.id}", {"body": "hi", "request_key": key()}).status_code == 403


def test_it_serves_the_message_list_alone_for_polling_and_marks_it_read(practice, chat, aisha_account, as_user):
    write(chat, aisha_account, "Polled reply")
    carlos = as_user(practice.carlos)
    page = carlos.get(f"/inbox/{chat.id}/messages", htmx=True).get_data(as_text=True)
    assert page.lstrip().startswith(f'<ol id="messages-{chat.id}"') and "Polled reply" in page
    assert 'hx-trigger="poll"' in page
    assert '<span class="sr-only"> unread</span>' not in carlos.get("/clients").get_data(as_text=True)


def test_it_opens_a_live_socket_for_the_page_topics(practice, chat, as_user):
    page = as_user(practice.carlos).get(f"/inbox/{chat.id}").get_data(as_text=True)
    assert f'ws-connect="/live?topics=conversation-{chat.id}"' in page
    assert "htmx-ext-ws-2.0.4/ws.min.js" in page and "live.js" in page


def test_it_shows_the_clients_conversations_on_their_record(practice, chat, as_user):
    page = as_user(practice.carlos).get(f"/clients/{practice.aisha.id}").get_data(as_text=True)
    assert f'href="/inbox/{chat.id}"' in page
    assert f'href="/inbox/compose?client={practice.aisha.id}">Write to Aisha</a>' in page
    compose = as_user(practice.carlos).get(f"/inbox/compose?client={practice.aisha.id}").get_data(as_text=True)
    assert f'<option selected value="{practice.aisha.id}">Aisha Rahman</option>' in compose


def test_it_says_once_that_a_conversation_was_closed(practice, chat, as_user):
    carlos = as_user(practice.carlos)
    for htmx in (False, True):
        write(chat, practice.carlos, "Writing opens it again.")
        response = carlos.post(f"/inbox/{chat.id}/close", htmx=htmx)
        page = response.get_data(as_text=True) if htmx else carlos.get(response.headers["Location"]).get_data(
            as_text=True)
        assert page.count("Writing here opens it again") == 1, page
        assert "Conversation closed." not in page


def test_it_marks_the_active_filter_tab(practice, chat, as_user):
    carlos = as_user(practice.carlos)
    for url, active in (("/inbox", "Open"), ("/inbox?status=closed", "Closed"), ("/inbox?status=all", "All"),
                        ("/inbox?status=nonsense", "Open")):
        page = carlos.get(url).get_data(as_text=True)
        current = [label for label in ("Open", "Closed", "All") if f'aria-current="page">{label}</a>' in page]
        assert current == [active], url


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def test_it_warns_before_writing_to_a_client_who_cannot_read_it_yet(practice, aisha_account, as_user):
    farid = make_client(practice.workspace, "Farid", "Haddad", None, care_team=[practice.carlos])
    nora = make_client(practice.workspace, "Nora", "Lindqvist", "nora@example.com", care_team=[practice.carlos])
    carlos = as_user(practice.carlos)
    page = text_of(carlos.get("/inbox/compose"))
    assert ">Farid Haddad (not in the portal yet)<" in page and ">Nora Lindqvist (not in the portal yet)<" in page
    assert ">Aisha Rahman<" in page
    assert "can't read messages yet" not in page
    page = text_of(carlos.get(f"/inbox/compose?client={farid.id}"))
    assert "Farid Haddad has no e-mail address for a portal account, so they can't read messages yet." in page
    note = text_of(carlos.get(f"/inbox/compose?client={nora.id}", htmx=True))
    assert note.lstrip().startswith('<div id="reader-note">') and "<html" not in note
    assert "Nora Lindqvist hasn't been invited to the portal" in note
    assert text_of(carlos.get(f"/inbox/compose?client={practice.aisha.id}", htmx=True)).strip() == \
        '<div id="reader-note"></div>'


def test_it_keeps_a_message_to_a_client_not_in_the_portal_and_shows_it_once_they_join(practice, as_user):
    nora = make_client(practice.workspace, "Nora", "Lindqvist", "nora@example.com", care_team=[practice.carlos])
    carlos = as_user(practice.carlos)
    response = carlos.post("/inbox/compose", {"client": nora.id, "body": "Welcome to the practice.",
                                              "request_key": key()})
    assert response.status_code == 303
    thread = response.headers["Location"]
    page = text_of(carlos.get(thread))
    assert "Nora Lindqvist hasn't been invited to the portal, so they can't read messages yet." in page
    make_portal_account(nora)
    assert "Welcome to the practice." in text_of(as_user(nora.account).get(
        thread.replace("/inbox/", "/portal/messages/")))
    assert "can't read messages yet" not in text_of(carlos.get(thread))


def test_it_does_not_offer_clients_whose_portal_is_disabled(practice, aisha_account, as_user):
    elena = make_client(practice.workspace, "Elena", "Rossi", "elena@example.com", care_team=[practice.carlos])
    elena.portal_disabled_at = elena.created_at
    db.session.commit()
    carlos = as_user(practice.carlos)
    assert "Elena Rossi" not in carlos.get("/inbox/compose").get_data(as_text=True)
    response = carlos.post("/inbox/compose", {"client": elena.id, "body": "Hello", "request_key": key()})
    assert response.status_code == 422
    assert messages_count() == 0
