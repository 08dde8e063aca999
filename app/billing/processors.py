"""Which payment processor this Porch uses: config PORCH_PAYMENT_PROCESSOR ("test", the default)."""

from flask import current_app

from app.billing.processor import PaymentProcessor


def current_processor() -> PaymentProcessor:
    name = current_app.config.get("PORCH_PAYMENT_PROCESSOR", "test")
    if name == "test":
        from app.billing.test_mode import TestModeProcessor

        return TestModeProcessor()
    raise RuntimeError(f"PORCH_PAYMENT_PROCESSOR={name!r} is not a processor this Porch knows; use 'test'.")
