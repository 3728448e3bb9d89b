"""Prints an ID token as an identity provider signs it, with PyJWT: for the exchange load test.

    python id_token.py KEY.pem ALG KID ISSUER AUDIENCE
"""
import sys
import time

import jwt

key, alg, kid, issuer, audience = sys.argv[1:6]
now = int(time.time())
claims = {"iss": issuer, "aud": audience, "sub": "load_user", "iat": now, "exp": now + 3600,
          "email": "load@example.com"}
print(jwt.encode(claims, open(key).read(), algorithm=alg, headers={"kid": kid}))
