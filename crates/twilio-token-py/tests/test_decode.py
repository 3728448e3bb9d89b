"""from_jwt accepts what twilio-python accepts (tokens PyJWT minted, str or bytes keys, RSA
public keys as PKCS#1 and SubjectPublicKeyInfo PEM) and refuses what it refuses, with
JwtDecodeError; and it is strict where the reference is not."""

import base64
import hashlib
import hmac
import json
import os
import time
import warnings

import jwt as pyjwt
import pytest
import twilio.jwt
import twilio.jwt.access_token
import twilio.jwt.validation
from twilio_token.jwt import Jwt, JwtDecodeError
from twilio_token.jwt.access_token import AccessToken
from twilio_token.jwt.access_token.grants import VideoGrant
from twilio_token.jwt.validation import ClientValidationJwt

from conftest import FIXTURES

SECRET = "3b9cfb2d8a7e41f0a1c5e6d7f8091a2b"
warnings.simplefilter("ignore")  # PyJWT's InsecureKeyLengthWarning for short test secrets


def pem(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed(header, claims, secret=SECRET):
    """An HS256 token of these exact JSON texts."""
    signing_input = "{}.{}".format(b64(header.encode()), b64(claims.encode()))
    tag = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return "{}.{}".format(signing_input, b64(tag))


def both(token, key):
    """What twilio-python and the drop-in make of ``token``: a payload or the exception's type."""
    outcomes = []
    for decoder in (twilio.jwt.Jwt, Jwt):
        try:
            outcomes.append(decoder.from_jwt(token, key).payload)
        except Exception as e:
            outcomes.append(type(e).__name__)
    return outcomes


def test_tokens_pyjwt_minted_verify_with_str_and_bytes_keys():
    exp = int(time.time()) + 100
    token = pyjwt.encode({"iss": "me", "sub": "you", "exp": exp, "n": [1, 2.5, None]}, SECRET)
    for key in (SECRET, SECRET.encode()):
        decoded = Jwt.from_jwt(token, key)
        assert (decoded.issuer, decoded.subject, decoded.valid_until) == ("me", "you", exp)
        assert decoded.payload["n"] == [1, 2.5, None]
        assert decoded.headers == {"alg": "HS256", "typ": "JWT"}
    # Bytes tokens too, as PyJWT takes them.
    assert Jwt.from_jwt(token.encode(), SECRET).issuer == "me"


def test_every_failure_is_jwt_decode_error_as_with_the_reference():
    now = int(time.time())
    good = pyjwt.encode({"iss": "me", "exp": now + 100}, SECRET)
    cases = {
        "wrong key": (good, "not the secret"),
        "expired": (pyjwt.encode({"exp": now - 1}, SECRET), SECRET),
        "expired, unverified": (pyjwt.encode({"exp": now - 1}, SECRET), None),
        "not yet valid": (pyjwt.encode({"exp": now + 100, "nbf": now + 50}, SECRET), SECRET),
        "issued in the future": (pyjwt.encode({"exp": now + 100, "iat": now + 50}, SECRET), SECRET),
        "an audience nobody asked for": (pyjwt.encode({"exp": now + 100, "aud": "x"}, SECRET), SECRET),
        "sub not a string": (pyjwt.encode({"exp": now + 100, "sub": 5}, SECRET), SECRET),
        "another algorithm": (pyjwt.encode({"exp": now + 100}, SECRET, algorithm="HS512"), SECRET),
        "alg none": (pyjwt.encode({"exp": now + 100}, None, algorithm="none"), SECRET),
        "alg none, unverified": (pyjwt.encode({"exp": now + 100}, None, algorithm="none"), None),
        "a crit header": (signed('{"alg":"HS256","crit":["exp"],"exp":1}', '{"exp":%d}' % (now + 100)), SECRET),
        "tampered": ("ABC" + good[3:], SECRET),
        "two segments": (good.rsplit(".", 1)[0], SECRET),
        "garbage": ("not a token", SECRET),
        "a public key as the secret": (good, pem("rsa_public.pem")),
    }
    for name, (token, key) in cases.items():
        theirs, ours = both(token, key)
        assert theirs == "JwtDecodeError", name
        assert ours == "JwtDecodeError", name
    # What both accept, both accept alike.
    assert both(good, SECRET)[0] == both(good, SECRET)[1] == {"iss": "me", "exp": now + 100}
    assert both(good, None)[1] == {"iss": "me", "exp": now + 100}


def test_strict_where_the_reference_is_lenient():
    """Each of these verifies with twilio-python; the drop-in refuses it."""
    exp = int(time.time()) + 100
    header = '{"alg":"HS256","typ":"JWT"}'
    cases = {
        "a claim named twice": signed(header, '{"exp":%d,"sub":"a","sub":"b"}' % exp),
        "exp as a string": signed(header, '{"exp":"%d"}' % exp),
        "a number beyond a double": signed(header, '{"exp":%d,"n":1e999}' % exp),
    }
    for name, token in cases.items():
        theirs, ours = both(token, SECRET)
        assert theirs != "JwtDecodeError", name
        assert ours == "JwtDecodeError", name


def test_access_token_from_jwt_returns_a_jwt_as_the_reference_does():
    token = AccessToken("AC" + "a" * 32, "SK" + "b" * 32, SECRET, identity="alice")
    token.add_grant(VideoGrant(room="My Room"))
    decoded = AccessToken.from_jwt(token.to_jwt(), SECRET)
    reference = twilio.jwt.access_token.AccessToken.from_jwt(token.to_jwt(), SECRET)
    assert type(decoded) is Jwt and type(reference) is twilio.jwt.Jwt
    assert decoded.payload == reference.payload
    assert decoded.payload["grants"] == {"video": {"room": "My Room"}, "identity": "alice"}
    assert decoded.headers == reference.headers
    for attribute in ("issuer", "subject", "algorithm", "nbf", "valid_until", "secret_key"):
        assert getattr(decoded, attribute) == getattr(reference, attribute), attribute
    # The same instance attributes, in the same order, as the reference's constructor leaves.
    assert list(vars(decoded).items()) == list(vars(reference).items())


def test_a_subclass_s_own_from_jwt_hook_makes_the_result():
    class Remembering(AccessToken):
        @classmethod
        def _from_jwt(cls, headers, payload, key=None):
            return ("mine", headers["alg"], payload["iss"], key)

    token = AccessToken("AC" + "a" * 32, "SK" + "b" * 32, SECRET, identity="alice").to_jwt()
    assert Remembering.from_jwt(token, SECRET) == ("mine", "HS256", "SK" + "b" * 32, SECRET)


def test_decoding_reads_the_module_s_datetime_and_chains_the_cause():
    """The clock is ``datetime.now`` as the module finds it at each call (as freezegun or a
    test's patch leaves it); the error keeps the failure it wraps as its context."""
    import datetime as real
    from unittest import mock

    import twilio_token.jwt

    token = AccessToken("AC" + "a" * 32, "SK" + "b" * 32, SECRET, identity="alice").to_jwt()
    later = real.datetime.now(real.timezone.utc) + real.timedelta(hours=2)

    class Later(real.datetime):
        @classmethod
        def now(cls, tz=None):
            return later

    with mock.patch.object(twilio_token.jwt, "datetime", Later):
        with pytest.raises(JwtDecodeError, match="Signature has expired") as raised:
            AccessToken.from_jwt(token, SECRET)
    assert isinstance(raised.value.__context__, ValueError)
    assert AccessToken.from_jwt(token, SECRET).payload["grants"]["identity"] == "alice"


@pytest.mark.parametrize("public", ["rsa_public.pem", "pkcs1_public"])
def test_validation_tokens_verify_with_pkcs1_and_spki_public_keys(public):
    from cryptography.hazmat.primitives import serialization
    from twilio.http.validation_client import ValidationPayload

    spki = pem("rsa_public.pem")
    if public == "pkcs1_public":
        key = serialization.load_pem_public_key(spki.encode())
        public_pem = key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.PKCS1
        ).decode()
        assert "BEGIN RSA PUBLIC KEY" in public_pem
    else:
        public_pem = spki
    payload = ValidationPayload("GET", "/x", "a=1", {"host": "h"}, ["host"], "")
    for private in ("rsa_pkcs1.pem", "rsa_pkcs8.pem"):
        token = ClientValidationJwt("AC1", "SK1", "CR1", pem(private), payload).to_jwt()
        ours = ClientValidationJwt.from_jwt(token, public_pem)
        theirs = twilio.jwt.validation.ClientValidationJwt.from_jwt(token, public_pem)
        assert ours.payload == theirs.payload
        assert ours.headers == theirs.headers == {
            "alg": "RS256", "cty": "twilio-pkrv;v=1", "kid": "CR1", "typ": "JWT",
        }
    with pytest.raises(JwtDecodeError):
        ClientValidationJwt.from_jwt(token, SECRET)


