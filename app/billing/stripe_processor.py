"""Payments through Stripe: customers, cards added on Stripe Checkout (setup mode), PaymentIntents, refunds, webhooks.

Each processor has its own `stripe.StripeClient` (key and API base from config), so nothing is set on the module
globals of the `stripe` package. Every call that moves money passes Porch's idempotency key as Stripe's own.
"""

from __future__ import annotations

import stripe

from app.billing.processor import CardOnFile, CardSetup, Charge, Event, ProcessorError, Refund

DEFAULT_API_BASE = "https://api.stripe.com"


class StripeProcessor:
    name = "stripe"

    def __init__(self, *, secret_key: str, webhook_secret: str | None = None, api_base: str | None = None,
                 max_network_retries: int = 2):
        if not secret_key:
            raise ProcessorError("STRIPE_SECRET_KEY is not set")
        self.test_mode = secret_key.startswith("sk_test_")
        self.webhook_secret = webhook_secret
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": (api_base or DEFAULT_API_BASE).rstrip("/")},
            max_network_retries=max_network_retries,
        )

    @classmethod
    def from_config(cls, config) -> StripeProcessor:
        return cls(secret_key=config.get("STRIPE_SECRET_KEY") or "",
                   webhook_secret=config.get("STRIPE_WEBHOOK_SECRET"),
                   api_base=config.get("STRIPE_API_BASE"))

    # customers and cards

    def create_customer(self, *, reference: str, email: str | None) -> str:
        params = {"metadata": {"porch_reference": reference}}
        if email:
            params["email"] = email
        with _stripe_errors():
            customer = self.client.v1.customers.create(params, {"idempotency_key": f"customer-{reference}"})
        return customer.id

    def start_card_setup(self, *, customer: str, return_url: str) -> CardSetup:
        with _stripe_errors():
            session = self.client.v1.checkout.sessions.create({
                "mode": "setup",
                "customer": customer,
                "currency": "usd",
                "payment_method_types": ["card"],
                "success_url": return_url,
                "cancel_url": return_url,
            })
        return CardSetup(reference=session.id, redirect_url=session.url)

    def finish_card_setup(self, reference: str) -> CardOnFile | None:
        with _stripe_errors():
            session = self.client.v1.checkout.sessions.retrieve(reference)
            if session.status != "complete" or not session.setup_intent:
                return None
            intent_id = session.setup_intent if isinstance(session.setup_intent, str) else session.setup_intent.id
            intent = self.client.v1.setup_intents.retrieve(intent_id)
            if intent.status != "succeeded" or not intent.payment_method:
                return None
            method_id = intent.payment_method if isinstance(intent.payment_method, str) else intent.payment_method.id
            method = self.client.v1.payment_methods.retrieve(method_id)
        card = method.card
        return CardOnFile(token=method.id, brand=_brand_label(card.brand), last4=card.last4,
                          exp_month=int(card.exp_month), exp_year=int(card.exp_year))

    def remove_card(self, token: str) -> None:
        try:
            self.client.v1.payment_methods.detach(token)
        except stripe.InvalidRequestError as error:
            if error.code == "resource_missing" or "not attached" in (error.user_message or str(error)):
                return  # already gone: nothing left to detach
            raise ProcessorError(_message(error)) from error
        except stripe.StripeError as error:
            raise ProcessorError(_message(error)) from error

    # payments

    def charge(self, *, customer: str, card: str, amount_minor: int, currency: str, idempotency_key: str,
               description: str, return_url: str) -> Charge:
        params = {
            "amount": amount_minor,
            "currency": currency.lower(),
            "customer": customer,
            "payment_method": card,
            "confirm": True,
            "description": description,
            "return_url": return_url,
            "payment_method_types": ["card"],
        }
        try:
            intent = self.client.v1.payment_intents.create(params, {"idempotency_key": idempotency_key})
        except stripe.CardError as error:
            return _declined_from_error(error)
        except stripe.StripeError as error:
            raise ProcessorError(_message(error)) from error
        return _charge_of(intent)

    def charge_status(self, reference: str) -> Charge:
        with _stripe_errors():
            intent = self.client.v1.payment_intents.retrieve(reference)
        return _charge_of(intent)

    def refund(self, *, payment: str, amount_minor: int, idempotency_key: str) -> Refund:
        with _stripe_errors():
            refund = self.client.v1.refunds.create({"payment_intent": payment, "amount": amount_minor},
                                                   {"idempotency_key": idempotency_key})
        return Refund(reference=refund.id, amount_minor=int(refund.amount))

    # webhooks

    def parse_event(self, payload: bytes, headers: dict[str, str]) -> Event:
        if not self.webhook_secret:
            raise ProcessorError("STRIPE_WEBHOOK_SECRET is not set")
        signature = next((value for key, value in headers.items() if key.lower() == "stripe-signature"), None)
        if not signature:
            raise ProcessorError("The webhook has no Stripe-Signature header")
        try:
            event = stripe.Webhook.construct_event(payload, signature, self.webhook_secret)
        except stripe.SignatureVerificationError as error:
            raise ProcessorError("The webhook signature could not be verified") from error
        except ValueError as error:
            raise ProcessorError("The webhook body is not a Stripe event") from error
        obj = event.data.object.to_dict()
        if event.type == "payment_intent.succeeded":
            return Event(id=event.id, kind="payment_succeeded", payment_reference=obj["id"])
        if event.type == "payment_intent.payment_failed":
            error = obj.get("last_payment_error") or {}
            return Event(id=event.id, kind="payment_failed", payment_reference=obj["id"],
                         decline_message=error.get("message") or "Your card was declined.")
        reference = obj.get("id") if obj.get("object") == "payment_intent" else None
        return Event(id=event.id, kind="other", payment_reference=reference)


def _charge_of(intent) -> Charge:
    intent = intent.to_dict()
    if intent["status"] == "succeeded":
        return Charge(status="succeeded", reference=intent["id"])
    if intent["status"] in ("requires_action", "requires_confirmation", "processing"):
        next_action = intent.get("next_action") or {}
        redirect = next_action.get("redirect_to_url") or {}
        return Charge(status="requires_action", reference=intent["id"], action_url=redirect.get("url"))
    error = intent.get("last_payment_error") or {}
    return Charge(status="declined", reference=intent["id"],
                  decline_message=error.get("message") or "Your card was declined.")


def _declined_from_error(error: stripe.CardError) -> Charge:
    body = (error.json_body or {}).get("error", {})
    intent = body.get("payment_intent") or {}
    return Charge(status="declined", reference=intent.get("id", ""),
                  decline_message=error.user_message or body.get("message") or "Your card was declined.")


def _brand_label(brand: str) -> str:
    labels = {"visa": "Visa", "mastercard": "Mastercard", "amex": "American Express", "discover": "Discover",
              "diners": "Diners Club", "jcb": "JCB", "unionpay": "UnionPay", "cartes_bancaires": "Cartes Bancaires"}
    return labels.get(brand, brand.replace("_", " ").title())


def _message(error: stripe.StripeError) -> str:
    return error.user_message or str(error) or type(error).__name__


class _stripe_errors:
    """Turn any Stripe failure (network, auth, bad request) into ProcessorError."""

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if isinstance(error, stripe.StripeError):
            raise ProcessorError(_message(error)) from error
        return False
