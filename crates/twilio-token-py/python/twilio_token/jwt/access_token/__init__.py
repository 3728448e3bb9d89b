"""Access tokens and their grants, as in ``twilio.jwt.access_token``."""

import time

from twilio_token import _native
from twilio_token.jwt import Jwt


class AccessTokenGrant(object):
    """A grant giving access to one Twilio product."""

    @property
    def key(self):
        """The grant's key in the token's ``grants``."""
        raise NotImplementedError("Grant must have a key property.")

    def to_payload(self):
        """The grant's claims, a dict."""
        raise NotImplementedError("Grant must implement to_payload.")

    def __str__(self):
        return "<{} {}>".format(self.__class__.__name__, self.to_payload())


class AccessToken(Jwt):
    """An access token carrying grants to Twilio products."""

    ALGORITHM = "HS256"

    def __init__(
        self,
        account_sid,
        signing_key_sid,
        secret,
        grants=None,
        identity=None,
        nbf=Jwt.GENERATE,
        ttl=3600,
        valid_until=None,
        region=None,
    ):
        grants = grants or []
        for grant in grants:
            if not isinstance(grant, AccessTokenGrant):
                raise ValueError("Grants must be instances of AccessTokenGrant.")

        self.account_sid = account_sid
        self.signing_key_sid = signing_key_sid
        self.identity = identity
        self.region = region
        self.grants = grants
        super(AccessToken, self).__init__(
            secret_key=secret,
            algorithm=self.ALGORITHM,
            issuer=signing_key_sid,
            subject=self.account_sid,
            nbf=nbf,
            ttl=ttl,
            valid_until=valid_until,
        )

    def add_grant(self, grant):
        """Adds a grant (an ``AccessTokenGrant``)."""
        if not isinstance(grant, AccessTokenGrant):
            raise ValueError("Grant must be an instance of AccessTokenGrant.")
        self.grants.append(grant)

    def _generate_headers(self):
        headers = {"cty": "twilio-fpa;v=1"}
        if self.region and isinstance(self.region, str):
            headers["twr"] = self.region
        return headers

    def _generate_payload(self):
        now = int(time.time())
        payload = {
            "jti": "{}-{}".format(self.signing_key_sid, now),
            "grants": {grant.key: grant.to_payload() for grant in self.grants},
        }
        if self.identity:
            payload["grants"]["identity"] = self.identity
        return payload

    def to_jwt(self, ttl=None):
        # The built-in class, as constructed, runs the same steps natively (the same attributes
        # read, time.time() called at the same points); a subclass runs Jwt's, with its hooks.
        if (
            type(self) is AccessToken
            and not self._Jwt__decoded_payload
            and not self._Jwt__decoded_headers
        ):
            return _native.access_token(self, ttl)
        return super().to_jwt(ttl)

    def __str__(self):
        return "<{} {}>".format(self.__class__.__name__, self.to_jwt())