def test_header_and_payload_json_are_pyjwts():
    """The header's keys sorted, the payload's in order, ensure_ascii, Python's float repr."""
    payload = {"z": 1e16, "a": "é\u2028😀", "n": None, "t": (1, True), "big": 2**70, "f": 0.1}
    ours = twilio_token_encode(payload, {"kid": "k", "b": 1})
    theirs = pyjwt.encode(payload, SECRET, algorithm="HS256", headers={"kid": "k", "b": 1})
    assert ours == theirs
    header, body = (base64.urlsafe_b64decode(s + "==") for s in ours.split(".")[:2])
    assert header == b'{"alg":"HS256","b":1,"kid":"k","typ":"JWT"}'
    assert body.startswith(b'{"z":1e+16,"a":"\\u00e9\\u2028\\ud83d\\ude00","n":null')


def twilio_token_encode(payload, headers):
    from twilio_token.jwt import _encode

    return _encode(payload, SECRET, "HS256", headers)


def test_values_json_cannot_write_fail_as_json_dumps_fails():
    for value in ({1, 2}, object(), b"bytes"):
        with pytest.raises(TypeError):
            twilio_token_encode({"x": value}, {})
        with pytest.raises(TypeError):
            pyjwt.encode({"x": value}, SECRET)
    circular = {}
    circular["self"] = circular
    with pytest.raises(ValueError):
        twilio_token_encode(circular, {})
    # What only json.dumps spells: NaN, non-string keys, a lone surrogate. The same bytes.
    for payload in ({"x": float("nan")}, {1: "one", None: 2}, {"x": "\ud800"}):
        assert twilio_token_encode(payload, {}) == pyjwt.encode(payload, SECRET)


