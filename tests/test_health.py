"""/healthz says the process answers; /readyz says what it depends on answers too."""

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"
UNREACHABLE_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:1/x"


def test_it_says_the_process_is_alive(visitor):
    response = visitor.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_it_is_ready_when_the_database_answers(visitor):
    response = visitor.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_it_is_ready_when_redis_answers_too(redis_url, make_app):
    response = make_app().test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_it_is_not_ready_when_redis_is_down(environment, make_app):
    environment.setenv("REDIS_URL", UNREACHABLE_REDIS)
    response = make_app().test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["down"] == ["redis"]


def test_it_is_not_ready_when_the_database_is_down(environment, make_app):
    environment.setenv("DATABASE_URL", UNREACHABLE_POSTGRES)
    response = make_app().test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["down"] == ["database"]


def test_it_stays_alive_while_a_dependency_is_down(environment, make_app):
    environment.setenv("DATABASE_URL", UNREACHABLE_POSTGRES)
    environment.setenv("REDIS_URL", UNREACHABLE_REDIS)
    client = make_app().test_client()
    assert client.get("/healthz").status_code == 200
    assert sorted(client.get("/readyz").get_json()["down"]) == ["database", "redis"]


def test_it_serves_a_small_icon_for_favicon_ico_kept_for_a_month(visitor):
    response = visitor.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.get_data().startswith(b"<svg") and len(response.get_data()) < 1024
    assert response.cache_control.max_age == 30 * 24 * 3600
    page = visitor.get("/login").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg?v=' in page
