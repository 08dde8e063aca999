import re

from tests.conftest import PASSWORD, Visitor, post_at_once

LOCKED_OUT = "Too many failed sign-ins with this e-mail address. Try again in 1 minute, or reset your password."
WRONG = "wrong-password-x"


def sign_in(visitor, email: str, password: str = WRONG, at: str = "/login", address: str = "203.0.113.7"):
    return visitor.post(at, {"email": email, "password": password}, environ_base={"REMOTE_ADDR": address})


def error_on(response) -> str:
    return re.search(r'class="error"[^>]*>([^<]+)<', response.get_data(as_text=True)).group(1).strip()


def test_it_locks_an_account_after_five_failures_across_both_login_urls(practice, visitor):
    statuses = [sign_in(visitor, "carlos@brunswick.example", at=url).status_code
                for url in ["/login", "/portal/login"] * 3]
    assert statuses == [422] * 5 + [429]
    locked = sign_in(visitor, "carlos@brunswick.example", PASSWORD, at="/portal/login")
    assert locked.status_code == 429
    assert error_on(locked) == LOCKED_OUT
    assert int(locked.headers["Retry-After"]) > 0 or locked.headers["Retry-After"].endswith("GMT")
    assert sign_in(Visitor(visitor.client.application.test_client()), " Carlos@Brunswick.EXAMPLE", PASSWORD,
                   address="198.51.100.9").status_code == 429


def test_it_counts_only_failures(practice, app):
    for _ in range(4):
        sign_in(Visitor(app.test_client()), "carlos@brunswick.example")
    for _ in range(3):
        assert sign_in(Visitor(app.test_client()), "carlos@brunswick.example", PASSWORD).status_code == 303
    assert sign_in(Visitor(app.test_client()), "carlos@brunswick.example").status_code == 422


def test_it_lets_someone_else_behind_the_same_address_sign_in_meanwhile(practice, visitor):
    statuses = [sign_in(visitor, "carlos@brunswick.example").status_code for _ in range(11)]
    assert statuses == [422] * 5 + [429] * 6
    assert sign_in(visitor, "priya@brunswick.example", PASSWORD).status_code == 303


def test_it_says_the_same_whether_or_not_the_address_has_an_account(practice, visitor):
    for email in ("carlos@brunswick.example", "nobody@brunswick.example"):
        for _ in range(5):
            sign_in(visitor, email)
    known, unknown = sign_in(visitor, "carlos@brunswick.example"), sign_in(visitor, "nobody@brunswick.example")
    assert (known.status_code, error_on(known)) == (unknown.status_code, error_on(unknown)) == (429, LOCKED_OUT)
    assert known.get_data(as_text=True).replace("carlos@", "nobody@") == unknown.get_data(as_text=True)


def test_it_limits_one_network_address_across_accounts_with_a_higher_ceiling(practice, visitor):
    statuses = [sign_in(visitor, f"guess-{n}@brunswick.example", at=["/login", "/portal/login"][n % 2]).status_code
                for n in range(31)]
    assert statuses == [422] * 30 + [429]
    assert sign_in(visitor, "priya@brunswick.example", PASSWORD, address="198.51.100.9").status_code == 303


def test_it_shares_the_account_lock_out_between_processes_through_redis(redis_url, practice, make_app):
    first, second = make_app(), make_app()  # two web processes of one deployment
    statuses = []
    for app, url in [(first, "/login"), (second, "/portal/login")] * 3:
        with app.app_context():
            statuses.append(sign_in(Visitor(app.test_client()), "carlos@brunswick.example", at=url).status_code)
    assert statuses == [422] * 5 + [429]
    with second.app_context():
        locked = sign_in(Visitor(second.test_client()), "carlos@brunswick.example", PASSWORD, address="198.51.100.9")
        assert (locked.status_code, error_on(locked)) == (429, LOCKED_OUT)
        assert sign_in(Visitor(second.test_client()), "priya@brunswick.example", PASSWORD).status_code == 303


def test_it_rate_limits_password_reset_requests(practice, visitor):
    statuses = [visitor.post("/password/forgot", {"email": "carlos@brunswick.example"}).status_code
                for _ in range(6)]
    assert statuses[:5] == [303] * 5
    assert statuses[5] == 429
    assert "Too many tries" in visitor.post("/password/forgot", {"email": "x@example.com"}).get_data(as_text=True)


def test_it_judges_no_more_than_five_guesses_sent_all_at_once(live_server, practice):
    guesses = [{"email": "carlos@brunswick.example", "password": f"{WRONG}-{n}"} for n in range(12)]
    statuses = sorted(status for status, _ in post_at_once(live_server.url, "/login", guesses))
    assert statuses == [422] * 5 + [429] * 7
