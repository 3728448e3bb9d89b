#!/usr/bin/env python3
"""Live cross-check of the twilio-token binary against twilio-python (no network needed).

Usage:
    python scripts/crosscheck.py /path/to/twilio-token   check the binary
    python scripts/crosscheck.py --self-test             check the twilio-python side only: a
                                                         stand-in "binary" built from twilio-python
                                                         and PyJWT runs every step below

Options: --count N       number of randomized byte-exact specs (default 400, seed fixed at 1234)
         --jwt-count N   number of randomized byte-exact "jwt" specs (default 200)

Steps:
  (a) twilio-python mints at the real current time; `BIN decode TOKEN --secret S` must exit 0 and
      print {"header":..,"payload":..} equal to PyJWT's unverified decode; with a wrong secret it
      must exit 1.
  (b) `BIN mint --spec -` mints specs without "at" (current time); every token must verify with
      PyJWT and twilio's Jwt.from_jwt / AccessToken.from_jwt, and equal twilio-python's token for
      some second between just before and just after the run.
  (c) every golden.json case and --count randomized specs with a fixed "at": `BIN mint --spec -`
      must print exactly twilio-python's token, byte for byte.
  (d) --jwt-count randomized "jwt" specs (the Jwt base as a subclass mints it: any payload and
      headers, HS256/384/512), byte for byte as in (c).
  (e) validation specs with "algorithm": "PS256" (twilio-python signs RS256 only): the token
      must verify with PyJWT as PS256 under the public key, and its header and payload must be
      twilio-python's RS256 token's with alg PS256.

Numbers in the randomized spec texts are sometimes written as raw JSON literals (1E20, 1.50, -0,
huge integers...); twilio-python always mints from json.loads() of exactly the text the binary
reads. The last line printed is `crosscheck: N passed, M failed`; the exit status is 0 only if
M is 0. The first failure stops the run.
"""

import argparse
import base64
import difflib
import json
import os
import random
import subprocess
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, os.pardir, "crates", "twilio-token", "tests", "fixtures")
sys.dont_write_bytecode = True  # keep __pycache__ out of the fixtures directory
sys.path.insert(0, os.path.abspath(FIXTURES))

import jwt as pyjwt  # noqa: E402

from golden import (  # noqa: E402
    AT,
    GOLDEN_JSON,
    PKCS1_PEM,
    PKCS8_PEM,
    PUBLIC_PEM,
    WORKER_FLAGS,
    mint,
    read_text,
)
from twilio.jwt import Jwt  # noqa: E402
from twilio.jwt.access_token import AccessToken  # noqa: E402
from twilio.jwt.validation import ClientValidationJwt  # noqa: E402

SEED = 1234
PAST = {"verify_exp": False, "verify_nbf": False}  # PyJWT options for tokens minted at AT

warnings.simplefilter("ignore")  # PyJWT's InsecureKeyLengthWarning for short HMAC secrets


