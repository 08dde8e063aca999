"""A small real HTTP server on 127.0.0.1 that answers the real `stripe` library with recorded Stripe API responses.

Each route checks what the library sent (method, path, the form fields that matter, the Idempotency-Key header
on calls that move money) and answers with a fixture from `stripe_fixtures/`, shaped as Stripe's API reference
shows it. A request that does not match is answered 400 with an `invalid_request_error` and kept in
`mismatches`, so a test fails loudly when the adapter sends something else. Like Stripe, a repeated
Idempotency-Key gets the first response back.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent / "stripe_fixtures"
SECRET_KEY = "sk_test_porchcontract"

# Stripe's test cards, by number: the PaymentMethod the recorded session saves, and what a charge on it does.
TEST_CARDS = {
    "4242424242424242": {"pm": "pm_card_visa", "brand": "visa", "last4": "4242", "charge": "succeeded"},
    "4000000000000002": {"pm": "pm_card_chargeDeclined", "brand": "visa", "last4": "0002", "charge": "declined"},
    "4000000000009995": {"pm": "pm_card_chargeDeclinedInsufficientFunds", "brand": "visa", "last4": "9995",
                         "charge": "insufficient_funds"},
    "4000002760003184": {"pm": "pm_card_authenticationRequired", "brand": "visa", "last4": "3184",
                         "charge": "requires_action"},
}


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


@dataclass
class Seen:
    method: str
    path: str
    form: dict[str, str]
    headers: dict[str, str]


@dataclass
class StripeReplay:
    sessions: dict[str, dict] = field(default_factory=dict)  # checkout session id -> entered card (or None)
    methods: dict[str, dict] = field(default_factory=dict)  # payment method id -> card, attached or not
    intents: dict[str, dict] = field(default_factory=dict)  # payment intent id -> body as it stands now
    idempotent: dict[str, tuple[int, dict]] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    counter: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    # what the test does on Stripe's own pages

    def enter_card(self, session_id: str, number: str) -> None:
        """The client typed `number` on the Checkout page and Stripe saved it."""
        self.sessions[session_id] = TEST_CARDS[number]

    def complete_action(self, intent_id: str) -> None:
        """The client passed the 3-D Secure step on Stripe's page."""
        intent = self.intents[intent_id]
        intent.update(status="succeeded", next_action=None, amount_received=intent["amount"])

    def calls(self, method: str, path_prefix: str) -> list[Seen]:
        return [seen for seen in self.requests if seen.method == method and seen.path.startswith(path_prefix)]

    # routing

    def next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}_porch{self.counter:06d}"

    def handle(self, method: str, path: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, dict]:
        self.requests.append(Seen(method, path, form, headers))
        if headers.get("authorization") != f"Bearer {SECRET_KEY}":
            return 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}}
        key = headers.get("idempotency-key")
        if method == "POST" and key and key in self.idempotent:
            return copy.deepcopy(self.idempotent[key])
        status, body = self.route(method, path, form, headers)
        if method == "POST" and key:
            self.idempotent[key] = (status, copy.deepcopy(body))
        return status, body

    def route(self, method, path, form, headers):
        money = path in ("/v1/payment_intents", "/v1/refunds")
        if money and not headers.get("idempotency-key"):
            return self.mismatch(f"{method} {path} without an Idempotency-Key")
        if method == "POST" and path == "/v1/customers":
            body = fixture("customer")
            body.update(id=self.next_id("cus"), email=form.get("email"),
                        metadata={"porch_reference": form.get("metadata[porch_reference]")})
            return 200, body
        if method == "POST" and path == "/v1/checkout/sessions":
            if not self.expect(form, {"mode": "setup", "payment_method_types[0]": "card"}, "customer",
                               "success_url", "cancel_url"):
                return self.mismatch(f"checkout session {form}")
            body = fixture("checkout_session_setup")
            body.update(id=self.next_id("cs_test"), customer=form["customer"], success_url=form["success_url"],
                        cancel_url=form["cancel_url"], setup_intent=None, status="open")
            body["url"] = f"https://checkout.stripe.com/c/pay/{body['id']}"
            self.sessions[body["id"]] = None
            return 200, body
        if match := re.fullmatch(r"/v1/checkout/sessions/([\w]+)", path):
            session_id = match[1]
            if method != "GET" or session_id not in self.sessions:
                return self.missing("checkout.session", session_id)
            body = fixture("checkout_session_setup")
            body["id"] = session_id
            card = self.sessions[session_id]
            if card:
                body.update(status="complete", setup_intent="seti_" + session_id)
            else:
                body.update(status="open", setup_intent=None)
            return 200, body
        if match := re.fullmatch(r"/v1/setup_intents/seti_([\w]+)", path):
            card = self.sessions.get(match[1])
            if method != "GET" or not card:
                return self.missing("setup_intent", path.rsplit("/", 1)[1])
            body = fixture("setup_intent_succeeded")
            body.update(id="seti_" + match[1], payment_method=card["pm"])
            self.methods[card["pm"]] = {**card, "attached": True}
            return 200, body
        if match := re.fullmatch(r"/v1/payment_methods/([\w]+)(/detach)?", path):
            card = self.methods.get(match[1])
            if not card:
                return self.missing("payment_method", match[1])
            body = fixture("payment_method_card")
            body["id"] = match[1]
            body["card"].update(brand=card["brand"], last4=card["last4"])
            if method == "POST" and match[2]:
                if not card["attached"]:
                    return 400, fixture("error_payment_method_not_attached")
                card["attached"] = False
            if not card["attached"]:
                body["customer"] = None
            return 200, body
        if method == "POST" and path == "/v1/payment_intents":
            if not self.expect(form, {"confirm": "true"}, "amount", "currency", "customer", "payment_method",
                               "return_url"):
                return self.mismatch(f"payment intent {form}")
            card = self.methods.get(form["payment_method"])
            if not card or not card["attached"]:
                return self.missing("payment_method", form["payment_method"])
            if card["charge"] in ("declined", "insufficient_funds"):
                name = "error_card_declined" if card["charge"] == "declined" else "error_insufficient_funds"
                body = fixture(name)
                body["error"]["payment_intent"]["id"] = self.next_id("pi")
                return 402, body
            name = "payment_intent_succeeded" if card["charge"] == "succeeded" else "payment_intent_requires_action"
            body = fixture(name)
            body.update(id=self.next_id("pi"), amount=int(form["amount"]), currency=form["currency"],
                        customer=form["customer"], payment_method=form["payment_method"],
                        description=form.get("description"))
            if body["status"] == "succeeded":
                body["amount_received"] = body["amount"]
            else:
                body["next_action"]["redirect_to_url"]["return_url"] = form["return_url"]
            self.intents[body["id"]] = body
            return 200, body
        if match := re.fullmatch(r"/v1/payment_intents/([\w]+)", path):
            if method != "GET" or match[1] not in self.intents:
                return self.missing("payment_intent", match[1])
            return 200, self.intents[match[1]]
        if method == "POST" and path == "/v1/refunds":
            intent = self.intents.get(form.get("payment_intent", ""))
            if not intent or intent["status"] != "succeeded":
                return self.missing("payment_intent", form.get("payment_intent", ""))
            amount = int(form.get("amount") or intent["amount"])
            refunded = intent.setdefault("_refunded", 0)
            if refunded + amount > intent["amount"]:
                return 400, {"error": {"type": "invalid_request_error", "code": "charge_already_refunded",
                                       "message": f"Refund amount ({amount}) is greater than unrefunded amount"}}
            intent["_refunded"] = refunded + amount
            body = fixture("refund")
            body.update(id=self.next_id("re"), amount=amount, payment_intent=intent["id"])
            return 200, body
        return self.mismatch(f"unexpected {method} {path}")

    def expect(self, form, equal: dict[str, str], *present: str) -> bool:
        return all(form.get(k) == v for k, v in equal.items()) and all(form.get(k) for k in present)

    def mismatch(self, what: str) -> tuple[int, dict]:
        self.mismatches.append(what)
        return 400, {"error": {"type": "invalid_request_error", "message": f"Replay server: {what}"}}

    def missing(self, kind: str, ident: str) -> tuple[int, dict]:
        return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing", "param": "id",
                               "message": f"No such {kind}: '{ident}'"}}


def serve(replay: StripeReplay) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def answer(self):
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            query = raw if self.command == "POST" else url.query
            form = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
            headers = {k.lower(): v for k, v in self.headers.items()}
            with replay.lock:
                status, body = replay.handle(self.command, url.path, form, headers)
            data = json.dumps({k: v for k, v in body.items() if not k.startswith("_")}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", "req_replay")
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
