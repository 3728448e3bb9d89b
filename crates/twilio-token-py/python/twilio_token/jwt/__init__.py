"""The base of every token: ``Jwt`` and ``JwtDecodeError``, as in ``twilio.jwt``.

The classes are Python, so that code subclasses them as it does twilio-python's; the JSON, the
base64url, the signatures and the strict decoding are the Rust extension's
(``twilio_token._native``). The clock is Python's: ``time.time()`` is read where the reference
reads it, and decoding reads ``datetime.now(timezone.utc)`` as PyJWT does, so that a test's
``mock.patch`` works the same on both.

Decoding is stricter than the reference's in these ways, each refused with ``JwtDecodeError``:
the token must be canonical unpadded base64url in exactly three segments, its header and claims
JSON objects with no member named twice (the reference keeps the last) and no number beyond a
double's range (the reference reads ``1e999`` as infinity), ``exp``, ``nbf`` and ``iat`` must be
JSON numbers (the reference also takes numeric strings), and tokens over 16 KiB are refused
before they are read. As with the reference, ``alg: none`` never verifies, a ``crit`` header is
refused and a PEM or SSH key is never an HMAC secret.
"""

import time
from calendar import timegm
from datetime import datetime, timezone

from twilio_token import _native

__all__ = ["Jwt", "JwtDecodeError"]

_UTC = timezone.utc


class JwtDecodeError(Exception):
    """A token could not be decoded or did not verify."""


class Jwt(object):
    """Base class for building a JSON Web Token."""

    GENERATE = object()
    ALGORITHM = "HS256"

    def __init__(
        self,
        secret_key,
        issuer,
        subject=None,
        algorithm=None,
        nbf=GENERATE,
        ttl=3600,
        valid_until=None,
    ):
        self.secret_key = secret_key
        self.issuer = issuer
        self.subject = subject
        self.algorithm = algorithm or self.ALGORITHM
        self.nbf = nbf
        self.ttl = ttl
        self.valid_until = valid_until
        self.__decoded_payload = None
        self.__decoded_headers = None

    def _generate_payload(self):
        """The token type's own claims (a dict); subclasses provide it."""
        raise NotImplementedError("Subclass must provide a payload.")

    def _generate_headers(self):
        """Headers besides ``typ`` and ``alg`` (a dict); none by default."""
        return {}

    @classmethod
    def _from_jwt(cls, headers, payload, key=None):
        """A ``Jwt`` holding a decoded token's headers, payload and key."""
        jwt = Jwt(
            secret_key=key,
            issuer=payload.get("iss", None),
            subject=payload.get("sub", None),
            algorithm=headers.get("alg", None),
            valid_until=payload.get("exp", None),
            nbf=payload.get("nbf", None),
        )
        jwt.__decoded_payload = payload
        jwt.__decoded_headers = headers
        return jwt

    @property
    def payload(self):
        if self.__decoded_payload:
            return self.__decoded_payload

        payload = self._generate_payload().copy()
        payload["iss"] = self.issuer
        payload["exp"] = int(time.time()) + self.ttl
        if self.nbf is not None:
            if self.nbf == self.GENERATE:
                payload["nbf"] = int(time.time())
            else:
                payload["nbf"] = self.nbf
        if self.valid_until:
            payload["exp"] = self.valid_until
        if self.subject:
            payload["sub"] = self.subject
        return payload

    @property
    def headers(self):
        if self.__decoded_headers:
            return self.__decoded_headers

        headers = self._generate_headers().copy()
        headers["typ"] = "JWT"
        headers["alg"] = self.algorithm
        return headers

    def to_jwt(self, ttl=None):
        """The signed token, a ``str``; ``ttl`` overrides the constructor's."""
        if not self.secret_key:
            raise ValueError("JWT does not have a signing key configured.")

        headers = self.headers.copy()
        payload = self.payload.copy()
        if ttl:
            payload["exp"] = int(time.time()) + ttl
        return _encode(payload, self.secret_key, self.algorithm, headers)

    @classmethod
    def from_jwt(cls, jwt, key=""):
        """Decodes ``jwt``, verifying its signature with ``key`` unless ``key`` is empty (its
        ``exp`` and ``nbf`` are checked either way; with a key, also ``iat``, and that it has no
        ``aud``, a string ``sub`` and ``jti``, as PyJWT checks them for the reference). Every
        failure is ``JwtDecodeError``."""
        return _native.from_jwt(cls, jwt, key)

    def __str__(self):
        return "<JWT {}>".format(self.to_jwt())


def _encode(payload, key, algorithm, headers):
    """``jwt.encode(payload, key, algorithm=algorithm, headers=headers)``, byte for byte."""
    if not isinstance(payload, dict):
        raise TypeError(
            "Expecting a dict object, as JWT only supports JSON objects as payloads."
        )
    for claim in ("exp", "iat", "nbf"):
        value = payload.get(claim)
        if isinstance(value, datetime):
            payload = dict(payload)
            payload[claim] = timegm(value.utctimetuple())
    if "iss" in payload and not isinstance(payload["iss"], str):
        raise TypeError("Issuer (iss) must be a string.")
    return _native.encode(payload, key, algorithm, headers)
