"""Which payment processor this Porch uses: config PORCH_PAYMENT_PROCESSOR ("test", the default, or "stripe")."""

from flask import current_app

from app.billing.processor import PaymentProcessor


def current_processor() -> PaymentProcessor:
    name = current_app.config.get("PORCH_PAYMENT_PROCESSOR", "test")
    if name == "test":
        from app.billing.test_mode import TestModeProcessor

        return TestModeProcessor()
    if name == "stripe":
        from app.billing.stripe_processor import StripeProcessor

        return StripeProcessor.from_config(current_app.config)
    raise RuntimeError(f"PORCH_PAYMENT_PROCESSOR={name!r} is not a processor this Porch knows; use 'test' or 'stripe'.")
