from datetime import timedelta

import jwt
import pytest

from adapters.security.tokens import ALGORITHM, REQUIRED_CLAIMS, JwtTokenIssuer
from commerce_core.identity.ports import AccessClaims
from commerce_core.shared.errors import InvalidToken

SECRET = "s" * 64
OTHER_SECRET = "o" * 64


@pytest.fixture
def issuer(clock):
    return JwtTokenIssuer(SECRET, clock)


def _claims(clock, **overrides):
    now = int(clock.now().timestamp())
    claims = {
        "iss": "commerce-core",
        "aud": "commerce-api",
        "sub": "user-1",
        "role": "customer",
        "jti": "j1",
        "iat": now,
        "nbf": now,
        "exp": now + 900,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(claims, key=SECRET, algorithm=ALGORITHM):
    return jwt.encode(claims, key, algorithm=algorithm)


def test_a_token_we_issued_verifies_with_its_claims(issuer):
    issued = issuer.issue_access("user-1", "admin")

    claims = issuer.verify_access(issued.token)

    assert (claims.user_id, claims.role) == ("user-1", "admin")
    assert claims.token_id
    assert issued.expires_in == 15 * 60


def test_every_token_has_its_own_id(issuer):
    first = issuer.verify_access(issuer.issue_access("u", "customer").token)
    second = issuer.verify_access(issuer.issue_access("u", "customer").token)

    assert first.token_id != second.token_id


def test_issued_tokens_carry_every_required_claim_and_the_pinned_algorithm(issuer):
    token = issuer.issue_access("user-1", "customer").token

    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    payload = jwt.decode(token, options={"verify_signature": False})
    assert set(REQUIRED_CLAIMS) <= set(payload)
    assert (payload["iss"], payload["aud"]) == ("commerce-core", "commerce-api")


def test_a_hand_built_valid_token_is_accepted(issuer, clock):
    assert issuer.verify_access(_sign(_claims(clock))) == AccessClaims("user-1", "customer", "j1")


def test_an_alg_none_token_is_refused(issuer, clock):
    token = jwt.encode(_claims(clock), None, algorithm="none")

    with pytest.raises(InvalidToken) as caught:
        issuer.verify_access(token)
    assert caught.value.code == "invalid_token"


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_a_token_signed_with_another_hmac_algorithm_is_refused(issuer, clock, algorithm):
    with pytest.raises(InvalidToken):
        issuer.verify_access(_sign(_claims(clock), algorithm=algorithm))


def test_a_token_signed_with_another_key_is_refused(issuer, clock):
    with pytest.raises(InvalidToken):
        issuer.verify_access(_sign(_claims(clock), key=OTHER_SECRET))


def test_a_token_of_another_issuer_instance_is_refused(clock):
    ours, theirs = JwtTokenIssuer(SECRET, clock), JwtTokenIssuer(OTHER_SECRET, clock)

    with pytest.raises(InvalidToken):
        ours.verify_access(theirs.issue_access("user-1", "customer").token)


def test_a_token_expires_after_15_minutes(issuer, clock):
    token = issuer.issue_access("user-1", "customer").token
    clock.advance(timedelta(minutes=14, seconds=59))
    assert issuer.verify_access(token).user_id == "user-1"

    clock.advance(timedelta(seconds=7))  # past exp and the 5 s leeway

    with pytest.raises(InvalidToken, match="expired"):
        issuer.verify_access(token)


def test_a_token_not_yet_valid_is_refused(issuer, clock):
    later = int(clock.now().timestamp()) + 60

    with pytest.raises(InvalidToken, match="not yet valid"):
        issuer.verify_access(_sign(_claims(clock, nbf=later)))


def test_leeway_tolerates_a_few_seconds_of_clock_skew(issuer, clock):
    slightly_later = int(clock.now().timestamp()) + 3

    assert issuer.verify_access(_sign(_claims(clock, nbf=slightly_later))).user_id == "user-1"


def test_a_token_for_another_audience_is_refused(issuer, clock):
    with pytest.raises(InvalidToken):
        issuer.verify_access(_sign(_claims(clock, aud="another-api")))


def test_a_token_from_another_issuer_is_refused(issuer, clock):
    with pytest.raises(InvalidToken):
        issuer.verify_access(_sign(_claims(clock, iss="someone-else")))


@pytest.mark.parametrize("missing", REQUIRED_CLAIMS)
def test_a_token_missing_a_required_claim_is_refused(issuer, clock, missing):
    claims = _claims(clock)
    del claims[missing]

    with pytest.raises(InvalidToken):
        issuer.verify_access(_sign(claims))


@pytest.mark.parametrize(
    "overrides",
    [{"role": "superuser"}, {"sub": 42}, {"exp": "tomorrow"}, {"nbf": "now"}, {"iat": "now"}],
    ids=["unknown-role", "non-string-sub", "text-exp", "text-nbf", "text-iat"],
)
def test_malformed_claims_are_refused(issuer, clock, overrides):
    with pytest.raises(InvalidToken):
        issuer.verify_access(_sign(_claims(clock, **overrides)))


@pytest.mark.parametrize("garbage", ["", "not.a.jwt", "a.b", "x" * 500])
def test_garbage_is_an_invalid_token(issuer, garbage):
    with pytest.raises(InvalidToken):
        issuer.verify_access(garbage)


def test_a_tampered_payload_is_refused(issuer):
    header, _, signature = issuer.issue_access("user-1", "customer").token.split(".")
    forged_payload = jwt.encode(
        {"role": "admin"}, "k" * 32, algorithm="HS256"
    ).split(".")[1]

    with pytest.raises(InvalidToken):
        issuer.verify_access(f"{header}.{forged_payload}.{signature}")


def test_a_short_secret_is_refused(clock):
    with pytest.raises(ValueError, match="32"):
        JwtTokenIssuer("too-short", clock)
