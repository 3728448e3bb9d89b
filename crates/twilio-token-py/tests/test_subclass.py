"""User code subclasses Jwt as it does twilio-python's, overriding the private hooks; the
clock is Python's time.time(), read where the reference reads it."""

from unittest import mock

import twilio.jwt
import twilio.jwt.access_token
import twilio.jwt.access_token.grants as their_grants
import twilio_token.jwt
import twilio_token.jwt.access_token
import twilio_token.jwt.access_token.grants as our_grants

SECRET = "3b9cfb2d8a7e41f0a1c5e6d7f8091a2b"


def subclass(base):
    class Custom(base):
        """A token type of the user's own, as twilio-python's tests write one."""

        ALGORITHM = "HS512"

        def __init__(self, payload, headers, **kwargs):
            super().__init__(SECRET, "issuer", nbf=base.GENERATE, **kwargs)
            self._payload = payload
            self._headers = headers

        def _generate_payload(self):
            return self._payload

        def _generate_headers(self):
            return self._headers

    return Custom


def test_a_subclass_mints_what_the_reference_subclass_mints():
    ours, theirs = subclass(twilio_token.jwt.Jwt), subclass(twilio.jwt.Jwt)
    with mock.patch("time.time", return_value=50.0):
        for kwargs in ({}, {"ttl": 10}, {"valid_until": 70}, {"subject": "s"}):
            args = ({"p": [1, "é"], "q": {"r": None}}, {"x-h": "v"})
            token = ours(*args, **kwargs).to_jwt()
            assert token == theirs(*args, **kwargs).to_jwt()
            assert ours(*args, **kwargs).to_jwt(ttl=20) == theirs(*args, **kwargs).to_jwt(ttl=20)
    decoded = ours.from_jwt(ours(*args).to_jwt(), SECRET)
    assert decoded.payload["p"] == [1, "é"]
    assert decoded.algorithm == "HS512"


def test_attributes_set_after_construction_count():
    ours = twilio_token.jwt.access_token.AccessToken("AC1", "SK1", SECRET)
    theirs = twilio.jwt.access_token.AccessToken("AC1", "SK1", SECRET)
    for token, grants in ((ours, our_grants), (theirs, their_grants)):
        token.identity = "bob"
        token.region = "ie1"
        token.ttl = 60
        token.nbf = None
        grant = grants.VoiceGrant()
        grant.incoming_allow = True
        grant.outgoing_application_params = {"a": 1}
        grant.outgoing_application_sid = "AP1"
        token.add_grant(grant)
    with mock.patch("time.time", return_value=1700000000.7):
        assert ours.to_jwt() == theirs.to_jwt()
        assert ours.payload == theirs.payload
        assert ours.headers == theirs.headers


def test_each_clock_read_is_time_time_at_the_reference_s_points():
    """A clock that moves between reads (jti, then exp, then nbf, then the ttl override)."""
    for cls in (twilio_token.jwt.access_token.AccessToken, twilio.jwt.access_token.AccessToken):
        token = cls("AC1", "SK1", SECRET, identity="alice")
        with mock.patch("time.time", side_effect=[100.0, 200.0, 300.0]):
            payload = token.payload
        assert (payload["jti"], payload["exp"], payload["nbf"]) == ("SK1-100", 3800, 300)
    with mock.patch("time.time", side_effect=[1.0, 2.0, 3.0, 4.0]) as clock:
        ours = twilio_token.jwt.access_token.AccessToken("AC1", "SK1", SECRET).to_jwt(ttl=5)
    assert clock.call_count == 4
    with mock.patch("time.time", side_effect=[1.0, 2.0, 3.0, 4.0]):
        theirs = twilio.jwt.access_token.AccessToken("AC1", "SK1", SECRET).to_jwt(ttl=5)
    assert ours == theirs


def test_str_and_grant_str_read_as_the_reference():
    grant = our_grants.VideoGrant(room="r")
    assert str(grant) == str(their_grants.VideoGrant(room="r")) == "<VideoGrant {'room': 'r'}>"
    with mock.patch("time.time", return_value=0.0):
        ours = str(twilio_token.jwt.access_token.AccessToken("AC1", "SK1", SECRET))
        theirs = str(twilio.jwt.access_token.AccessToken("AC1", "SK1", SECRET))
    assert ours == theirs and ours.startswith("<AccessToken ey")


def test_an_access_token_subclass_keeps_its_overrides():
    """The built-in class has a native path; a subclass's own hooks still decide."""

    def custom(base):
        class Tagged(base):
            def _generate_payload(self):
                payload = super()._generate_payload()
                payload["tag"] = "mine"
                return payload

        return Tagged

    ours = custom(twilio_token.jwt.access_token.AccessToken)("AC1", "SK1", SECRET, identity="a")
    theirs = custom(twilio.jwt.access_token.AccessToken)("AC1", "SK1", SECRET, identity="a")
    ours.add_grant(our_grants.VideoGrant(room="r"))
    theirs.add_grant(their_grants.VideoGrant(room="r"))
    with mock.patch("time.time", return_value=1700000000.0):
        assert ours.to_jwt() == theirs.to_jwt()
        assert ours.payload["tag"] == "mine"


def test_a_grant_of_the_user_s_own_class_is_asked_for_its_payload():
    def grant_class(base):
        class Custom(base):
            key = "custom"

            def to_payload(self):
                return {"x": [1, 2]}

        return Custom

    ours = twilio_token.jwt.access_token.AccessToken("AC1", "SK1", SECRET, identity="a")
    theirs = twilio.jwt.access_token.AccessToken("AC1", "SK1", SECRET, identity="a")
    ours.add_grant(grant_class(twilio_token.jwt.access_token.AccessTokenGrant)())
    ours.add_grant(our_grants.VideoGrant(room="first"))
    ours.add_grant(our_grants.VideoGrant(room="second"))
    theirs.add_grant(grant_class(twilio.jwt.access_token.AccessTokenGrant)())
    theirs.add_grant(their_grants.VideoGrant(room="first"))
    theirs.add_grant(their_grants.VideoGrant(room="second"))
    with mock.patch("time.time", return_value=1700000000.0):
        # Two grants of one kind: the last one's payload, at the first one's place.
        assert ours.to_jwt() == theirs.to_jwt()
