"""Client validation tokens (Public Key Client Validation), as in ``twilio.jwt.validation``."""

from hashlib import sha256

from twilio_token.jwt import Jwt


class ClientValidationJwt(Jwt):
    """A token sent with a request so that Twilio can check who made it (RS256)."""

    __CTY = "twilio-pkrv;v=1"
    ALGORITHM = "RS256"

    def __init__(
        self, account_sid, api_key_sid, credential_sid, private_key, validation_payload
    ):
        super(ClientValidationJwt, self).__init__(
            secret_key=private_key,
            issuer=api_key_sid,
            subject=account_sid,
            algorithm=self.ALGORITHM,
            ttl=300,
        )
        self.credential_sid = credential_sid
        self.validation_payload = validation_payload

    def _generate_headers(self):
        return {"cty": ClientValidationJwt.__CTY, "kid": self.credential_sid}

    def _generate_payload(self):
        request = self.validation_payload
        # Header names lower-cased; a header of several values joined, sorted, with commas.
        all_headers = {
            name.lower(): self._sort_and_join(value, ",")
            for name, value in request.all_headers.items()
        }
        signed_headers = sorted(request.signed_headers)
        headers_str = "\n".join(
            "{}:{}".format(name, all_headers[name])
            for name in signed_headers
            if name in all_headers
        )
        query_string = self._sort_and_join(request.query_string.split("&"), "&")
        body_hash = self._hash(request.body) or ""
        signed_headers_str = ";".join(signed_headers)

        canonical = [request.method, request.path, query_string]
        if headers_str:
            canonical.append(headers_str)
        canonical += ["", signed_headers_str, body_hash]
        return {"hrh": signed_headers_str, "rqh": self._hash("\n".join(canonical))}

    @classmethod
    def _sort_and_join(cls, values, joiner):
        if isinstance(values, str):
            return values
        return joiner.join(sorted(values))

    @classmethod
    def _hash(cls, input_str):
        if not input_str:
            return input_str
        if not isinstance(input_str, bytes):
            input_str = input_str.encode("utf-8")
        return sha256(input_str).hexdigest()