def test_missing_key_and_bad_grants_are_value_errors():
    with pytest.raises(ValueError):
        AccessToken("AC1", "SK1", None).to_jwt()
    with pytest.raises(ValueError):
        AccessToken("AC1", "SK1", SECRET, grants=["not a grant"])
    with pytest.raises(ValueError):
        AccessToken("AC1", "SK1", SECRET).add_grant({"video": {}})


def test_numbers_read_as_json_loads_reads_them():
    exp = int(time.time()) + 100
    claims = '{"exp":%d,"big":123456789012345678901234567890,"neg":-0,"f":2.10,"e":1E5,"u":18446744073709551615}' % exp
    for key in (SECRET, None):
        payload = Jwt.from_jwt(signed('{"alg":"HS256","typ":"JWT"}', claims), key).payload
        assert payload == json.loads(claims)
        assert [type(payload[k]) for k in ("big", "neg", "f", "e", "u")] == [int, int, float, float, int]


def test_each_decode_returns_fresh_dicts_and_each_key_is_its_own():
    token = pyjwt.encode({"exp": int(time.time()) + 100, "n": [1]}, SECRET)
    first = Jwt.from_jwt(token, SECRET)
    first.headers["typ"] = "changed"
    first.payload["n"].append(2)
    second = Jwt.from_jwt(token, SECRET)
    assert second.headers == {"alg": "HS256", "typ": "JWT"}
    assert second.payload["n"] == [1]
    # A key seen before does not make another key verify.
    other = pyjwt.encode({"exp": int(time.time()) + 100}, "another secret")
    with pytest.raises(JwtDecodeError):
        Jwt.from_jwt(other, SECRET)
    assert Jwt.from_jwt(other, "another secret").payload["exp"] > 0
