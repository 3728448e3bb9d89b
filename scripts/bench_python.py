#!/usr/bin/env python3
"""twilio_token.jwt against twilio-python's twilio.jwt, in one run: the tutorial's token
(identity + a video room) minted with AccessToken(...).to_jwt(), and verified with
AccessToken.from_jwt(token, secret). Prints the time per call of each and the ratio.

Usage: python scripts/bench_python.py [--seconds S]   (needs twilio and twilio-token installed)
"""

import argparse
import statistics
import timeit
import warnings

import twilio.jwt.access_token as theirs
import twilio.jwt.access_token.grants as their_grants
import twilio_token.jwt.access_token as ours
import twilio_token.jwt.access_token.grants as our_grants

warnings.simplefilter("ignore")  # PyJWT's InsecureKeyLengthWarning for the short secret

ACCOUNT = "ACe268443e43d93dab7ebef303bbe9642f"
KEY = "SK75045995f285d7f5270f09439481bcdc"
SECRET = "3b9cfb2d8a7e41f0a1c5e6d7f8091a2b"


def minter(module, grants):
    def mint():
        token = module.AccessToken(ACCOUNT, KEY, SECRET, identity="user")
        token.add_grant(grants.VideoGrant(room="My Room"))
        return token.to_jwt()

    return mint


def verifier(module, token):
    return lambda: module.AccessToken.from_jwt(token, SECRET)


def per_call(function, seconds):
    """The median over 5 rounds of the time per call, in microseconds."""
    number = max(1, int(seconds / 5 / max(timeit.timeit(function, number=50) / 50, 1e-9)))
    rounds = timeit.repeat(function, number=number, repeat=5)
    return statistics.median(r / number for r in rounds) * 1e6


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0, help="per measurement")
    args = parser.parse_args()
    mint_theirs, mint_ours = minter(theirs, their_grants), minter(ours, our_grants)
    token = mint_theirs()
    assert ours.AccessToken.from_jwt(token, SECRET).payload == theirs.AccessToken.from_jwt(token, SECRET).payload
    print(f"{'':28} {'twilio-python':>14} {'twilio_token':>13} {'ratio':>7}")
    for name, reference, dropin in (
        ("mint (tutorial token)", mint_theirs, mint_ours),
        ("verify (AccessToken.from_jwt)", verifier(theirs, token), verifier(ours, token)),
    ):
        t_ref, t_ours = per_call(reference, args.seconds), per_call(dropin, args.seconds)
        print(f"{name:28} {t_ref:11.2f} µs {t_ours:10.2f} µs {t_ref / t_ours:6.1f}×")


if __name__ == "__main__":
    main()
