"""Twilio Client capability tokens, as in ``twilio.jwt.client``."""

from urllib.parse import urlencode

from twilio_token.jwt import Jwt


class ClientCapabilityToken(Jwt):
    """A capability token for Twilio Client: which calls it may make and take."""

    ALGORITHM = "HS256"

    def __init__(
        self,
        account_sid,
        auth_token,
        nbf=Jwt.GENERATE,
        ttl=3600,
        valid_until=None,
        **kwargs
    ):
        # As the reference does, valid_until is not passed on: the ttl always sets exp.
        super(ClientCapabilityToken, self).__init__(
            algorithm=self.ALGORITHM,
            secret_key=auth_token,
            issuer=account_sid,
            nbf=nbf,
            ttl=ttl,
            valid_until=None,
        )
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.client_name = None
        self.capabilities = {}

        if "allow_client_outgoing" in kwargs:
            self.allow_client_outgoing(**kwargs["allow_client_outgoing"])
        if "allow_client_incoming" in kwargs:
            self.allow_client_incoming(**kwargs["allow_client_incoming"])
        if "allow_event_stream" in kwargs:
            self.allow_event_stream(**kwargs["allow_event_stream"])

    def allow_client_outgoing(self, application_sid, **kwargs):
        """Outgoing calls to ``application_sid``; keyword arguments go to the application."""
        scope = ScopeURI("client", "outgoing", {"appSid": application_sid})
        if kwargs:
            scope.add_param("appParams", urlencode(kwargs, doseq=True))
        self.capabilities["outgoing"] = scope

    def allow_client_incoming(self, client_name):
        """Incoming calls for ``client_name``."""
        self.client_name = client_name
        self.capabilities["incoming"] = ScopeURI(
            "client", "incoming", {"clientName": client_name}
        )

    def allow_event_stream(self, **kwargs):
        """The account's event stream, filtered by the keyword arguments."""
        scope = ScopeURI("stream", "subscribe", {"path": "/2010-04-01/Events"})
        if kwargs:
            scope.add_param("params", urlencode(kwargs, doseq=True))
        self.capabilities["events"] = scope

    def _generate_payload(self):
        if "outgoing" in self.capabilities and self.client_name is not None:
            self.capabilities["outgoing"].add_param("clientName", self.client_name)
        scopes = [scope.to_payload() for scope in self.capabilities.values()]
        return {"scope": " ".join(scopes)}


class ScopeURI(object):
    """One capability of a Client token, scoped to a service."""

    def __init__(self, service, privilege, params=None):
        self.service = service
        self.privilege = privilege
        self.params = params or {}

    def add_param(self, key, value):
        self.params[key] = value

    def to_payload(self):
        query = ""
        if self.params:
            query = "?{}".format(urlencode(sorted(self.params.items())))
        return "scope:{}:{}{}".format(self.service, self.privilege, query)

    def __str__(self):
        return "<ScopeURI {}>".format(self.to_payload())
