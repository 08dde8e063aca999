"""Redis stops and comes back: while it is down pages keep working, sign-in limits still hold (each web process
counts on its own), the work asked for is not lost, and the sweep catches up once Redis is back."""

import re

from tests.conftest import PASSWORD, HttpVisitor, free_port, start_gunicorn, stop_gunicorn, wait_until


def test_pages_work_while_redis_is_down_and_queued_work_catches_up(private_redis, processes, smtp_server, practice,
                                                                   environment, app):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment.setenv("PORCH_BASE_URL", base)
    web = start_gunicorn(port, "--workers", "1")  # one process, so the per-process lock-out count is the one seen
    try:
        private_redis.stop()

        status, page, _ = HttpVisitor(base).get("/login")
        assert status == 200
        carlos = HttpVisitor(base)
        status, page, url = carlos.post("/login", {"email": "carlos@brunswick.example", "password": PASSWORD})
        assert url.endswith("/clients"), page
        assert carlos.get("/inbox")[0] == 200

        guesser = HttpVisitor(base)
        answers = [guesser.post("/login", {"email": "amara@brunswick.example", "password": f"wrong-{n}"})
                   for n in range(6)]
        assert [status for status, _, _ in answers[:5]] == [422] * 5, [a[1][:300] for a in answers]
        assert answers[5][0] == 429
        assert "Too many failed sign-ins" in answers[5][1]

        status, page, url = HttpVisitor(base).post("/password/forgot", {"email": "carlos@brunswick.example"})
        assert url.endswith("/password/forgot/sent"), page
        assert smtp_server.to("carlos@brunswick.example") == []

        private_redis.start()  # back, empty: the job queued while it was down is gone; the sweep finds the row
        processes.start("rq", "worker", "--with-scheduler", "--url", private_redis.url)
        processes.start("rq", "cron", "jobs.cron", "--url", private_redis.url)
        [mail] = wait_until(lambda: smtp_server.to("carlos@brunswick.example"), "the sweep to send the reset mail",
                            seconds=120, pause=1)
        assert re.search(r"/password/reset/\S+", mail.get_body(("plain",)).get_content())
        assert carlos.get("/inbox")[0] == 200  # the session outlived the outage
    finally:
        stop_gunicorn(web)
