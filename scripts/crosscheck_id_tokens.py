"""Cross-checks public-key verification against PyJWT: PyJWT (with cryptography) signs ID tokens
with every algorithm the library verifies, and `twilio-token decode --jwks` / `--public-key`
must accept each genuine one and refuse each broken one.

    python scripts/crosscheck_id_tokens.py path/to/twilio-token
"""
import json
import os
import subprocess
import sys
import time

import jwt

KEYS = os.path.join(os.path.dirname(__file__), "..", "crates", "twilio-token", "tests", "fixtures", "keys")
ISSUER, AUDIENCE = "https://idp.example.com/", "twilio-app"
SIGNERS = [("rsa_a", alg) for alg in ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")] + [
    ("ec_p256", "ES256"), ("ec_p384", "ES384"), ("ed25519", "EdDSA")]


def main():
    binary = sys.argv[1]
    jwks = os.path.join(KEYS, "jwks.json")
    passed, failed = 0, []

    def decode(token, *source):
        return subprocess.run([binary, "decode", token, *source, "--iss", ISSUER, "--aud", AUDIENCE],
                              capture_output=True, text=True)

    for name, alg in SIGNERS:
        key = open(os.path.join(KEYS, name + ".pem")).read()
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": [AUDIENCE, "other"], "sub": "user-\u00e9", "iat": now, "exp": now + 600,
                  "nested": {"a": [1, 2.5, None, True]}}
        good = jwt.encode(claims, key, algorithm=alg, headers={"kid": name})
        cases = [
            ("genuine", good, True),
            ("wrong audience", jwt.encode({**claims, "aud": "else"}, key, algorithm=alg, headers={"kid": name}), False),
            ("wrong issuer", jwt.encode({**claims, "iss": ISSUER + "x"}, key, algorithm=alg, headers={"kid": name}), False),
            ("expired", jwt.encode({**claims, "exp": now - 60}, key, algorithm=alg, headers={"kid": name}), False),
            ("unknown kid", jwt.encode(claims, key, algorithm=alg, headers={"kid": "nope"}), False),
            ("tampered payload", good.split(".")[0] + "." + jwt.encode({**claims, "sub": "admin"}, key, algorithm=alg).split(".")[1] + "." + good.split(".")[2], False),
        ]
        for what, token, accept in cases:
            for source in (["--jwks", jwks], ["--public-key", os.path.join(KEYS, name + ".pub.pem"), "--alg", alg]):
                if what == "unknown kid" and source[0] == "--public-key":
                    continue  # a single key is not chosen by kid
                out = decode(token, *source)
                ok = out.returncode == 0
                if ok and accept:
                    payload = json.loads(out.stdout)["payload"]
                    ok = payload == jwt.decode(token, options={"verify_signature": False})
                if ok == accept:
                    passed += 1
                else:
                    failed.append("{} {} via {}: exit {} {}".format(alg, what, source[0], out.returncode, out.stderr.strip()))
    for line in failed:
        print("FAIL", line)
    print("crosscheck ID tokens: {} passed, {} failed".format(passed, len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
