"""twilio-token for Python: ``twilio_token.jwt`` is twilio-python's ``twilio.jwt``, module for
module and class for class, with the Rust library minting and verifying.

``patch_twilio()`` makes ``import twilio.jwt...`` give these modules, for code whose imports
cannot change.
"""

import importlib
import sys
import types

__all__ = ["patch_twilio"]

#: The modules of ``twilio.jwt``, each mirrored here under ``twilio_token.``.
MODULES = (
    "jwt",
    "jwt.access_token",
    "jwt.access_token.grants",
    "jwt.client",
    "jwt.taskrouter",
    "jwt.taskrouter.capabilities",
    "jwt.validation",
)


def patch_twilio():
    """Makes ``twilio.jwt`` and its submodules this package's, for every import from now on.

    Caveat: it changes what later imports find, not what was imported already. A module that
    ran ``from twilio.jwt.access_token import AccessToken`` before the call keeps twilio-python's
    class (as ``twilio.http.validation_client`` keeps its ``ClientValidationJwt`` if it was
    imported first), so call it first thing, before anything imports ``twilio.jwt``. The rest of
    the ``twilio`` package (``twilio.rest`` and so on) is left as it is.
    """
    try:
        twilio = importlib.import_module("twilio")
    except ImportError:
        # Without twilio-python, a bare package to hang ``twilio.jwt`` on.
        twilio = types.ModuleType("twilio")
        twilio.__path__ = []
        sys.modules["twilio"] = twilio
    for name in MODULES:
        module = importlib.import_module("twilio_token." + name)
        sys.modules["twilio." + name] = module
        parent, _, child = ("twilio." + name).rpartition(".")
        setattr(sys.modules[parent], child, module)
