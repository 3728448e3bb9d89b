"""Every golden case minted through twilio_token.jwt at the case's frozen clock is the token
twilio-python minted for it, byte for byte; and a random sample of every token type, with
unicode identities, parameters and odd numbers, is the same from both in the same run."""

import json
import random

import twilio.jwt.access_token
import twilio_token.jwt.access_token


def test_the_drop_in_is_what_golden_py_imports(dropin, reference):
    assert dropin.AccessToken is twilio_token.jwt.access_token.AccessToken
    assert reference.AccessToken is twilio.jwt.access_token.AccessToken


def test_every_golden_case_is_byte_identical(golden_cases, dropin):
    kinds = set()
    for case in golden_cases:
        assert dropin.mint(case["spec"]) == case["token"], case["name"]
        kinds.add(case["spec"]["kind"])
    assert kinds == {"access", "client", "worker", "taskqueue", "workspace", "validation", "jwt"}
    assert len(golden_cases) >= 100


def assert_mints_alike(dropin, reference, spec):
    """The drop-in mints the reference's token for ``spec``, or refuses it with the same
    exception type (the reference refuses some specs: so must the drop-in)."""
    try:
        theirs = reference.mint(spec)
    except Exception as e:
        ours_error = None
        try:
            dropin.mint(spec)
        except Exception as ours:
            ours_error = ours
        assert type(ours_error) is type(e), (spec, e, ours_error)
        return
    assert dropin.mint(spec) == theirs, spec


def test_random_specs_of_every_kind_mint_the_same_token(crosscheck, dropin, reference):
    rng = random.Random(20261201)
    pems = [crosscheck.read_text(crosscheck.PKCS1_PEM), crosscheck.read_text(crosscheck.PKCS8_PEM)]
    kinds = {}
    for _ in range(600):
        # As the live cross-check does: the spec's JSON text, with raw number literals, read back.
        spec = json.loads(crosscheck.spec_text(rng, crosscheck.random_spec(rng, False, pems)))
        kinds[spec["kind"]] = kinds.get(spec["kind"], 0) + 1
        assert_mints_alike(dropin, reference, spec)
    assert set(kinds) == {"access", "client", "worker", "taskqueue", "workspace", "validation"}, kinds


def test_random_jwt_specs_mint_the_same_token_through_a_subclass_of_the_drop_ins_jwt(
    crosscheck, dropin, reference
):
    # golden.py's SpecJwt subclasses each side's Jwt, overriding _generate_payload and
    # _generate_headers as user code does.
    rng = random.Random(20261202)
    for _ in range(200):
        spec = json.loads(crosscheck.spec_text(rng, crosscheck.rjwt(rng)))
        assert_mints_alike(dropin, reference, spec)
