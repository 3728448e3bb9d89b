"""patch_twilio() makes later `import twilio.jwt...` give the drop-in (run in a fresh
interpreter each: it changes sys.modules)."""

import subprocess
import sys
import textwrap


def run(code):
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_later_imports_get_the_drop_in():
    out = run(
        """
        import twilio_token
        twilio_token.patch_twilio()
        import twilio.jwt
        from twilio.jwt.access_token import AccessToken
        from twilio.jwt.access_token.grants import VideoGrant
        from twilio.jwt.taskrouter.capabilities import WorkerCapabilityToken
        import twilio.jwt.validation, twilio.jwt.client
        assert twilio.jwt.Jwt.__module__ == "twilio_token.jwt"
        assert AccessToken.__module__ == "twilio_token.jwt.access_token"
        assert WorkerCapabilityToken.__module__ == "twilio_token.jwt.taskrouter.capabilities"
        token = AccessToken("AC1", "SK1", "secret", identity="a", grants=[VideoGrant("r")])
        print(type(token).__module__, token.to_jwt().count("."))
        """
    )
    assert out == "twilio_token.jwt.access_token 2"


def test_what_was_imported_before_keeps_the_reference():
    out = run(
        """
        from twilio.jwt.access_token import AccessToken as Before
        import twilio_token
        twilio_token.patch_twilio()
        from twilio.jwt.access_token import AccessToken as After
        print(Before.__module__, After.__module__)
        """
    )
    assert out == "twilio.jwt.access_token twilio_token.jwt.access_token"


def test_the_pytest_plugin_refuses_a_twilio_jwt_imported_before_it():
    out = run(
        """
        import twilio.jwt
        import twilio_token.pytest_plugin as plugin
        try:
            plugin.pytest_configure(None)
        except RuntimeError as e:
            print("refused")
        """
    )
    assert out == "refused"
