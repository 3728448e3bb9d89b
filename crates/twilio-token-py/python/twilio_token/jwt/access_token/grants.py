"""The grants of an access token, as in ``twilio.jwt.access_token.grants``. Each writes only the
fields that are set (truthy), in the reference's order."""

import functools
import warnings

from twilio_token.jwt.access_token import AccessTokenGrant


def deprecated(func):
    """Marks ``func`` deprecated: each call warns with a ``DeprecationWarning``."""

    @functools.wraps(func)
    def new_func(*args, **kwargs):
        warnings.simplefilter("always", DeprecationWarning)
        warnings.warn(
            "Call to deprecated function {}.".format(func.__name__),
            category=DeprecationWarning,
            stacklevel=2,
        )
        warnings.simplefilter("default", DeprecationWarning)
        return func(*args, **kwargs)

    return new_func


def _present(**fields):
    """The fields that are set, in the order given."""
    return {name: value for name, value in fields.items() if value}


class ChatGrant(AccessTokenGrant):
    """Access to Conversations and Chat."""

    def __init__(
        self,
        service_sid=None,
        endpoint_id=None,
        deployment_role_sid=None,
        push_credential_sid=None,
    ):
        self.service_sid = service_sid
        self.endpoint_id = endpoint_id
        self.deployment_role_sid = deployment_role_sid
        self.push_credential_sid = push_credential_sid

    @property
    def key(self):
        return "chat"

    def to_payload(self):
        return _present(
            service_sid=self.service_sid,
            endpoint_id=self.endpoint_id,
            deployment_role_sid=self.deployment_role_sid,
            push_credential_sid=self.push_credential_sid,
        )


class SyncGrant(AccessTokenGrant):
    """Access to Sync."""

    def __init__(self, service_sid=None, endpoint_id=None):
        self.service_sid = service_sid
        self.endpoint_id = endpoint_id

    @property
    def key(self):
        return "data_sync"

    def to_payload(self):
        return _present(service_sid=self.service_sid, endpoint_id=self.endpoint_id)


class VoiceGrant(AccessTokenGrant):
    """Access to Programmable Voice."""

    def __init__(
        self,
        incoming_allow=None,
        outgoing_application_sid=None,
        outgoing_application_params=None,
        push_credential_sid=None,
        endpoint_id=None,
    ):
        self.incoming_allow = incoming_allow
        self.outgoing_application_sid = outgoing_application_sid
        self.outgoing_application_params = outgoing_application_params
        self.push_credential_sid = push_credential_sid
        self.endpoint_id = endpoint_id

    @property
    def key(self):
        return "voice"

    def to_payload(self):
        grant = {}
        # Only True itself: a truthy non-bool does not allow incoming calls.
        if self.incoming_allow is True:
            grant["incoming"] = {"allow": True}
        if self.outgoing_application_sid:
            grant["outgoing"] = {"application_sid": self.outgoing_application_sid}
            if self.outgoing_application_params:
                grant["outgoing"]["params"] = self.outgoing_application_params
        grant.update(
            _present(
                push_credential_sid=self.push_credential_sid,
                endpoint_id=self.endpoint_id,
            )
        )
        return grant


class VideoGrant(AccessTokenGrant):
    """Access to Video."""

    def __init__(self, room=None):
        self.room = room

    @property
    def key(self):
        return "video"

    def to_payload(self):
        return _present(room=self.room)


class TaskRouterGrant(AccessTokenGrant):
    """Access to TaskRouter."""

    def __init__(self, workspace_sid=None, worker_sid=None, role=None):
        self.workspace_sid = workspace_sid
        self.worker_sid = worker_sid
        self.role = role

    @property
    def key(self):
        return "task_router"

    def to_payload(self):
        return _present(
            workspace_sid=self.workspace_sid,
            worker_sid=self.worker_sid,
            role=self.role,
        )


class PlaybackGrant(AccessTokenGrant):
    """Access to a Live stream: the grant the Twilio API returned, as it is."""

    def __init__(self, grant=None):
        self.grant = grant

    @property
    def key(self):
        return "player"

    def to_payload(self):
        return self.grant