class CheckFailed(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# JSON text with raw number literals
# ---------------------------------------------------------------------------------------------


class Raw:
    """A JSON number written exactly as `text` in the spec text."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text


def to_text(value, ensure_ascii=False, indent=None, _level=0):
    """Serialize like json.dumps, but Raw values are written verbatim."""
    if isinstance(value, Raw):
        return value.text
    if value is None or isinstance(value, (bool, int, float, str)):
        return json.dumps(value, ensure_ascii=ensure_ascii)
    if isinstance(value, (list, dict)):
        if isinstance(value, list):
            items = [to_text(v, ensure_ascii, indent, _level + 1) for v in value]
            open_, close = "[", "]"
        else:
            items = [
                json.dumps(k, ensure_ascii=ensure_ascii)
                + ": "
                + to_text(v, ensure_ascii, indent, _level + 1)
                for k, v in value.items()
            ]
            open_, close = "{", "}"
        if not items:
            return open_ + close
        if indent is None:
            return open_ + ", ".join(items) + close
        pad = "\n" + " " * (indent * (_level + 1))
        return open_ + pad + ("," + pad).join(items) + "\n" + " " * (indent * _level) + close
    raise TypeError("cannot serialize {!r}".format(value))


def spec_text(rng, spec):
    """The spec as JSON text, in a randomly chosen (but valid) layout."""
    return to_text(spec, ensure_ascii=rng.random() < 0.4, indent=rng.choice([None, None, 1, 2]))


# ---------------------------------------------------------------------------------------------
# random specs
# ---------------------------------------------------------------------------------------------

PLAIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
PUNCT = " _-.~!*'();:@&=+$,/?#[]{}%\"\\<>|^`"
CONTROLS = [chr(c) for c in range(0x20)] + ["\x7f", "\x80", "\x85", "\x9f", "\xa0"]
UNICODE = [
    "é", "ü", "ß", "Æ", "ñ", "Σ", "ς", "İ", "ẞ", "日", "本", "語", "한", "ع", "א", "\u0301",
    "😀", "🎉", "🔑", "\U0001f468\u200d\U0001f469\u200d\U0001f467", "\U0010ffff", "\U00010000",
    "\u2028", "\u2029", "\ufeff", "\ufffe", "\uffff", "\ud7ff", "\ue000", "\u200b",
]
FLOAT_LITERALS = [
    "1.5", "1e20", "1E20", "1e+20", "0.0001", "1e-7", "1E-7", "-0.0", "100.0", "1.50", "0.1",
    "0.30000000000000004", "1e16", "1e15", "123e-2", "-1e-5", "2.5e-5", "0e0", "-0e0", "0.0",
    "5e-324", "1.7976931348623157e308", "9007199254740993.0", "1.0e0", "12345.678e3",
    "3.141592653589793", "1e22", "1e21", "-123.456", "4.35", "0.000001", "0.00001",
    # Halfway between two shortest digit strings: Python takes the even one.
    "2049274972774303.25", "-2049274972774303.75", "9007199254740993.5e3",
]
INT_LITERALS = [
    "0", "-0", "1", "-1", "42", "9007199254740993", "9223372036854775807",
    "-9223372036854775808", "18446744073709551615", "18446744073709551616",
    "12345678901234567890123", "-98765432109876543210987",
]
REGIONS = ["us1", "ie1", "au1", "de1", "jp1", "sg1", "br1"]


def hexsid(rng, prefix):
    return prefix + "".join(rng.choice("0123456789abcdef") for _ in range(32))


def rstr(rng, max_len=12, allow_nul=True):
    n = rng.randint(0, max_len)
    mode = rng.random()
    out = []
    for _ in range(n):
        r = rng.random()
        if mode < 0.3 or r < 0.45:
            ch = rng.choice(PLAIN)
        elif r < 0.65:
            ch = rng.choice(PUNCT)
        elif r < 0.8:
            ch = rng.choice(CONTROLS)
        else:
            ch = rng.choice(UNICODE)
        if ch == "\x00" and not allow_nul:
            ch = "0"
        out.append(ch)
    return "".join(out)


def rsecret(rng):
    """A non-empty HMAC secret PyJWT accepts and argv can carry (no NUL, no leading '-', '{', '[')."""
    r = rng.random()
    if r < 0.5:
        return "".join(rng.choice("0123456789abcdef") for _ in range(32))
    if r < 0.6:
        return rng.choice(PLAIN)  # 1 byte
    while True:
        s = rstr(rng, 40, allow_nul=False)
        if s and s[0] not in "-{[ \t\r\n\ufeff" and not s.startswith(("ssh-", "ecdsa-")):
            return s


def rfloat(rng):
    r = rng.random()
    if r < 0.4:
        return Raw(rng.choice(FLOAT_LITERALS))
    if r < 0.6:
        return rng.uniform(-1e6, 1e6)
    if r < 0.8:
        return rng.choice([-1, 1]) * 10 ** rng.uniform(-30, 30)
    return round(rng.uniform(-100, 100), rng.randint(0, 4))


def rint(rng):
    r = rng.random()
    if r < 0.3:
        return Raw(rng.choice(INT_LITERALS))
    if r < 0.8:
        return rng.randint(-1000, 100000)
    return rng.randint(-(2 ** 70), 2 ** 70)


def rscalar(rng):
    r = rng.random()
    if r < 0.45:
        return rstr(rng)
    if r < 0.6:
        return rint(rng)
    if r < 0.75:
        return rfloat(rng)
    if r < 0.9:
        return rng.choice([True, False])
    return None


def rjson(rng, depth=0):
    r = rng.random()
    if depth < 3 and r < 0.2:
        return [rjson(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if depth < 3 and r < 0.4:
        return robject(rng, depth + 1)
    return rscalar(rng)


def robject(rng, depth=0, max_keys=5):
    return {rstr(rng, 8): rjson(rng, depth) for _ in range(rng.randint(0, max_keys))}


def rfield(rng, prefix=None):
    """Absent (None returned), empty, a realistic SID or a random string."""
    r = rng.random()
    if r < 0.3:
        return None
    if r < 0.4:
        return ""
    if prefix and r < 0.7:
        return hexsid(rng, prefix)
    return rstr(rng)


def put(rng, obj, key, value):
    if value is not None:
        obj[key] = value


def rgrant(rng):
    kind = rng.choice(["video", "chat", "voice", "sync", "task_router", "playback"])
    args = {}
    if kind == "video":
        put(rng, args, "room", rfield(rng))
    elif kind == "chat":
        put(rng, args, "service_sid", rfield(rng, "IS"))
        put(rng, args, "endpoint_id", rfield(rng))
        put(rng, args, "deployment_role_sid", rfield(rng, "RL"))
        put(rng, args, "push_credential_sid", rfield(rng, "CR"))
    elif kind == "voice":
        r = rng.random()
        if r < 0.6:
            args["incoming_allow"] = r < 0.45
        put(rng, args, "outgoing_application_sid", rfield(rng, "AP"))
        r = rng.random()
        if r < 0.15:
            args["outgoing_application_params"] = {}
        elif r < 0.7:
            args["outgoing_application_params"] = robject(rng)
        put(rng, args, "push_credential_sid", rfield(rng, "CR"))
        put(rng, args, "endpoint_id", rfield(rng))
    elif kind == "sync":
        put(rng, args, "service_sid", rfield(rng, "IS"))
        put(rng, args, "endpoint_id", rfield(rng))
    elif kind == "task_router":
        put(rng, args, "workspace_sid", rfield(rng, "WS"))
        put(rng, args, "worker_sid", rfield(rng, "WK"))
        put(rng, args, "role", rfield(rng))
    else:
        r = rng.random()
        if r < 0.15:
            args["grant"] = {}
        elif r < 0.25:
            args["grant"] = None
        elif r < 0.85:
            args["grant"] = robject(rng)
    keys = list(args)
    rng.shuffle(keys)
    return {kind: {k: args[k] for k in keys}}


def shuffled(rng, spec, fixed=("kind",)):
    head = [k for k in fixed if k in spec]
    rest = [k for k in spec if k not in head]
    rng.shuffle(rest)
    return {k: spec[k] for k in head + rest}


def rtimes(rng, spec, live, ttl_key=True):
    """ttl / nbf / valid_until. live=True keeps the token valid right now."""
    if ttl_key and rng.random() < 0.8:
        spec["ttl"] = rng.randint(600, 86400) if live else rng.choice([0, 1, rng.randint(0, 86400)])
    r = rng.random()
    if r < 0.3:
        spec["nbf"] = None
    elif r < 0.6:
        spec["nbf"] = (int(time.time()) - rng.randint(0, 3600)) if live else rng.choice(
            [0, AT, AT - rng.randint(1, 10 ** 6), AT + rng.randint(1, 86400)]
        )
    r = rng.random()
    if r < 0.1:
        spec["valid_until"] = None
    elif r < 0.15:
        spec["valid_until"] = 0
    elif r < 0.4:
        spec["valid_until"] = (int(time.time()) + rng.randint(600, 86400)) if live else AT + rng.randint(0, 86400)


def raccess(rng, live):
    spec = {
        "kind": "access",
        "account_sid": hexsid(rng, "AC"),
        "signing_key_sid": hexsid(rng, "SK"),
        "secret": rsecret(rng),
    }
    r = rng.random()
    if r < 0.1:
        spec["identity"] = ""
    elif r < 0.8:
        spec["identity"] = rstr(rng, 24)
    rtimes(rng, spec, live)
    r = rng.random()
    if r < 0.05:
        spec["region"] = None
    elif r < 0.15:
        spec["region"] = ""
    elif r < 0.45:
        spec["region"] = rng.choice(REGIONS)
    elif r < 0.6:
        spec["region"] = rstr(rng, 6)
    if rng.random() < 0.9:
        spec["grants"] = [rgrant(rng) for _ in range(rng.choice([0, 1, 1, 2, 3, 4, 6]))]
    return shuffled(rng, spec)


FORBIDDEN_KWARGS = {"self", "application_sid"}


def rparams(rng):
    params = {}
    for _ in range(rng.choice([0, 1, 2, 3, 5])):
        key = rstr(rng, 8)
        if key in FORBIDDEN_KWARGS:
            continue
        if rng.random() < 0.25:
            params[key] = [rscalar(rng) for _ in range(rng.randint(0, 3))]
        else:
            params[key] = rscalar(rng)
    return params


def rclient(rng, live):
    spec = {"kind": "client", "account_sid": hexsid(rng, "AC"), "auth_token": rsecret(rng)}
    rtimes(rng, spec, live)
    spec.pop("valid_until", None)  # not part of the client spec (twilio-python ignores it)
    if rng.random() < 0.6:
        spec["incoming"] = rstr(rng, 16) if rng.random() < 0.9 else ""
    if rng.random() < 0.6:
        outgoing = {"application_sid": hexsid(rng, "AP")}
        r = rng.random()
        if r < 0.15:
            outgoing["params"] = {}
        elif r < 0.8:
            outgoing["params"] = rparams(rng)
        spec["outgoing"] = outgoing
    if rng.random() < 0.5:
        spec["events"] = {} if rng.random() < 0.3 else rparams(rng)
    return shuffled(rng, spec)


def rtaskrouter(rng, live):
    kind = rng.choice(["worker", "taskqueue", "workspace"])
    spec = {
        "kind": kind,
        "account_sid": hexsid(rng, "AC"),
        "auth_token": rsecret(rng),
        "workspace_sid": hexsid(rng, "WS"),
    }
    if kind == "worker":
        spec["channel"] = hexsid(rng, "WK")
    elif kind == "taskqueue":
        spec["channel"] = hexsid(rng, "WQ")
    rtimes(rng, spec, live)
    flags = WORKER_FLAGS if kind == "worker" or rng.random() < 0.1 else WORKER_FLAGS[:7]
    if rng.random() < 0.85:
        chosen = rng.sample(flags, rng.randint(0, len(flags)))
        spec["allow"] = {f: rng.random() < 0.5 for f in chosen}
    return shuffled(rng, spec)


HEADER_NAMES = ["Host", "Authorization", "Content-Type", "X-Twilio-Client", "User-Agent", "Accept",
                "X-Multi", "X-Empty", "HOST", "x-lower"]


def rvalidation(rng, live, pems):
    headers = {}
    for _ in range(rng.randint(0, 6)):
        r = rng.random()
        name = rng.choice(HEADER_NAMES) if r < 0.8 else "X-" + rstr(rng, 6)
        if rng.random() < 0.3:
            headers[name] = [rstr(rng) for _ in range(rng.randint(0, 3))]
        else:
            headers[name] = rstr(rng, 20)
    lowered = [h.lower() for h in headers]
    signed = rng.sample(lowered, rng.randint(0, len(lowered)))
    if rng.random() < 0.3:
        signed.append(rng.choice(["x-missing", "Host", "AUTHORIZATION", rstr(rng, 5)]))
    if rng.random() < 0.1 and signed:
        signed.append(signed[0])  # duplicate signed header name
    rng.shuffle(signed)
    query = "&".join(
        rstr(rng, 4) + ("=" + rstr(rng, 4) if rng.random() < 0.8 else "")
        for _ in range(rng.choice([0, 0, 1, 2, 4]))
    )
    r = rng.random()
    body = None if r < 0.1 else "" if r < 0.25 else rstr(rng, 60)
    spec = {
        "kind": "validation",
        "account_sid": hexsid(rng, "AC"),
        "api_key_sid": hexsid(rng, "SK"),
        "credential_sid": hexsid(rng, "CR"),
        "private_key": rng.choice(pems),
        "request": {
            "method": rng.choice(["GET", "POST", "PUT", "DELETE", "PATCH", "post"]),
            "path": "/2010-04-01/Accounts/" + hexsid(rng, "AC") + "/" + rstr(rng, 10),
            "query_string": query,
            "headers": headers,
            "signed_headers": signed,
            "body": body,
        },
    }
    return shuffled(rng, spec)


def rheaders(rng):
    """Extra JWT headers: random members and some PyJWT treats specially (never b64: false,
    which would detach the payload, nor a non-string kid, which PyJWT refuses)."""
    headers = robject(rng)
    r = rng.random()
    if r < 0.2:
        headers["kid"] = rstr(rng, 10)
    if rng.random() < 0.15:
        headers["b64"] = rng.choice([True, 1, 0, "x", None, [], {}])
    if rng.random() < 0.15:
        headers["alg"] = rng.choice(["none", "RS256", "HS512", rstr(rng, 5), None])
    if rng.random() < 0.15:
        headers["typ"] = rng.choice(["JOSE", "", None, rstr(rng, 5)])
    if rng.random() < 0.1:
        headers["cty"] = rng.choice(["twilio-fpa;v=1", rstr(rng, 8)])
    if rng.random() < 0.1:
        headers["crit"] = [rstr(rng, 4) for _ in range(rng.randint(0, 2))]
    if headers.get("b64") is False:
        del headers["b64"]
    if "kid" in headers and not isinstance(headers["kid"], str):
        headers["kid"] = rstr(rng, 6)
    return shuffled(rng, headers, fixed=())


def rpayload(rng):
    """A `_generate_payload` dict, sometimes holding the names the base class sets itself."""
    payload = robject(rng, max_keys=6)
    for name in ["iss", "exp", "nbf", "sub", "iat", "jti", "grants"]:
        if rng.random() < 0.12:
            payload[name] = rjson(rng)
    return shuffled(rng, payload, fixed=())


def rjwt(rng):
    spec = {"kind": "jwt", "secret": rsecret(rng)}
    spec["issuer"] = rng.choice([hexsid(rng, "SK"), hexsid(rng, "AC"), rstr(rng, 16), ""])
    r = rng.random()
    if r < 0.1:
        spec["subject"] = None
    elif r < 0.2:
        spec["subject"] = ""
    elif r < 0.5:
        spec["subject"] = hexsid(rng, "AC")
    elif r < 0.7:
        spec["subject"] = rstr(rng, 16)
    r = rng.random()
    if r < 0.05:
        spec["algorithm"] = None
    elif r < 0.1:
        spec["algorithm"] = ""
    elif r < 0.7:
        spec["algorithm"] = rng.choice(["HS256", "HS384", "HS512"])
    rtimes(rng, spec, False)
    if rng.random() < 0.7:
        spec["headers"] = rheaders(rng)
    if rng.random() < 0.85:
        spec["payload"] = rpayload(rng)
    spec["at"] = AT
    return shuffled(rng, spec)


def random_spec(rng, live, pems):
    r = rng.random()
    if r < 0.5:
        spec = raccess(rng, live)
    elif r < 0.75:
        spec = rclient(rng, live)
    elif r < 0.9:
        spec = rtaskrouter(rng, live)
    else:
        spec = rvalidation(rng, live, pems)
    if not live:
        spec["at"] = AT
    return spec


# ---------------------------------------------------------------------------------------------
# checking
# ---------------------------------------------------------------------------------------------


def b64json(segment):
    raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    return raw.decode("utf-8", errors="replace")


def describe(token):
    try:
        header, payload, sig = token.split(".")
        return "header:  {}\npayload: {}\nsig:     {}".format(b64json(header), b64json(payload), sig)
    except Exception as e:  # noqa: BLE001
        return "(not a JWT: {!r}: {})".format(token, e)


def strict_equal(a, b):
    """Equality that does not confuse True with 1 or 1 with 1.0 (key order ignored)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(strict_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return repr(a) == repr(b)
    return a == b


def unverified(token):
    return {
        "header": pyjwt.get_unverified_header(token),
        "payload": pyjwt.decode(token, options={"verify_signature": False}),
    }


class Binary:
    """The real twilio-token binary."""

    def __init__(self, path):
        self.path = path

    def run(self, args, stdin=None):
        proc = subprocess.run(
            [self.path] + args,
            input=stdin.encode("utf-8") if stdin is not None else None,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=60,
        )
        return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")

    def mint(self, text):
        return self.run(["mint", "--spec", "-"], stdin=text)

    def decode(self, token, secret):
        return self.run(["decode", token, "--secret", secret])


class PythonStandIn:
    """--self-test: behaves like the binary, built from twilio-python and PyJWT."""

    def mint(self, text):
        try:
            return 0, mint(json.loads(text)) + "\n", ""
        except Exception as e:  # noqa: BLE001
            return 2, "", "error: {}\n".format(e)

    def decode(self, token, secret):
        try:
            pyjwt.decode(token, secret, algorithms=["HS256"])
        except Exception as e:  # noqa: BLE001
            return 1, "", "error: {}\n".format(e)
        return 0, json.dumps(unverified(token)) + "\n", ""


class Checker:
    def __init__(self, runner):
        self.runner = runner
        self.passed = 0

    def ok(self):
        self.passed += 1

    def fail(self, title, *details):
        print("FAIL: " + title, file=sys.stderr)
        for d in details:
            print(d, file=sys.stderr)
        raise CheckFailed(title)

    def minted(self, text, what):
        rc, out, err = self.runner.mint(text)
        if rc != 0:
            self.fail("{}: `mint --spec -` exited {}".format(what, rc), "spec: " + text, "stderr: " + err)
        token = out[:-1] if out.endswith("\n") else out
        if not token or any(ch.isspace() for ch in token) or token.count(".") != 2:
            self.fail("{}: `mint --spec -` stdout is not a lone token".format(what), "spec: " + text,
                      "stdout: {!r}".format(out))
        return token

    def compare_tokens(self, what, text, ours, theirs):
        if ours == theirs:
            self.ok()
            return
        diff = "\n".join(
            difflib.unified_diff(
                describe(theirs).splitlines(), describe(ours).splitlines(),
                "twilio-python", "twilio-token", lineterm="",
            )
        )
        self.fail(
            "{}: token differs from twilio-python".format(what),
            "spec: " + text,
            "twilio-python: " + theirs,
            "twilio-token:  " + ours,
            "--- twilio-python decoded\n" + describe(theirs),
            "--- twilio-token decoded\n" + describe(ours),
            "--- diff\n" + diff,
        )

    # (a) ------------------------------------------------------------------------------------
    def decode_python_tokens(self, specs):
        for i, spec in enumerate(specs):
            what = "(a) #{} {}".format(i, spec["kind"])
            token = mint(spec)
            secret = spec.get("secret", spec.get("auth_token"))
            expected = unverified(token)
            rc, out, err = self.runner.decode(token, secret)
            if rc != 0:
                self.fail(what + ": decode with the right secret exited {}".format(rc),
                          "token: " + token, "stderr: " + err)
            try:
                printed = json.loads(out)
            except ValueError as e:
                self.fail(what + ": decode printed invalid JSON ({})".format(e), "stdout: " + out)
            if not strict_equal(printed, expected):
                self.fail(what + ": decode output differs from PyJWT",
                          "token:  " + token,
                          "printed: " + json.dumps(printed, ensure_ascii=False),
                          "PyJWT:   " + json.dumps(expected, ensure_ascii=False))
            self.ok()
            rc, out, err = self.runner.decode(token, "WRONG-" + secret)
            if rc != 1:
                self.fail(what + ": decode with a wrong secret exited {} (want 1)".format(rc),
                          "token: " + token, "stdout: " + out, "stderr: " + err)
            self.ok()

    # (b) ------------------------------------------------------------------------------------
    def verify_our_tokens(self, rng, specs, public_pem):
        for i, spec in enumerate(specs):
            what = "(b) #{} {}".format(i, spec["kind"])
            text = spec_text(rng, spec)
            t0 = int(time.time())
            token = self.minted(text, what)
            t1 = int(time.time())
            loaded = json.loads(text)
            header = pyjwt.get_unverified_header(token)
            try:
                if spec["kind"] == "validation":
                    claims = pyjwt.decode(token, public_pem, algorithms=["RS256"])
                    twilio_jwt = ClientValidationJwt.from_jwt(token, public_pem)
                else:
                    secret = spec.get("secret", spec.get("auth_token"))
                    claims = pyjwt.decode(token, secret, algorithms=["HS256"])
                    cls = AccessToken if spec["kind"] == "access" else Jwt
                    twilio_jwt = cls.from_jwt(token, secret)
            except Exception as e:  # noqa: BLE001
                self.fail(what + ": does not verify: {}: {}".format(type(e).__name__, e),
                          "spec: " + text, describe(token))
            if not (strict_equal(twilio_jwt.payload, claims) and strict_equal(twilio_jwt.headers, header)):
                self.fail(what + ": twilio Jwt.from_jwt disagrees with PyJWT", describe(token))
            self.ok()
            candidates = {}
            for t in range(t0, t1 + 1):
                candidates[t] = mint(dict(loaded, at=t))
            if token not in candidates.values():
                self.compare_tokens(what + " (at {}..{})".format(t0, t1), text, token, candidates[t1])
            at = next(t for t, tok in candidates.items() if tok == token)
            self.check_claims(what, loaded, claims, at, text, token)
            self.ok()

    def check_claims(self, what, spec, claims, at, text, token):
        kind = spec["kind"]
        problems = []
        if kind == "access":
            want = {"iss": spec["signing_key_sid"], "sub": spec["account_sid"],
                    "jti": "{}-{}".format(spec["signing_key_sid"], at)}
        elif kind == "validation":
            want = {"iss": spec["api_key_sid"], "sub": spec["account_sid"], "exp": at + 300, "nbf": at}
        else:
            want = {"iss": spec["account_sid"]}
        if kind not in ("validation",):
            if spec.get("valid_until") and kind != "client":
                want["exp"] = spec["valid_until"]
            else:
                want["exp"] = at + spec.get("ttl", 3600)
            if "nbf" not in spec:
                want["nbf"] = at
            elif spec["nbf"] is not None:
                want["nbf"] = spec["nbf"]
            elif "nbf" in claims:
                problems.append("nbf present although spec nbf is null")
        for k, v in want.items():
            if claims.get(k) != v:
                problems.append("{}: got {!r}, want {!r}".format(k, claims.get(k), v))
        if problems:
            self.fail(what + ": claims wrong: " + "; ".join(problems), "spec: " + text, describe(token))

    # (e) ------------------------------------------------------------------------------------
    def ps256(self, what, spec, public_pem):
        """`spec` (a validation spec) minted as PS256 against twilio-python's RS256 token."""
        reference = mint(spec)
        text = spec_text(random.Random(0), dict(spec, algorithm="PS256"))
        token = self.minted(text, what)
        try:
            claims = pyjwt.decode(token, public_pem, algorithms=["PS256"], options=PAST)
        except Exception as e:  # noqa: BLE001
            self.fail(what + ": does not verify as PS256: {}: {}".format(type(e).__name__, e),
                      "spec: " + text, describe(token))
        header = pyjwt.get_unverified_header(token)
        want = dict(pyjwt.get_unverified_header(reference), alg="PS256")
        if header != want or token.split(".")[1] != reference.split(".")[1]:
            self.fail(what + ": not twilio-python's RS256 header and payload with alg PS256",
                      "spec: " + text, "--- ours\n" + describe(token),
                      "--- twilio-python (RS256)\n" + describe(reference))
        try:
            pyjwt.decode(token, public_pem, algorithms=["RS256"], options=PAST)
        except pyjwt.InvalidAlgorithmError:
            pass
        else:
            self.fail(what + ": a PS256 token verified as RS256", describe(token))
        if claims["iss"] != spec["api_key_sid"]:
            self.fail(what + ": iss wrong", describe(token))
        self.ok()

    # (c) ------------------------------------------------------------------------------------
    def byte_exact(self, what, text):
        theirs = mint(json.loads(text))
        ours = self.minted(text, what)
        self.compare_tokens(what, text, ours, theirs)


def live_specs_a(rng, n):
    """HS256 specs without "at" whose tokens are valid right now."""
    fixed = [
        {"kind": "access", "account_sid": "AC" + "0" * 32, "signing_key_sid": "SK" + "1" * 32,
         "secret": "a" * 32, "identity": "alice", "grants": [{"video": {"room": "My Room"}}]},
        {"kind": "access", "account_sid": "AC" + "0" * 32, "signing_key_sid": "SK" + "1" * 32,
         "secret": "sécret-🔑", "identity": "😀 \"q\" \\ \n\x00\x7f\u2028", "region": "ie1",
         "nbf": None, "grants": [{"voice": {"incoming_allow": True, "outgoing_application_sid": "AP" + "2" * 32,
                                            "outgoing_application_params": {"f": 1e20, "n": -0.0, "z": 1, "a": [None]}}},
                                 {"playback": {"grant": {"z": 1, "a": {"y": 2, "b": 3}}}}]},
        {"kind": "client", "account_sid": "AC" + "0" * 32, "auth_token": "b" * 32,
         "events": {"x": "1"}, "incoming": "bob", "outgoing": {"application_sid": "AP" + "2" * 32,
                                                                "params": {"to": "+1 555", "l": [1, True]}}},
        {"kind": "worker", "account_sid": "AC" + "0" * 32, "auth_token": "c" * 32,
         "workspace_sid": "WS" + "3" * 32, "channel": "WK" + "4" * 32,
         "allow": {"update_activities": True, "web_sockets": False}},
        {"kind": "taskqueue", "account_sid": "AC" + "0" * 32, "auth_token": "c" * 32,
         "workspace_sid": "WS" + "3" * 32, "channel": "WQ" + "5" * 32, "ttl": 7200},
        {"kind": "workspace", "account_sid": "AC" + "0" * 32, "auth_token": "c" * 32,
         "workspace_sid": "WS" + "3" * 32, "nbf": int(time.time()) - 60},
    ]
    specs = list(fixed)
    while len(specs) < n:
        spec = random_spec(rng, True, ["(unused)"])
        if spec["kind"] != "validation":
            specs.append(json.loads(to_text(spec)))
    return specs


def live_specs_b(rng, n, pems):
    specs = []
    while len(specs) < n:
        specs.append(random_spec(rng, True, pems))
    return specs


def run(runner, count, self_test, jwt_count=200):
    live_rng = random.Random(SEED + 1)  # (a) and (b): tokens valid now, not reproducible anyway
    rng = random.Random(SEED)  # (c): the randomized byte-exact specs
    pems = [read_text(PKCS1_PEM), read_text(PKCS8_PEM)]
    public_pem = read_text(PUBLIC_PEM)
    checker = Checker(runner)
    try:
        checker.decode_python_tokens(live_specs_a(live_rng, 40))
        checker.verify_our_tokens(live_rng, live_specs_b(live_rng, 60, pems), public_pem)
        with open(GOLDEN_JSON, encoding="utf-8") as f:
            golden = json.load(f)
        for case in golden:
            what = "(c) golden " + case["name"]
            text = json.dumps(case["spec"], ensure_ascii=False)
            if self_test and mint(case["spec"]) != case["token"]:
                checker.fail(what + ": golden.json is stale; rerun golden.py")
            ours = checker.minted(text, what)
            checker.compare_tokens(what, text, ours, case["token"])
        for i in range(count):
            spec = random_spec(rng, False, pems)
            text = spec_text(rng, spec)
            what = "(c) random #{} {}".format(i, spec["kind"])
            if self_test:
                # the raw literals must mean to Python what the canonical dump means
                canonical = json.dumps(json.loads(text), ensure_ascii=False)
                if mint(json.loads(canonical)) != mint(json.loads(text)):
                    checker.fail(what + ": spec text round-trip changes the token", text)
            checker.byte_exact(what, text)
        jwt_rng = random.Random(SEED + 2)  # its own stream: (c)'s specs stay as they were
        for i in range(jwt_count):
            spec = rjwt(jwt_rng)
            text = spec_text(jwt_rng, spec)
            what = "(d) random #{} jwt".format(i)
            if self_test:
                canonical = json.dumps(json.loads(text), ensure_ascii=False)
                if mint(json.loads(canonical)) != mint(json.loads(text)):
                    checker.fail(what + ": spec text round-trip changes the token", text)
            checker.byte_exact(what, text)
        if not self_test:  # twilio-python has no PS256 to stand in with
            ps_rng = random.Random(SEED + 3)
            for i in range(20):
                spec = json.loads(to_text(rvalidation(ps_rng, False, pems)))
                spec["at"] = AT
                checker.ps256("(e) #{} validation PS256".format(i), spec, public_pem)
    except CheckFailed:
        print("crosscheck: {} passed, 1 failed".format(checker.passed))
        return 1
    except Exception as e:  # an exception in the script itself is a failure too
        import traceback

        traceback.print_exc()
        print("crosscheck: {} passed, 1 failed ({}: {})".format(checker.passed, type(e).__name__, e))
        return 1
    print("crosscheck: {} passed, 0 failed".format(checker.passed))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary", nargs="?", help="path to the twilio-token binary")
    parser.add_argument("--self-test", action="store_true",
                        help="run every step against twilio-python itself (no binary needed)")
    parser.add_argument("--count", type=int, default=400, help="randomized byte-exact specs")
    parser.add_argument("--jwt-count", type=int, default=200,
                        help="randomized byte-exact \"jwt\" specs")
    args = parser.parse_args()
    if args.self_test == bool(args.binary):
        parser.error("give either the binary path or --self-test")
    if args.self_test:
        runner = PythonStandIn()
    else:
        if not os.path.isfile(args.binary) or not os.access(args.binary, os.X_OK):
            parser.error("not an executable file: " + args.binary)
        runner = Binary(os.path.abspath(args.binary))
    return run(runner, args.count, args.self_test, args.jwt_count)


if __name__ == "__main__":
    sys.exit(main())
