"""A pytest plugin that runs a test suite written for twilio-python's ``twilio.jwt`` against
this package: ``pytest -p twilio_token.pytest_plugin``. It patches before any test module is
collected, and refuses to run if ``twilio.jwt`` was imported before it could."""

import sys

import twilio_token


def pytest_configure(config):
    already = sys.modules.get("twilio.jwt")
    if already is not None and not already.__name__.startswith("twilio_token"):
        raise RuntimeError(
            "twilio.jwt was imported before twilio_token.pytest_plugin could redirect it"
        )
    twilio_token.patch_twilio()
