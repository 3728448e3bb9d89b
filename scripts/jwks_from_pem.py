"""Prints a JWK Set (RFC 7517) of the public halves of PEM keys: RSA, P-256, P-384, Ed25519.

    python scripts/jwks_from_pem.py KEY.pem[=KID] ...

Each key's kid is its file name without .pem unless given after '='. Used to write the test
fixtures and by the load test; the library's own JWK parser reads the output.
"""
import base64
import json
import os
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwk(path, kid):
    with open(path, "rb") as f:
        text = f.read()
    try:
        key = serialization.load_pem_private_key(text, None).public_key()
    except ValueError:
        key = serialization.load_pem_public_key(text)
    if isinstance(key, rsa.RSAPublicKey):
        n = key.public_numbers()
        size = (n.n.bit_length() + 7) // 8
        return {"kty": "RSA", "kid": kid, "use": "sig",
                "n": b64(n.n.to_bytes(size, "big")), "e": b64(n.e.to_bytes(3, "big"))}
    if isinstance(key, ec.EllipticCurvePublicKey):
        n = key.public_numbers()
        size = (key.curve.key_size + 7) // 8
        crv = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}[key.curve.name]
        return {"kty": "EC", "kid": kid, "use": "sig", "crv": crv,
                "x": b64(n.x.to_bytes(size, "big")), "y": b64(n.y.to_bytes(size, "big"))}
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "kid": kid, "use": "sig", "crv": "Ed25519", "x": b64(raw)}


keys = []
for arg in sys.argv[1:]:
    path, _, kid = arg.partition("=")
    keys.append(jwk(path, kid or os.path.basename(path).removesuffix(".pem")))
print(json.dumps({"keys": keys}, indent=1))
