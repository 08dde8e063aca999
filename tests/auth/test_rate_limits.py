from tests.conftest import Visitor


def test_it_shares_the_login_limit_between_processes_through_redis(redis_url, practice, make_app):
    first, second = make_app(), make_app()  # two web processes of one deployment
    statuses = []
    for app in (first, second) * 6:
        with app.app_context():
            visitor = Visitor(app.test_client())
            statuses.append(visitor.post("/login", {"email": "carlos@brunswick.example",
                                                    "password": "wrong-password-x"}).status_code)
    assert statuses[:10] == [422] * 10
    assert statuses[10:] == [429, 429]


def test_it_rate_limits_password_reset_requests(practice, visitor):
    statuses = [visitor.post("/password/forgot", {"email": "carlos@brunswick.example"}).status_code
                for _ in range(6)]
    assert statuses[:5] == [303] * 5
    assert statuses[5] == 429
    assert "Too many tries" in visitor.post("/password/forgot", {"email": "x@example.com"}).get_data(as_text=True)
