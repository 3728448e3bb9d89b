"""What the drop-in's tests share: the golden cases, and twilio-python's own golden minting code
(crates/twilio-token/tests/fixtures/golden.py) loaded twice, once as it is and once with
``twilio.jwt`` redirected to the drop-in, so that both mint from the same spec the same way."""

import importlib.util
import json
import os
import sys

import pytest

# The real package first, so that its modules keep twilio-python's classes.
import twilio.http.validation_client  # noqa: F401
import twilio.jwt.access_token.grants  # noqa: F401
import twilio.jwt.client  # noqa: F401
import twilio.jwt.taskrouter.capabilities  # noqa: F401
import twilio.jwt.validation  # noqa: F401
import twilio_token
import twilio_token.jwt

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, os.pardir, os.pardir, os.pardir)
FIXTURES = os.path.join(ROOT, "crates", "twilio-token", "tests", "fixtures")
SCRIPTS = os.path.join(ROOT, "scripts")


def pytest_configure(config):
    # The tests hold the installed wheel, not the source tree beside them.
    installed = os.path.dirname(twilio_token.__file__)
    source = os.path.join(HERE, os.pardir, "python", "twilio_token")
    if os.path.realpath(installed) == os.path.realpath(source):
        raise pytest.UsageError("twilio_token is imported from the source tree, not installed")


def load(path, name, redirect):
    """The module at ``path``; with ``redirect``, its ``twilio.jwt`` imports are the drop-in's."""
    saved = {k: v for k, v in sys.modules.items() if k == "twilio.jwt" or k.startswith("twilio.jwt.")}
    try:
        if redirect:
            for module in twilio_token.MODULES:
                sys.modules["twilio." + module] = importlib.import_module("twilio_token." + module)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        for k in [k for k in sys.modules if k == "twilio.jwt" or k.startswith("twilio.jwt.")]:
            del sys.modules[k]
        sys.modules.update(saved)


@pytest.fixture(scope="session")
def golden_cases():
    with open(os.path.join(FIXTURES, "golden.json")) as f:
        return json.load(f)


@pytest.fixture(scope="session")
def reference():
    """golden.py minting with twilio-python."""
    return load(os.path.join(FIXTURES, "golden.py"), "golden_reference", redirect=False)


@pytest.fixture(scope="session")
def dropin():
    """golden.py minting with the drop-in."""
    return load(os.path.join(FIXTURES, "golden.py"), "golden_dropin", redirect=True)


@pytest.fixture(scope="session")
def crosscheck():
    """scripts/crosscheck.py, for its random specs."""
    sys.path.insert(0, SCRIPTS)
    return load(os.path.join(SCRIPTS, "crosscheck.py"), "crosscheck", redirect=False)
