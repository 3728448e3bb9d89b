"""Writes the fuzz targets' seed corpora (fuzz/corpus/<target>/) from the repository's own
fixtures: golden tokens and specs, RFC and Wycheproof vectors, test keys, example configs.

    python fuzz/seeds.py      (PyJWT and cryptography from the project's venv)
"""
import base64
import hashlib
import json
import os
import time

import jwt

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIX = os.path.join(ROOT, "crates", "twilio-token", "tests", "fixtures")
KEYS = os.path.join(FIX, "keys")


def write(target, items):
    folder = os.path.join(ROOT, "fuzz", "corpus", target)
    os.makedirs(folder, exist_ok=True)
    for item in items:
        data = item if isinstance(item, bytes) else item.encode()
        name = hashlib.sha1(data).hexdigest()[:16]
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)


golden = json.load(open(os.path.join(FIX, "golden.json")))
sig = json.load(open(os.path.join(FIX, "wycheproof", "json_web_signature_test.json")))
jwk_tests = json.load(open(os.path.join(FIX, "wycheproof", "json_web_key_test.json")))
wy_tokens = [t["jws"] for g in sig["testGroups"] for t in g["tests"] if isinstance(t["jws"], str)]

now = 1_700_000_000
id_tokens = []
for name, alg in [("rsa_a", "RS256"), ("rsa_a", "PS256"), ("ec_p256", "ES256"), ("ec_p384", "ES384"), ("ed25519", "EdDSA")]:
    key = open(os.path.join(KEYS, name + ".pem")).read()
    claims = {"iss": "https://idp", "aud": ["app"], "sub": "u_1", "iat": now, "exp": now + 600, "roles": ["support"]}
    id_tokens.append(jwt.encode(claims, key, algorithm=alg, headers={"kid": name}))
rfc = [json.load(open(os.path.join(FIX, f)))["token"] for f in ("rfc7515_a3.json", "rfc8037_a4.json")]
write("decode", [g["token"] for g in golden[::3]] + wy_tokens[::8] + id_tokens + rfc)

specs = [json.dumps(g["spec"]) for g in golden if "spec" in g]
write("spec", specs[::2] + [open(os.path.join(ROOT, "examples", "tutorial.json")).read()])

policies = [
    '{"roles":{"user":{"grants":[{"video":{"room":"My Room"}}],"rooms":["team-*"]}}}',
    '{"roles":{"support":{"grants":[{"voice":{"incoming_allow":true}},{"chat":{"service_sid":"IS1"}}],"ttl":900}}}',
    '{"issuers":[{"issuer":"https://idp","audiences":["app"],"jwks_file":"k.json","algorithms":["RS256","ES256"],'
    '"identity_claim":"email","role":"user","role_rules":[{"claim":"roles","value":"admin","role":"user"}],"leeway":30}]}',
    '{"issuers":[{"issuer":"https://idp","audiences":["app"],"jwks_url":"https://idp/jwks","jwks_min_interval":0.5}]}',
]
write("config", policies)

jwks = [open(os.path.join(KEYS, "jwks.json")).read()]
jwks += [json.dumps(k) for k in json.load(open(os.path.join(KEYS, "jwks.json")))["keys"]]
jwks += [open(os.path.join(KEYS, f)).read() for f in sorted(os.listdir(KEYS)) if f.endswith(".pub.pem")]
jwks += [json.dumps(g.get("public") or g.get("private")) for g in jwk_tests["testGroups"]]
write("jwks", jwks)


def request(method, path, headers, body=b""):
    head = "\n".join("{}: {}".format(k, v) for k, v in headers).encode()
    return bytes([method, path]) + head + b"\n\n" + body


basic = base64.b64encode(b"alice:wrong").decode()
write("token_request", [
    request(0, 0, [("content-type", "application/json")], b'{"username":"alice","password":"x","room":"r"}'),
    request(0, 0, [("content-type", "application/x-www-form-urlencoded")], b"username=alice&password=x"),
    request(0, 0, [("authorization", "Basic " + basic)]),
    request(0, 0, [("authorization", "Bearer " + id_tokens[0]), ("content-type", "application/json")], b'{"room":"a"}'),
    request(0, 0, [("cookie", "__Host-twilio-token-session=abc.def")]),
    request(0, 1, [("cookie", "__Host-twilio-token-session=abc.def")]),
    request(1, 2, []),
    request(0, 0, [("content-type", "application/json"), ("content-length", "5")], b'{"use'),
])
