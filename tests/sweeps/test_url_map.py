"""Sweeps over app.url_map: a new route is covered without being named here (or the sweep fails until it is)."""

import re

import pytest
from flask import Flask
from werkzeug.routing import Rule

from tests.conftest import PASSWORD, Visitor, _forget_request_state
from tests.sweeps.conftest import World

# Routes without arguments (/healthz, /readyz, /login, /clients ...) have no ids to swap; these have arguments that
# are not the id of a practice's record, and are left out of the id sweep for the reason given.
PUBLIC_BY_DESIGN = {
    "static": "stylesheet, scripts and vendored htmx under fingerprinted names: public files, nobody's data",
    "auth.reset_password": "the token in a reset link is the credential itself (tests/auth/test_password_reset.py)",
    "my_account.confirm_email": "the token in the link that confirms a new sign-in address is the credential itself "
                                "(tests/auth/test_account.py)",
    "portal.accept": "the token in an invite link is the credential itself (tests/portal/test_invites.py)",
    "team.accept": "the token in a staff invite link is the credential itself (tests/team/test_invites.py)",
    "branding.stylesheet": "a practice's colour: shown on its login page to anyone, so public by design",
    "branding.logo": "a practice's logo: on its login page and in its e-mails, so public by design",
    "portal.card": "`name` is one of the four card names, the same for every client; a card shows only the "
                   "signed-in client's own data",
    "test_processor.card": "the test-mode processor's own card page (it stands for the processor's hosted page): "
                           "`reference` is an unguessable setup id, and the page shows no client's data "
                           "(tests/billing/test_test_mode.py)",
    "test_processor.confirm": "the test-mode processor's confirmation page: `reference` is an unguessable payment "
                              "id; it shows an amount only (tests/billing/test_test_mode.py)",
    "billing_webhooks.receive": "the payment processor's webhooks: `processor` is a processor's name, and the "
                                "event's signature is the credential (tests/billing/test_portal.py)",
}
NOT_IDS = {"token": "not-a-real-token", "name": "messages"}  # for the CSRF sweep on the public routes
INT_ARGUMENT = re.compile(r"<int(?:\([^)]*\))?:(\w+)>")
TOO_BIG_FOR_ANY_ROW = (2**31, 10**25)


def changes(rule: Rule) -> list[str]:
    return sorted(rule.methods - {"GET", "HEAD", "OPTIONS"})


def asked_with(rule: Rule) -> list[str]:
    """The methods a route answers (HEAD only when it has nothing else: a tus upload's progress)."""
    methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
    return methods or sorted(rule.methods & {"HEAD"})


def path_of(app: Flask, rule: Rule, values: dict) -> str:
    return app.url_map.bind("porch.test").build(rule.endpoint, values)


def ask(visitor: Visitor, method: str, path: str, csrf: bool = True):
    token = visitor.csrf_token() if csrf else None
    headers = {"Tus-Resumable": "1.0.0", **({"X-CSRFToken": token} if token else {})}
    _forget_request_state()
    return visitor.client.open(path, method=method, headers=headers,
                               data={"csrf_token": token} if token and method != "GET" else None)


def signed_in(app: Flask, email: str, password: str) -> Visitor:
    visitor = Visitor(app.test_client())
    visitor.login(email, password)
    return visitor


def side_of(rule: Rule) -> str:
    return "client" if rule.rule.startswith("/portal") else "staff"


@pytest.fixture
def people(app, world: World) -> dict[str, Visitor]:
    return {
        "staff": signed_in(app, "owner@brunswick.example", world.password),
        "client": signed_in(app, "aisha@example.com", world.password),
        "other practice's owner": signed_in(app, world.other_owner.email, PASSWORD),
        "another client": signed_in(app, world.ben.email, PASSWORD),
    }


def test_it_answers_404_to_another_practice_and_another_client_on_every_route_with_an_id(app, world, people):
    problems, uncovered = [], []
    for rule in app.url_map.iter_rules():
        if not rule.arguments or rule.endpoint in PUBLIC_BY_DESIGN:
            continue
        if missing := sorted(rule.arguments - world.ids.keys()):
            uncovered.append(f"{rule.rule} ({rule.endpoint}): no id for {', '.join(missing)}")
            continue
        path = path_of(app, rule, {name: world.ids[name] for name in rule.arguments})
        if "GET" in rule.methods and (status := ask(people[side_of(rule)], "GET", path).status_code) >= 400:
            problems.append(f"GET {path}: the practice's own {side_of(rule)} got {status}, so the ids are wrong")
        for intruder in ("other practice's owner", "another client"):
            for method in asked_with(rule):
                response = ask(people[intruder], method, path)
                body = response.get_data(as_text=True)
                if response.status_code != 404:
                    problems.append(f"{method} {path} as {intruder}: {response.status_code}, not 404")
                if shown := [secret for secret in world.aisha_secrets if secret in body]:
                    problems.append(f"{method} {path} as {intruder} shows {shown}")
    assert not uncovered, "routes the sweep has no rule for (add the argument to World.ids or PUBLIC_BY_DESIGN):\n" \
        + "\n".join(uncovered)
    assert not problems, "\n".join(problems)


def test_it_refuses_every_change_without_a_csrf_token(app, world, people):
    problems = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or not changes(rule):
            continue
        path = path_of(app, rule, {name: world.ids.get(name, NOT_IDS.get(name)) for name in rule.arguments})
        for method in changes(rule):
            status = ask(people[side_of(rule)], method, path, csrf=False).status_code
            if status != 400:
                problems.append(f"{method} {path} without a CSRF token: {status}, not 400")
    assert not problems, "\n".join(problems)


def test_it_answers_404_to_ids_no_row_can_have(app, world, people):
    problems, checked = [], 0
    for rule in app.url_map.iter_rules():
        for argument in INT_ARGUMENT.findall(rule.rule):
            for too_big in TOO_BIG_FOR_ANY_ROW:
                values = {**{name: world.ids[name] for name in rule.arguments}, argument: too_big}
                path = path_of(app, rule, values)
                method = asked_with(rule)[0]
                status = ask(people[side_of(rule)], method, path).status_code
                checked += 1
                if status != 404:
                    problems.append(f"{method} {path}: {status}, not 404")
    assert not problems, "\n".join(problems)
    assert checked > 60
